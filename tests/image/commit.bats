#!/usr/bin/env bats
# cairn-image commit / diff / import / save / export: making images and
# archives from what is on disk.

load ../helpers/common
load image

setup() { image_setup; }
teardown() { common_teardown; }

# A container's changes on busybox, made through a real overlay mount.
changed_bundle() {
  load_busybox
  cairn-image unpack busybox "$T/b"
  chroot "$T/b/rootfs" /bin/sh -c '
    echo hi >/root/new; ln /root/new /root/hardlink
    rm /etc/group
    rm -rf /home; mkdir /home; echo y >/home/y
    echo changed >/etc/passwd
    mkfifo /tmp/fifo'
  cairn-image umount "$T/b"
}

@test "cairn-image diff: docker diff's A, C and D lines" {
  requires root
  changed_bundle
  run_logged cairn-image diff --parent busybox "$T/b/upper"
  assert_success
  assert_output "$(printf '%s\n' 'C /etc' 'D /etc/group' 'C /etc/passwd' 'C /home' 'A /home/y' \
    'C /root' 'A /root/hardlink' 'A /root/new' 'C /tmp' 'A /tmp/fifo')"
  run_logged cairn-image diff --json --parent busybox "$T/b/upper"
  [ "$(jq -c '.[1]' <<<"$output")" = '{"Path":"/etc/group","Kind":2}' ]
}

@test "cairn-image commit: the changes become a layer the image shows" {
  requires root
  changed_bundle
  run_logged cairn-image commit "$T/b/upper" --parent busybox --tag mine:1 \
    --change 'CMD ["echo","hi"]' --message "my change" --author me
  assert_success
  [ "$(jq -r .ref <<<"$output")" = docker.io/library/mine:1 ]
  [ "$(jq -r .id <<<"$output")" = "$(image_id mine:1)" ]
  cairn-image unpack mine:1 "$T/c"
  [ "$(cat "$T/c/rootfs/root/new")" = hi ]
  [ "$(stat -c %i "$T/c/rootfs/root/new")" = "$(stat -c %i "$T/c/rootfs/root/hardlink")" ]
  [ ! -e "$T/c/rootfs/etc/group" ]
  [ ! -e "$T/c/rootfs/home/app" ]
  [ "$(cat "$T/c/rootfs/home/y")" = y ]
  [ -p "$T/c/rootfs/tmp/fifo" ]
  [ -x "$T/c/rootfs/bin/busybox" ]
  cairn-image umount "$T/c"
  run_logged cairn-image config mine:1
  [ "$(jq -c .config.Cmd <<<"$output")" = '["echo","hi"]' ]
  [ "$(jq -r '.history[-1].comment' <<<"$output")" = "my change" ]
  [ "$(jq -r .author <<<"$output")" = me ]
  [ "$(jq '.rootfs.diff_ids | length' <<<"$output")" = 2 ]
  # the layer holds OCI whiteouts
  local m l
  m="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "docker.io/library/mine:1") | .digest' "$CAIRN_ROOT/store/index.json")"
  l="$(jq -r '.layers[-1].digest' "$CAIRN_ROOT/store/blobs/sha256/${m#sha256:}")"
  run_logged tar -tzf "$CAIRN_ROOT/store/blobs/sha256/${l#sha256:}"
  assert_output "$(printf '%s\n' etc/ etc/.wh.group etc/passwd home/ home/.wh..wh..opq home/y \
    root/ root/hardlink root/new tmp/ tmp/fifo)"
}

@test "cairn-image commit: the same changes give the same layer and image" {
  requires root
  changed_bundle
  export SOURCE_DATE_EPOCH=1700000000
  local a b
  a="$(cairn-image commit "$T/b/upper" --parent busybox --tag one:1)"
  b="$(cairn-image commit "$T/b/upper" --parent busybox --tag two:1)"
  [ "$(jq -r .digest <<<"$a")" = "$(jq -r .digest <<<"$b")" ]
  [ "$(jq -r .id <<<"$a")" = "$(jq -r .id <<<"$b")" ]
}

@test "cairn-image commit: an empty upper dir adds history only; skopeo and umoci read the result" {
  requires cmd:skopeo cmd:umoci
  load_busybox
  mkdir -p "$T/empty"
  echo '{"Cmd":["/bin/true"],"Env":["X=1"]}' >"$T/cfg.json"
  run_logged cairn-image commit "$T/empty" --parent busybox --tag cfg:1 --config "$T/cfg.json"
  assert_success
  run_logged cairn-image config cfg:1
  [ "$(jq '.rootfs.diff_ids | length' <<<"$output")" = 1 ]
  [ "$(jq '.history[-1].empty_layer' <<<"$output")" = true ]
  [ "$(jq -c .config.Env <<<"$output")" = '["X=1"]' ]
  run_logged skopeo inspect "oci:$CAIRN_ROOT/store:docker.io/library/cfg:1"
  assert_success
  run_logged umoci unpack --image "$CAIRN_ROOT/store:docker.io/library/cfg:1" "$T/u"
  assert_success
}

@test "cairn-image commit: bad input leaves nothing" {
  load_busybox
  mkdir -p "$T/u" && echo x >"$T/u/x"
  local before
  before="$(store_state)"
  run_logged cairn-image commit "$T/u" --parent busybox --tag 'Bad:Tag:x'
  assert_failure 2
  run_logged cairn-image commit "$T/u" --parent nosuch --tag ok:1
  assert_failure
  [[ $stderr == *"no such image: nosuch"* ]]
  run_logged cairn-image commit "$T/nonexistent" --parent busybox --tag ok:1
  assert_failure
  echo '[1]' >"$T/cfg"
  run_logged cairn-image commit "$T/u" --parent busybox --tag ok:1 --config "$T/cfg"
  assert_failure 2
  run_logged cairn-image commit "$T/u" --parent busybox --tag ok:1 --change 'ONBUILD RUN x'
  assert_failure 2
  [ "$(store_state)" = "$before" ]
}

@test "cairn-image import: a rootfs tarball with --change" {
  tar -C "$(fixture_rootfs)" -czf "$T/rootfs.tgz" .
  run_logged cairn-image import -c 'CMD ["/bin/sh"]' -c 'ENV A=1 B="two words"' \
    -c 'EXPOSE 8080' -c 'WORKDIR /srv' "$T/rootfs.tgz" imp:1
  assert_success
  run_logged cairn-image config imp:1
  [ "$(jq -c .config <<<"$output")" = '{"Cmd":["/bin/sh"],"Env":["A=1","B=two words"],"ExposedPorts":{"8080/tcp":{}},"WorkingDir":"/srv"}' ]
  [ "$(jq -r '.history[0].comment' <<<"$output")" = "Imported from $T/rootfs.tgz" ]
  cairn-image unpack --copy imp:1 "$T/b"
  [ -x "$T/b/rootfs/bin/busybox" ]
  # from stdin, untagged
  run_logged cairn-image import - <"$T/rootfs.tgz"
  assert_success
  [ "$(jq -r .ref <<<"$output")" = null ]
  echo "not a tar" >"$T/junk"
  run_logged cairn-image import "$T/junk" x:1
  assert_failure
  assert_equal "$stderr" "cairn-image: import '$T/junk': not a tar archive"
}

@test "cairn-image save: a docker-archive that skopeo and cairn-image load read back" {
  requires cmd:skopeo
  load_busybox
  cairn-image tag busybox other:2
  run_logged cairn-image save -o "$T/s.tar" busybox other:2
  assert_success
  run_logged tar -tf "$T/s.tar"
  assert_line manifest.json
  assert_line repositories
  [ "$(tar -xOf "$T/s.tar" manifest.json | jq -c '[.[].RepoTags[0]]')" = '["docker.io/library/busybox:latest","docker.io/library/other:2"]' ]
  run_logged skopeo inspect "docker-archive:$T/s.tar:other:2"
  assert_success
  [ "$(jq -r .Layers[0] <<<"$output")" = "$(cairn-image config busybox | jq -r '.rootfs.diff_ids[0]')" ]
  CAIRN_ROOT="$T/other" run_logged cairn-image load -i "$T/s.tar"
  assert_success
  assert_output "$(printf 'Loaded image: busybox:latest\nLoaded image: other:2')"
  [ "$(CAIRN_ROOT="$T/other" image_id other:2)" = "$(image_id other:2)" ]
  # to a terminal: refused; unknown image: nothing written
  run_logged cairn-image save -o "$T/t.tar" nosuch
  assert_failure
  [ ! -e "$T/t.tar" ]
}

@test "cairn-image save: podman load accepts it" {
  requires cmd:podman
  load_busybox
  cairn-image save -o "$T/s.tar" busybox
  local p=(podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs)
  run_logged "${p[@]}" load -i "$T/s.tar"
  assert_success
  run_logged "${p[@]}" images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_output "docker.io/library/busybox:latest $(image_id busybox | cut -c8-19)"
  "${p[@]}" system reset -f >/dev/null 2>&1 || true
}

@test "cairn-image export: a rootfs as a sorted tar" {
  load_busybox
  cairn-image unpack --copy busybox "$T/b"
  run_logged cairn-image export -o "$T/e.tar" "$T/b"
  assert_success
  mkdir "$T/x" && tar -C "$T/x" -xf "$T/e.tar"
  diff -r --no-dereference "$T/b/rootfs" "$T/x"
  [ "$(tar -tf "$T/e.tar" | head -1)" = bin/ ]
}
