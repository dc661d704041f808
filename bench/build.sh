#!/bin/bash
# bench/build.sh — cairn-build against buildah bud, side by side in one run.
#
#   bench/build.sh
#
# The same Dockerfile and context for both: FROM busybox (the test
# fixture), a RUN, a COPY of 50 MB in 2,000 files, ENV and CMD.  Both get
# their own store, no network for RUN (--network none), and an OCI
# runtime (cairn-build: cairn-runtime; buildah: --isolation oci --runtime
# runc, since crun fails on this host's hybrid cgroups).
#   cold          --no-cache builds (the base image already in the store);
#                 cairn-build with its default gzip layers and with zstd
#                 (buildah keeps layers uncompressed until a push)
#   fully cached  a rebuild with nothing changed
# Timings by hyperfine ($RUNS runs each).  This is not a test: nothing
# fails on a slow figure.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="$PWD"
RUNS="${RUNS:-5}"
export PATH="$SRC/bin:$PATH"
[ -x bin/cairn-build ] || { echo "bench: build first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (overlay mounts, namespaces)" >&2; exit 1; }
for c in buildah hyperfine skopeo runc; do
  command -v "$c" >/dev/null || { echo "bench: $c is missing: run 'make deps'" >&2; exit 1; }
done

W="$(mktemp -d /var/tmp/cairn-bench-build.XXXXXX)"
cleanup() {
  local m
  buildah --root "$W/buildah/root" --runroot "$W/buildah/run" rmi -a -f >/dev/null 2>&1 || true
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
    awk -v t="$W" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf "$W"
}
trap cleanup EXIT

# --- the context: 2,000 files, 25,000 bytes each (incompressible) ----------
CTX="$W/ctx"
mkdir -p "$CTX"
python3 - "$CTX/data" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(42)
for d in range(20):
    os.makedirs(f"{root}/d{d:02}")
    for f in range(100):
        with open(f"{root}/d{d:02}/f{f:03}.bin", "wb") as out:
            out.write(rnd.randbytes(25000))
PY
cat >"$CTX/Dockerfile" <<'EOF'
FROM docker.io/library/busybox:latest
RUN echo built > /built && mkdir -p /app
COPY data /app/data
ENV APP_MODE=bench
CMD ["sh"]
EOF
echo "context: $(find "$CTX/data" -type f | wc -l) files, $(du -sm "$CTX/data" | cut -f1) MB"

# --- the stores ---------------------------------------------------------------
export CAIRN_ROOT="$W/cairn/root" CAIRN_RUN="$W/cairn/run"
ARCHIVE="$(source tests/helpers/fixtures.bash && fixture_image_archive docker-archive)"
OCIARCH="$(source tests/helpers/fixtures.bash && fixture_image_archive oci-archive)"
cairn-image load -i "$ARCHIVE" >/dev/null
cat >"$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
EOF
export CONTAINERS_CONF="$W/containers.conf"
BH="buildah --root $W/buildah/root --runroot $W/buildah/run"
$BH pull -q "oci-archive:$OCIARCH" >/dev/null

CAIRN="cairn-build -q --network none -t bench"
BUILDAH="$BH bud -q --layers --isolation oci --runtime runc --network none -t bench"

# once each, so that a failure shows its message rather than hyperfine's
$CAIRN "$CTX" >/dev/null
$BUILDAH "$CTX" >/dev/null

echo
echo "== cold (--no-cache)"
hyperfine --runs "$RUNS" --warmup 1 -N \
  -n cairn-build "$CAIRN --no-cache $CTX" \
  -n "cairn-build --compression zstd" "$CAIRN --no-cache --compression zstd $CTX" \
  -n "buildah bud" "$BUILDAH --no-cache $CTX"
echo
echo "== fully cached rebuild"
hyperfine --runs "$((RUNS * 2))" --warmup 1 -N \
  -n cairn-build "$CAIRN $CTX" \
  -n "buildah bud" "$BUILDAH $CTX"
