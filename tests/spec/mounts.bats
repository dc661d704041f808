#!/usr/bin/env bats
# cairn-spec's mounts: docker's defaults, -v, --tmpfs, --mount, --read-only.

load spec_helpers

mnt() { # mnt DEST: the container's /proc/mounts line for DEST
  printf '%s\n' "$output" | awk -v d="$1" '$2 == d'
}

@test "cairn-spec: docker's default mounts" {
  ctr -- cat /proc/mounts
  [ "$status" -eq 0 ]
  [[ "$(mnt /proc)" == "proc /proc proc rw,nosuid,nodev,noexec"* ]]
  [[ "$(mnt /dev)" == "tmpfs /dev tmpfs rw,nosuid"* ]]
  [[ "$(mnt /dev/pts)" == "devpts /dev/pts devpts rw,nosuid,noexec"* ]]
  [[ "$(mnt /dev/shm)" == *"size=65536k"* ]]
  [[ "$(mnt /dev/mqueue)" == "mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec"* ]]
  [[ "$(mnt /sys)" == "sysfs /sys sysfs ro,nosuid,nodev,noexec"* ]]
  # cgroup v1 here: each controller read-only under /sys/fs/cgroup
  [[ "$(mnt /sys/fs/cgroup/memory)" == *" ro,"* ]]
}

@test "cairn-spec: / is writable by default and read-only with --read-only" {
  ctr -- sh -c 'touch /probe && echo wrote'
  [ "$status" -eq 0 ]
  [ "$output" = wrote ]
  ctr --read-only -- sh -c 'touch /probe2; echo "rc=$?"; touch /dev/shm/ok && echo shm-ok'
  [ "$status" -eq 0 ]
  assert_line "rc=1"
  assert_line shm-ok
  [[ "$stderr" == *"Read-only file system"* ]]
  [ ! -e "$BUNDLE/rootfs/probe2" ]
}

@test "cairn-spec: -v binds host paths read-write or read-only" {
  mkdir -p "$T/data" && echo hello >"$T/data/f"
  ctr -v "$T/data:/data" -v "$T/data:/ro:ro" -- sh -c 'cat /data/f; echo new >/data/g; echo x >/ro/h; echo "ro=$?"'
  [ "$status" -eq 0 ]
  assert_line hello
  assert_line "ro=1"
  [ "$(cat "$T/data/g")" = new ]
  [ ! -e "$T/data/h" ]
  [ "$(cfg '.mounts[] | select(.destination == "/ro") | .options')" = '["rbind","rprivate","ro"]' ]
}

@test "cairn-spec: -v NAME:DST binds a named volume under CAIRN_ROOT" {
  mkdir -p "$T/root/volumes/vol1/_data"
  echo v >"$T/root/volumes/vol1/_data/x"
  CAIRN_ROOT="$T/root" ctr -v vol1:/vol -- cat /vol/x
  [ "$status" -eq 0 ]
  [ "$output" = v ]
  gen --root "$T/root" -v vol1:/vol -- true
  [ "$(cfg '.mounts[-1].source')" = "\"$T/root/volumes/vol1/_data\"" ]
  run_logged cairn-spec --root "$T/root" -v nosuchvol:/vol -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == "cairn-spec: --volume 'nosuchvol:/vol': volume 'nosuchvol' not found"* ]]
}

@test "cairn-spec: --tmpfs with docker's default options and the user's" {
  ctr --tmpfs /scratch --tmpfs /run:exec,size=1m,mode=700 -- cat /proc/mounts
  [ "$status" -eq 0 ]
  [[ "$(mnt /scratch)" == "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec"* ]]
  [[ "$(mnt /run)" == "tmpfs /run tmpfs rw,nosuid,nodev,relatime,size=1024k,mode=700"* ]]
}

@test "cairn-spec: --mount type=bind, type=tmpfs and readonly" {
  mkdir -p "$T/src" && echo m >"$T/src/f"
  ctr --mount "type=bind,source=$T/src,target=/m,readonly" \
      --mount type=tmpfs,target=/t,tmpfs-size=2m,tmpfs-mode=750 -- \
      sh -c 'cat /m/f; touch /m/x; echo "rc=$?"; grep " /t " /proc/mounts'
  [ "$status" -eq 0 ]
  assert_line m
  assert_line "rc=1"
  assert_line --partial "tmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=750"
}

@test "cairn-spec: --shm-size sizes /dev/shm; a user mount replaces a default one" {
  ctr --shm-size 8m -- sh -c 'grep " /dev/shm " /proc/mounts'
  [ "$status" -eq 0 ]
  [[ "$output" == *"size=8192k"* ]]
  gen --tmpfs /dev/shm:size=1m -- true
  [ "$(cfg '[.mounts[] | select(.destination == "/dev/shm")] | length')" = 1 ]
  [ "$(cfg '.mounts[] | select(.destination == "/dev/shm") | .options[-1]')" = '"size=1m"' ]
}

@test "cairn-spec: user mounts are ordered parents first" {
  mkdir -p "$T/a" "$T/b"
  gen -v "$T/b:/x/y/z" -v "$T/a:/x" --tmpfs /x/y -- true
  [ "$(cfg '[.mounts[].destination][-3:]')" = '["/x","/x/y","/x/y/z"]' ]
}

@test "cairn-spec: bad -v, --tmpfs and --mount are refused with one line" {
  run_logged cairn-spec -v /data -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == "cairn-spec: --volume '/data': no destination"* ]]
  [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
  run_logged cairn-spec -v "$T:" -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"no destination"* ]]
  run_logged cairn-spec -v "$T:rel" -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"destination 'rel' is not an absolute path"* ]]
  run_logged cairn-spec -v "$T/missing:/x" -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"bind source path does not exist: $T/missing" ]]
  run_logged cairn-spec -v "$T:/x:bogus" -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec --tmpfs /t:frobnicate -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"invalid tmpfs option 'frobnicate'"* ]]
  run_logged cairn-spec --mount type=bind,target=/x -- true
  [ "$status" -eq 2 ]
  run_logged cairn-spec --mount "type=bind,source=$T,target=/x,colour=red" -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"unexpected key 'colour'"* ]]
  run_logged cairn-spec -v "$T:/x" --tmpfs /x -- true
  [ "$status" -eq 2 ]
  [ "$stderr" = "cairn-spec: duplicate mount point: /x" ]
}
