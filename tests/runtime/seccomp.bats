#!/usr/bin/env bats
# cairn-runtime: linux.seccomp through libseccomp — actions, errnoRet,
# argument conditions, default action and errno, and docker's default
# profile (spec/seccomp.json, the data cairn-spec uses) in OCI form.

load runtime_common

setup() {
  common_setup
  ID="crt-${BATS_TEST_NUMBER}-$$"
  export ID
  requires cmd:gcc
  rt_bundle true
  cp "$(rt_prog probe)" "$T/bundle/rootfs/probe"
}

@test "a deny rule: the syscall fails with EPERM, the status shows a filter" {
  requires root
  config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["unshare", "keyctl"], "action": "SCMP_ACT_ERRNO"}]}'
  in_ctr sh -c '/probe unshare; /probe keyctl; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\t"'
  [ "$output" = "$(printf 'errno 1 Operation not permitted\nerrno 1 Operation not permitted\nNoNewPrivs:1\nSeccomp:2')" ]
}

@test "errnoRet, argument conditions and defaultErrnoRet" {
  requires root
  config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
      {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_EQ"}]},
      {"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]}]}'
  in_ctr sh -c '/probe mkdir /tmp/d; touch /tmp/f; /probe chmod /tmp/f 777; /probe chmod /tmp/f 755'
  [ "$output" = "$(printf 'errno 38 Function not implemented\nerrno 1 Operation not permitted\nok')" ]
}

@test "SCMP_ACT_KILL_PROCESS kills the process" {
  requires root
  config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
  in_ctr /probe keyctl
  # SIGSYS
  [ "$status" -eq 159 ]
}

@test "the default action with defaultErrnoRet applies to what no rule allows" {
  requires root
  # allow everything busybox and probe use to start, by listing what the
  # kernel knows except keyctl (the rest keeps the default)
  config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 95,
    "syscalls": [{"names": ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list",
      "rseq", "prlimit64", "mprotect", "readlink", "getrandom", "uname", "write", "exit_group",
      "newfstatat", "fstat", "ioctl", "getpid", "mmap", "munmap", "read", "close", "openat"],
      "action": "SCMP_ACT_ALLOW"}]}'
  in_ctr /probe keyctl
  [ "$output" = "errno 95 Operation not supported" ]
}

@test "docker's default profile: unshare and keyctl are refused, the rest works" {
  requires root
  profile="$CAIRN_SRC/spec/seccomp.json"
  [ -f "$profile" ] || fail "$profile is missing"
  caps="$(jq -c '.process.capabilities.bounding' "$T/bundle/config.json")"
  # docker's profile format → OCI linux.seccomp for amd64 and these caps
  jq --argjson caps "$caps" '{defaultAction, defaultErrnoRet,
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      syscalls: [.syscalls[]
        | select(((.includes.caps // []) - $caps) == [])
        | select(((.excludes.caps // []) - ((.excludes.caps // []) - $caps)) == [])
        | select((.includes.arches // []) as $a | $a == [] or ($a | index("amd64")))
        | select((.excludes.arches // []) | index("amd64") | not)
        | {names, action} + (if .args then {args} else {} end)
          + (if .errnoRet then {errnoRet} else {} end)]}' "$profile" >"$T/seccomp.json"
  config_edit "$T/bundle" '.linux.seccomp = $p' --slurpfile p "$T/seccomp.json"
  config_edit "$T/bundle" '.linux.seccomp = .linux.seccomp[0]'
  in_ctr sh -c '/probe unshare; /probe keyctl; ls /bin/sh >/dev/null && echo works; grep ^Seccomp: /proc/self/status | tr -d "\t"'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "errno "* ]]
  [[ "${lines[1]}" == "errno "* ]]
  [ "${lines[2]}" = works ]
  [ "${lines[3]}" = Seccomp:2 ]
}

@test "bad seccomp input: unknown action, unknown operator, notify" {
  requires root
  config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_MAYBE"}'
  in_ctr true
  [ "$status" -eq 1 ]
  [ "$stderr" = 'cairn-runtime: config.json: linux.seccomp.defaultAction: unknown action "SCMP_ACT_MAYBE"' ]
  config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}'
  in_ctr true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'unknown operator "SCMP_CMP_ABOUT"' ]]
  config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOTIFY"}'
  in_ctr true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"not supported"* ]]
  [ ! -e "$T/state/$ID" ]
}

@test "without no_new_privs the filter is loaded while the runtime still may" {
  requires root
  config_edit "$T/bundle" '.process.noNewPrivileges = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO"}]}'
  in_ctr sh -c '/probe keyctl; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\t"'
  [ "$output" = "$(printf 'errno 1 Operation not permitted\nNoNewPrivs:0\nSeccomp:2')" ]
}

@test "the compiled filter is cached per profile and a wrong or torn cache file is never used" {
  requires root
  deny() { # deny ERRNO: mkdir fails with ERRNO
    config_edit "$T/bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": $n}]}' \
      --argjson n "$1"
  }
  deny 38
  in_ctr /probe mkdir /tmp/d
  [ "$output" = "errno 38 Function not implemented" ]
  cache="$T/state/.seccomp"
  [ "$(ls "$cache" | wc -l)" -eq 1 ]
  f38="$(ls "$cache"/*.bpf)"
  [ "$(stat -c %a "$cache")" = 700 ]
  # the same profile again: served from the file, same behaviour
  in_ctr /probe mkdir /tmp/d
  [ "$output" = "errno 38 Function not implemented" ]
  [ "$(ls "$cache" | wc -l)" -eq 1 ]
  # another profile gets its own program
  deny 39
  in_ctr /probe mkdir /tmp/d
  [ "$output" = "errno 39 Directory not empty" ]
  [ "$(ls "$cache" | wc -l)" -eq 2 ]
  f39="$(ls "$cache"/*.bpf | grep -vx "$f38")"
  # the errno-38 program under the errno-39 name is refused, not loaded
  cp "$f38" "$f39"
  in_ctr /probe mkdir /tmp/d
  [ "$output" = "errno 39 Directory not empty" ]
  # so is a torn file, and a file someone else may write
  head -c 100 "$f38" >"$f39"
  in_ctr /probe mkdir /tmp/d
  [ "$output" = "errno 39 Directory not empty" ]
  cp "$f38" "$f39" && chmod 666 "$f39"
  in_ctr /probe mkdir /tmp/d
  [ "$output" = "errno 39 Directory not empty" ]
}
