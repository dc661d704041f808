#!/usr/bin/env bats
# cairn-runtime: the process object — args, env, cwd, user, umask, rlimits,
# capabilities, no_new_privs, oomScoreAdj, LSM labels, scheduler, I/O
# priority, personality — checked from inside the container.

load runtime_common

status_field() { # status_field NAME: the value of NAME in the container's /proc/self/status
  grep "^$1:" <<<"$output" | awk '{print $2}'
}

@test "args and env reach the process exactly" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.env = ["PATH=/bin:/usr/bin", "A=one two", "EMPTY="]'
  in_ctr sh -c 'printf "%s|" "$0" "$1" "$A" "${EMPTY-unset}"; env | sort | tr "\n" " "' 'arg 1' 'arg2'
  [ "$status" -eq 0 ]
  [[ "$output" == "arg 1|arg2|one two||"* ]]
  [[ "$output" == *"A=one two EMPTY= PATH=/bin:/usr/bin"* ]]
}

@test "cwd is used, and created when missing" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.cwd = "/var/lib/new/dir"'
  in_ctr pwd
  [ "$status" -eq 0 ]
  [ "$output" = /var/lib/new/dir ]
  [ -d "$T/bundle/rootfs/var/lib/new/dir" ]
}

@test "user uid, gid, additionalGids and umask" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 29], "umask": 63}'
  in_ctr sh -c 'id; umask; touch /tmp/f; stat -c %a /tmp/f'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "uid=1000(app) gid=1000(app) groups=10(wheel),29(audio)" ]
  [ "${lines[1]}" = 0077 ]
  [ "${lines[2]}" = 600 ]
}

@test "the default umask is 0022" {
  requires root
  rt_bundle true
  in_ctr sh -c umask
  [ "$output" = 0022 ]
}

@test "capabilities: all five sets exactly as configured" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.noNewPrivileges = false | .process.capabilities = {
    "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"],
    "effective": ["CAP_CHOWN", "CAP_KILL"],
    "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "inheritable": ["CAP_NET_BIND_SERVICE"],
    "ambient": ["CAP_NET_BIND_SERVICE"]}'
  # root: the kernel grants the whole bounding set again at execve
  in_ctr cat /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(status_field CapBnd)" = 00000000000004a1 ]
  [ "$(status_field CapInh)" = 0000000000000400 ]
  [ "$(status_field CapAmb)" = 0000000000000400 ]
  [ "$(status_field CapPrm)" = 00000000000004a1 ]
  [ "$(status_field CapEff)" = 00000000000004a1 ]
  # a non-root user keeps what ambient carries over execve: NET_BIND_SERVICE
  config_edit "$T/bundle" '.process.user = {"uid": 1000, "gid": 1000}'
  in_ctr cat /proc/self/status
  [ "$(status_field CapBnd)" = 00000000000004a1 ]
  [ "$(status_field CapInh)" = 0000000000000400 ]
  [ "$(status_field CapAmb)" = 0000000000000400 ]
  [ "$(status_field CapPrm)" = 0000000000000400 ]
  [ "$(status_field CapEff)" = 0000000000000400 ]
}

@test "capabilities of a non-root user; none at all without a capabilities object" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {
    "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
    "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
  in_ctr cat /proc/self/status
  [ "$(status_field CapEff)" = 0000000000000020 ]
  [ "$(status_field CapBnd)" = 0000000000000020 ]
  config_edit "$T/bundle" 'del(.process.capabilities)'
  in_ctr cat /proc/self/status
  [ "$(status_field CapEff)" = 0000000000000000 ]
  [ "$(status_field CapPrm)" = 0000000000000000 ]
}

@test "noNewPrivileges on and off" {
  requires root
  rt_bundle true
  in_ctr cat /proc/self/status
  [ "$(status_field NoNewPrivs)" = 1 ]
  config_edit "$T/bundle" '.process.noNewPrivileges = false'
  in_ctr cat /proc/self/status
  [ "$(status_field NoNewPrivs)" = 0 ]
}

@test "rlimits are set; raising one above our own hard limit is a clear error" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 800},
    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
  in_ctr sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '512\n800\n0')" ]
  hard="$(ulimit -Hn)"
  config_edit "$T/bundle" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": ($h + 1), "hard": ($h + 1)}]' --argjson h "$hard"
  in_ctr true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"set rlimit"*"Operation not permitted" ]]
  [ ! -e "$T/state/$ID" ]
}

@test "hostname and domainname" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.hostname = "box1" | .domainname = "example.test"'
  in_ctr sh -c 'hostname; cat /proc/sys/kernel/domainname'
  [ "$output" = "$(printf 'box1\nexample.test')" ]
  [ "$(hostname)" != box1 ]
}

@test "oomScoreAdj" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.oomScoreAdj = 500'
  in_ctr cat /proc/self/oom_score_adj
  [ "$output" = 500 ]
}

@test "scheduler and I/O priority" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5} |
    .process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  in_ctr sh -c 'cut -d" " -f19,41 /proc/self/stat'
  [ "$status" -eq 0 ]
  # field 19 nice, field 41 policy (3 = SCHED_BATCH)
  [ "$output" = "5 3" ]
}

@test "personality LINUX32 changes uname -m" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.personality = {"domain": "LINUX32"}'
  in_ctr uname -m
  [ "$status" -eq 0 ]
  [ "$output" = i686 ]
}

@test "apparmorProfile and selinuxLabel: a clear error only when set and the host lacks them" {
  requires root
  rt_bundle true
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
    skip "this host has AppArmor: the error path needs a host without it"
  fi
  config_edit "$T/bundle" '.process.apparmorProfile = "cairn-test"'
  in_ctr true
  [ "$status" -eq 1 ]
  [ "$stderr" = 'cairn-runtime: apparmor profile "cairn-test" is set but AppArmor is not enabled on this host' ]
  [ -e /sys/fs/selinux/enforce ] && skip "this host has SELinux"
  config_edit "$T/bundle" 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
  in_ctr true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"SELinux is not enabled on this host" ]]
  # empty values are "not set"
  config_edit "$T/bundle" '.process.selinuxLabel = "" | .process.apparmorProfile = ""'
  in_ctr true
  [ "$status" -eq 0 ]
}
