#!/usr/bin/env bats
# cairn-runtime: the container's filesystem — root, mounts and their flags,
# symlinked destinations, /dev, masked and read-only paths, sysctl.

load runtime_common

# mount_opts DIR: the per-mount options of the mount at DIR, from the
# container's mountinfo in $output.
mount_opts() {
  awk -v d="$1" '$5 == d { print $6 }' <<<"$output" | tail -1
}

@test "bind mounts: read-only, nosuid/nodev/noexec, a file, a relative source" {
  requires root
  rt_bundle true
  mkdir -p "$T/data/sub" && echo hello >"$T/data/file" && echo single >"$T/single"
  echo rel >"$T/bundle/relfile"
  config_edit "$T/bundle" '.mounts += [
    {"destination": "/data", "type": "bind", "source": $d, "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]},
    {"destination": "/etc/single", "type": "bind", "source": $f, "options": ["bind"]},
    {"destination": "/rel", "source": "relfile", "options": ["bind", "ro"]}]' \
    --arg d "$T/data" --arg f "$T/single"
  in_ctr sh -c 'cat /data/file /etc/single /rel; touch /data/x 2>&1; echo single2 > /etc/single; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = hello ]
  [ "${lines[1]}" = single ]
  [ "${lines[2]}" = rel ]
  [[ "${lines[3]}" == *"Read-only file system"* ]]
  [ "$(mount_opts /data)" = "ro,nosuid,nodev,noexec,relatime" ]
  [[ "$(mount_opts /rel)" == ro,* ]]
  [ "$(cat "$T/single")" = single2 ]
  [ ! -e "$T/data/x" ]
}

@test "recursive read-only (rro) reaches submounts; plain ro does not" {
  requires root
  rt_bundle true
  mkdir -p "$T/data/sub"
  mount -t tmpfs tmpfs "$T/data/sub"
  config_edit "$T/bundle" '.mounts += [
    {"destination": "/a", "type": "bind", "source": $d, "options": ["rbind", "ro"]},
    {"destination": "/b", "type": "bind", "source": $d, "options": ["rbind", "rro"]}]' --arg d "$T/data"
  in_ctr sh -c 'touch /a/sub/x && echo a-ok; touch /b/sub/y 2>/dev/null || echo b-ro'
  umount "$T/data/sub"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'a-ok\nb-ro')" ]
}

@test "tmpfs with size and mode; tmpcopyup keeps what was there" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.mounts += [
    {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m", "mode=1770"]},
    {"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755"]}]'
  in_ctr sh -c 'stat -c %a /scratch; df -k /scratch | tail -1 | awk "{print \$2}"; grep -c root /etc/passwd; echo x > /etc/new && echo written'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1770 ]
  [ "${lines[1]}" = 2048 ]
  [ "${lines[2]}" -ge 1 ]
  [ "${lines[3]}" = written ]
  [ ! -e "$T/bundle/rootfs/etc/new" ]
}

@test "an overlay mount from host directories" {
  requires root
  rt_bundle true
  mkdir -p "$T/ov/lower" "$T/ov/upper" "$T/ov/work"
  echo from-lower >"$T/ov/lower/file"
  config_edit "$T/bundle" '.mounts += [{"destination": "/merged", "type": "overlay", "source": "overlay",
    "options": [("lowerdir=" + $d + "/lower"), ("upperdir=" + $d + "/upper"), ("workdir=" + $d + "/work")]}]' --arg d "$T/ov"
  in_ctr sh -c 'cat /merged/file; echo new > /merged/added'
  [ "$status" -eq 0 ]
  [ "$output" = from-lower ]
  [ "$(cat "$T/ov/upper/added")" = new ]
  [ ! -e "$T/ov/lower/added" ]
}

@test "a destination that is a symlink never lands outside the rootfs" {
  requires root
  rt_bundle true
  mkdir -p "$T/outside"
  ln -s "$T/outside" "$T/bundle/rootfs/evil"
  ln -s ../../../../../../../.. "$T/bundle/rootfs/up"
  config_edit "$T/bundle" '.mounts += [
    {"destination": "/evil/x", "type": "tmpfs", "source": "tmpfs"},
    {"destination": "/up/tmp/y", "type": "tmpfs", "source": "tmpfs"}]'
  in_ctr sh -c 'grep -c " /evil/x \| /up/tmp/y " /proc/self/mountinfo; grep -E " tmpfs " /proc/self/mountinfo | awk "{print \$5}"'
  [ "$status" -eq 0 ]
  # nothing was mounted or created on the host side of the links
  [ -z "$(ls -A "$T/outside")" ]
  ! grep -q " $T/outside" /proc/self/mountinfo
  [ ! -e /tmp/y ]
  # both landed inside the rootfs, where the links point when / is the rootfs
  [ -d "$T/bundle/rootfs$T/outside/x" ]
  [ -d "$T/bundle/rootfs/tmp/y" ]
  [[ "$output" == *"$T/outside/x"* ]]
  [[ "$output" == *"/tmp/y"* ]]
}

@test "mounts inside /proc are refused except runc's list" {
  requires root
  rt_bundle true
  echo fake >"$T/fake"
  config_edit "$T/bundle" '.mounts += [{"destination": "/proc/sys/kernel/core_pattern", "type": "bind", "source": $f, "options": ["bind"]}]' --arg f "$T/fake"
  in_ctr true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"is inside /proc"* ]]
  config_edit "$T/bundle" '.mounts[-1].destination = "/proc/uptime"'
  in_ctr cat /proc/uptime
  [ "$status" -eq 0 ]
  [ "$output" = fake ]
}

@test "a read-only root" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.root.readonly = true'
  in_ctr sh -c 'touch /x 2>&1; touch /dev/shm/ok && echo shm-ok'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Read-only file system"* ]]
  [ "${lines[1]}" = shm-ok ]
}

@test "maskedPaths are unreadable, readonlyPaths unwritable" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.maskedPaths += ["/etc/hostname-secret", "/var/secret"] |
    .linux.readonlyPaths += ["/home"]'
  echo secret >"$T/bundle/rootfs/etc/hostname-secret"
  mkdir -p "$T/bundle/rootfs/var/secret" && echo s >"$T/bundle/rootfs/var/secret/key"
  in_ctr sh -c 'wc -c < /etc/hostname-secret; ls -A /var/secret | wc -l; ls -A /sys/firmware | wc -l;
    echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo sys-ro; touch /home/x 2>/dev/null || echo home-ro'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '0\n0\n0\nsys-ro\nhome-ro')" ]
  [ -n "$(ls -A /sys/firmware)" ]
}

@test "/dev: default devices, links, pts and ptmx; linux.devices" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.devices = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 1000, "gid": 1000}]'
  in_ctr sh -c 'for d in null zero full random urandom tty mydev; do stat -c "%n %F %t:%T %a %u" /dev/$d; done
    for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; test -d /dev/pts && echo pts; echo x > /dev/null && head -c 4 /dev/zero | wc -c'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/null character special file 1:3 666 0" ]
  [ "${lines[1]}" = "/dev/zero character special file 1:5 666 0" ]
  [ "${lines[2]}" = "/dev/full character special file 1:7 666 0" ]
  [ "${lines[3]}" = "/dev/random character special file 1:8 666 0" ]
  [ "${lines[4]}" = "/dev/urandom character special file 1:9 666 0" ]
  [ "${lines[5]}" = "/dev/tty character special file 5:0 666 0" ]
  [ "${lines[6]}" = "/dev/mydev character special file 1:3 600 1000" ]
  [ "${lines[7]}" = /proc/self/fd ]
  [ "${lines[8]}" = /proc/self/fd/0 ]
  [ "${lines[9]}" = /proc/self/fd/1 ]
  [ "${lines[10]}" = /proc/self/fd/2 ]
  [ "${lines[11]}" = pts/ptmx ]
  [ "${lines[12]}" = pts ]
  [ "${lines[13]}" = 4 ]
}

@test "the device cgroup denies what is not allowed" {
  requires root cgroup_v1
  rt_bundle true
  config_edit "$T/bundle" '.linux.devices = [{"path": "/dev/kmsg-copy", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]'
  in_ctr sh -c 'head -c1 /dev/kmsg-copy >/dev/null 2>&1 && echo open || echo denied; head -c1 /dev/zero | wc -c'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'denied\n1')" ]
}

@test "sysctl in the container's namespaces" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
  in_ctr sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '1\n1234')" ]
  [ "$(cat /proc/sys/kernel/shmmni)" != 1234 ]
}

@test "the cgroup mount shows the container's own cgroups, read-only" {
  requires root
  rt_bundle true
  in_ctr sh -c 'ls /sys/fs/cgroup; test -e /sys/fs/cgroup/pids/pids.max && echo pids-ok; mkdir /sys/fs/cgroup/pids/x 2>/dev/null || echo ro; cat /sys/fs/cgroup/pids/cgroup.procs'
  [ "$status" -eq 0 ]
  [[ "$output" == *pids-ok* ]]
  [[ "$output" == *ro* ]]
  # only the container's processes: the cat, which sh exec'd as pid 1
  [ "$(echo "$output" | tail -1)" = 1 ]
  [ "$(echo "$output" | tail -2 | head -1)" = ro ]
}

@test "--no-pivot switches root with MS_MOVE and chroot" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.hostname = "np"'
  config_edit "$T/bundle" '.process.args = ["sh", "-c", "hostname; ls /bin/busybox"]'
  run_logged rt run --no-pivot -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'np\n/bin/busybox')" ]
}

@test "mount propagation: a shared bind sees mounts made later on the host" {
  requires root
  rt_bundle sh -c 'for i in $(seq 50); do test -e /shared/sub/marker && { echo seen; exit 0; }; sleep 0.1; done; echo unseen'
  mkdir -p "$T/shared"
  mount --bind "$T/shared" "$T/shared"
  mount --make-shared "$T/shared"
  config_edit "$T/bundle" '.mounts += [{"destination": "/shared", "type": "bind", "source": $d, "options": ["rbind", "rslave"]}]' --arg d "$T/shared"
  cairn-runtime --root "$T/state" run -b "$T/bundle" "$ID" >"$T/out" 2>&1 &
  pid=$!
  sleep 0.5
  mkdir -p "$T/shared/sub"
  mount -t tmpfs tmpfs "$T/shared/sub"
  touch "$T/shared/sub/marker"
  wait "$pid"
  umount "$T/shared/sub"
  umount "$T/shared"
  [ "$(cat "$T/out")" = seen ]
}
