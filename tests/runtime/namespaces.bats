#!/usr/bin/env bats
# cairn-runtime: namespaces, new or joined by path, and user namespace id
# mappings — seen from inside the container.

load runtime_common

ns_of() { readlink "/proc/$1/ns/$2"; }
# own_ns PID NS: PID has left our NS namespace (for wait_until, which re-runs it)
own_ns() { [ "$(ns_of "$1" "$2")" != "$(ns_of $$ "$2")" ]; }
has_child() { [ -n "$(pgrep -P "$1")" ]; }

@test "new pid, network, ipc, uts, mount and cgroup namespaces" {
  requires root
  rt_bundle sleep 100
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  for ns in pid net ipc uts mnt cgroup; do
    [ "$(ns_of "$pid" $ns)" != "$(ns_of $$ $ns)" ] || fail "$ns namespace is the host's"
  done
  # user and time are not in the default spec: shared with the host
  [ "$(ns_of "$pid" user)" = "$(ns_of $$ user)" ]
  run_logged rt exec "$ID" sh -c 'echo $$; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; cat /proc/self/cgroup | head -1'
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = lo ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[2]}" == *:/ ]]
}

@test "the container's process is pid 1 and lo is up" {
  requires root
  rt_bundle true
  in_ctr sh -c 'echo $$; cat /sys/class/net/lo/flags'
  [ "$status" -eq 0 ]
  # 0x9: IFF_UP | IFF_LOOPBACK
  [ "$output" = "$(printf '1\n0x9')" ]
}

@test "a network namespace joined by path" {
  requires root cmd:ip
  ip netns add "$ID"
  ip -n "$ID" addr add 10.123.45.67/32 dev lo
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/run/netns/$ID"
  in_ctr sh -c 'grep -m1 -o 10.123.45.67 /proc/net/fib_trie'
  ip netns del "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = 10.123.45.67 ]
}

@test "a user namespace with uid and gid mappings" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces += [{"type": "user"}] |
    .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] |
    .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
  # the mapped root must reach the rootfs (as with runc)
  chmod 755 "$T"
  chown 200000:200000 "$T/bundle/rootfs/tmp"
  in_ctr sh -c 'id; cat /proc/self/uid_map /proc/self/gid_map | tr -s " "; touch /tmp/made; ls -l /dev/null | cut -c1'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "uid=0(root) gid=0(root)" ]
  [ "${lines[1]}" = " 0 200000 65536" ]
  [ "${lines[2]}" = " 0 200000 65536" ]
  [ "${lines[3]}" = c ]
  [ "$(stat -c %u:%g "$T/bundle/rootfs/tmp/made")" = 200000:200000 ]
}

@test "a user namespace together with a joined network namespace" {
  requires root cmd:ip
  ip netns add "$ID"
  ip -n "$ID" addr add 10.123.45.68/32 dev lo
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end) |
    .linux.namespaces += [{"type": "user"}] |
    .linux.uidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}] |
    .linux.gidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}]' --arg p "/run/netns/$ID"
  chmod 755 "$T"
  in_ctr sh -c 'echo $$; id -u; grep -m1 -o 10.123.45.68 /proc/net/fib_trie; cat /proc/self/uid_map | tr -s " "'
  ip netns del "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '1\n0\n10.123.45.68\n 0 300000 65536')" ]
}

@test "a time namespace with offsets" {
  requires root
  [ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces += [{"type": "time"}] |
    .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 3600, "nanosecs": 0}}'
  in_ctr cat /proc/uptime
  [ "$status" -eq 0 ]
  up="${output%%.*}"
  host="$(cut -d. -f1 /proc/uptime)"
  [ "$up" -ge $((host + 864000 - 5)) ]
  [ "$up" -le $((host + 864000 + 60)) ]
}

@test "a uts namespace joined by path shares the hostname of its holder" {
  requires root cmd:unshare
  unshare --uts sh -c "hostname held-$ID; exec sleep 100" &
  holder=$!
  wait_until 5 own_ns "$holder" uts
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces |= map(if .type == "uts" then .path = $p else . end) | del(.hostname)' --arg p "/proc/$holder/ns/uts"
  in_ctr hostname
  kill "$holder"
  [ "$status" -eq 0 ]
  [ "$output" = "held-$ID" ]
}

@test "a pid namespace joined by path: the container's process is not its pid 1" {
  requires root cmd:unshare
  unshare --pid --fork --mount-proc sleep 100 &
  holder=$!
  wait_until 5 has_child "$holder"
  inner="$(pgrep -P $holder)"
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' --arg p "/proc/$inner/ns/pid"
  in_ctr sh -c 'echo $$'
  kill "$holder"
  [ "$status" -eq 0 ]
  [ "$output" -gt 1 ]
}
