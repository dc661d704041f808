#!/usr/bin/env bats
# The cgroup module on v1 controllers (this machine is hybrid: v1 controllers
# + a controller-less cgroup2 tree), driven through build/tests/cgtool
# against real processes.

load ../helpers/common
load cgroup_common

@test "cgroup: detects this host's layout from the mounts" {
  requires root cgroup_v1
  run_logged "$CGTOOL" layout
  assert_success
  if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    assert_output hybrid
  else
    assert_output v1
  fi
}

@test "cgroup: paths are /cairn/ID by default, absolute or relative otherwise" {
  requires root cgroup_v1
  run_logged "$CGTOOL" describe "" abc
  assert_success
  [ "$(jq -r .path <<<"$output")" = /cairn/abc ]
  [ "$(jq -r .dirs.memory <<<"$output")" = /sys/fs/cgroup/memory/cairn/abc ]
  [ "$(jq -r .dirs.freezer <<<"$output")" = /sys/fs/cgroup/freezer/cairn/abc ]
  run_logged "$CGTOOL" describe /a/b/ x
  [ "$(jq -r .path <<<"$output")" = /a/b ]
  run_logged "$CGTOOL" describe a//b x
  [ "$(jq -r .path <<<"$output")" = /a/b ]
}

@test "cgroup: systemd-style and escaping paths are refused" {
  requires root cgroup_v1
  run_logged "$CGTOOL" describe system.slice:cairn:abc abc
  assert_failure 2
  assert_equal "$stderr" "cgtool: cgroupsPath 'system.slice:cairn:abc': systemd cgroup driver is not supported"
  run_logged "$CGTOOL" describe /a/../../etc x
  assert_failure 2
  [[ $stderr == *"'..' is not allowed"* ]]
  run_logged "$CGTOOL" describe / x
  assert_failure 2
  run_logged "$CGTOOL" describe "" ../x
  assert_failure 2
}

@test "cgroup: setup joins every hierarchy, the cgroup2 one too, and applies limits" {
  requires root cgroup_v1
  start sleep 1000
  res r '{"memory":{"limit":67108864,"reservation":33554432,"swap":134217728},
          "cpu":{"shares":512,"quota":20000,"period":100000},
          "pids":{"limit":20},"blockIO":{"weight":300}}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_success
  run grep -c ":$CG\$" /proc/$PID/cgroup
  # every v1 hierarchy plus, on hybrid, the cgroup2 line "0::/path"
  [ "$output" -eq "$(grep -c . /proc/$PID/cgroup)" ]
  if [ -d /sys/fs/cgroup/unified ]; then grep -qx "0::$CG" /proc/$PID/cgroup; fi
  m=/sys/fs/cgroup/memory$CG
  [ "$(cat $m/memory.limit_in_bytes)" = 67108864 ]
  [ "$(cat $m/memory.soft_limit_in_bytes)" = 33554432 ]
  [ "$(cat $m/memory.memsw.limit_in_bytes)" = 134217728 ]
  [ "$(cat /sys/fs/cgroup/cpu$CG/cpu.shares)" = 512 ]
  [ "$(cat /sys/fs/cgroup/cpu$CG/cpu.cfs_quota_us)" = 20000 ]
  [ "$(cat /sys/fs/cgroup/cpu$CG/cpu.cfs_period_us)" = 100000 ]
  [ "$(cat /sys/fs/cgroup/pids$CG/pids.max)" = 20 ]
  b=/sys/fs/cgroup/blkio$CG
  if [ -f $b/blkio.weight ]; then w=$(cat $b/blkio.weight); else w=$(cat $b/blkio.bfq.weight | awk '/default/{print $2} !/ /{print}'); fi
  [ "$w" = 300 ]
  run_logged "$CGTOOL" pids "$CG" "$ID"
  assert_output "$PID"
}

@test "cgroup: a process over its memory limit is OOM-killed and the kill is reported" {
  requires root cgroup_v1
  res r '{"memory":{"limit":16777216,"swap":16777216}}'
  run_logged "$CGTOOL" oom "$CG" "$ID"
  assert_output false
  # dd touches its 64 MiB buffer while reading into it
  run_logged "$CGTOOL" run "$CG" "$ID" "$T/r.json" dd if=/dev/zero of=/dev/null bs=64M count=1
  assert_equal "$status" 137
  run_logged "$CGTOOL" oom "$CG" "$ID"
  assert_output true
  run_logged "$CGTOOL" stats "$CG" "$ID"
  assert_success
  [ "$(jq .memory.usage.limit <<<"$output")" = 16777216 ]
  # it reached the limit
  [ "$(jq .memory.usage.max <<<"$output")" = 16777216 ]
  [ "$(jq .memory.event_count.oom_kill <<<"$output")" -ge 1 ]
  run_logged "$CGTOOL" destroy "$CG" "$ID"
  assert_success
  no_cgroup_left "$CG"
}

@test "cgroup: the same allocation under a larger limit succeeds" {
  requires root cgroup_v1
  res r '{"memory":{"limit":268435456}}'
  run_logged "$CGTOOL" run "$CG" "$ID" "$T/r.json" dd if=/dev/zero of=/dev/null bs=64M count=1
  assert_success
  run_logged "$CGTOOL" oom "$CG" "$ID"
  assert_output false
}

@test "cgroup: a swap limit below the memory limit is refused before anything is made" {
  requires root cgroup_v1
  res r '{"memory":{"limit":67108864,"swap":33554432}}'
  start sleep 1000
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_failure 2
  assert_equal "$stderr" "cgtool: linux.resources.memory.swap: 33554432 is below memory.limit 67108864 (swap is the memory+swap limit)"
  no_cgroup_left "$CG"
  # swap -1: unlimited memory+swap
  res u '{"memory":{"limit":67108864,"swap":-1}}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/u.json" "$PID"
  assert_success
  [ "$(cat /sys/fs/cgroup/memory$CG/memory.memsw.limit_in_bytes)" -gt 1000000000000 ]
}

@test "cgroup: memory and swap can both be raised and lowered by update" {
  requires root cgroup_v1
  start sleep 1000
  res a '{"memory":{"limit":33554432,"swap":33554432}}'
  res b '{"memory":{"limit":134217728,"swap":268435456}}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/a.json" "$PID"
  assert_success
  # raising needs memsw first, lowering the limit first: both orders work
  run_logged "$CGTOOL" update "$CG" "$ID" "$T/b.json"
  assert_success
  [ "$(cat /sys/fs/cgroup/memory$CG/memory.limit_in_bytes)" = 134217728 ]
  [ "$(cat /sys/fs/cgroup/memory$CG/memory.memsw.limit_in_bytes)" = 268435456 ]
  run_logged "$CGTOOL" update "$CG" "$ID" "$T/a.json"
  assert_success
  [ "$(cat /sys/fs/cgroup/memory$CG/memory.limit_in_bytes)" = 33554432 ]
  [ "$(cat /sys/fs/cgroup/memory$CG/memory.memsw.limit_in_bytes)" = 33554432 ]
}

@test "cgroup: the pids limit stops forks" {
  requires root cgroup_v1
  res r '{"pids":{"limit":4}}'
  run_logged "$CGTOOL" run "$CG" "$ID" "$T/r.json" sh -c \
    'n=0; for i in 1 2 3 4 5 6 7 8; do sleep 2 & n=$((n+1)); done; echo $n'
  # dash reports the failed fork and stops the script
  [[ "$stderr" == *"fork"* ]]
  [ "$(cat /sys/fs/cgroup/pids$CG/pids.events 2>/dev/null | awk '{print $2}')" -gt 0 ] ||
    [ "$status" -ne 0 ]
  run_logged "$CGTOOL" stats "$CG" "$ID"
  [ "$(jq .pids.limit <<<"$output")" = 4 ]
}

@test "cgroup: cpus pin the process; the cpuset parents get their values" {
  requires root cgroup_v1
  [ "$(nproc)" -ge 2 ] || skip "needs 2 cpus"
  start sleep 1000
  res r '{"cpu":{"cpus":"1","mems":"0"}}'
  # a deep path whose intermediate cpuset dirs start empty
  CG="$CG/deep/er"
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_success
  grep -q '^Cpus_allowed_list:[[:space:]]*1$' /proc/$PID/status
  [ -n "$(cat /sys/fs/cgroup/cpuset${CG%/er}/cpuset.cpus)" ]
  res u '{"cpu":{"cpus":"0"}}'
  run_logged "$CGTOOL" update "$CG" "$ID" "$T/u.json"
  assert_success
  grep -q '^Cpus_allowed_list:[[:space:]]*0$' /proc/$PID/status
  run_logged "$CGTOOL" stats "$CG" "$ID"
  [ "$(jq -c .cpuset.cpus <<<"$output")" = "[0]" ]
}

@test "cgroup: a cpu quota throttles a busy loop" {
  requires root cgroup_v1
  res r '{"cpu":{"quota":10000,"period":100000}}'
  run_logged "$CGTOOL" run "$CG" "$ID" "$T/r.json" timeout 1 sh -c 'while :; do :; done'
  run_logged "$CGTOOL" stats "$CG" "$ID"
  assert_success
  [ "$(jq .cpu.throttling.throttledPeriods <<<"$output")" -gt 3 ]
  # 10% of one cpu for ~1 s: far below the 1 s an unthrottled loop burns
  [ "$(jq .cpu.usage.total <<<"$output")" -lt 400000000 ]
  [ "$(jq .cpu.usage.total <<<"$output")" -gt 0 ]
}

@test "cgroup: stats have runc's shape" {
  requires root cgroup_v1
  start sleep 1000
  res r '{"memory":{"limit":67108864},"pids":{"limit":9}}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  run_logged "$CGTOOL" stats "$CG" "$ID"
  assert_success
  jq -e '.cpu.usage | has("total") and has("percpu") and has("kernel") and has("user")' <<<"$output"
  jq -e '.cpu.throttling | has("periods") and has("throttledPeriods") and has("throttledTime")' <<<"$output"
  jq -e '.memory.usage.limit == 67108864 and (.memory.raw | has("rss")) and (.memory | has("swap"))' <<<"$output"
  jq -e '.pids == {"current":1,"limit":9}' <<<"$output"
  jq -e '.blkio | has("ioServiceBytesRecursive")' <<<"$output"
  run_logged "$CGTOOL" stats /cairn-cgtest/none none
  assert_failure
  assert_equal "$stderr" "cgtool: cgroup '/cairn-cgtest/none' does not exist"
}

@test "cgroup: freeze stops a counting process and thaw resumes it" {
  requires root cgroup_v1
  # appends a byte per iteration: the file's size counts
  start sh -c "while :; do echo >> $T/count; done"
  run_logged "$CGTOOL" setup "$CG" "$ID" "" "$PID"
  assert_success
  run_logged "$CGTOOL" freeze "$CG" "$ID"
  assert_success
  [ "$(cat /sys/fs/cgroup/freezer$CG/freezer.state)" = FROZEN ]
  run_logged "$CGTOOL" frozen "$CG" "$ID"
  assert_output frozen
  a=$(stat -c %s $T/count); sleep 0.3; b=$(stat -c %s $T/count)
  [ "$a" -eq "$b" ]
  run_logged "$CGTOOL" thaw "$CG" "$ID"
  assert_success
  run_logged "$CGTOOL" frozen "$CG" "$ID"
  assert_output thawed
  sleep 0.3; c=$(stat -c %s $T/count)
  [ "$c" -gt "$b" ]
}

@test "cgroup: the device rules deny what they say, in order" {
  requires root cgroup_v1
  res r '{"devices":[{"allow":false,"access":"rwm"},
                     {"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"},
                     {"allow":true,"type":"c","major":1,"minor":5,"access":"rwm"},
                     {"allow":false,"type":"c","major":1,"minor":5,"access":"w"}]}'
  run_logged "$CGTOOL" run "$CG" "$ID" "$T/r.json" sh -c \
    'echo x > /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-read-ok; echo x > /dev/zero || echo zero-write-denied; head -c1 /dev/urandom || echo urandom-denied'
  assert_line null-ok
  assert_line zero-read-ok
  assert_line zero-write-denied
  assert_line urandom-denied
  grep -qx 'c 1:3 rwm' /sys/fs/cgroup/devices$CG/devices.list
  # without a "devices" key nothing is restricted (a sibling: v1 children
  # inherit their parent's rules)
  run_logged "$CGTOOL" run "$CG-open" "$ID" "" sh -c 'head -c1 /dev/urandom >/dev/null && echo ok'
  assert_output ok
}

@test "cgroup: kill --all reaches every process, also in a frozen cgroup" {
  requires root cgroup_v1
  # cgtool run forks the sleeps from inside the cgroup
  start "$CGTOOL" run "$CG" "$ID" "" sh -c 'sleep 1000 & sleep 1000 & wait'
  retry 20 0.1 sh -c "[ \$($CGTOOL pids $CG $ID | wc -l) -eq 3 ]"
  run_logged "$CGTOOL" freeze "$CG" "$ID"
  run_logged "$CGTOOL" kill "$CG" "$ID" 15
  assert_success
  # SIGTERM leaves a paused container paused (delivered on resume)
  run_logged "$CGTOOL" frozen "$CG" "$ID"
  assert_output frozen
  run_logged "$CGTOOL" kill "$CG" "$ID" 9
  assert_success
  retry 50 0.1 sh -c "[ -z \"\$($CGTOOL pids $CG $ID)\" ]"
  run_logged "$CGTOOL" destroy "$CG" "$ID"
  assert_success
  no_cgroup_left "$CG"
}

@test "cgroup: enter moves another process in" {
  requires root cgroup_v1
  start sleep 1000; p1=$PID
  start sleep 1000; p2=$PID
  run_logged "$CGTOOL" setup "$CG" "$ID" "" "$p1"
  run_logged "$CGTOOL" enter "$CG" "$ID" "$p2"
  assert_success
  run_logged "$CGTOOL" pids "$CG" "$ID"
  assert_line "$p1"
  assert_line "$p2"
}

@test "cgroup: destroy refuses while processes remain, removes sub-cgroups, ignores missing" {
  requires root cgroup_v1
  start sleep 1000
  run_logged "$CGTOOL" setup "$CG" "$ID" "" "$PID"
  mkdir /sys/fs/cgroup/memory$CG/sub
  run_logged "$CGTOOL" destroy "$CG" "$ID"
  assert_failure 1
  [[ "$stderr" == *"Device or resource busy"* ]]
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true
  run_logged "$CGTOOL" destroy "$CG" "$ID"
  assert_success
  no_cgroup_left "$CG"
  run_logged "$CGTOOL" destroy "$CG" "$ID"
  assert_success
}

@test "cgroup: a limit the kernel rejects leaves no cgroup behind" {
  requires root cgroup_v1
  start sleep 1000
  res r '{"cpu":{"cpus":"4095"}}'
  before="$(cat /proc/$PID/cgroup)"
  run_logged "$CGTOOL" setup "$CG/x" "$ID" "$T/r.json" "$PID"
  assert_failure 1
  [[ "$stderr" == *"cpuset.cpus"* ]]
  no_cgroup_left "$CG"
  [ "$(cat /proc/$PID/cgroup)" = "$before" ]
}

@test "cgroup: bad resources are one clear line and leave nothing" {
  requires root cgroup_v1
  start sleep 1000
  res r '{"memory":{"limit":"lots"}}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_failure 2
  assert_equal "$stderr" "cgtool: linux.resources.memory.limit: expected an integer"
  no_cgroup_left "$CG"
  res h '{"hugepageLimits":[{"pageSize":"3MB","limit":0}]}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/h.json" "$PID"
  assert_failure
  [[ "$stderr" == *"3MB"* ]]
  no_cgroup_left "$CG"
}

@test "cgroup: on hybrid, hugepage limits use the cgroup2 tree when v1 has no hugetlb" {
  requires root cgroup_v1
  [ "$("$CGTOOL" layout)" = hybrid ] || skip "host is not hybrid"
  [ ! -d /sys/fs/cgroup/hugetlb ] || skip "v1 has a hugetlb hierarchy"
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || skip "cgroup2 offers no hugetlb"
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
  start sleep 1000
  res r '{"hugepageLimits":[{"pageSize":"2MB","limit":2097152}]}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_success
  [ "$(cat /sys/fs/cgroup/unified$CG/hugetlb.2MB.max)" = 2097152 ]
  run_logged "$CGTOOL" stats "$CG" "$ID"
  jq -e '.hugetlb["2MB"].usage == 0' <<<"$output"
}

@test "cgroup: block I/O throttling and per-device weights reach the blkio files" {
  requires root cgroup_v1
  dev=""
  for b in /sys/block/*; do
    case "${b##*/}" in loop* | ram* | zram*) continue ;; esac
    dev="$(cat "$b/dev")"; break
  done
  [ -n "$dev" ] || skip "no disk block device"
  maj=${dev%:*} min=${dev#*:}
  start sleep 1000
  res r "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":$maj,\"minor\":$min,\"rate\":1048576}],
                       \"throttleWriteIOPSDevice\":[{\"major\":$maj,\"minor\":$min,\"rate\":100}]}}"
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/r.json" "$PID"
  assert_success
  grep -qx "$dev 1048576" /sys/fs/cgroup/blkio$CG/blkio.throttle.read_bps_device
  grep -qx "$dev 100" /sys/fs/cgroup/blkio$CG/blkio.throttle.write_iops_device
  # rate 0 lifts the limit
  res u "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":$maj,\"minor\":$min,\"rate\":0}]}}"
  run_logged "$CGTOOL" update "$CG" "$ID" "$T/u.json"
  assert_success
  [ -z "$(cat /sys/fs/cgroup/blkio$CG/blkio.throttle.read_bps_device)" ]
}

@test "cgroup: update changes cpu shares, pids and device rules of a live cgroup" {
  requires root cgroup_v1
  start sleep 1000
  res a '{"cpu":{"shares":256},"pids":{"limit":5},"devices":[{"allow":false,"access":"rwm"}]}'
  res b '{"cpu":{"shares":2048},"pids":{"limit":-1},"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rw"}]}'
  run_logged "$CGTOOL" setup "$CG" "$ID" "$T/a.json" "$PID"
  assert_success
  [ -z "$(cat /sys/fs/cgroup/devices$CG/devices.list)" ]
  run_logged "$CGTOOL" update "$CG" "$ID" "$T/b.json"
  assert_success
  [ "$(cat /sys/fs/cgroup/cpu$CG/cpu.shares)" = 2048 ]
  [ "$(cat /sys/fs/cgroup/pids$CG/pids.max)" = max ]
  [ "$(cat /sys/fs/cgroup/devices$CG/devices.list)" = "c 1:3 rw" ]
}
