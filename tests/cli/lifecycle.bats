#!/usr/bin/env bats
# cairn create/start/stop/kill/restart/rm/wait/rename and how containers
# are named: full ids, unique prefixes, names, `container X` aliases.

load helpers

@test "cairn create + start: created holds no mount; start runs it" {
  run_logged cairn create --name c1 busybox sh -c 'echo started; sleep 100'
  assert_success
  id=$output
  [[ $id =~ ^[0-9a-f]{64}$ ]]
  run_logged cairn ps -a --format '{{.Names}} {{.Status}}'
  assert_output "c1 Created"
  ! grep -q "$id" /proc/self/mountinfo
  run_logged cairn start c1
  assert_success
  assert_output c1
  is_running c1
  retry 30 0.1 sh -c "cairn logs c1 | grep -q started"
}

@test "cairn start -a: attaches and returns the exit code" {
  cairn create --name c2 busybox sh -c 'echo attached-out; exit 6' >/dev/null
  run_logged cairn start -a c2
  assert_equal "$status" 6
  assert_output attached-out
  run_logged cairn ps -a --format '{{.Status}}'
  assert_output --regexp '^Exited \(6\) (Less than a second|[0-9]+ seconds?) ago$'
}

@test "cairn stop: the stop signal, then SIGKILL after -t; status Exited (137)" {
  # sleep as pid 1 ignores SIGTERM: only the SIGKILL after the timeout ends it
  cairn run -d --name s1 busybox sleep 100 >/dev/null
  start=$SECONDS
  run_logged cairn stop -t 1 s1
  assert_success
  assert_output s1
  [ $((SECONDS - start)) -le 5 ]
  run_logged cairn inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' s1
  assert_output "exited 137 false"
}

@test "cairn stop: a process that handles SIGTERM exits at once with its code" {
  cairn run -d --name s2 busybox sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done' >/dev/null
  sleep 0.3
  start=$SECONDS
  run_logged cairn stop s2
  assert_success
  [ $((SECONDS - start)) -le 3 ]
  assert_equal "$(cairn inspect -f '{{.State.ExitCode}}' s2)" 3
}

@test "cairn stop of a stopped container succeeds; of an unknown one fails with exit 1" {
  cairn run --name s3 busybox true
  run_logged cairn stop s3
  assert_success
  run_logged cairn stop nosuch
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: no such container: nosuch"
}

@test "cairn kill: SIGKILL by default, -s another signal" {
  cairn run -d --name k1 busybox sh -c 'trap "echo got-usr1" USR1; while :; do sleep 0.1; done' >/dev/null
  sleep 0.3
  run_logged cairn kill -s USR1 k1
  assert_success
  retry 30 0.1 sh -c "cairn logs k1 | grep -q got-usr1"
  is_running k1
  run_logged cairn kill k1
  assert_success
  assert_output k1
  assert_equal "$(cairn inspect -f '{{.State.Status}} {{.State.ExitCode}}' k1)" "exited 137"
  run_logged cairn kill k1
  assert_equal "$status" 1
  [[ $stderr == *"is not running"* ]]
  run_logged cairn kill -s NOSUCHSIG k1
  assert_equal "$status" 125
}

@test "cairn restart: a new process, the same container" {
  cairn run -d --name r1 busybox sh -c 'echo run; sleep 100' >/dev/null
  pid1=$(cairn inspect -f '{{.State.Pid}}' r1)
  run_logged cairn restart -t 0 r1
  assert_success
  is_running r1
  pid2=$(cairn inspect -f '{{.State.Pid}}' r1)
  [ "$pid1" != "$pid2" ]
  retry 30 0.1 sh -c '[ "$(cairn logs r1 | grep -c run)" = 2 ]'
}

@test "cairn rm: refuses a running container; -f removes it; both print the name" {
  cairn run -d --name rm1 busybox sleep 100 >/dev/null
  run_logged cairn rm rm1
  assert_equal "$status" 1
  assert_equal "$stderr" 'cairn: cannot remove container "rm1": container is running: stop the container before removing or force remove'
  is_running rm1
  run_logged cairn rm -f rm1
  assert_success
  assert_output rm1
  run_logged cairn ps -aq
  assert_output ""
}

@test "cairn rm -v removes anonymous volumes; named ones stay" {
  cairn run --name v1 -v /anon -v named:/named busybox true
  anon=$(cairn inspect -f '{{json .Mounts}}' v1 | jq -r '.[] | select(.Destination == "/anon") | .Name')
  [ -d "$CAIRN_ROOT/volumes/$anon" ]
  run_logged cairn rm -v v1
  assert_success
  [ ! -e "$CAIRN_ROOT/volumes/$anon" ]
  [ -d "$CAIRN_ROOT/volumes/named" ]
}

@test "cairn wait: blocks until the container ends and prints its code" {
  cairn run -d --name w1 busybox sh -c 'sleep 0.5; exit 9' >/dev/null
  run_logged cairn wait w1
  assert_success
  assert_output 9
}

@test "cairn rename: the new name works, the old one is free" {
  cairn run -d --name old busybox sleep 100 >/dev/null
  run_logged cairn rename old new
  assert_success
  is_running new
  run_logged cairn inspect old
  assert_failure
  cairn run -d --name old busybox sleep 100 >/dev/null
  run_logged cairn rename old new
  assert_failure
  [[ $stderr == *'"/new" is already in use'* ]]
}

@test "containers are found by full id, unique prefix or name; an ambiguous prefix is an error" {
  id=$(cairn run -d --name byname busybox sleep 100)
  assert_equal "$(cid "$id")" "$id"
  assert_equal "$(cid "${id:0:5}")" "$id"
  assert_equal "$(cid byname)" "$id"
  # make ids until two share a first hex digit
  for i in $(seq 20); do cairn create busybox true >/dev/null; done
  p=$(cairn ps -aq --no-trunc | cut -c1 | sort | uniq -d | head -1)
  run_logged cairn inspect --type container "$p"
  assert_failure
  run_logged cairn rm "$p"
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: multiple containers found with provided prefix: $p"
  run_logged cairn rm nosuchname
  assert_equal "$stderr" "cairn: no such container: nosuchname"
}

@test "cairn container X: docker's management-command forms" {
  run_logged cairn container run --name cc busybox echo via-container-run
  assert_output via-container-run
  run_logged cairn container ls -a --format '{{.Names}}'
  assert_output cc
  run_logged cairn container inspect -f '{{.State.Status}}' cc
  assert_output exited
  run_logged cairn container rm cc
  assert_success
  run_logged cairn container nosuch
  assert_equal "$status" 125
}

@test "cairn container prune: removes stopped containers only" {
  cairn run --name done1 busybox true
  cairn create --name made busybox true >/dev/null
  cairn run -d --name up busybox sleep 100 >/dev/null
  run_logged cairn container prune -f
  assert_success
  assert_output --partial "Deleted Containers:"
  run_logged cairn ps -a --format '{{.Names}}'
  assert_output up
}

@test "cairn run --restart on-failure:2: restarted twice, then exited" {
  cairn run -d --name rs --restart on-failure:2 busybox sh -c 'echo try; exit 1' >/dev/null
  retry 100 0.1 sh -c '[ "$(cairn inspect -f "{{.State.Status}}" rs)" = exited ]'
  assert_equal "$(cairn logs rs | grep -c try)" 3
  assert_equal "$(cairn inspect -f '{{.RestartCount}} {{.State.ExitCode}}' rs)" "2 1"
}

@test "cairn run -d --rm: removed once it ends, also when killed" {
  cairn run -d --rm --name gone busybox sh -c 'sleep 0.3' >/dev/null
  retry 50 0.1 sh -c '! cairn inspect gone >/dev/null 2>&1'
  cairn run -d --rm --name killed busybox sleep 100 >/dev/null
  cairn kill killed
  retry 50 0.1 sh -c '! cairn inspect killed >/dev/null 2>&1'
  run_logged cairn ps -aq
  assert_output ""
}
