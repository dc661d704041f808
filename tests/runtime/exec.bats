#!/usr/bin/env bats
# cairn-runtime: exec — a new process in a running container, in its
# namespaces and cgroup, with the flags runc has.

load runtime_common

setup() {
  common_setup
  ID="crt-${BATS_TEST_NUMBER}-$$"
  export ID
  rt_bundle sleep 100
  config_edit "$T/bundle" '.hostname = "exec-box" | .process.env += ["FROM_CONFIG=yes"]'
}

start_ctr() { rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1; }

@test "exec runs in the container's namespaces and cgroup, with the config's env" {
  requires root
  start_ctr
  pid="$(rt state "$ID" | jq .pid)"
  run_logged rt exec "$ID" sh -c 'hostname; echo $$; ps -o pid,comm | grep -c sleep; echo $FROM_CONFIG; readlink /proc/self/ns/mnt'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = exec-box ]
  [ "${lines[1]}" -gt 1 ]
  [ "${lines[2]}" = 1 ]
  [ "${lines[3]}" = yes ]
  [ "${lines[4]}" = "$(readlink /proc/"$pid"/ns/mnt)" ]
  # in the container's cgroup, seen from the host
  run_logged rt ps --format json "$ID"
  [ "$(jq length <<<"$output")" -eq 1 ]
  rt exec -d --pid-file "$T/epid" "$ID" sleep 50 </dev/null >/dev/null 2>&1
  epid="$(cat "$T/epid")"
  [ "$(cat /proc/"$epid"/cgroup)" = "$(cat /proc/"$pid"/cgroup)" ]
  [ "$(rt ps --format json "$ID" | jq length)" -eq 2 ]
}

@test "exec returns the process's exit code; -d returns at once and the process lives on" {
  requires root
  start_ctr
  run_logged rt exec "$ID" sh -c 'exit 9'
  [ "$status" -eq 9 ]
  run_logged rt exec -d --pid-file "$T/epid" "$ID" sleep 30
  [ "$status" -eq 0 ]
  sleep 0.3
  [ "$(cat /proc/"$(cat "$T/epid")"/comm)" = sleep ]
  grep -q "^State:.*S" /proc/"$(cat "$T/epid")"/status
}

@test "exec -e, --cwd, -u, -g, --cap and --no-new-privs" {
  requires root
  start_ctr
  run_logged rt exec -e A=1 -e FROM_CONFIG=over --cwd /tmp -u 1000:1000 -g 29 --cap CAP_NET_RAW --no-new-privs "$ID" \
    sh -c 'echo $A $FROM_CONFIG; pwd; id; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status | tr -d "\t"'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1 over" ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = "uid=1000(app) gid=1000(app) groups=29(audio)" ]
  # the spec's bounding set (AUDIT_WRITE, KILL, NET_BIND_SERVICE) plus NET_RAW (13)
  [ "${lines[3]}" = CapBnd:0000000020002420 ]
  [ "${lines[4]}" = NoNewPrivs:1 ]
}

@test "exec --process takes the whole process from a file" {
  requires root
  start_ctr
  jq -n '{"args": ["sh", "-c", "echo $P; pwd; id -u"], "env": ["P=from-file", "PATH=/bin"], "cwd": "/etc",
    "user": {"uid": 2, "gid": 2}}' >"$T/process.json"
  run_logged rt exec --process "$T/process.json" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'from-file\n/etc\n2')" ]
}

@test "exec errors: stopped, paused, unknown container, missing program" {
  requires root
  run_logged rt exec nope true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'container "nope" does not exist'* ]]
  start_ctr
  run_logged rt exec "$ID" nope-nope
  [ "$status" -eq 1 ]
  [ "$stderr" = 'cairn-runtime: exec: "nope-nope": executable file not found in $PATH' ]
  rt pause "$ID"
  run_logged rt exec "$ID" true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"paused"* ]]
  rt resume "$ID"
  rt kill "$ID" KILL
  wait_until 5 rt_is "$ID" stopped
  run_logged rt exec "$ID" true
  [ "$status" -eq 1 ]
  [ "$stderr" = "cairn-runtime: cannot exec in a stopped container" ]
}

@test "exec into a created container, before start" {
  requires root
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged rt exec "$ID" hostname
  [ "$status" -eq 0 ]
  [ "$output" = exec-box ]
  [ "$(rt_status "$ID")" = created ]
}

@test "exec -t with a console socket" {
  requires root cmd:python3
  start_ctr
  "$CAIRN_SRC/tests/runtime/progs/recvtty.py" "$T/tty.sock" "$T/tty.out" 3>&- &
  recv=$!
  wait_until 5 test -e "$T/tty.out.ready"
  run_logged rt exec -t -d --console-socket "$T/tty.sock" "$ID" sh -c 'tty; echo done'
  [ "$status" -eq 0 ]
  wait "$recv"
  [ "$(tr -d '\r' <"$T/tty.out" | sed -n 2p)" = /dev/pts/0 ]
  [ "$(tr -d '\r' <"$T/tty.out" | sed -n 3p)" = done ]
}

@test "exec -t in the foreground relays the pty itself" {
  requires root
  start_ctr
  run_logged rt exec -t "$ID" sh -c 'tty; exit 4' </dev/null
  [ "$status" -eq 4 ]
  [[ "$(tr -d '\r' <<<"$output")" == /dev/pts/* ]]
}

@test "exec into a container with a user namespace" {
  requires root
  config_edit "$T/bundle" '.linux.namespaces += [{"type": "user"}] |
    .linux.uidMappings = [{"containerID": 0, "hostID": 400000, "size": 65536}] |
    .linux.gidMappings = [{"containerID": 0, "hostID": 400000, "size": 65536}]'
  chmod 755 "$T"
  start_ctr
  run_logged rt exec "$ID" sh -c 'id -u; cat /proc/self/uid_map | tr -s " "'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '0\n 0 400000 65536')" ]
}
