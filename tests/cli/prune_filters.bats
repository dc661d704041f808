#!/usr/bin/env bats
# docker's --filter on the prune commands (until=, label=, label!=) and
# push -a/--all-tags.

load helpers

teardown() {
  if [ -n "${REGISTRY_PID:-}" ]; then registry_stop; fi
  cli_teardown
}

exists() { cairn inspect "$1" >/dev/null 2>&1; }

@test "cairn container prune --filter: until and label select what goes" {
  cairn create --name old --label team=a busybox true >/dev/null
  cairn create --name oldb --label team=b busybox true >/dev/null
  sleep 1.1
  mid=$(date +%s)
  sleep 1.1
  cairn create --name new --label team=a busybox true >/dev/null
  run_logged cairn container prune -f --filter "until=$mid" --filter label=team=a
  assert_success
  assert_output "$(printf 'Deleted Containers:\n%s\n\nTotal reclaimed space: 0B' "$(jq -r 'select(.Action=="create" and .Actor.Attributes.name=="old") | .id' "$CAIRN_ROOT/events.jsonl")")"
  ! exists old
  exists oldb
  exists new
  run_logged cairn container prune -f --filter 'label!=team=a'
  ! exists oldb
  exists new
  run_logged cairn container prune -f --filter until=1h
  exists new
}

@test "cairn prune --filter: docker's errors for a bad key or time" {
  run_logged cairn container prune -f --filter colour=red
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid filter 'colour'"
  run_logged cairn image prune -f --filter until=yesterday
  assert_equal "$status" 125
  assert_equal "$stderr" 'cairn: failed to parse value as time or duration: "yesterday"'
  run_logged cairn volume prune -f --filter until=1h
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid filter 'until'"
  run_logged cairn network prune -f --filter nolabel
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: bad format of filter (expected name=value)"
  run_logged cairn system prune -f --volumes --filter until=1h
  assert_equal "$status" 125
  assert_equal "$stderr" 'cairn: The "until" filter is not supported with "--volumes"'
  run_logged cairn-image prune --filter until=1h
  assert_equal "$status" 2
  assert_equal "$stderr" 'cairn-image: failed to parse value as time or duration: "1h"'
}

@test "cairn network prune --filter label and until" {
  oct=$(((OCT + 71) % 200 + 20))
  EXTRA_BR="${BR:0:11}p" EXTRA_TABLE="${TABLE}p"
  cairn network create --label keep=yes --subnet "10.194.$oct.0/24" --bridge "$EXTRA_BR" --nft-table "$EXTRA_TABLE" pk >/dev/null
  cairn network create --label keep=no --subnet "10.194.$((oct + 1)).0/24" --bridge "${EXTRA_BR}2" --nft-table "${EXTRA_TABLE}2" pn >/dev/null
  run_logged cairn network prune -f --filter until=1h
  assert_output ""
  cairn network inspect pk pn >/dev/null
  run_logged cairn network prune -f --filter 'label!=keep=yes'
  assert_output "$(printf 'Deleted Networks:\npn')"
  cairn network inspect pk >/dev/null
  run_logged cairn network prune -f --filter label=keep
  assert_output "$(printf 'Deleted Networks:\npk')"
  nft delete table ip "${EXTRA_TABLE}2" 2>/dev/null || true
}

@test "cairn image prune -a --filter label: only the images with the label" {
  cairn create --name src busybox true >/dev/null
  cairn commit -c 'LABEL team=a' src img:a >/dev/null
  cairn commit -c 'LABEL team=b' src img:b >/dev/null
  cairn rm src >/dev/null
  run_logged cairn image prune -a -f --filter label=team=a
  assert_success
  assert_line "untagged: img:a"
  ! cairn inspect --type image img:a >/dev/null 2>&1
  cairn inspect --type image img:b >/dev/null
  cairn inspect --type image busybox >/dev/null
  # until: busybox's config dates from years ago, img:b from now
  run_logged cairn image prune -a -f --filter until=1h
  assert_line "untagged: busybox:latest"
  refute_line "untagged: img:b"
  cairn inspect --type image img:b >/dev/null
  run_logged cairn system prune -a -f --filter label=team=b
  assert_success
  assert_line "untagged: img:b"
  ! cairn inspect --type image img:b >/dev/null 2>&1
}

@test "cairn volume prune --filter label and label!" {
  cairn volume create --label team=a v1 >/dev/null
  cairn volume create v2 >/dev/null
  run_logged cairn volume prune -f --filter label=team=b
  assert_output "Total reclaimed space: 0B"
  run_logged cairn volume prune -f --filter label=team=a
  assert_output "$(printf 'Deleted Volumes:\nv1\n\nTotal reclaimed space: 0B')"
  [ -d "$CAIRN_ROOT/volumes/v2" ]
  run_logged cairn volume prune -f --filter 'label!=team'
  assert_output "$(printf 'Deleted Volumes:\nv2\n\nTotal reclaimed space: 0B')"
}

@test "cairn push -a: every tag of the repository; a tag with -a is refused" {
  requires cmd:docker-registry
  registry_start
  cairn tag busybox "$REGISTRY/multi/app:2"
  cairn tag busybox "$REGISTRY/multi/app:1"
  cairn tag busybox "$REGISTRY/multi/other:1"
  run_logged cairn push -a -q "$REGISTRY/multi/app"
  assert_success
  assert_output "$(printf '%s\n' "$REGISTRY/multi/app:1" "$REGISTRY/multi/app:2")"
  run_logged cairn-image tags "$REGISTRY/multi/app"
  assert_output "$(printf '1\n2')"
  run_logged cairn-image tags "$REGISTRY/multi/other"
  assert_failure
  run_logged cairn push --all-tags "$REGISTRY/multi/app:1"
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: tag can't be used with --all-tags/-a"
  run_logged cairn push -a "$REGISTRY/nothing/here"
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: An image does not exist locally with the tag: $REGISTRY/nothing/here"
}

# last4 NAME: SIZE SHARED UNIQUE CONTAINERS of NAME's line in df -v's images
last4() { grep "^$1 " <<<"$output" | awk '{print $(NF-3), $(NF-2), $(NF-1), $NF}'; }

@test "cairn system df -v: SHARED SIZE and UNIQUE SIZE of images, as docker" {
  cairn run --name src busybox sh -c 'head -c 300000 /dev/urandom >/blob'
  cairn commit src snap:1 >/dev/null
  run_logged cairn system df -v
  assert_success
  assert_line --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS$'
  read -r bsize bshared bunique bctrs <<<"$(last4 busybox)"
  assert_equal "$bshared" "$bsize"
  assert_equal "$bunique" 0B
  assert_equal "$bctrs" 1
  read -r ssize sshared sunique sctrs <<<"$(last4 snap)"
  assert_equal "$sshared" "$bsize"
  [[ $sunique =~ ^30[0-9](\.[0-9]+)?kB$ ]] || fail "snap's unique size: $sunique"
  assert_equal "$sctrs" 0
  [ "$ssize" != "$bsize" ]
  cairn rmi snap:1 >/dev/null
  run_logged cairn system df -v
  read -r bsize bshared bunique bctrs <<<"$(last4 busybox)"
  assert_equal "$bshared" 0B
  assert_equal "$bunique" "$bsize"
}
