#!/usr/bin/env bats
# --init: bin/cairn-init as the container's pid 1, bound read-only at
# /dev/init; and cairn-init on its own.

load spec_helpers

@test "cairn-spec: --init runs cairn-init as pid 1 from /dev/init, read-only" {
  ctr --init -- sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo "ppid=$PPID"; grep " /dev/init " /proc/mounts; echo x >/dev/init; echo "w=$?"'
  [ "$status" -eq 0 ]
  assert_line --regexp '^/dev/init -- sh -c '
  assert_line "ppid=1"
  assert_line --regexp ' /dev/init [a-z0-9]+ ro,'
  assert_line "w=1"
  [ "$(cfg '.mounts[] | select(.destination == "/dev/init") | .source')" = "\"$CAIRN_SRC/bin/cairn-init\"" ]
  # The image is untouched: the mount point lives on the /dev tmpfs.
  [ ! -e "$BUNDLE/rootfs/dev/init" ]
}

@test "cairn-spec: cairn-init reaps orphans reparented to it" {
  # The subshell's background sleep is orphaned; as it exits it becomes a
  # zombie of pid 1 unless pid 1 reaps it.
  ctr --init -- sh -c '(sleep 0.2 &); sleep 1; grep -l "^State:.*Z" /proc/[0-9]*/status; echo "zombies=$(grep -l "^State:.*Z" /proc/[0-9]*/status | wc -l)"'
  [ "$status" -eq 0 ]
  assert_line "zombies=0"
}

@test "cairn-spec: cairn-init forwards signals and exits with the child's status" {
  gen --init -- sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
  runc --root "$T/runc" run -b "$BUNDLE" "$CID" >"$T/out" 2>&1 &
  pid=$!
  retry 50 0.1 grep -q ready "$T/out"
  runc --root "$T/runc" kill "$CID" TERM
  rc=0
  timeout 10 tail --pid=$pid -f /dev/null || rc=$?
  [ "$rc" -eq 0 ]
  wait $pid || rc=$?
  [ "$rc" -eq 7 ]
}

@test "cairn-spec: cairn-init returns 128 + signal for a killed child" {
  ctr --init -- sh -c 'kill -KILL $$'
  [ "$status" -eq 137 ]
  ctr --init -- sh -c 'exit 3'
  [ "$status" -eq 3 ]
}

@test "cairn-spec: --init-path, and a missing init binary is an error" {
  run_logged cairn-spec --init --init-path "$T/nope" -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --init: init binary '$T/nope': No such file or directory" ]
  cp "$CAIRN_SRC/bin/cairn-init" "$T/myinit"
  gen --init --init-path "$T/myinit" -- true
  [ "$(cfg '.mounts[] | select(.destination == "/dev/init") | .source')" = "\"$T/myinit\"" ]
  [ "$(cfg '.process.args[0:3]')" = '["/dev/init","--","true"]' ]
}

@test "cairn-init: alone, it runs the command and passes its status on" {
  [ "$(file -b "$CAIRN_SRC/bin/cairn-init" | grep -c 'statically linked')" = 1 ]
  run_logged cairn-init -- sh -c 'echo hi; exit 5'
  [ "$status" -eq 5 ]
  [ "$output" = hi ]
  run_logged cairn-init /nonexistent
  [ "$status" -eq 127 ]
  [ "$stderr" = "cairn-init: exec '/nonexistent': No such file or directory" ]
  run_logged cairn-init
  [ "$status" -eq 2 ]
}
