#!/usr/bin/env bats
# Swap: the same network config with the reference CNI plugins (Debian's
# containernetworking-plugins) in place of ours gives an equivalent result
# and the same connectivity, and cairn-net drives the reference plugins.

load ../helpers/common
load net

REF=/usr/lib/cni

setup() {
  common_setup
  net_setup
  requires cmd:$REF/bridge cmd:$REF/host-local cmd:$REF/portmap cmd:$REF/loopback cmd:iptables
  export CNI_PATH="$CAIRN_SRC/bin:$REF"
  # The reference portmap writes iptables chains (CNI-HOSTPORT-…) it never
  # removes; note which exist now so that teardown removes only new ones.
  iptables -t nat -S | awk '$1 == "-N" { print $2 }' | sort >"$T/chains.before"
  # iptables-nft makes the tables "ip nat" and "ip6 nat" on first use
  NAT_TABLES_BEFORE=$(nft list tables | grep -cE '^table ip6? nat$' || true)
}

teardown() {
  local c
  iptables -t nat -S | awk '$1 == "-N" { print $2 }' | sort >"$T/chains.after"
  for c in $(comm -13 "$T/chains.before" "$T/chains.after"); do
    iptables -t nat -S | awk -v c="$c" '$1 == "-A" && $0 ~ ("-j " c "( |$)")' |
      sed 's/^-A/-D/' | while read -r rule; do eval "iptables -t nat $rule"; done
  done
  for c in $(comm -13 "$T/chains.before" "$T/chains.after"); do iptables -t nat -F "$c"; done
  for c in $(comm -13 "$T/chains.before" "$T/chains.after"); do iptables -t nat -X "$c"; done
  if [ "$NAT_TABLES_BEFORE" = 0 ] && ! iptables -t nat -S | grep -qv '^-P' &&
    ! ip6tables -t nat -S | grep -qv '^-P'; then
    nft delete table ip nat 2>/dev/null
    nft delete table ip6 nat 2>/dev/null
  fi
  net_teardown
  common_teardown
}

# The reference twin of network tn: same bridge and subnet, the reference
# types, its own dataDir.
ref_twin() {
  jq --arg dd "$T/ref-ipam" '.name = "tr" |
      .plugins |= map(.type |= ({"cairn-bridge": "bridge", "cairn-portmap": "portmap",
                                 "cairn-loopback": "loopback"}[.] // .)) |
      .plugins[0].ipam.type = "host-local" | .plugins[0].ipam.dataDir = $dd' \
    "$CAIRN_ROOT/net.d/tn.conflist" >"$CAIRN_ROOT/net.d/tr.conflist"
}

# What must match between the two results: everything but MACs and the
# random host-side veth name.
norm() {
  jq -S 'del(.interfaces[].mac) | .interfaces[1].name = "veth"' <<<"$1"
}

@test "swap: reference plugins driven by cairn-net give the same result and connectivity" {
  a=$(mk_netns a)
  run_logged cairn-net create tn --subnet "$SUBNET" --bridge "$BR" --nft-table "$TABLE"
  ref_twin
  hp=$((22000 + OCT))
  listen a 80

  run_logged cairn-net add tn ca "$a" --port "$hp:80"
  [ "$status" -eq 0 ]
  ours=$output
  run curl -sf -m 5 "http://127.0.0.1:$hp/"
  [ "$output" = "hello from a" ]
  run curl -sf -m 5 "http://$GW:$hp/"
  [ "$output" = "hello from a" ]
  run_logged cairn-net del tn ca "$a"
  [ "$status" -eq 0 ]

  run_logged cairn-net add tr ca "$a" --port "$hp:80"
  [ "$status" -eq 0 ]
  theirs=$output
  run curl -sf -m 5 "http://127.0.0.1:$hp/"
  [ "$output" = "hello from a" ]
  run curl -sf -m 5 "http://$GW:$hp/"
  [ "$output" = "hello from a" ]
  # (no CHECK here: the reference portmap 1.1's CHECK looks for an IPv6
  # chain it never made and fails)
  run_logged cairn-net del tr ca "$a"
  [ "$status" -eq 0 ]
  run in_ns a ip link show eth0
  [ "$status" -ne 0 ]

  diff <(norm "$ours") <(norm "$theirs")
}

@test "swap: each plugin alone swaps — our bridge with host-local, the reference bridge with cairn-ipam" {
  a=$(mk_netns a)
  b=$(mk_netns b)
  bridge_conf '.ipMasq = false | .ipam.type = "host-local"' >"$T/ours-hl.json"
  bridge_conf '.ipMasq = false | .type = "bridge" | .ipam.dataDir = "'"$T"'/ipam2"' >"$T/ref-ci.json"
  cni ADD cairn-bridge "$a" ca <"$T/ours-hl.json"
  [ "$status" -eq 0 ]
  one=$output
  cni ADD "$REF/bridge" "$b" cb <"$T/ref-ci.json"
  [ "$status" -eq 0 ]
  two=$output
  [ "$(jq -r '.ips[0].address' <<<"$one")" = "10.199.$OCT.2/24" ]
  [ "$(jq -r '.ips[0].address' <<<"$two")" = "10.199.$OCT.2/24" ] || [ "$(jq -r '.ips[0].address' <<<"$two")" = "10.199.$OCT.3/24" ]
  diff <(jq -S 'del(.interfaces[].mac, .interfaces[].sandbox, .ips) | .interfaces[1].name = "veth"' <<<"$one") \
       <(jq -S 'del(.interfaces[].mac, .interfaces[].sandbox, .ips) | .interfaces[1].name = "veth"' <<<"$two")
  # the reference bridge's DEL releases a cairn-ipam allocation, and ours a host-local one
  cni DEL "$REF/bridge" "$b" cb <"$T/ref-ci.json"
  [ "$status" -eq 0 ]
  [ -z "$(ls "$T/ipam2/t" | grep '^10\.')" ]
  cni DEL cairn-bridge "$a" ca <"$T/ours-hl.json"
  [ "$status" -eq 0 ]
  [ -z "$(ls "$T/ipam/t" | grep '^10\.')" ]
}
