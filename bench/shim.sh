#!/bin/bash
# bench/shim.sh — cairn-shim side by side with conmon (podman's shim):
#   1. RSS of an idle shim supervising the same sleeping container
#   2. start-to-{"pid"} latency against the runtime's own create + start
#   3. density: N idle containers with their shims, and the memory they take
#
#   bench/shim.sh [N]        N defaults to 500 (at least 100 is meaningful)
#
# Environment: CAIRN_BENCH_RUNTIME (default runc), LAT_RUNS (default 40).
# Everything lives under one temp dir and is removed at the end, whatever
# happens; only processes this script started are stopped, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
RUNTIME=$(command -v "${CAIRN_BENCH_RUNTIME:-runc}")
N=${1:-500}
LAT_RUNS=${LAT_RUNS:-40}
SHIM="$SRC/bin/cairn-shim"

[ "$(id -u)" = 0 ] || { echo "bench/shim.sh: needs root" >&2; exit 1; }
[ -x "$SHIM" ] || { echo "bench/shim.sh: $SHIM missing: run make" >&2; exit 1; }
if ! command -v conmon >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends conmon >/dev/null
fi
CONMON=$(command -v conmon)

# shellcheck source=/dev/null
. "$SRC/tests/helpers/fixtures.bash"
W=$(mktemp -d /tmp/cairn-bench-shim.XXXXXX)
RT="$W/rt"
CONMON_PIDS=()

# Stop what we started: shims by their pid files, conmons by pid, then the
# runtime's containers in our private --root.
cleanup() {
  local f pid id
  for f in "$W"/*/shim.pid "$W"/d/*/shim.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null) || continue
    if grep -qa -- "$W" "/proc/$pid/cmdline" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  for pid in "${CONMON_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ -d "$RT" ]; then
    for id in $("$RUNTIME" --root "$RT" list -q 2>/dev/null); do
      "$RUNTIME" --root "$RT" delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$W"
}
trap cleanup EXIT

# One bundle for every container: the cached busybox rootfs, read-only and
# shared, running sleep; no network namespace (none is needed to idle).
BUNDLE="$W/bundle"
mkdir -p "$BUNDLE"
(cd "$BUNDLE" && "$RUNTIME" spec)
jq --arg root "$(fixture_rootfs)" '
  .root = {path: $root, readonly: true} | .process.terminal = false
  | .process.args = ["sleep", "1000000"]
  | .linux.namespaces |= map(select(.type != "network"))' \
  "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"

rt() { "$RUNTIME" --root "$RT" "$@"; }
now_ns() { date +%s%N; }
# mem PID FIELD : a field of /proc/PID/status or smaps_rollup, in kB
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
meminfo_kb() { awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo; }

start_shim() { # ID STATE [ARGS…]
  local id=$1 state=$2
  shift 2
  "$SHIM" --runtime "$RUNTIME" --runtime-root "$RT" --id "$id" --bundle "$BUNDLE" --state "$state" "$@"
}
stop_shim() { # ID STATE : kill the container; its shim records the exit and leaves
  rt kill "$1" KILL >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < 500; i++)); do [ -e "$2/shim.pid" ] || return 0; sleep 0.01; done
  echo "bench/shim.sh: shim for $1 did not finish" >&2
  return 1
}

echo "cairn-shim bench: runtime $RUNTIME ($("$RUNTIME" --version | head -1)), conmon $("$CONMON" --version | head -1 | awk '{print $3}')"
echo

# start_conmon ID DIR : conmon supervising the same bundle, as podman runs
# it.  --sync keeps it in the foreground so that its pid is ours to stop;
# it runs `create` only: the caller (podman) runs `start`.
start_conmon() {
  local id=$1 dir=$2 i
  mkdir -p "$dir/exits" "$dir/sock"
  "$CONMON" --api-version 1 -c "$id" -u "$id" -n "$id" -r "$RUNTIME" -b "$BUNDLE" \
    -p "$dir/pid" -l "k8s-file:$dir/ctr.log" --exit-dir "$dir/exits" \
    --socket-dir-path "$dir/sock" --runtime-arg --root --runtime-arg "$RT" --sync \
    </dev/null >/dev/null 2>&1 3>&- &
  CONMON_PIDS+=($!)
  echo $! >"$dir/conmon.pid"
  for ((i = 0; i < 1000; i++)); do [ -s "$dir/pid" ] && break; sleep 0.01; done
  rt start "$id"
}

# ---- 1. idle RSS -----------------------------------------------------------
start_shim rss-shim "$W/rss-shim" >/dev/null
start_conmon rss-conmon "$W/rss-conmon"
# and a shim that has just logged 10000 lines, to see what activity leaves
jq '.process.args = ["sh", "-c", "seq 10000; exec sleep 1000000"]' "$BUNDLE/config.json" >"$W/busy.json"
mkdir -p "$W/busy-bundle" && cp "$W/busy.json" "$W/busy-bundle/config.json"
"$SHIM" --runtime "$RUNTIME" --runtime-root "$RT" --id rss-busy --bundle "$W/busy-bundle" \
  --state "$W/rss-busy" >/dev/null
sleep 2
shim_pid=$(cat "$W/rss-shim/shim.pid")
busy_pid=$(cat "$W/rss-busy/shim.pid")
conmon_pid=${CONMON_PIDS[0]}
printf '1. idle RSS (same sleeping container)\n'
printf '   %-34s %8s %8s %8s\n' "" "RSS kB" "anon kB" "PSS kB"
printf '   %-34s %8s %8s %8s\n' "cairn-shim" "$(status_kb "$shim_pid" VmRSS)" \
  "$(status_kb "$shim_pid" RssAnon)" "$(pss_kb "$shim_pid")"
printf '   %-34s %8s %8s %8s\n' "cairn-shim after logging 10000 lines" "$(status_kb "$busy_pid" VmRSS)" \
  "$(status_kb "$busy_pid" RssAnon)" "$(pss_kb "$busy_pid")"
printf '   %-34s %8s %8s %8s\n' "conmon" "$(status_kb "$conmon_pid" VmRSS)" \
  "$(status_kb "$conmon_pid" RssAnon)" "$(pss_kb "$conmon_pid")"
stop_shim rss-shim "$W/rss-shim"
stop_shim rss-busy "$W/rss-busy"
rt delete --force rss-conmon >/dev/null 2>&1 || true
kill -KILL "$conmon_pid" 2>/dev/null || true
echo

# ---- 2. start latency ------------------------------------------------------
stats() { # prints "median mean min max" of ms values on stdin
  sort -n | awk '{ v[NR] = $1; s += $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f %.1f %.1f %.1f\n", m, s / NR, v[1], v[NR] }'
}
: >"$W/lat-shim"
: >"$W/lat-rt"
for ((i = 0; i < LAT_RUNS; i++)); do
  t0=$(now_ns)
  rt create --bundle "$BUNDLE" lat-rt </dev/null >/dev/null 2>&1
  rt start lat-rt
  t1=$(now_ns)
  echo "$(((t1 - t0) / 1000))" | awk '{ print $1 / 1000 }' >>"$W/lat-rt"
  rt delete --force lat-rt

  t0=$(now_ns)
  start_shim lat-shim "$W/lat-shim-state" >/dev/null
  t1=$(now_ns)
  echo "$(((t1 - t0) / 1000))" | awk '{ print $1 / 1000 }' >>"$W/lat-shim"
  stop_shim lat-shim "$W/lat-shim-state"
  rm -rf "$W/lat-shim-state"
done
read -r rm_ rmean rmin rmax < <(stats <"$W/lat-rt")
read -r sm smean smin smax < <(stats <"$W/lat-shim")
printf '2. start latency over %d runs (ms: median mean min max)\n' "$LAT_RUNS"
printf '   %-34s %7s %7s %7s %7s\n' "runtime create + start" "$rm_" "$rmean" "$rmin" "$rmax"
printf '   %-34s %7s %7s %7s %7s\n' "cairn-shim to {\"pid\"}" "$sm" "$smean" "$smin" "$smax"
printf '   overhead of the shim (median): %.1f ms\n' "$(echo "$sm $rm_" | awk '{ print $1 - $2 }')"
echo

# ---- 3. density --------------------------------------------------------------
mkdir -p "$W/d"
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
avail0=$(meminfo_kb MemAvailable)
t0=$(now_ns)
started=0
for ((i = 1; i <= N; i++)); do
  if ! start_shim "d$i" "$W/d/$i" >/dev/null 2>"$W/d-err"; then
    echo "   container $i failed: $(cat "$W/d-err")" >&2
    break
  fi
  started=$i
done
t1=$(now_ns)
sleep 3
avail1=$(meminfo_kb MemAvailable)
rss=0 pss=0 anon=0 crss=0 cpss=0
for ((i = 1; i <= started; i++)); do
  p=$(cat "$W/d/$i/shim.pid")
  rss=$((rss + $(status_kb "$p" VmRSS)))
  anon=$((anon + $(status_kb "$p" RssAnon)))
  pss=$((pss + $(pss_kb "$p")))
  c=$(cat "$W/d/$i/pid")
  crss=$((crss + $(status_kb "$c" VmRSS)))
  cpss=$((cpss + $(pss_kb "$c")))
done
printf '3. density: %d idle containers, each with its shim (started in %.1f s)\n' \
  "$started" "$(echo "$t1 $t0" | awk '{ print ($1 - $2) / 1e9 }')"
printf '   %-34s %10s %10s\n' "" "total MB" "per ctr kB"
per() { echo "$1 $started" | awk '{ printf "%.0f", $1 / $2 }'; }
mb() { echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }
printf '   %-34s %10s %10s\n' "shims: sum of RSS" "$(mb $rss)" "$(per $rss)"
printf '   %-34s %10s %10s\n' "shims: sum of PSS" "$(mb $pss)" "$(per $pss)"
printf '   %-34s %10s %10s\n' "shims: anonymous memory" "$(mb $anon)" "$(per $anon)"
printf '   %-34s %10s %10s\n' "containers (sleep): sum of PSS" "$(mb $cpss)" "$(per $cpss)"
printf '   %-34s %10s %10s\n' "MemAvailable drop (all of it)" "$(mb $((avail0 - avail1)))" "$(per $((avail0 - avail1)))"
t0=$(now_ns)
for ((i = 1; i <= started; i++)); do rt kill "d$i" KILL >/dev/null 2>&1 || true; done
for ((i = 1; i <= started; i++)); do stop_shim "d$i" "$W/d/$i"; done
t1=$(now_ns)
printf '   all stopped, exits recorded and deleted in %.1f s\n' "$(echo "$t1 $t0" | awk '{ print ($1 - $2) / 1e9 }')"
rm -rf "$W/d"
echo

# the same with conmon, for comparison
mkdir -p "$W/c"
sleep 1
for ((i = 1; i <= started; i++)); do start_conmon "c$i" "$W/c/$i"; done
sleep 3
rss=0 pss=0 anon=0
for ((i = 1; i <= started; i++)); do
  p=$(cat "$W/c/$i/conmon.pid")
  rss=$((rss + $(status_kb "$p" VmRSS)))
  anon=$((anon + $(status_kb "$p" RssAnon)))
  pss=$((pss + $(pss_kb "$p")))
done
printf '   %-34s %10s %10s\n' "conmons: sum of RSS" "$(mb $rss)" "$(per $rss)"
printf '   %-34s %10s %10s\n' "conmons: sum of PSS" "$(mb $pss)" "$(per $pss)"
printf '   %-34s %10s %10s\n' "conmons: anonymous memory" "$(mb $anon)" "$(per $anon)"
for ((i = 1; i <= started; i++)); do rt delete --force "c$i" >/dev/null 2>&1 || true; done
for pid in "${CONMON_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
