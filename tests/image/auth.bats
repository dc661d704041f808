#!/usr/bin/env bats
# Credentials: login/logout and docker's config.json, Basic auth against a
# docker-registry with htpasswd, Bearer tokens, credential helpers; and the
# transport oddities a small fake registry can stage (cut connections,
# redirects to blob storage).

load ../helpers/common
load image

setup_file() {
  registry_start --auth alice s3cret
  registry_push_fixture library/busybox:latest >/dev/null
}
teardown_file() { registry_stop; }

setup() {
  image_setup
  export DOCKER_CONFIG="$T/docker"
}
teardown() {
  [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
  common_teardown
}

# fake_start [fakereg options…]: serve the busybox fixture; sets FAKE.
fake_start() {
  "$CAIRN_SRC/tests/image/fakereg.py" --layout "$(fixture_image)" --port-file "$T/port" \
    --log "$T/fake.log" "$@" 3>&- &
  FAKE_PID=$!
  retry 50 0.1 test -s "$T/port"
  FAKE="127.0.0.1:$(cat "$T/port")"
}

@test "auth: without credentials the registry's own words come back" {
  run_logged cairn-image pull -q "$REGISTRY/library/busybox:latest"
  assert_failure 1
  assert_equal "$stderr" "cairn-image: pull $REGISTRY/library/busybox:latest: unauthorized: authentication required"
}

@test "auth: login checks the password, stores it 0600 in config.json; logout removes it" {
  run_logged bash -c "echo wrong | cairn-image login -u alice --password-stdin $REGISTRY"
  assert_failure
  [[ $stderr == *"unauthorized"* ]]
  [ ! -e "$DOCKER_CONFIG/config.json" ]
  run_logged bash -c "echo s3cret | cairn-image login -u alice --password-stdin $REGISTRY"
  assert_success
  assert_output "Login Succeeded"
  [ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
  [ "$(jq -r ".auths[\"$REGISTRY\"].auth" "$DOCKER_CONFIG/config.json" | base64 -d)" = alice:s3cret ]
  run_logged cairn-image pull -q "$REGISTRY/library/busybox:latest"
  assert_success
  run_logged cairn-image logout "$REGISTRY"
  assert_output "Removing login credentials for $REGISTRY"
  [ "$(jq -r ".auths | length" "$DOCKER_CONFIG/config.json")" = 0 ]
  run_logged cairn-image logout "$REGISTRY"
  assert_output "Not logged in to $REGISTRY"
}

@test "auth: config.json written by docker (other keys kept, https:// key form)" {
  mkdir -p "$DOCKER_CONFIG"
  cat >"$DOCKER_CONFIG/config.json" <<EOF
{"auths": {"https://$REGISTRY": {"auth": "$(printf alice:s3cret | base64)"}},
 "psFormat": "table {{.ID}}", "HttpHeaders": {"X-Meta": "1"}}
EOF
  run_logged cairn-image pull -q "$REGISTRY/library/busybox:latest"
  assert_success
  echo s3cret | cairn-image login -u alice --password-stdin "$REGISTRY"
  [ "$(jq -r .psFormat "$DOCKER_CONFIG/config.json")" = "table {{.ID}}" ]
  [ "$(jq -r '.HttpHeaders["X-Meta"]' "$DOCKER_CONFIG/config.json")" = 1 ]
}

@test "auth: push needs and uses the same credentials" {
  load_busybox
  cairn-image tag busybox "$REGISTRY/mine/bb:1"
  run_logged cairn-image push -q "$REGISTRY/mine/bb:1"
  assert_failure
  [[ $stderr == *"unauthorized: authentication required"* ]]
  echo s3cret | cairn-image login -u alice --password-stdin "$REGISTRY"
  run_logged cairn-image push -q "$REGISTRY/mine/bb:1"
  assert_success
}

@test "auth: a credential helper (credsStore) supplies and stores the secret" {
  mkdir -p "$T/bin" "$DOCKER_CONFIG"
  cat >"$T/bin/docker-credential-testhelper" <<EOF
#!/bin/sh
# A file-backed helper: get|store|erase as docker's helpers speak them.
db="$T/helper.json"
case "\$1" in
  get) read -r url; [ -f "\$db" ] && jq -e --arg u "\$url" '.[\$u]' "\$db" || { echo "credentials not found in native keychain"; exit 1; } ;;
  store) [ -f "\$db" ] || echo '{}' >"\$db"; jq --argjson c "\$(cat)" '.[\$c.ServerURL] = {Username: \$c.Username, Secret: \$c.Secret}' "\$db" >"\$db.new" && mv "\$db.new" "\$db" ;;
  erase) read -r url; jq --arg u "\$url" 'del(.[\$u])' "\$db" >"\$db.new" && mv "\$db.new" "\$db" ;;
esac
EOF
  chmod +x "$T/bin/docker-credential-testhelper"
  echo '{"credsStore": "testhelper"}' >"$DOCKER_CONFIG/config.json"
  export PATH="$T/bin:$PATH"
  run_logged bash -c "echo s3cret | cairn-image login -u alice --password-stdin $REGISTRY"
  assert_success
  [ "$(jq -r ".[\"$REGISTRY\"].Secret" "$T/helper.json")" = s3cret ]
  # the secret is not in config.json
  ! grep -q s3cret "$DOCKER_CONFIG/config.json"
  run_logged cairn-image pull -q "$REGISTRY/library/busybox:latest"
  assert_success
}

@test "auth: an anonymous Bearer token from the challenge's realm" {
  fake_start --token anonymous
  run_logged cairn-image pull -q "$FAKE/library/busybox:latest"
  assert_success
  grep -q '^GET /token?scope=repository%3Alibrary%2Fbusybox%3Apull&service=fakereg ' "$T/fake.log"
  grep -q '^GET /v2/library/busybox/blobs/.* auth=Bearer$' "$T/fake.log"
}

@test "auth: a Bearer token fetched with Basic credentials" {
  fake_start --token bob:pw
  run_logged cairn-image pull -q "$FAKE/library/busybox:latest"
  assert_failure
  [[ $stderr == *"get a token from http://$FAKE/token: unauthorized: bad credentials"* ]]
  mkdir -p "$DOCKER_CONFIG"
  echo "{\"auths\": {\"$FAKE\": {\"auth\": \"$(printf bob:pw | base64)\"}}}" >"$DOCKER_CONFIG/config.json"
  run_logged cairn-image pull -q "$FAKE/library/busybox:latest"
  assert_success
}

@test "auth: a token that expires mid-pull is renewed and the pull goes on" {
  # Each token is good for one request: the config request and the layer
  # download (each its own code path) both meet an expired token.
  fake_start --token anonymous --token-uses 1
  run_logged cairn-image pull -q "$FAKE/library/busybox:latest"
  assert_success
  [ "$(grep -c '^GET /token' "$T/fake.log")" -eq 3 ]
  grep -q '^GET /v2/library/busybox/blobs/.* auth=Bearer$' "$T/fake.log"
  cairn-image unpack --copy "$FAKE/library/busybox:latest" "$T/b"
  [ -x "$T/b/rootfs/bin/busybox" ]
}

@test "auth: a token refused at once is renewed only once, then the registry's error" {
  fake_start --token anonymous --token-uses 0
  run_logged cairn-image pull -q "$FAKE/library/busybox:latest"
  assert_failure 1
  assert_equal "$stderr" "cairn-image: pull $FAKE/library/busybox:latest: unauthorized: authentication required"
  [ "$(grep -c '^GET /token' "$T/fake.log")" -eq 1 ]
  [ "$(jq '.manifests | length' "$CAIRN_ROOT/store/index.json")" -eq 0 ]
}

@test "transport: pulling a present tag asks one HEAD; by digest, nothing" {
  fake_start
  run_logged cairn-image pull -q "$FAKE/library/busybox:latest"
  assert_success
  digest="$(echo "$output" | jq -r .digest)"
  : >"$T/fake.log"
  run_logged cairn-image pull "$FAKE/library/busybox:latest"
  assert_success
  [[ $stderr == *"Status: Image is up to date for $FAKE/library/busybox:latest"* ]]
  [ "$(echo "$output" | jq -r .digest)" = "$digest" ]
  assert_equal "$(cut -d' ' -f1,2 "$T/fake.log")" "HEAD /v2/library/busybox/manifests/latest"
  : >"$T/fake.log"
  run_logged cairn-image pull -q "$FAKE/library/busybox@$digest"
  assert_success
  [ ! -s "$T/fake.log" ]
}

@test "transport: --policy missing and never answer from the store, without the network" {
  fake_start
  run_logged cairn-image pull -q --policy missing "$FAKE/library/busybox:latest"
  assert_success
  grep -q '^GET /v2/library/busybox/blobs/' "$T/fake.log"
  local digest
  digest="$(echo "$output" | jq -r .digest)"
  : >"$T/fake.log"
  run_logged cairn-image pull --policy missing "$FAKE/library/busybox:latest"
  assert_success
  [ "$(echo "$output" | jq -r .digest)" = "$digest" ]
  [[ $stderr == *"Status: Image is up to date for $FAKE/library/busybox:latest"* ]]
  run_logged cairn-image pull -q --policy never "$FAKE/library/busybox:latest"
  assert_success
  [ "$(echo "$output" | jq -r .digest)" = "$digest" ]
  [ ! -s "$T/fake.log" ]
  run_logged cairn-image pull -q --policy never "$FAKE/library/other:1"
  assert_failure 1
  assert_equal "$stderr" "cairn-image: $FAKE/library/other:1: not in the store, and --policy never"
  [ ! -s "$T/fake.log" ]
  run_logged cairn-image pull --policy sometimes "$FAKE/library/busybox:latest"
  assert_failure 2
  assert_equal "$stderr" "cairn-image: --policy: expected always, missing or never, not 'sometimes'"
}

@test "transport: a connection cut mid-blob is resumed with a Range request" {
  fake_start --cut-after 100000
  run_logged cairn-image pull --progress=json "$FAKE/library/busybox:latest"
  assert_success
  grep -Eq '^GET /v2/library/busybox/blobs/sha256:[0-9a-f]+ range=bytes=100000- ' "$T/fake.log"
  cairn-image unpack --copy "$FAKE/library/busybox:latest" "$T/b"
  [ -x "$T/b/rootfs/bin/busybox" ]
}

@test "transport: blobs redirected to storage elsewhere" {
  fake_start --redirect
  run_logged cairn-image pull -q "$FAKE/library/busybox:latest"
  assert_success
  grep -q '^GET /storage/sha256:' "$T/fake.log"
}
