#!/usr/bin/env bats
# cairn-shim: starting a container detached, its exit, bad input.

load helpers

@test "cairn-shim: prints the pid of the running container and detaches" {
  make_bundle sleep 100
  start_shim
  assert_success
  [[ $output =~ ^\{\"pid\":[0-9]+\}$ ]] || fail "not {\"pid\":N}: $output"
  pid=$(container_pid)
  [ "$(rt state "$ID" | jq .pid)" = "$pid" ]
  running
  # the shim is the container's parent (a subreaper), not our child, and
  # it has left our session
  shim_pid=$(cat "$STATE/shim.pid")
  [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$shim_pid" ]
  [ "$(ps -o sid= -p "$shim_pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
  [ "$(jq -r .status "$STATE/status.json")" = running ]
}

@test "cairn-shim: the container's output lands in the log in order, stream by stream" {
  make_bundle sh -c 'i=1; while [ $i -le 200 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done'
  start_shim
  assert_success
  wait_done
  expected_out=$(for i in $(seq 200); do echo "out $i"; done)
  expected_err=$(for i in $(seq 200); do echo "err $i"; done)
  assert_equal "$(log_of stdout)" "$expected_out"
  assert_equal "$(log_of stderr)" "$expected_err"
  # every entry is docker's json-file shape, keys in docker's order
  run_logged jq -c 'keys_unsorted' "$STATE/ctr.log"
  [ "$(echo "$output" | sort -u)" = '["log","stream","time"]' ]
  run_logged jq -r .time "$STATE/ctr.log"
  [ "${#lines[@]}" = 400 ]
  bad=$(echo "$output" | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$' || true)
  [ "$bad" = 0 ] || fail "$bad timestamps are not RFC 3339 UTC"
}

@test "cairn-shim: log lines are escaped as docker's json-file, partial lines kept" {
  make_bundle sh -c 'printf "tab\there <&> \"q\" \\\\ \001\n"; printf "bad \377\376 utf8 é\n"; head -c 20000 /dev/zero | tr "\0" a; echo; printf "no newline"'
  start_shim
  assert_success
  wait_done
  run_logged sed -n 1,2p "$STATE/ctr.log"
  assert_line --index 0 --partial '{"log":"tab\u0009here \u003c\u0026\u003e \"q\" \\ \u0001\n","stream":"stdout","time":"'
  assert_line --index 1 --partial '{"log":"bad \ufffd\ufffd utf8 é\n","stream":"stdout"'
  # a 20000-byte line: one 16 KiB partial entry without "\n", then the rest
  [ "$(sed -n 3p "$STATE/ctr.log" | jq -j .log | wc -c)" = 16384 ]
  [ "$(sed -n 4p "$STATE/ctr.log" | jq -r .log | tr -d a)" = "" ]
  [ "$(sed -n 4p "$STATE/ctr.log" | jq -j .log | wc -c)" = $((20000 - 16384 + 1)) ]
  # what is left at EOF is logged without a newline
  [ "$(sed -n 5p "$STATE/ctr.log" | jq .log)" = '"no newline"' ]
  [ "$(wc -l <"$STATE/ctr.log")" = 5 ]
}

@test "cairn-shim: exit codes 0 and 3 reach exit.json" {
  for code in 0 3; do
    rm -rf "$BUNDLE" "$STATE"
    make_bundle sh -c "exit $code"
    start_shim
    assert_success
    wait_done
    run_logged jq -c '{exitCode, signal, oomKilled}' "$STATE/exit.json"
    assert_output "{\"exitCode\":$code,\"signal\":0,\"oomKilled\":false}"
    jq -e '.finishedAt | test("Z$")' "$STATE/exit.json"
    assert_json_schema "$CAIRN_SRC/spec/schema/exit.schema.json" "$STATE/exit.json"
    [ "$(jq -r .status "$STATE/status.json")" = exited ]
  done
}

@test "cairn-shim: a container killed by a signal exits 128+n" {
  make_bundle sleep 100
  start_shim
  assert_success
  rt kill "$ID" KILL
  wait_done
  run_logged jq -c '{exitCode, signal}' "$STATE/exit.json"
  assert_output '{"exitCode":137,"signal":9}'
  # the shim deleted the container from the runtime
  run_logged rt list -q
  assert_output ""
}

@test "cairn-shim: a container killed by its memory limit shows oomKilled" {
  requires cgroup_v1
  make_bundle -f '.linux.resources.memory = {limit: 16777216}' \
    sh -c 'echo start; exec dd if=/dev/zero of=/dev/null bs=64M count=1'
  start_shim
  assert_success
  wait_done
  run_logged jq -c '{exitCode, signal, oomKilled}' "$STATE/exit.json"
  assert_output '{"exitCode":137,"signal":9,"oomKilled":true}'
  [ "$(log_of stdout)" = start ]
}

@test "cairn-shim: the container outlives its caller" {
  make_bundle sleep 100
  # the caller: a shell that starts the shim, then waits around to be killed
  setsid bash -c 'cairn-shim --runtime "$0" --runtime-root "$RT" --id "$ID" --bundle "$BUNDLE" --state "$STATE" >"$T/out"; exec sleep 100' "$SHIM_RUNTIME" &
  caller=$!
  wait_file "$T/out"
  cat "$STATE/shim.pid" >>"$T/shim-pids"
  kill -KILL -- -"$caller"
  wait "$caller" || true
  sleep 0.2
  shim_alive "$(cat "$STATE/shim.pid")"
  running
}

@test "cairn-shim: killed with SIGKILL, the shim leaves its container running and stoppable" {
  make_bundle sleep 100
  start_shim
  assert_success
  pid=$(container_pid)
  kill -KILL "$(cat "$STATE/shim.pid")"
  retry 50 0.1 bash -c "! grep -qa cairn-shim /proc/$(cat "$STATE/shim.pid")/cmdline 2>/dev/null"
  running
  kill -0 "$pid"
  run_logged rt kill "$ID" KILL
  assert_success
  retry 50 0.1 bash -c "! kill -0 $pid 2>/dev/null"
  run_logged rt delete "$ID"
  assert_success
  run_logged rt list -q
  assert_output ""
}

@test "cairn-shim: --on-exit runs after exit.json and the runtime's delete" {
  make_bundle sh -c 'exit 7'
  start_shim --on-exit "cat '$STATE/exit.json' >'$T/seen'; $SHIM_RUNTIME --root '$RT' list -q >'$T/list'; echo \$CAIRN_EXIT_CODE >'$T/code'"
  assert_success
  wait_done
  [ "$(jq .exitCode "$T/seen")" = 7 ]
  [ "$(cat "$T/code")" = 7 ]
  [ -f "$T/list" ] && [ ! -s "$T/list" ]
}

@test "cairn-shim: no such runtime is an error and leaves nothing behind" {
  make_bundle true
  run_logged cairn-shim --runtime /nonexistent/runc --id "$ID" --bundle "$BUNDLE" --state "$STATE"
  assert_failure
  echo "$output" | jq -e '.error.msg | test("runtime .*/nonexistent/runc")'
  [[ $stderr == *"runtime '/nonexistent/runc'"* ]]
  [ ! -e "$STATE" ]
}

@test "cairn-shim: a missing bundle is an error and leaves nothing behind" {
  start_shim
  assert_failure
  echo "$output" | jq -e '.error.msg | test("bundle")'
  [[ $stderr == *"bundle '$BUNDLE'"* ]]
  [ ! -e "$STATE" ]
  run_logged rt list -q
  assert_output ""
}

@test "cairn-shim: a runtime failure reports the runtime's cause and leaves nothing running" {
  make_bundle /no/such/command
  start_shim
  assert_failure 1
  echo "$output" | jq -e '.error.code == "failed"'
  echo "$output" | jq -e --arg id "$ID" '.error.msg | startswith("create \u0027\($id)\u0027: ") and test("/no/such/command")'
  [ "$(echo "$stderr" | wc -l)" = 1 ]
  [ ! -e "$STATE" ]
  run_logged rt list -q
  assert_output ""
  run pgrep -f -- "--state $STATE"
  assert_failure 1
}

@test "cairn-shim: --tty that the bundle does not ask for is refused" {
  make_bundle true
  start_shim --tty
  assert_failure 2
  echo "$output" | jq -e '.error.code == "usage"'
  [[ $stderr == *"process.terminal is false"* ]]
}

@test "cairn-shim: bad flags are usage errors" {
  make_bundle true
  for args in "--restart sometimes" "--log-max-size lots" "--health-interval 5" "--bogus" "--detach-keys ctrl-%"; do
    # shellcheck disable=SC2086
    start_shim $args
    assert_failure 2
    echo "$output" | jq -e '.error.code == "usage"'
  done
  run_logged cairn-shim --id x
  assert_failure 2
  [[ $stderr == *"--runtime, --id, --bundle and --state are required"* ]]
  [ ! -e "$STATE" ]
}

@test "cairn-shim: a second shim for the same state dir is refused" {
  make_bundle sleep 100
  start_shim
  assert_success
  ID=$ID-2 start_shim
  assert_failure
  [[ $stderr == *"in use by another shim"* ]]
  running
}

@test "cairn-shim: --help" {
  run_logged cairn-shim --help
  assert_success
  assert_output --partial "Usage: cairn-shim --runtime PATH"
}

@test "cairn-shim --runtime-arg: global flags reach every runtime call" {
  make_bundle sh -c 'exit 0'
  start_shim --runtime-arg --debug
  assert_success
  wait_done
  # runc --debug logs at debug level into the --log file the shim gives it
  grep -q '"level":"debug"' "$STATE/runtime.log"
}

@test "cairn-shim: a state dir too long for a socket path works, --tty included" {
  STATE="$T/$(printf 'd%.0s' {1..120})/state"
  make_bundle -t sh -c 'read -r l; echo "got $l"'
  start_shim --tty --stdin
  assert_success
  [ -S "$STATE/attach.sock" ]
  # a client reaches it through an fd of the dir, as the shim binds it
  exec {dfd}<"$STATE"
  echo hi | "$CLIENT" attach "/proc/self/fd/$dfd/attach.sock" --stdin >"$T/out"
  exec {dfd}<&-
  grep -q "got hi" "$T/out"
  wait_done
}
