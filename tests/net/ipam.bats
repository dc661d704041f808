#!/usr/bin/env bats
# cairn-ipam: host-local's semantics and on-disk format.

load ../helpers/common
load net

ipam_conf() {
  jq -n --arg sn "$SUBNET" --arg dd "$T/ipam" \
    '{cniVersion: "1.0.0", name: "t", type: "cairn-bridge",
      ipam: {type: "cairn-ipam", ranges: [[{subnet: $sn}]], routes: [{dst: "0.0.0.0/0"}],
             dataDir: $dd}}' | jq "${1:-.}"
}

@test "cairn-ipam: allocates round-robin from .2, records id and ifname, releases on DEL" {
  ipam_conf >"$T/c.json"
  cni ADD cairn-ipam /x c1 <"$T/c.json"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.2/24" ]
  [ "$(jq -r '.ips[0].gateway' <<<"$output")" = "$GW" ]
  [ "$(jq -c '.routes' <<<"$output")" = '[{"dst":"0.0.0.0/0"}]' ]
  [ "$(cat "$T/ipam/t/10.199.$OCT.2")" = $'c1\r\neth0' ]
  cni ADD cairn-ipam /x c2 <"$T/c.json"
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.3/24" ]
  cni DEL cairn-ipam /x c1 <"$T/c.json"
  [ "$status" -eq 0 ]
  [ ! -e "$T/ipam/t/10.199.$OCT.2" ]
  # round-robin: the next one follows the last reserved, not the freed .2
  cni ADD cairn-ipam /x c3 <"$T/c.json"
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.4/24" ]
  cni DEL cairn-ipam /x c3 <"$T/c.json"
  cni DEL cairn-ipam /x c3 <"$T/c.json"
  [ "$status" -eq 0 ] # DEL twice is fine
}

@test "cairn-ipam: an exhausted range is error 100 and leaves nothing behind" {
  ipam_conf ".ipam.ranges[0][0] += {rangeStart: \"10.199.$OCT.10\", rangeEnd: \"10.199.$OCT.11\"}" >"$T/c.json"
  cni ADD cairn-ipam /x c1 <"$T/c.json"
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.10/24" ]
  cni ADD cairn-ipam /x c2 <"$T/c.json"
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.11/24" ]
  cni ADD cairn-ipam /x c3 <"$T/c.json"
  [ "$status" -eq 1 ]
  [ "$(jq .code <<<"$output")" -eq 100 ]
  [[ "$(jq -r .msg <<<"$output")" == *"no IP addresses available"* ]]
  run grep -rl c3 "$T/ipam/t"
  [ "$status" -ne 0 ]
}

@test "cairn-ipam: a requested address (CNI_ARGS IP= or runtimeConfig.ips) is honoured" {
  ipam_conf >"$T/c.json"
  run_logged env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/x CNI_IFNAME=eth0 \
    CNI_PATH="$CNI_PATH" CNI_ARGS="IgnoreUnknown=1;IP=10.199.$OCT.77" cairn-ipam <"$T/c.json"
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.77/24" ]
  cni ADD cairn-ipam /x c2 < <(ipam_conf ".runtimeConfig.ips = [\"10.199.$OCT.77\"]")
  [ "$(jq .code <<<"$output")" -eq 100 ]
  cni ADD cairn-ipam /x c2 < <(ipam_conf ".runtimeConfig.ips = [\"10.199.$OCT.78\"]")
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.78/24" ]
  cni ADD cairn-ipam /x c4 < <(ipam_conf '.runtimeConfig.ips = ["192.0.2.9"]')
  [ "$(jq .code <<<"$output")" -eq 7 ]
}

@test "cairn-ipam: never the same address twice under 50 concurrent ADDs" {
  ipam_conf >"$T/c.json"
  pids=()
  for i in $(seq 1 50); do
    env CNI_COMMAND=ADD CNI_CONTAINERID="c$i" CNI_NETNS=/x CNI_IFNAME=eth0 CNI_PATH="$CNI_PATH" \
      cairn-ipam <"$T/c.json" >"$T/out.$i" &
    pids+=($!)
  done
  # these alone: a bare wait would wait for bats' own BATS_TEST_TIMEOUT timer too
  wait "${pids[@]}"
  cat "$T"/out.* | jq -r '.ips[0].address' | sort >"$T/all"
  [ "$(wc -l <"$T/all")" -eq 50 ]
  [ "$(sort -u "$T/all" | wc -l)" -eq 50 ]
  [ "$(ls "$T/ipam/t" | grep -c '^10\.')" -eq 50 ]
}

@test "cairn-ipam: an ADD again for the same container gets its address back" {
  ipam_conf >"$T/c.json"
  cni ADD cairn-ipam /x c1 <"$T/c.json"
  first=$(jq -r '.ips[0].address' <<<"$output")
  cni ADD cairn-ipam /x c1 <"$T/c.json"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "$first" ]
  [ "$(grep -rl c1 "$T/ipam/t" | wc -l)" -eq 1 ]
  # a stale allocation of a container that is gone is skipped
  printf 'gone\r\neth0' >"$T/ipam/t/10.199.$OCT.3"
  cni ADD cairn-ipam /x c2 <"$T/c.json"
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.4/24" ]
}

@test "cairn-ipam: CHECK finds the allocation; host-local reads the same store" {
  requires cmd:/usr/lib/cni/host-local
  ipam_conf >"$T/c.json"
  cni ADD cairn-ipam /x c1 <"$T/c.json"
  cni CHECK cairn-ipam /x c1 <"$T/c.json"
  [ "$status" -eq 0 ]
  cni CHECK cairn-ipam /x c9 <"$T/c.json"
  [ "$status" -eq 1 ]
  # the reference plugin sees our allocation and hands out the next one
  cni ADD /usr/lib/cni/host-local /x c2 <"$T/c.json"
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.3/24" ]
  cni CHECK /usr/lib/cni/host-local /x c1 <"$T/c.json"
  [ "$status" -eq 0 ]
}
