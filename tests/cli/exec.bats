#!/usr/bin/env bats
# cairn exec: a process in a running container.

load helpers

setup() {
  cli_setup
  cairn run -d --name box busybox sh -c 'echo $$ > /tmp/pid1; sleep 1000' >/dev/null
}

@test "cairn exec: runs in the container's namespaces and returns the exit code" {
  run_logged cairn exec box sh -c 'cat /tmp/pid1; hostname; exit 5'
  assert_equal "$status" 5
  assert_line --index 0 1
  assert_line --index 1 "$(cid box | cut -c1-12)"
}

@test "cairn exec -e, -w, -u" {
  run_logged cairn exec -e X=1 -w /tmp -u app box sh -c 'echo "$X $(pwd) $(id -u)"'
  assert_success
  assert_output "1 /tmp 1000"
  run_logged cairn exec -u 0:10 box id -g
  assert_output 10
  run_logged cairn exec -u nobodyknows box true
  assert_failure
  [[ $stderr == *"unable to find user nobodyknows"* ]]
}

@test "cairn exec -i passes stdin; without it stdin is empty" {
  run_logged bash -c "echo piped | cairn exec -i box cat"
  assert_output piped
  run_logged bash -c "echo piped | cairn exec box cat"
  assert_output ""
}

@test "cairn exec -t: a terminal" {
  requires cmd:script
  run_logged script -qec "cairn exec -t box tty" /dev/null
  assert_success
  assert_output --partial /dev/pts/
}

@test "cairn exec -d: returns at once, the process runs" {
  run_logged cairn exec -d box sh -c 'sleep 0.3; touch /tmp/done-d'
  assert_success
  retry 30 0.1 cairn exec box test -f /tmp/done-d
}

@test "cairn exec: 127 for a command not found, 126 for one that cannot run" {
  run_logged cairn exec box nosuchcmd
  assert_equal "$status" 127
  assert_equal "$stderr" 'cairn: exec: "nosuchcmd": executable file not found in $PATH'
  run_logged cairn exec box /etc/passwd
  assert_equal "$status" 126
}

@test "cairn exec into a stopped or unknown container fails" {
  cairn stop -t 0 box >/dev/null
  run_logged cairn exec box true
  assert_equal "$status" 1
  [[ $stderr == *"is not running"* ]]
  run_logged cairn exec nosuch true
  assert_equal "$stderr" "cairn: no such container: nosuch"
}
