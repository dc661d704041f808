#!/usr/bin/env bats
# cairn-runtime under podman (through conmon) in place of runc: run, exec,
# a terminal, stop/rm and exit codes.  A private podman store per file.

load ../helpers/common

setup_file() {
  command -v podman >/dev/null || return 0
  export PD="$BATS_FILE_TMPDIR/podman"
  mkdir -p "$PD"
  # the ulimits podman wants by default are above this host's hard limits
  cat >"$PD/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "$PD/cni-conf"
EOF
  export CONTAINERS_CONF="$PD/containers.conf"
  podman --root "$PD/root" --runroot "$PD/run" load -i "$(fixture_image_archive oci-archive)" >/dev/null
}

teardown_file() {
  [ -n "${PD:-}" ] || return 0
  podman --root "$PD/root" --runroot "$PD/run" rm -a -f >/dev/null 2>&1 || true
  podman --root "$PD/root" --runroot "$PD/run" system reset -f >/dev/null 2>&1 || true
}

pd() {
  podman --root "$PD/root" --runroot "$PD/run" --runtime "$CAIRN_SRC/bin/cairn-runtime" "$@"
}

@test "podman --runtime cairn-runtime run --rm prints and returns the exit code" {
  requires root cmd:podman
  run_logged pd run --rm --network none docker.io/library/busybox:latest echo ok
  [ "$status" -eq 0 ]
  [ "$output" = ok ]
  run_logged pd run --rm --network none docker.io/library/busybox:latest sh -c 'exit 3'
  [ "$status" -eq 3 ]
}

@test "podman: a detached container, exec into it, stop and rm" {
  requires root cmd:podman
  run_logged pd run -d --name "ctr-$$" --network none docker.io/library/busybox:latest sleep 100
  [ "$status" -eq 0 ]
  run_logged pd exec "ctr-$$" sh -c 'echo exec-ok; echo $$'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = exec-ok ]
  [ "${lines[1]}" -gt 1 ]
  run_logged pd inspect --format '{{.State.Status}} {{.OCIRuntime}}' "ctr-$$"
  [[ "$output" == "running "*cairn-runtime ]]
  run_logged pd stop -t 1 "ctr-$$"
  [ "$status" -eq 0 ]
  run_logged pd rm "ctr-$$"
  [ "$status" -eq 0 ]
}

@test "podman run -t gets a terminal through --console-socket" {
  requires root cmd:podman
  run_logged pd run --rm -t --network none docker.io/library/busybox:latest tty </dev/null
  [ "$status" -eq 0 ]
  [ "$(tr -d '\r' <<<"$output")" = /dev/pts/0 ]
}
