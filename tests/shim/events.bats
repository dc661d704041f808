#!/usr/bin/env bats
# cairn-shim --events: the container events only the shim sees (restarts,
# stop's kills, health changes), appended to an event journal in docker's
# shape, with --event-attrs as Actor.Attributes.

load helpers

# ev: Action ID name from exitCode|signal, one line per event
ev() { jq -r '[.Action, .Actor.ID, .Actor.Attributes.name, .from, (.Actor.Attributes.exitCode // .Actor.Attributes.signal // "-")] | join(" ")' "$T/j.jsonl"; }

@test "cairn-shim --events: each start, and the die of each exit it restarts from (not the last)" {
  make_bundle sh -c 'exit 3'
  start_shim --restart on-failure:2 --events "$T/j.jsonl" --event-attrs '{"name":"solo","image":"img:1","team":"x"}'
  assert_success
  wait_done
  run_logged ev
  assert_output "$(printf '%s\n' "start $ID solo img:1 -" "die $ID solo img:1 3" \
    "start $ID solo img:1 -" "die $ID solo img:1 3" "start $ID solo img:1 -")"
  jq -e -s 'all(.[]; .Type == "container" and .scope == "local" and .status == .Action and
    .Actor.Attributes.team == "x" and .timeNano >= .time * 1000000000)' "$T/j.jsonl"
  while IFS= read -r line; do
    assert_json_schema "$CAIRN_SRC/spec/schema/event.schema.json" <<<"$line"
  done <"$T/j.jsonl"
}

@test "cairn-shim --events: a stop journals its signals as kill events; ctl name renames" {
  make_bundle sh -c 'trap "" TERM; while :; do sleep 1; done'
  start_shim --events "$T/j.jsonl" --event-attrs '{"name":"old"}'
  assert_success
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" name new
  assert_output ok
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" stop 300ms
  assert_output ok
  wait_done
  run_logged ev
  assert_output "$(printf '%s\n' "start $ID old  -" "kill $ID new  15" "kill $ID new  9")"
}

@test "cairn-shim --events: health_status events on each change of status" {
  make_bundle sh -c 'sleep 300'
  start_shim --events "$T/j.jsonl" --health-cmd 'test -e /dev/shm/ok' --health-interval 100ms --health-retries 1
  assert_success
  retry 100 0.1 sh -c "jq -e '.Status == \"unhealthy\"' '$STATE/health.json' >/dev/null"
  rt exec "$ID" touch /dev/shm/ok
  retry 100 0.1 sh -c "jq -e '.Status == \"healthy\"' '$STATE/health.json' >/dev/null"
  run_logged "$CLIENT" ctl "$STATE/ctl.sock" stop 0
  wait_done
  run_logged jq -r 'select(.Action | startswith("health_status")) | .Action' "$T/j.jsonl"
  assert_output "$(printf 'health_status: unhealthy\nhealth_status: healthy')"
}

@test "cairn-shim --event-attrs: not an object of strings is a usage error" {
  make_bundle true
  run_logged shim --events "$T/j.jsonl" --event-attrs '{"name":1}'
  assert_equal "$status" 2
  assert_output '{"error":{"code":"usage","msg":"invalid --event-attrs: \"name\" is not a string"}}'
  run_logged shim --event-attrs '[1]'
  assert_equal "$status" 2
  [ ! -e "$T/j.jsonl" ]
}
