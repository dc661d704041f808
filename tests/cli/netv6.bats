#!/usr/bin/env bats
# cairn network create --ipv6: a dual-stack network; containers get an
# IPv4 and an IPv6 address and reach each other over both.

load helpers

teardown() {
  # the IPv6 rules live in a table of family ip6 by the same name
  if [ -n "${EXTRA_TABLE:-}" ]; then nft delete table ip6 "$EXTRA_TABLE" 2>/dev/null || true; fi
  cli_teardown
}

@test "cairn network create --ipv6 --subnet fd00:…/64: both addresses, inspect as docker" {
  [ -e /proc/sys/net/ipv6/conf/all/forwarding ] || skip "the host has no IPv6"
  oct=$(((OCT + 131) % 200 + 20))
  EXTRA_BR="${BR:0:11}6" EXTRA_TABLE="${TABLE}6"
  sn6=$(printf 'fd00:%x:%x::/64' "$oct" "$BATS_TEST_NUMBER")
  cairn network create --ipv6 --subnet "10.191.$oct.0/24" --subnet "$sn6" \
    --bridge "$EXTRA_BR" --nft-table "$EXTRA_TABLE" dual >/dev/null
  run_logged cairn network inspect -f '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}}/{{.Gateway}} {{end}}' dual
  assert_output "true 10.191.$oct.0/24/10.191.$oct.1 ${sn6}/${sn6%::/64}::1 "
  cairn run -d --name d1 --network dual busybox sleep 100 >/dev/null
  cairn run -d --name d2 --network dual busybox sleep 100 >/dev/null
  v6=$(cairn inspect -f '{{.NetworkSettings.Networks.dual.GlobalIPv6Address}}' d2)
  [[ $v6 == ${sn6%::/64}:* ]] || fail "d2's IPv6 address: '$v6'"
  assert_equal "$(cairn inspect -f '{{.NetworkSettings.Networks.dual.GlobalIPv6PrefixLen}} {{.NetworkSettings.Networks.dual.IPv6Gateway}}' d2)" "64 ${sn6%::/64}::1"
  run_logged cairn exec d1 ping -6 -c 1 -W 5 "$v6"
  assert_success
  run_logged cairn exec d1 ip -6 addr show eth0
  assert_output --partial "${sn6%::/64}:"
}

@test "cairn network create --ipv6: docker's errors for a missing flag or subnet" {
  run_logged cairn network create --subnet fd00:9::/64 nov6
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: an IPv6 subnet (fd00:9::/64) needs --ipv6"
  run_logged cairn network create --ipv6 nosub
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: --ipv6 needs an IPv6 --subnet (cairn has no default IPv6 pool)"
  run_logged cairn network create --ipv6 --subnet fd00:9::1/64 badnet
  assert_failure
  [[ $stderr == *"invalid --subnet 'fd00:9::1/64'"* ]] || fail "$stderr"
  [ ! -e "$CAIRN_ROOT/net.d/badnet.conflist" ]
}
