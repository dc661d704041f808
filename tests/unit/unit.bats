#!/usr/bin/env bats
# Runs each C unit test binary of lib/ (tests/unit/test_*.c, built by
# `make unit-tests`) as one test.

load ../helpers/common

unit() {
  local bin="$CAIRN_SRC/build/tests/test_$1"
  [ -x "$bin" ] || fail "unit test binary $bin is missing: run 'make unit-tests'"
  run_logged "$bin"
  [ "$status" -eq 0 ]
}

@test "lib/err: messages carry context and codes" { unit err; }
@test "runtime/cgroup: linux.resources parsing, v2 conversions, device program" { unit cgroup_v2; }
