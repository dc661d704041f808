#!/usr/bin/env bats
# cairn-runtime: create, start, state, kill, delete, run — the life of a
# container and the errors runc gives on the way.

load runtime_common

@test "create leaves the container 'created' with its process waiting; start runs it" {
  requires root
  rt_bundle sh -c 'echo started > /tmp/mark; sleep 100'
  run_logged rt create -b "$T/bundle" --pid-file "$T/pid" "$ID"
  [ "$status" -eq 0 ]
  run_logged rt state "$ID"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output")" = created ]
  [ "$(jq -r .id <<<"$output")" = "$ID" ]
  [ "$(jq -r .bundle <<<"$output")" = "$T/bundle" ]
  [ "$(jq -r .rootfs <<<"$output")" = "$T/bundle/rootfs" ]
  [ "$(jq -r .ociVersion <<<"$output")" = 1.1.0 ]
  jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' <<<"$output"
  pid="$(jq -r .pid <<<"$output")"
  [ "$pid" = "$(cat "$T/pid")" ]
  kill -0 "$pid"
  # still waiting: the program has not run
  sleep 0.2
  [ ! -e "$T/bundle/rootfs/tmp/mark" ]
  run_logged rt start "$ID"
  [ "$status" -eq 0 ]
  wait_until 5 test -e "$T/bundle/rootfs/tmp/mark"
  [ "$(rt_status "$ID")" = running ]
  # busybox sh execs its last command
  [ "$(cat /proc/"$pid"/comm)" = sleep ]
}

@test "kill sends SIGTERM by default and signals by name or number; the container stops" {
  requires root
  rt_bundle sh -c 'trap "echo got TERM > /tmp/sig; exit 3" TERM; while :; do sleep 0.1; done'
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  [ "$(rt_status "$ID")" = running ]
  sleep 0.3
  run_logged rt kill "$ID"
  [ "$status" -eq 0 ]
  wait_until 5 rt_is "$ID" stopped
  [ "$(cat "$T/bundle/rootfs/tmp/sig")" = "got TERM" ]
  [ "$(rt state "$ID" | jq .pid)" = 0 ]
  # a stopped container cannot be signalled
  run_logged rt kill "$ID" KILL
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"is not running"* ]]
  run_logged rt delete "$ID"
  [ "$status" -eq 0 ]
  run_logged rt state "$ID"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"does not exist"* ]]
  [ ! -e "$T/state/$ID" ]
}

@test "kill takes signal names with and without SIG and numbers; rejects unknown ones" {
  requires root
  rt_bundle sleep 100
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged rt kill "$ID" SIGFOO
  [ "$status" -ne 0 ]
  [[ "$stderr" == *'unknown signal "SIGFOO"'* ]]
  run_logged rt kill "$ID" 9
  [ "$status" -eq 0 ]
  wait_until 5 rt_is "$ID" stopped
}

@test "state transitions and runc's errors: start twice, delete running, reuse an id" {
  requires root
  rt_bundle sleep 100
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged rt create -b "$T/bundle" "$ID"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"container with given ID already exists"* ]]
  rt start "$ID"
  run_logged rt start "$ID"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"cannot start an already running container"* ]]
  run_logged rt delete "$ID"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"cannot delete container $ID that is not stopped: running"* ]]
  [ "$(rt_status "$ID")" = running ]
  run_logged rt delete --force "$ID"
  [ "$status" -eq 0 ]
  [ ! -e "$T/state/$ID" ]
  # delete --force of what does not exist is fine, as in runc; without it not
  run_logged rt delete --force "$ID"
  [ "$status" -eq 0 ]
  run_logged rt delete "$ID"
  [ "$status" -eq 1 ]
}

@test "a created container can be deleted without --force; start after stop fails" {
  requires root
  rt_bundle true
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  run_logged rt delete "$ID"
  [ "$status" -eq 0 ]
  ! kill -0 "$pid" 2>/dev/null
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  rt start "$ID"
  wait_until 5 rt_is "$ID" stopped
  run_logged rt start "$ID"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"cannot start a container that has stopped"* ]]
}

@test "run in the foreground returns the exit code, and 128+n for a signal" {
  requires root
  rt_bundle sh -c 'echo out; echo err >&2; exit 42'
  run_logged rt run -b "$T/bundle" "$ID"
  [ "$status" -eq 42 ]
  [ "$output" = out ]
  [ "$stderr" = err ]
  # deleted on exit (no --keep)
  [ ! -e "$T/state/$ID" ]
  # killed by a signal: 128 + n
  config_edit "$T/bundle" '.process.args = ["sh", "-c", "echo ready; sleep 100"]'
  cairn-runtime --root "$T/state" run -b "$T/bundle" "$ID" >"$T/out" 2>&1 &
  runpid=$!
  wait_until 5 grep -q ready "$T/out"
  rt kill "$ID" KILL
  wait "$runpid" && st=0 || st=$?
  [ "$st" -eq 137 ]
}

@test "run forwards signals to the container's process" {
  requires root
  rt_bundle sh -c 'trap "echo caught USR1; exit 5" USR1; echo ready; while :; do sleep 0.05; done'
  cairn-runtime --root "$T/state" run -b "$T/bundle" "$ID" >"$T/out" 2>&1 &
  runpid=$!
  wait_until 5 grep -q ready "$T/out"
  kill -USR1 "$runpid"
  wait "$runpid" && st=0 || st=$?
  [ "$st" -eq 5 ]
  grep -q "caught USR1" "$T/out"
}

@test "run --keep keeps the stopped container; run -d returns while it runs" {
  requires root
  rt_bundle true
  run_logged rt run --keep -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [ "$(rt_status "$ID")" = stopped ]
  rt delete "$ID"
  config_edit "$T/bundle" '.process.args = ["sleep", "100"]'
  run_logged rt run -d --pid-file "$T/pid" -b "$T/bundle" "$ID" </dev/null
  [ "$status" -eq 0 ]
  [ "$(rt_status "$ID")" = running ]
  [ "$(rt state "$ID" | jq .pid)" = "$(cat "$T/pid")" ]
}

@test "annotations are in the state and in list --format json" {
  requires root
  rt_bundle sleep 100
  config_edit "$T/bundle" '.annotations = {"org.example.owner": "tests", "empty": ""}'
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged rt state "$ID"
  [ "$(jq -c .annotations <<<"$output")" = '{"org.example.owner":"tests","empty":""}' ]
  run_logged rt list --format json
  [ "$(jq -r '.[0].annotations["org.example.owner"]' <<<"$output")" = tests ]
}

@test "list prints runc's table, JSON and ids" {
  requires root
  rt_bundle sleep 100
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  rt create -b "$T/bundle" "$ID-b" </dev/null >/dev/null 2>&1
  rt start "$ID-b"
  run_logged rt list
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
  [[ "${lines[1]}" =~ ^$ID\ +[0-9]+\ +created\ +$T/bundle\ +[0-9T:.-]+Z\ +root$ ]]
  [[ "${lines[2]}" =~ ^$ID-b\ +[0-9]+\ +running\ + ]]
  run_logged rt list -q
  [ "$output" = "$(printf '%s\n%s' "$ID" "$ID-b")" ]
  run_logged rt list --format json
  [ "$(jq -r '.[0].id + " " + .[0].status + " " + .[1].status' <<<"$output")" = "$ID created running" ]
  [ "$(jq -r '.[0].owner' <<<"$output")" = root ]
}

@test "ps lists the container's processes, as ps output or JSON pids" {
  requires root
  rt_bundle sleep 100
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  run_logged rt ps --format json "$ID"
  [ "$output" = "[$pid]" ]
  run_logged rt ps "$ID"
  [[ "${lines[0]}" == UID*PID*CMD ]]
  [[ "${lines[1]}" == *" $pid "*"sleep 100" ]]
  [ "${#lines[@]}" -eq 2 ]
}

@test "a container id with '/' or '..' is refused before anything happens" {
  requires root
  rt_bundle true
  for bad in "a/b" ".." "-x" ""; do
    run_logged rt create -b "$T/bundle" "$bad"
    [ "$status" -ne 0 ]
  done
  run_logged rt create -b "$T/bundle" "../escape"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"invalid container id '../escape'"* ]]
  [ ! -e "$T/escape" ]
  [ -z "$(ls -A "$T/state" 2>/dev/null)" ]
}
