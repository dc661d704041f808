#!/usr/bin/env bats
# cairn-build --progress: plain lines, and BuildKit's live display on a
# terminal (driven through a real pty by tests/helpers/ttydrive.py).

load helpers

# on_tty ARGS…: cairn-build ARGS on a pseudo-terminal; $output is all it
# drew (escape sequences included), $status its exit status.
on_tty() {
  run_logged python3 "$CAIRN_SRC/tests/helpers/ttydrive.py" --timeout 120 -- \
    cairn-build --runtime "$BUILD_RUNTIME" --network none "$@" <<<"eof"
}

# final_frame: the last frame drawn (from the last header on), escape
# sequences removed.
final_frame() {
  printf '%s' "$output" | awk '/\[\+\] Building/ {buf = ""} {buf = buf $0 "\n"} END {printf "%s", buf}' |
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g'
}

@test "cairn-build --progress tty: a live display redrawn in place, the final state left on screen" {
  echo data >"$CTX/f"
  dockerfile 'FROM busybox
RUN echo first-line && sleep 1 && echo second-line && sleep 1
COPY f /f
ENV A=1'
  on_tty --progress tty -t p1 "$CTX"
  assert_success
  # redrawn in place: the cursor moves up over the previous frame
  [[ "$output" == *$'\x1b['*A* ]]
  # a running step showed its output under it, dimmed
  [[ "$output" == *$'\x1b[2m => => # first-line'* ]]
  local f
  f="$(final_frame)"
  echo "$f"
  [[ "$f" =~ \[\+\]\ Building\ [0-9.]+s\ \(5/5\)\ FINISHED ]]
  [[ "$f" =~ '=> [1/4] FROM busybox '.*' '[0-9.]+s ]]
  [[ "$f" =~ '=> [2/4] RUN echo first-line && sleep 1 && echo second-line && sleep 1 '.*' '[0-9.]+s ]]
  [[ "$f" =~ '=> [3/4] COPY f /f '.*' '[0-9.]+s ]]
  [[ "$f" =~ '=> [4/4] ENV A=1 '.*' '[0-9.]+s ]]
  [[ "$f" == *"=> exporting to image"* ]]
  # a finished step's output is gone from the display
  [[ "$f" != *"=> => #"* ]]

  # auto is tty on a terminal; every step comes from the cache
  on_tty --progress auto -t p1 "$CTX"
  assert_success
  f="$(final_frame)"
  echo "$f"
  [[ "$f" =~ \(5/5\)\ FINISHED ]]
  [[ "$f" == *"=> CACHED [2/4] RUN echo first-line"* ]]
  [[ "$f" == *"=> CACHED [3/4] COPY f /f"* ]]
  [[ "$f" == *"=> CACHED [4/4] ENV A=1"* ]]
}

@test "cairn-build --progress tty: a failing RUN's whole output is printed below the display" {
  dockerfile 'FROM busybox
RUN for i in 1 2 3 4 5 6 7 8 9; do echo "out-$i"; done; echo to-stderr >&2; exit 3
ENV NEVER=1'
  on_tty --progress tty -t bad "$CTX"
  [ "$status" -eq 3 ]
  local f
  f="$(final_frame)"
  echo "$f"
  [[ "$f" =~ \[\+\]\ Building\ [0-9.]+s\ \(2/4\) ]]
  [[ "$f" == *"=> ERROR [2/3] RUN for i in"* ]]
  # all nine lines, not only the tail the display showed
  for i in 1 2 3 4 5 6 7 8 9; do [[ "$f" == *"out-$i"* ]]; done
  [[ "$f" == *"to-stderr"* ]]
  [[ "$f" == *'did not complete successfully: exit code: 3'* ]]
  run_logged cairn-image inspect bad
  assert_failure
}

@test "cairn-build --progress plain (and auto off a terminal): docker's plain lines, no escapes" {
  dockerfile 'FROM busybox
RUN echo hello-plain'
  run_logged build --progress plain --no-cache -t pl "$CTX"
  assert_success
  [[ "$stderr" == *"#1 [1/2] FROM busybox"* ]]
  [[ "$stderr" == *"#2 [2/2] RUN echo hello-plain"* ]]
  [[ "$stderr" == *"#2 hello-plain"* ]]
  [[ "$stderr" =~ \#2\ DONE\ [0-9.]+s ]]
  [[ "$stderr" == *"#3 writing image sha256:"* ]]
  [[ "$stderr" != *$'\x1b'* ]]
  run_logged build -t pl "$CTX"
  assert_success
  [[ "$stderr" == *"#2 CACHED"* ]]
  [[ "$stderr" != *$'\x1b'* ]]
  run_logged build --progress fancy "$CTX"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--progress: expected auto, plain or tty, not 'fancy'"* ]]
}
