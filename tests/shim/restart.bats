#!/usr/bin/env bats
# cairn-shim: restart policies, docker's backoff, stopping through ctl.sock.

load helpers

runs() { log_of stdout | grep -c '^run$'; }

@test "cairn-shim --restart on-failure:3 restarts a failing container exactly 3 times" {
  make_bundle sh -c 'echo run; exit 1'
  start_shim --restart on-failure:3
  assert_success
  wait_done
  [ "$(runs)" = 4 ]
  run_logged jq -c '{status, restartCount}' "$STATE/status.json"
  assert_output '{"status":"exited","restartCount":3}'
  [ "$(jq .exitCode "$STATE/exit.json")" = 1 ]
  run_logged rt list -q
  assert_output ""
}

@test "cairn-shim --restart on-failure does not restart a container that succeeded" {
  make_bundle sh -c 'echo run; exit 0'
  start_shim --restart on-failure
  assert_success
  wait_done
  [ "$(runs)" = 1 ]
  [ "$(jq .restartCount "$STATE/status.json")" = 0 ]
}

@test "cairn-shim --restart no (the default) never restarts" {
  make_bundle sh -c 'echo run; exit 1'
  start_shim
  assert_success
  wait_done
  [ "$(runs)" = 1 ]
}

@test "cairn-shim --restart always: backoff doubles from 100ms; stop ends it" {
  make_bundle sh -c 'echo run; exit 0'
  start_shim --restart always --on-exit "touch '$T/on-exit'"
  assert_success
  # 100+200+400+800 ms of backoff: about 5 runs in 2 s, far from hundreds
  sleep 2
  n=$(runs)
  [ "$n" -ge 3 ] && [ "$n" -le 7 ] || fail "$n runs in 2s"
  [ "$(jq -r .status "$STATE/status.json")" != exited ]
  [ ! -e "$T/on-exit" ]
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" stop 1s
  assert_success
  assert_output ok
  wait_done
  [ "$(jq -r .status "$STATE/status.json")" = exited ]
  [ -e "$T/on-exit" ]
  n2=$(runs)
  sleep 0.5
  [ "$(runs)" = "$n2" ]
}

@test "cairn-shim ctl: stop sends the signal, then SIGKILL after the timeout; no restart" {
  make_bundle sleep 100
  start_shim --restart always
  assert_success
  # sleep as pid 1 ignores SIGTERM: the timeout's SIGKILL ends it
  t0=$(date +%s%N)
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" stop 500ms TERM
  assert_success
  wait_done
  ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$ms" -ge 400 ] || fail "killed after ${ms}ms, before the timeout"
  run_logged jq -c '{exitCode, signal}' "$STATE/exit.json"
  assert_output '{"exitCode":137,"signal":9}'
  [ "$(jq .restartCount "$STATE/status.json")" = 0 ]
}

@test "cairn-shim ctl: kill sends a signal and the restart policy still applies" {
  make_bundle sh -c 'trap "echo usr1; exit 5" USR1; echo run; while :; do sleep 0.1; done'
  start_shim --restart on-failure:1
  assert_success
  retry 50 0.1 bash -c "[ \"\$(jq -j 'select(.stream==\"stdout\")|.log' '$STATE/ctr.log' | grep -c '^run$')\" = 1 ]"
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" kill USR1
  assert_success
  retry 50 0.1 bash -c "[ \"\$(jq -j 'select(.stream==\"stdout\")|.log' '$STATE/ctr.log' | grep -c '^run$')\" = 2 ]"
  [ "$(jq .restartCount "$STATE/status.json")" = 1 ]
}

@test "cairn-shim ctl: bad commands get an error reply" {
  make_bundle sleep 100
  start_shim
  assert_success
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" frobnicate
  assert_failure
  assert_output --partial "error: unknown command 'frobnicate'"
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" kill NOSUCHSIG
  assert_failure
  assert_output --partial "unknown signal"
  running
}

@test "cairn-shim: a stop file in the state dir ends restarting" {
  make_bundle sh -c 'echo run; sleep 0.3; exit 1'
  start_shim --restart always
  assert_success
  touch "$STATE/stop"
  wait_done
  [ "$(runs)" = 1 ]
}

@test "cairn-shim: SIGTERM to the shim stops the container for good" {
  make_bundle sh -c 'trap "exit 0" TERM; echo run; while :; do sleep 0.1; done'
  start_shim --restart always
  assert_success
  retry 50 0.1 bash -c "grep -q run '$STATE/ctr.log'"
  kill -TERM "$(cat "$STATE/shim.pid")"
  wait_done
  [ "$(jq .exitCode "$STATE/exit.json")" = 0 ]
  [ "$(runs)" = 1 ]
}
