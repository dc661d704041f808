#!/usr/bin/env bats
# cairn images: docker's filters, --digests, --format; pull -a and image
# events.

load helpers

teardown() {
  if [ -n "${REGISTRY_PID:-}" ]; then registry_stop; fi
  cli_teardown
}

# spare_image: "spare:1" with label spare=1 (another image id than busybox's)
spare_image() {
  requires cmd:umoci cmd:skopeo
  cp -a "$(fixture_image)" "$T/layout"
  umoci config --image "$T/layout:latest" --config.label spare=1 --created 2025-06-01T00:00:00Z
  skopeo copy -q "oci:$T/layout:latest" "docker-archive:$T/spare.tar:spare:1"
  cairn load -i "$T/spare.tar" >/dev/null
}

@test "cairn images: --format, --digests, -q, --no-trunc and a REPOSITORY argument" {
  spare_image
  cairn tag busybox busybox:two
  run_logged cairn images --format '{{.Repository}}:{{.Tag}}'
  assert_success
  assert_line busybox:latest
  assert_line busybox:two
  assert_line spare:1
  assert_equal "${#lines[@]}" 3
  run_logged cairn images -q
  assert_equal "${#lines[@]}" 2 # one line per image id
  run_logged cairn images --no-trunc -q busybox
  assert_output --regexp '^sha256:[0-9a-f]{64}$'
  run_logged cairn images busybox:two --format '{{.Tag}}'
  assert_output two
  run_logged cairn images --digests spare
  assert_line --index 0 --regexp '^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$'
  assert_line --index 1 --regexp '^spare +1 +sha256:[0-9a-f]{64} +[0-9a-f]{12} +'
  run_logged cairn images --format 'table {{.ID}}\t{{.Size}}' spare
  assert_line --index 0 --regexp '^IMAGE ID +SIZE$'
  run_logged cairn images --format json spare
  assert_equal "$(jq -r '.Repository + " " + .Tag' <<<"$output")" "spare 1"
}

@test "cairn images -f: dangling, reference, label, before, since" {
  spare_image
  run_logged cairn images -f reference='busy*' --format '{{.Repository}}'
  assert_output busybox
  run_logged cairn images -f reference='docker.io/library/spare' --format '{{.Repository}}'
  assert_output spare
  run_logged cairn images -f label=spare=1 --format '{{.Repository}}'
  assert_output spare
  run_logged cairn images -f label=spare=2 -q
  assert_output ""
  run_logged cairn images -f dangling=true -q
  assert_output ""
  run_logged cairn images -f dangling=false --format '{{.Repository}}'
  assert_equal "${#lines[@]}" 2
  # busybox's fixture is from 2024, spare's from 2025
  run_logged cairn images -f before=spare:1 --format '{{.Repository}}'
  assert_output busybox
  run_logged cairn images -f since=busybox --format '{{.Repository}}'
  assert_output spare
  run_logged cairn images -f colour=red
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid filter 'colour'"
  run_logged cairn images -f dangling=maybe
  assert_equal "$status" 125
}

@test "cairn pull -a: every tag of a repository" {
  requires cmd:docker-registry
  registry_start
  registry_push_fixture library/multi:a >/dev/null
  registry_push_fixture library/multi:b >/dev/null
  run_logged cairn pull -a "$REGISTRY/library/multi"
  assert_success
  assert_output "$(printf '%s\n%s' "$REGISTRY/library/multi:a" "$REGISTRY/library/multi:b")"
  run_logged cairn images "$REGISTRY/library/multi" --format '{{.Tag}}'
  assert_line a
  assert_line b
  run_logged cairn pull -a "$REGISTRY/library/multi:a"
  assert_equal "$status" 125
  run_logged cairn events --since 1h --until 0s -f type=image -f event=pull --format '{{.Actor.ID}}'
  assert_output "$(printf '%s\n%s' "$REGISTRY/library/multi:a" "$REGISTRY/library/multi:b")"
}
