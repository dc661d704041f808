#!/usr/bin/env bats
# The CNI protocol every cairn plugin speaks: VERSION, errors as the spec's
# JSON on stdout, bad input, cairn-loopback.

load ../helpers/common
load net

@test "cni: VERSION lists the supported spec versions" {
  for p in cairn-bridge cairn-ipam cairn-loopback cairn-portmap; do
    run_logged env CNI_COMMAND=VERSION "$p" </dev/null
    [ "$status" -eq 0 ]
    [ "$(jq -c .supportedVersions <<<"$output")" = '["0.3.0","0.3.1","0.4.0","1.0.0"]' ]
    [ "$(jq -r .cniVersion <<<"$output")" = 1.0.0 ]
  done
}

@test "cni: malformed JSON is a decode error (code 6) with a position" {
  ns=$(mk_netns a)
  cni ADD cairn-bridge "$ns" c1 <<<'{"cniVersion": "1.0.0", "name": '
  [ "$status" -eq 1 ]
  [ "$(jq .code <<<"$output")" -eq 6 ]
  [[ "$(jq -r .msg <<<"$output")" == *"stdin:"* ]]
  run ip link show "$BR"
  [ "$status" -ne 0 ] # nothing was made
}

@test "cni: an unknown cniVersion is refused with code 1" {
  ns=$(mk_netns a)
  cni ADD cairn-bridge "$ns" c1 < <(bridge_conf '.cniVersion = "9.9.9"')
  [ "$status" -eq 1 ]
  [ "$(jq .code <<<"$output")" -eq 1 ]
  [[ "$(jq -r .msg <<<"$output")" == *'"9.9.9"'* ]]
}

@test "cni: missing CNI_NETNS or CNI_IFNAME is code 4 naming the variable" {
  run_logged env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_IFNAME=eth0 CNI_PATH="$CNI_PATH" \
    cairn-bridge < <(bridge_conf)
  [ "$status" -eq 1 ]
  [ "$(jq .code <<<"$output")" -eq 4 ]
  [[ "$(jq -r .msg <<<"$output")" == *CNI_NETNS* ]]
  ns=$(mk_netns a)
  run_logged env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS="$ns" CNI_PATH="$CNI_PATH" \
    cairn-bridge < <(bridge_conf)
  [ "$(jq .code <<<"$output")" -eq 4 ]
  [[ "$(jq -r .msg <<<"$output")" == *CNI_IFNAME* ]]
  cni ADD cairn-bridge "$ns" c1 "bad/name" < <(bridge_conf)
  [ "$(jq .code <<<"$output")" -eq 4 ]
}

@test "cni: invalid network config is code 7" {
  ns=$(mk_netns a)
  cni ADD cairn-bridge "$ns" c1 < <(bridge_conf '.ipam.ranges[0][0].subnet = "10.199.1.5/24"')
  [ "$(jq .code <<<"$output")" -eq 7 ]
  [[ "$(jq -r .msg <<<"$output")" == *"host bits"* ]]
  cni ADD cairn-bridge "$ns" c1 < <(bridge_conf '.hairpinMode = true | .promiscMode = true')
  [ "$(jq .code <<<"$output")" -eq 7 ]
  run ip link show "$BR"
  [ "$status" -ne 0 ]
}

@test "cni: CHECK is refused for configs older than 0.4.0" {
  ns=$(mk_netns a)
  cni CHECK cairn-loopback "$ns" c1 <<<'{"cniVersion": "0.3.1", "name": "t", "type": "cairn-loopback"}'
  [ "$status" -eq 1 ]
  [ "$(jq .code <<<"$output")" -eq 1 ]
}

@test "cairn-loopback: brings lo up on ADD, down on DEL, reports its addresses" {
  ns=$(mk_netns a)
  conf='{"cniVersion": "1.0.0", "name": "t", "type": "cairn-loopback"}'
  cni ADD cairn-loopback "$ns" c1 <<<"$conf"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.interfaces[0].name' <<<"$output")" = lo ]
  [ "$(jq -r '.ips[0].address' <<<"$output")" = 127.0.0.1/8 ]
  run in_ns a ip -o link show lo
  [[ "$output" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
  cni CHECK cairn-loopback "$ns" c1 <<<"$conf"
  [ "$status" -eq 0 ]
  cni DEL cairn-loopback "$ns" c1 <<<"$conf"
  [ "$status" -eq 0 ]
  run in_ns a ip -o link show lo
  [[ "$output" != *",UP"* ]]
  cni CHECK cairn-loopback "$ns" c1 <<<"$conf"
  [ "$status" -eq 1 ]
}

@test "cairn-loopback: passes a previous result through; DEL of a gone netns succeeds" {
  ns=$(mk_netns a)
  prev='{"cniVersion":"1.0.0","ips":[{"address":"10.199.9.2/24"}]}'
  cni ADD cairn-loopback "$ns" c1 <<<"{\"cniVersion\": \"1.0.0\", \"name\": \"t\", \"type\": \"cairn-loopback\", \"prevResult\": $prev}"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.ips[0].address' <<<"$output")" = 10.199.9.2/24 ]
  cni DEL cairn-loopback /run/netns/cairn-test-gone-$$ c1 <<<'{"cniVersion": "1.0.0", "name": "t", "type": "cairn-loopback"}'
  [ "$status" -eq 0 ]
}

@test "cni: a 0.4.0 config gets a 0.4.0 result (ips carry a version)" {
  ns=$(mk_netns a)
  cni ADD cairn-ipam "$ns" c1 < <(bridge_conf '.cniVersion = "0.4.0"')
  [ "$status" -eq 0 ]
  [ "$(jq -r .cniVersion <<<"$output")" = 0.4.0 ]
  [ "$(jq -r '.ips[0].version' <<<"$output")" = 4 ]
}
