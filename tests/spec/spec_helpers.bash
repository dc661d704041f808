# spec_helpers.bash — shared by tests/spec/*.bats: a bundle made from the
# busybox fixture, config.json from cairn-spec, and the container run under
# Debian's runc (or crun), deleted again in teardown.

load ../helpers/common

# A small image config like `skopeo inspect --config` prints.
spec_image_config() {
  cat >"$1" <<'JSON'
{
  "architecture": "amd64",
  "os": "linux",
  "created": "2024-01-01T00:00:00Z",
  "config": {
    "Cmd": ["sh"],
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "FROM_IMAGE=yes", "SHARED=image"],
    "WorkingDir": "/home",
    "Labels": {"org.example": "x"}
  },
  "rootfs": {"type": "layers", "diff_ids": []}
}
JSON
}

setup() {
  common_setup
  requires root cmd:runc
  CID="cairn-spec-$BATS_TEST_NUMBER-$$"
  IMG="$T/image.json"
  BUNDLE="$T/bundle"
  spec_image_config "$IMG"
  fixture_rootfs_copy "$BUNDLE/rootfs"
}

teardown() {
  if [ -n "${CID:-}" ]; then
    runc --root "$T/runc" delete -f "$CID" >/dev/null 2>&1 || true
    if [ -d "$T/crun" ]; then
      crun_cmd delete -f "$CID" >/dev/null 2>&1 || true
    fi
  fi
  common_teardown
}

# gen FLAGS… [-- CMD…]: config.json for the bundle (fails the test on error).
gen() {
  cairn-spec --image-config "$IMG" --rootfs "$BUNDLE/rootfs" "$@" >"$BUNDLE/config.json"
}

# ctr FLAGS… -- CMD…: gen, then run the container under runc; status,
# output (stdout) and stderr as run_logged leaves them.
ctr() {
  gen "$@" || return 1
  run_logged runc --root "$T/runc" run -b "$BUNDLE" "$CID"
}

# crun refuses hybrid cgroups: run it in a private mount namespace where
# the cgroup2 mount is gone, so it sees plain v1.
crun_cmd() {
  # shellcheck disable=SC2016 # $0 and $@ expand in the inner shell
  unshare -m --propagation private sh -c \
    'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root "$0" "$@"' "$T/crun" "$@"
}

ctr_crun() {
  gen "$@" || return 1
  mkdir -p "$T/crun"
  run_logged crun_cmd run -b "$BUNDLE" "$CID"
}

# cfg JQ: query the generated config.json.
cfg() {
  jq -c "$1" "$BUNDLE/config.json"
}
