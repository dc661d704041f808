#!/usr/bin/env bats
# cairn-spec's namespaces, hostname and annotations, checked inside runc
# containers by comparing namespace identities with the host's.

load spec_helpers

NETNS=""

teardown() {
  [ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
  runc --root "$T/runc" delete -f "$CID" >/dev/null 2>&1 || true
  common_teardown
}

ns_inside() { # prints the container's namespace links, one "type link" a line
  ctr "$@" -- sh -c 'for n in net ipc uts pid; do echo "$n $(readlink /proc/self/ns/$n)"; done; hostname'
}

@test "cairn-spec: by default every namespace is the container's own; the network has only lo" {
  ns_inside
  [ "$status" -eq 0 ]
  for n in net ipc uts pid; do
    refute_line "$n $(readlink /proc/self/ns/$n)"
  done
  ctr -- ls /sys/class/net
  [ "$output" = lo ]
}

@test "cairn-spec: --network host, --ipc host, --pid host, --uts host share the host's" {
  ns_inside --network host --ipc host --pid host --uts host
  [ "$status" -eq 0 ]
  for n in net ipc uts pid; do
    assert_line "$n $(readlink /proc/self/ns/$n)"
  done
  assert_line "$(hostname)"
  [ "$(cfg 'has("hostname")')" = false ]
  [ "$(cfg '[.linux.namespaces[].type] | sort')" = '["mount"]' ]
}

@test "cairn-spec: --network host keeps a private UTS namespace named like the host" {
  gen --network host -- true
  [ "$(cfg .hostname)" = "\"$(hostname)\"" ]
  [ "$(cfg '.linux | has("sysctl")')" = false ]
}

@test "cairn-spec: --netns PATH joins that network namespace" {
  requires cmd:ip
  NETNS="cairn-spec-test-$$"
  ip netns add "$NETNS"
  ip -n "$NETNS" link add probe0 type veth peer name probe1
  ctr --netns "/run/netns/$NETNS" -- ls /sys/class/net
  [ "$status" -eq 0 ]
  assert_line probe0
  assert_line lo
}

@test "cairn-spec: --network none is a new empty network namespace" {
  gen --network none -- true
  [ "$(cfg '.linux.namespaces[] | select(.type == "network")')" = '{"type":"network"}' ]
}

@test "cairn-spec: bad namespace flags are refused" {
  run_logged cairn-spec --network weird -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec --network host --netns /run/netns/x -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --netns conflicts with --network host" ]
  run_logged cairn-spec --uts host --hostname x -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec --pid sideways -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --pid: invalid mode 'sideways' (want host, private or a namespace path)" ]
}

@test "cairn-spec: --label and --stop-signal become annotations; the image's StopSignal is the default" {
  gen --label com.example.a=1 --label empty -- true
  [ "$(cfg .annotations)" = '{"com.example.a":"1","empty":""}' ]
  jq '.config.StopSignal = "SIGQUIT"' "$IMG" >"$T/i2" && mv "$T/i2" "$IMG"
  gen -- true
  [ "$(cfg '.annotations["org.opencontainers.image.stopSignal"]')" = '"SIGQUIT"' ]
  gen --stop-signal term -- true
  [ "$(cfg '.annotations["org.opencontainers.image.stopSignal"]')" = '"SIGTERM"' ]
  gen --stop-signal 9 -- true
  [ "$(cfg '.annotations["org.opencontainers.image.stopSignal"]')" = '"SIGKILL"' ]
  run_logged cairn-spec --stop-signal SIGNOPE -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: --stop-signal: invalid signal 'SIGNOPE'" ]
}
