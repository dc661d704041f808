#!/usr/bin/env bats
# cairn-runtime under containerd's stock shim (ctr run --runc-binary): a
# private containerd, the fixture image imported, run / exec / kill, and
# an error reaching the user through log.json.

load ../helpers/common

setup_file() {
  command -v containerd >/dev/null || return 0
  export CD="$BATS_FILE_TMPDIR/containerd"
  mkdir -p "$CD"
  cat >"$CD/config.toml" <<EOT
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CD/containerd.sock"
EOT
  containerd --config "$CD/config.toml" >"$CD/log" 2>&1 3>&- &
  echo $! >"$CD/pid"
  local i
  for i in $(seq 50); do [ -S "$CD/containerd.sock" ] && break; sleep 0.1; done
  ctr --address "$CD/containerd.sock" images import "$(fixture_image_archive oci-archive)" >/dev/null
}

teardown_file() {
  [ -f "${CD:-}/pid" ] || return 0
  kill "$(cat "$CD/pid")" 2>/dev/null || true
  sleep 0.5
  # the shims' mounts of the snapshots
  awk -v d="$CD/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
}

c() { ctr --address "$CD/containerd.sock" "$@"; }

@test "ctr run --runc-binary cairn-runtime: output and exit code" {
  requires root cmd:containerd cmd:ctr
  run_logged c run --rm --runc-binary "$CAIRN_SRC/bin/cairn-runtime" docker.io/library/busybox:latest "t1-$$" echo ok
  [ "$status" -eq 0 ]
  [ "$output" = ok ]
  run_logged c run --rm --runc-binary "$CAIRN_SRC/bin/cairn-runtime" docker.io/library/busybox:latest "t2-$$" sh -c 'exit 7'
  [ "$status" -eq 7 ]
}

@test "containerd shows the runtime's error from log.json" {
  requires root cmd:containerd cmd:ctr
  run_logged c run --rm --runc-binary "$CAIRN_SRC/bin/cairn-runtime" docker.io/library/busybox:latest "t3-$$" nope-cmd
  [ "$status" -ne 0 ]
  [[ "$stderr" == *'exec: "nope-cmd": executable file not found in $PATH'* ]]
  c container rm "t3-$$" >/dev/null 2>&1 || true
}

@test "ctr: a detached task, exec into it, kill it" {
  requires root cmd:containerd cmd:ctr
  run_logged c run -d --runc-binary "$CAIRN_SRC/bin/cairn-runtime" docker.io/library/busybox:latest "t4-$$" sleep 100
  [ "$status" -eq 0 ]
  run_logged c task exec --exec-id e1 "t4-$$" sh -c 'echo exec-ok'
  [ "$status" -eq 0 ]
  [ "$output" = exec-ok ]
  run_logged c task kill -s KILL "t4-$$"
  [ "$status" -eq 0 ]
  wait_until 10 sh -c "ctr --address '$CD/containerd.sock' task ls | grep -q 't4-$$ .*STOPPED'"
  c task rm "t4-$$"
  c container rm "t4-$$"
}
