#!/usr/bin/env bats
# cairn-spec's resources: cgroup limits seen from inside the container (this
# host has cgroup v1 controllers: runc mounts the container's own cgroup at
# /sys/fs/cgroup/<controller>), devices and sysctls.

load spec_helpers

@test "cairn-spec: -m sets the memory limit, and swap = 2 x memory as docker" {
  requires cgroup_v1
  ctr -m 64m -- sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo no-swap-accounting'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 67108864 ]
  if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
    [ "${lines[1]}" = 134217728 ]
  fi
}

@test "cairn-spec: --memory-swap and --memory-reservation" {
  requires cgroup_v1
  [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "host kernel does not account swap"
  ctr -m 32m --memory-swap 96m --memory-reservation 16m -- sh -c 'cd /sys/fs/cgroup/memory; cat memory.limit_in_bytes memory.memsw.limit_in_bytes memory.soft_limit_in_bytes'
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "33554432 100663296 16777216" ]
}

@test "cairn-spec: a container over its memory limit is OOM-killed" {
  requires cgroup_v1
  ctr -m 16m --memory-swap 16m -- sh -c 'x=a; while :; do x="$x$x"; done'
  [ "$status" -eq 137 ]
}

@test "cairn-spec: --cpus, --cpu-shares, --cpuset-cpus, --pids-limit" {
  requires cgroup_v1
  ctr --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --pids-limit 42 -- sh -c 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/pids/pids.max'
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "50000 100000 512 0 42" ]
}

@test "cairn-spec: the pids limit holds" {
  requires cgroup_v1
  ctr --pids-limit 5 -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait; echo done'
  [[ "$stderr" == *"can't fork"* || "$stderr" == *"Resource temporarily unavailable"* ]]
}

@test "cairn-spec: resource flags with bad values are refused" {
  run_logged cairn-spec -m 12XB -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --memory: invalid size: '12XB'" ]
  run_logged cairn-spec -m 1m -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"minimum memory limit allowed is 6MB" ]]
  run_logged cairn-spec --memory-swap 1g -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec -m 64m --memory-swap 32m -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec --cpus 1000 -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"range of CPUs is from 0.01"* ]]
  run_logged cairn-spec --cpuset-cpus 0-x -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec --pids-limit many -- true
  [ "$status" -eq 2 ]
}

@test "cairn-spec: devices are denied but docker's list; --device adds one with its permissions" {
  [ -c /dev/fuse ] || skip "host has no /dev/fuse"
  ctr -- sh -c 'mknod /dev/f c 10 229 && cat /dev/f; echo "rc=$?"'
  [ "$status" -eq 0 ]
  assert_line "rc=1"
  [[ "$stderr" == *"Operation not permitted"* ]]
  ctr --device /dev/fuse -- sh -c 'ls -l /dev/fuse; exec 3<>/dev/fuse && echo opened'
  [ "$status" -eq 0 ]
  assert_line --regexp '^crw------- .* 10, *229 .*/dev/fuse$'
  assert_line opened
  ctr --device /dev/fuse:/dev/myfuse:r -- sh -c 'exec 3</dev/myfuse && echo read-ok; (exec 4<>/dev/myfuse) && echo rw-ok; echo end'
  [ "$status" -eq 0 ]
  assert_line read-ok
  refute_line rw-ok
  assert_line end
}

@test "cairn-spec: bad --device values are refused" {
  run_logged cairn-spec --device /dev/nosuch -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --device: device '/dev/nosuch': No such file or directory" ]
  run_logged cairn-spec --device /etc/hostname -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"not a device node" ]]
  run_logged cairn-spec --device /dev/null:/dev/n:rwx -- true
  [ "$status" -eq 2 ]
}

@test "cairn-spec: docker's network sysctls by default; --sysctl sets namespaced ones" {
  ctr --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmax=123456789 -- sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_unprivileged_port_start'
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "1 123456789 0" ]
  ctr -- cat /proc/sys/net/ipv4/ping_group_range
  [ "$(printf '%s' "$output" | tr -s ' \t' ' ')" = "0 2147483647" ]
}

@test "cairn-spec: --sysctl outside the container's namespaces is refused" {
  run_logged cairn-spec --sysctl kernel.panic=1 -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --sysctl 'kernel.panic': not allowed (not namespaced)" ]
  run_logged cairn-spec --network host --sysctl net.ipv4.ip_forward=1 -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec --ipc host --sysctl kernel.shmmax=1 -- true
  [ "$status" -eq 2 ]
}

@test "cairn-spec: --cgroups-path is passed through, none by default" {
  gen -- true
  [ "$(cfg '.linux | has("cgroupsPath")')" = false ]
  gen --cgroups-path /cairn/abc -- true
  [ "$(cfg .linux.cgroupsPath)" = '"/cairn/abc"' ]
}
