#!/usr/bin/env bats
# cairn-runtime: the command line itself — help, version, spec, features,
# --log/--log-format (containerd reads errors from log.json), --debug.

load runtime_common

@test "--help lists every command; each command has --help" {
  run_logged cairn-runtime --help
  [ "$status" -eq 0 ]
  help="$output"
  for c in create start run state kill delete exec list ps pause resume update events spec features; do
    [[ "$help" == *"  $c "* ]] || fail "--help does not list $c"
    run_logged cairn-runtime "$c" --help
    [ "$status" -eq 0 ] || fail "$c --help failed"
    [[ "$output" == "Usage: cairn-runtime $c"* ]] || fail "$c --help has no usage line"
  done
}

@test "--version" {
  run_logged cairn-runtime --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^cairn-runtime\ version\ [0-9]+\.[0-9]+ ]]
  [ "${lines[1]}" = "spec: 1.1.0" ]
}

@test "spec writes a config.json that runs as it is; refuses to overwrite; --rootless" {
  requires root
  mkdir -p "$T/b"
  run_logged cairn-runtime spec -b "$T/b"
  [ "$status" -eq 0 ]
  jq -e '.ociVersion == "1.1.0" and .root.path == "rootfs" and .process.terminal == true and
    (.linux.namespaces | map(.type) | index("mount")) != null' "$T/b/config.json"
  run_logged cairn-runtime spec -b "$T/b"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"exists"* ]]
  # from the bundle directory, as runc spec is used
  rt_bundle true
  config_edit "$T/bundle" '.process.args = ["sh", "-c", "echo default spec ok"]'
  run_logged rt run -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "default spec ok" ]
  mkdir -p "$T/rl"
  (cd "$T/rl" && cairn-runtime spec --rootless)
  jq -e '(.linux.namespaces | map(.type) | index("user")) != null and .linux.uidMappings[0].size == 1 and
    (.linux.namespaces | map(.type) | index("network")) == null' "$T/rl/config.json"
}

@test "features describes the runtime as runtime-spec features JSON" {
  run_logged cairn-runtime features
  [ "$status" -eq 0 ]
  jq -e '.ociVersionMax == "1.1.0" and
    (.hooks | length) == 6 and
    (.mountOptions | index("rro")) != null and (.mountOptions | index("tmpcopyup")) != null and
    (.linux.namespaces | sort) == ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"] and
    (.linux.capabilities | index("CAP_SYS_ADMIN")) != null and
    .linux.seccomp.enabled == true and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO")) != null and
    (.linux.seccomp.archs | index("SCMP_ARCH_X86_64")) != null and
    .linux.cgroup.v1 == true and .linux.cgroup.v2 == true' <<<"$output"
}

@test "--log --log-format json gets the error as containerd reads it; text as logrus writes it" {
  requires root
  run_logged cairn-runtime --root "$T/state" --log "$T/log.json" --log-format json state nope
  [ "$status" -eq 1 ]
  [ "$stderr" = 'cairn-runtime: container "nope" does not exist' ]
  [ "$(jq -r '.level + " " + .msg' "$T/log.json")" = 'error container "nope" does not exist' ]
  jq -e '.time | test("^[0-9]{4}-")' "$T/log.json"
  run_logged cairn-runtime --root "$T/state" --log "$T/log.txt" start nope
  [[ "$(cat "$T/log.txt")" =~ ^time=\"[0-9T:.-]+Z\"\ level=error\ msg=\"container\ \\\"nope\\\"\ does\ not\ exist\"$ ]]
  run_logged cairn-runtime --log-format yaml list
  [ "$status" -eq 2 ]
}

@test "--debug logs what the runtime does to --log" {
  requires root
  rt_bundle true
  run_logged cairn-runtime --root "$T/state" --debug --log "$T/debug.json" --log-format json run -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  jq -se 'map(select(.level == "debug")) | length >= 2' "$T/debug.json"
  grep -q "create $ID" "$T/debug.json"
}

@test "a state root that does not exist yet is created; list of an empty root is just the header" {
  requires root
  run_logged cairn-runtime --root "$T/fresh/state" list
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^ID\ +PID\ +STATUS ]]
  [ "${#lines[@]}" -eq 1 ]
  run_logged cairn-runtime --root "$T/fresh/state" list --format json
  [ "$output" = "[]" ]
}
