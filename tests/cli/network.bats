#!/usr/bin/env bats
# cairn run's networking: published ports, container to container, the
# network modes, and that rm leaves nothing of a container's network.

load helpers

host_addr() { ip -4 -o addr show scope global | awk '{ sub(/\/.*/, "", $4); print $4; exit }'; }

@test "cairn run -p: the page answers on 127.0.0.1 and on the host's address" {
  port=$(free_port)
  web pub "$port"
  run_logged http "$port"
  assert_output "hello from pub"
  addr=$(host_addr)
  [ -n "$addr" ] || skip "the host has no global IPv4 address"
  run_logged http "$port" "" "$addr"
  assert_output "hello from pub"
}

@test "cairn run -p IP:HOST:CTR publishes on that address only" {
  port=$(free_port)
  mkdir -p "$T/www"
  echo "hello from local" >"$T/www/index.html"
  cairn run -d --name local -p "127.0.0.1:$port:80" -v "$T/www:/www" busybox httpd -f -p 80 -h /www
  retry 50 0.1 http "$port" >/dev/null
  run_logged http "$port"
  assert_output "hello from local"
  addr=$(host_addr)
  [ -n "$addr" ] || skip "the host has no global IPv4 address"
  run_logged http "$port" "" "$addr"
  assert_failure
}

@test "cairn run -p CTR: a free host port is picked; cairn port shows it" {
  mkdir -p "$T/www"
  echo picked >"$T/www/index.html"
  cairn run -d --name rnd -p 80 -v "$T/www:/www" busybox httpd -f -p 80 -h /www >/dev/null
  run_logged cairn port rnd
  assert_output --regexp '^80/tcp -> 0\.0\.0\.0:[0-9]+$'
  port=${output##*:}
  run_logged cairn port rnd 80
  assert_output "0.0.0.0:$port"
  retry 50 0.1 http "$port" >/dev/null
  assert_equal "$(http "$port")" picked
}

@test "cairn run -p with ranges and udp" {
  p1=$(free_port)
  p2=$((p1 + 1))
  run_logged cairn run -d --name rng -p "$p1-$p2:8000-8001" -p "$p1:53/udp" busybox sleep 100
  assert_success
  run_logged cairn ps --format '{{.Ports}}'
  assert_output "0.0.0.0:$p1-$p2->8000-8001/tcp, 0.0.0.0:$p1->53/udp"
}

@test "cairn run -P publishes the image's exposed ports" {
  requires cmd:umoci cmd:skopeo
  cp -a "$(fixture_image)" "$T/layout"
  umoci config --image "$T/layout:latest" --config.exposedports 80/tcp
  skopeo copy -q "oci:$T/layout:latest" "docker-archive:$T/exposed.tar:exposed:latest"
  cairn load -i "$T/exposed.tar" >/dev/null
  mkdir -p "$T/www"
  echo exposed >"$T/www/index.html"
  cairn run -d --name pa -P -v "$T/www:/www" exposed httpd -f -p 80 -h /www >/dev/null
  port=$(cairn port pa 80 | cut -d: -f2)
  retry 50 0.1 http "$port" >/dev/null
  assert_equal "$(http "$port")" exposed
}

@test "cairn run -p: a host port in use is refused; nothing is left" {
  port=$(free_port)
  python3 -c "import socket,time; s=socket.socket(); s.bind(('0.0.0.0', $port)); s.listen(); time.sleep(30)" 3>&- &
  holder=$!
  retry 50 0.1 sh -c "ss -ltn | grep -q ':$port '"
  run_logged cairn run -d --name clash -p "$port:80" busybox sleep 100
  kill "$holder"
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: bind for 0.0.0.0:$port failed: port is already allocated"
  run_logged cairn ps -aq
  assert_output ""
  [ -z "$(ls "$CAIRN_RUN/netns" 2>/dev/null)" ]
}

@test "cairn run -p: a host port another container maps is refused" {
  port=$(free_port)
  cairn run -d --name first -p "$port:80" busybox sleep 100 >/dev/null
  run_logged cairn run -d --name second -p "$port:80" busybox sleep 100
  assert_equal "$status" 125
  [[ $stderr == *"host port $port/tcp is already mapped"* ]]
  assert_equal "$(cairn ps -a --format '{{.Names}}')" first
}

@test "containers reach each other by address on the default network" {
  port=$(free_port)
  web srv "$port"
  ip=$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' srv)
  run_logged cairn run --rm busybox wget -qO- "http://$ip/"
  assert_success
  assert_output "hello from srv"
}

@test "cairn run --link NAME:ALIAS: the alias resolves to the linked container" {
  port=$(free_port)
  web target "$port"
  ip=$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' target)
  run_logged cairn run --rm --link target:db busybox sh -c 'grep -w db /etc/hosts; wget -qO- http://db/'
  assert_success
  assert_line --index 0 "$ip	db target"
  assert_line --index 1 "hello from target"
}

@test "cairn run --network none: only loopback" {
  run_logged cairn run --rm --network none busybox sh -c 'ls /sys/class/net | sort | tr "\n" " "'
  assert_success
  assert_output "lo "
}

@test "cairn run --network host: the host's interfaces and name" {
  run_logged cairn run --rm --network host busybox hostname
  assert_output "$(hostname)"
  run_logged cairn run --rm --network host busybox ls /sys/class/net
  assert_line "$BR" || assert_line lo
  [ "${#lines[@]}" -eq "$(ls /sys/class/net | wc -l)" ]
}

@test "cairn run --network container:X: shares X's network namespace" {
  port=$(free_port)
  web shared "$port"
  run_logged cairn run --rm --network container:shared busybox wget -qO- http://127.0.0.1/
  assert_success
  assert_output "hello from shared"
}

@test "cairn run --network NAME: an unknown network is an error" {
  run_logged cairn run --rm --network nosuchnet busybox true
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn-net: network 'nosuchnet' not found"
}

@test "cairn rm: no mount, netns, veth, nft element, cgroup, shim or file of the container remains" {
  port=$(free_port)
  veths_before=$(ip -o link show type veth | wc -l)
  web full "$port"
  id=$(cid full)
  ip=$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' full)
  shim=$(cat "$CAIRN_RUN/containers/$id/shim.pid")
  # all of it is there while it runs
  grep -q "$id" /proc/self/mountinfo
  [ -e "$CAIRN_RUN/netns/$id" ]
  [ "$(ip -o link show type veth | wc -l)" -gt "$veths_before" ]
  nft list table ip "$TABLE" | grep -q "$ip"
  [ -n "$(find /sys/fs/cgroup -type d -name "$id" 2>/dev/null)" ]
  kill -0 "$shim"
  run_logged cairn rm -f full
  assert_success
  ! grep -q "$id" /proc/self/mountinfo || fail "a mount of $id remains"
  [ ! -e "$CAIRN_RUN/netns/$id" ] || fail "the netns remains"
  [ "$(ip -o link show type veth | wc -l)" -eq "$veths_before" ] || fail "a veth remains"
  ! nft list table ip "$TABLE" | grep -q "$ip" || fail "an nft element of $ip remains"
  [ -z "$(find /sys/fs/cgroup -type d -name "$id" 2>/dev/null)" ] || fail "a cgroup remains"
  # (a zombie waiting for its reaper is not running)
  ! grep -qs '^State:.*[RSD]' "/proc/$shim/status" || fail "the shim still runs"
  ! grep -rqs "$id" /proc/[0-9]*/cmdline || fail "a process naming $id remains"
  [ ! -e "$CAIRN_ROOT/containers/$id" ] || fail "the container dir remains"
  [ ! -e "$CAIRN_RUN/containers/$id" ] || fail "the shim's dir remains"
  [ ! -e "$CAIRN_RUN/runtime/$id" ] || fail "the runtime's state remains"
  [ ! -e "$CAIRN_ROOT/names/full" ] || fail "the name remains"
  ! grep -rqs "$id" "$CAIRN_RUN/ipam" || fail "the address is still reserved"
  run_logged http "$port"
  assert_failure
}

@test "cairn stop releases the network; start attaches it again" {
  port=$(free_port)
  web again "$port"
  id=$(cid again)
  cairn stop -t 0 again >/dev/null
  [ ! -e "$CAIRN_RUN/netns/$id" ]
  ! grep -q "$id" /proc/self/mountinfo
  run_logged cairn ps -a --format '{{.Ports}}'
  assert_output ""
  cairn start again >/dev/null
  retry 50 0.1 http "$port" >/dev/null
  assert_equal "$(http "$port")" "hello from again"
}

@test "containers reach each other by name, alias and short id on the default network, kept current" {
  port=$(free_port)
  web alpha "$port" --network-alias www
  cairn run -d --name beta busybox sleep 100 >/dev/null
  ip=$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' alpha)
  short=$(cid alpha | cut -c1-12)
  for n in alpha www "$short"; do
    run_logged cairn exec beta wget -qO- "http://$n/"
    assert_success
    assert_output "hello from alpha"
  done
  # a container started later is known to those already running, and back
  cairn run -d --name gamma busybox sleep 100 >/dev/null
  gip=$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' gamma)
  run_logged cairn exec beta grep -w gamma /etc/hosts
  assert_output --regexp "^$gip	gamma "
  run_logged cairn exec gamma grep -w alpha /etc/hosts
  assert_output --regexp "^$ip	alpha www "
  # one that leaves is forgotten
  cairn rm -f alpha >/dev/null
  run_logged cairn exec beta grep -w alpha /etc/hosts
  assert_failure
  run_logged cairn exec beta wget -qO- -T 2 http://alpha/
  assert_failure
}

@test "cairn network create + --network NAME: containers on a network of their own" {
  oct=$(((OCT + 101) % 200 + 20))
  EXTRA_BR="${BR:0:12}n2" EXTRA_TABLE="${TABLE}n"
  run_logged cairn network create --subnet "10.198.$oct.0/24" --bridge "$EXTRA_BR" --nft-table "$EXTRA_TABLE" mynet
  assert_success
  port=$(free_port)
  web onnet "$port" --network mynet
  run_logged cairn run --rm --network mynet busybox wget -qO- http://onnet/
  assert_success
  assert_output "hello from onnet"
  assert_equal "$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' onnet | cut -d. -f1-3)" "10.198.$oct"
  run_logged cairn network ls
  assert_output --partial mynet
}
