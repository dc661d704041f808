#!/usr/bin/env bats
# cairn-bridge with cairn-ipam: real namespaces, veths and a bridge.

load ../helpers/common
load net

ping_ok() { in_ns "$1" busybox ping -c 1 -W 2 "$2" >/dev/null; }

@test "cairn-bridge: two namespaces ping each other and the gateway; the host reaches them" {
  a=$(mk_netns a)
  b=$(mk_netns b)
  bridge_conf >"$T/c.json"
  cni ADD cairn-bridge "$a" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  ipa=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
  [ "$(jq -r '.interfaces[0].name' <<<"$output")" = "$BR" ]
  [ "$(jq -r '.interfaces[2].name' <<<"$output")" = eth0 ]
  [ "$(jq -r '.interfaces[2].sandbox' <<<"$output")" = "$a" ]
  [ "$(jq -r '.ips[0].interface' <<<"$output")" = 2 ]
  # the MAC the result reports is the container's
  mac=$(jq -r '.interfaces[2].mac' <<<"$output")
  [[ "$(in_ns a ip -o link show eth0)" == *"link/ether $mac "* ]]
  cni ADD cairn-bridge "$b" cb <"$T/c.json"
  [ "$status" -eq 0 ]
  ipb=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
  [ "$ipa" != "$ipb" ]
  retry 3 0.2 ping_ok a "$ipb"
  retry 3 0.2 ping_ok b "$ipa"
  retry 3 0.2 ping_ok a "$GW"
  busybox ping -c 1 -W 2 "$ipa" >/dev/null
  run ip -o -4 addr show dev "$BR"
  [[ "$output" == *"$GW/24"* ]]
}

@test "cairn-bridge: MTU, routes and the default gateway as configured" {
  a=$(mk_netns a)
  cni ADD cairn-bridge "$a" ca < <(bridge_conf '.mtu = 1400 | .isDefaultGateway = true |
      .ipam.routes = [{dst: "192.0.2.0/24", gw: "'"10.199.$OCT.254"'"}]')
  [ "$status" -eq 0 ]
  [[ "$(in_ns a ip -o link show eth0)" == *" mtu 1400 "* ]]
  [ "$(cat /sys/class/net/"$BR"/mtu)" = 1400 ]
  result=$output
  run in_ns a ip -4 route
  [[ "$output" == *"default via $GW dev eth0"* ]]
  [[ "$output" == *"192.0.2.0/24 via 10.199.$OCT.254 dev eth0"* ]]
  [ "$(jq -r '.routes[] | select(.dst == "0.0.0.0/0") | .gw' <<<"$result")" = "$GW" ]
}

@test "cairn-bridge: DEL removes the veth, the allocation and the nft elements; DEL twice succeeds" {
  a=$(mk_netns a)
  b=$(mk_netns b)
  bridge_conf >"$T/c.json"
  cni ADD cairn-bridge "$b" cb <"$T/c.json"
  cni ADD cairn-bridge "$a" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  hostveth=$(jq -r '.interfaces[1].name' <<<"$output")
  ip link show "$hostveth" >/dev/null
  [ "$(nft_owners | grep -c '"ca eth0"')" -eq 2 ]
  grep -rq ca "$T/ipam/t"
  cni DEL cairn-bridge "$a" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  run ip link show "$hostveth"
  [ "$status" -ne 0 ]
  run in_ns a ip link show eth0
  [ "$status" -ne 0 ]
  run grep -rl ca "$T/ipam/t"
  [ "$status" -ne 0 ]
  [ "$(nft_owners | grep -c '"ca eth0"')" -eq 0 ]
  [ "$(nft_owners | grep -c '"cb eth0"')" -eq 2 ] # the other container keeps its own
  cni DEL cairn-bridge "$a" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  # and when the namespace is gone already
  ip netns del "$NSP-b"
  cni DEL cairn-bridge "$b" cb <"$T/c.json"
  [ "$status" -eq 0 ]
  [ "$(nft_owners | grep -c '"cb eth0"')" -eq 0 ]
  run grep -rl cb "$T/ipam/t"
  [ "$status" -ne 0 ]
}

@test "cairn-bridge: ADD recovers from a veth left behind by an ADD without DEL" {
  a=$(mk_netns a)
  bridge_conf >"$T/c.json"
  cni ADD cairn-bridge "$a" ca <"$T/c.json"
  old=$(jq -r '.interfaces[1].name' <<<"$output")
  # the runtime lost track: no DEL, and the allocation file is gone too
  rm -f "$T"/ipam/t/10.*
  cni ADD cairn-bridge "$a" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  run ip link show "$old"
  [ "$status" -ne 0 ]
  [ "$(in_ns a ip -o -4 addr show dev eth0 | wc -l)" -eq 1 ]
  retry 3 0.2 ping_ok a "$GW"
}

@test "cairn-bridge: an interface of the same name that is not ours is an error, and kept" {
  a=$(mk_netns a)
  in_ns a ip link add eth0 type veth peer name other0
  cni ADD cairn-bridge "$a" ca < <(bridge_conf)
  [ "$status" -eq 1 ]
  [[ "$(jq -r .msg <<<"$output")" == *"already exists"* ]]
  in_ns a ip link show eth0 >/dev/null
  [ -z "$(ls "$T/ipam/t" 2>/dev/null | grep '^10\.')" ]
}

@test "cairn-bridge: CHECK passes on what ADD made and fails once the address is gone" {
  a=$(mk_netns a)
  bridge_conf >"$T/c.json"
  cni ADD cairn-bridge "$a" ca <"$T/c.json"
  jq --argjson r "$output" '.prevResult = $r' "$T/c.json" >"$T/check.json"
  cni CHECK cairn-bridge "$a" ca <"$T/check.json"
  [ "$status" -eq 0 ]
  addr=$(jq -r '.prevResult.ips[0].address' "$T/check.json")
  in_ns a ip addr del "$addr" dev eth0
  cni CHECK cairn-bridge "$a" ca <"$T/check.json"
  [ "$status" -eq 1 ]
  [[ "$(jq -r .msg <<<"$output")" == *"$addr"* ]]
}

@test "cairn-bridge: a failing IPAM leaves no veth and no bridge behind" {
  a=$(mk_netns a)
  cni ADD cairn-bridge "$a" ca < <(bridge_conf '.ipam.ranges[0][0] += {rangeStart: "'"10.199.$OCT.5"'", rangeEnd: "'"10.199.$OCT.5"'"}')
  b=$(mk_netns b)
  cni ADD cairn-bridge "$b" cb < <(bridge_conf '.ipam.ranges[0][0] += {rangeStart: "'"10.199.$OCT.5"'", rangeEnd: "'"10.199.$OCT.5"'"}')
  [ "$status" -eq 1 ]
  [ "$(jq .code <<<"$output")" -eq 100 ]
  run in_ns b ip link show eth0
  [ "$status" -ne 0 ]
  [ "$(ip -o link show master "$BR" | wc -l)" -eq 1 ]
}
