#!/usr/bin/env bats
# cairn-shim --runtime-timeout: a runtime that hangs does not hang the shim.

load helpers

# fake_runtime SUBCOMMAND: a runtime that hangs in SUBCOMMAND and hands
# every other call to the real one.
fake_runtime() {
  cat >"$T/hang-rt" <<SH
#!/bin/sh
for a in "\$@"; do
  if [ "\$a" = "$1" ]; then exec sleep 1000; fi
done
exec $(command -v "$SHIM_RUNTIME") "\$@"
SH
  chmod +x "$T/hang-rt"
}

@test "cairn-shim: a runtime whose create hangs is killed after --runtime-timeout, with a clear error" {
  make_bundle true
  fake_runtime create
  run_logged timeout 60 cairn-shim --runtime "$T/hang-rt" --runtime-root "$RT" --id "$ID" \
    --bundle "$BUNDLE" --state "$STATE" --runtime-timeout 1s
  assert_equal "$status" 1
  [[ $stderr == *"create '$ID': the runtime $T/hang-rt did not finish within 1s (killed it)"* ]]
  [ "$(echo "$stderr" | wc -l)" = 1 ]
  echo "$output" | jq -e '.error.msg | test("did not finish within 1s")'
  # nothing is left: no sleeping runtime, no state dir
  [ ! -e "$STATE" ]
  run pgrep -f -- "$T/hang-rt"
  assert_failure 1
}

@test "cairn-shim: a runtime whose start hangs fails the same way and the container is removed" {
  make_bundle sleep 100
  fake_runtime start
  run_logged timeout 60 cairn-shim --runtime "$T/hang-rt" --runtime-root "$RT" --id "$ID" \
    --bundle "$BUNDLE" --state "$STATE" --runtime-timeout 1500ms
  assert_equal "$status" 1
  [[ $stderr == *"start '$ID': the runtime $T/hang-rt did not finish within 1.5s (killed it)"* ]]
  run_logged rt list -q
  assert_output ""
}

@test "cairn-shim: --runtime-timeout takes a duration" {
  make_bundle true
  run_logged shim --runtime-timeout soon
  assert_equal "$status" 2
  [[ $stderr == *"--runtime-timeout"* ]]
}
