#!/bin/bash
# bench/cli.sh — cairn against podman, side by side, with hyperfine:
#   1. `run --rm IMAGE true`, end to end, the image present, on the default
#      bridge network and with --network none (goal: cairn at least 10x
#      faster than podman's median, both ways)
#   2. `cairn ps -a` with 100 containers (goal: under 50 ms)
#   3. `cairn images` with 200 images and `cairn volume ls` with 500 volumes
#      (goal: under 50 ms each), `cairn pull` of a present image from a
#      local docker-registry (goal: under 30 ms), beside podman's
#
#   bench/cli.sh [RUNS]            RUNS per command (default 20)
#
# Environment: CAIRN_BENCH_RUNTIMES (default "cairn-runtime runc"): the OCI
# runtimes cairn runs under, one row each.  cairn-runtime is cairn's
# default, so its row is what a user gets and what the goal is judged on;
# the runc row compares like with like (podman runs runc here: crun
# refuses this host's hybrid cgroups).
# CAIRN_BENCH_BASELINE=DIR adds rows for DIR/bin/cairn (another build, e.g.
# an older commit's), to show a change before and after in the same run.
# Everything (stores, networks, containers) lives under one temp dir and is
# removed at the end; only what this script started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
RUNS=${1:-20}
RUNTIMES=${CAIRN_BENCH_RUNTIMES:-cairn-runtime runc}

[ "$(id -u)" = 0 ] || { echo "bench/cli.sh: needs root" >&2; exit 1; }
[ -x bin/cairn ] || { echo "bench/cli.sh: bin/cairn missing: run make" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench/cli.sh: hyperfine missing: run make deps" >&2; exit 1; }
if ! command -v podman >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends podman >/dev/null
fi
PLUGINS=/usr/lib/cni
[ -x $PLUGINS/bridge ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  --no-install-recommends containernetworking-plugins >/dev/null

# shellcheck source=/dev/null
. "$SRC/tests/helpers/fixtures.bash"
# shellcheck source=/dev/null
. "$SRC/tests/helpers/registry.bash"
ARCHIVE=$(fixture_image_archive docker-archive)
W=$(mktemp -d /tmp/cairn-bench-cli.XXXXXX)
export CAIRN_ROOT="$W/cairn/root" CAIRN_RUN="$W/cairn/run" CAIRN_CONFIG="$W/cairn/cairn.json"
PODMAN=(podman --root "$W/podman/root" --runroot "$W/podman/run" --cgroup-manager cgroupfs
        --events-backend none)
export CONTAINERS_CONF="$W/podman/containers.conf"
BR=cbench$$
BR=${BR:0:15}
TABLE=cairnbench$$

cleanup() {
  local id
  for id in $("$SRC/bin/cairn" ps -aq --no-trunc 2>/dev/null); do
    "$SRC/bin/cairn" rm -f "$id" >/dev/null 2>&1 || true
  done
  registry_stop >/dev/null 2>&1 || true
  "${PODMAN[@]}" rm -af >/dev/null 2>&1 || true
  "${PODMAN[@]}" system reset -f >/dev/null 2>&1 || true
  ip link del "$BR" 2>/dev/null || true
  ip link del cni-podman0 2>/dev/null || true
  nft delete table ip "$TABLE" 2>/dev/null || true
  find /sys/fs/cgroup -depth -type d -path "*cairn-bench-$$*" -exec rmdir {} + 2>/dev/null || true
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
    awk -v w="$W" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf "$W"
}
trap cleanup EXIT

# cairn: a private root, its default network on a bridge and /24 of its own
mkdir -p "$CAIRN_ROOT/net.d" "$W/podman/cni"
echo "{\"cgroupParent\": \"/cairn-bench-$$\"}" >"$CAIRN_CONFIG"
jq -n --arg br "$BR" --arg t "$TABLE" --arg dd "$CAIRN_RUN/ipam" '{
  cniVersion: "1.0.0", name: "cairn",
  plugins: [
    {type: "cairn-bridge", bridge: $br, isGateway: true, ipMasq: true, hairpinMode: true,
     nftTable: $t, ipam: {type: "cairn-ipam", ranges: [[{subnet: "10.196.7.0/24"}]],
                          routes: [{dst: "0.0.0.0/0"}], dataDir: $dd}},
    {type: "cairn-portmap", nftTable: $t, capabilities: {portMappings: true}},
    {type: "cairn-loopback"}]}' >"$CAIRN_ROOT/net.d/cairn.conflist"
bin/cairn load -i "$ARCHIVE" >/dev/null

# podman: a private store, runc, the reference CNI plugins, no ulimits above
# ours (conmon lowers NPROC to 32768 here: the container may not ask more)
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PLUGINS"]
network_config_dir = "$W/podman/cni"
default_subnet = "10.195.9.0/24"
EOF
"${PODMAN[@]}" load -i "$ARCHIVE" >/dev/null

# check that each runs before timing it
for rt in $RUNTIMES; do
  [ "$(timeout 20 bin/cairn --runtime "$rt" run --rm busybox echo ok)" = ok ] ||
    { echo "bench/cli.sh: cairn run under $rt does not work" >&2; exit 1; }
done
[ "$("${PODMAN[@]}" run --rm busybox echo ok)" = ok ] ||
  { echo "bench/cli.sh: podman run does not work" >&2; exit 1; }

BASE=${CAIRN_BENCH_BASELINE:-}
if [ -n "$BASE" ]; then
  [ -x "$BASE/bin/cairn" ] || { echo "bench/cli.sh: $BASE/bin/cairn missing" >&2; exit 1; }
  for rt in $RUNTIMES; do
    [ "$(timeout 20 "$BASE/bin/cairn" --runtime "$rt" run --rm busybox echo ok)" = ok ] ||
      { echo "bench/cli.sh: baseline cairn run under $rt does not work" >&2; exit 1; }
  done
fi
args=()
for rt in $RUNTIMES; do
  args+=(--command-name "cairn run --rm ($rt, bridge)" "$SRC/bin/cairn --runtime $rt run --rm busybox true")
  [ -z "$BASE" ] || args+=(--command-name "baseline cairn run --rm ($rt, bridge)"
                           "$BASE/bin/cairn --runtime $rt run --rm busybox true")
done
args+=(--command-name "podman run --rm (runc, bridge)" "${PODMAN[*]} run --rm busybox true")
for rt in $RUNTIMES; do
  args+=(--command-name "cairn run --rm ($rt, --network none)"
         "$SRC/bin/cairn --runtime $rt run --rm --network none busybox true")
  [ -z "$BASE" ] || args+=(--command-name "baseline cairn run --rm ($rt, --network none)"
                           "$BASE/bin/cairn --runtime $rt run --rm --network none busybox true")
done
args+=(--command-name "podman run --rm (runc, --network none)"
       "${PODMAN[*]} run --rm --network none busybox true")
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/run.json" "${args[@]}"

for _ in $(seq 100); do bin/cairn create busybox true >/dev/null; done
hyperfine -N --warmup 5 --runs 50 --export-json "$W/ps.json" \
  --command-name "cairn ps -a (100 containers)" "$SRC/bin/cairn ps -a"

# 200 distinct images (one tiny layer each, so 200 configs and ids), 500
# volumes, and a present image in a local registry; podman the same.
mkdir -p "$W/img/rootfs"
for i in $(seq 200); do
  echo "$i" >"$W/img/rootfs/n"
  tar -C "$W/img/rootfs" -cf "$W/img/l.tar" .
  bin/cairn import "$W/img/l.tar" "bench/img$i:latest" >/dev/null
  "${PODMAN[@]}" import -q "$W/img/l.tar" "bench/img$i:latest" >/dev/null
done
for i in $(seq 500); do
  bin/cairn volume create "vol$i" >/dev/null
  "${PODMAN[@]}" volume create "vol$i" >/dev/null
done
registry_start >/dev/null
registry_push_fixture library/busybox:latest >/dev/null
bin/cairn pull -q "$REGISTRY/library/busybox:latest" >/dev/null
"${PODMAN[@]}" pull -q --tls-verify=false "$REGISTRY/library/busybox:latest" >/dev/null
hyperfine -N --warmup 5 --runs 30 --export-json "$W/lists.json" \
  --command-name "cairn images (200 images)" "$SRC/bin/cairn images" \
  --command-name "podman images (200 images)" "${PODMAN[*]} images" \
  --command-name "cairn volume ls (500 volumes)" "$SRC/bin/cairn volume ls" \
  --command-name "podman volume ls (500 volumes)" "${PODMAN[*]} volume ls" \
  --command-name "cairn pull (present)" "$SRC/bin/cairn pull -q $REGISTRY/library/busybox:latest" \
  --command-name "podman pull (present)" \
  "${PODMAN[*]} pull -q --tls-verify=false $REGISTRY/library/busybox:latest"

echo
echo "medians:"
jq -r '.results[] | "  \(.command): \(.median * 1000 * 10 | round / 10) ms"' "$W/run.json" "$W/ps.json" \
  "$W/lists.json"
med() { jq -r --arg c "$1" '.results[] | select(.command == $c) | .median' "$W/run.json"; }
for net in bridge "--network none"; do
  p=$(med "podman run --rm (runc, $net)")
  for rt in $RUNTIMES; do
    c=$(med "cairn run --rm ($rt, $net)")
    awk -v c="$c" -v p="$p" -v n="$net" -v r="$rt" \
      'BEGIN { printf "  %s, %s: cairn is %.1fx faster than podman (goal 10x)\n", n, r, p / c }'
  done
done
