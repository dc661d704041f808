#!/usr/bin/env bats
# The cgroup module's v2 code paths, on this machine's cgroup2 tree: each
# cgtool call runs in a private mount namespace whose /sys/fs/cgroup is the
# cgroup2 hierarchy, so the module sees a pure v2 host.  That tree offers
# no memory/cpu/pids/io controllers here (they are bound to v1), so what is
# tested for real is what v2 does without them: directories, cgroup.procs,
# cgroup.freeze/cgroup.events, cgroup.kill, the eBPF device filter, stats
# from cpu.stat, hugetlb (which this kernel leaves to v2) and removal.  The
# v2 memory/cpu/pids/io files need a v2 host with controllers; their
# arithmetic is unit-tested in tests/unit/test_cgroup_v2.c.

load ../helpers/common
load cgroup_common

requires_v2_tree() {
  requires root cmd:unshare
  if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    V2ROOT=/sys/fs/cgroup # a real v2 host
  elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    V2ROOT=/sys/fs/cgroup/unified
  else
    skip "no cgroup2 hierarchy mounted"
  fi
  v2 true || skip "cannot mount cgroup2 in a private mount namespace"
}

@test "cgroup v2: a private cgroup2 mount is detected as v2" {
  requires_v2_tree
  run_logged v2 "$CGTOOL" layout
  assert_success
  assert_output v2
  run_logged v2 "$CGTOOL" describe "" abc
  [ "$(jq -c .dirs <<<"$output")" = '{"v2":"/sys/fs/cgroup/cairn/abc"}' ]
}

@test "cgroup v2: setup, enter and pids use one directory" {
  requires_v2_tree
  start sleep 1000; p1=$PID
  start sleep 1000; p2=$PID
  run_logged v2 "$CGTOOL" setup "$CG" "$ID" "" "$p1"
  assert_success
  [ -d "$V2ROOT$CG" ]
  grep -qx "0::$CG" /proc/$p1/cgroup
  run_logged v2 "$CGTOOL" enter "$CG" "$ID" "$p2"
  assert_success
  run_logged v2 "$CGTOOL" pids "$CG" "$ID"
  assert_line "$p1"
  assert_line "$p2"
  # the v1 hierarchies are not touched in v2 mode
  no_v1=1
  for d in /sys/fs/cgroup/{memory,cpu,freezer}"$CG"; do [ -e "$d" ] && no_v1=0; done
  [ "$no_v1" = 1 ]
}

@test "cgroup v2: cgroup.freeze stops a counting process; thaw resumes it" {
  requires_v2_tree
  start sh -c "while :; do echo >> $T/count; done"
  run_logged v2 "$CGTOOL" setup "$CG" "$ID" "" "$PID"
  assert_success
  run_logged v2 "$CGTOOL" freeze "$CG" "$ID"
  assert_success
  grep -qx 'frozen 1' "$V2ROOT$CG/cgroup.events"
  run_logged v2 "$CGTOOL" frozen "$CG" "$ID"
  assert_output frozen
  a=$(stat -c %s $T/count); sleep 0.3; b=$(stat -c %s $T/count)
  [ "$a" -eq "$b" ]
  run_logged v2 "$CGTOOL" thaw "$CG" "$ID"
  assert_success
  run_logged v2 "$CGTOOL" frozen "$CG" "$ID"
  assert_output thawed
  sleep 0.3; c=$(stat -c %s $T/count)
  [ "$c" -gt "$b" ]
}

@test "cgroup v2: the eBPF device filter denies /dev/null and allows what the rules allow" {
  requires_v2_tree
  res r '{"devices":[{"allow":false,"access":"rwm"},
                     {"allow":true,"type":"c","major":1,"minor":5,"access":"r"},
                     {"allow":true,"type":"c","major":1,"minor":9,"access":"rwm"}]}'
  run_logged v2 "$CGTOOL" run "$CG" "$ID" "$T/r.json" sh -c \
    'echo x > /dev/null || echo null-denied; [ "$(head -c1 /dev/zero | wc -c)" = 1 ] && echo zero-read-ok;
     echo x > /dev/zero || echo zero-write-denied; [ "$(head -c1 /dev/urandom | wc -c)" = 1 ] && echo urandom-ok'
  assert_success
  assert_line null-denied
  assert_line zero-read-ok
  assert_line zero-write-denied
  assert_line urandom-ok
  [[ "$stderr" == *"/dev/null: Operation not permitted"* ]]
}

@test "cgroup v2: update replaces the device program instead of stacking it" {
  requires_v2_tree
  start sleep 1000
  res deny '{"devices":[{"allow":true,"access":"rwm"},{"allow":false,"type":"c","major":1,"minor":3,"access":"rwm"}]}'
  res allow '{"devices":[{"allow":true,"access":"rwm"}]}'
  run_logged v2 "$CGTOOL" setup "$CG" "$ID" "$T/deny.json" "$PID"
  assert_success
  # a process entering the cgroup is filtered
  try_null() {
    sh -c "echo \$\$ > $V2ROOT$CG/cgroup.procs && exec sh -c 'echo x > /dev/null && echo null-ok'"
  }
  run_logged try_null
  refute_output null-ok
  run_logged v2 "$CGTOOL" update "$CG" "$ID" "$T/allow.json"
  assert_success
  # with ALLOW_MULTI every attached program must agree: null-ok proves the
  # old program is gone
  run_logged try_null
  assert_output null-ok
}

@test "cgroup v2: SIGKILL through cgroup.kill reaches every process, frozen or not" {
  requires_v2_tree
  start v2 "$CGTOOL" run "$CG" "$ID" "" sh -c 'sleep 1000 & sleep 1000 & wait'
  retry 30 0.1 sh -c "[ \$(cat $V2ROOT$CG/cgroup.procs 2>/dev/null | wc -l) -eq 3 ]"
  run_logged v2 "$CGTOOL" freeze "$CG" "$ID"
  assert_success
  run_logged v2 "$CGTOOL" kill "$CG" "$ID" 9
  assert_success
  retry 50 0.1 sh -c "[ -z \"\$(cat $V2ROOT$CG/cgroup.procs)\" ]"
  run_logged v2 "$CGTOOL" destroy "$CG" "$ID"
  assert_success
  [ ! -e "$V2ROOT$CG" ]
}

@test "cgroup v2: a fatal signal to all while paused kills at once and the pause stays" {
  requires_v2_tree
  start v2 "$CGTOOL" run "$CG" "$ID" "" sh -c 'sleep 1000 & wait'
  retry 30 0.1 sh -c "[ \$(cat $V2ROOT$CG/cgroup.procs 2>/dev/null | wc -l) -eq 2 ]"
  run_logged v2 "$CGTOOL" freeze "$CG" "$ID"
  run_logged v2 "$CGTOOL" kill "$CG" "$ID" 15
  assert_success
  # unlike v1, the v2 freezer lets a fatal signal through
  retry 50 0.1 sh -c "[ -z \"\$(cat $V2ROOT$CG/cgroup.procs)\" ]"
  [ "$(cat "$V2ROOT$CG/cgroup.freeze")" = 1 ]
}

@test "cgroup v2: stats report cpu usage from cpu.stat" {
  requires_v2_tree
  # a fixed amount of work (about 0.2 s of CPU), not a fixed time: on a
  # busy machine a timed loop may get little CPU
  run_logged v2 "$CGTOOL" run "$CG" "$ID" "" sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'
  assert_success
  run_logged v2 "$CGTOOL" stats "$CG" "$ID"
  assert_success
  [ "$(jq .cpu.usage.total <<<"$output")" -gt 50000000 ]
  jq -e '.cpu.throttling | has("throttledPeriods")' <<<"$output"
}

@test "cgroup v2: hugepage limits go to hugetlb.<size>.max" {
  requires_v2_tree
  grep -qw hugetlb "$V2ROOT/cgroup.controllers" || skip "the cgroup2 tree offers no hugetlb controller"
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
  start sleep 1000
  res r '{"hugepageLimits":[{"pageSize":"2MB","limit":4194304}]}'
  run_logged v2 "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_success
  [ "$(cat "$V2ROOT$CG/hugetlb.2MB.max")" = 4194304 ]
  run_logged v2 "$CGTOOL" stats "$CG" "$ID"
  jq -e '.hugetlb["2MB"] | has("usage")' <<<"$output"
}

@test "cgroup v2: a limit whose controller is not offered fails clearly and leaves nothing" {
  requires_v2_tree
  grep -qw memory "$V2ROOT/cgroup.controllers" && skip "this cgroup2 tree has a memory controller"
  start sleep 1000
  before="$(cat /proc/$PID/cgroup)"
  res r '{"memory":{"limit":67108864}}'
  run_logged v2 "$CGTOOL" setup "$CG/x" "$ID" "$T/r.json" "$PID"
  assert_failure 1
  assert_equal "$stderr" "cgtool: cgroup: the memory controller is not available in '/sys/fs/cgroup$CG/x' (no memory.max)"
  [ ! -e "$V2ROOT$CG" ]
  [ "$(cat /proc/$PID/cgroup)" = "$before" ]
}

v2_unpopulated() { ! grep -qx 'populated 1' "$V2ROOT$1/cgroup.events"; }

@test "cgroup v2: destroy removes nested cgroups and refuses while processes remain" {
  requires_v2_tree
  start sleep 1000
  run_logged v2 "$CGTOOL" setup "$CG" "$ID" "" "$PID"
  mkdir -p "$V2ROOT$CG/a/b"
  run_logged v2 "$CGTOOL" destroy "$CG" "$ID"
  assert_failure 1
  [[ "$stderr" == *"Device or resource busy"* ]]
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true
  # the kernel empties the cgroup a moment after the process is reaped
  wait_until 10 v2_unpopulated "$CG" || fail "cgroup still populated after the kill"
  run_logged v2 "$CGTOOL" destroy "$CG" "$ID"
  assert_success
  [ ! -e "$V2ROOT$CG" ]
}

@test "cgroup v2: resources.unified needs v2, and names files of the cgroup only" {
  requires_v2_tree
  start sleep 1000
  res r '{"unified":{"cgroup.procs":"1"}}'
  run_logged v2 "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_failure 2
  assert_equal "$stderr" "cgtool: linux.resources.unified: 'cgroup.procs' is not a controller file name"
  res ok '{"unified":{"cgroup.max.depth":"3"}}'
  run_logged v2 "$CGTOOL" setup "$CG" "$ID" "$T/ok.json" "$PID"
  assert_success
  [ "$(cat "$V2ROOT$CG/cgroup.max.depth")" = 3 ]
  if [ "$("$CGTOOL" layout)" != v2 ]; then
    run_logged "$CGTOOL" setup "$CG-h" "$ID" "$T/ok.json" "$PID"
    assert_failure 1
    assert_equal "$stderr" "cgtool: linux.resources.unified: needs cgroup v2 (this host is $("$CGTOOL" layout))"
    no_cgroup_left "$CG-h"
  fi
}
