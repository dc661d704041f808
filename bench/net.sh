#!/bin/bash
# bench/net.sh — ADD, then DEL, of bridge + ipam + portmap + loopback for one
# network namespace: cairn's plugins against the reference CNI plugins
# (Debian's containernetworking-plugins), both driven by cairn-net, side by
# side with hyperfine.  With and without ipMasq.
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
for t in hyperfine jq ip nft iptables "$REF/bridge" bin/cairn-net bin/cairn-bridge; do
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

# Each ADD is timed after every network's DEL (prepare), each DEL after an
# ADD of its own network alone.
cat >"$T/reset" <<SH
#!/bin/sh
for n in cm rm cn rn; do cairn-net del \$n c1 $NSP || exit 1; done
SH
cat >"$T/only" <<SH
#!/bin/sh
$T/reset && exec cairn-net add "\$1" c1 $NSP --port "\$2:80" >/dev/null
SH
chmod +x "$T/reset" "$T/only"
add() { echo "cairn-net add $1 c1 $NSP --port $2:80"; }
del() { echo "cairn-net del $1 c1 $NSP"; }

hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$T/add.json" --style basic \
  --prepare "$T/reset" -n "cairn ADD" "$(add cn 18090)" \
  --prepare "$T/reset" -n "reference ADD" "$(add rn 18091)" \
  --prepare "$T/reset" -n "cairn ADD ipMasq" "$(add cm 18092)" \
  --prepare "$T/reset" -n "reference ADD ipMasq" "$(add rm 18093)" >&2
hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$T/del.json" --style basic \
  --prepare "$T/only cn 18090" -n "cairn DEL" "$(del cn)" \
  --prepare "$T/only rn 18091" -n "reference DEL" "$(del rn)" \
  --prepare "$T/only cm 18092" -n "cairn DEL ipMasq" "$(del cm)" \
  --prepare "$T/only rm 18093" -n "reference DEL ipMasq" "$(del rm)" >&2

# cairn-net runs our plugins in its own process; the same with each plugin
# exec'd, as any other CNI driver runs them.
CAIRN_NET_EXEC=1 hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$T/exec.json" --style basic \
  --prepare "$T/reset" -n "cairn ADD exec" "$(add cn 18090)" \
  --prepare "$T/only cn 18090" -n "cairn DEL exec" "$(del cn)" >&2

echo
# -i above: a failed run is still timed; say how many there were.
jq -r '.results[] | select(any(.exit_codes[]; . != 0)) |
  "\(.command): \([.exit_codes[] | select(. != 0)] | length) failed runs"' "$T/add.json" "$T/del.json" "$T/exec.json"
printf '%-22s %12s %12s %8s\n' "median (ms)" cairn reference speedup
jq -rs '[.[].results[]] | map({(.command): (.median * 1000)}) | add |
  ["ADD", "DEL", "ADD ipMasq", "DEL ipMasq", "ADD exec", "DEL exec"][] as $k |
  [$k, .["cairn " + $k], .["reference " + ($k | sub(" exec"; ""))]] |
  "\(.[0])\t\(.[1])\t\(.[2])"' "$T/add.json" "$T/del.json" "$T/exec.json" |
  while IFS=$'\t' read -r k ours ref; do
    awk -v k="$k" -v o="$ours" -v r="$ref" 'BEGIN { printf "%-22s %12.2f %12.2f %7.1fx\n", k, o, r, r / o }'
  done
