#!/usr/bin/env bats
# cairn-shim: healthchecks run through `<runtime> exec`, kept in health.json.

load helpers

health() { jq -r "$1" "$STATE/health.json"; }

@test "cairn-shim --health-cmd: a passing check turns the status healthy" {
  make_bundle sleep 100
  start_shim --health-cmd 'echo fine; test -d /proc/1' --health-interval 200ms
  assert_success
  [ "$(health .Status)" = starting ]
  retry 50 0.1 bash -c "[ \"\$(jq -r .Status '$STATE/health.json')\" = healthy ]"
  [ "$(health .FailingStreak)" = 0 ]
  [ "$(health '.Log[0].ExitCode')" = 0 ]
  [ "$(health '.Log[0].Output')" = fine ]
  health '.Log[0].Start, .Log[0].End' | grep -qE 'Z$'
}

@test "cairn-shim --health-cmd: a failing check turns unhealthy after the retries" {
  make_bundle sleep 100
  start_shim --health-cmd 'echo nope >&2; exit 1' --health-interval 200ms --health-retries 3
  assert_success
  # after two failures it is still starting
  retry 50 0.1 bash -c "[ \"\$(jq .FailingStreak '$STATE/health.json')\" -ge 2 ]"
  # (one read of the file: streak and status from the same moment)
  run_logged jq -r '"\(.FailingStreak) \(.Status)"' "$STATE/health.json"
  [[ $output == "2 starting" || $output == [3-9]" unhealthy" ]] || fail "streak and status: $output"
  retry 50 0.1 bash -c "[ \"\$(jq -r .Status '$STATE/health.json')\" = unhealthy ]"
  [ "$(health .FailingStreak)" -ge 3 ]
  [ "$(health '.Log[-1].ExitCode')" = 1 ]
  [ "$(health '.Log[-1].Output')" = nope ]
  # the log keeps the last five results
  retry 50 0.1 bash -c "[ \"\$(jq .FailingStreak '$STATE/health.json')\" -ge 7 ]"
  [ "$(health '.Log | length')" = 5 ]
  running
}

@test "cairn-shim --health-start-period: failures inside it do not count" {
  make_bundle sleep 100
  start_shim --health-cmd 'exit 1' --health-interval 100ms --health-retries 1 --health-start-period 2s
  assert_success
  retry 50 0.1 bash -c "[ \"\$(jq '.Log | length' '$STATE/health.json')\" -ge 3 ]"
  [ "$(health .Status)" = starting ]
  [ "$(health .FailingStreak)" = 0 ]
  retry 50 0.1 bash -c "[ \"\$(jq -r .Status '$STATE/health.json')\" = unhealthy ]"
}

@test "cairn-shim --health-timeout: a check that hangs is killed and counts as a failure" {
  make_bundle sleep 100
  # (the shell stays as the parent of sleep: both must go)
  start_shim --health-cmd 'sleep 30; echo never' --health-interval 100ms --health-timeout 300ms --health-retries 1
  assert_success
  retry 50 0.1 bash -c "[ \"\$(jq -r .Status '$STATE/health.json')\" = unhealthy ]"
  [ "$(health '.Log[0].ExitCode')" = -1 ]
  [ "$(health '.Log[0].Output')" = "Health check exceeded timeout (300ms)" ]
  # timed-out probes do not pile up in the container: at most the one
  # running now is left
  retry 50 0.1 bash -c "[ \"\$(jq '.Log | length' '$STATE/health.json')\" -ge 4 ]"
  ns=$(readlink "/proc/$(container_pid)/ns/pid")
  n=0
  for p in $(pgrep -x sleep); do
    if [ "$(readlink "/proc/$p/ns/pid")" = "$ns" ] && grep -qa 30 "/proc/$p/cmdline"; then n=$((n + 1)); fi
  done
  [ "$n" -le 1 ] || fail "$n probes still running"
}

@test "cairn-shim --health-test: the image config's exec form" {
  make_bundle sleep 100
  start_shim --health-test '["CMD","/bin/sh","-c","echo exec-form"]' --health-interval 100ms
  assert_success
  retry 50 0.1 bash -c "[ \"\$(jq -r .Status '$STATE/health.json')\" = healthy ]"
  [ "$(health '.Log[0].Output')" = exec-form ]
}

@test "cairn-shim --health-test: bad shapes are usage errors" {
  make_bundle sleep 100
  for t in '"CMD"' '[]' '["CMD"]' '["RUN","x"]' '[1]'; do
    start_shim --health-test "$t"
    assert_failure 2
  done
}
