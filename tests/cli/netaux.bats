#!/usr/bin/env bats
# cairn network create --aux-address: docker's auxiliary addresses, which
# the network's IPAM never hands to a container.

load helpers

@test "cairn network create --aux-address: never given to a container; inspect lists them" {
  oct=$(((OCT + 113) % 200 + 20))
  EXTRA_BR="${BR:0:11}x" EXTRA_TABLE="${TABLE}x"
  sn="10.193.$oct"
  # a /29: .1 is the gateway, .2 and .3 are reserved, containers get .4 on
  cairn network create --subnet "$sn.0/29" --aux-address "a=$sn.2" --aux-address "b=$sn.3" \
    --bridge "$EXTRA_BR" --nft-table "$EXTRA_TABLE" auxnet >/dev/null
  run_logged cairn network inspect -f '{{json (index .IPAM.Config 0).AuxiliaryAddresses}}' auxnet
  assert_output "{\"a\":\"$sn.2\",\"b\":\"$sn.3\"}"
  jq -e --arg a "$sn.2" '.plugins[0].ipam.exclude | index($a)' "$CAIRN_ROOT/net.d/auxnet.conflist" >/dev/null
  cairn run -d --name x1 --network auxnet busybox sleep 100 >/dev/null
  cairn run -d --name x2 --network auxnet busybox sleep 100 >/dev/null
  assert_equal "$(cairn inspect -f '{{.NetworkSettings.Networks.auxnet.IPAddress}}' x1)" "$sn.4"
  assert_equal "$(cairn inspect -f '{{.NetworkSettings.Networks.auxnet.IPAddress}}' x2)" "$sn.5"
  # asked for by name, an auxiliary address is refused too
  cairn run -d --name x3 busybox sleep 100 >/dev/null
  run_logged cairn network connect --ip "$sn.3" auxnet x3
  assert_failure
  [[ $stderr == *"requested address $sn.3 is reserved (an auxiliary address)"* ]] || fail "$stderr"
}

@test "cairn network create --aux-address: docker's errors, nothing made" {
  run_logged cairn network create --subnet 10.192.7.0/24 --aux-address a=10.192.8.1 bad1
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: no matching subnet for aux-address 10.192.8.1"
  run_logged cairn network create --aux-address a=10.192.8.1 bad2
  assert_equal "$stderr" "cairn: no matching subnet for aux-address 10.192.8.1"
  run_logged cairn network create --subnet 10.192.7.0/24 --aux-address nameonly bad3
  assert_equal "$stderr" "cairn: invalid argument \"nameonly\" for \"--aux-address\" flag: want NAME=IP"
  run_logged cairn network create --subnet 10.192.7.0/24 --aux-address a=300.1.1.1 bad4
  assert_equal "$stderr" "cairn: invalid auxiliary address 300.1.1.1: not an IPv4 address"
  run_logged cairn network ls --format '{{.Name}}'
  refute_line --regexp '^bad'
  [ ! -e "$CAIRN_ROOT/net.d/bad1.conflist" ]
  run_logged cairn-net create solo --subnet 10.192.9.0/24 --aux-address 10.192.10.1
  assert_equal "$status" 2
  assert_equal "$stderr" "cairn-net: create: --aux-address '10.192.10.1' is not an address in the subnet 10.192.9.0/24"
}
