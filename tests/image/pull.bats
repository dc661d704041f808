#!/usr/bin/env bats
# cairn-image pull from a real docker-registry on 127.0.0.1.

load ../helpers/common
load image

setup_file() {
  registry_start
  FIXTURE_DIGEST="$(registry_push_fixture library/busybox:latest)"
  export FIXTURE_DIGEST
}
teardown_file() { registry_stop; }

setup() { image_setup; }
teardown() { common_teardown; }

# push_layout LAYOUT REF NAME:TAG: copy an OCI layout's image (all
# platforms) into the registry.
push_layout() {
  skopeo copy -q --all --dest-tls-verify=false "oci:$1:$2" "docker://$REGISTRY/$3" >&2
}

@test "cairn-image pull: the result is JSON on stdout, the image lands in the store" {
  run_logged cairn-image pull -q "$REGISTRY/library/busybox:latest"
  assert_success
  assert_equal "$stderr" ""
  [ "$(jq -r .ref <<<"$output")" = "$REGISTRY/library/busybox:latest" ]
  # the same manifest digest skopeo pushed
  [ "$(jq -r .digest <<<"$output")" = "$FIXTURE_DIGEST" ]
  [ "$(jq -r .id <<<"$output")" = "$(image_id "$REGISTRY/library/busybox")" ]
  [ "$(jq -r .config.config.Cmd[0] <<<"$output")" = sh ]
  [ -x "$(layer_dir "$REGISTRY/library/busybox" 0)/bin/busybox" ]
  run_logged cairn-image ls
  assert_line --index 1 --regexp "^$REGISTRY/library/busybox +latest "
  [ -z "$(ls -A "$CAIRN_ROOT/tmp")" ]
  # the contract of spec/README.md
  assert_json_schema "$CAIRN_SRC/spec/schema/pull-result.schema.json" <<<"$output"
}

@test "cairn-image pull: progress lines and status, as docker prints them" {
  run_logged cairn-image pull --progress=plain "$REGISTRY/library/busybox:latest"
  assert_success
  local first="${stderr%%$'\n'*}"
  assert_equal "$first" "latest: Pulling from library/busybox"
  [[ $stderr == *": Pulling fs layer"* ]]
  [[ $stderr == *": Download complete"* ]]
  [[ $stderr == *": Pull complete"* ]]
  [[ $stderr == *"Digest: $FIXTURE_DIGEST"* ]]
  [[ $stderr == *"Status: Downloaded newer image for $REGISTRY/library/busybox:latest" ]]
  # again: nothing to download
  run_logged cairn-image pull --progress=plain "$REGISTRY/library/busybox:latest"
  assert_success
  [[ $stderr != *"Pull complete"* ]]
  [[ $stderr == *"Status: Image is up to date for $REGISTRY/library/busybox:latest" ]]
}

@test "cairn-image pull: --progress=json gives one JSON event per line" {
  run_logged cairn-image pull --progress=json "$REGISTRY/library/busybox:latest"
  assert_success
  local line n=0
  while IFS= read -r line; do
    jq -e 'type == "object" and has("status")' <<<"$line" >/dev/null || fail "not an event: $line"
    n=$((n + 1))
  done <<<"$stderr"
  [ "$n" -ge 5 ]
  jq -se 'map(select(.status == "Downloading" and .progressDetail.total > 0)) | length > 0' <<<"$stderr"
  jq -se 'map(select(.status == "Pull complete")) | length == 1' <<<"$stderr"
}

@test "cairn-image pull: a tag the registry lacks gets its own error text" {
  cairn-image ls -q
  run_logged cairn-image pull -q "$REGISTRY/library/busybox:nope"
  assert_failure 1
  assert_equal "$stderr" "cairn-image: manifest for $REGISTRY/library/busybox:nope not found: manifest unknown: manifest unknown"
  [ "$(jq '.manifests | length' "$CAIRN_ROOT/store/index.json")" = 0 ]
  run_logged cairn-image pull -q "127.0.0.1:1/library/busybox:latest"
  assert_failure 1
  [[ $stderr == *"127.0.0.1"*"onnect"* ]]
  run_logged cairn-image pull -q "Bad:Ref"
  assert_failure 2
}

@test "cairn-image pull: by digest, and a digest the registry does not have" {
  run_logged cairn-image pull -q "$REGISTRY/library/busybox@$FIXTURE_DIGEST"
  assert_success
  [ "$(jq -r .digest <<<"$output")" = "$FIXTURE_DIGEST" ]
  run_logged cairn-image pull -q "$REGISTRY/library/busybox@sha256:$(printf '%064d' 1)"
  assert_failure
  [[ $stderr == *"manifest unknown"* ]]
}

@test "cairn-image pull: the platform is chosen from an index" {
  "$MKIMAGE" - --layer <(tar -C "$(fixture_rootfs)" -cf - etc) --index linux/arm64,linux/amd64 \
    --layout "$T/multi" --ref m
  push_layout "$T/multi" m test/multi:1
  run_logged cairn-image pull -q "$REGISTRY/test/multi:1"
  assert_success
  [ "$(jq -r .config.architecture <<<"$output")" = amd64 ]
  run_logged cairn-image pull -q --platform linux/arm64 "$REGISTRY/test/multi:1"
  assert_success
  [ "$(jq -r .config.architecture <<<"$output")" = arm64 ]
  run_logged cairn-image pull -q --platform linux/s390x "$REGISTRY/test/multi:1"
  assert_failure
  [[ $stderr == *"no manifest for platform linux/s390x in the index (it has: linux/arm64, linux/amd64)"* ]]
  run_logged cairn-image pull -q --platform linux "$REGISTRY/test/multi:1"
  assert_failure 2
}

@test "cairn-image pull: several layers in parallel, each extracted once" {
  local r="$T/r" i
  for i in 1 2 3 4; do
    mkdir -p "$r/$i/d$i" && head -c 300000 /dev/urandom >"$r/$i/d$i/data"
    tar -C "$r/$i" -cf "$T/$i.tar" .
  done
  "$MKIMAGE" - --layer "$T/1.tar" --layer "$T/2.tar:zstd" --layer "$T/3.tar:none" \
    --layer "$T/4.tar" --layout "$T/l" --ref x
  push_layout "$T/l" x test/four:1
  run_logged cairn-image pull --progress=plain "$REGISTRY/test/four:1"
  assert_success
  [ "$(grep -c ': Pull complete$' <<<"$stderr")" = 4 ]
  cairn-image unpack --copy "$REGISTRY/test/four:1" "$T/b"
  for i in 1 2 3 4; do cmp "$r/$i/d$i/data" "$T/b/rootfs/d$i/data"; done
  # a second image sharing layers downloads only what is new
  "$MKIMAGE" - --layer "$T/1.tar" --layer "$T/2.tar:zstd" --layout "$T/l2" --ref x
  push_layout "$T/l2" x test/two:1
  run_logged cairn-image pull --progress=plain "$REGISTRY/test/two:1"
  assert_success
  [ "$(grep -c ': Already exists$' <<<"$stderr")" = 2 ]
}

@test "cairn-image pull: an interrupted download resumes with a Range request" {
  cairn-image pull -q "$REGISTRY/library/busybox:latest" >/dev/null
  local layer blob
  layer="$(jq -r '.layers[0].digest' "$CAIRN_ROOT/store/blobs/sha256/${FIXTURE_DIGEST#sha256:}")"
  blob="$CAIRN_ROOT/store/blobs/sha256/${layer#sha256:}"
  # what a killed pull leaves: the first part of the blob
  mkdir -p "$T/save" && cp "$blob" "$T/save/blob"
  rm -rf "$CAIRN_ROOT"
  cairn-image ls -q
  head -c 400000 "$T/save/blob" >"$CAIRN_ROOT/tmp/blob-${layer#sha256:}.partial"
  run_logged cairn-image pull --progress=json "$REGISTRY/library/busybox:latest"
  assert_success
  jq -se 'map(select(.status == "Resuming" and .progressDetail.current == 400000)) | length >= 1' <<<"$stderr"
  cmp "$blob" "$T/save/blob"
  [ -z "$(ls -A "$CAIRN_ROOT/tmp")" ]
  [ -x "$(layer_dir "$REGISTRY/library/busybox" 0)/bin/busybox" ]
}

@test "cairn-image pull: a stale partial download is thrown away and fetched again" {
  cairn-image ls -q
  local layer
  layer="$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/library/busybox:latest" | jq -r '.layers[0].digest')"
  head -c 300000 /dev/urandom >"$CAIRN_ROOT/tmp/blob-${layer#sha256:}.partial"
  run_logged cairn-image pull -q "$REGISTRY/library/busybox:latest"
  assert_success
  [ -x "$(layer_dir "$REGISTRY/library/busybox" 0)/bin/busybox" ]
  [ -z "$(ls -A "$CAIRN_ROOT/tmp")" ]
}

@test "cairn-image pull: a blob the registry serves corrupted is refused, nothing kept" {
  local reg2 layer data
  # a registry of its own, whose storage we can damage
  reg2="$T/reg2"
  mkdir -p "$reg2"
  cp -a "$REGISTRY_DIR/storage" "$reg2/storage"
  sed -e "s|$REGISTRY_DIR/storage|$reg2/storage|" -e "s|$REGISTRY|127.0.0.1:$((REGISTRY_PORT + 1))|" \
    "$REGISTRY_DIR/config.yml" >"$reg2/config.yml"
  docker-registry serve "$reg2/config.yml" >"$reg2/log" 2>&1 3>&- &
  local pid=$!
  retry 50 0.1 curl -sf "http://127.0.0.1:$((REGISTRY_PORT + 1))/v2/" >/dev/null
  layer="$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/library/busybox:latest" | jq -r '.layers[0].digest')"
  data="$reg2/storage/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"
  printf 'X' | dd of="$data" bs=1 seek=1000 conv=notrunc status=none
  cairn-image ls -q
  local before
  before="$(store_state)"
  run_logged cairn-image pull -q "127.0.0.1:$((REGISTRY_PORT + 1))/library/busybox:latest"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  assert_failure
  assert_equal "$(wc -l <<<"$stderr")" 1
  [[ $stderr == *"layer $layer: "* ]]
  assert_equal "$(store_state)" "$before"
}

@test "cairn-image pull: a hostile layer from a registry is refused, nothing kept" {
  "$CAIRN_SRC/tests/hardening/make-layers.sh" "$T/corpus" "$T/outside/pwned" >/dev/null
  mkdir -p "$T/outside"
  "$MKIMAGE" - --layer "$T/corpus/symlink-escape.tar" --layout "$T/h" --ref x
  push_layout "$T/h" x test/hostile:1
  cairn-image ls -q
  local before
  before="$(store_state)"
  run_logged cairn-image pull -q "$REGISTRY/test/hostile:1"
  assert_failure
  assert_equal "$(wc -l <<<"$stderr")" 1
  [[ $stderr == *"layer sha256:"*"entry 'escape/pwned': 'escape' is a symlink"* ]]
  [ -z "$(ls -A "$T/outside")" ]
  assert_equal "$(store_state)" "$before"
}

@test "cairn-image pull: two pulls of the same image at once both succeed" {
  cairn-image pull -q "$REGISTRY/library/busybox:latest" >"$T/a" &
  local a=$!
  cairn-image pull -q "$REGISTRY/library/busybox:latest" >"$T/b" &
  local b=$!
  wait "$a"
  wait "$b"
  [ "$(jq -r .digest "$T/a")" = "$(jq -r .digest "$T/b")" ]
  [ "$(jq '.manifests | length' "$CAIRN_ROOT/store/index.json")" = 1 ]
  [ -z "$(ls -A "$CAIRN_ROOT/tmp")" ]
  run_logged skopeo inspect "oci:$CAIRN_ROOT/store:$REGISTRY/library/busybox:latest"
  assert_success
}

@test "cairn-image pull: mirrors from registries.json are tried first" {
  # the origin does not exist; the mirror (our registry) has the image
  echo "{\"nosuch.invalid:5000\": {\"mirrors\": [\"http://$REGISTRY\"]}}" >"$T/registries.json"
  CAIRN_REGISTRIES_CONF="$T/registries.json" run_logged cairn-image pull -q nosuch.invalid:5000/library/busybox:latest
  assert_success
  [ "$(jq -r .digest <<<"$output")" = "$FIXTURE_DIGEST" ]
  # a mirror that is down is skipped
  echo "{\"$REGISTRY\": {\"mirrors\": [\"http://127.0.0.1:1\"]}}" >"$T/registries.json"
  CAIRN_REGISTRIES_CONF="$T/registries.json" run_logged cairn-image pull -q "$REGISTRY/library/busybox:latest"
  assert_success
}

@test "cairn-image pull: skopeo reads what we pulled, with the same digests" {
  cairn-image pull -q "$REGISTRY/library/busybox:latest" >/dev/null
  run_logged skopeo inspect "oci:$CAIRN_ROOT/store:$REGISTRY/library/busybox:latest"
  assert_success
  [ "$(jq -r .Digest <<<"$output")" = "$FIXTURE_DIGEST" ]
  run_logged umoci unpack --image "$CAIRN_ROOT/store:$REGISTRY/library/busybox:latest" "$T/bundle"
  assert_success
}

@test "cairn-image pull: on a terminal, docker's redrawn lines" {
  requires cmd:script
  run_logged script -qefc "cairn-image pull --progress=tty $REGISTRY/library/busybox:latest >/dev/null" /dev/null
  assert_success
  [[ $output == *"latest: Pulling from library/busybox"* ]]
  [[ $output == *$'\e['*A* ]] # the layer's line is rewritten in place
  [[ $output == *"Pull complete"* ]]
  [[ $output == *"Status: Downloaded newer image for $REGISTRY/library/busybox:latest"* ]]
}
