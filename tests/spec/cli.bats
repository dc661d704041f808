#!/usr/bin/env bats
# cairn-spec's command line: --help, --default against `runc spec`, input
# forms (file, stdin, skopeo's output), -o, and bad input.

load ../helpers/common

setup() {
  common_setup
  IMG="$T/image.json"
  cat >"$IMG" <<'JSON'
{"architecture": "amd64", "os": "linux",
 "config": {"Cmd": ["sh"], "Env": ["PATH=/bin", "A=1"], "WorkingDir": "/srv"},
 "rootfs": {"type": "layers", "diff_ids": []}}
JSON
}

# Object key paths of a JSON document, array positions folded.
keys() { jq -r '[paths(type != "array") | map(select(type == "string")) | join(".")] | unique | .[]' "$1"; }

@test "cairn-spec --help prints usage on stdout and exits 0" {
  run_logged cairn-spec --help
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "Usage: cairn-spec "* ]]
  [[ "$output" == *"--image-config"* ]]
  [ -z "$stderr" ]
}

@test "cairn-spec --default has every key of 'runc spec' but the ones docker leaves out" {
  requires cmd:runc
  (cd "$T" && runc spec)
  cairn-spec --default >"$T/ours.json"
  keys "$T/config.json" >"$T/runc.keys"
  keys "$T/ours.json" >"$T/ours.keys"
  # Left out on purpose: rlimits (the caller's apply), ambient capabilities
  # and no-new-privileges (docker sets neither by default).
  missing=$(comm -23 "$T/runc.keys" "$T/ours.keys" | grep -vE '^process\.(rlimits|capabilities\.ambient|noNewPrivileges)' || true)
  [ -z "$missing" ]
  [ "$(jq -c .process.args "$T/ours.json")" = '["sh"]' ]
  [ "$(jq -r .root.path "$T/ours.json")" = rootfs ]
  [ "$(jq -r .ociVersion "$T/ours.json")" = 1.1.0 ]
}

@test "cairn-spec: output is indented JSON with sorted keys, the same on stdout and with -o" {
  cairn-spec --image-config "$IMG" --hostname h -- true >"$T/a.json"
  [ "$(head -n 1 "$T/a.json")" = "{" ]
  [ "$(sed -n 2p "$T/a.json" | cut -c1-3)" = '  "' ]
  [ "$(jq -S . "$T/a.json")" = "$(jq . "$T/a.json")" ]
  run_logged cairn-spec --image-config "$IMG" --hostname h -o "$T/b.json" -- true
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  cmp "$T/a.json" "$T/b.json"
  [ "$(stat -c %a "$T/b.json")" = 644 ]
}

@test "cairn-spec: the image config comes from stdin with '-', also as a bare config object" {
  cairn-spec --image-config - -- echo hi <"$IMG" >"$T/c.json"
  [ "$(jq -c .process.args "$T/c.json")" = '["echo","hi"]' ]
  [ "$(jq -r .process.cwd "$T/c.json")" = /srv ]
  jq .config "$IMG" | cairn-spec --image-config - >"$T/d.json"
  [ "$(jq -c .process.args "$T/d.json")" = '["sh"]' ]
  [ "$(jq -c '.process.env | map(select(startswith("A=")))' "$T/d.json")" = '["A=1"]' ]
}

@test "cairn-spec: works in a pipeline behind skopeo inspect --config" {
  requires cmd:skopeo cmd:umoci
  umoci init --layout "$T/oci" >/dev/null
  umoci new --image "$T/oci:latest" >/dev/null
  umoci config --image "$T/oci:latest" --config.cmd sh --config.cmd -c --config.cmd 'echo from-image' \
    --config.env PATH=/usr/bin:/bin --config.workingdir /work --config.user 1000:1000 >/dev/null
  skopeo inspect --config "oci:$T/oci:latest" | cairn-spec --image-config - >"$T/e.json"
  [ "$(jq -c .process.args "$T/e.json")" = '["sh","-c","echo from-image"]' ]
  [ "$(jq -r .process.cwd "$T/e.json")" = /work ]
  [ "$(jq -c '[.process.user.uid, .process.user.gid]' "$T/e.json")" = '[1000,1000]' ]
  skopeo inspect --config "oci:$T/oci:latest" | cairn-spec --image-config - -- echo hi >"$T/f.json"
  [ "$(jq -c .process.args "$T/f.json")" = '["echo","hi"]' ]
}

@test "cairn-spec: unknown flags and missing values are usage errors" {
  run_logged cairn-spec --frobnicate -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: unknown flag '--frobnicate' (see --help)" ]
  [ -z "$output" ]
  run_logged cairn-spec -Z
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: unknown flag '-Z' (see --help)" ]
  run_logged cairn-spec --memory
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: flag '--memory' needs a value" ]
}

@test "cairn-spec: an image config that is not JSON, or has wrong types, is one line and exit 2" {
  echo 'not json' >"$T/bad"
  run_logged cairn-spec --image-config "$T/bad"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "cairn-spec: image config: $T/bad:1:"* ]]
  [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
  for doc in '{"config": {"Env": "PATH=/bin"}}' '{"config": {"Cmd": [1, 2]}}' \
             '{"config": {"WorkingDir": 7}}' '{"config": []}' '[1]' '{"os": "linux", "config": {"User": {}}}'; do
    run_logged sh -c 'printf "%s" "$1" | cairn-spec --image-config -' _ "$doc"
    [ "$status" -eq 2 ]
    [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
    [[ "$stderr" == "cairn-spec: image config"* ]]
    [ -z "$output" ]
  done
  run_logged sh -c 'echo "{\"config\": {\"Env\": 1}}" | cairn-spec --image-config -'
  [ "$stderr" = "cairn-spec: image config 'stdin': config.Env: expected an array of strings" ]
  run_logged sh -c 'echo "{\"config\": {}, \"config\": {}}" | cairn-spec --image-config -'
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"duplicate object key"* ]]
  run_logged cairn-spec --image-config "$T/missing.json"
  [ "$status" -ne 0 ]
  [ "$stderr" = "cairn-spec: image config: open '$T/missing.json': No such file or directory" ]
}

@test "cairn-spec: -o leaves no file behind on bad input, and keeps an old one intact" {
  run_logged cairn-spec -m 12XB -o "$T/out.json" -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --memory: invalid size: '12XB'" ]
  [ ! -e "$T/out.json" ]
  [ -z "$(find "$T" -maxdepth 1 -name 'out.json*')" ]
  echo '{"old": true}' >"$T/out.json"
  run_logged cairn-spec -v /data -o "$T/out.json" -- true
  [ "$status" -eq 2 ]
  [ "$(cat "$T/out.json")" = '{"old": true}' ]
  [ "$(find "$T" -maxdepth 1 -name 'out.json*' | wc -l)" = 1 ]
  run_logged cairn-spec -o "$T/nodir/out.json" -- true
  [ "$status" -eq 1 ]
  [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
}

@test "cairn-spec: --rootfs must be a directory" {
  run_logged cairn-spec --rootfs "$T/nope" -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --rootfs '$T/nope': No such file or directory" ]
  run_logged cairn-spec --rootfs "$IMG" -- true
  [ "$status" -eq 2 ]
}

@test "cairn-spec: the built-in seccomp profile is the installed data file, resolved" {
  # spec/seccomp.json is docker's format; cairn-spec must embed exactly it.
  jq -e '.archMap and (.syscalls | length > 20)' "$CAIRN_SRC/spec/seccomp.json" >/dev/null
  cairn-spec --security-opt "seccomp=$CAIRN_SRC/spec/seccomp.json" -- true | jq -S .linux.seccomp >"$T/file.json"
  cairn-spec -- true | jq -S .linux.seccomp >"$T/builtin.json"
  cmp "$T/file.json" "$T/builtin.json"
  # resolved for the default capabilities: no includes/excludes/comments
  # left, chroot allowed (CAP_SYS_CHROOT), mount not (CAP_SYS_ADMIN).
  [ "$(jq '[.syscalls[] | keys[]] | unique' -c "$T/builtin.json")" = '["action","args","errnoRet","names"]' ]
  [ "$(jq '[.syscalls[].names[]] | (index("chroot") != null) and (index("mount") == null)' "$T/builtin.json")" = true ]
}
