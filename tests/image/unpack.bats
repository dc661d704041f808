#!/usr/bin/env bats
# cairn-image unpack / umount: BUNDLE/rootfs as an overlay of the shared
# layer dirs (or a plain copy), and undoing it.

load ../helpers/common
load image

setup() { image_setup; }
teardown() { common_teardown; }

# A 3-layer image: base files, then whiteouts/opaque over them, then a
# hardlink into the bottom layer.
whiteout_image() {
  "$CAIRN_SRC/tests/hardening/make-layers.sh" "$T/corpus" "$T/outside/x" >/dev/null
  "$MKIMAGE" "$T/wh.tar" --layer "$T/corpus/base.tar" --layer "$T/corpus/whiteouts.tar" \
    --layer "$T/corpus/hardlink-lower.tar" --ref test/wh:1
  cairn-image load -q -i "$T/wh.tar"
}

@test "cairn-image unpack: an overlay rootfs whose writes stay in BUNDLE/upper" {
  requires root
  load_busybox
  run_logged cairn-image unpack busybox "$T/bundle"
  assert_success
  assert_output ""
  run_logged findmnt -n -o FSTYPE,SOURCE "$T/bundle/rootfs"
  assert_output --regexp '^overlay +overlay$'
  run_logged chroot "$T/bundle/rootfs" /bin/sh -c 'echo hello >/root/greeting; cat /etc/passwd | head -1'
  assert_success
  assert_output "root:x:0:0:root:/root:/bin/sh"
  [ "$(cat "$T/bundle/upper/root/greeting")" = hello ]
  # the shared layer dir is untouched
  [ ! -e "$(layer_dir busybox 0)/root/greeting" ]
  run_logged cairn-image umount "$T/bundle"
  assert_success
  [ ! -e "$T/bundle/rootfs/bin" ]
  # umount of what is not mounted is fine; unpack again keeps the upper dir
  run_logged cairn-image umount "$T/bundle"
  assert_success
  cairn-image unpack busybox "$T/bundle"
  [ "$(cat "$T/bundle/rootfs/root/greeting")" = hello ]
  cairn-image umount "$T/bundle"
}

@test "cairn-image unpack: a second unpack of a mounted bundle is a no-op" {
  requires root
  load_busybox
  cairn-image unpack busybox "$T/bundle"
  run_logged cairn-image unpack busybox "$T/bundle"
  assert_success
  [ "$(awk -v m="$T/bundle/rootfs" '$5 == m' /proc/self/mountinfo | wc -l)" -eq 1 ]
  cairn-image umount "$T/bundle"
}

@test "cairn-image unpack --volatile: an overlay that never syncs, mountable again after its leftovers" {
  requires root
  load_busybox
  run_logged cairn-image unpack --volatile busybox "$T/bundle"
  assert_success
  # the kernel shows it as "volatile" (5.10+) or "fsync=volatile" (6.x)
  run_logged findmnt -n -o OPTIONS "$T/bundle/rootfs"
  assert_output --regexp '(^|,)(fsync=)?volatile(,|$)'
  echo data >"$T/bundle/rootfs/f"
  cairn-image umount "$T/bundle"
  # a volatile mount leaves work/work/incompat/volatile, over which the
  # kernel refuses a mount: unpack --volatile clears it
  [ -d "$T/bundle/work/work/incompat/volatile" ]
  run_logged cairn-image unpack --volatile busybox "$T/bundle"
  assert_success
  [ "$(cat "$T/bundle/rootfs/f")" = data ]
  cairn-image umount "$T/bundle"
  # without the flag, the mount is an ordinary one
  cairn-image unpack busybox "$T/plain"
  run_logged findmnt -n -o OPTIONS "$T/plain/rootfs"
  refute_output --regexp '(^|,)(fsync=)?volatile(,|$)'
  cairn-image umount "$T/plain"
}

@test "cairn-image unpack: whiteouts, opaque dirs and hardlinks into lower layers" {
  requires root
  whiteout_image
  cairn-image unpack test/wh:1 "$T/o"
  cairn-image unpack --copy test/wh:1 "$T/c"
  local b
  for b in "$T/o" "$T/c"; do
    [ "$(cat "$b/rootfs/etc/keep")" = keep ]
    [ ! -e "$b/rootfs/etc/gone" ]
    [ ! -e "$b/rootfs/opq/old" ]
    [ "$(cat "$b/rootfs/opq/new")" = new ]
    [ "$(cat "$b/rootfs/bin/link")" = "from the lower layer" ]
    [ "$(stat -c '%a %u %g' "$b/rootfs/bin/link")" = "640 7 8" ]
  done
  # the layer dirs hold overlay whiteouts: a 0/0 char device and the opaque xattr
  local top
  top="$(layer_dir test/wh:1 1)"
  [ "$(stat -c '%F %t %T' "$top/etc/gone")" = "character special file 0 0" ]
  [ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$top/opq")" = y ]
  # --copy made no mount
  [ -z "$(awk -v m="$T/c/rootfs" '$5 == m' /proc/self/mountinfo)" ]
  cairn-image umount "$T/o"
}

@test "cairn-image unpack: extracts layers that are missing (a store skopeo filled)" {
  requires cmd:skopeo
  cairn-image ls -q
  skopeo copy -q "oci:$(fixture_image):latest" "oci:$CAIRN_ROOT/store:docker.io/library/bb:1"
  [ -z "$(ls "$CAIRN_ROOT/layers/sha256")" ]
  run_logged cairn-image unpack --copy bb:1 "$T/b"
  assert_success
  [ -x "$T/b/rootfs/bin/busybox" ]
  [ -n "$(ls "$CAIRN_ROOT/layers/sha256")" ]
}

@test "cairn-image unpack: an unknown image or missing args" {
  run_logged cairn-image unpack nosuch "$T/b"
  assert_failure 1
  assert_equal "$stderr" "cairn-image: no such image: nosuch"
  [ ! -e "$T/b" ]
  run_logged cairn-image unpack busybox
  assert_failure 2
}

@test "cairn-image unpack: a present image reuses its extracted layers (bench/image.sh times it)" {
  requires root
  load_busybox
  cairn-image unpack busybox "$T/warm" && cairn-image umount "$T/warm"
  before=$(stat -c '%i %Z' "$CAIRN_ROOT"/layers/sha256/*)
  run_logged cairn-image unpack busybox "$T/b"
  assert_success
  [ -f "$T/b/rootfs/bin/busybox" ]
  cairn-image umount "$T/b"
  assert_equal "$(stat -c '%i %Z' "$CAIRN_ROOT"/layers/sha256/*)" "$before"
}

@test "cairn-image prune: keeps the layer dirs a mounted rootfs uses" {
  requires root
  load_busybox
  cairn-image unpack busybox "$T/b"
  local dir
  dir="$(layer_dir busybox 0)"
  cairn-image rm -f busybox
  run_logged cairn-image prune -a
  assert_success
  [ -d "$dir" ]
  [ -x "$T/b/rootfs/bin/busybox" ]
  cairn-image umount "$T/b"
  cairn-image prune -a
  [ ! -e "$dir" ]
}
