#!/usr/bin/env bats
# cairn-image load: docker-archive and OCI archive files into the store.

load ../helpers/common
load image

setup() { image_setup; }
teardown() { common_teardown; }

@test "cairn-image load: a docker-archive (what docker save writes)" {
  run_logged cairn-image load -i "$(fixture_image_archive docker-archive)"
  assert_success
  assert_output "Loaded image: busybox:latest"
  run_logged cairn-image ls
  assert_line --index 1 --regexp '^busybox +latest '
  # its one layer is extracted, ready for unpack
  [ -x "$(layer_dir busybox 0)/bin/busybox" ]
  [ "$(jq -r .size "$(layer_dir busybox 0).json")" -gt 1000000 ]
}

@test "cairn-image load: an OCI archive from stdin, keeping its manifest" {
  local a
  a="$(fixture_image_archive oci-archive)"
  run_logged cairn-image load <"$a"
  assert_success
  assert_output "Loaded image: busybox:latest"
  # the manifest is the archive's own: same digest as skopeo sees
  local want
  want="$(skopeo inspect "oci-archive:$a" | jq -r .Digest)"
  run_logged jq -r '.manifests[0].digest' "$CAIRN_ROOT/store/index.json"
  assert_output "$want"
}

@test "cairn-image load: gzip, zstd and plain layers in one image" {
  requires cmd:zstd
  local r="$T/r"
  mkdir -p "$r/1" "$r/2" "$r/3"
  echo gz >"$r/1/gz" && echo zst >"$r/2/zst" && echo plain >"$r/3/plain"
  local i
  for i in 1 2 3; do tar -C "$r/$i" -cf "$T/$i.tar" .; done
  "$MKIMAGE" "$T/img.tar" --layer "$T/1.tar:gzip" --layer "$T/2.tar:zstd" \
    --layer "$T/3.tar:none" --ref test/mixed:1
  run_logged cairn-image load -i "$T/img.tar"
  assert_success
  cairn-image unpack --copy test/mixed:1 "$T/b"
  [ "$(cat "$T/b/rootfs/gz" "$T/b/rootfs/zst" "$T/b/rootfs/plain")" = "$(printf 'gz\nzst\nplain')" ]
}

@test "cairn-image load: a docker-archive whose layer does not match its diff_id" {
  load_busybox
  tar -C "$(fixture_rootfs)" -cf "$T/l.tar" etc
  "$MKIMAGE" "$T/img.tar" --docker --layer "$T/l.tar:none" --bad-diffid 0 --ref test/bad:1
  local before
  before="$(store_state)"
  run_logged cairn-image load -i "$T/img.tar"
  assert_failure
  assert_equal "$(wc -l <<<"$stderr")" 1
  [[ $stderr == *"layer '0/layer.tar' is sha256:"*"but the config says sha256:"* ]]
  [ "$(store_state)" = "$before" ]
}

@test "cairn-image load: a file that is no archive" {
  head -c 5000 /dev/urandom >"$T/junk"
  run_logged cairn-image load -i "$T/junk"
  assert_failure
  assert_equal "$(wc -l <<<"$stderr")" 1
  run_logged cairn-image load -i "$T/nonexistent"
  assert_failure
  [[ $stderr == *"open '$T/nonexistent': No such file or directory"* ]]
  tar -C "$(fixture_rootfs)" -cf "$T/plain.tar" etc
  run_logged cairn-image load -i "$T/plain.tar"
  assert_failure
  [[ $stderr == *"neither a docker-archive (no manifest.json) nor an OCI archive (no index.json)"* ]]
  [ -z "$(ls -A "$CAIRN_ROOT/tmp")" ]
}
