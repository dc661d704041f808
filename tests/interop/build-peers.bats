#!/usr/bin/env bats
# cairn-build and its peers: the image cairn-build makes runs under podman
# (loaded from `--output type=docker` and `type=oci`), and a Dockerfile
# built by buildah and by cairn-build gives the same files and config.

load ../builder/helpers

setup_file() {
  local archive
  archive="$(fixture_image_archive docker-archive)" || return 1
  export BUILD_TEMPLATE="$BATS_FILE_TMPDIR/root"
  CAIRN_ROOT="$BUILD_TEMPLATE" CAIRN_RUN="$BATS_FILE_TMPDIR/run" \
    "$CAIRN_SRC/bin/cairn-image" load -i "$archive" >/dev/null || return 1
  export PD="$BATS_FILE_TMPDIR/peers"
  mkdir -p "$PD"
  # podman's default ulimits are above this host's hard limits
  cat >"$PD/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
  export CONTAINERS_CONF="$PD/containers.conf"
}

teardown_file() {
  [ -n "${PD:-}" ] || return 0
  podman --root "$PD/podman" --runroot "$PD/prun" rm -a -f >/dev/null 2>&1 || true
  podman --root "$PD/podman" --runroot "$PD/prun" system reset -f >/dev/null 2>&1 || true
  buildah --root "$PD/buildah" --runroot "$PD/brun" rmi -a -f >/dev/null 2>&1 || true
}

pd() { podman --root "$PD/podman" --runroot "$PD/prun" "$@"; }
bh() { buildah --root "$PD/buildah" --runroot "$PD/brun" "$@"; }

@test "interop: podman loads and runs what cairn-build made (docker and OCI archives)" {
  requires root cmd:podman
  echo "from the context" >"$CTX/msg"
  dockerfile 'FROM busybox
COPY msg /msg
RUN echo "built: $(cat /msg)" > /out
ENV WHO=podman
WORKDIR /srv
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /out; echo hello $WHO from $(pwd)"]'
  run_logged build -t cairn-made --output "type=docker,dest=$T/img.tar" "$CTX"
  assert_success
  run_logged pd load -i "$T/img.tar"
  assert_success
  run_logged pd run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
    docker.io/library/cairn-made:latest
  assert_success
  assert_output "built: from the context
hello podman from /srv"
  run_logged build -t cairn-oci --output "type=oci,dest=$T/oci.tar" "$CTX"
  assert_success
  run_logged pd load -i "$T/oci.tar"
  assert_success
  run_logged pd run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
    docker.io/library/cairn-oci:latest "echo oci-ok"
  assert_success
  assert_output oci-ok
}

# files DIR: one line per entry (type, mode, owner, size, path, link),
# sorted: what two images hold, without their times.
files() {
  (cd "$1" && find . -mindepth 1 -printf '%y %m %U:%G %s %p %l\n' | sed 's/^\(d [0-9]* [0-9:]*\) [0-9]* /\1 - /' | LC_ALL=C sort)
}

@test "interop: a Dockerfile built by buildah and by cairn-build gives the same files and config" {
  requires root cmd:buildah cmd:skopeo
  mkdir -p "$CTX/app/lib"
  echo main >"$CTX/app/main.sh"
  chmod 755 "$CTX/app/main.sh"
  echo lib >"$CTX/app/lib/x.txt"
  ln -s main.sh "$CTX/app/link"
  echo skip >"$CTX/app/skip.log"
  echo '*.log' >"$CTX/.dockerignore"
  echo '**/*.log' >>"$CTX/.dockerignore"
  dockerfile 'FROM docker.io/library/busybox:latest
ARG VERSION=1.2
ENV APP_VERSION=$VERSION PATH=/app:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.example.version=$VERSION maintainer=ops
WORKDIR /app
COPY app/ ./
COPY --chown=1000:1000 --chmod=640 app/lib/x.txt /data/x.txt
RUN echo "$APP_VERSION" > /app/version && mkdir -p /var/empty-dir
USER 1000
EXPOSE 8080/tcp 53/udp
VOLUME /data
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/main.sh"]
CMD ["--serve"]'
  run_logged build -t ours "$CTX"
  assert_success
  bh pull -q "oci-archive:$(fixture_image_archive oci-archive)" >/dev/null
  run_logged bh bud --isolation oci --runtime runc --network none -t theirs "$CTX"
  assert_success
  # the configs: every field a user sees in docker inspect's Config
  ours=$(cairn-image config ours | jq -S '.config | del(.Labels["io.buildah.version"])')
  theirs=$(bh inspect --type image theirs | jq .OCIv1.config |
    jq -S 'del(.Labels["io.buildah.version"])')
  # Env as a set: docker replaces a variable in place (PATH stays first),
  # buildah moves it to the end
  keys='{Env: (.Env | sort), Entrypoint, Cmd, WorkingDir, User, Labels, ExposedPorts, Volumes, StopSignal}'
  diff <(jq -S "$keys" <<<"$ours") <(jq -S "$keys" <<<"$theirs")
  # the files: both root filesystems, entry by entry
  rootfs_of ours "$T/ours"
  ctr=$(bh from theirs)
  mnt=$(bh mount "$ctr")
  files "$T/ours/rootfs" >"$T/ours.list"
  # buildah leaves its RUN mount points behind (/run, an empty
  # /etc/hostname); docker's and our layers do not have them
  files "$mnt" | grep -v -e ' \./run $' -e ' \./etc/hostname $' >"$T/theirs.list"
  bh umount "$ctr" >/dev/null
  bh rm "$ctr" >/dev/null
  diff "$T/theirs.list" "$T/ours.list"
}
