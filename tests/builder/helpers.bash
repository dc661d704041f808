# helpers.bash — shared by the cairn-build suites: `load helpers`.
#
# Every test builds against its own CAIRN_ROOT/CAIRN_RUN under $T, holding
# the busybox fixture image (loaded once per file, copied per test).  RUN
# steps use --network none unless a test says otherwise (the default
# network needs a bridge: net_setup gives the test one of its own, as the
# CLI suites do), and the runtime CAIRN_TEST_RUNTIME (default: cairn's own).

load ../helpers/common

BUILD_RUNTIME="${CAIRN_TEST_RUNTIME:-cairn-runtime}"

setup_file() {
  local archive
  archive="$(fixture_image_archive docker-archive)" || return 1
  export BUILD_TEMPLATE="$BATS_FILE_TMPDIR/root"
  CAIRN_ROOT="$BUILD_TEMPLATE" CAIRN_RUN="$BATS_FILE_TMPDIR/run" \
    "$CAIRN_SRC/bin/cairn-image" load -i "$archive" >/dev/null || return 1
}

build_setup() {
  common_setup
  requires root cmd:jq
  export CAIRN_ROOT="$T/root" CAIRN_RUN="$T/run"
  cp -a "$BUILD_TEMPLATE" "$CAIRN_ROOT"
  CTX="$T/ctx"
  mkdir -p "$CTX"
  unset SOURCE_DATE_EPOCH
}

build_teardown() {
  # nothing a build made may stay mounted or running
  local left
  # ($RUN/netns is bound onto itself once, as `ip netns` does: not a leak)
  left=$(awk -v t="$T" -v n="$T/run/netns" 'index($5, t) == 1 && $5 != n' /proc/self/mountinfo | wc -l)
  if [ "${NET_TABLE:-}" ]; then
    ip link del "$NET_BR" 2>/dev/null || true
    nft delete table ip "$NET_TABLE" 2>/dev/null || true
  fi
  common_teardown
  [ "$left" -eq 0 ] || { echo "build left $left mounts under $T" >&2; return 1; }
}

setup() { build_setup; }
teardown() { build_teardown; }

# dockerfile TEXT: writes $CTX/Dockerfile.
dockerfile() { printf '%s\n' "$1" >"$CTX/Dockerfile"; }

# build ARGS…: cairn-build with the test's runtime and no network.
build() { cairn-build --runtime "$BUILD_RUNTIME" --network none "$@"; }

# rootfs_of IMAGE DIR: a plain copy of IMAGE's files in DIR/rootfs.
rootfs_of() { cairn-image unpack --copy "$1" "$2" >/dev/null; }

# net_setup: the "cairn" network of this test: its own bridge, /24 and
# nftables table (the stock one would be shared with the whole host).
net_setup() {
  requires cmd:ip cmd:nft
  local n=$BATS_TEST_NUMBER oct
  NET_BR="cbb$$x$n"
  NET_BR=${NET_BR:0:15}
  NET_TABLE="cairnb$$x$n"
  oct=$(((($$ + n * 11) % 200) + 20))
  mkdir -p "$CAIRN_ROOT/net.d"
  jq -n --arg br "$NET_BR" --arg sn "10.197.$oct.0/24" --arg t "$NET_TABLE" \
    --arg dd "$CAIRN_RUN/ipam" '{
    cniVersion: "1.0.0", name: "cairn",
    plugins: [
      {type: "cairn-bridge", bridge: $br, isGateway: true, ipMasq: true, nftTable: $t,
       ipam: {type: "cairn-ipam", ranges: [[{subnet: $sn}]], routes: [{dst: "0.0.0.0/0"}],
              dataDir: $dd}},
      {type: "cairn-loopback"}]}' >"$CAIRN_ROOT/net.d/cairn.conflist"
  export NET_BR NET_TABLE
}
