#!/usr/bin/env bats
# bash completion (cli/completion.bash): every command of `cairn --help`,
# every subcommand of the groups, the flags of a command, object names.

load ../helpers/common

setup() {
  common_setup
  export CAIRN_ROOT="$T/root" CAIRN_RUN="$T/run" CAIRN_CONFIG="$T/none.json"
}

# complete WORD…: what completing the last word (may be "") offers.
complete() {
  bash -c '
    source "$1/cli/completion.bash"
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    _cairn
    printf "%s\n" "${COMPREPLY[@]}"' _ "$CAIRN_SRC" cairn "$@"
}

@test "completion: every command cairn --help lists completes from its prefix" {
  cmds=$(cairn --help | awk '/^[A-Za-z ]*[Cc]ommands:$/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }')
  [ "$(wc -l <<<"$cmds")" -ge 40 ] || fail "cairn --help lists too few commands: $cmds"
  for c in $cmds; do
    run complete "${c:0:2}"
    assert_line "$c"
  done
  run complete ""
  assert_line network
  assert_line system
  assert_line events
}

@test "completion: the subcommands of each group, and their flags" {
  for g in container image network volume system; do
    subs=$(cairn "$g" --help | awk '/^Commands:$/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }')
    [ -n "$subs" ] || fail "no subcommands in cairn $g --help"
    for s in $subs; do
      run complete "$g" "$s"
      assert_line "$s"
    done
  done
  run complete network create --sub
  assert_output --subnet
  run complete network create --i
  assert_line --ip-range
  assert_line --internal
  run complete events --
  assert_line --since
  assert_line --until
  assert_line --filter
  run complete --root /x run --
  assert_line --rm
  assert_line --network
}

@test "completion: names of volumes, networks and images" {
  cairn volume create alpha-vol >/dev/null
  cairn volume create beta-vol >/dev/null
  run complete volume rm al
  assert_output alpha-vol
  run complete network inspect ho
  assert_output host
  run complete network connect no
  assert_output none
}

@test "completion: make install puts it in share/bash-completion/completions/cairn" {
  requires cmd:make
  run_logged make -C "$CAIRN_SRC" --no-print-directory install DESTDIR="$T/dest" PREFIX=/usr
  assert_success
  f="$T/dest/usr/share/bash-completion/completions/cairn"
  [ -f "$f" ] || fail "$f is missing"
  cmp "$f" "$CAIRN_SRC/cli/completion.bash"
  run bash -c 'source "$1"; COMP_WORDS=("$2" netw); COMP_CWORD=1; _cairn; echo "${COMPREPLY[*]}"' _ "$f" "$T/dest/usr/bin/cairn"
  assert_output network
}
