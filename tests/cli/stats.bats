#!/usr/bin/env bats
# cairn stats: docker's resource table with numbers read from the runtime
# (`events --stats`) and the container's network namespace.

load helpers

@test "cairn stats --no-stream: docker's columns; CPU, memory limit and PIDS are the container's" {
  cairn run -d --name burn -m 64m busybox sh -c 'sleep 300 & sleep 301 & while :; do :; done' >/dev/null
  cairn run -d --name idle busybox sleep 300 >/dev/null
  retry 50 0.1 sh -c '[ "$(cairn top burn | grep -c "sleep 30[01]$")" = 2 ]'
  run_logged cairn stats --no-stream
  assert_success
  assert_line --index 0 --regexp '^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$'
  assert_equal "${#lines[@]}" 3
  burn=$(cairn stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' burn)
  read -r name cpu used slash limit pids <<<"$burn"
  assert_equal "$name" burn
  assert_equal "$limit" 64MiB
  assert_equal "$pids" 3 # sh and two sleeps
  # a busy loop uses the best part of a CPU
  [[ $cpu =~ ^[0-9]+\.[0-9]{2}%$ ]]
  awk -v c="${cpu%\%}" 'BEGIN { exit !(c > 20) }' || fail "burn uses $cpu"
  idle=$(cairn stats --no-stream --format '{{.CPUPerc}} {{.PIDs}} {{.MemPerc}}' idle)
  read -r cpu pids memp <<<"$idle"
  awk -v c="${cpu%\%}" 'BEGIN { exit !(c < 5) }' || fail "idle uses $cpu"
  assert_equal "$pids" 1
  # no limit: the host's memory
  host=$(awk '/MemTotal/ { printf "%.4gGiB", $2 / 1024 / 1024 }' /proc/meminfo)
  lim=$(cairn stats --no-stream --format '{{.MemUsage}}' idle | sed 's|.* / ||')
  run_logged cairn stats --no-stream --format '{{json .}}' idle
  assert_output --regexp '^\{"BlockIO":"[^"]+","CPUPerc":"[0-9.]+%","Container":"idle","ID":"[0-9a-f]{12}","MemPerc":"[0-9.]+%","MemUsage":"[^"]+","Name":"idle","NetIO":"[^"]+","PIDs":"1"\}$'
  assert_equal "$lim" "$host"
}

@test "cairn stats: NET I/O counts the container's traffic; --no-trunc shows full ids" {
  port=$(free_port)
  web www "$port"
  before=$(cairn stats --no-stream --format '{{.NetIO}}' www)
  for i in $(seq 20); do http "$port" >/dev/null; done
  after=$(cairn stats --no-stream --format '{{.NetIO}}' www)
  [ "$before" != "$after" ] || fail "NET I/O did not move: $before"
  [[ $after =~ ^[0-9.]+k?B\ /\ [0-9.]+k?B$ ]] || fail "NET I/O $after"
  rx=${after%% *}
  [[ $rx == *kB ]] || fail "20 requests received only $rx"
  run_logged cairn stats --no-stream --no-trunc --format '{{.ID}}' www
  assert_output "$(cid www)"
}

@test "cairn stats -a: stopped containers read as zeros; named ones only; unknown fails" {
  cairn run --name done busybox true
  cairn run -d --name up busybox sleep 300 >/dev/null
  run_logged cairn stats --no-stream --format '{{.Name}}'
  assert_output up
  run_logged cairn stats -a --no-stream --format '{{.Name}} {{.CPUPerc}} {{.PIDs}}'
  assert_line 'done 0.00% 0'
  assert_line --regexp '^up [0-9.]+% 1$'
  run_logged cairn stats --no-stream --format '{{.Container}}' done
  assert_output done
  run_logged cairn stats --no-stream nosuch
  assert_failure
  [[ $stderr == *nosuch* ]]
  run_logged cairn stats --no-stream --format '{{.Nope' up
  assert_failure
  [[ $stderr == *"template parsing error"* ]]
}

@test "cairn stats (live): redraws the table until interrupted" {
  cairn run -d --name lv busybox sleep 300 >/dev/null
  cairn stats --format '{{.Name}} {{.PIDs}}' >"$T/live" 2>&1 &
  pid=$!
  retry 60 0.1 sh -c "[ \$(grep -c '^.*lv 1' '$T/live') -ge 2 ]"
  kill "$pid"
  wait "$pid" || true
  grep -q $'\033\[2J' "$T/live"
}
