#!/bin/sh
# bench/spec.sh — times cairn-spec against `runc spec`, side by side, with
# hyperfine.  cairn-spec runs on every `cairn run`: the goal is a median
# under 2 ms.  Usage: bench/spec.sh [HYPERFINE_ARGS…]  (run `make` first)
set -eu
cd "$(dirname "$0")/.."
[ -x bin/cairn-spec ] || { echo "bench/spec.sh: bin/cairn-spec missing: run make" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/spec.sh: hyperfine missing: run make deps" >&2; exit 2; }
command -v runc >/dev/null || { echo "bench/spec.sh: runc missing: run make deps" >&2; exit 2; }

tmp=$(mktemp -d /tmp/cairn-bench-spec.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/image.json" <<'JSON'
{"architecture": "amd64", "os": "linux",
 "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/"},
 "rootfs": {"type": "layers", "diff_ids": []}}
JSON
mkdir -p "$tmp/runc"

# -N (no shell) appeared in hyperfine 1.13; older ones take -S none.
if hyperfine --help | grep -q -- '--shell <' && hyperfine -N --version >/dev/null 2>&1; then
  noshell="-N"
else
  noshell="--shell=none"
fi

spec="$PWD/bin/cairn-spec"
# The last line, `true`, is the floor: starting any process costs that much.
# Output goes to hyperfine's /dev/null; `runc spec` refuses to overwrite its
# config.json, so each of its runs starts by removing it.  The -o run adds
# the atomic write (temp file, fsync, rename) that cairn uses.
hyperfine "$noshell" --warmup 20 --min-runs 300 --export-json "$tmp/result.json" "$@" \
  --prepare "rm -f $tmp/none" --prepare "rm -f $tmp/none" --prepare "rm -f $tmp/none" \
  --prepare "rm -f $tmp/runc/config.json" --prepare "rm -f $tmp/none" \
  --command-name "cairn-spec --image-config FILE -- echo hi" \
  "$spec --image-config $tmp/image.json -- echo hi" \
  --command-name "cairn-spec … -u 0 -m 64m --read-only -v … -- echo hi" \
  "$spec --image-config $tmp/image.json --rootfs /tmp -u 0 -m 64m --read-only -v /tmp:/data:ro -- echo hi" \
  --command-name "cairn-spec … -o FILE (atomic write)" \
  "$spec --image-config $tmp/image.json -o $tmp/config.json -- echo hi" \
  --command-name "runc spec" \
  "runc spec --bundle $tmp/runc" \
  --command-name "true (the cost of exec alone on this machine)" \
  "true"
echo
echo "medians:"
jq -r '.results[] | "  \(.command): \(.median * 1000 * 100 | round / 100) ms"' "$tmp/result.json"
