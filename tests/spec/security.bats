#!/usr/bin/env bats
# cairn-spec's security defaults and flags, checked inside containers run by runc.

load spec_helpers

status_field() { # status_field NAME: the value of NAME in the container's output
  printf '%s\n' "$output" | awk -v k="$1:" '$1 == k { print $2 }'
}

@test "cairn-spec: default container has docker's 14 capabilities and seccomp filtering" {
  ctr -- sh -c 'cat /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_field CapEff)" = 00000000a80425fb ]
  [ "$(status_field CapBnd)" = 00000000a80425fb ]
  [ "$(status_field CapPrm)" = 00000000a80425fb ]
  [ "$(status_field CapInh)" = 0000000000000000 ]
  [ "$(status_field Seccomp)" = 2 ]
  [ "$(status_field NoNewPrivs)" = 0 ]
}

@test "cairn-spec: the default seccomp profile blocks unshare and namespace clone flags" {
  ctr -- sh -c 'unshare -n true; echo "unshare=$?"; unshare -U true; echo "userns=$?"; echo ok'
  [ "$status" -eq 0 ]
  assert_line "unshare=1"
  assert_line "userns=1"
  assert_line ok
  [[ "$stderr" == *"Operation not permitted"* ]]
}

@test "cairn-spec: CAP_SYS_ADMIN also opens the syscalls the profile ties to it" {
  ctr --cap-add SYS_ADMIN -- sh -c 'unshare -n true; echo "unshare=$?"'
  [ "$status" -eq 0 ]
  assert_line "unshare=0"
  [ "$(cfg '[.linux.seccomp.syscalls[].names[]] | index("unshare") != null')" = true ]
}

@test "cairn-spec: masked and read-only /proc paths" {
  ctr -- sh -c 'wc -c < /proc/timer_list; cat /proc/keys | wc -c; [ -e /proc/kcore ] && wc -c < /proc/kcore; echo 1 > /proc/sys/kernel/ns_last_pid; echo "sys=$?"; ls /sys/firmware | wc -l'
  [ "$status" -eq 0 ]
  # Host sanity: /proc/timer_list is not empty outside.
  [ "$(wc -c </proc/timer_list)" -gt 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  if [ -e /proc/kcore ]; then [ "${lines[2]}" = 0 ]; fi
  assert_line "sys=1"
  [ "${lines[${#lines[@]}-1]}" = 0 ]
  [ "$(cfg '.linux.maskedPaths | index("/proc/kcore") != null')" = true ]
}

@test "cairn-spec: --cap-drop and --cap-add change the set" {
  ctr --cap-drop chown --cap-drop CAP_NET_RAW --cap-add net_admin -- cat /proc/self/status
  [ "$status" -eq 0 ]
  # a80425fb - CHOWN(bit 0) - NET_RAW(bit 13) + NET_ADMIN(bit 12)
  [ "$(status_field CapEff)" = 00000000a80415fa ]
}

@test "cairn-spec: --cap-drop ALL keeps only what --cap-add names" {
  ctr --cap-drop ALL --cap-add KILL -- cat /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(status_field CapEff)" = 0000000000000020 ]
}

@test "cairn-spec: --cap-add ALL gives every capability the caller has but the dropped" {
  host_bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
  ctr --cap-add ALL --cap-drop SYS_ADMIN -- cat /proc/self/status
  [ "$status" -eq 0 ]
  want=$(printf '%016x' $(( 0x$host_bnd & ~(1 << 21) )))
  [ "$(status_field CapEff)" = "$want" ]
}

@test "cairn-spec: --privileged has full capabilities, no seccomp, no masks, host devices" {
  host_bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
  ctr --privileged -- sh -c 'cat /proc/self/status; echo "timer=$(wc -c < /proc/timer_list)"; ls /dev | wc -l; grep -w sysfs /proc/mounts'
  [ "$status" -eq 0 ]
  [ "$(status_field CapEff)" = "$host_bnd" ]
  [ "$(status_field Seccomp)" = 0 ]
  timer=$(printf '%s\n' "$output" | sed -n 's/^timer=//p')
  [ "$timer" -gt 0 ]
  [[ "$output" == *"sysfs /sys sysfs rw"* ]]
  [ "$(cfg '.linux.devices | length')" -gt 5 ]
  [ "$(cfg '.linux.resources.devices')" = '[{"access":"rwm","allow":true}]' ]
}

@test "cairn-spec: --security-opt seccomp=unconfined turns seccomp off only" {
  ctr --security-opt seccomp=unconfined -- cat /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(status_field Seccomp)" = 0 ]
  [ "$(status_field CapEff)" = 00000000a80425fb ]
  [ "$(cfg '.linux | has("seccomp")')" = false ]
}

@test "cairn-spec: --security-opt seccomp=FILE takes a profile in docker's format" {
  # Everything allowed but mkdir, and chroot only with a capability we lack.
  cat >"$T/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
 "syscalls": [
   {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
   {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_MODULE"]}}
 ]}
JSON
  ctr --security-opt "seccomp=$T/profile.json" -- sh -c 'mkdir /tmp/d; echo "mkdir=$?"; touch /tmp/f && echo touched'
  [ "$status" -eq 0 ]
  assert_line "mkdir=1"
  assert_line touched
  [[ "$stderr" == *"Permission denied"* ]]
  [ "$(cfg '.linux.seccomp.syscalls | length')" = 1 ]
  [ "$(cfg '.linux.seccomp.architectures')" = '["SCMP_ARCH_X86_64","SCMP_ARCH_X86"]' ]
}

@test "cairn-spec: --security-opt no-new-privileges sets NoNewPrivs" {
  ctr --security-opt no-new-privileges -- cat /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(status_field NoNewPrivs)" = 1 ]
}

@test "cairn-spec: a non-root user has no effective capabilities, as under docker" {
  ctr -u app -- cat /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(status_field CapEff)" = 0000000000000000 ]
  [ "$(status_field CapBnd)" = 00000000a80425fb ]
}

@test "cairn-spec: bad --cap-add and --security-opt values are refused" {
  run_logged cairn-spec --cap-add CAP_FLY -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --cap-add: unknown capability 'CAP_FLY'" ]
  run_logged cairn-spec --security-opt seccomp="$T/missing.json" -- true
  [ "$status" -ne 0 ]
  [[ "$stderr" == "cairn-spec: --security-opt seccomp: open '$T/missing.json': No such file or directory" ]]
  echo '{"defaultAction": 1}' >"$T/bad.json"
  run_logged cairn-spec --security-opt seccomp="$T/bad.json" -- true
  [ "$status" -eq 2 ]
  [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
  [[ "$stderr" == *"defaultAction: expected a string"* ]]
  run_logged cairn-spec --security-opt bogus -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --security-opt 'bogus': unknown option" ]
}
