#!/usr/bin/env bats
# A running container's processes and files: signals to a foreground run,
# detach keys and attach, pause/unpause, top, healthchecks, cp, export.

load helpers

@test "cairn run (foreground): a signal to cairn reaches the container" {
  cairn run --name sig busybox sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >"$T/out" 3>&- &
  pid=$!
  retry 50 0.1 grep -q ready "$T/out"
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" 7
  assert_equal "$(cat "$T/out")" "$(printf 'ready\ngot-term')"
}

@test "cairn run -it: ctrl-p ctrl-q detaches and leaves it running; attach comes back" {
  # the keys are typed once the shell shows its prompt: before cairn has
  # the terminal in raw mode, the line discipline would eat ctrl-q
  run_logged "$CAIRN_SRC/tests/helpers/ttydrive.py" -- cairn run -it --name dk busybox sh <<'EOF'
expect # 
send \x10\x11
eof
EOF
  assert_success
  is_running dk
  run_logged "$CAIRN_SRC/tests/helpers/ttydrive.py" -- cairn attach dk <<'EOF'
send echo back-$((6*7))\n
expect back-42
send exit 3\n
eof
EOF
  assert_equal "$status" 3
  assert_output --partial back-42
}

@test "cairn attach: follows the output of a running container until it ends" {
  cairn run -d --name att busybox sh -c 'sleep 0.5; echo late-line; exit 2' >/dev/null
  run_logged cairn attach att
  assert_equal "$status" 2
  assert_output late-line
  run_logged cairn attach att
  assert_equal "$status" 1
  [[ $stderr == *"cannot attach to a stopped container"* ]]
}

@test "cairn pause/unpause: frozen, shown as Paused, then running again" {
  cairn run -d --name pz busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/t; sleep 0.05; done' >/dev/null
  sleep 0.3
  run_logged cairn pause pz
  assert_success
  [[ $(cairn ps --format '{{.Status}}') == "Up "*" (Paused)" ]]
  # frozen: the counter stands still
  f="$CAIRN_ROOT/containers/$(cid pz)/bundle/rootfs/tmp/t"
  a=$(cat "$f")
  sleep 0.3
  assert_equal "$(cat "$f")" "$a"
  run_logged cairn exec pz true
  assert_failure
  assert_equal "$(cairn inspect -f '{{.State.Status}} {{.State.Paused}}' pz)" "paused true"
  run_logged cairn pause pz
  assert_equal "$status" 1
  run_logged cairn unpause pz
  assert_success
  assert_equal "$(cairn inspect -f '{{.State.Status}}' pz)" running
  a=$(cairn exec pz cat /tmp/t)
  sleep 0.3
  [ "$(cairn exec pz cat /tmp/t)" != "$a" ]
}

@test "cairn top: the container's processes" {
  cairn run -d --name tp busybox sleep 4242 >/dev/null
  run_logged cairn top tp
  assert_success
  assert_line --index 0 --regexp '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$'
  assert_output --partial "sleep 4242"
}

@test "cairn run --health-cmd: ps shows (healthy), inspect has State.Health" {
  cairn run -d --name hc --health-cmd 'test -e /tmp/ok' --health-interval 300ms --health-retries 1 \
    busybox sh -c 'touch /tmp/ok; sleep 100' >/dev/null
  retry 50 0.1 sh -c 'cairn ps --format "{{.Status}}" | grep -q "(healthy)"'
  assert_equal "$(cairn inspect -f '{{.State.Health.Status}}' hc)" healthy
  cairn exec hc rm /tmp/ok
  retry 50 0.1 sh -c 'cairn ps --format "{{.Status}}" | grep -q "(unhealthy)"'
}

@test "cairn cp: both directions, running or stopped; paths cannot leave the container" {
  cairn run -d --name cpy busybox sh -c 'mkdir /d; echo inside > /d/f; sleep 100' >/dev/null
  retry 30 0.1 cairn exec cpy test -f /d/f
  run_logged cairn cp cpy:/d "$T/out"
  assert_success
  assert_equal "$(cat "$T/out/f")" inside
  echo outside >"$T/in"
  run_logged cairn cp "$T/in" cpy:/d/in
  assert_success
  assert_equal "$(cairn exec cpy cat /d/in)" outside
  cairn stop -t 0 cpy >/dev/null
  run_logged cairn cp cpy:/d/in "$T/back"
  assert_success
  assert_equal "$(cat "$T/back")" outside
  ! grep -q "$(cid cpy)" /proc/self/mountinfo
  run_logged cairn cp cpy:/../../../../etc/hostname "$T/esc"
  # resolved inside the container: its own (empty) /etc/hostname, not the host's
  [ "$(cat "$T/esc" 2>/dev/null)" != "$(cat /etc/hostname)" ]
  run_logged cairn cp cpy:/nosuch "$T/x"
  assert_failure
  [[ $stderr == *"could not find the file /nosuch"* ]]
}

@test "cairn export: the container's filesystem as a tar" {
  cairn run --name exp busybox sh -c 'echo mark > /marker'
  run_logged cairn export -o "$T/fs.tar" exp
  assert_success
  tar -xOf "$T/fs.tar" ./marker | grep -qx mark
  tar -tf "$T/fs.tar" | grep -qx './bin/busybox'
}
