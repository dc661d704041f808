#!/usr/bin/env bats
# cairn-build: the layer cache and reproducible images.

load helpers

cache_ctx() {
  mkdir -p "$CTX/src"
  echo one >"$CTX/src/one"
  echo two >"$CTX/src/two"
  dockerfile 'FROM busybox
ARG V=1
RUN echo "run $V" > /run.txt
COPY src /src
RUN cat /src/one /src/two > /both
CMD ["cat", "/both"]'
}

@test "cairn-build: an unchanged rebuild is all CACHED and gives the same image" {
  cache_ctx
  run_logged build -q "$CTX"
  assert_success
  first="$output"
  run_logged build "$CTX"
  assert_success
  [ "$(grep -c ' CACHED$' <<<"$stderr")" -eq 4 ]
  [[ "$stderr" != *"DONE"* ]]
  [[ "$stderr" == *"writing image $first"* ]]
}

@test "cairn-build: changing a file invalidates from its COPY on, nothing before" {
  cache_ctx
  run_logged build -q "$CTX"
  assert_success
  before="$output"
  echo changed >"$CTX/src/two"
  run_logged build "$CTX"
  assert_success
  grep -q '^#2 CACHED$' <<<"$stderr"                     # RUN before the COPY
  grep -q '^#3 DONE' <<<"$stderr"                        # the COPY
  grep -q '^#4 DONE' <<<"$stderr"                        # what follows
  [[ "$stderr" == *"writing image"* ]] && [[ "$stderr" != *"writing image $before"* ]]
  # the same content again (a new mtime): cached again
  echo two >"$CTX/src/two"
  run_logged build -q "$CTX"
  [ "$output" = "$before" ]
  # a file the .dockerignore excludes changes nothing
  echo x >"$CTX/src/ignored" && echo 'src/ignored' >"$CTX/.dockerignore"
  run_logged build -q "$CTX"
  [ "$output" = "$before" ]
  # a chmod is a change
  chmod 0700 "$CTX/src/one"
  run_logged build "$CTX"
  grep -q '^#3 DONE' <<<"$stderr"
}

@test "cairn-build: a build arg invalidates the steps that see it; --no-cache rebuilds all" {
  cache_ctx
  run_logged build "$CTX"
  assert_success
  run_logged build --build-arg V=2 "$CTX"
  assert_success
  grep -q '^#2 DONE' <<<"$stderr"
  run_logged build --build-arg V=2 "$CTX"
  [ "$(grep -c ' CACHED$' <<<"$stderr")" -eq 4 ]
  run_logged build --no-cache --build-arg V=2 "$CTX"
  assert_success
  [[ "$stderr" != *"CACHED"* ]]
  [ "$(grep -c ' DONE ' <<<"$stderr")" -eq 4 ]
  run_logged build --build-arg UNUSED=1 "$CTX"
  [[ "$stderr" == *"[Warning] One or more build-args [UNUSED] were not consumed"* ]]
}

@test "cairn-build: the cache survives in CAIRN_ROOT; cairn-build prune empties it" {
  cache_ctx
  run_logged build "$CTX"
  [ -n "$(ls "$CAIRN_ROOT/build-cache/steps")" ]
  run_logged cairn-build prune -f
  assert_success
  [[ "$output" == Total:* ]]
  [ ! -e "$CAIRN_ROOT/build-cache" ]
  run_logged build "$CTX"
  [[ "$stderr" != *"CACHED"* ]]
}

@test "cairn-build: reproducible: a --no-cache rebuild gives the same image digest" {
  cache_ctx
  run_logged build -q -t r1 "$CTX"
  assert_success
  id1="$output"
  dig1=$(cairn-image inspect r1 | jq -r '.[0].Descriptor.digest')
  touch "$CTX/src/one" # a new mtime, the same content
  run_logged build -q --no-cache -t r2 "$CTX"
  assert_success
  [ "$output" = "$id1" ]
  [ "$(cairn-image inspect r2 | jq -r '.[0].Descriptor.digest')" = "$dig1" ]
  # in another store too (another machine)
  rm -rf "$T/root2" && cp -a "$BUILD_TEMPLATE" "$T/root2"
  run_logged env CAIRN_ROOT="$T/root2" cairn-build --runtime "$BUILD_RUNTIME" --network none -q "$CTX"
  [ "$output" = "$id1" ]
  # dates are SOURCE_DATE_EPOCH's, else the epoch
  [ "$(cairn-image config r1 | jq -r .created)" = "1970-01-01T00:00:00Z" ]
  run_logged env SOURCE_DATE_EPOCH=1700000000 cairn-build --runtime "$BUILD_RUNTIME" --network none -q -t r3 "$CTX"
  assert_success
  [ "$output" != "$id1" ]
  [ "$(cairn-image config r3 | jq -r .created)" = "2023-11-14T22:13:20Z" ]
  [ "$(cairn-image config r3 | jq -r .history[-1].created)" = "2023-11-14T22:13:20Z" ]
}

@test "cairn-build: a cache entry whose image was removed is rebuilt" {
  cache_ctx
  run_logged build -q -t gone "$CTX"
  assert_success
  cairn-image rm gone >/dev/null
  run_logged cairn-image prune
  assert_success
  run_logged build "$CTX"
  assert_success
  grep -q '^#5 DONE' <<<"$stderr" # the last image was pruned: made again
}

@test "cairn-build: what a killed build left (scratch dirs, mounts) is swept; a running build's is not" {
  dockerfile 'FROM busybox
RUN true'
  # a dead build: its lock is free, a mount is still there
  mkdir -p "$CAIRN_ROOT/build-tmp/deadbeef/step0/rootfs" "$T/src"
  : >"$CAIRN_ROOT/build-tmp/deadbeef.lock"
  mount --bind "$T/src" "$CAIRN_ROOT/build-tmp/deadbeef/step0/rootfs"
  # a live one: its lock is held
  mkdir -p "$CAIRN_ROOT/build-tmp/live"
  exec 8>"$CAIRN_ROOT/build-tmp/live.lock"
  flock 8
  run_logged cairn-build prune
  assert_success
  [ ! -e "$CAIRN_ROOT/build-tmp/deadbeef" ] && [ ! -e "$CAIRN_ROOT/build-tmp/deadbeef.lock" ]
  ! grep -q "$CAIRN_ROOT/build-tmp/deadbeef" /proc/self/mountinfo
  [ -d "$CAIRN_ROOT/build-tmp/live" ]
  exec 8>&-
  # a build sweeps too
  mkdir -p "$CAIRN_ROOT/build-tmp/dead2" && : >"$CAIRN_ROOT/build-tmp/dead2.lock"
  run_logged build "$CTX"
  assert_success
  [ ! -e "$CAIRN_ROOT/build-tmp/dead2" ]
  [ ! -e "$CAIRN_ROOT/build-tmp/live" ]
}
