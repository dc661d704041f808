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

@test "completion: the values of flags — known sets and the objects they name" {
  cairn volume create data-vol >/dev/null
  run complete run --restart ""
  assert_output "$(printf 'no\nalways\non-failure\nunless-stopped')"
  run complete run --restart on
  assert_output on-failure
  run complete container run --pull ne
  assert_output never
  # --network: docker's modes and the networks there are
  run complete run --network ""
  assert_line bridge
  assert_line none
  assert_line host
  run complete run -v da
  assert_output data-vol
  run complete kill -s SIGK
  assert_output SIGKILL
  run complete run --cap-add NET_B
  assert_output NET_BIND_SERVICE
  run complete inspect --type v
  assert_output volume
  run complete network create -d ""
  assert_output bridge
  run complete volume create -d ""
  assert_output local
  run complete build --progress t
  assert_output tty
  # a flag without a value leaves the usual completion: run -d IMAGE
  cairn volume create zz-other >/dev/null
  run complete run -d bus
  refute_output --partial SIG
  run complete ps -s --fo
  assert_output --format
  # a file for --env-file
  touch "$T/envfile-x"
  run complete run --env-file "$T/envfile-"
  assert_output "$T/envfile-x"
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
