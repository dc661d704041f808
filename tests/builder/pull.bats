#!/usr/bin/env bats
# cairn-build: base images from a registry (a private one on 127.0.0.1):
# FROM pulls what the store lacks; --pull pulls again even when present.

load helpers

setup_file() {
  registry_start || return 1
  registry_push_fixture library/base:1 >/dev/null || return 1
  export BUILD_TEMPLATE="$BATS_FILE_TMPDIR/root"
  mkdir -p "$BUILD_TEMPLATE"
}

teardown_file() { registry_stop; }

@test "cairn-build: FROM an image missing from the store pulls it; --pull pulls a present one again" {
  requires cmd:skopeo
  dockerfile "FROM $REGISTRY/library/base:1
RUN echo on-pulled > /p"
  run_logged build -t frompull "$CTX"
  assert_success
  [[ "$stderr" == *"pulling $REGISTRY/library/base:1"* ]]
  rootfs_of frompull "$T/b"
  [ "$(cat "$T/b/rootfs/p")" = on-pulled ]
  # present now: no pull, unless --pull
  run_logged build "$CTX"
  [[ "$stderr" != *pulling* ]]
  run_logged build --pull "$CTX"
  assert_success
  [[ "$stderr" == *"pulling $REGISTRY/library/base:1"* ]]
  grep -q CACHED <<<"$stderr" # the same image pulled again: the cache still holds
  # an image nobody has: the pull's own message, the build fails
  dockerfile "FROM $REGISTRY/library/nothere:1"
  run_logged build "$CTX"
  assert_failure
  [[ "$stderr" == *"Dockerfile:1"*"nothere"* ]]
}
