#!/usr/bin/env bats
# cairn-shim: where the log goes and how it is bounded.

load helpers

# lines N : a container printing "line 1" … "line N" (50 bytes each)
lines_bundle() {
  make_bundle sh -c "i=1; while [ \$i -le $1 ]; do printf 'line %-44s\n' \$i; i=\$((i+1)); done"
}

# all_lines FILES… : the numbers of the logged lines, oldest file first
all_lines() { cat "$@" | jq -j .log | awk '{ print $2 }'; }

@test "cairn-shim --log-max-size/--log-max-files: rotation keeps the configured number of files" {
  lines_bundle 300
  start_shim --log-max-size 1k --log-max-files 3
  assert_success
  wait_done
  [ -f "$STATE/ctr.log" ] && [ -f "$STATE/ctr.log.1" ] && [ -f "$STATE/ctr.log.2" ]
  [ ! -e "$STATE/ctr.log.3" ]
  for f in "$STATE"/ctr.log*; do
    [ "$(stat -c %s "$f")" -le 1024 ] || fail "$f is larger than 1k"
  done
  # the newest lines survive, contiguous across the files, in order
  got=$(all_lines "$STATE/ctr.log.2" "$STATE/ctr.log.1" "$STATE/ctr.log")
  first=$(echo "$got" | head -1)
  assert_equal "$got" "$(seq "$first" 300)"
  [ "$first" -gt 1 ]
}

@test "cairn-shim --log-max-files 1: the one file is truncated, not renamed" {
  lines_bundle 100
  start_shim --log-max-size 1k --log-max-files 1
  assert_success
  wait_done
  logs=("$STATE"/ctr.log*)
  [ "${#logs[@]}" = 1 ]
  [ "$(stat -c %s "$STATE/ctr.log")" -le 1024 ]
  [ "$(all_lines "$STATE/ctr.log" | tail -1)" = 100 ]
}

@test "cairn-shim --log-max-size 0: never rotates" {
  lines_bundle 100
  start_shim --log-max-size 0
  assert_success
  wait_done
  [ ! -e "$STATE/ctr.log.1" ]
  assert_equal "$(all_lines "$STATE/ctr.log")" "$(seq 100)"
}

@test "cairn-shim: logs are bounded by default (10 MB x 3 files)" {
  # about 40 MB of json-file entries
  make_bundle sh -c 'yes 0123456789012345678901234567890123456789012345678901234567890 | head -n 300000'
  start_shim
  assert_success
  wait_done
  [ -f "$STATE/ctr.log.2" ]
  [ ! -e "$STATE/ctr.log.3" ]
  for f in "$STATE"/ctr.log*; do
    [ "$(stat -c %s "$f")" -le $((10 * 1024 * 1024)) ] || fail "$f is larger than 10 MiB"
  done
  [ "$(jq -s length "$STATE/ctr.log")" -gt 1000 ]
}

@test "cairn-shim --log: the log goes where it is told" {
  make_bundle echo hi
  mkdir "$T/logs"
  start_shim --log "$T/logs/my.log"
  assert_success
  wait_done
  [ "$(log_of stdout "$T/logs/my.log")" = hi ]
  [ ! -e "$STATE/ctr.log" ]
}

@test "cairn-shim --log: a log dir that does not exist is an error" {
  make_bundle echo hi
  start_shim --log "$T/nowhere/my.log"
  assert_failure
  [[ $stderr == *"log dir '$T/nowhere'"* ]]
  [ ! -e "$STATE" ]
}
