#!/usr/bin/env bats
# cairn-build: the basics — a build, its image, its output and exit codes.

load helpers

@test "cairn-build: ENV, RUN, COPY, WORKDIR and CMD make the image docker would" {
  echo hello >"$CTX/a.txt"
  mkdir -p "$CTX/sub/deep" && echo s >"$CTX/sub/deep/s.txt"
  dockerfile 'FROM busybox
ENV GREETING=hi
RUN echo "$GREETING from run" > /greet && cat /greet
COPY a.txt /app/
COPY sub /app/sub
WORKDIR /app
CMD ["cat", "/greet"]'
  run_logged build -t t1 "$CTX"
  assert_success
  [[ "$stderr" == *"#3 hi from run"* ]]
  [[ "$stderr" == *"naming to docker.io/library/t1:latest done"* ]]
  run_logged cairn-image config t1
  assert_success
  [ "$(jq -c .config.Cmd <<<"$output")" = '["cat","/greet"]' ]
  [ "$(jq -r .config.WorkingDir <<<"$output")" = /app ]
  jq -e '.config.Env | index("GREETING=hi")' <<<"$output"
  # history as docker records it: one entry per instruction, empty ones marked
  [ "$(jq -r '.history[-1].created_by' <<<"$output")" = 'CMD ["cat","/greet"]' ]
  [ "$(jq -r '.history[-1].empty_layer' <<<"$output")" = true ]
  [ "$(jq -r '.history[2].created_by' <<<"$output")" = 'RUN /bin/sh -c echo "$GREETING from run" > /greet && cat /greet' ]
  [ "$(jq '.history | length' <<<"$output")" = 7 ]
  [ "$(jq '.rootfs.diff_ids | length' <<<"$output")" = 4 ] # base, RUN, 2 COPY; WORKDIR /app existed
  rootfs_of t1 "$T/b"
  [ "$(cat "$T/b/rootfs/greet")" = "hi from run" ]
  [ "$(cat "$T/b/rootfs/app/a.txt")" = hello ]
  [ "$(cat "$T/b/rootfs/app/sub/deep/s.txt")" = s ]
  [ "$(stat -c %u:%g "$T/b/rootfs/app/a.txt")" = 0:0 ]
}

@test "cairn-build: a failing RUN stops the build with its exit code and output, and tags nothing" {
  dockerfile 'FROM busybox
RUN echo before-failure && exit 7
RUN echo never > /never'
  run_logged build -t broken "$CTX"
  [ "$status" -eq 7 ]
  [[ "$stderr" == *"before-failure"* ]]
  [[ "$stderr" == *"Dockerfile:2"*"exit code: 7"* ]]
  [[ "$stderr" != *"#3"* ]]
  run_logged cairn-image inspect broken
  assert_failure
  # nothing left behind: no scratch dirs, no runtime state
  [ -z "$(ls -A "$CAIRN_ROOT/build-tmp" 2>/dev/null)" ]
  [ -z "$(ls -A "$CAIRN_RUN/build-runtime" 2>/dev/null | grep -v '^\.')" ]
}

@test "cairn-build: a malformed Dockerfile is one line naming file and line, exit 2" {
  dockerfile 'FROM busybox
RUNN echo x'
  run_logged build -t bad "$CTX"
  [ "$status" -eq 2 ]
  [ "$(wc -l <<<"$stderr")" -eq 1 ]
  [[ "$stderr" == *"Dockerfile:2"*"RUNN"* ]]
  run_logged cairn-image inspect bad
  assert_failure
}

@test "cairn-build: bad flags are usage errors" {
  dockerfile 'FROM busybox'
  run_logged build --network bogus "$CTX"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--network"* ]]
  run_logged build --platform linux/arm64 "$CTX"
  [ "$status" -eq 2 ]
  run_logged build -t 'Bad:Name' "$CTX"
  [ "$status" -eq 2 ]
  run_logged build "$T/missing"
  assert_failure
  run_logged build --output type=zip,dest=x "$CTX"
  [ "$status" -eq 2 ]
}

@test "cairn-build: multi-stage: COPY --from a stage, unused stages skipped, --target" {
  dockerfile 'ARG BASE=busybox
FROM $BASE AS builder
ARG MSG=default
RUN mkdir -p /out && echo "built $MSG" > /out/result

FROM busybox AS unused
RUN exit 3

FROM busybox AS final
COPY --from=builder /out /res
COPY --from=0 /out/result /res2/
RUN cat /res/result /res2/result'
  run_logged build --build-arg MSG=yes -t ms "$CTX"
  assert_success
  [[ "$stderr" == *"built yes"* ]]
  [[ "$stderr" != *"unused"* ]]
  rootfs_of ms "$T/b"
  [ "$(cat "$T/b/rootfs/res/result")" = "built yes" ]
  [ "$(cat "$T/b/rootfs/res2/result")" = "built yes" ]
  # --target stops at the named stage, and builds only what it needs
  run_logged build --target unused -t tgt "$CTX"
  [ "$status" -eq 3 ]
  [[ "$stderr" != *"builder"* ]]
  run_logged build --target nope "$CTX"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *'target stage "nope" could not be found'* ]]
}

@test "cairn-build: COPY --from an image that is not a stage" {
  dockerfile 'FROM scratch
COPY --from=busybox /bin/busybox /busybox'
  run_logged build -t fromimg "$CTX"
  assert_success
  rootfs_of fromimg "$T/b"
  [ -x "$T/b/rootfs/busybox" ]
  [ "$(cairn-image config fromimg | jq '.rootfs.diff_ids | length')" = 1 ]
}

@test "cairn-build: -q prints only the id, --iidfile writes it, -t several times" {
  dockerfile 'FROM busybox
LABEL a=b'
  run_logged build -q --iidfile "$T/iid" -t one -t two:v2 "$CTX"
  assert_success
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  [ -z "$stderr" ]
  [ "$(cat "$T/iid")" = "$output" ]
  [ "$(cairn-image inspect one | jq -r '.[0].Id')" = "$output" ]
  [ "$(cairn-image inspect two:v2 | jq -r '.[0].Id')" = "$output" ]
}

@test "cairn-build: --label adds labels to the final image" {
  dockerfile 'FROM busybox
LABEL from=file'
  run_logged build --label team=core --label "note=two words" -t lab "$CTX"
  assert_success
  run_logged cairn-image config lab
  [ "$(jq -c .config.Labels <<<"$output")" = '{"from":"file","note":"two words","team":"core"}' ]
}

@test "cairn-build: --output type=docker and type=oci write archives others load" {
  requires cmd:skopeo
  dockerfile 'FROM busybox
RUN echo out > /out'
  run_logged build -t outimg --output "type=docker,dest=$T/d.tar" "$CTX"
  assert_success
  run_logged build -t outimg --output "type=oci,dest=$T/o.tar" "$CTX"
  assert_success
  id=$(cairn-image inspect outimg | jq -r '.[0].Id')
  run_logged skopeo inspect --config "docker-archive:$T/d.tar"
  assert_success
  [ "$(jq -cS .rootfs <<<"$output")" = "$(cairn-image config outimg | jq -cS .rootfs)" ]
  [ "$(jq -r .history[-1].created_by <<<"$output")" = "RUN /bin/sh -c echo out > /out" ]
  run_logged skopeo inspect --raw "oci-archive:$T/o.tar"
  assert_success
  [ "$(jq -r .config.digest <<<"$output")" = "$id" ]
}

@test "cairn-build: the default network is the cairn bridge; none has only loopback" {
  requires cmd:ip cmd:nft
  net_setup
  dockerfile 'FROM busybox
RUN ip -o -4 addr show > /addrs; cat /addrs'
  run_logged cairn-build --runtime "$BUILD_RUNTIME" -t netdef "$CTX"
  assert_success
  [[ "$stderr" == *"inet 10.197."* ]]
  run_logged cairn-build --runtime "$BUILD_RUNTIME" --network none --no-cache -t netnone "$CTX"
  assert_success
  [[ "$stderr" != *"inet 10.197."* ]]
  [[ "$stderr" == *"inet 127.0.0.1"* ]]
  # the namespace and the address are given back
  [ -z "$(ls -A "$CAIRN_RUN/netns" 2>/dev/null)" ]
}

@test "cairn-build: RUN runs under runc as well (--runtime)" {
  requires cmd:runc
  dockerfile 'FROM busybox
RUN echo via-runc > /r'
  run_logged cairn-build --runtime runc --network none -t rc "$CTX"
  assert_success
  rootfs_of rc "$T/b"
  [ "$(cat "$T/b/rootfs/r")" = via-runc ]
}

@test "cairn-build: --compression zstd and none make layers of that media type" {
  dockerfile 'FROM busybox
RUN echo z > /z'
  for c in zstd none; do
    run_logged build --no-cache --compression "$c" -t "comp-$c" "$CTX"
    assert_success
    m=$(cairn-image inspect "comp-$c" | jq -r '.[0].Descriptor.digest' | cut -d: -f2)
    mt=$(jq -r '.layers[-1].mediaType' "$CAIRN_ROOT/store/blobs/sha256/$m")
    case $c in
      zstd) [ "$mt" = application/vnd.oci.image.layer.v1.tar+zstd ] ;;
      none) [ "$mt" = application/vnd.oci.image.layer.v1.tar ] ;;
    esac
    rm -rf "$T/b" && rootfs_of "comp-$c" "$T/b"
    [ "$(cat "$T/b/rootfs/z")" = z ]
  done
  run_logged build --compression lz4 "$CTX"
  [ "$status" -eq 2 ]
}
