#!/usr/bin/env bats
# cairn-portmap chained after cairn-bridge: a listener in a namespace answers
# on the host's 127.0.0.1 and on the bridge address.

load ../helpers/common
load net

# attach NAME CID [PORTMAPPINGS-JSON]: bridge ADD then portmap ADD; the
# portmap config is left in $T/pm-CID.json.
attach() {
  local ns
  ns=$(mk_netns "$1") || return 1
  bridge_conf >"$T/c.json"
  cni ADD cairn-bridge "$ns" "$2" <"$T/c.json"
  [ "$status" -eq 0 ] || return 1
  jq -n --argjson r "$output" --arg t "$TABLE" --argjson pm "${3:-[]}" \
    '{cniVersion: "1.0.0", name: "t", type: "cairn-portmap", nftTable: $t,
      runtimeConfig: {portMappings: $pm}, prevResult: $r}' >"$T/pm-$2.json"
  in_ns "$1" ip link set lo up
  cni ADD cairn-portmap "$ns" "$2" <"$T/pm-$2.json"
}

@test "cairn-portmap: a listener answers at 127.0.0.1:HOSTPORT and at the bridge address" {
  hp=$((20000 + OCT))
  attach a ca "[{\"hostPort\": $hp, \"containerPort\": 8080, \"protocol\": \"tcp\"}]"
  [ "$status" -eq 0 ]
  listen a 8080
  run curl -sf -m 5 "http://127.0.0.1:$hp/"
  [ "$output" = "hello from a" ]
  run curl -sf -m 5 "http://$GW:$hp/"
  [ "$output" = "hello from a" ]
  [ "$(cat /proc/sys/net/ipv4/conf/"$BR"/route_localnet)" = 1 ]
}

@test "cairn-portmap: another container reaches it through the host port (hairpin)" {
  hp=$((20000 + OCT))
  attach a ca "[{\"hostPort\": $hp, \"containerPort\": 80}]"
  listen a 80
  attach b cb
  [ "$status" -eq 0 ]
  run in_ns b curl -sf -m 5 "http://$GW:$hp/"
  [ "$output" = "hello from a" ]
  run in_ns a curl -sf -m 5 "http://$GW:$hp/"
  [ "$output" = "hello from a" ]
}

@test "cairn-portmap: a host port mapped already is error 101 and the first mapping stays" {
  hp=$((20000 + OCT))
  attach a ca "[{\"hostPort\": $hp, \"containerPort\": 80}]"
  listen a 80
  attach b cb "[{\"hostPort\": $((hp + 1)), \"containerPort\": 80}, {\"hostPort\": $hp, \"containerPort\": 80}]"
  [ "$status" -eq 1 ]
  [ "$(jq .code <<<"$output")" -eq 101 ]
  [[ "$(jq -r .msg <<<"$output")" == *"$hp/tcp is already mapped"* ]]
  # all or nothing: the other port of the failed ADD is not mapped either
  [ "$(nft_owners | grep -c '"cb eth0"')" -eq 2 ] # its masquerade elements only
  run curl -sf -m 5 "http://127.0.0.1:$hp/"
  [ "$output" = "hello from a" ]
  # a DEL of the failed container leaves the mapping of the first alone
  cni DEL cairn-portmap "$T/none" cb <"$T/pm-cb.json"
  [ "$status" -eq 0 ]
  run curl -sf -m 5 "http://127.0.0.1:$hp/"
  [ "$output" = "hello from a" ]
}

@test "cairn-portmap: DEL removes the mapping (twice is fine), also without runtimeConfig" {
  hp=$((20000 + OCT))
  attach a ca "[{\"hostPort\": $hp, \"containerPort\": 80}, {\"hostPort\": $hp, \"containerPort\": 81, \"protocol\": \"udp\"}, {\"hostPort\": $((hp + 1)), \"containerPort\": 80, \"hostIP\": \"$GW\"}]"
  [ "$status" -eq 0 ]
  listen a 80
  run curl -sf -m 5 "http://$GW:$((hp + 1))/"
  [ "$output" = "hello from a" ]
  run curl -s -m 2 "http://127.0.0.1:$((hp + 1))/"  # bound to the bridge address only
  [ "$status" -ne 0 ]
  [ "$(nft_owners | grep -c '"ca eth0"')" -eq 6 ]
  cni CHECK cairn-portmap "$T/none" ca <"$T/pm-ca.json"
  [ "$status" -eq 0 ]
  jq 'del(.runtimeConfig) | del(.prevResult)' "$T/pm-ca.json" >"$T/bare.json"
  cni DEL cairn-portmap "$T/none" ca <"$T/bare.json"
  [ "$status" -eq 0 ]
  [ "$(nft_owners | grep -c '"ca eth0"')" -eq 2 ] # bridge's masquerade elements
  run curl -s -m 2 "http://127.0.0.1:$hp/"
  [ "$status" -ne 0 ]
  cni DEL cairn-portmap "$T/none" ca <"$T/pm-ca.json"
  [ "$status" -eq 0 ]
  cni CHECK cairn-portmap "$T/none" ca <"$T/pm-ca.json"
  [ "$status" -eq 1 ]
}

@test "cairn-portmap: bad mappings and a missing prevResult are config errors" {
  ns=$(mk_netns a)
  cni ADD cairn-portmap "$ns" ca <<<'{"cniVersion":"1.0.0","name":"t","type":"cairn-portmap","runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80}]}}'
  [ "$(jq .code <<<"$output")" -eq 7 ]
  cni ADD cairn-portmap "$ns" ca <<<'{"cniVersion":"1.0.0","name":"t","type":"cairn-portmap","prevResult":{"ips":[{"address":"10.199.1.2/24"}]},"runtimeConfig":{"portMappings":[{"hostPort":70000,"containerPort":80}]}}'
  [ "$(jq .code <<<"$output")" -eq 7 ]
  [[ "$(jq -r .msg <<<"$output")" == *"1 to 65535"* ]]
}

@test "cairn-portmap: IPv6 — a dual-stack container answers on the host's IPv6 address too" {
  hp=$((20000 + OCT))
  ns=$(mk_netns a)
  bridge_conf ".ipam.ranges += [[{subnet: \"$SUBNET6\"}]] | .ipam.routes += [{dst: \"::/0\"}]" \
    >"$T/c.json"
  cni ADD cairn-bridge "$ns" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  ip6=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$output" | cut -d/ -f1)
  [[ "$ip6" == fd00:199:$OCT::* ]]
  [[ "$(in_ns a ip -6 -o addr show dev eth0 scope global)" == *"$ip6/64"* ]]
  [[ "$(in_ns a ip -6 route show default)" == "default via $GW6 dev eth0"* ]]
  jq -n --argjson r "$output" --arg t "$TABLE" --argjson hp "$hp" --arg gw6 "$GW6" \
    '{cniVersion: "1.0.0", name: "t", type: "cairn-portmap", nftTable: $t,
      runtimeConfig: {portMappings: [{hostPort: $hp, containerPort: 8080, protocol: "tcp"},
                                     {hostPort: ($hp + 1), containerPort: 8080, hostIP: $gw6}]},
      prevResult: $r}' >"$T/pm.json"
  cni ADD cairn-portmap "$ns" ca <"$T/pm.json"
  [ "$status" -eq 0 ]
  listen a 8080
  retry 20 0.1 in_ns a sh -c "busybox netstat -ltn | grep -q ':::8080 '"
  run curl -sf -m 5 -g "http://[$GW6]:$hp/"
  [ "$output" = "hello from a" ]
  run curl -sf -m 5 -g "http://[$GW6]:$((hp + 1))/"
  [ "$output" = "hello from a" ]
  run curl -sf -m 5 "http://$GW:$hp/" # and IPv4 as ever
  [ "$output" = "hello from a" ]
  # hostIP given: on that address alone, so not on IPv4
  run curl -s -m 2 "http://$GW:$((hp + 1))/"
  [ "$status" -ne 0 ]
  run nft list map ip6 "$TABLE" portmap
  [[ "$output" == *"tcp . $hp comment \"ca eth0\" : $ip6 . 8080"* ]]
  run nft list set ip6 "$TABLE" masq
  [[ "$output" == *"$ip6 comment \"ca eth0\""* ]]
  cni CHECK cairn-portmap "$ns" ca <"$T/pm.json"
  [ "$status" -eq 0 ]
  # DEL takes every element of both families away
  cni DEL cairn-portmap "$ns" ca <"$T/pm.json"
  [ "$status" -eq 0 ]
  cni DEL cairn-bridge "$ns" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  [ -z "$(nft_owners)" ]
  run curl -s -m 2 -g "http://[$GW6]:$hp/"
  [ "$status" -ne 0 ]
}

# udp_listen NAME PORT: a UDP server in namespace NAME appending what it
# gets to $T/udp-NAME.
udp_listen() {
  nsenter --net="/run/netns/$NSP-$1" /usr/bin/python3 -c $'import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(("0.0.0.0", int(sys.argv[1])))\nf = open(sys.argv[2], "ab", 0)\nwhile True:\n    f.write(s.recvfrom(100)[0])' "$2" "$T/udp-$1" 3>&- &
  LISTENERS+=($!)
  retry 50 0.1 in_ns "$1" sh -c "busybox netstat -lun | grep -q ':$2 '"
}

# udp_got FD WORD NAME: send WORD on FD, then find it at NAME's listener.
udp_got() {
  echo "$2" >&"$1" 2>/dev/null
  sleep 0.1
  grep -q "$2" "$T/udp-$3" 2>/dev/null
}

@test "cairn-portmap: UDP — DEL forgets the conntrack entries, so a re-used host port reaches the next container" {
  requires cmd:/usr/bin/python3
  hp=$((20000 + OCT))
  pm="[{\"hostPort\": $hp, \"containerPort\": 5000, \"protocol\": \"udp\"}]"
  attach a ca "$pm"
  [ "$status" -eq 0 ]
  ipa=$(jq -r '.prevResult.ips[0].address' "$T/pm-ca.json" | cut -d/ -f1)
  udp_listen a 5000
  # one socket, so one source port, for every datagram: one conntrack entry
  exec {fd}>"/dev/udp/$GW/$hp"
  retry 30 0.1 udp_got "$fd" one a
  grep -q "udp .* dport=$hp .*src=$ipa " /proc/net/nf_conntrack
  cni DEL cairn-portmap "/run/netns/$NSP-a" ca <"$T/pm-ca.json"
  [ "$status" -eq 0 ]
  run grep "udp .* dport=$hp .*src=$ipa " /proc/net/nf_conntrack
  [ "$status" -ne 0 ]
  bridge_conf >"$T/c.json"
  cni DEL cairn-bridge "/run/netns/$NSP-a" ca <"$T/c.json"
  [ "$status" -eq 0 ]
  attach b cb "$pm"
  [ "$status" -eq 0 ]
  ipb=$(jq -r '.prevResult.ips[0].address' "$T/pm-cb.json" | cut -d/ -f1)
  [ "$ipb" != "$ipa" ]
  udp_listen b 5000
  retry 30 0.1 udp_got "$fd" two b
  exec {fd}>&-
}
