#!/usr/bin/env bats
# cairn-runtime: what the runtime does with the cgroup module — limits from
# linux.resources seen inside the container, cgroupsPath, pause/resume,
# update, events --stats, kill --all, and cleanup on delete.  (The module's
# own suites are cgroup_v1.bats and cgroup_v2.bats.)

load runtime_common

@test "linux.resources limits are what the container sees" {
  requires root cgroup_v1
  rt_bundle sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.shares'
  config_edit "$T/bundle" '.linux.resources += {"memory": {"limit": 67108864}, "pids": {"limit": 42}, "cpu": {"shares": 512}}'
  run_logged rt run -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '67108864\n42\n512')" ]
}

@test "the default cgroup is /cairn/ID; cgroupsPath moves it; delete removes it" {
  requires root cgroup_v1
  rt_bundle sleep 100
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  grep -q "^[0-9]*:pids:/cairn/$ID$" /proc/"$pid"/cgroup
  [ -d "/sys/fs/cgroup/pids/cairn/$ID" ]
  rt delete --force "$ID"
  [ ! -e "/sys/fs/cgroup/pids/cairn/$ID" ]
  config_edit "$T/bundle" '.linux.cgroupsPath = $p' --arg p "/cairn-rt-test/$ID"
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  grep -q "^[0-9]*:memory:/cairn-rt-test/$ID$" /proc/"$pid"/cgroup
  rt delete --force "$ID"
  [ ! -e "/sys/fs/cgroup/memory/cairn-rt-test/$ID" ]
  rmdir /sys/fs/cgroup/*/cairn-rt-test 2>/dev/null || true
}

@test "--systemd-cgroup maps slice:prefix:name to /slice/prefix-name.scope" {
  requires root cgroup_v1
  rt_bundle sleep 100
  config_edit "$T/bundle" '.linux.cgroupsPath = $p' --arg p "cairn-test.slice:crt:$ID"
  cairn-runtime --systemd-cgroup --root "$T/state" run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  grep -q "^[0-9]*:pids:/cairn-test.slice/crt-$ID.scope$" /proc/"$pid"/cgroup
  cairn-runtime --systemd-cgroup --root "$T/state" delete --force "$ID"
  [ ! -e "/sys/fs/cgroup/pids/cairn-test.slice/crt-$ID.scope" ]
  rmdir /sys/fs/cgroup/*/cairn-test.slice 2>/dev/null || true
}

tick_moved() { [ "$(cat "$T/bundle/rootfs/tmp/tick" 2>/dev/null)" != "$1" ]; }

@test "pause freezes every process, resume thaws them" {
  requires root
  rt_bundle sh -c 'while :; do date +%s%N > /tmp/tick; sleep 0.05; done'
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  sleep 0.3
  run_logged rt pause "$ID"
  [ "$status" -eq 0 ]
  [ "$(rt_status "$ID")" = paused ]
  a="$(cat "$T/bundle/rootfs/tmp/tick")"
  sleep 0.4
  [ "$(cat "$T/bundle/rootfs/tmp/tick")" = "$a" ]
  run_logged rt pause "$ID"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"is not running (paused)"* ]]
  run_logged rt resume "$ID"
  [ "$status" -eq 0 ]
  [ "$(rt_status "$ID")" = running ]
  # thawed: the loop ticks again (soon, though a loaded machine may be slow)
  wait_until 10 tick_moved "$a" || fail "no tick after resume"
  run_logged rt resume "$ID"
  [ "$status" -eq 1 ]
  # a paused container is deleted with --force
  rt pause "$ID"
  run_logged rt delete --force "$ID"
  [ "$status" -eq 0 ]
}

@test "update changes limits from flags and from a resources file" {
  requires root cgroup_v1
  rt_bundle sleep 100
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged rt update --memory 128m --pids-limit 50 --cpu-quota 50000 --cpu-period 100000 "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat /sys/fs/cgroup/memory/cairn/"$ID"/memory.limit_in_bytes)" = 134217728 ]
  [ "$(cat /sys/fs/cgroup/pids/cairn/"$ID"/pids.max)" = 50 ]
  [ "$(cat /sys/fs/cgroup/cpu/cairn/"$ID"/cpu.cfs_quota_us)" = 50000 ]
  echo '{"pids": {"limit": 60}}' | rt update -r - "$ID"
  [ "$(cat /sys/fs/cgroup/pids/cairn/"$ID"/pids.max)" = 60 ]
  run_logged rt update --memory lots "$ID"
  [ "$status" -ne 0 ]
  [ "$(cat /sys/fs/cgroup/memory/cairn/"$ID"/memory.limit_in_bytes)" = 134217728 ]
}

@test "events --stats prints runc's stats object" {
  requires root
  rt_bundle sleep 100
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged rt events --stats "$ID"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.type + " " + .id' <<<"$output")" = "stats $ID" ]
  jq -e '.data.memory.usage.usage > 0 and .data.pids.current == 1 and (.data.cpu.usage.total | type) == "number"' <<<"$output"
}

@test "events reports an OOM kill as it happens and ends when the container stops" {
  requires root cgroup_v1
  # the process waits for /go, then dd touches a 64 MiB buffer under a
  # 16 MiB limit: the kernel kills dd, the shell lives on
  rt_bundle sh -c 'until [ -e /go ]; do sleep 0.1; done; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 100'
  config_edit "$T/bundle" '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  rt events --interval 60 "$ID" >"$T/events" 2>"$T/events.err" &
  ev=$!
  # the first stats line comes once the OOM watch is in place
  wait_until 10 grep -q '"type":"stats"' "$T/events"
  ! grep -q '"type":"oom"' "$T/events" || false
  touch "$T/bundle/rootfs/go"
  wait_until 10 grep -q '"type":"oom"' "$T/events"
  [ "$(grep -v '"type":"stats"' "$T/events")" = "{\"type\":\"oom\",\"id\":\"$ID\"}" ]
  # the kernel agrees
  [ "$(rt events --stats "$ID" | jq .data.memory.event_count.oom_kill)" -ge 1 ]
  [ "$(rt state "$ID" | jq -r .status)" = running ]
  # events ends by itself when the container stops
  rt kill "$ID" KILL
  wait_until 10 sh -c "! kill -0 $ev 2>/dev/null"
  wait "$ev"
  [ ! -s "$T/events.err" ]
}

@test "kill --all signals every process of the container" {
  requires root
  rt_bundle sh -c 'sleep 100 & sleep 100 & wait'
  config_edit "$T/bundle" '.linux.namespaces |= map(select(.type != "pid"))'
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  nprocs() { [ "$(rt ps --format json "$ID" | jq length)" -eq "$1" ]; }
  wait_until 5 nprocs 3
  pids="$(rt ps --format json "$ID" | jq -r '.[]')"
  run_logged rt kill --all "$ID" KILL
  [ "$status" -eq 0 ]
  for p in $pids; do
    wait_until 5 sh -c "! kill -0 $p 2>/dev/null"
  done
}
