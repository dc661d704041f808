#!/bin/bash
# bench/image.sh — cairn-image against its peers, side by side in one run.
#
#   bench/image.sh [busybox|big|all]     (default all)
#
# Images, both served by a private docker-registry on 127.0.0.1:
#   busybox  the test fixture (one layer, ~1 MB compressed)
#   big      ~300 MB, ~20,000 files in 3 layers, copied from this machine's
#            /usr (cached in $CAIRN_BENCH_CACHE, default /var/tmp/cairn-bench-cache)
# Timings (median of $RUNS runs, each from an empty store):
#   cold pull + unpack   cairn-image pull + unpack (overlay)
#                        podman pull              (installed with apt-get if missing;
#                                                  CAIRN_BENCH_NO_PODMAN=1 skips it)
#                        skopeo copy + umoci unpack
#   warm                 cairn-image pull of a present image (one HEAD to the
#                        registry, as docker; and with --policy missing, none),
#                        unpack of a present image (overlay), with hyperfine
# This is not a test: nothing fails on a slow figure.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="$PWD"
WHAT="${1:-all}"
RUNS="${RUNS:-5}"
CACHE="${CAIRN_BENCH_CACHE:-/var/tmp/cairn-bench-cache}"
export PATH="$SRC/bin:$PATH"
[ -x bin/cairn-image ] || { echo "bench: build first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (overlay mounts)" >&2; exit 1; }

W="$(mktemp -d /var/tmp/cairn-bench.XXXXXX)"
REG_PID=""
cleanup() {
  local m
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
    awk -v t="$W" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  if [ -n "$REG_PID" ]; then
    kill "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
  fi
  podman --root "$W/podman/root" --runroot "$W/podman/run" system reset -f >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

need() {
  command -v "$1" >/dev/null && return 0
  [ "${CAIRN_BENCH_NO_INSTALL:-}" = 1 ] && return 1
  echo "bench: installing $2" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null </dev/null ||
    { apt-get update -q >/dev/null </dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null </dev/null; }
}
need skopeo skopeo
need umoci umoci
need docker-registry docker-registry
need hyperfine hyperfine
PODMAN=0
if [ "${CAIRN_BENCH_NO_PODMAN:-}" != 1 ] && need podman podman; then PODMAN=1; fi

# --- the images -------------------------------------------------------------

# The busybox fixture, as the tests build it.
busybox_layout() {
  # shellcheck disable=SC1091
  (source tests/helpers/fixtures.bash && fixture_image)
}

# ~300 MB / ~20,000 files of real binaries and text from /usr, 3 layers.
big_layout() {
  local dir="$CACHE/big-layout-v2"
  if [ ! -f "$dir/index.json" ]; then
    mkdir -p "$CACHE"
    rm -rf "$CACHE/big-tmp" && mkdir -p "$CACHE/big-tmp"
    python3 - "$CACHE/big-tmp" <<'PY'
import os, sys, tarfile
out = sys.argv[1]
# three layers: text and data, shared libraries, executables
plan = [("/usr/share", 12000, 90 << 20), ("/usr/lib", 6500, 160 << 20),
        ("/usr/bin", 1500, 50 << 20)]
for n, (root, nfiles, nbytes) in enumerate(plan):
    everything = []
    for d, dirs, names in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(names):
            p = os.path.join(d, name)
            if os.path.isfile(p) and not os.path.islink(p):
                everything.append((p, os.path.getsize(p)))
    # the count first, with small files; then the bytes, with bigger ones
    files, total = [], 0
    for p, s in everything:
        if len(files) < nfiles and s <= (64 << 10):
            files.append(p)
            total += s
    chosen = set(files)
    for p, s in everything:
        if total >= nbytes:
            break
        if p not in chosen and s <= (8 << 20) and total + s <= nbytes:
            files.append(p)
            total += s
    with tarfile.open(os.path.join(out, "layer%d.tar" % n), "w", format=tarfile.PAX_FORMAT) as t:
        for p in files:
            t.add(p, arcname=p.lstrip("/"), recursive=False)
    print("layer %d: %d files, %.0f MB" % (n, len(files), total / 1e6), file=sys.stderr)
PY
    python3 tests/image/mkimage.py - --layer "$CACHE/big-tmp/layer0.tar" \
      --layer "$CACHE/big-tmp/layer1.tar" --layer "$CACHE/big-tmp/layer2.tar" \
      --layout "$CACHE/big-tmp/layout" --ref latest >&2
    rm -rf "$dir" && mv "$CACHE/big-tmp/layout" "$dir" && rm -rf "$CACHE/big-tmp"
  fi
  echo "$dir"
}

# --- the registry -----------------------------------------------------------

start_registry() {
  local port
  port=$((20000 + RANDOM % 10000))
  mkdir -p "$W/registry"
  cat >"$W/registry/config.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $W/registry/storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
EOF
  docker-registry serve "$W/registry/config.yml" >"$W/registry/log" 2>&1 &
  REG_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  REG="127.0.0.1:$port"
}

push() { # LAYOUT REF NAME
  skopeo copy -q --dest-tls-verify=false "oci:$1:$2" "docker://$REG/$3" >/dev/null
}

# --- timing -----------------------------------------------------------------

now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.0f ms", n / 1e6 }'; }

# run_cold NAME SETUP-FN RUN-FN: median wall time of RUN-FN over $RUNS runs,
# SETUP-FN (untimed) before each.
run_cold() {
  local name=$1 setup=$2 run=$3 i t0 t1
  local times=()
  for ((i = 0; i < RUNS; i++)); do
    "$setup"
    sync
    t0=$(now)
    "$run" || { echo "bench: $name failed" >&2; return 1; }
    t1=$(now)
    times+=($((t1 - t0)))
  done
  printf '%s\n' "${times[@]}" | median
}

cairn_setup() { umount "$W/cb/rootfs" 2>/dev/null || true; rm -rf "$W/cairn" "$W/cb"; }
cairn_run() {
  cairn-image --root "$W/cairn" pull -q "$REF" >/dev/null &&
    cairn-image --root "$W/cairn" unpack "$REF" "$W/cb"
}
podman_setup() {
  podman --root "$W/podman/root" --runroot "$W/podman/run" system reset -f >/dev/null 2>&1 || true
  rm -rf "$W/podman"
}
podman_run() {
  podman --root "$W/podman/root" --runroot "$W/podman/run" --storage-driver overlay \
    pull -q --tls-verify=false "$REF" >/dev/null
}
sk_setup() { rm -rf "$W/sk" "$W/ub"; }
sk_run() {
  skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$W/sk:x" >/dev/null &&
    umoci unpack --image "$W/sk:x" "$W/ub" >/dev/null
}

bench_image() { # LABEL REF
  local label=$1
  REF=$2
  echo "== $label ($REF), median of $RUNS cold runs"
  local c p s
  c=$(run_cold cairn cairn_setup cairn_run)
  printf '  %-34s %s\n' "cairn-image pull + unpack" "$(ms "$c")"
  if [ "$PODMAN" = 1 ]; then
    p=$(run_cold podman podman_setup podman_run)
    printf '  %-34s %s   (cairn/podman %.2fx)\n' "podman pull" "$(ms "$p")" "$(awk -v a="$c" -v b="$p" 'BEGIN { print a / b }')"
  else
    printf '  %-34s %s\n' "podman pull" "not run (podman missing)"
  fi
  s=$(run_cold skopeo sk_setup sk_run)
  printf '  %-34s %s   (cairn/skopeo+umoci %.2fx)\n' "skopeo copy + umoci unpack" "$(ms "$s")" "$(awk -v a="$c" -v b="$s" 'BEGIN { print a / b }')"
  # warm: the image present
  cairn_setup
  cairn_run
  umount "$W/cb/rootfs"
  hyperfine -N -w 3 -r 30 --export-json "$W/h1.json" \
    "cairn-image --root $W/cairn pull -q $REF" >/dev/null 2>&1
  hyperfine -N -w 3 -r 30 --export-json "$W/h4.json" \
    "cairn-image --root $W/cairn pull -q --policy missing $REF" >/dev/null 2>&1
  hyperfine -N -w 3 -r 30 --export-json "$W/h2.json" \
    --prepare "sh -c 'umount $W/cb/rootfs 2>/dev/null || true'" \
    "cairn-image --root $W/cairn unpack $REF $W/cb" >/dev/null 2>&1
  umount "$W/cb/rootfs"
  hyperfine -N -w 3 -r 30 --export-json "$W/h3.json" "cairn-image --root $W/cairn --help" >/dev/null 2>&1
  # wall-clock median, and the CPU time (user+system, mean) that a loaded
  # machine stretches
  warm() {
    printf '  %-34s %.1f ms   (cpu %.1f ms)\n' "$1" "$(jq '.results[0].median * 1000' "$2")" \
      "$(jq '(.results[0].user + .results[0].system) * 1000' "$2")"
  }
  warm "cairn-image pull (present)" "$W/h1.json"
  warm "  … --policy missing (no network)" "$W/h4.json"
  warm "cairn-image unpack (present)" "$W/h2.json"
  warm "(process start: cairn-image --help)" "$W/h3.json"
}

start_registry
echo "bench: registry at $REG; $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"
case "$WHAT" in
  busybox | all) push "$(busybox_layout)" latest bench/busybox:1 ;;&
  big | all) push "$(big_layout)" latest bench/big:1 ;;&
  busybox | big | all) ;;
  *) echo "usage: bench/image.sh [busybox|big|all]" >&2; exit 2 ;;
esac
case "$WHAT" in busybox | all) bench_image busybox "$REG/bench/busybox:1" ;; esac
case "$WHAT" in big | all) RUNS="${BIG_RUNS:-3}" bench_image "big: 3 layers, ~300 MB, ~20k files" "$REG/bench/big:1" ;; esac
