#!/usr/bin/env bats
# Stages that do not depend on each other build at the same time; the
# result is the same image as a one-at-a-time build.

load helpers

# two independent stages whose RUNs record when they ran
two_stage_dockerfile() {
  dockerfile 'FROM busybox AS a
RUN date +%s > /start; sleep 3; date +%s > /end; echo a-done
FROM busybox AS b
RUN date +%s > /start; sleep 3; date +%s > /end; echo b-done
FROM busybox
COPY --from=a /start /a-start
COPY --from=a /end /a-end
COPY --from=b /start /b-start
COPY --from=b /end /b-end'
}

@test "cairn-build: independent stages run at the same time, output lines stay whole" {
  two_stage_dockerfile
  run_logged build --progress plain -t par "$CTX"
  assert_success
  rootfs_of par "$T/r"
  local as ae bs be
  as=$(cat "$T/r/rootfs/a-start") ae=$(cat "$T/r/rootfs/a-end")
  bs=$(cat "$T/r/rootfs/b-start") be=$(cat "$T/r/rootfs/b-end")
  echo "a: $as-$ae b: $bs-$be"
  # the two RUNs' intervals overlap
  [ "$as" -lt "$be" ] && [ "$bs" -lt "$ae" ]
  # plain lines name their stage and never mix
  [[ "$stderr" =~ \#[0-9]+\ \[a\ 2/2\]\ RUN\ date ]]
  [[ "$stderr" =~ \#[0-9]+\ \[b\ 2/2\]\ RUN\ date ]]
  [[ "$stderr" =~ \#[0-9]+\ a-done ]]
  [[ "$stderr" =~ \#[0-9]+\ b-done ]]
  ! grep -vE '^(#[0-9]+ |\[Warning\])' <<<"$stderr"
}

@test "cairn-build: a concurrent build gives the image a sequential one does" {
  dockerfile 'FROM busybox AS a
RUN echo one > /one
FROM busybox AS b
RUN echo two > /two
FROM busybox
COPY --from=a /one /one
COPY --from=b /two /two'
  run_logged build -q --no-cache -t c1 "$CTX"
  assert_success
  local id1="$output"
  CAIRN_BUILD_JOBS=1 run_logged build -q --no-cache -t c2 "$CTX"
  assert_success
  [ "$output" = "$id1" ]
  [ "$(cairn-image inspect c1 | jq -r .digest)" = "$(cairn-image inspect c2 | jq -r .digest)" ]
  # and the cache serves the whole build
  run_logged build --progress plain -t c3 "$CTX"
  assert_success
  [ "$(grep -c CACHED <<<"$stderr")" -eq 4 ]
}

@test "cairn-build: the first failing stage stops the others; the build fails with its error" {
  dockerfile 'FROM busybox AS slow
RUN sleep 60; touch /never
FROM busybox AS bad
RUN echo about-to-fail; exit 7
FROM busybox
COPY --from=slow /never /never
COPY --from=bad /etc/passwd /p'
  SECONDS=0
  run_logged build --progress plain -t failing "$CTX"
  [ "$status" -eq 7 ]
  # the slow stage's RUN was stopped, not waited for (60 s)
  [ "$SECONDS" -lt 50 ]
  [[ "$stderr" == *'Dockerfile:4: process "["/bin/sh","-c","echo about-to-fail; exit 7"]" did not complete successfully: exit code: 7'* ]]
  [[ "$stderr" =~ \#[0-9]+\ about-to-fail ]]
  run_logged cairn-image inspect failing
  assert_failure
  # nothing of the stopped RUN is left: no runtime state, no scratch dirs
  [ -z "$(ls "$CAIRN_RUN/build-runtime" 2>/dev/null)" ] # (.seccomp is the runtime's cache)
  [ -z "$(ls -A "$CAIRN_ROOT/build-tmp" 2>/dev/null)" ]
}

# leftovers_of ID: what a RUN container ID could leave behind: runtime
# state, cgroups, a process running its command, mounts under $T.
leftovers_of() {
  local id="$1"
  ls "$CAIRN_RUN/build-runtime" 2>/dev/null | grep -F "$id" || true
  find /sys/fs/cgroup -maxdepth 6 -type d -name "*$id*" 2>/dev/null || true
  pgrep -f "slee[p] 3579" || true
  awk -v t="$T" -v n="$T/run/netns" 'index($5, t) == 1 && $5 != n' /proc/self/mountinfo
}

@test "cairn-build: a SIGKILLed build's RUN container, state, mounts and cgroups go with the next prune" {
  dockerfile 'FROM busybox
RUN echo run-started; sleep 3579'
  cairn-build --runtime "$BUILD_RUNTIME" --network none --progress plain "$CTX" >"$T/log" 2>&1 3>&- &
  local pid=$!
  wait_until 60 grep -q '#2 run-started' "$T/log"
  kill -KILL "$pid"
  wait "$pid" || true
  local id
  id=$(ls "$CAIRN_RUN/build-runtime")
  [ -n "$id" ]
  # the killed build left its container running
  [ -n "$(leftovers_of "$id")" ]
  run_logged cairn-build prune -f
  assert_success
  run leftovers_of "$id"
  echo "$output"
  [ -z "$output" ]
  [ -z "$(ls -A "$CAIRN_ROOT/build-tmp")" ]
}

@test "cairn-build: the next build removes what a SIGKILLed one left" {
  dockerfile 'FROM busybox
RUN echo run-started; sleep 3579'
  cairn-build --runtime "$BUILD_RUNTIME" --network none --progress plain "$CTX" >"$T/log" 2>&1 3>&- &
  local pid=$!
  wait_until 60 grep -q '#2 run-started' "$T/log"
  kill -KILL "$pid"
  wait "$pid" || true
  local id
  id=$(ls "$CAIRN_RUN/build-runtime")
  [ -n "$id" ]
  dockerfile 'FROM busybox
RUN echo other'
  run_logged build "$CTX"
  assert_success
  run leftovers_of "$id"
  echo "$output"
  [ -z "$output" ]
}

stages_gone() {
  ! pgrep -f "slee[p] 3579" >/dev/null && ! pgrep -f -- "--progress plain $CTX" >/dev/null
}

@test "cairn-build: a SIGKILLed concurrent build's stages stop and clean up; prune leaves nothing" {
  dockerfile 'FROM busybox AS a
RUN echo started-a; sleep 3579
FROM busybox AS b
RUN echo started-b; sleep 3579
FROM busybox
COPY --from=a /etc/passwd /a
COPY --from=b /etc/passwd /b'
  cairn-build --runtime "$BUILD_RUNTIME" --network none --progress plain "$CTX" >"$T/log" 2>&1 3>&- &
  local pid=$!
  wait_until 60 grep -Eq '^#[0-9]+ started-a$' "$T/log"
  wait_until 60 grep -Eq '^#[0-9]+ started-b$' "$T/log"
  kill -KILL "$pid"
  wait "$pid" || true
  # the stage builders saw their parent die: they stop their RUNs, clean
  # up and end
  wait_until 60 stages_gone
  run_logged cairn-build prune -f
  assert_success
  [ -z "$(ls "$CAIRN_RUN/build-runtime" 2>/dev/null)" ]
  [ -z "$(ls -A "$CAIRN_ROOT/build-tmp")" ]
}
