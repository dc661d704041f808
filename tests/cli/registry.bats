#!/usr/bin/env bats
# cairn login, logout, push and search against a local docker-registry with
# basic auth (an htpasswd file made by the helper).

load helpers

setup() {
  cli_setup
  requires cmd:docker-registry cmd:htpasswd
  export DOCKER_CONFIG="$T/docker"
  registry_start --auth tester s3cret
}

teardown() {
  if [ -n "${REGISTRY_PID:-}" ]; then registry_stop; fi
  cli_teardown
}

@test "cairn login/logout: a wrong password is refused; the right one is stored, then removed" {
  run_logged cairn login -u tester -p wrong "$REGISTRY"
  assert_failure
  [ ! -s "$DOCKER_CONFIG/config.json" ] || ! jq -e --arg r "$REGISTRY" '.auths[$r]' "$DOCKER_CONFIG/config.json"
  run_logged cairn login -u tester --password-stdin "$REGISTRY" <<<"s3cret"
  assert_success
  assert_output "Login Succeeded"
  jq -e --arg r "$REGISTRY" '.auths[$r].auth' "$DOCKER_CONFIG/config.json" >/dev/null
  [ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
  run_logged cairn logout "$REGISTRY"
  assert_success
  assert_output "Removing login credentials for $REGISTRY"
  ! jq -e --arg r "$REGISTRY" '.auths[$r]' "$DOCKER_CONFIG/config.json" >/dev/null
}

@test "cairn push: refused without login; after login the image round-trips" {
  cairn tag busybox "$REGISTRY/team/app:1"
  run_logged cairn push "$REGISTRY/team/app:1"
  assert_failure
  [[ $stderr == *"401"* || $stderr == *"unauthorized"* || $stderr == *"authentication"* ]] || fail "$stderr"
  run_logged cairn login -u tester -p s3cret "$REGISTRY"
  assert_success
  [[ $stderr == *"WARNING! Using --password via the CLI is insecure"* ]]
  run_logged cairn push "$REGISTRY/team/app:1"
  assert_success
  [[ $stderr == *"1: digest: sha256:"* ]] || fail "no digest line: $stderr"
  run_logged cairn push -q "$REGISTRY/team/app:1"
  assert_output "$REGISTRY/team/app:1"
  id=$(cairn inspect --type image -f '{{.Id}}' busybox)
  cairn rmi "$REGISTRY/team/app:1" >/dev/null
  run_logged cairn pull "$REGISTRY/team/app:1"
  assert_success
  assert_equal "$(cairn inspect --type image -f '{{.Id}}' "$REGISTRY/team/app:1")" "$id"
  run_logged cairn run --rm "$REGISTRY/team/app:1" echo pushed-and-pulled
  assert_output pushed-and-pulled
}

@test "cairn search: the registry's catalog, filtered by name" {
  cairn login -u tester -p s3cret "$REGISTRY" 2>/dev/null
  for r in team/web team/webapp other/db; do
    cairn tag busybox "$REGISTRY/$r:1"
    cairn push -q "$REGISTRY/$r:1" >/dev/null 2>&1
  done
  run_logged cairn search "$REGISTRY/web"
  assert_success
  assert_line --index 0 --regexp '^NAME +DESCRIPTION +STARS +OFFICIAL$'
  assert_line --index 1 --regexp "^$REGISTRY/team/web +0 *\$"
  assert_line --index 2 --regexp "^$REGISTRY/team/webapp +0 *\$"
  assert_equal "${#lines[@]}" 3
  run_logged cairn search --format '{{.Name}}' --limit 1 "$REGISTRY/team"
  assert_output "$REGISTRY/team/web"
  run_logged cairn search -f stars=3 --format '{{.Name}}' "$REGISTRY/db"
  assert_output ""
  run_logged cairn search --format '{{.Name}}' "$REGISTRY/db"
  assert_output "$REGISTRY/other/db"
  run_logged cairn search busybox
  assert_equal "$status" 125
  [[ $stderr == "cairn: search needs a registry that serves a catalog"* ]]
  run_logged cairn search --limit 0 "$REGISTRY/x"
  assert_equal "$status" 125
  run_logged cairn logout "$REGISTRY"
  run_logged cairn search "$REGISTRY/web"
  assert_failure
}
