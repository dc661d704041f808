#!/usr/bin/env bats
# Hostile and broken images (the corpus of make-layers.sh, packed by
# mkimage.py): each is refused with one line naming the layer and the entry,
# a non-zero exit, nothing written outside the layer dir, and no layer dir,
# temp dir or ref left behind.  Then the legitimate oddities that must work
# as docker handles them.

load ../helpers/common
load ../image/image

setup_file() {
  export CORPUS="$BATS_FILE_TMPDIR/corpus"
  export OUTSIDE="$BATS_FILE_TMPDIR/outside/pwned"
  mkdir -p "$(dirname "$OUTSIDE")"
  "$BATS_TEST_DIRNAME/make-layers.sh" "$CORPUS" "$OUTSIDE"
}

setup() {
  image_setup
  cairn-image ls -q >/dev/null # the store exists before the state snapshot
}
teardown() { common_teardown; }

# refused CASE[:COMPRESSION] TEXT [mkimage options…]: loading an image of
# that layer fails with TEXT in a one-line message that names the layer and
# leaves no trace.
refused() {
  local case=${1%%:*} text=$2
  local comp=${1#"$case"}
  shift 2
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/$case.tar$comp" --ref "test/$case:1" "$@"
  local before
  before="$(store_state)"
  run_logged cairn-image load -i "$T/img.tar"
  assert_failure
  assert_equal "$(wc -l <<<"$stderr")" 1
  [[ $stderr == *"$text"* ]] || fail "expected '$text' in: $stderr"
  [ ! -e "$OUTSIDE" ] || fail "$OUTSIDE was written"
  [ -z "$(ls -A "$(dirname "$OUTSIDE")")" ] || fail "something was written next to $OUTSIDE"
  assert_equal "$(store_state)" "$before"
}

@test "hardening: a '../' path" {
  refused dotdot "layer sha256:"
  [[ $stderr == *"entry '../"*"': path climbs out with '..'" ]]
}

@test "hardening: an absolute path" {
  refused absolute "entry '$OUTSIDE': absolute path"
}

@test "hardening: a path through a symlink that points outside (relative)" {
  refused symlink-escape "entry 'escape/pwned': 'escape' is a symlink"
}

@test "hardening: a path through a symlink that points outside (absolute)" {
  refused symlink-abs-escape "entry 'escape/pwned': 'escape' is a symlink"
}

@test "hardening: a hardlink that climbs out" {
  refused hardlink-dotdot "entry 'hl': hardlink target '../"
}

@test "hardening: a hardlink to an absolute path" {
  refused hardlink-abs "entry 'hl': hardlink target '$OUTSIDE': absolute path"
}

@test "hardening: a hardlink through a symlink" {
  refused hardlink-via-symlink "entry 'hl': hardlink target 'escape/pwned': 'escape' is a symlink"
}

@test "hardening: a file where a directory is expected on the way" {
  refused file-as-dir "entry 'a/b': 'a' is not a directory"
}

@test "hardening: a device node without CAP_MKNOD" {
  requires cmd:capsh
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/device.tar" --ref test/device:1
  local before
  before="$(store_state)"
  run_logged capsh --drop=cap_mknod -- -c "exec cairn-image load -i '$T/img.tar'"
  assert_failure
  assert_equal "$(wc -l <<<"$stderr")" 1
  [[ $stderr == *"entry 'dev/sda': device node (needs root, CAP_MKNOD)"* ]]
  assert_equal "$(store_state)" "$before"
}

@test "hardening: a decompression bomb stops at the configured size" {
  CAIRN_MAX_LAYER_SIZE=4m refused bomb "more than 4194304 bytes uncompressed"
  # and the flag says the same
  run_logged cairn-image load --max-layer-size 1m -i "$T/img.tar"
  assert_failure
  [[ $stderr == *"more than 1048576 bytes uncompressed"* ]]
}

@test "hardening: a truncated gzip layer" {
  refused base:gzip-truncated "layer sha256:"
  [[ $stderr == *"truncated"* || $stderr == *"Truncated"* || $stderr == *"premature"* ]]
}

@test "hardening: a layer blob whose bytes do not match its digest" {
  refused base "digest mismatch" --corrupt-layer 0
}

@test "hardening: a layer whose diff_id is wrong" {
  refused base "diffid mismatch: the config says" --bad-diffid 0
}

@test "hardening: a manifest that is not JSON" {
  refused base "not JSON" --manifest-raw 'this is not json'
}

@test "hardening: a manifest with a wrong media type" {
  refused base "unsupported manifest media type 'application/vnd.docker.distribution.manifest.v1+json'" \
    --media-type application/vnd.docker.distribution.manifest.v1+json
}

@test "hardening: an index with no manifest for this platform" {
  refused base "no manifest for platform linux/amd64 in the index (it has: linux/s390x)" \
    --index linux/s390x
}

@test "hardening: a manifest size field that does not match the blob" {
  refused base "but the descriptor says" --size-delta 7
}

@test "hardening: overlay xattrs in a layer are dropped, others kept" {
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/overlay-xattrs.tar" --ref test/x:1
  cairn-image load -q -i "$T/img.tar"
  local d
  d="$(layer_dir test/x:1 0)"
  run_logged python3 -c 'import os,sys; print(sorted(os.listxattr(sys.argv[1])), sorted(os.listxattr(sys.argv[2])))' "$d/d" "$d/d/f"
  assert_output "['user.kept'] []"
}

# --- legitimate oddities ---------------------------------------------------

@test "oddities: duplicate entries for one path, the last wins" {
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/duplicates.tar" --ref test/dup:1
  cairn-image load -q -i "$T/img.tar"
  local d
  d="$(layer_dir test/dup:1 0)"
  [ "$(cat "$d/f")" = second ]
  [ -d "$d/d" ] && [ "$(cat "$d/d/x")" = x ]
}

@test "oddities: setuid, setgid and sticky bits survive" {
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/setuid.tar" --ref test/su:1
  cairn-image load -q -i "$T/img.tar"
  local d
  d="$(layer_dir test/su:1 0)"
  [ "$(stat -c '%a %u:%g' "$d/su")" = "4755 0:0" ]
  [ "$(stat -c '%a %u:%g' "$d/sg")" = "2755 0:50" ]
  [ "$(stat -c '%a' "$d/tmp")" = 1777 ]
}

@test "oddities: xattrs and file capabilities are kept" {
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/xattrs.tar" --ref test/xa:1
  cairn-image load -q -i "$T/img.tar"
  run_logged python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.color").decode(), len(os.getxattr(sys.argv[1], "security.capability")))' "$(layer_dir test/xa:1 0)/x"
  assert_output "blue 20"
}

@test "oddities: fifos, and device nodes as root" {
  requires root
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/fifo.tar" --layer "$CORPUS/devices.tar" --ref test/dev:1
  cairn-image load -q -i "$T/img.tar"
  [ -p "$(layer_dir test/dev:1 0)/pipe" ]
  local d
  d="$(layer_dir test/dev:1 1)"
  [ "$(stat -c '%F %t:%T %a' "$d/dev/null")" = "character special file 1:3 666" ]
  [ "$(stat -c '%F %t:%T %a' "$d/dev/loop9")" = "block special file 7:9 660" ]
}

@test "oddities: long names, paths longer than PATH_MAX, non-UTF-8 names" {
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/long-names.tar" --layer "$CORPUS/non-utf8.tar" --ref test/n:1
  run_logged cairn-image load -i "$T/img.tar"
  assert_success
  local d
  d="$(layer_dir test/n:1 0)"
  [ "$(cat "$d/$(printf 'n%.0s' $(seq 200))")" = long ]
  [ "$(find "$d" -name f -type f -execdir cat {} +)" = deep ]
  [ "$(cat "$(layer_dir test/n:1 1)/$(printf 'caf\xe9')")" = "latin-1 name" ]
}

@test "oddities: a hardlink to a file of a lower layer" {
  "$MKIMAGE" "$T/img.tar" --layer "$CORPUS/base.tar" --layer "$CORPUS/hardlink-lower.tar" --ref test/hl:1
  run_logged cairn-image load -i "$T/img.tar"
  assert_success
  local d
  d="$(layer_dir test/hl:1 1)"
  [ "$(cat "$d/bin/link")" = "from the lower layer" ]
  [ "$(stat -c '%a %u:%g' "$d/bin/link")" = "640 7:8" ]
}

@test "oddities: a hardlink whose target is in no layer is refused" {
  refused hardlink-lower "entry 'bin/link': hardlink target 'lib/target' is in no layer"
}
