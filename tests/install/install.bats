#!/usr/bin/env bats
# `make install`: where the files land and that the installed tools run.

load ../helpers/common

# The flags the tree was built with: installing with others would rebuild
# everything (and leave the tree built the other way).
build_flags() {
  local stamp="$CAIRN_SRC/build/flags.stamp"
  [ -f "$stamp" ] || fail "$stamp is missing: build first ('make')"
  if grep -q -- '-fsanitize=' "$stamp"; then echo SANITIZE=1; fi
}

# make in the checkout, isolated from a calling make (tests/run may run
# under `make check`, whose jobserver fds are not ours).
cairn_make() {
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$CAIRN_SRC" "$@" </dev/null
}

@test "make install: tools in bin, CNI plugins in libexec/cairn/cni, data in share/cairn" {
  local flags stamp_before
  flags="$(build_flags)"
  stamp_before="$(cat "$CAIRN_SRC/build/flags.stamp")"
  run_logged cairn_make -s print-tools $flags
  assert_success
  local tools="$output"
  run_logged cairn_make install DESTDIR="$T/root" PREFIX=/usr/local $flags
  assert_success
  # Installing did not flip the build's flags.
  assert_equal "$(cat "$CAIRN_SRC/build/flags.stamp")" "$stamp_before"
  local p="$T/root/usr/local"
  [ -d "$p/bin" ] || fail "no $p/bin"
  [ -d "$p/libexec/cairn/cni" ] || fail "no $p/libexec/cairn/cni"
  [ -d "$p/share/cairn" ] || fail "no $p/share/cairn"
  # Nothing lands outside PREFIX.
  run_logged find "$T/root" -mindepth 1 -maxdepth 2
  assert_output "$T/root/usr
$T/root/usr/local"
  # Each built tool is installed exactly once, executable, as a copy of
  # the build's binary; nothing else is in bin or cni.
  local t name n=0
  for t in $tools; do
    name="$(basename "$t")"
    local found=()
    [ -e "$p/bin/$name" ] && found+=("$p/bin/$name")
    [ -e "$p/libexec/cairn/cni/$name" ] && found+=("$p/libexec/cairn/cni/$name")
    [ ${#found[@]} -eq 1 ] || fail "$name installed ${#found[@]} times: ${found[*]}"
    [ -x "${found[0]}" ] || fail "${found[0]} is not executable"
    cmp -s "$CAIRN_SRC/$t" "${found[0]}" || fail "${found[0]} differs from $t"
    n=$((n + 1))
  done
  assert_equal "$(find "$p/bin" "$p/libexec/cairn/cni" -type f | wc -l)" "$n"
}

@test "make install: every installed command answers --help" {
  local flags
  flags="$(build_flags)"
  run_logged cairn_make install DESTDIR="$T/root" PREFIX=/usr/local $flags
  assert_success
  local b n=0
  for b in "$T"/root/usr/local/bin/* "$T"/root/usr/local/libexec/cairn/cni/*; do
    [ -e "$b" ] || continue
    # A plain PATH: the installed binary on its own, not the checkout's bin/.
    run_logged env PATH=/usr/bin:/bin "$b" --help
    [ "$status" -eq 0 ] || fail "$(basename "$b") --help exited $status: $stderr"
    [ -n "$output" ] || fail "$(basename "$b") --help printed nothing on stdout"
    n=$((n + 1))
  done
  # The build has tools exactly when bin/ does.
  assert_equal "$n" "$(find "$CAIRN_SRC/bin" -maxdepth 1 -type f -perm -u+x 2>/dev/null | wc -l)"
}

@test "make install: a man page for cairn and for every command, rendered without warnings" {
  local flags
  flags="$(build_flags)"
  run_logged cairn_make install DESTDIR="$T/root" PREFIX=/usr/local $flags
  assert_success
  local m="$T/root/usr/local/share/man/man1" c s n=0
  [ -f "$m/cairn.1" ] || fail "no cairn.1"
  # every command and every group's subcommand has its page
  for c in $(cairn --help | awk '/ommands:$/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }'); do
    [ -f "$m/cairn-$c.1" ] || fail "no page for cairn $c"
    for s in $(cairn "$c" --help | awk '/^Commands:$/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }'); do
      [ -f "$m/cairn-$c-$s.1" ] || fail "no page for cairn $c $s"
      n=$((n + 1))
    done
  done
  [ "$n" -gt 20 ] || fail "only $n subcommand pages"
  # a page has the command's own synopsis and flags, and man renders every
  # page without a warning
  run_logged env MANWIDTH=80 man -l "$m/cairn-volume-create.1"
  assert_success
  assert_output --partial "cairn volume create [OPTIONS] [VOLUME]"
  assert_output --partial "--label K=V"
  for c in "$m"/*.1; do
    run_logged env MANWIDTH=80 man --warnings -l "$c"
    assert_success
    [ -z "$stderr" ] || fail "$(basename "$c"): $stderr"
  done
}
