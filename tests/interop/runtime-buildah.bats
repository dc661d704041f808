#!/usr/bin/env bats
# cairn-runtime under buildah: a RUN step of a build with --isolation oci
# and --runtime pointing at a wrapper that records how it is called.

load ../helpers/common

@test "buildah bud --runtime cairn-runtime runs a RUN step" {
  requires root cmd:buildah
  D="$T/buildah"
  mkdir -p "$D/ctx"
  # the host's hard limits are below buildah's default ulimits
  cat >"$D/containers.conf" <<EOT
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
EOT
  export CONTAINERS_CONF="$D/containers.conf"
  printf '#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' "$D/calls" "$CAIRN_SRC/bin/cairn-runtime" >"$D/rt"
  chmod +x "$D/rt"
  b() { buildah --root "$D/root" --runroot "$D/run" "$@"; }
  b pull -q "oci-archive:$(fixture_image_archive oci-archive)" >/dev/null
  printf 'FROM docker.io/library/busybox:latest\nRUN echo built-by-cairn > /marker && cat /marker\n' >"$D/ctx/Containerfile"
  run_logged b bud --isolation oci --runtime "$D/rt" -t built "$D/ctx"
  [ "$status" -eq 0 ]
  [[ "$output" == *built-by-cairn* ]]
  grep -Eq '(^| )(run|create) ' "$D/calls"
  run_logged b from --name "w-$$" localhost/built:latest
  mnt="$(b mount "w-$$")"
  [ "$(cat "$mnt/marker")" = built-by-cairn ]
  b umount "w-$$" >/dev/null
  b rm "w-$$" >/dev/null
  b rmi -a -f >/dev/null 2>&1 || true
}
