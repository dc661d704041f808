#!/bin/bash
# bench/net.sh — ADD, then DEL, of bridge + ipam + portmap + loopback for one
# network namespace: cairn's plugins against the reference CNI plugins
# (Debian's containernetworking-plugins), both driven by cairn-net, side by
# side.  With and without ipMasq; and ours once more exec'd one by one
# (CAIRN_NET_EXEC=1) as any other CNI driver would run them.
#
# Rounds interleave the variants (each round times every one once, in
# turn), so that the load of whatever else runs on the machine falls on all
# of them alike; hyperfine would time all runs of one, then all of the
# next.  Times are wall clock from bash's $EPOCHREALTIME around the command
# (the same fork and exec for every variant).
#
#   bench/net.sh [RUNS]        (root; builds nothing: run `make` first)
#
# Everything it makes is its own and removed at the end: a namespace
# cairn-bench-<pid>, bridges cnb<pid>a/b, 10.199.240-243.0/24, an nft table
# cairnbench<pid>, the reference portmap's new iptables chains.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-30}
REF=/usr/lib/cni
[ "$(id -u)" = 0 ] || { echo "bench/net.sh: needs root" >&2; exit 2; }
for t in jq ip nft iptables "$REF/bridge" bin/cairn-net bin/cairn-bridge; do
  command -v "$t" >/dev/null || { echo "bench/net.sh: $t is missing" >&2; exit 2; }
done

T=$(mktemp -d /tmp/cairn-bench.XXXXXX)
NS=cairn-bench-$$
NSP=/run/netns/$NS
TABLE=cairnbench$$
export CAIRN_ROOT=$T/root CAIRN_RUN=$T/run
export CNI_PATH="$PWD/bin:$REF"
PATH="$PWD/bin:$PATH"
FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
iptables -t nat -S | awk '$1 == "-N" { print $2 }' | sort >"$T/chains.before"
NAT_TABLES_BEFORE=$(nft list tables | grep -cE '^table ip6? nat$' || true)

cleanup() {
  set +e
  for n in cm rm cn rn; do cairn-net del "$n" c1 "$NSP" >/dev/null 2>&1; done
  ip netns del "$NS" 2>/dev/null
  for b in a b c d; do ip link del "cnb$$$b" 2>/dev/null; done
  nft delete table ip "$TABLE" 2>/dev/null
  iptables -t nat -S | awk '$1 == "-N" { print $2 }' | sort >"$T/chains.after"
  new=$(comm -13 "$T/chains.before" "$T/chains.after")
  for c in $new; do
    iptables -t nat -S | awk -v c="$c" '$1 == "-A" && $0 ~ ("-j " c "( |$)")' |
      sed 's/^-A/-D/' | while read -r rule; do eval "iptables -t nat $rule"; done
  done
  for c in $new; do iptables -t nat -F "$c"; done
  for c in $new; do iptables -t nat -X "$c"; done
  if [ "$NAT_TABLES_BEFORE" = 0 ] && ! iptables -t nat -S | grep -qv '^-P' &&
    ! ip6tables -t nat -S | grep -qv '^-P'; then
    nft delete table ip nat 2>/dev/null
    nft delete table ip6 nat 2>/dev/null
  fi
  echo "$FORWARD_WAS" >/proc/sys/net/ipv4/ip_forward
  rm -rf "$T"
}
trap cleanup EXIT

ip netns add "$NS"
# cm/rm: ours and the reference with ipMasq; cn/rn: without.
mk() { # NAME BRIDGE OCTET MASQ REFERENCE?
  cairn-net create "$1" --subnet "10.199.$3.0/24" --bridge "$2" --nft-table "$TABLE" >/dev/null
  f="$CAIRN_ROOT/net.d/$1.conflist"
  jq --argjson m "$4" '.plugins[0].ipMasq = $m' "$f" >"$f.new" && mv "$f.new" "$f"
  if [ "$5" = ref ]; then
    jq '.plugins |= map(.type |= ({"cairn-bridge": "bridge", "cairn-portmap": "portmap",
                                   "cairn-loopback": "loopback"}[.] // .)) |
        .plugins[0].ipam.type = "host-local"' "$f" >"$f.new" && mv "$f.new" "$f"
  fi
}
mk cm "cnb$$a" 240 true ours
mk rm "cnb$$b" 241 true ref
mk cn "cnb$$c" 242 false ours
mk rn "cnb$$d" 243 false ref

# One round: for each variant, DEL everything, time its ADD, time its DEL.
# NAME NETWORK HOSTPORT EXEC
variants=("cairn cn 18090 0" "reference rn 18091 0" "cairn_ipMasq cm 18092 0"
  "reference_ipMasq rm 18093 0" "cairn_exec cn 18090 1")
reset() { for n in cm rm cn rn; do cairn-net del "$n" c1 "$NSP" >/dev/null 2>&1; done; }
timed() { # FILE EXEC CMD…: append the wall time in ms, or "fail"
  local f=$1 x=$2 t0 t1
  shift 2
  t0=$EPOCHREALTIME
  if CAIRN_NET_EXEC=$x "$@" >/dev/null 2>>"$T/errors"; then
    t1=$EPOCHREALTIME
    echo "$t0 $t1" | awk '{ printf "%.3f\n", ($2 - $1) * 1000 }' >>"$f"
  else
    echo fail >>"$f"
  fi
}
for ((r = -3; r < RUNS; r++)); do # 3 rounds of warm-up
  for v in "${variants[@]}"; do
    read -r name net port x <<<"$v"
    reset
    f=$T/$name
    [ $r -lt 0 ] && f=/dev/null
    timed "$f.add" "$x" cairn-net add "$net" c1 "$NSP" --port "$port:80"
    timed "$f.del" "$x" cairn-net del "$net" c1 "$NSP"
  done
done

median() { grep -v fail "$1" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
  else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fails() { grep -c fail "$1" || true; }
for f in "$T"/*.add "$T"/*.del; do
  n=$(fails "$f")
  [ "$n" -gt 0 ] && echo "$(basename "$f"): $n of $RUNS runs failed"
done
[ -s "$T/errors" ] && { echo "first error:"; head -n 3 "$T/errors"; }
echo "$RUNS rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %12s %12s %8s\n' "median (ms)" cairn reference speedup
row() { # LABEL OURS REF
  awk -v k="$1" -v o="$2" -v r="$3" 'BEGIN { printf "%-22s %12.2f %12.2f %7.1fx\n", k, o, r, r / o }'
}
for op in add del; do
  OP=${op^^}
  row "$OP" "$(median "$T/cairn.$op")" "$(median "$T/reference.$op")"
  row "$OP ipMasq" "$(median "$T/cairn_ipMasq.$op")" "$(median "$T/reference_ipMasq.$op")"
  row "$OP exec'd" "$(median "$T/cairn_exec.$op")" "$(median "$T/reference.$op")"
done
