#!/usr/bin/env bats
# The store: an OCI layout at $CAIRN_ROOT/store, refs as ref.name
# annotations, and the verbs that read and name images.

load ../helpers/common
load image

setup() { image_setup; }
teardown() { common_teardown; }

@test "cairn-image store: the layout is a valid OCI image layout with full refs" {
  load_busybox
  run_logged jq -r .imageLayoutVersion "$CAIRN_ROOT/store/oci-layout"
  assert_output "1.0.0"
  run_logged jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' \
    "$CAIRN_ROOT/store/index.json"
  assert_output "docker.io/library/busybox:latest"
  # every blob's name is its digest
  local f
  for f in "$CAIRN_ROOT"/store/blobs/sha256/*; do
    [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
  done
}

@test "cairn-image ls: docker's columns, short ids, sizes" {
  load_busybox
  run_logged cairn-image ls
  assert_success
  assert_line --index 0 --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
  local id
  id="$(image_id busybox)"
  assert_line --index 1 --regexp "^busybox +latest +${id:7:12} +[0-9]+ (years|months|weeks|days) ago +[0-9.]+MB$"
  run_logged cairn-image ls -q
  assert_output "${id:7:12}"
  run_logged cairn-image ls --json
  [ "$(jq -r '.[0].Ref' <<<"$output")" = docker.io/library/busybox:latest ]
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  [ "$(jq -r '.[0].Size' <<<"$output")" -gt 1000000 ]
}

@test "cairn-image ls: a name filters, an empty store lists nothing" {
  run_logged cairn-image ls -q
  assert_success
  assert_output ""
  load_busybox
  cairn-image tag busybox other/thing:1
  run_logged cairn-image ls other/thing
  assert_success
  assert_equal "${#lines[@]}" 2
  assert_line --index 1 --regexp '^other/thing +1 '
}

@test "cairn-image tag: adds a name; the same image under both" {
  load_busybox
  run_logged cairn-image tag busybox:latest 127.0.0.1:5000/mine/bb:v1
  assert_success
  run_logged jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | sort | join(" ")' \
    "$CAIRN_ROOT/store/index.json"
  assert_output "127.0.0.1:5000/mine/bb:v1 docker.io/library/busybox:latest"
  [ "$(image_id 127.0.0.1:5000/mine/bb:v1)" = "$(image_id busybox)" ]
}

@test "cairn-image tag: bad names are refused with docker's reason" {
  load_busybox
  run_logged cairn-image tag busybox 'Bad/Name'
  assert_failure 2
  assert_equal "$(wc -l <<<"$stderr")" 1
  [[ $stderr == *"must be lowercase"* ]]
  run_logged cairn-image tag nosuch x
  assert_failure
  [[ $stderr == *"no such image: nosuch"* ]]
}

@test "cairn-image config: the stored config, whose digest is the image id" {
  load_busybox
  run_logged cairn-image config busybox
  assert_success
  [ "sha256:$(cairn-image config busybox | sha256sum | cut -d' ' -f1)" = "$(image_id busybox)" ]
  [ "$(jq -r '.config.Cmd[0]' <<<"$output")" = sh ]
  # by short id too
  local id
  id="$(image_id busybox)"
  [ "$(cairn-image config "${id:7:12}" | jq -r .os)" = linux ]
}

@test "cairn-image inspect: docker's image inspect JSON" {
  load_busybox
  run_logged cairn-image inspect busybox
  assert_success
  [ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = busybox:latest ]
  [ "$(jq -r '.[0].Os' <<<"$output")" = linux ]
  [ "$(jq -r '.[0].Architecture' <<<"$output")" = amd64 ]
  [ "$(jq -r '.[0].RootFS.Type' <<<"$output")" = layers ]
  [ "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" = sh ]
  [ "$(jq -r '.[0].Id' <<<"$output")" = "sha256:$(cairn-image config busybox | sha256sum | cut -d' ' -f1)" ]
  [ -d "$(jq -r '.[0].GraphDriver.Data.UpperDir' <<<"$output")/bin" ]
}

# twin_manifest REF: the busybox image's config and layers under a second
# manifest (other bytes: an annotation), named REF in index.json.
twin_manifest() {
  local m mt hex
  m="$(jq -r '.manifests[0].digest' "$CAIRN_ROOT/store/index.json")"
  mt="$(jq -r '.manifests[0].mediaType' "$CAIRN_ROOT/store/index.json")"
  jq -c '.annotations = {"twin": "yes"}' "$CAIRN_ROOT/store/blobs/sha256/${m#sha256:}" >"$T/twin.json"
  hex="$(sha256sum "$T/twin.json" | cut -d' ' -f1)"
  cp "$T/twin.json" "$CAIRN_ROOT/store/blobs/sha256/$hex"
  jq --arg d "sha256:$hex" --arg mt "$mt" --arg r "$1" --argjson n "$(stat -c %s "$T/twin.json")" \
    '.manifests += [{"mediaType": $mt, "digest": $d, "size": $n, "annotations": {"org.opencontainers.image.ref.name": $r}}]' \
    "$CAIRN_ROOT/store/index.json" >"$T/index.json"
  mv "$T/index.json" "$CAIRN_ROOT/store/index.json"
}

@test "cairn-image: an id whose config two manifests share is one image, picked the same way whatever the order" {
  load_busybox
  twin_manifest docker.io/library/twin:1
  local id
  id="$(image_id busybox)"
  [ "$(image_id twin:1)" = "$id" ]
  run_logged cairn-image inspect "${id:7:12}"
  assert_success
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  local first="$output"
  [ "sha256:$(cairn-image config "$id" | sha256sum | cut -d' ' -f1)" = "$id" ]
  # the same pick with index.json's entries the other way round
  jq '.manifests |= reverse' "$CAIRN_ROOT/store/index.json" >"$T/index.json"
  mv "$T/index.json" "$CAIRN_ROOT/store/index.json"
  run_logged cairn-image inspect "${id:7:12}"
  assert_success
  assert_equal "$output" "$first"
  cairn-image unpack --copy "${id:7:12}" "$T/b"
  [ -x "$T/b/rootfs/bin/busybox" ]
}

@test "cairn-image history: one row per history entry, newest first" {
  local l="$T/l"
  mkdir -p "$l/a" "$l/b" && echo 1 >"$l/a/one" && echo 2 >"$l/b/two"
  tar -C "$l/a" -cf "$T/a.tar" . && tar -C "$l/b" -cf "$T/b.tar" .
  "$MKIMAGE" "$T/img.tar" --layer "$T/a.tar" --layer "$T/b.tar" --ref test/h:1
  cairn-image load -q -i "$T/img.tar"
  run_logged cairn-image history test/h:1
  assert_success
  assert_line --index 0 --regexp '^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$'
  assert_line --index 1 --regexp "^$(image_id test/h:1 | cut -c8-19) .*mkimage layer 1 +2B"
  assert_line --index 2 --regexp '^<missing> .*mkimage layer 0 +2B'
}

@test "cairn-image rm: untags first, deletes with the last name" {
  load_busybox
  cairn-image tag busybox second:tag
  local id nblobs
  id="$(image_id busybox)"
  run_logged cairn-image rm busybox
  assert_success
  assert_output "Untagged: busybox:latest"
  [ "$(image_id second:tag)" = "$id" ]
  nblobs="$(ls "$CAIRN_ROOT/store/blobs/sha256" | wc -l)"
  [ "$nblobs" -ge 3 ]
  run_logged cairn-image rm second:tag
  assert_success
  assert_line --index 0 "Untagged: second:tag"
  assert_line --index 1 "Deleted: $id"
  run_logged cairn-image ls -q
  assert_output ""
  # its blobs and layer dirs went with it
  [ -z "$(ls "$CAIRN_ROOT/store/blobs/sha256")" ]
  [ -z "$(ls "$CAIRN_ROOT/layers/sha256")" ]
}

@test "cairn-image rm: an id named in two repositories needs -f" {
  load_busybox
  cairn-image tag busybox other:1
  local id
  id="$(image_id busybox)"
  run_logged cairn-image rm "${id:7:12}"
  assert_failure
  [[ $stderr == *"conflict: unable to delete ${id:7:12} (must be forced) - image is referenced in multiple repositories"* ]]
  run_logged cairn-image rm -f "${id:7:12}"
  assert_success
  assert_line "Untagged: busybox:latest"
  assert_line "Untagged: other:1"
  assert_line "Deleted: $id"
}

@test "cairn-image rm: an image a container uses stays unless -f" {
  load_busybox
  mkdir -p "$CAIRN_ROOT/containers/abc123def456"
  echo '{"name":"web","image":"busybox"}' >"$CAIRN_ROOT/containers/abc123def456/container.json"
  run_logged cairn-image rm busybox
  assert_failure
  [[ $stderr == *'unable to remove repository reference "busybox:latest" (must force) - container abc123def456 is using its referenced image'* ]]
  run_logged cairn-image ls -q
  [ -n "$output" ]
  run_logged cairn-image rm -f busybox
  assert_success
}

@test "cairn-image rm: an unknown image is an error, the others still go" {
  load_busybox
  cairn-image tag busybox two
  run_logged cairn-image rm nosuch two
  assert_failure 1
  [[ $stderr == *"no such image: nosuch"* ]]
  assert_output "Untagged: two:latest"
}

@test "cairn-image prune: drops untagged images and unreferenced blobs" {
  load_busybox
  "$MKIMAGE" "$T/img.tar" --layer <(tar -C "$(fixture_rootfs)" -cf - etc) \
    --ref docker.io/library/busybox:latest
  cairn-image load -q -i "$T/img.tar" # moves the tag: the old image is now untagged
  run_logged cairn-image ls
  assert_line --regexp '^<none> +<none> '
  : >"$CAIRN_ROOT/store/blobs/sha256/$(printf '%064d' 0)"
  run_logged cairn-image prune
  assert_success
  assert_line --index 0 "Deleted Images:"
  assert_line --regexp '^Total reclaimed space: [0-9.]+[kM]B$'
  run_logged cairn-image ls
  refute_line --regexp '^<none>'
  assert_line --regexp '^busybox +latest'
  [ ! -e "$CAIRN_ROOT/store/blobs/sha256/$(printf '%064d' 0)" ]
}

@test "cairn-image store: concurrent tags all land in a valid index.json" {
  load_busybox
  local i pids=()
  for i in $(seq 1 12); do
    cairn-image tag busybox "par/img:$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  run_logged jq '.manifests | length' "$CAIRN_ROOT/store/index.json"
  assert_output 13
  [ -z "$(ls -A "$CAIRN_ROOT/store" | grep -v -e '^blobs$' -e '^index.json$' -e '^oci-layout$')" ]
}

@test "cairn-image: skopeo and umoci read the store" {
  requires cmd:skopeo cmd:umoci
  load_busybox
  run_logged skopeo inspect --config "oci:$CAIRN_ROOT/store:docker.io/library/busybox:latest"
  assert_success
  [ "$(jq -r .os <<<"$output")" = linux ]
  run_logged skopeo copy "oci:$CAIRN_ROOT/store:docker.io/library/busybox:latest" "oci:$T/copy:x"
  assert_success
  run_logged umoci unpack --image "$CAIRN_ROOT/store:docker.io/library/busybox:latest" "$T/bundle"
  assert_success
  [ -x "$T/bundle/rootfs/bin/busybox" ]
}

@test "cairn-image: reads what skopeo writes into the store" {
  requires cmd:skopeo
  cairn-image ls -q # creates the store
  run_logged skopeo copy "oci:$(fixture_image):latest" "oci:$CAIRN_ROOT/store:docker.io/library/sk:1"
  assert_success
  run_logged cairn-image ls
  assert_line --index 1 --regexp '^sk +1 '
  run_logged cairn-image unpack --copy sk:1 "$T/b"
  assert_success
  [ -x "$T/b/rootfs/bin/busybox" ]
}
