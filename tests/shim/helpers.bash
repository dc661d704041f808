# helpers.bash — shared by the cairn-shim suites: `load helpers`.
#
# The runtime is a variable: CAIRN_TEST_RUNTIME (default runc) names any
# runc-compatible runtime; its state lives in the test's own --root, so
# every container a test makes is found and removed in teardown.

load ../helpers/common

SHIM_RUNTIME="${CAIRN_TEST_RUNTIME:-runc}"

setup_file() {
  # shim-client speaks attach.sock's framing (there is no socat or nc here)
  cc -O1 -Wall -o "$BATS_FILE_TMPDIR/shim-client" "$CAIRN_SRC/tests/shim/shim-client.c"
  fixture_rootfs >/dev/null
}

setup() {
  common_setup
  requires root cmd:"$SHIM_RUNTIME" cmd:cairn-shim
  RT="$T/rt"
  ID="cairn-shimtest-$$-$BATS_TEST_NUMBER"
  BUNDLE="$T/bundle"
  STATE="$T/state"
  CLIENT="$BATS_FILE_TMPDIR/shim-client"
  export RT ID BUNDLE STATE CLIENT
}

teardown() {
  local rc=0
  shim_cleanup
  shim_assert_clean || rc=1
  common_teardown
  return $rc
}

# After cleanup nothing of this test may be left: no process naming $T
# (shims, runtime execs) and no cgroup named after the container.  (The
# shared leaks_snapshot/assert_no_leaks also compares host-wide mounts,
# where other suites' /run/netns mounts, made at the same time on this
# host, show up as leaks of ours.)
shim_assert_clean() {
  local left="" p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    if grep -qa -- "$T/" "$p/cmdline" 2>/dev/null; then
      left+="process ${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"$'\n'
    fi
  done
  left+="$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$ID*" 2>/dev/null | sed 's/^/cgroup /')"
  # under make SANITIZE=1, the detached shim's reports land in its shim.log
  if [ -f "$STATE/shim.log" ] && grep -qE 'Sanitizer|runtime error:' "$STATE/shim.log"; then
    left+="sanitizer report in $STATE/shim.log: $(grep -m3 -E 'Sanitizer|runtime error:|#[0-9] ' "$STATE/shim.log")"
  fi
  [ -z "$left" ] && return 0
  printf 'left behind: %s\n' "$left" >&2
  return 1
}

rt() { "$SHIM_RUNTIME" --root "$RT" "$@"; }

# A process is one of this test's shims when its command line names $T.
shim_alive() { [ -n "$1" ] && grep -qa -- "$T" "/proc/$1/cmdline" 2>/dev/null; }

shim_cleanup() {
  local pid id
  if [ -f "$T/shim-pids" ]; then
    while read -r pid; do
      if shim_alive "$pid"; then kill -KILL "$pid"; fi
    done <"$T/shim-pids"
  fi
  if [ -d "$RT" ]; then
    for id in $(rt list -q 2>/dev/null); do
      rt delete --force "$id" 2>/dev/null
    done
  fi
  return 0
}

# make_bundle [-t] [-f JQ-FILTER] CMD… : $BUNDLE with a busybox rootfs running
# CMD, no network namespace, a terminal only with -t.
make_bundle() {
  local filter=.
  while [ $# -gt 0 ]; do
    case "$1" in
      -t) filter="$filter | .process.terminal = true"; shift ;;
      -f) filter="$filter | $2"; shift 2 ;;
      *) break ;;
    esac
  done
  fixture_bundle "$BUNDLE" "$@"
  config_edit "$BUNDLE" ".linux.namespaces |= map(select(.type != \"network\")) | $filter"
}

shim() {
  cairn-shim --runtime "$SHIM_RUNTIME" --runtime-root "$RT" --id "$ID" \
    --bundle "$BUNDLE" --state "$STATE" "$@"
}

# start_shim ARGS… : run the shim (status/output as run_logged sets them)
# and remember its pid for teardown.
start_shim() {
  run_logged shim "$@"
  local pid
  # (a short-lived container's shim may be gone already)
  if pid=$(cat "$STATE/shim.pid" 2>/dev/null); then echo "$pid" >>"$T/shim-pids"; fi
  return 0
}

# The shim is done once it has removed its pid file (after exit.json, the
# runtime's delete and the on-exit command).
shim_done() { [ ! -e "$STATE/shim.pid" ]; }
wait_done() { retry 150 0.1 shim_done || fail "the shim did not finish"; }
wait_file() { retry 150 0.1 test -s "$1" || fail "no $1"; }

# shellcheck disable=SC2154 # $output is set by run_logged
container_pid() { echo "$output" | jq -r .pid; }
running() { rt state "$ID" 2>/dev/null | jq -e '.status == "running"' >/dev/null; }

# log_of STREAM [FILE] : the "log" strings of one stream, in order.
log_of() { jq -j --arg s "$1" 'select(.stream == $s) | .log' "${2:-$STATE/ctr.log}"; }
