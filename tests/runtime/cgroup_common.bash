# cgroup_common.bash — shared by tests/runtime/cgroup*.bats: the cgtool
# driver, a per-test cgroup path, processes started for a test (killed by
# PID in teardown), and cleanup of every cgroup a test made.

CGTOOL="$CAIRN_SRC/build/tests/cgtool"
CG_PARENT=/cairn-cgtest
CG_PIDS=()

cg_setup() {
  common_setup
  [ -x "$CGTOOL" ] || fail "$CGTOOL is missing: run 'make unit-tests'"
  # Unique per test and run, under one parent removed at the end.
  export CG="$CG_PARENT/t$BATS_TEST_NUMBER-$$"
  export ID="t$BATS_TEST_NUMBER-$$"
  # Tests that reach the cgroup2 tree may enable controllers in its root;
  # remember what was on, to put it back.
  CG_V2_ROOT_ON="$(cat /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null || true)"
}

cg_teardown() {
  local p d c on
  # Thaw first: a task frozen by the v1 freezer cannot die.
  d=/sys/fs/cgroup/freezer"$CG_PARENT"
  [ -d "$d" ] && find "$d" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null
  for p in "${CG_PIDS[@]}"; do
    kill -9 "$p" 2>/dev/null
  done
  # and what those started inside the test cgroups
  for p in $(find /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/unified"$CG_PARENT" \
               -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do
    kill -9 "$p" 2>/dev/null
  done
  for p in "${CG_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  for d in /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/unified"$CG_PARENT"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  if [ -f /sys/fs/cgroup/unified/cgroup.subtree_control ]; then
    read -ra on </sys/fs/cgroup/unified/cgroup.subtree_control
    for c in "${on[@]}"; do
      case " $CG_V2_ROOT_ON " in *" $c "*) ;; *) echo "-$c" >/sys/fs/cgroup/unified/cgroup.subtree_control ;; esac
    done
  fi
  # The cleanup above must have left nothing: no cgroup of this test, no
  # process it started.  (The helpers' assert_no_leaks is host-wide for
  # mounts, which other suites running at the same time trip.)
  local rc=0
  for d in /sys/fs/cgroup/*"$CG_PARENT/t$BATS_TEST_NUMBER-$$"* \
           /sys/fs/cgroup/unified"$CG_PARENT/t$BATS_TEST_NUMBER-$$"*; do
    if [ -e "$d" ]; then echo "left behind: $d" >&2; rc=1; fi
  done
  for p in "${CG_PIDS[@]}"; do
    if ! gone "$p"; then echo "left running: $p" >&2; rc=1; fi
  done
  common_teardown
  return $rc
}

setup() { cg_setup; }
teardown() { cg_teardown; }

# start CMD… : run CMD in the background (stdio closed), remember its PID
# in $PID and for teardown.
start() {
  "$@" </dev/null >/dev/null 2>&1 3>&- &
  PID=$!
  CG_PIDS+=("$PID")
}

# v2 CMD… : CMD in a private mount namespace whose /sys/fs/cgroup is the
# cgroup2 hierarchy (this host's /sys/fs/cgroup/unified): the module then
# sees a pure v2 host.  The hierarchy is the same one, so what CMD creates
# is visible outside under /sys/fs/cgroup/unified.
v2() {
  unshare -m --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "$@"
}

# res NAME JSON : write a resources file $T/NAME.json
res() {
  printf '%s\n' "$2" >"$T/$1.json"
}

# no_cgroup_left PATH : PATH exists in no hierarchy
no_cgroup_left() {
  local d
  for d in /sys/fs/cgroup/*"$1" /sys/fs/cgroup/unified"$1"; do
    if [ -e "$d" ]; then
      echo "left behind: $d" >&2
      return 1
    fi
  done
}

# gone PID : the process has exited (or is a zombie)
gone() {
  ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
