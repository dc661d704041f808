#!/usr/bin/env bats
# cairn logs: the shim's json-file log as docker prints it.

load helpers

@test "cairn logs: stdout to stdout, stderr to stderr, in order" {
  cairn run --name l1 busybox sh -c 'echo one; echo two >&2; echo three'
  run_logged cairn logs l1
  assert_success
  assert_output "$(printf 'one\nthree')"
  assert_equal "$stderr" two
}

@test "cairn logs --tail N and -t" {
  cairn run --name l2 busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done'
  run_logged cairn logs --tail 2 l2
  assert_output "$(printf 'line4\nline5')"
  run_logged cairn logs -n 0 l2
  assert_output ""
  run_logged cairn logs --tail all -t l2
  assert_equal "${#lines[@]}" 5
  assert_line --index 0 --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z line1$'
}

@test "cairn logs --since/--until select by time" {
  cairn run --name l3 busybox sh -c 'echo early; sleep 1.5; echo late'
  t=$(cairn logs -t l3 | awk '/late/ { print $1 }')
  run_logged cairn logs --since "$t" l3
  assert_output late
  run_logged cairn logs --until "$t" l3
  assert_output early
  run_logged cairn logs --since 1h l3
  assert_equal "${#lines[@]}" 2
  run_logged cairn logs --since yesterday l3
  assert_equal "$status" 125
}

@test "cairn logs -f: follows new output and ends when the container stops" {
  cairn run -d --name l4 busybox sh -c 'echo first; sleep 1; echo second; sleep 0.5' >/dev/null
  run_logged timeout 10 cairn logs -f l4
  assert_success
  assert_output "$(printf 'first\nsecond')"
}

@test "cairn logs -f follows across a log rotation" {
  cairn run -d --name l5 --log-opt max-size=1k --log-opt max-file=3 busybox \
    sh -c 'sleep 0.5; i=0; while [ $i -lt 100 ]; do echo "line $i ........................"; i=$((i+1)); done; sleep 0.3' >/dev/null
  run_logged timeout 10 cairn logs -f l5
  assert_success
  assert_line "line 99 ........................"
  ls "$CAIRN_ROOT"/containers/*/ctr.log.1
}

@test "cairn logs: an unknown container is an error" {
  run_logged cairn logs nosuch
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: no such container: nosuch"
}

@test "cairn logs of a -t container keeps the terminal's line ends" {
  requires cmd:script
  script -qec "cairn run -t --name l6 busybox echo tty-line" /dev/null >/dev/null
  run_logged cairn logs l6
  assert_equal "$output" "$(printf 'tty-line\r')"
}
