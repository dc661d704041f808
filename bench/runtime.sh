#!/bin/bash
# bench/runtime.sh — cairn-runtime against runc and crun, side by side.
#
#   bench/runtime.sh [RUNS]      (default 50 runs per command; needs root)
#   CAIRN_RUNTIME=PATH bench/runtime.sh …   times that cairn-runtime binary instead
#
# What is timed (hyperfine, one run per table so the three share the same
# machine state):
#   1. `run` of /bin/true in a busybox bundle (the config of `runc spec`,
#      no terminal), create + start + wait + delete in one command;
#   1b. table 1 with docker's default seccomp profile in the config;
#   2. create, start and delete alone (hyperfine --prepare sets each up);
#   3. peak RSS of the runtime process for a `run` (/usr/bin/time -v);
#   and at the end the issue's goals as ratios of those medians.
#
# crun 1.8 refuses this host's hybrid cgroups, so it runs inside a private
# mount namespace with /sys/fs/cgroup/unified unmounted.  For fairness the
# same wrapper is put around all three in table 1 ("wrapped"), and table 1
# also shows cairn-runtime and runc without it and the wrapper alone, so its
# cost can be subtracted.  State roots live on tmpfs (/run), like the
# runtimes' defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-50}"
RT="${CAIRN_RUNTIME:-$PWD/bin/cairn-runtime}" # CAIRN_RUNTIME: another build, e.g. an older one
[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh: needs root" >&2; exit 2; }
if [ ! -x "$RT" ] || [ ! -x bin/cairn-spec ]; then
  echo "bench/runtime.sh: build first (make)" >&2
  exit 2
fi
for t in runc crun hyperfine jq; do
  command -v "$t" >/dev/null || { echo "bench/runtime.sh: $t is missing (make deps)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench/runtime.sh: /usr/bin/time is missing (package time)" >&2; exit 2; }

# shellcheck source=tests/helpers/fixtures.bash
. tests/helpers/fixtures.bash
W="$(mktemp -d /run/cairn-bench.XXXXXX)"
trap 'rm -rf "$W"' EXIT
B="$W/bundle"
mkdir -p "$B"
fixture_rootfs_copy "$B/rootfs"
(cd "$B" && runc spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
# the same bundle with docker's default seccomp profile (cairn-spec's data)
B2="$W/bundle-seccomp"
mkdir -p "$B2"
bin/cairn-spec --default | jq '.linux.seccomp' >"$W/seccomp.json"
jq --slurpfile s "$W/seccomp.json" --arg r "$B/rootfs" '.linux.seccomp = $s[0] | .root.path = $r' \
  "$B/config.json" >"$B2/config.json"

# the crun wrapper, applied the same way to everyone in the "wrapped" rows
cat >"$W/wrap" <<'EOF'
#!/bin/sh
exec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"' "$@"
EOF
chmod +x "$W/wrap"
cairn="$RT --root $W/s-cairn"
runc="runc --root $W/s-runc"
crun="crun --root $W/s-crun"

hf() { hyperfine -N --warmup 5 --runs "$RUNS" --style basic "$@"; }
summary() { # summary FILE: "name  median  mean±sd  cpu" rows from hyperfine's JSON
  # (cpu = user + system time of the runtime and its children: less
  # sensitive than wall time to other load on the machine)
  jq -r '.results[] | "\(.command)\t\(.median * 1000 | . * 10 | round / 10) ms\t\(.mean * 1000 | . * 10 | round / 10) ± \(.stddev * 1000 | . * 10 | round / 10) ms\tcpu \((.user + .system) * 1000 | . * 10 | round / 10) ms"' "$1" |
    column -t -s $'\t'
}

cd "$B"
echo "== 1. run /bin/true (create+start+wait+delete), $RUNS runs each"
hf --export-json "$W/run.json" \
  -n "cairn-runtime (wrapped)" "$W/wrap $cairn run b1" \
  -n "runc (wrapped)" "$W/wrap $runc run b1" \
  -n "crun (wrapped)" "$W/wrap $crun run b1" \
  -n "cairn-runtime" "$cairn run b1" \
  -n "runc" "$runc run b1" \
  -n "wrapper alone" "$W/wrap true" >/dev/null
summary "$W/run.json"

echo
echo "== 1b. the same with docker's default seccomp profile, $RUNS runs each"
(cd "$B2" && hf --export-json "$W/run-seccomp.json" \
  -n "cairn-runtime (wrapped)" "$W/wrap $cairn run b1" \
  -n "crun (wrapped)" "$W/wrap $crun run b1" \
  -n "cairn-runtime" "$cairn run b1" \
  -n "runc" "$runc run b1" >/dev/null)
summary "$W/run-seccomp.json"

echo
echo "== 2. create / start / delete alone (wrapped, $RUNS runs each)"
for rt in cairn runc crun; do
  cmd="$W/wrap ${!rt}"
  # (-N runs --prepare without a shell too: give it one)
  hf --export-json "$W/create-$rt.json" -n "$rt create" \
    --prepare "sh -c '$cmd delete -f b1 >/dev/null 2>&1; true'" "$cmd create b1" >/dev/null
  hf --export-json "$W/start-$rt.json" -n "$rt start" \
    --prepare "sh -c '$cmd delete -f b1 >/dev/null 2>&1; $cmd create b1'" "$cmd start b1" >/dev/null
  # (delete needs the process gone: wait for "stopped", however busy the machine)
  hf --export-json "$W/delete-$rt.json" -n "$rt delete" \
    --prepare "sh -c '$cmd delete -f b1 >/dev/null 2>&1; $cmd run -d b1 </dev/null >/dev/null 2>&1; until $cmd state b1 2>/dev/null | grep -q stopped; do sleep 0.01; done'" \
    "$cmd delete b1" >/dev/null
  $cmd delete -f b1 >/dev/null 2>&1 || true
done
for step in create start delete; do
  for rt in cairn runc crun; do summary "$W/$step-$rt.json"; done
done | column -t

echo
echo "== 3. peak RSS of one run (max of 10, KiB)"
for rt in cairn runc crun; do
  max=0
  for _ in $(seq 10); do
    # crun needs the wrapper; time measures the runtime itself (exec'd by it)
    if [ "$rt" = crun ]; then
      kb="$(unshare -m --propagation private sh -c "umount /sys/fs/cgroup/unified 2>/dev/null; /usr/bin/time -f %M ${!rt} run b1" 2>&1 >/dev/null | tail -1)"
    else
      kb="$( { /usr/bin/time -f %M ${!rt} run b1 >/dev/null; } 2>&1 | tail -1)"
    fi
    [ "$kb" -gt "$max" ] && max="$kb"
  done
  printf '%-8s %s\n' "$rt" "$max"
  echo "$max" >"$W/rss-$rt"
done

# The goals (issue #3), from the medians above.
med() { jq --arg n "$2" '.results[] | select(.command == $n) | .median' "$1"; }
cpu() { jq --arg n "$2" '.results[] | select(.command == $n) | .user + .system' "$1"; }
ratio() { jq -n --argjson a "$1" --argjson b "$2" '$a / $b * 100 | round / 100'; }
echo
echo "== goals"
echo "run, runc / cairn-runtime (unwrapped):  $(ratio "$(med "$W/run.json" runc)" "$(med "$W/run.json" cairn-runtime)")x  (goal >= 5; cpu time: $(ratio "$(cpu "$W/run.json" runc)" "$(cpu "$W/run.json" cairn-runtime)")x)"
echo "run, crun / cairn-runtime (wrapped):    $(ratio "$(med "$W/run.json" "crun (wrapped)")" "$(med "$W/run.json" "cairn-runtime (wrapped)")")x  (goal >= 1)"
for step in create start delete; do
  printf '%-39s %s\n' "$step, crun / cairn-runtime (wrapped):" "$(ratio "$(med "$W/$step-crun.json" "crun $step")" "$(med "$W/$step-cairn.json" "cairn $step")")x  (goal >= 1)"
done
echo "peak RSS, crun / cairn-runtime:         $(ratio "$(cat "$W/rss-crun")" "$(cat "$W/rss-cairn")")x  (goal >= 1)"
