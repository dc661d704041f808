# helpers.bash — shared by the cairn CLI suites: `load helpers`.
#
# Every test runs cairn against its own CAIRN_ROOT/CAIRN_RUN under $T and a
# cairn.json of its own: the runtime is CAIRN_TEST_RUNTIME (default runc,
# any runc-compatible runtime works), containers' cgroups go under a
# parent named for the test, and the default network "cairn" gets a bridge,
# a /24 and an nftables table of the test's own (the stock 10.88.0.0/16 on
# cairn0 would be shared with anything else on the host).  The busybox
# fixture image is loaded once per file and copied into each test's store.

load ../helpers/common

CLI_RUNTIME="${CAIRN_TEST_RUNTIME:-runc}"

setup_file() {
  local archive
  archive="$(fixture_image_archive docker-archive)" || return 1
  export CLI_IMAGE_ARCHIVE="$archive"
  export CLI_TEMPLATE="$BATS_FILE_TMPDIR/root"
  CAIRN_ROOT="$CLI_TEMPLATE" CAIRN_RUN="$BATS_FILE_TMPDIR/run" \
    "$CAIRN_SRC/bin/cairn" load -i "$archive" >/dev/null || return 1
  # each test starts with an empty event journal (the load is not its event)
  rm -f "$CLI_TEMPLATE/events.jsonl"
}

cli_setup() {
  common_setup
  requires root cmd:"$CLI_RUNTIME" cmd:ip cmd:nft cmd:curl cmd:jq
  local n=$BATS_TEST_NUMBER
  TID="$$x$n"
  BR="cbt$TID"
  BR=${BR:0:15}
  TABLE="cairnt$TID"
  OCT=$(((($$ + n * 7) % 200) + 20))
  SUBNET="10.198.$OCT.0/24"
  CGPARENT="/cairn-clitest-$TID"
  export CAIRN_ROOT="$T/root" CAIRN_RUN="$T/run" CAIRN_CONFIG="$T/cairn.json"
  cp -a "$CLI_TEMPLATE" "$CAIRN_ROOT"
  jq -n --arg rt "$CLI_RUNTIME" --arg cg "$CGPARENT" \
    '{runtime: $rt, cgroupParent: $cg}' >"$CAIRN_CONFIG"
  mkdir -p "$CAIRN_ROOT/net.d"
  jq -n --arg br "$BR" --arg sn "$SUBNET" --arg t "$TABLE" --arg dd "$CAIRN_RUN/ipam" '{
    cniVersion: "1.0.0", name: "cairn",
    plugins: [
      {type: "cairn-bridge", bridge: $br, isGateway: true, ipMasq: true, hairpinMode: true,
       nftTable: $t, capabilities: {ips: true},
       ipam: {type: "cairn-ipam", ranges: [[{subnet: $sn}]], routes: [{dst: "0.0.0.0/0"}],
              dataDir: $dd}},
      {type: "cairn-portmap", nftTable: $t, capabilities: {portMappings: true}},
      {type: "cairn-loopback"}]}' >"$CAIRN_ROOT/net.d/cairn.conflist"
  FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
  # Other suites on this host make cgroups and tables with "cairn" in their
  # names: look only at this test's (mounts and processes are this test's
  # by construction; network.bats counts veths itself).
  export LEAKS_PATTERNS="$T cairn-clitest-$TID $TABLE"
  leaks_snapshot
}

# What a test leaves is removed the way a user would (rm -f), then what
# is the test's own by construction (bridge, table, cgroup parent); then
# nothing else may be left.
cli_teardown() {
  local rc=0 id d
  http_stop
  if [ -n "${CAIRN_ROOT:-}" ] && [ -d "$CAIRN_ROOT/containers" ]; then
    for id in $(cairn ps -aq --no-trunc 2>/dev/null); do
      cairn rm -f "$id" >/dev/null 2>&1 || true
    done
  fi
  ip link del "$BR" 2>/dev/null || true
  nft delete table ip "$TABLE" 2>/dev/null || true
  if [ -n "${EXTRA_BR:-}" ]; then ip link del "$EXTRA_BR" 2>/dev/null || true; fi
  if [ -n "${EXTRA_TABLE:-}" ]; then nft delete table ip "$EXTRA_TABLE" 2>/dev/null || true; fi
  for d in /sys/fs/cgroup/*"$CGPARENT" /sys/fs/cgroup/*/*"$CGPARENT"; do
    if [ -d "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
  done
  [ -n "${FORWARD_WAS:-}" ] && echo "$FORWARD_WAS" >/proc/sys/net/ipv4/ip_forward
  assert_no_leaks 3 || rc=1
  common_teardown
  return $rc
}

setup() { cli_setup; }
teardown() { cli_teardown; }

# cid NAME: the full id of a container.
cid() { cairn inspect -f '{{.Id}}' "$1"; }

# is_running NAME
is_running() { [ "$(cairn inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = running ]; }

# http PORT [PATH] [HOST]: the body served on the host's port.
http() { curl -sf -m 5 "http://${3:-127.0.0.1}:$1/${2:-}"; }

# free_port: a TCP port nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

# web NAME PORT [ARGS…]: a detached busybox httpd serving $T/www-NAME on
# host PORT, with index.html saying "hello from NAME"; waits until it answers.
web() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$T/www-$name"
  echo "hello from $name" >"$T/www-$name/index.html"
  run_logged cairn run -d --name "$name" -p "$port:80" -v "$T/www-$name:/www:ro" "$@" \
    busybox httpd -f -p 80 -h /www
  assert_success
  retry 50 0.1 http "$port" >/dev/null || fail "httpd of $name does not answer on $port"
}
