#!/usr/bin/env bats
# cairn's state under concurrency and crashes: parallel runs, racing
# commands, a cairn killed mid-command, a killed shim, a lost /run.

load helpers

@test "20 cairn run -d in parallel: 20 distinct names, ids and addresses" {
  pids=()
  for i in $(seq 20); do
    cairn run -d busybox sleep 100 >"$T/out.$i" 2>"$T/err.$i" &
    pids+=($!)
  done
  wait "${pids[@]}" # not a bare wait: that would wait for bats' timeout timer too
  for i in $(seq 20); do
    [ ! -s "$T/err.$i" ] || fail "run $i: $(cat "$T/err.$i")"
  done
  run_logged cairn ps -q --no-trunc
  assert_equal "${#lines[@]}" 20
  assert_equal "$(cat "$T"/out.* | sort -u | wc -l)" 20
  run_logged cairn inspect -f '{{.Name}} {{.NetworkSettings.IPAddress}} {{.State.Status}}' $(cairn ps -q)
  assert_equal "$(awk '{print $1}' <<<"$output" | sort -u | wc -l)" 20
  assert_equal "$(awk '{print $2}' <<<"$output" | sort -u | grep -c '^10\.198\.')" 20
  assert_equal "$(awk '{print $3}' <<<"$output" | sort -u)" running
  for f in "$CAIRN_ROOT"/containers/*/container.json; do jq -e .id "$f" >/dev/null; done
}

@test "cairn rm -f racing cairn stop: both succeed, nothing is left" {
  for i in 1 2 3 4 5; do
    cairn run -d --name race$i busybox sleep 100 >/dev/null
  done
  pids=()
  for i in 1 2 3 4 5; do
    cairn stop -t 1 race$i >"$T/stop.$i" 2>&1 &
    pids+=($!)
    cairn rm -f race$i >"$T/rm.$i" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  for i in 1 2 3 4 5; do
    assert_equal "$(cat "$T/rm.$i")" "race$i"
  done
  run_logged cairn ps -aq
  assert_output ""
  [ -z "$(ls "$CAIRN_ROOT/containers")" ]
  [ -z "$(ls "$CAIRN_RUN/netns")" ]
}

@test "a cairn killed mid-run leaves a state ps shows and rm -f cleans up" {
  for delay in 0.02 0.05 0.08 0.12 0.2 0.3; do
    cairn run -d busybox sleep 100 >/dev/null 2>&1 3>&- &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  sleep 1 # what the killed cairn had started finishes
  run_logged cairn ps -a
  assert_success
  for id in $(cairn ps -aq --no-trunc); do
    run_logged cairn rm -f "$id"
    assert_success
  done
  # half-made containers (killed before their first record) may remain as
  # dirs only a prune finds; none of them holds a mount
  ! grep -q "$CAIRN_ROOT" /proc/self/mountinfo
  [ -z "$(ls "$CAIRN_RUN/netns" 2>/dev/null)" ]
}

@test "a killed shim: the container shows as exited and rm -f removes everything" {
  cairn run -d --name orphan busybox sleep 100 >/dev/null
  id=$(cid orphan)
  pid=$(cairn inspect -f '{{.State.Pid}}' orphan)
  shim=$(cat "$CAIRN_RUN/containers/$id/shim.pid")
  [ "$pid" -gt 1 ] && [ "$shim" -gt 1 ]
  kill -KILL "$shim"
  retry 30 0.1 sh -c "[ \"\$(cairn inspect -f '{{.State.Status}}' orphan)\" = exited ]"
  run_logged cairn ps -a --format '{{.Status}}'
  assert_output --regexp '^Exited \(255\)'
  run_logged cairn rm -f orphan
  assert_success
  ! kill -0 "$pid" 2>/dev/null || ! grep -qs '^State:.*[RSD]' "/proc/$pid/status" || fail "the container still runs"
  ! grep -q "$id" /proc/self/mountinfo
}

@test "a reboot-like loss of /run: containers show as Exited and start again" {
  port=$(free_port)
  web survivor "$port"
  id=$(cid survivor)
  pid=$(cairn inspect -f '{{.State.Pid}}' survivor)
  shim=$(cat "$CAIRN_RUN/containers/$id/shim.pid")
  [ "$pid" -gt 1 ] && [ "$shim" -gt 1 ]
  # what a reboot does: every process ends, every mount and /run go away
  kill -KILL "$shim" "$pid"
  sleep 0.3
  umount "$CAIRN_ROOT/containers/$id/bundle/rootfs"
  umount "$CAIRN_RUN/netns/$id"
  umount "$CAIRN_RUN/netns"
  rm -rf "$CAIRN_RUN"
  nft delete table ip "$TABLE"
  find /sys/fs/cgroup -depth -type d -path "*$CGPARENT*" -exec rmdir {} + 2>/dev/null || true
  run_logged cairn ps -a --format '{{.Names}} {{.Status}}'
  assert_output --regexp '^survivor Exited \(255\)'
  run_logged cairn start survivor
  assert_success
  retry 50 0.1 http "$port" >/dev/null
  assert_equal "$(http "$port")" "hello from survivor"
}

@test "container.json follows its contract (spec/schema/container.schema.json)" {
  run_logged cairn create --name contract -p 127.0.0.1:18099:80 --restart on-failure:2 -l a=b busybox sleep 5
  assert_success
  local f="$CAIRN_ROOT/containers/$output/container.json"
  [ -f "$f" ] || fail "no $f"
  assert_json_schema "$CAIRN_SRC/spec/schema/container.schema.json" "$f"
  run_logged cairn rm contract
  assert_success
}
