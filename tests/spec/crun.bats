#!/usr/bin/env bats
# The key properties of cairn-spec's configs under crun too (crun runs in a
# private mount namespace without the cgroup2 mount: it refuses hybrid
# cgroups).

load spec_helpers

setup() {
  common_setup
  requires root cmd:crun cmd:unshare
  CID="cairn-spec-crun-$BATS_TEST_NUMBER-$$"
  IMG="$T/image.json"
  BUNDLE="$T/bundle"
  spec_image_config "$IMG"
  fixture_rootfs_copy "$BUNDLE/rootfs"
}

field() { printf '%s\n' "$output" | awk -v k="$1:" '$1 == k { print $2 }'; }

@test "cairn-spec under crun: default capabilities, seccomp and masked paths" {
  ctr_crun -- sh -c 'cat /proc/self/status; echo "timer=$(wc -c </proc/timer_list)"; unshare -n true; echo "unshare=$?"'
  [ "$status" -eq 0 ]
  [ "$(field CapEff)" = 00000000a80425fb ]
  [ "$(field Seccomp)" = 2 ]
  assert_line "timer=0"
  assert_line "unshare=1"
}

@test "cairn-spec under crun: --read-only, user, env and workdir" {
  ctr_crun --read-only -u app -e X=1 -w /tmp -- sh -c 'id; echo "X=$X"; pwd; touch /f; echo "rc=$?"'
  [ "$status" -eq 0 ]
  assert_line "uid=1000(app) gid=1000(app) groups=10(wheel),29(audio),1000(app)"
  assert_line "X=1"
  assert_line /tmp
  assert_line "rc=1"
}

@test "cairn-spec under crun: memory limit and pids limit in the container's cgroup" {
  requires cgroup_v1
  ctr_crun -m 48m --pids-limit 30 -- sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "50331648 30" ]
}

@test "cairn-spec under crun: --init, mounts and --privileged" {
  mkdir -p "$T/d" && echo hi >"$T/d/f"
  ctr_crun --init -v "$T/d:/d:ro" --tmpfs /scratch -- sh -c 'tr "\0" " " </proc/1/cmdline; echo; cat /d/f; grep -c " /scratch tmpfs" /proc/mounts; exit 4'
  [ "$status" -eq 4 ]
  assert_line --regexp '^/dev/init -- sh'
  assert_line hi
  assert_line 1
  host_bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
  ctr_crun --privileged -- cat /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(field CapEff)" = "$host_bnd" ]
  [ "$(field Seccomp)" = 0 ]
}
