# net.bash — helpers for the netplug suites (load after ../helpers/common).
# shellcheck disable=SC2034  # BR, GW, TABLE, … are for the suites
#
# Every test works only on things it makes and removes in teardown:
# network namespaces "cairn-test-<pid>-<test>-<name>", a bridge "cnt<pid>x<test>"
# (15 chars at most), a private subnet 10.199.N.0/24 (and fd00:199:N::/64),
# nftables tables of its own ("cairnt<pid>x<test>" of families ip and ip6,
# passed as "nftTable"), its dataDir under $T and CAIRN_ROOT/CAIRN_RUN under
# $T.  net.ipv4.ip_forward and net.ipv6.conf.all.forwarding, which the bridge
# plugins turn on (as the reference plugin does), are put back as they were.

net_setup() {
  requires root cmd:ip cmd:nft cmd:nsenter cmd:curl cmd:jq
  local n=$BATS_TEST_NUMBER
  ID="$$x$n"
  BR="cnt$ID"
  BR=${BR:0:15}
  TABLE="cairnt$ID"
  NSP="cairn-test-$$-$n"
  OCT=$(( ($$ + n * 7) % 200 + 20 ))
  SUBNET="10.199.$OCT.0/24"
  GW="10.199.$OCT.1"
  SUBNET6="fd00:199:$OCT::/64"
  GW6="fd00:199:$OCT::1"
  export CAIRN_ROOT="$T/root" CAIRN_RUN="$T/run"
  export CNI_PATH="$CAIRN_SRC/bin"
  LISTENERS=()
  FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
  FORWARD6_WAS=$(cat /proc/sys/net/ipv6/conf/all/forwarding)
}

net_teardown() {
  local p ns
  for p in "${LISTENERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  # (mk_netns runs in $(…), a subshell: find the namespaces by name)
  for ns in $(ip netns list | awk -v p="$NSP-" 'index($1, p) == 1 { print $1 }'); do
    ip netns del "$ns"
  done
  ip link del "$BR" 2>/dev/null
  [ -n "${BR2:-}" ] && ip link del "$BR2" 2>/dev/null
  nft delete table ip "$TABLE" 2>/dev/null
  nft delete table ip6 "$TABLE" 2>/dev/null
  [ -n "${FORWARD_WAS:-}" ] && echo "$FORWARD_WAS" >/proc/sys/net/ipv4/ip_forward
  # (only when changed: writing "all" resets every interface's own value)
  [ -n "${FORWARD6_WAS:-}" ] && [ "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" != "$FORWARD6_WAS" ] &&
    echo "$FORWARD6_WAS" >/proc/sys/net/ipv6/conf/all/forwarding
  return 0
}

setup() { common_setup; net_setup; }
teardown() { net_teardown; common_teardown; }

# mk_netns NAME: a namespace of this test; prints its path.
mk_netns() {
  local ns="$NSP-$1"
  ip netns add "$ns" || return 1
  echo "/run/netns/$ns"
}

# in_ns NAME CMD…: run CMD in the test's namespace NAME (nsenter, which
# leaves /sys alone, unlike `ip netns exec`).
in_ns() {
  local ns="$NSP-$1"
  shift
  nsenter --net="/run/netns/$ns" "$@"
}

# bridge_conf [JQ-FILTER]: a cairn-bridge + cairn-ipam network config for
# this test's bridge, subnet, table and dataDir, edited by the filter.
bridge_conf() {
  jq -n --arg br "$BR" --arg sn "$SUBNET" --arg t "$TABLE" --arg dd "$T/ipam" \
    '{cniVersion: "1.0.0", name: "t", type: "cairn-bridge", bridge: $br, isGateway: true,
      ipMasq: true, hairpinMode: true, nftTable: $t,
      ipam: {type: "cairn-ipam", ranges: [[{subnet: $sn}]], routes: [{dst: "0.0.0.0/0"}],
             dataDir: $dd}}' | jq "${1:-.}"
}

# cni CMD PLUGIN NETNS-PATH CONTAINERID [IFNAME] < config: run a plugin as a
# driver would (through run_logged).
cni() {
  local cmd=$1 plugin=$2 netns=$3 cid=$4 ifname=${5:-eth0}
  run_logged env CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS="$netns" \
    CNI_IFNAME="$ifname" CNI_PATH="$CNI_PATH" "$plugin"
}

# listen NAME PORT: busybox httpd serving "hello from NAME" in namespace NAME.
listen() {
  mkdir -p "$T/www-$1"
  echo "hello from $1" >"$T/www-$1/index.html"
  # nsenter itself in the background (not a function: $! must be the
  # listener's pid), with bats' fd 3 closed so that it cannot hold bats up
  nsenter --net="/run/netns/$NSP-$1" busybox httpd -f -p "$2" -h "$T/www-$1" 3>&- &
  LISTENERS+=($!)
  retry 50 0.1 in_ns "$1" sh -c "busybox netstat -ltn | grep -q ':$2 '"
}

# nft_elements: every element comment in the test's table.
nft_owners() {
  { nft list table ip "$TABLE"; nft list table ip6 "$TABLE"; } 2>/dev/null |
    grep -o 'comment "[^"]*"' | sort
}
