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
@test "lib/mem: allocation helpers and cleanup attributes" { unit mem; }
@test "lib/json: strict loading, positions in errors, atomic pretty files" { unit json; }
@test "lib/digest: SHA-256 vectors for buffers, streams, fds and files" { unit digest; }
@test "lib/fs: mkdir -p, atomic writes, limits, path_clean, resolution inside a root, rm -rf" { unit fs; }
@test "lib/spawn: exit codes, signals, big stdin/stdout/stderr, exec errors, no fd leaks" { unit spawn; }
@test "lib/ref: docker's reference grammar, normalization and error texts" { unit ref; }
@test "lib/lock: exclusive, shared and non-blocking flock across processes" { unit lock; }
@test "lib/fmt: sizes, durations, RFC 3339 timestamps, random ids" { unit fmt; }
@test "runtime/cgroup: linux.resources parsing, v2 conversions, device program" { unit cgroup_v2; }
@test "lib/template: Go text/template over JSON as docker's --format prints it, errors with positions" { unit template; }
@test "lib/table: Go's tabwriter with docker's settings, table headers, the --format flow" { unit table; }
@test "lib/journal: the event journal's path, docker's shape, whole lines from concurrent writers, rotation" { unit journal; }
@test "lib/fdpass: an fd and its bytes cross a unix socket, CLOEXEC on arrival" { unit fdpass; }
@test "builder/dockerfile: directives, continuations, heredocs, flags, every instruction's forms and docker's error texts" { unit dockerfile; }
@test "builder/words: docker's shell-word expansion (quotes, escapes, \${v:-w} and friends) and word splitting" { unit words; }
@test "builder/ignore: .dockerignore patterns, exceptions and parent-directory matches as docker has them" { unit dockerignore; }
