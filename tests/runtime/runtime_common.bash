# runtime_common.bash — loaded by the cairn-runtime suites (not the cgroup
# module's): `load runtime_common`.
#
#   rt ARG…            cairn-runtime with this test's state root ($T/state)
#   rt_bundle [ARG…]   $T/bundle: a copy of the busybox rootfs and the config
#                      of `cairn-runtime spec`, with process.args ARG… (default
#                      sh), no terminal and a writable root; edit it with
#                      config_edit
#   ID                 a container id unique to this test (also the leak scope)
#   rt_status ID       the status field of `rt state`
#   rt_is ID STATUS    true when it is (for wait_until)
#   rt_prog NAME       tests/runtime/progs/NAME.c built static (cached)
#   in_ctr ARG…        run ARG… in a fresh container from $T/bundle
#                      (foreground `run`), its stdout in $output
#
# setup/teardown: every container left in $T/state is deleted with --force,
# then nothing may be left: no mount, cgroup or process of the test
# (rt_leaks).

load ../helpers/common

rt() { cairn-runtime --root "$T/state" "$@"; }

rt_bundle() {
  [ $# -gt 0 ] || set -- sh
  mkdir -p "$T/bundle"
  fixture_rootfs_copy "$T/bundle/rootfs" || return 1
  (cd "$T/bundle" && cairn-runtime spec) || return 1
  local -a jargs=()
  local list="" a i=0
  for a in "$@"; do
    jargs+=(--arg "a$i" "$a")
    list+="${list:+,}\$a$i"
    i=$((i + 1))
  done
  # a writable root: tests leave marks in it (readonly has its own test)
  config_edit "$T/bundle" ".process.terminal = false | .root.readonly = false |
    .process.args = [$list]" "${jargs[@]}"
}

# rt_prog NAME: the path of tests/runtime/progs/NAME.c built as a static
# binary (cached by content); evil_interp is built without libc.
rt_prog() {
  local src="$CAIRN_SRC/tests/runtime/progs/$1.c" key out
  key="$(sha256sum "$src" | cut -c1-16)"
  out="$CAIRN_TEST_CACHE/progs/$1-$key"
  if [ ! -x "$out" ]; then
    mkdir -p "$CAIRN_TEST_CACHE/progs"
    if [ "$1" = evil_interp ]; then
      gcc -static-pie -nostdlib -ffreestanding -fno-tree-loop-distribute-patterns \
        -fno-stack-protector -O2 -o "$out.tmp" "$src" || return 1
    else
      gcc -static -O2 -o "$out.tmp" "$src" || return 1
    fi
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

rt_status() { rt state "$1" | jq -r .status; }
# rt_is ID STATUS: for wait_until (which runs its command again and again)
rt_is() { [ "$(rt_status "$1")" = "$2" ]; }

# in_ctr ARG…: a foreground run of ARG… in $T/bundle; status and output as run_logged.
in_ctr() {
  local -a jargs=()
  local list="" a i=0
  for a in "$@"; do
    jargs+=(--arg "a$i" "$a")
    list+="${list:+,}\$a$i"
    i=$((i + 1))
  done
  config_edit "$T/bundle" ".process.args = [$list]" "${jargs[@]}"
  run_logged rt run -b "$T/bundle" "$ID"
}

setup() {
  common_setup
  ID="crt-${BATS_TEST_NUMBER}-$$"
  export ID
}

# rt_leaks: what this test's containers left: mounts under $T, cgroups
# named after $ID, processes whose root is inside $T.  (Scoped to the test:
# the host-wide leak check would also see other sessions' work.)
rt_leaks() {
  awk -v t="$T/" 'index($5, t) == 1 { print "leaked mount: " $5 }' /proc/self/mountinfo
  find /sys/fs/cgroup -maxdepth 6 -type d -name "*$ID*" 2>/dev/null | sed 's/^/leaked cgroup: /'
  local p r
  for p in /proc/[0-9]*; do
    r="$(readlink "$p/root" 2>/dev/null)" || continue
    [[ "$r" == "$T/"* ]] && echo "leaked process: ${p#/proc/} ($(tr '\0' ' ' <"$p/cmdline"))"
  done
  return 0
}

teardown() {
  local rc=0 c left
  if [ -d "$T/state" ]; then
    for c in $(cairn-runtime --root "$T/state" list -q 2>/dev/null); do
      cairn-runtime --root "$T/state" delete --force "$c" >/dev/null 2>&1
    done
  fi
  # a namespace a test made with `ip netns add $ID`, whatever became of it
  [ -e "/run/netns/$ID" ] && ip netns del "$ID" 2>/dev/null
  left="$(rt_leaks)"
  if [ -n "$left" ]; then
    echo "$left"
    rc=1
  fi
  common_teardown
  return $rc
}
