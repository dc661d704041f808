#!/usr/bin/env bats
# cairn-net: network configs (create, ls, inspect, rm) and running their
# plugin chains (add, del, check) with a result cache.

load ../helpers/common
load net

# A network of this test's own: bridge, subnet and nft table.
mknet() {
  run_logged cairn-net create "${1:-tn}" --subnet "$SUBNET" --bridge "$BR" --nft-table "$TABLE"
  [ "$status" -eq 0 ]
}

@test "cairn-net: the default network exists on first use" {
  run_logged cairn-net ls
  [ "$status" -eq 0 ]
  [[ "${lines[1]}" == cairn*bridge*10.88.0.0/16*cairn0* ]]
  run_logged cairn-net inspect cairn
  [ "$(jq -r '.[0].plugins[0].type' <<<"$output")" = cairn-bridge ]
  [ "$(jq -r '.[0].plugins[0].bridge' <<<"$output")" = cairn0 ]
  [ "$(jq -r '.[0].plugins[0].ipam.ranges[0][0].subnet' <<<"$output")" = 10.88.0.0/16 ]
  [ "$(jq -r '.[0].plugins[1].type' <<<"$output")" = cairn-portmap ]
  [ "$(jq -r '.[0].plugins[1].capabilities.portMappings' <<<"$output")" = true ]
  [ -f "$CAIRN_ROOT/net.d/cairn.conflist" ]
  run_logged cairn-net rm cairn
  [ "$status" -eq 2 ]
}

@test "cairn-net: create, ls, inspect, rm; overlapping subnets are refused" {
  mknet tn
  run_logged cairn-net ls --format json
  [ "$(jq -rs 'map(select(.Name == "tn"))[0].Subnet' <<<"$output")" = "$SUBNET" ]
  run_logged cairn-net create other --subnet "10.199.$OCT.128/25"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"overlaps network 'tn'"* ]]
  [ ! -e "$CAIRN_ROOT/net.d/other.conflist" ]
  run_logged cairn-net create tn --subnet 10.199.250.0/24
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"already exists"* ]]
  run_logged cairn-net create auto
  [ "$status" -eq 0 ]
  run_logged cairn-net inspect auto
  [[ "$(jq -r '.[0].plugins[0].ipam.ranges[0][0].subnet' <<<"$output")" == 10.89.*.0/24 ]]
  [[ "$(jq -r '.[0].plugins[0].bridge' <<<"$output")" == cairn[1-9]* ]]
  run_logged cairn-net ls -q
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "auto cairn tn " ]
  run_logged cairn-net rm auto tn
  [ "$status" -eq 0 ]
  run_logged cairn-net inspect tn
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"network 'tn' not found"* ]]
}

@test "cairn-net: bad input is one clear line and changes nothing" {
  run_logged cairn-net create 'bad/name'
  [ "$status" -eq 2 ]
  [ "$(wc -l <<<"$stderr")" -eq 1 ]
  run_logged cairn-net create x --subnet 10.199.1.7/24
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"network address"* ]]
  run_logged cairn-net create x --subnet nonsense
  [ "$status" -eq 2 ]
  run_logged cairn-net add
  [ "$status" -eq 2 ]
  ns=$(mk_netns a)
  mknet tn
  run_logged cairn-net add tn c1 "$ns" --port 99999:80
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"1 to 65535"* ]]
  run ip link show "$BR"
  [ "$status" -ne 0 ]
  echo '{"cniVersion": "1.0.0", "name": "broken", "plugins": [' >"$CAIRN_ROOT/net.d/broken.conflist"
  run_logged cairn-net add broken c1 "$ns"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"broken.conflist:"* ]]
}

@test "cairn-net: add runs the chain, prints the result, caches it; del undoes it all" {
  a=$(mk_netns a)
  mknet tn
  hp=$((21000 + OCT))
  run_logged cairn-net add tn ca "$a" --port "$hp:80"
  [ "$status" -eq 0 ]
  [ "$(jq -r .cniVersion <<<"$output")" = 1.0.0 ]
  ip=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
  [[ "$ip" == 10.199.$OCT.* ]]
  cache="$CAIRN_RUN/net/results/tn-ca-eth0.json"
  [ "$(jq -r .result.ips[0].address "$cache")" = "$ip/24" ]
  [ "$(jq -r .capabilityArgs.portMappings[0].hostPort "$cache")" = "$hp" ]
  run in_ns a ip -o link show lo # the chain's loopback plugin brought lo up
  [[ "$output" == *",UP,"* ]]
  listen a 80
  run curl -sf -m 5 "http://127.0.0.1:$hp/"
  [ "$output" = "hello from a" ]
  run_logged cairn-net check tn ca "$a"
  [ "$status" -eq 0 ]
  run_logged cairn-net add tn ca "$a"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"already"* ]]
  # del needs no --port: the cached ADD says what was mapped
  run_logged cairn-net del tn ca "$a"
  [ "$status" -eq 0 ]
  [ ! -e "$cache" ]
  run in_ns a ip link show eth0
  [ "$status" -ne 0 ]
  [ -z "$(nft_owners)" ]
  run curl -s -m 2 "http://127.0.0.1:$hp/"
  [ "$status" -ne 0 ]
  [ -z "$(ls "$CAIRN_RUN/ipam/tn" | grep '^10\.')" ]
  run_logged cairn-net del tn ca "$a"
  [ "$status" -eq 0 ]
  run_logged cairn-net check tn ca "$a"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"not attached"* ]]
}

@test "cairn-net: a plugin's error reaches the user once, and a failed add leaves nothing" {
  a=$(mk_netns a)
  b=$(mk_netns b)
  mknet tn
  hp=$((21000 + OCT))
  run_logged cairn-net add tn ca "$a" --port "$hp:80"
  [ "$status" -eq 0 ]
  run_logged cairn-net add tn cb "$b" --port "$hp:80"
  [ "$status" -eq 1 ]
  [ "$stderr" = "cairn-net: add 'cb' to network 'tn': cairn-portmap: host port $hp/tcp is already mapped" ]
  run in_ns b ip link show eth0
  [ "$status" -ne 0 ]
  [ "$(grep -rl cb "$CAIRN_RUN/ipam/tn" | wc -l)" -eq 0 ]
  [ -z "$(nft_owners | grep '"cb eth0"')" ]
  [ ! -e "$CAIRN_RUN/net/results/tn-cb-eth0.json" ]
  run_logged cairn-net rm tn
  [ "$status" -eq 1 ] # ca is still attached
  [[ "$stderr" == *"has containers attached"* ]]
}

@test "cairn-net: del works from the cache after the network is removed" {
  a=$(mk_netns a)
  mknet tn
  run_logged cairn-net add tn ca "$a"
  [ "$status" -eq 0 ]
  run_logged cairn-net rm --force tn
  [ "$status" -eq 0 ]
  run_logged cairn-net del tn ca "$a"
  [ "$status" -eq 0 ]
  run in_ns a ip link show eth0
  [ "$status" -ne 0 ]
}

@test "cairn-net: --ip asks IPAM for an address" {
  a=$(mk_netns a)
  mknet tn
  run_logged cairn-net add tn ca "$a" --ip "10.199.$OCT.42"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.ips[0].address' <<<"$output")" = "10.199.$OCT.42/24" ]
  [[ "$(in_ns a ip -o -4 addr show dev eth0)" == *"10.199.$OCT.42/24"* ]]
}

@test "cairn-net: its own plugins run in-process as they do exec'd (CAIRN_NET_EXEC=1)" {
  a=$(mk_netns a)
  b=$(mk_netns b)
  mknet tn
  hp=$((21000 + OCT))
  run_logged cairn-net add tn ca "$a" --port "$hp:80"
  [ "$status" -eq 0 ]
  inproc=$output
  CAIRN_NET_EXEC=1 run_logged cairn-net add tn cb "$b" --port "$((hp + 1)):80"
  [ "$status" -eq 0 ]
  execd=$output
  # the same result, but for the names, MACs and addresses of each
  shape='del(.interfaces[].mac, .interfaces[1].name, .interfaces[2].sandbox, .ips[].address)'
  [ "$(jq -S "$shape" <<<"$inproc")" = "$(jq -S "$shape" <<<"$execd")" ]
  retry 3 0.2 in_ns a busybox ping -c 1 -W 2 "$(jq -r ".ips[0].address" <<<"$execd" | cut -d/ -f1)"
  # the same error, once
  CAIRN_NET_EXEC=1 run_logged cairn-net add tn cc "$(mk_netns c)" --port "$hp:80"
  [ "$status" -eq 1 ]
  [ "$stderr" = "cairn-net: add 'cc' to network 'tn': cairn-portmap: host port $hp/tcp is already mapped" ]
  CAIRN_NET_EXEC=1 run_logged cairn-net del tn ca "$a"
  [ "$status" -eq 0 ]
  run_logged cairn-net del tn cb "$b"
  [ "$status" -eq 0 ]
  [ -z "$(nft_owners)" ]
  [ -z "$(ls "$CAIRN_RUN/ipam/tn" | grep '^10\.')" ]
  run in_ns a ip link show eth0
  [ "$status" -ne 0 ]
  run in_ns b ip link show eth0
  [ "$status" -ne 0 ]
}
