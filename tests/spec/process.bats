#!/usr/bin/env bats
# cairn-spec's process: command, environment, user, working directory,
# terminal, rlimits, oom score, hostname — checked inside runc containers.

load spec_helpers

@test "cairn-spec: the image's Cmd runs when no command is given" {
  jq '.config.Cmd = ["echo", "from", "image"]' "$IMG" >"$T/i2" && mv "$T/i2" "$IMG"
  ctr
  [ "$status" -eq 0 ]
  [ "$output" = "from image" ]
}

@test "cairn-spec: Entrypoint + Cmd, words after -- replace Cmd, --entrypoint drops Cmd" {
  jq '.config.Entrypoint = ["echo", "ep"] | .config.Cmd = ["cmd"]' "$IMG" >"$T/i2" && mv "$T/i2" "$IMG"
  gen
  [ "$(cfg .process.args)" = '["echo","ep","cmd"]' ]
  gen -- a b
  [ "$(cfg .process.args)" = '["echo","ep","a","b"]' ]
  gen --entrypoint /bin/printf
  [ "$(cfg .process.args)" = '["/bin/printf"]' ]
  gen --entrypoint "" -- echo x
  [ "$(cfg .process.args)" = '["echo","x"]' ]
  ctr -- args here
  [ "$status" -eq 0 ]
  [ "$output" = "ep args here" ]
}

@test "cairn-spec: no command at all is a usage error" {
  jq 'del(.config.Cmd)' "$IMG" >"$T/i2" && mv "$T/i2" "$IMG"
  run_logged cairn-spec --image-config "$IMG"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "cairn-spec: no command specified"* ]]
  [ -z "$output" ]
}

@test "cairn-spec: env is image Env, then --env-file, then -e, later wins; PATH and HOSTNAME" {
  printf '# a comment\n\n  FROM_FILE=1\nSHARED=file\nPASSED\n' >"$T/env"
  PASSED=from-caller ctr --env-file "$T/env" -e SHARED=flag -e EMPTY= -e FROM_IMAGE \
    --hostname box1 -- env
  [ "$status" -eq 0 ]
  assert_line "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  assert_line "HOSTNAME=box1"
  assert_line "SHARED=flag"
  assert_line "FROM_FILE=1"
  assert_line "PASSED=from-caller"
  assert_line "EMPTY="
  # A bare name the caller does not have removes the image's value, as docker.
  refute_line --partial "FROM_IMAGE="
  refute_line --partial "TERM="
  # The order: defaults first, the image's next, then the files' and flags'.
  [ "$(cfg '.process.env[0:2]')" = '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOSTNAME=box1"]' ]
}

@test "cairn-spec: PATH defaults when the image has none" {
  jq '.config.Env = ["A=1"]' "$IMG" >"$T/i2" && mv "$T/i2" "$IMG"
  ctr -- sh -c 'echo "$PATH"; echo "$A"'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
  [ "${lines[1]}" = 1 ]
}

@test "cairn-spec: working directory from the image, or -w" {
  ctr -- pwd
  [ "$status" -eq 0 ]
  [ "$output" = /home ]
  ctr -w /tmp/../etc -- pwd
  [ "$status" -eq 0 ]
  [ "$output" = /etc ]
}

@test "cairn-spec: -u resolves names through the rootfs, with docker's supplementary groups" {
  ctr -u app -- id
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1000(app) gid=1000(app) groups=10(wheel),29(audio),1000(app)" ]
  [ "$(cfg .process.user.additionalGids)" = '[1000,10,29]' ]
  ctr -u app:audio -- id
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1000(app) gid=29(audio) groups=29(audio)" ]
  ctr -u 4242:4343 --group-add wheel -- id -u
  [ "$status" -eq 0 ]
  [ "$output" = 4242 ]
  [ "$(cfg .process.user)" = '{"additionalGids":[4343,10],"gid":4343,"uid":4242}' ]
  # root (no -u) gets its memberships from /etc/group too, as in docker.
  ctr -- id
  [ "$output" = "uid=0(root) gid=0(root) groups=0(root),10(wheel)" ]
}

@test "cairn-spec: the image's User applies unless -u is given" {
  jq '.config.User = "app"' "$IMG" >"$T/i2" && mv "$T/i2" "$IMG"
  ctr -- id -u
  [ "$output" = 1000 ]
  ctr -u 0 -- id -u
  [ "$output" = 0 ]
}

@test "cairn-spec: unknown user or group, and names without --rootfs, are refused" {
  run_logged cairn-spec --image-config "$IMG" --rootfs "$BUNDLE/rootfs" -u nosuch -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --user: unable to find user nosuch: no matching entries in passwd file" ]
  run_logged cairn-spec --image-config "$IMG" --rootfs "$BUNDLE/rootfs" -u app:nogrp -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --user: unable to find group nogrp: no matching entries in group file" ]
  run_logged cairn-spec --image-config "$IMG" -u app -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --user: user name 'app' needs --rootfs to be resolved" ]
  run_logged cairn-spec --image-config "$IMG" -u 12:34 -- true
  [ "$status" -eq 0 ]
}

@test "cairn-spec: passwd lookups stay inside the rootfs" {
  # An image whose /etc/passwd climbs out with "..": it must resolve as if
  # the rootfs were /, never reach the host's file of the same path.
  mkdir -p "$BUNDLE/rootfs$T"
  echo 'outside:x:8:8::/:/bin/sh' >"$T/hostpw"
  echo 'inside:x:7:7::/:/bin/sh' >"$BUNDLE/rootfs$T/hostpw"
  rm "$BUNDLE/rootfs/etc/passwd"
  ln -s "../../../../../../../../..$T/hostpw" "$BUNDLE/rootfs/etc/passwd"
  run_logged cairn-spec --rootfs "$BUNDLE/rootfs" -u inside -- true
  [ "$status" -eq 0 ]
  [ "$(printf '%s' "$output" | jq -c .process.user.uid)" = 7 ]
  run_logged cairn-spec --rootfs "$BUNDLE/rootfs" -u outside -- true
  [ "$status" -eq 2 ]
}

@test "cairn-spec: -t sets terminal and TERM" {
  gen -t -- sh
  [ "$(cfg .process.terminal)" = true ]
  [ "$(cfg '.process.env | index("TERM=xterm") != null')" = true ]
  gen -- sh
  [ "$(cfg .process.terminal)" = false ]
}

@test "cairn-spec: no --ulimit keeps the caller's limits; --ulimit sets them" {
  gen -- true
  [ "$(cfg '.process | has("rlimits")')" = false ]
  hard=$(ulimit -Hn)
  ctr -- sh -c 'ulimit -Hn'
  [ "$status" -eq 0 ]
  [ "$output" = "$hard" ]
  ctr --ulimit nofile=1024:2048 --ulimit nproc=500 -- sh -c 'ulimit -Sn; ulimit -Hn; ulimit -u'
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "1024 2048 500" ]
}

@test "cairn-spec: bad --ulimit values are refused" {
  run_logged cairn-spec --ulimit nofile=2048:1024 -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --ulimit 'nofile=2048:1024': soft limit 2048 is above hard limit 1024" ]
  run_logged cairn-spec --ulimit bogus=1 -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --ulimit 'bogus=1': unknown limit 'bogus'" ]
  run_logged cairn-spec --ulimit nofile -- true
  [ "$status" -eq 2 ]
}

@test "cairn-spec: --oom-score-adj" {
  ctr --oom-score-adj 500 -- cat /proc/self/oom_score_adj
  [ "$status" -eq 0 ]
  [ "$output" = 500 ]
  run_logged cairn-spec --oom-score-adj 1001 -- true
  [ "$status" -eq 2 ]
}

@test "cairn-spec: --hostname, and a random 12-hex hostname by default" {
  ctr --hostname web-1 -- hostname
  [ "$status" -eq 0 ]
  [ "$output" = web-1 ]
  ctr -- sh -c 'hostname; echo "$HOSTNAME"'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]
  [ "${lines[1]}" = "${lines[0]}" ]
  run_logged cairn-spec --hostname 'bad_name!' -- true
  [ "$status" -eq 2 ]
}
