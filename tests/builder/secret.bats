#!/usr/bin/env bats
# RUN --mount=type=secret with cairn-build --secret: readable in that RUN,
# never in a layer, not part of the cache key's content.

load helpers

# store_has TEXT: whether any blob of the store (layers uncompressed)
# holds TEXT.
store_has() {
  local f
  for f in "$CAIRN_ROOT"/store/blobs/sha256/*; do
    if zcat -f "$f" 2>/dev/null | grep -qF "$1"; then return 0; fi
    if command -v zstdcat >/dev/null && zstdcat -q "$f" 2>/dev/null | grep -qF "$1"; then return 0; fi
  done
  return 1
}

@test "cairn-build --secret: the secret is readable in its RUN and in no layer of the image" {
  printf 's3cr3t-%s' "$BATS_TEST_NUMBER" >"$T/token"
  export MY_ENV_SECRET=env-s3cr3t
  dockerfile 'FROM busybox
RUN --mount=type=secret,id=tok grep -q s3cr3t- /run/secrets/tok && echo seen-at-default-path && ls -ln /run/secrets/tok
RUN --mount=type=secret,id=tok,target=/etc/app/token.txt,required=true,mode=0440,uid=1000 test "$(cat /etc/app/token.txt)" = "s3cr3t-'"$BATS_TEST_NUMBER"'" && ls -ln /etc/app/token.txt && echo seen-at-target
RUN --mount=type=secret,id=fromenv cat /run/secrets/fromenv; echo
RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && echo optional-absent-skipped
RUN cat /run/secrets/tok 2>&1 || echo not-in-a-later-step'
  run_logged build --progress plain --secret id=tok,src="$T/token" --secret id=fromenv,env=MY_ENV_SECRET -t sec "$CTX"
  assert_success
  [[ "$stderr" == *"seen-at-default-path"* ]]
  [[ "$stderr" =~ -r--------\ +1\ 0\ +0\ .*/run/secrets/tok ]]
  [[ "$stderr" == *"seen-at-target"* ]]
  [[ "$stderr" =~ -r--r-----\ +1\ 1000\ +0\ .*/etc/app/token.txt ]]
  [[ "$stderr" == *"env-s3cr3t"* ]]
  [[ "$stderr" == *"optional-absent-skipped"* ]]
  [[ "$stderr" == *"not-in-a-later-step"* ]]
  # no file, no mount point, no content in the image
  rootfs_of sec "$T/r"
  [ ! -e "$T/r/rootfs/run/secrets" ]
  [ ! -e "$T/r/rootfs/etc/app" ]
  ! grep -rqF "s3cr3t-" "$T/r/rootfs"
  ! store_has "s3cr3t-$BATS_TEST_NUMBER"
  ! store_has env-s3cr3t
  # another secret value does not rebuild (BuildKit's rule)
  printf 'rotated' >"$T/token"
  run_logged build --progress plain --secret id=tok,src="$T/token" --secret id=fromenv,env=MY_ENV_SECRET -t sec2 "$CTX"
  assert_success
  [ "$(grep -c CACHED <<<"$stderr")" -eq 5 ]
}

@test "cairn-build --secret: a required secret not given fails the build; bad specs are usage errors" {
  dockerfile 'FROM busybox
RUN --mount=type=secret,id=need,required=true cat /run/secrets/need'
  run_logged build -t nosec "$CTX"
  assert_failure
  [[ "$stderr" == *"secret 'need' is required"* ]]
  run_logged cairn-image inspect nosec
  assert_failure
  run_logged build --secret src=/etc/hostname "$CTX"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--secret 'src=/etc/hostname': id= is required"* ]]
  run_logged build --secret id=need,src="$T/missing" "$CTX"
  assert_failure
  [[ "$stderr" == *"secret 'need'"* ]]
}
