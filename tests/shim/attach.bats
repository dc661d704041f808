#!/usr/bin/env bats
# cairn-shim: attach.sock (output, stdin, exit frame, detach keys) and --tty.

load helpers

@test "cairn-shim attach: a client receives output and delivers stdin" {
  make_bundle sh -c 'while read -r l; do echo "got $l"; echo "err $l" >&2; done; echo bye; exit 4'
  start_shim --stdin
  assert_success
  printf 'one\ntwo\n' | "$CLIENT" attach "$STATE/attach.sock" --stdin --close-stdin \
    --exit-file "$T/exit" >"$T/out" 2>"$T/err"
  assert_equal "$(cat "$T/out")" "$(printf 'got one\ngot two\nbye')"
  assert_equal "$(cat "$T/err")" "$(printf 'err one\nerr two')"
  # the exit frame carries exit.json
  [ "$(jq .exitCode "$T/exit")" = 4 ]
  wait_done
  # the same output is in the log
  assert_equal "$(log_of stdout)" "$(printf 'got one\ngot two\nbye')"
}

@test "cairn-shim attach: several clients see the same output" {
  make_bundle sh -c 'read -r l; i=0; while [ $i -lt 100 ]; do echo "line $i"; i=$((i+1)); done'
  start_shim --stdin
  assert_success
  "$CLIENT" attach "$STATE/attach.sock" >"$T/a" &
  a=$!
  "$CLIENT" attach "$STATE/attach.sock" >"$T/b" &
  b=$!
  sleep 0.3
  echo go | "$CLIENT" attach "$STATE/attach.sock" --stdin >/dev/null
  wait "$a" "$b"
  expected=$(for i in $(seq 0 99); do echo "line $i"; done)
  assert_equal "$(cat "$T/a")" "$expected"
  assert_equal "$(cat "$T/b")" "$expected"
}

@test "cairn-shim attach: the socket is private to its owner" {
  make_bundle sleep 100
  start_shim
  assert_success
  [ "$(stat -c %a "$STATE/attach.sock")" = 600 ]
  [ "$(stat -c %a "$STATE/ctl.sock")" = 600 ]
}

@test "cairn-shim --tty: the process has a terminal; its output is logged as stdout" {
  make_bundle -t sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty'
  start_shim --tty
  assert_success
  wait_done
  run_logged jq -r .stream "$STATE/ctr.log"
  refute_output --partial stderr
  # the terminal turns \n into \r\n, as docker's logs of a tty show
  assert_equal "$(log_of stdout)" "$(printf '/dev/pts/0\r\nis-a-tty\r')"
}

@test "cairn-shim --tty: stdin and resize reach the terminal" {
  make_bundle -t sh -c 'read -r l; echo "got $l"; stty size'
  start_shim --tty --stdin
  assert_success
  echo hello | "$CLIENT" attach "$STATE/attach.sock" --resize 40 100 --stdin >"$T/out"
  grep -q 'got hello' "$T/out"
  grep -q '^40 100' "$T/out"
  wait_done
}

@test "cairn-shim --tty: ctrl-p ctrl-q detaches the client and leaves the container running" {
  make_bundle -t cat
  start_shim --tty --stdin
  assert_success
  (printf 'abc\n'; sleep 0.5; printf '\020\021') |
    "$CLIENT" attach "$STATE/attach.sock" --stdin >"$T/out" 2>"$T/err"
  grep -q detached "$T/err"
  running
  # the keys never reached the container; what came before did (echoed back)
  grep -q abc "$T/out"
  run_logged grep -c $'\020' "$T/out"
  assert_output 0
  # a ctrl-p followed by something else is plain input
  (printf 'x\020y\n'; sleep 0.5; printf '\020\021') |
    "$CLIENT" attach "$STATE/attach.sock" --stdin >"$T/out2" 2>/dev/null
  grep -q $'x\^Py' "$T/out2"
}

@test "cairn-shim --detach-keys: another sequence" {
  make_bundle -t cat
  start_shim --tty --stdin --detach-keys ctrl-a,d
  assert_success
  printf 'z\001d' | "$CLIENT" attach "$STATE/attach.sock" --stdin >/dev/null 2>"$T/err"
  grep -q detached "$T/err"
  running
}

@test "cairn-shim attach: a slow client holds the output back but loses nothing" {
  make_bundle sh -c 'read -r l; i=0; while [ $i -lt 20000 ]; do printf "%099d\n" $i; i=$((i+1)); done'
  start_shim --stdin
  assert_success
  # the client's stdout is a pipe nobody reads for 2 s: it stops reading
  # the socket, the shim queues, then stops reading the container
  echo go | "$CLIENT" attach "$STATE/attach.sock" --stdin | { sleep 2; cat; } >"$T/out"
  [ "$(wc -l <"$T/out")" = 20000 ]
  [ "$(sed -n 20000p "$T/out")" = "$(printf '%099d' 19999)" ]
  wait_done
  [ "$(jq -s length "$STATE/ctr.log")" = 20000 ]
  cmp <(log_of stdout) "$T/out"
}
