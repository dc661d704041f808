#!/usr/bin/env bats
# cairn-runtime: bad input gets one clear line on stderr, exit 1, and leaves
# nothing behind — no state dir, no cgroup, no mount, no process.

load runtime_common

# refused CMD…: runs it; exit 1, exactly one line on stderr, nothing left.
refused() {
  run_logged "$@"
  [ "$status" -eq 1 ] || fail "expected exit 1, got $status"
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "expected one line on stderr"
  nothing_left
}

nothing_left() {
  [ ! -e "$T/state/$ID" ] || fail "state dir left: $(ls -A "$T/state/$ID")"
  local cg
  cg="$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$ID" 2>/dev/null)"
  [ -z "$cg" ] || fail "cgroup left: $cg"
  ! grep -q "$T/bundle" /proc/self/mountinfo || fail "mount left under the bundle"
}

@test "a missing bundle" {
  requires root
  refused rt create -b "$T/nope" "$ID"
  [[ "$stderr" == "cairn-runtime: bundle '$T/nope': No such file or directory" ]]
}

@test "a config.json that is not JSON" {
  requires root
  rt_bundle true
  echo '{"ociVersion": "1.1.0", ' >"$T/bundle/config.json"
  refused rt create -b "$T/bundle" "$ID"
  [[ "$stderr" == "cairn-runtime: config.json:2:0: "* ]]
}

@test "a config.json with wrong types names the field" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.args = "true"'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: config.json: process.args: expected an array of strings, got a string" ]
  config_edit "$T/bundle" '.process.args = ["true"] | .process.user.uid = "0"'
  refused rt run -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: config.json: process.user.uid: expected an integer, got a string" ]
  config_edit "$T/bundle" '.process.user.uid = 0 | .mounts[0].options = "ro"'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: config.json: mounts[0].options: expected an array, got a string" ]
  config_edit "$T/bundle" '.mounts[0].options = [] | .process.capabilities.bounding = ["CAP_FLY"]'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: config.json: process.capabilities.bounding: unknown capability "CAP_FLY"' ]
  config_edit "$T/bundle" '.process.capabilities.bounding = [] | .process.rlimits[0].type = "RLIMIT_FOO"'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"' ]
}

@test "an unknown namespace type" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces += [{"type": "foo"}]'
  refused rt create -b "$T/bundle" "$ID"
  [[ "$stderr" == *'linux.namespaces['*']: unknown namespace type "foo"' ]]
}

@test "a namespace path that does not exist or is not that namespace" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.namespaces |= map(if .type == "network" then .path = "/nope/net" else . end)'
  refused rt create -b "$T/bundle" "$ID"
  [[ "$stderr" == *"network namespace path '/nope/net': No such file or directory" ]]
  config_edit "$T/bundle" '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
  refused rt create -b "$T/bundle" "$ID"
  [[ "$stderr" == *"namespace path '/proc/self/ns/uts' is not a network namespace" ]]
}

@test "a bind mount whose source does not exist; a filesystem the kernel does not know" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent/dir", "options": ["rbind"]}]'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: mount source '/nonexistent/dir': No such file or directory" ]
  config_edit "$T/bundle" '.mounts[-1] = {"destination": "/data", "type": "nosuchfs", "source": "x"}'
  refused rt run -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: mount nosuchfs on '/data': No such device" ]
  config_edit "$T/bundle" '.mounts[-1] = {"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}'
  refused rt create -b "$T/bundle" "$ID"
  [[ "$stderr" == *'mounts[7].options: "idmap" mounts are not supported' ]]
}

@test "a program that does not exist: runc's message, for create and run" {
  requires root
  rt_bundle nope-not-here
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: exec: "nope-not-here": executable file not found in $PATH' ]
  refused rt run -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: exec: "nope-not-here": executable file not found in $PATH' ]
  config_edit "$T/bundle" '.process.args = ["/bin/nope"]'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: exec: "/bin/nope": stat /bin/nope: No such file or directory' ]
  config_edit "$T/bundle" '.process.args = ["/etc/passwd"]'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: exec: "/etc/passwd": permission denied' ]
}

@test "a missing rootfs, a missing process, a relative cwd" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.root.path = "nothere"'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: rootfs '$T/bundle/nothere': No such file or directory" ]
  config_edit "$T/bundle" '.root.path = "rootfs" | del(.process)'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: config.json: process: is required" ]
  rm "$T/bundle/config.json"
  rt_bundle true
  config_edit "$T/bundle" '.process.cwd = "tmp"'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: config.json: process.cwd: must be an absolute path, got "tmp"' ]
}

@test "bad linux.resources are refused before a cgroup exists" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.resources.memory = {"limit": "lots"}'
  refused rt create -b "$T/bundle" "$ID"
  [[ "$stderr" == *memory* ]]
}

@test "a sysctl outside the container's namespaces is refused" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.sysctl = {"vm.swappiness": "10"}'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = 'cairn-runtime: config.json: linux.sysctl: "vm.swappiness" is not in a separate kernel namespace' ]
}

@test "a terminal without --console-socket when detaching, and the reverse" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.terminal = true'
  run_logged rt create -b "$T/bundle" "$ID"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"--console-socket is required"* ]]
  nothing_left
  config_edit "$T/bundle" '.process.terminal = false'
  run_logged rt create --console-socket "$T/sock" -b "$T/bundle" "$ID"
  [ "$status" -ne 0 ]
  nothing_left
}

@test "a failing createRuntime hook undoes the container" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.hooks.createRuntime = [{"path": "/bin/false"}]'
  refused rt create -b "$T/bundle" "$ID"
  [ "$stderr" = "cairn-runtime: createRuntime hook '/bin/false' exited with status 1" ]
}

@test "unknown commands and flags are usage errors" {
  run_logged cairn-runtime frobnicate
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"unknown command 'frobnicate'"* ]]
  run_logged cairn-runtime --root "$T/state" create --frob x
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"create: unknown flag '--frob'"* ]]
  run_logged cairn-runtime --root "$T/state" start
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"start: a container ID is required"* ]]
}
