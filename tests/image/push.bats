#!/usr/bin/env bats
# cairn-image push, tags, and interop with skopeo through a real registry.

load ../helpers/common
load image

setup_file() { registry_start; }
teardown_file() { registry_stop; }

setup() { image_setup; }
teardown() { common_teardown; }

# A fresh image (random content, so no blob is in the registry yet) as NAME.
random_image() {
  mkdir -p "$T/rnd" && head -c 700000 /dev/urandom >"$T/rnd/data"
  tar -C "$T/rnd" -cf "$T/rnd.tar" .
  "$MKIMAGE" "$T/rnd-img.tar" --layer "$T/rnd.tar" --ref "$1"
  cairn-image load -q -i "$T/rnd-img.tar"
}

@test "cairn-image push: skopeo pulls what we push, with the same manifest digest" {
  load_busybox
  cairn-image tag busybox "$REGISTRY/mine/bb:v1"
  run_logged cairn-image push --progress=plain "$REGISTRY/mine/bb:v1"
  assert_success
  local ours
  ours="$(jq -r .digest <<<"$output")"
  [ "$ours" = "$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "docker.io/library/busybox:latest") | .digest' "$CAIRN_ROOT/store/index.json")" ]
  [[ $stderr == "The push refers to repository [$REGISTRY/mine/bb]"* ]]
  [[ $stderr == *": Pushed"* ]]
  [[ $stderr == *"v1: digest: $ours size: "* ]]
  run_logged skopeo inspect --tls-verify=false "docker://$REGISTRY/mine/bb:v1"
  assert_success
  [ "$(jq -r .Digest <<<"$output")" = "$ours" ]
  run_logged skopeo copy -q --src-tls-verify=false "docker://$REGISTRY/mine/bb:v1" "oci:$T/copy:x"
  assert_success
}

# A fresh image of N layers (random content each) as NAME.
random_layers() {
  local name=$1 n=$2 i
  local -a args=()
  for ((i = 0; i < n; i++)); do
    mkdir -p "$T/l$i" && head -c $((300000 + i * 100000)) /dev/urandom >"$T/l$i/data$i"
    tar -C "$T/l$i" -cf "$T/l$i.tar" .
    args+=(--layer "$T/l$i.tar")
  done
  "$MKIMAGE" "$T/multi.tar" "${args[@]}" --ref "$name"
  cairn-image load -q -i "$T/multi.tar"
}

@test "cairn-image push: a multi-layer image goes up whole; a second push uploads nothing" {
  random_layers "$REGISTRY/mine/multi:1" 4
  run_logged cairn-image push --progress=plain --max-concurrent-uploads 3 "$REGISTRY/mine/multi:1"
  assert_success
  local ours
  ours="$(jq -r .digest <<<"$output")"
  [ "$(grep -c ': Pushed$' <<<"$stderr")" = 5 ] # 4 layers and the config
  run_logged skopeo copy -q --src-tls-verify=false --digestfile "$T/dg" \
    "docker://$REGISTRY/mine/multi:1" "oci:$T/back:x"
  assert_success
  [ "$(cat "$T/dg")" = "$ours" ]
  local d
  for d in $(jq -r '.layers[].digest' "$T/back/blobs/sha256/${ours#sha256:}"); do
    cmp "$T/back/blobs/sha256/${d#sha256:}" "$CAIRN_ROOT/store/blobs/sha256/${d#sha256:}"
  done
  # again: every blob is found by HEAD, none goes up
  run_logged cairn-image push --progress=json "$REGISTRY/mine/multi:1"
  assert_success
  [ "$(grep -c '"status":"Layer already exists"' <<<"$stderr")" = 5 ]
  refute_line --partial '"Pushing"'
  refute_line --partial '"Pushed"'
  [ "$(jq -r .digest <<<"$output")" = "$ours" ]
}

@test "cairn-image push: --max-concurrent-uploads out of range" {
  run_logged cairn-image push --max-concurrent-uploads 0 "$REGISTRY/mine/multi:1"
  assert_failure 2
  assert_equal "$stderr" "cairn-image: --max-concurrent-uploads: expected 1 to 64, not '0'"
}

@test "cairn-image push: blobs the registry has are skipped" {
  random_image "$REGISTRY/mine/rnd:1"
  cairn-image push -q "$REGISTRY/mine/rnd:1"
  run_logged cairn-image push --progress=plain "$REGISTRY/mine/rnd:1"
  assert_success
  [ "$(grep -c ': Layer already exists$' <<<"$stderr")" = 2 ]
  refute_line --partial Pushed
}

@test "cairn-image push: a blob another repository has is mounted, not uploaded" {
  random_image "$REGISTRY/one/img:1"
  cairn-image push -q "$REGISTRY/one/img:1"
  cairn-image tag "$REGISTRY/one/img:1" "$REGISTRY/two/img:1"
  run_logged cairn-image push --progress=plain "$REGISTRY/two/img:1"
  assert_success
  [[ $stderr == *": Mounted from one/img"* ]]
  run_logged skopeo inspect --tls-verify=false "docker://$REGISTRY/two/img:1"
  assert_success
}

@test "cairn-image push: big blobs go up in chunks" {
  random_image "$REGISTRY/mine/chunks:1"
  run_logged cairn-image push -q --chunk-size 200k "$REGISTRY/mine/chunks:1"
  assert_success
  # the registry holds exactly our blob
  local layer
  layer="$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/mine/chunks:1" | jq -r '.layers[0].digest')"
  skopeo copy -q --src-tls-verify=false "docker://$REGISTRY/mine/chunks:1" "oci:$T/back:x"
  cmp "$T/back/blobs/sha256/${layer#sha256:}" "$CAIRN_ROOT/store/blobs/sha256/${layer#sha256:}"
}

@test "cairn-image push: an image skopeo pushed comes back equal through us" {
  local d
  d="$(registry_push_fixture sk/bb:1)"
  cairn-image pull -q "$REGISTRY/sk/bb:1" >/dev/null
  cairn-image tag "$REGISTRY/sk/bb:1" "$REGISTRY/sk/again:2"
  run_logged cairn-image push -q "$REGISTRY/sk/again:2"
  assert_success
  [ "$(jq -r .digest <<<"$output")" = "$d" ]
}

@test "cairn-image push: an unknown image, an unreachable registry" {
  run_logged cairn-image push -q "$REGISTRY/nothing/here:1"
  assert_failure
  [[ $stderr == *"no such image"* ]]
  load_busybox
  cairn-image tag busybox 127.0.0.1:1/x:1
  run_logged cairn-image push -q 127.0.0.1:1/x:1
  assert_failure
  assert_equal "$(wc -l <<<"$stderr")" 1
  [[ $stderr == *"push 127.0.0.1:1/x:1: "*"127.0.0.1"* ]]
}

@test "cairn-image tags: the repository's tags, one per line or JSON" {
  load_busybox
  cairn-image tag busybox "$REGISTRY/tagged/bb:a"
  cairn-image tag busybox "$REGISTRY/tagged/bb:b"
  cairn-image push -q "$REGISTRY/tagged/bb:a" >/dev/null
  cairn-image push -q "$REGISTRY/tagged/bb:b" >/dev/null
  run_logged cairn-image tags "$REGISTRY/tagged/bb"
  assert_success
  assert_output "$(printf 'a\nb')"
  run_logged cairn-image tags --json "$REGISTRY/tagged/bb"
  assert_output '["a","b"]'
  run_logged cairn-image tags "$REGISTRY/none/here"
  assert_failure
  [[ $stderr == *"name unknown"* ]]
}
