#!/usr/bin/env bats
# cairn events: the journal $CAIRN_ROOT/events.jsonl that cairn appends to,
# read back with docker's filters, formats and time bounds, and followed.

load helpers

FOLLOWER=

teardown() {
  if [ -n "$FOLLOWER" ]; then kill "$FOLLOWER" 2>/dev/null || true; wait "$FOLLOWER" 2>/dev/null || true; fi
  cli_teardown
}

# has_line FILE TEXT
has_line() { grep -qxF "$2" "$1"; }

@test "cairn events: a container's life, in order, with docker's attributes" {
  cairn run --name life busybox sh -c 'exit 3' || true
  cairn rename life life2
  cairn rm life2 >/dev/null
  id=$(jq -r 'select(.Action == "create") | .id' "$CAIRN_ROOT/events.jsonl")
  run_logged cairn events --since 1h --until 0s --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
  assert_success
  # docker's order: the network is connected before the start, the
  # foreground run attaches, and the network goes with the container's end
  assert_output "$(printf '%s\n' 'container create life' 'network connect cairn' 'container attach life' \
    'container start life' 'container die life' 'network disconnect cairn' 'container rename life2' \
    'container destroy life2')"
  run_logged cairn events --since 1h --until 0s -f event=die
  assert_output --regexp "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2}) container die $id \(exitCode=3, image=busybox, name=life\)\$"
  run_logged cairn events --since 1h --until 0s -f event=rename --format '{{json .}}'
  assert_equal "$(jq -r '.status + " " + .from + " " + .Actor.Attributes.oldName + " " + (.time|tostring)' <<<"$output")" \
    "rename busybox life $(jq -r 'select(.Action == "rename") | .time' "$CAIRN_ROOT/events.jsonl")"
  # the journal: one JSON object per line
  jq -e -s 'length == 8 and all(.[]; .Type and .Action and .Actor.ID and .timeNano)' "$CAIRN_ROOT/events.jsonl"
}

@test "cairn events: filters by type, container, image and label; the same key twice is either" {
  cairn create --name ca --label team=x busybox true >/dev/null
  cairn create --name cb busybox true >/dev/null
  cairn volume create vol >/dev/null
  cairn tag busybox other:1
  cairn rmi other:1 >/dev/null
  ev() { cairn events --since 1h --until 0s --format '{{.Type}} {{.Action}} {{.Actor.ID}}' "$@"; }
  run_logged ev -f container=ca
  assert_output "container create $(cid ca)"
  run_logged ev -f container=ca -f container=cb -f event=create
  assert_equal "${#lines[@]}" 2
  run_logged ev -f type=volume
  assert_output "volume create vol"
  # docker's: both name the image by its id; the tag's name is the new tag
  img=$(cairn inspect --type image -f '{{.Id}}' busybox)
  run_logged ev -f type=image
  assert_output "$(printf 'image tag %s\nimage untag %s' "$img" "$img")"
  run_logged cairn events --since 1h --until 0s -f event=tag --format '{{.Actor.Attributes.name}}'
  assert_output other:1
  run_logged ev -f image=busybox -f type=container
  assert_equal "${#lines[@]}" 2
  run_logged ev -f label=team=x
  assert_output "container create $(cid ca)"
  run_logged ev -f type=network
  assert_output ""
  run_logged cairn events -f colour=red
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid filter 'colour'"
  run_logged cairn events --since yesterday
  assert_equal "$status" 125
  [[ $stderr == "cairn: invalid time 'yesterday'"* ]]
}

@test "cairn events: --since and --until bound the times" {
  cairn volume create early >/dev/null
  mid=$(date +%s.%N)
  sleep 0.05
  cairn volume create late >/dev/null
  run_logged cairn events --until "$mid" --format '{{.Actor.ID}}'
  assert_output early
  run_logged cairn events --since "$mid" --until 0s --format '{{.Actor.ID}}'
  assert_output late
  # (jq reads numbers as doubles: take the digits as written)
  t=$(grep '"late"' "$CAIRN_ROOT/events.jsonl" | grep -o '"timeNano":[0-9]*' | cut -d: -f2)
  rfc="$(date -u -d "@${t:0:10}" +%Y-%m-%dT%H:%M:%S).${t:10}Z"
  run_logged cairn events --since "$rfc" --until 0s --format '{{.Actor.ID}}'
  assert_line late
  refute_line early
}

@test "cairn events: follows new events until --until passes or it is interrupted" {
  cairn volume create before >/dev/null
  cairn events --format '{{.Type}} {{.Action}} {{.Actor.ID}}' >"$T/follow" &
  FOLLOWER=$!
  # it prints only what happens from now on: wait until it watches
  sleep 0.5
  cairn volume create during >/dev/null
  wait_until 20 has_line "$T/follow" "volume create during" || fail "not followed: $(cat "$T/follow")"
  cairn run --rm --name brief busybox true
  wait_until 20 has_line "$T/follow" "container destroy $(jq -r 'select(.Action=="destroy") | .id' "$CAIRN_ROOT/events.jsonl")" ||
    fail "no destroy: $(cat "$T/follow")"
  ! grep -q before "$T/follow"
  kill "$FOLLOWER"
  wait "$FOLLOWER" || true
  FOLLOWER=
  # --until in the future: it returns by itself
  until=$(($(date +%s) + 2))
  run_logged timeout 60 cairn events --since 1h --until "$until" -f type=volume --format '{{.Actor.ID}}'
  assert_success
  assert_output "$(printf 'before\nduring')"
}

@test "cairn events: a journal past its size cap moves to events.jsonl.1 and is still read" {
  jq '. + {eventsMaxSize: 2000}' "$CAIRN_CONFIG" >"$T/c" && mv "$T/c" "$CAIRN_CONFIG"
  for i in $(seq 1 30); do cairn volume create "v$i" >/dev/null; done
  [ -s "$CAIRN_ROOT/events.jsonl.1" ]
  [ "$(stat -c %s "$CAIRN_ROOT/events.jsonl")" -lt 2400 ]
  run_logged cairn events --since 1h --until 0s --format '{{.Actor.ID}}'
  # the oldest are gone with an older rotation; what is kept is in order
  last=$(tail -n1 <<<"$output")
  assert_equal "$last" v30
  n=${#lines[@]}
  [ "$n" -ge 10 ] && [ "$n" -le 30 ]
  first=${lines[0]#v}
  assert_equal "$output" "$(seq "$first" 30 | sed 's/^/v/')"
}

@test "cairn events: networks and images" {
  oct=$(((OCT + 57) % 200 + 20))
  EXTRA_BR="${BR:0:11}e" EXTRA_TABLE="${TABLE}e"
  nid=$(cairn network create --subnet "10.195.$oct.0/24" --bridge "$EXTRA_BR" --nft-table "$EXTRA_TABLE" evnet)
  cairn run -d --name n1 busybox sleep 100 >/dev/null
  cairn network connect evnet n1
  cairn network disconnect evnet n1
  cairn network rm evnet >/dev/null
  run_logged cairn events --since 1h --until 0s -f type=network --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}'
  assert_output "$(printf 'create evnet <no value>\nconnect cairn %s\nconnect evnet %s\ndisconnect evnet %s\ndestroy evnet <no value>' "$(cid n1)" "$(cid n1)" "$(cid n1)")"
  # Actor.ID is the network's id, as network ls and inspect show it
  run_logged cairn events --since 1h --until 0s -f type=network --format '{{.Actor.Attributes.name}} {{.Actor.ID}}'
  assert_equal "$(grep -c "^evnet $nid\$" <<<"$output")" 4
  assert_line "cairn $(cairn network inspect -f '{{.Id}}' cairn)"
}

@test "cairn events: every journal line follows spec/schema/event.schema.json" {
  cairn volume create sv >/dev/null
  cairn run --rm --name sch --label a=b busybox true
  cairn tag busybox sch:1
  cairn rmi sch:1 >/dev/null
  [ "$(wc -l <"$CAIRN_ROOT/events.jsonl")" -ge 7 ]
  while IFS= read -r line; do
    assert_json_schema "$CAIRN_SRC/spec/schema/event.schema.json" <<<"$line"
  done <"$CAIRN_ROOT/events.jsonl"
}
