# common.bash — loaded by every suite: `load ../helpers/common`.
#
# Gives: CAIRN_SRC (the checkout), bin/ on PATH, bats-support and bats-assert,
# run_logged (run + print command, status and output when the test fails),
# requires (skip with a reason only when the host truly lacks something),
# retry/wait helpers, and a per-test scratch dir $T.

CAIRN_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CAIRN_SRC
export PATH="$CAIRN_SRC/bin:$PATH"

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# Every test gets its own scratch dir, removed afterwards unless it failed
# and CAIRN_TEST_KEEP=1.
common_setup() {
  T="$(mktemp -d "${BATS_TMPDIR:-/tmp}/cairn-test.XXXXXX")"
  export T
}

common_teardown() {
  if [ -n "${T:-}" ] && [ -d "$T" ]; then
    # Unmount anything a test left under its scratch dir before removing it.
    local m
    while read -r m; do umount -l "$m" 2>/dev/null; done < <(
      awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    rm -rf "$T"
  fi
}

setup() { common_setup; }
teardown() { common_teardown; }

# run_logged CMD… : like bats' run (status, output, lines) but with stdout
# in $output/$lines and stderr apart in $stderr; when the test fails its log
# shows the command, the status and both streams.  CMD may be a function:
# it runs in the test's shell (so its exports stay), with errexit off as in
# any `||` list.
run_logged() {
  local out err
  out="$(mktemp)"; err="$(mktemp)"
  status=0
  "$@" >"$out" 2>"$err" || status=$?
  output="$(cat "$out")"
  stderr="$(cat "$err")"
  # shellcheck disable=SC2034
  mapfile -t lines <"$out"
  rm -f "$out" "$err"
  {
    echo "\$ $*"
    echo "status: $status"
    [ -n "$output" ] && printf 'stdout:\n%s\n' "$output"
    [ -n "$stderr" ] && printf 'stderr:\n%s\n' "$stderr"
  } >&2
  return 0
}

# requires WHAT… : skip the test, printing why, when the host lacks WHAT.
#   root, cgroup_v2 (a cgroup2 hierarchy with controllers), cgroup_v1,
#   cmd:NAME (a command on PATH)
requires() {
  local r
  for r in "$@"; do
    case "$r" in
      root) [ "$(id -u)" = 0 ] || skip "needs root" ;;
      cgroup_v1) [ -d /sys/fs/cgroup/memory ] || skip "host has no cgroup v1 memory controller" ;;
      cgroup_v2)
        local f=/sys/fs/cgroup/cgroup.controllers
        [ -f "$f" ] && [ -n "$(cat "$f")" ] || skip "host has no cgroup v2 hierarchy with controllers" ;;
      cmd:*) command -v "${r#cmd:}" >/dev/null || skip "${r#cmd:} is not installed" ;;
      *) fail "requires: unknown requirement '$r'" ;;
    esac
  done
}

# retry N DELAY CMD… : run CMD until it succeeds, at most N times.
retry() {
  local n=$1 delay=$2 i
  shift 2
  for ((i = 0; i < n; i++)); do
    "$@" && return 0
    sleep "$delay"
  done
  return 1
}
# bats resolves a relative `load` against the test file's directory, not
# this file's: name the helpers by absolute path.
load "$CAIRN_SRC/tests/helpers/fixtures"
