# fixtures.bash — test fixtures made on this machine, without any cairn tool.
#
# fixture_rootfs: a busybox root filesystem from Debian's busybox-static
# (the binary, one link per applet, /etc/passwd, /etc/group, /tmp 1777),
# built once and cached under $CAIRN_TEST_CACHE; prints its path.  Tests that
# change a rootfs copy it first (fixture_rootfs_copy DEST).

CAIRN_TEST_CACHE="${CAIRN_TEST_CACHE:-/tmp/cairn-test-cache}"
export CAIRN_TEST_CACHE

fixture_rootfs() {
  local bb=/bin/busybox
  [ -x "$bb" ] || { echo "fixture_rootfs: $bb missing: run 'make deps' (busybox-static)" >&2; return 1; }
  local key dir
  key="$(sha256sum "$bb" | cut -c1-16)"
  dir="$CAIRN_TEST_CACHE/busybox-rootfs-$key"
  if [ ! -d "$dir" ]; then
    mkdir -p "$CAIRN_TEST_CACHE"
    (
      flock 9
      [ -d "$dir" ] && exit 0
      local tmp="$dir.tmp.$$" a
      rm -rf "$tmp"
      mkdir -p "$tmp"/{bin,etc,tmp,root,proc,sys,dev,home,var,usr/bin,usr/sbin,sbin}
      cp "$bb" "$tmp/bin/busybox"
      for a in $("$bb" --list-full); do
        [ "$a" = bin/busybox ] && continue
        [ -e "$tmp/$a" ] || ln -s /bin/busybox "$tmp/$a"
      done
      chmod 1777 "$tmp/tmp"
      chmod 0700 "$tmp/root"
      cat >"$tmp/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
PW
      cat >"$tmp/etc/group" <<'GR'
root:x:0:
daemon:x:1:
bin:x:2:
wheel:x:10:root,app
audio:x:29:app
nogroup:x:65534:
app:x:1000:
GR
      mkdir -p "$tmp/home/app" && chown 1000:1000 "$tmp/home/app"
      mv "$tmp" "$dir"
    ) 9>"$CAIRN_TEST_CACHE/.lock" || return 1
  fi
  echo "$dir"
}

# fixture_rootfs_copy DEST: a private copy of the busybox rootfs at DEST.
fixture_rootfs_copy() {
  local src
  src="$(fixture_rootfs)" || return 1
  mkdir -p "$1" && cp -a "$src/." "$1/"
}
