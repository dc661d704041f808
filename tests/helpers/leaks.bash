# leaks.bash — assert that a test left nothing behind on the host.
# Loaded by common.bash.
#
#   setup()    { common_setup; leaks_snapshot; }
#   teardown() { local rc=0; assert_no_leaks 2 || rc=1; common_teardown; return $rc; }
#
# leaks_snapshot records, in the file $LEAKS_SNAPSHOT (default
# $T/.leaks, or under $BATS_FILE_TMPDIR outside a test):
#   mount    mount points of this mount namespace (/proc/self/mountinfo),
#            except those under another test's scratch dir or a bench/
#            script's work dir (…/cairn-bench.* and …/cairn-bench-*)
#   netns    `ip netns list`, /run/netns/*, $CAIRN_RUN/netns/* when set
#   veth     veth interfaces of the host's network namespace
#   cgroup   cgroup dirs under /sys/fs/cgroup whose path contains "cairn"
#   nft      nftables tables whose name starts with "cairn"
#   process  live processes started by this test: those whose environment
#            holds this test's T=… (every child of a test inherits it), other
#            than the test shell and its ancestors.  A process that cleared
#            its environment escapes this check; containers are caught by
#            their cgroups and mounts instead.
# These are host-wide: another test run on the same host at the same moment
# can show up as a leak.  LEAKS_PATTERNS="WORD…" (set before the snapshot)
# narrows mounts, netns, veth, cgroup and nft to names or paths containing
# one of the words (a suite's $T, container ids or name prefix) and so
# scopes them to the suite; processes are scoped already.
#
# assert_no_leaks [SECONDS] compares the host against the snapshot and
# fails, naming each leaked object ("leaked mount: /tmp/…"), when something
# new is still there after SECONDS (default 0: check once).  Objects that
# disappeared are not reported.

# _leaks_objects: mounts, netns, cgroups, veths, nft tables; one
# "KIND NAME" line each.
_leaks_objects() {
  local p
  {
    # Mount points, octal escapes (\040) kept: the text only has to compare.
    # `ip netns add` (and cairn) bind-mount the netns directory onto itself,
    # shared, the first time and keep it: that one mount is not a leak.
    awk -v run="${CAIRN_RUN:-}" -v scratch="${BATS_TMPDIR:-/tmp}/cairn-test." -v own="${T:-}/" '
      $5 == "/run/netns" || (run != "" && $5 == run "/netns") { next }
      index($5, scratch) == 1 && (own == "/" || index($5 "/", own) != 1) { next }
      $5 ~ /\/cairn-bench[.-]/ { next }
      { print "mount " $5 }' /proc/self/mountinfo

    if command -v ip >/dev/null; then
      ip netns list 2>/dev/null | awk '{ print "netns " $1 }'
      ip -o link show type veth 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "veth " $2 }'
    fi
    for p in /run/netns/* ${CAIRN_RUN:+"$CAIRN_RUN"/netns/*}; do
      if [ -e "$p" ]; then echo "netns $p"; fi
    done
    find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -path '*cairn*' 2>/dev/null |
      sed 's/^/cgroup /'
    if command -v nft >/dev/null; then
      nft list tables 2>/dev/null | awk '$1 == "table" && $3 ~ /^cairn/ { print "nft " $2 " " $3 }'
    fi
    # With patterns, cgroups are looked for by them instead of "cairn".
    for p in ${LEAKS_PATTERNS:-}; do
      find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -path "*$p*" 2>/dev/null |
        sed 's/^/cgroup /'
      if command -v nft >/dev/null; then
        nft list tables 2>/dev/null | awk -v p="$p" '$1 == "table" && index($3, p) { print "nft " $2 " " $3 }'
      fi
    done
  } | awk -v pats="${LEAKS_PATTERNS:-}" '
    BEGIN { n = split(pats, pat, " ") }
    n == 0 { print; next }
    { name = substr($0, index($0, " ") + 1)
      for (i = 1; i <= n; i++) if (index(name, pat[i])) { if (!seen[$0]++) print; next } }'
  return 0
}

# _leaks_processes: "process PID CMDLINE" for each live process whose
# environment holds this test's T.  Must run in the caller's shell, outside
# any pipeline: the tools of a pipeline running beside it (sort, sed) carry
# T too and would count.  The grep below lists itself, but is gone by the
# time its output is read.
_leaks_processes() {
  [ -n "${T:-}" ] || return 0
  local ancestors=" " pid cands cmd
  # The test shell (or run's subshell) and its ancestors are never leaks.
  pid="$BASHPID"
  while [ -n "$pid" ] && [ "$pid" != 0 ]; do
    ancestors+="$pid "
    pid="$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" || true
  done
  # grep -z compares whole NUL-separated environment entries.
  cands="$(grep -lzxF "T=$T" /proc/[0-9]*/environ 2>/dev/null)" || true
  for pid in $cands; do
    pid="${pid#/proc/}"
    pid="${pid%/environ}"
    [[ $ancestors == *" $pid "* ]] && continue
    [ -d "/proc/$pid" ] || continue
    grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && continue
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || true
    echo "process $pid ${cmd:0:80}"
  done
}

# _leaks_scan FILE: the host's current objects into FILE, sorted.
_leaks_scan() {
  local procs
  procs="$(_leaks_processes)"
  {
    _leaks_objects
    if [ -n "$procs" ]; then printf '%s\n' "$procs"; fi
  } >"$1.unsorted"
  LC_ALL=C sort "$1.unsorted" >"$1"
  rm -f "$1.unsorted"
}

leaks_snapshot() {
  local file="${1:-${LEAKS_SNAPSHOT:-}}"
  if [ -z "$file" ]; then
    if [ -n "${T:-}" ]; then
      file="$T/.leaks"
    else
      file="$(mktemp "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/cairn-leaks.XXXXXX")" || return 1
    fi
  fi
  export LEAKS_SNAPSHOT="$file"
  _leaks_scan "$file"
}

# _leaks_new: objects present now and not in the snapshot.  Processes are
# compared by PID only (a process may exec something else meanwhile).
_leaks_new() {
  local now="$LEAKS_SNAPSHOT.now" line key
  _leaks_scan "$now"
  while IFS= read -r line; do
    if [[ $line == process\ * ]]; then
      key="${line#process }"
      key="process ${key%% *} "
      grep -qF "$key" "$LEAKS_SNAPSHOT" && continue
    fi
    echo "$line"
  done < <(LC_ALL=C comm -13 "$LEAKS_SNAPSHOT" "$now")
  rm -f "$now"
}

assert_no_leaks() {
  local wait="${1:-0}" new deadline
  if [ -z "${LEAKS_SNAPSHOT:-}" ] || [ ! -f "$LEAKS_SNAPSHOT" ]; then
    echo "assert_no_leaks: no snapshot: call leaks_snapshot first" >&2
    return 1
  fi
  deadline=$((SECONDS + wait))
  while :; do
    new="$(_leaks_new)"
    [ -z "$new" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.2
  done
  # Mount points are shown with their escapes decoded (\040 is a space).
  printf '%s\n' "$new" | while IFS= read -r line; do
    printf 'leaked %b\n' "${line/ /: }"
  done >&2
  return 1
}
