#!/usr/bin/env bats
# cairn network create/ls/inspect/rm/prune/connect/disconnect: docker's
# commands, shapes and refusals, on networks of the test's own (each with
# its own bridge and nftables table, removed by the teardown).

load helpers

NETS_BR=()
NETS_TABLE=()

teardown() {
  local rc=0 b t
  if [ -n "${CAIRN_ROOT:-}" ] && [ -d "$CAIRN_ROOT/containers" ]; then
    for id in $(cairn ps -aq --no-trunc 2>/dev/null); do cairn rm -f "$id" >/dev/null 2>&1 || true; done
  fi
  for b in "${NETS_BR[@]}"; do ip link del "$b" 2>/dev/null || true; done
  for t in "${NETS_TABLE[@]}"; do nft delete table ip "$t" 2>/dev/null || true; done
  cli_teardown || rc=1
  return $rc
}

# mknet NAME K [FLAGS…]: cairn network create on 10.199.(OCT+K).0/24 with
# a bridge and table of the test's own; the subnet's first three octets in
# $NETPFX.
mknet() {
  local name=$1 k=$2
  shift 2
  local oct=$(((OCT + 37 * k) % 200 + 20))
  NETPFX="10.199.$oct"
  local br="${BR:0:11}n$k" tb="${TABLE}n$k"
  NETS_BR+=("$br")
  NETS_TABLE+=("$tb")
  run_logged cairn network create --subnet "$NETPFX.0/24" --bridge "$br" --nft-table "$tb" "$@" "$name"
}

@test "cairn network create: prints the id; ls and inspect show docker's fields" {
  mknet front 1 --gateway 10.199.0.0 --label tier=web --label owner
  assert_equal "$status" 1 # a gateway outside the subnet
  run_logged cairn network ls --format '{{.Name}}'
  refute_line front
  mknet front 1 --ip-range "$NETPFX.64/26" --label tier=web --label owner
  assert_success
  assert_output --regexp '^[0-9a-f]{64}$'
  id=$output
  run_logged cairn network ls
  assert_line --index 0 --regexp '^NETWORK ID +NAME +DRIVER +SCOPE$'
  assert_line --regexp "^${id:0:12} +front +bridge +local$"
  assert_line --regexp "^[0-9a-f]{12} +cairn +bridge +local$"
  assert_line --regexp "^[0-9a-f]{12} +host +host +local$"
  assert_line --regexp "^[0-9a-f]{12} +none +null +local$"
  run_logged cairn network inspect front
  assert_success
  assert_equal "$(jq -r '.[0].Id' <<<"$output")" "$id"
  assert_equal "$(jq -c '.[0].IPAM.Config' <<<"$output")" \
    "[{\"Subnet\":\"$NETPFX.0/24\",\"IPRange\":\"$NETPFX.64/26\",\"Gateway\":\"$NETPFX.1\"}]"
  assert_equal "$(jq -c '.[0].Labels' <<<"$output")" '{"owner":"","tier":"web"}'
  assert_equal "$(jq -r '.[0] | "\(.Driver) \(.Scope) \(.Internal) \(.Containers)"' <<<"$output")" \
    "bridge local false {}"
  # an address from the range
  cairn run -d --name inrange --network front busybox sleep 100 >/dev/null
  ip=$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' inrange)
  last=${ip##*.}
  [ "$last" -ge 65 ] && [ "$last" -le 126 ] || fail "$ip is outside $NETPFX.64/26"
  run_logged cairn network inspect -f '{{range $id, $c := .Containers}}{{$c.Name}} {{$c.IPv4Address}}{{end}}' front
  assert_output "inrange $ip/24"
  run_logged cairn inspect -f '{{(index .NetworkSettings.Networks "front").NetworkID}}' inrange
  assert_output "$id"
}

@test "cairn network create: an overlapping subnet, a bad driver or name is refused; nothing is made" {
  mknet one 1
  assert_success
  run_logged cairn network create --subnet "$NETPFX.128/25" two
  assert_failure
  [[ $stderr == *"overlaps network 'one'"* ]] || fail "$stderr"
  run_logged cairn network create -d overlay three
  assert_equal "$status" 125
  assert_equal "$stderr" 'cairn: network driver "overlay" is not supported (only "bridge")'
  run_logged cairn network create host
  assert_equal "$status" 125
  run_logged cairn network create --label =x four
  assert_equal "$status" 125
  run_logged cairn network create 'bad/name'
  assert_failure
  run_logged cairn network ls --format '{{.Name}}'
  assert_output "$(printf 'cairn\nhost\nnone\none')"
  [ "$(ls "$CAIRN_ROOT/networks")" = one.json ]
}

@test "cairn network ls: -q, --no-trunc, --format and filters" {
  mknet alpha 1 --label env=prod
  mknet beta 2 --label env=dev
  run_logged cairn network ls -q
  assert_equal "${#lines[@]}" 5
  assert_line --regexp '^[0-9a-f]{12}$'
  run_logged cairn network ls --no-trunc -q -f name=alpha
  assert_output "$(cairn network inspect -f '{{.Id}}' alpha)"
  run_logged cairn network ls -f label=env=dev --format '{{.Name}} {{.Label "env"}}'
  assert_output "beta dev"
  run_logged cairn network ls -f label=env --format '{{.Name}}'
  assert_output "$(printf 'alpha\nbeta')"
  run_logged cairn network ls -f type=builtin --format '{{.Name}}'
  assert_output "$(printf 'cairn\nhost\nnone')"
  run_logged cairn network ls -f driver=bridge -f type=custom --format 'table {{.Name}}\t{{.Driver}}'
  assert_line --index 0 --regexp '^NAME +DRIVER$'
  assert_equal "${#lines[@]}" 3
  run_logged cairn network ls --format json -f name=beta
  assert_equal "$(jq -r '.Name + " " + .Labels' <<<"$output")" "beta env=dev"
  run_logged cairn network ls -f bogus=1
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid filter 'bogus'"
}

@test "cairn network rm: refused while a container runs on it, then removed; built-ins stay" {
  mknet busy 1
  cairn run -d --name user --network busy busybox sleep 100 >/dev/null
  run_logged cairn network rm busy
  assert_failure
  [[ $stderr == "cairn: error while removing network: network busy id "*" has active endpoints (user)" ]] || fail "$stderr"
  cairn rm -f user >/dev/null
  run_logged cairn network rm busy
  assert_success
  assert_output busy
  [ ! -e "$CAIRN_ROOT/net.d/busy.conflist" ] && [ ! -e "$CAIRN_ROOT/networks/busy.json" ]
  run_logged cairn network rm cairn
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: cairn is a pre-defined network and cannot be removed"
  run_logged cairn network rm nosuch
  assert_failure
  assert_equal "$stderr" "cairn: network nosuch not found"
}

@test "cairn network prune: removes the networks no container uses" {
  mknet used 1
  mknet idle 2
  mknet idle2 3 --label keep=no
  cairn create --name later --network used busybox true >/dev/null
  run_logged cairn network prune -f --filter label=keep
  assert_output "$(printf 'Deleted Networks:\nidle2')"
  run_logged cairn network prune -f
  assert_success
  assert_output "$(printf 'Deleted Networks:\nidle')"
  run_logged cairn network ls --format '{{.Name}}'
  assert_output "$(printf 'cairn\nhost\nnone\nused')"
}

@test "cairn network connect/disconnect: a running container gets and loses a second interface; names follow" {
  mknet back 1
  pfx=$NETPFX
  port=$(free_port)
  web api "$port" --network back --network-alias apisrv
  cairn run -d --name client busybox sleep 100 >/dev/null
  # (busybox's wget -T crashes: timeout(1) bounds a wait instead)
  run_logged cairn exec client timeout 5 wget -qO- http://api/
  assert_failure
  [[ $stderr == *"bad address 'api'"* ]]
  run_logged cairn network connect --alias cli client
  assert_equal "$status" 125
  # an address outside the subnet: refused, nothing of it left
  run_logged cairn network connect --ip 10.250.250.250 back client
  assert_failure
  run_logged cairn exec client ls /sys/class/net
  refute_line eth1
  assert_equal "$(cairn inspect -f '{{len .NetworkSettings.Networks}}' client)" 1
  run_logged cairn network connect --ip 300.1.1.1 back client
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid IPv4 address: 300.1.1.1"
  run_logged cairn network connect --alias cli back client
  assert_success
  assert_output ""
  run_logged cairn exec client ip -4 -o addr show eth1
  assert_output --regexp "inet $pfx\.[0-9]+/24"
  cip=$(cairn inspect -f '{{(index .NetworkSettings.Networks "back").IPAddress}}' client)
  [[ $cip == "$pfx."* ]]
  # the client reaches the server by name and alias, the server knows the client
  for n in api apisrv; do
    run_logged cairn exec client timeout 10 wget -qO- "http://$n/"
    assert_output "hello from api"
  done
  run_logged cairn exec api grep -w cli /etc/hosts
  assert_output --regexp "^$cip	client cli [0-9a-f]{12}$"
  run_logged cairn network inspect -f '{{len .Containers}}' back
  assert_output 2
  # the primary network is still there
  run_logged cairn inspect -f '{{len .NetworkSettings.Networks}}' client
  assert_output 2
  run_logged cairn network connect back client
  assert_failure
  assert_equal "$stderr" "cairn: endpoint with name client already exists in network back"
  run_logged cairn network disconnect back client
  assert_success
  run_logged cairn exec client ls /sys/class/net
  refute_line eth1
  run_logged cairn exec api grep -w cli /etc/hosts
  assert_failure
  run_logged cairn exec client timeout 5 wget -qO- http://api/
  assert_failure
  [[ $stderr == *"bad address 'api'"* ]]
  run_logged cairn network disconnect back client
  assert_failure
  [[ $stderr == "cairn: container "*" is not connected to network back" ]]
  run_logged cairn network rm back
  assert_failure # api still runs on it
}

@test "cairn network connect: a stopped container is attached when it starts, again after a restart" {
  mknet side 1
  pfx=$NETPFX
  cairn create --name later busybox sleep 100 >/dev/null
  run_logged cairn network connect --ip "$pfx.77" side later
  assert_success
  cairn start later >/dev/null
  run_logged cairn exec later ip -4 -o addr show eth1
  assert_output --partial "inet $pfx.77/24"
  [ -e "$CAIRN_RUN/ipam/side/$pfx.77" ]
  cairn stop -t 0 later >/dev/null
  [ -e "$CAIRN_RUN/ipam/side/$pfx.77" ] && fail "the address stays reserved after stop"
  cairn start later >/dev/null
  run_logged cairn exec later ip -4 -o addr show eth1
  assert_output --partial "inet $pfx.77/24"
  run_logged cairn network connect side nosuchctr
  assert_failure
  assert_equal "$stderr" "cairn: no such container: nosuchctr"
  run_logged cairn network connect nosuchnet later
  assert_failure
  assert_equal "$stderr" "cairn: network nosuchnet not found"
  cairn run -d --name isolated --network none busybox sleep 100 >/dev/null
  run_logged cairn network connect side isolated
  assert_equal "$status" 125
  run_logged cairn network disconnect cairn later
  assert_equal "$status" 125
  run_logged cairn network connect host later
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: a container cannot be connected to the host network"
  # a network removed while the container is stopped: start fails, whole;
  # disconnect by name repairs it
  cairn stop -t 0 later >/dev/null
  cairn network rm side >/dev/null
  run_logged cairn start later
  assert_failure
  [[ $stderr == *"network 'side' not found"* ]] || fail "$stderr"
  [ -z "$(ls "$CAIRN_RUN/netns")" ] || fail "a netns is left"
  run_logged cairn network disconnect side later
  assert_success
  run_logged cairn start later
  assert_success
  run_logged cairn exec later ls /sys/class/net
  refute_line eth1
}
