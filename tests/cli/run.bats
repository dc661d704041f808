#!/usr/bin/env bats
# cairn run: foreground and detached runs, the process options, and the
# exit codes and errors of docker.

load helpers

@test "cairn run: prints the command's output and leaves nothing with --rm" {
  run_logged cairn run --rm busybox echo hello
  assert_success
  assert_output hello
  run_logged cairn ps -aq
  assert_output ""
  [ -z "$(ls "$CAIRN_ROOT/containers")" ]
  [ -z "$(ls "$CAIRN_ROOT/names")" ]
}

@test "cairn run --rm: the rootfs is a volatile overlay; a kept container's is not" {
  # writes of a container deleted at its exit are never synced to disk, so
  # its exit does not wait for a sync of the host filesystem (podman does
  # the same); a container that is kept gets an ordinary overlay
  run_logged cairn run --rm busybox sh -c 'grep "^overlay / " /proc/mounts'
  assert_success
  assert_output --regexp '[ ,](fsync=)?volatile[, ]'
  run_logged cairn run --name keep busybox sh -c 'grep "^overlay / " /proc/mounts'
  assert_success
  assert_output --partial 'upperdir='
  refute_output --regexp '[ ,](fsync=)?volatile[, ]'
  # and it starts again (its rootfs is mounted anew, not volatile either)
  run_logged cairn start -a keep
  assert_success
  refute_output --regexp '[ ,](fsync=)?volatile[, ]'
  cairn rm keep >/dev/null
}

@test "cairn run: stdout and stderr stay apart; the exit code is the container's" {
  run_logged cairn run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
  assert_equal "$status" 3
  assert_output out
  assert_equal "$stderr" err
}

@test "cairn run: the output of a command that ends at once is complete, every time" {
  for i in $(seq 15); do
    run_logged cairn run --rm busybox sh -c "seq 1 200; echo done-$i"
    assert_success
    assert_equal "${#lines[@]}" 201
    assert_equal "${lines[200]}" "done-$i"
  done
}

@test "cairn run: binary output passes through unchanged" {
  head -c 100000 /dev/urandom >"$T/blob"
  run_logged cairn run --rm -v "$T:/data:ro" busybox cat /data/blob
  cairn run --rm -v "$T:/data:ro" busybox cat /data/blob >"$T/copy"
  cmp "$T/blob" "$T/copy"
}

@test "cairn run -i: stdin reaches the container and its end closes it" {
  run_logged bash -c "printf 'one\ntwo\n' | cairn run -i --rm busybox sh -c 'while read -r l; do echo got \$l; done; echo eof'"
  assert_success
  assert_output "$(printf 'got one\ngot two\neof')"
}

@test "cairn run without -i: the container's stdin is empty" {
  run_logged bash -c "echo secret | cairn run --rm busybox cat"
  assert_success
  assert_output ""
}

@test "cairn run -it: the process has a terminal; the exit code comes back" {
  requires cmd:script
  run_logged script -qec "cairn run --rm -it busybox sh -c 'tty; exit 4'" /dev/null
  assert_equal "$status" 4
  assert_output --partial /dev/pts/0
}

@test "cairn run -it with stdin not a terminal is refused as docker does" {
  run_logged bash -c "echo x | cairn run --rm -it busybox true"
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: the input device is not a TTY"
  run_logged cairn ps -aq
  assert_output ""
}

@test "cairn run -d: prints the full id and returns while the container runs" {
  run_logged cairn run -d --name sleeper busybox sleep 100
  assert_success
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  assert_equal "$(cid sleeper)" "$output"
  is_running sleeper
}

@test "cairn run: -e, --env-file, -w, -u and --entrypoint shape the process" {
  printf 'FROM_FILE=yes\n# comment\n' >"$T/env"
  run_logged cairn run --rm -e A=1 --env-file "$T/env" -w /tmp -u app busybox \
    sh -c 'echo "$A $FROM_FILE $(pwd) $(id -u):$(id -g)"'
  assert_success
  assert_output "1 yes /tmp 1000:1000"
  run_logged cairn run --rm --entrypoint /bin/echo busybox via entrypoint
  assert_success
  assert_output "via entrypoint"
}

@test "cairn run: the image's default command runs when none is given" {
  # the fixture's Cmd is ["sh"]: with -i it reads commands from stdin
  run_logged bash -c "echo 'echo from-default-cmd' | cairn run -i --rm busybox"
  assert_success
  assert_output from-default-cmd
}

@test "cairn run: /etc/hostname, /etc/hosts and /etc/resolv.conf are the container's own" {
  run_logged cairn run --rm --name named -h myhost --add-host db.local:10.1.2.3 --dns 9.9.9.9 \
    busybox sh -c 'hostname; cat /etc/hostname; grep db.local /etc/hosts; grep nameserver /etc/resolv.conf; grep myhost /etc/hosts'
  assert_success
  assert_line --index 0 myhost
  assert_line --index 1 myhost
  assert_line --index 2 "10.1.2.3	db.local"
  assert_line --index 3 "nameserver 9.9.9.9"
  assert_line --index 4 --regexp '^10\.198\.[0-9]+\.[0-9]+	myhost named$'
}

@test "cairn run: loopback nameservers of the host are replaced; none left gives docker's" {
  printf 'nameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.org\n' >"$T/resolv"
  config_edit "$CAIRN_CONFIG" '.resolvConf = $f' --arg f "$T/resolv"
  run_logged cairn run --rm busybox cat /etc/resolv.conf
  assert_success
  assert_output "$(printf 'nameserver 192.0.2.1\nsearch example.org')"
  printf 'nameserver 127.0.0.53\n' >"$T/resolv"
  run_logged cairn run --rm busybox grep nameserver /etc/resolv.conf
  assert_output "$(printf 'nameserver 8.8.8.8\nnameserver 8.8.4.4')"
  run_logged cairn run --rm --network host busybox grep nameserver /etc/resolv.conf
  assert_output "nameserver 127.0.0.53"
}

@test "cairn run: default hostname is the short id" {
  run_logged cairn run -d --name h busybox sleep 100
  id=$output
  run_logged cairn exec h hostname
  assert_output "${id:0:12}"
}

@test "cairn run -v: binds a host dir read-write, or read-only with :ro" {
  mkdir "$T/data"
  run_logged cairn run --rm -v "$T/data:/data" busybox sh -c 'echo written > /data/f'
  assert_success
  assert_equal "$(cat "$T/data/f")" written
  run_logged cairn run --rm -v "$T/data:/data:ro" busybox sh -c 'echo again > /data/f'
  assert_failure
  assert_equal "$(cat "$T/data/f")" written
}

@test "cairn run -v: a missing host dir is created, as docker does" {
  run_logged cairn run --rm -v "$T/new/dir:/x" busybox sh -c 'touch /x/made'
  assert_success
  [ -f "$T/new/dir/made" ]
}

@test "cairn run -v NAME:DST: a named volume is created, seeded from the image, and kept" {
  run_logged cairn run --rm -v vol1:/etc busybox sh -c 'cat /etc/group >/dev/null && echo kept > /etc/mark'
  assert_success
  [ -f "$CAIRN_ROOT/volumes/vol1/_data/passwd" ]
  run_logged cairn run --rm -v vol1:/data busybox cat /data/mark
  assert_success
  assert_output kept
}

@test "cairn run --read-only and --tmpfs" {
  run_logged cairn run --rm --read-only busybox touch /x
  assert_failure
  run_logged cairn run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /scratch/x && echo ok'
  assert_success
  assert_output ok
}

@test "cairn run --init: the command is not pid 1 and signals still stop it" {
  run_logged cairn run --rm --init busybox sh -c 'echo $$'
  assert_success
  refute_output 1
}

@test "cairn run -l and --stop-signal are recorded" {
  run_logged cairn run -d --name lab -l team=web --stop-signal SIGINT busybox sleep 100
  assert_success
  run_logged cairn inspect -f '{{.Config.Labels.team}} {{.Config.StopSignal}}' lab
  assert_output "web SIGINT"
}

@test "cairn run: an unknown image is one error line, exit 125, nothing created" {
  run_logged cairn run --rm --pull never nosuchimage true
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn-image: no such image: nosuchimage"
  [ -z "$(ls "$CAIRN_ROOT/containers" 2>/dev/null)" ]
}

@test "cairn run: a command not found is 127, a file that cannot run is 126" {
  run_logged cairn run --rm busybox nosuchcommand
  assert_equal "$status" 127
  assert_equal "$(echo "$stderr" | wc -l)" 1
  [[ $stderr == *'exec: "nosuchcommand": executable file not found'* ]]
  run_logged cairn run --rm busybox /etc/passwd
  assert_equal "$status" 126
  [[ $stderr == *"permission denied"* ]]
  run_logged cairn ps -aq
  assert_output ""
}

@test "cairn run: failures leave no container, mount, netns or name behind" {
  run_logged cairn run --name failed busybox nosuchcommand
  assert_equal "$status" 127
  run_logged cairn ps -aq
  assert_output ""
  [ -z "$(ls "$CAIRN_ROOT/containers")" ]
  [ ! -e "$CAIRN_ROOT/names/failed" ]
  [ -z "$(ls "$CAIRN_RUN/netns" 2>/dev/null)" ]
  run_logged cairn run --name failed busybox true
  assert_success
}

@test "cairn run: bad flags and values are docker-like one-line errors with exit 125" {
  run_logged cairn run --restart sometimes busybox true
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid restart policy 'sometimes': want no, always, unless-stopped or on-failure[:N]"
  run_logged cairn run -p 99999:80 busybox true
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid hostPort: 99999"
  run_logged cairn run -v relative/dir:/x busybox true
  assert_equal "$status" 125
  [[ $stderr == *'"relative/dir" includes invalid characters for a local volume name'* ]]
  run_logged cairn run --no-such-flag busybox true
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: unknown flag: --no-such-flag (see 'cairn run --help')"
  run_logged cairn run --rm --restart always busybox true
  assert_equal "$status" 125
  run_logged cairn run
  assert_equal "$status" 125
  run_logged cairn ps -aq
  assert_output ""
  [ -z "$(ls "$CAIRN_ROOT/containers")" ]
}

@test "cairn run --name: a name in use is refused, and the first container keeps it" {
  run_logged cairn run -d --name taken busybox sleep 100
  first=$output
  run_logged cairn run -d --name taken busybox sleep 100
  assert_equal "$status" 125
  [[ $stderr == *'the container name "/taken" is already in use by container "'$first'"'* ]]
  assert_equal "$(cid taken)" "$first"
  assert_equal "$(cairn ps -aq | wc -l)" 1
}

@test "cairn run: random names are adjective_surname" {
  run_logged cairn run -d busybox sleep 100
  run_logged cairn inspect -f '{{.Name}}' "$output"
  assert_output --regexp '^/[a-z]+_[a-z]+[0-9]*$'
}

@test "cairn run --cidfile writes the id" {
  run_logged cairn run -d --cidfile "$T/cid" busybox sleep 100
  assert_success
  assert_equal "$(cat "$T/cid")" "$output"
}

@test "cairn run --help prints the options" {
  run_logged cairn run --help
  assert_success
  assert_output --partial "Usage: cairn run [OPTIONS] IMAGE [COMMAND] [ARG...]"
  assert_output --partial "--publish"
}

@test "cairn volume: create, ls, inspect, rm (refused while in use), prune" {
  run_logged cairn volume create todo-db
  assert_output todo-db
  run_logged cairn volume ls
  assert_output "$(printf 'DRIVER    VOLUME NAME\nlocal     todo-db')"
  run_logged cairn volume inspect todo-db
  assert_equal "$(jq -r '.[0].Mountpoint' <<<"$output")" "$CAIRN_ROOT/volumes/todo-db/_data"
  assert_equal "$(jq -r '.[0].Driver' <<<"$output")" local
  cairn run -d --name user -v todo-db:/etc/todos busybox sleep 100 >/dev/null
  run_logged cairn volume rm todo-db
  assert_equal "$status" 1
  [[ $stderr == *"volume is in use"* ]]
  cairn rm -f user >/dev/null
  cairn volume create spare >/dev/null
  run_logged cairn volume prune -f
  assert_success
  assert_line spare
  run_logged cairn volume ls -q
  assert_output ""
  run_logged cairn volume inspect nosuch
  assert_equal "$status" 1
}

@test "cairn volume create --label and -o: labels shown and filtered; a tmpfs and a bind volume mount at first use" {
  run_logged cairn volume create --label team=web --label audit web-data
  assert_success
  assert_output web-data
  cairn volume create plain >/dev/null
  run_logged cairn volume inspect -f '{{json .Labels}} {{json .Options}}' web-data
  assert_output '{"audit":"","team":"web"} {}'
  run_logged cairn volume ls -q -f label=team=web
  assert_output web-data
  run_logged cairn volume ls -q -f label=audit
  assert_output web-data
  # the same create again is fine; other labels are refused
  run_logged cairn volume create --label team=web --label audit web-data
  assert_success
  run_logged cairn volume create --label team=db web-data
  assert_failure
  # docker's local driver options: a tmpfs with mount options...
  cairn volume create -o type=tmpfs -o device=tmpfs -o o=size=5m,mode=0750 scratch >/dev/null
  run_logged cairn volume inspect -f '{{.Options.type}} {{.Options.o}}' scratch
  assert_output "tmpfs size=5m,mode=0750"
  run_logged cairn run --rm --network none -v scratch:/s busybox sh -c \
    'grep " /s " /proc/mounts | cut -d" " -f3; stat -c %a /s; echo x >/s/f'
  assert_success
  assert_output "$(printf 'tmpfs\n750')"
  # ...and a bind of a host directory (type=none,o=bind)
  mkdir -p "$T/hostdir"
  echo from-host >"$T/hostdir/in"
  cairn volume create --opt type=none --opt o=bind --opt device="$T/hostdir" hostvol >/dev/null
  run_logged cairn run --rm --network none -v hostvol:/h busybox sh -c 'cat /h/in; echo back >/h/out'
  assert_success
  assert_output from-host
  [ "$(cat "$T/hostdir/out")" = back ]
  # removing the volumes unmounts them and never deletes the host's files
  run_logged cairn volume rm hostvol scratch web-data plain
  assert_success
  [ -f "$T/hostdir/in" ] && [ -f "$T/hostdir/out" ]
  ! grep -q "$CAIRN_ROOT/volumes" /proc/self/mountinfo
}

@test "cairn volume create: bad drivers, options and flags are one-line errors" {
  run_logged cairn volume create -d nfs x
  assert_failure
  assert_equal "$stderr" 'cairn: error looking up volume plugin nfs: plugin "nfs" not found'
  run_logged cairn volume create -o size=1g x
  assert_failure
  assert_equal "$stderr" 'cairn: invalid option key: "size"'
  run_logged cairn volume create -o device=/tmp x
  assert_failure
  assert_equal "$stderr" 'cairn: missing required option: "type"'
  run_logged cairn volume create -o type=none -o o=bind -o device="$T/missing" x
  assert_failure
  [[ $stderr == *"device=$T/missing"* ]]
  run_logged cairn volume create -o nokv x
  assert_failure
  run_logged cairn volume ls -q
  assert_output ""
  for sub in create ls inspect rm prune; do
    run_logged cairn volume "$sub" --help
    assert_success
    assert_line --index 0 --partial "Usage: cairn volume $sub"
  done
}
