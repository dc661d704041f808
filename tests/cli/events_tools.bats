#!/usr/bin/env bats
# The event journal is the tools': cairn-image, cairn-net and cairn-shim
# append their own events to $CAIRN_EVENTS (else $CAIRN_ROOT/events.jsonl)
# when run alone, and under cairn each event is written exactly once.

load helpers

teardown() {
  if [ -n "${REGISTRY_PID:-}" ]; then registry_stop; fi
  cli_teardown
}

# journal [FILE]: Type Action Actor.ID name, one line per event
journal() { jq -r '[.Type, .Action, .Actor.ID, .Actor.Attributes.name] | join(" ")' "${1:-$CAIRN_ROOT/events.jsonl}"; }

@test "cairn-image alone journals tag, untag, delete, save, load and import as docker does" {
  img=$(cairn inspect --type image -f '{{.Id}}' busybox)
  cairn-image tag busybox solo:1
  cairn-image save -o "$T/solo.tar" solo:1 >/dev/null
  cairn-image rm solo:1 >/dev/null
  cairn-image load -i "$T/solo.tar" >/dev/null
  tar -C "$(fixture_rootfs)" -cf "$T/root.tar" .
  new=$(cairn-image import "$T/root.tar" | jq -r .id)
  run_logged journal
  assert_output "$(printf '%s\n' "image tag $img solo:1" "image save $img $img" \
    "image untag $img $img" "image load $img $img" "image import $new $new")"
  # the journal's contract, whoever wrote it
  while IFS= read -r line; do
    assert_json_schema "$CAIRN_SRC/spec/schema/event.schema.json" <<<"$line"
  done <"$CAIRN_ROOT/events.jsonl"
  # cairn reads them back like its own
  run_logged cairn events --since 1h --until 0s -f type=image -f event=load --format '{{.Actor.ID}}'
  assert_output "$img"
}

@test "CAIRN_EVENTS moves the journal, and set empty turns it off" {
  CAIRN_EVENTS="$T/elsewhere/ev.jsonl" cairn-image tag busybox moved:1
  [ ! -e "$CAIRN_ROOT/events.jsonl" ]
  assert_equal "$(jq -r .Action "$T/elsewhere/ev.jsonl")" tag
  CAIRN_EVENTS= cairn-image tag busybox quiet:1
  CAIRN_EVENTS= cairn volume create quietvol >/dev/null
  [ ! -e "$CAIRN_ROOT/events.jsonl" ]
  assert_equal "$(wc -l <"$T/elsewhere/ev.jsonl")" 1
  # cairn reads and writes the same journal as its tools
  CAIRN_EVENTS="$T/elsewhere/ev.jsonl" cairn rmi moved:1 >/dev/null
  run_logged env CAIRN_EVENTS="$T/elsewhere/ev.jsonl" cairn events --since 1h --until 0s --format '{{.Action}}'
  assert_output "$(printf 'tag\nuntag')"
}

@test "cairn-net alone journals network create, connect, disconnect and destroy" {
  oct=$(((OCT + 91) % 200 + 20))
  EXTRA_BR="${BR:0:11}n" EXTRA_TABLE="${TABLE}n"
  cairn-net create solonet --subnet "10.196.$oct.0/24" --bridge "$EXTRA_BR" --nft-table "$EXTRA_TABLE" >/dev/null
  ip netns add "cev$TID"
  cairn-net add solonet box1 "/run/netns/cev$TID" >/dev/null
  cairn-net del solonet box1 "/run/netns/cev$TID"
  cairn-net del solonet box1 "/run/netns/cev$TID" # already detached: no second event
  ip netns del "cev$TID"
  cairn-net rm solonet >/dev/null
  # without cairn's record the id is derived from the name, as cairn shows it
  nid=$(printf 'cairn network solonet' | sha256sum | cut -d' ' -f1)
  run_logged jq -r '[.Action, .Actor.ID, .Actor.Attributes.name, .Actor.Attributes.type, (.Actor.Attributes.container // "-")] | join(" ")' "$CAIRN_ROOT/events.jsonl"
  assert_output "$(printf '%s\n' "create $nid solonet bridge -" "connect $nid solonet bridge box1" \
    "disconnect $nid solonet bridge box1" "destroy $nid solonet bridge -")"
  run_logged cairn-net create bad --id XYZ
  assert_equal "$status" 2
  assert_equal "$stderr" "cairn-net: create: invalid --id 'XYZ' (64 lowercase hex digits)"
}

@test "under cairn each event is in the journal once" {
  requires cmd:docker-registry
  registry_start
  cairn tag busybox "$REGISTRY/once/app:1"
  cairn push -q "$REGISTRY/once/app:1" >/dev/null
  cairn rmi "$REGISTRY/once/app:1" >/dev/null
  cairn pull -q "$REGISTRY/once/app:1" >/dev/null
  # present: run does not pull again, and makes no pull event
  cairn run --rm --name once "$REGISTRY/once/app:1" true
  oct=$(((OCT + 37) % 200 + 20))
  EXTRA_BR="${BR:0:11}o" EXTRA_TABLE="${TABLE}o"
  cairn network create --subnet "10.197.$oct.0/24" --bridge "$EXTRA_BR" --nft-table "$EXTRA_TABLE" oncenet >/dev/null
  cairn network rm oncenet >/dev/null
  run_logged cairn events --since 1h --until 0s --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
  assert_output "$(printf '%s\n' "image tag $REGISTRY/once/app:1" "image push $REGISTRY/once/app" \
    "image untag sha256:"'*' "image pull $REGISTRY/once/app" \
    "container create once" "network connect cairn" "container attach once" "container start once" \
    "container die once" "network disconnect cairn" "container destroy once" \
    "network create oncenet" "network destroy oncenet" | sed 's/sha256:\*/'"$(cairn inspect --type image -f '{{.Id}}' "$REGISTRY/once/app:1")/")"
  run_logged cairn events --since 1h --until 0s -f event=push --format '{{.Actor.ID}}'
  assert_output "$REGISTRY/once/app:1"
}
