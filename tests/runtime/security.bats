#!/usr/bin/env bats
# cairn-runtime: the protections — CVE-2019-5736 (the runtime binary cannot
# be overwritten from a container), CVE-2024-21626 (no runtime fd and no
# host cwd reach the container), --preserve-fds.

load runtime_common

# The attack's setup: the container's dynamic loader is evil_interp, and
# /evil.sh is a script whose interpreter is /proc/self/exe.
evil_bundle() {
  rt_bundle "$@"
  mkdir -p "$T/bundle/rootfs/lib64"
  cp "$(rt_prog evil_interp)" "$T/bundle/rootfs/lib64/ld-linux-x86-64.so.2"
  cp "$(rt_prog probe)" "$T/bundle/rootfs/probe"
  printf '#!/proc/self/exe\n' >"$T/bundle/rootfs/evil.sh"
  chmod +x "$T/bundle/rootfs/evil.sh"
  # a private copy of the runtime, so that a successful attack harms nothing
  cp "$CAIRN_SRC/bin/cairn-runtime" "$T/rt"
  sha256sum <"$T/rt" >"$T/rt.sum"
}

@test "CVE-2019-5736: /proc/self/exe in the container's execve is the sealed exec helper, not the runtime" {
  requires root cmd:gcc
  evil_bundle sleep 100
  "$T/rt" --root "$T/state" run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  # exec of a "#!/proc/self/exe" script, and the same as the entrypoint
  run_logged "$T/rt" --root "$T/state" exec "$ID" /evil.sh
  [ "$status" -eq 126 ]
  [[ "$stderr" == *"only the runtime starts this program"* ]]
  config_edit "$T/bundle" '.process.args = ["/proc/self/exe", "--version"]'
  run_logged "$T/rt" --root "$T/state" run -b "$T/bundle" "$ID-2"
  [ "$status" -eq 126 ]
  [[ "$stderr" == *"only the runtime starts this program"* ]]
  # the runtime never ran in the container (its loader would have logged it)
  [ ! -e "$T/bundle/rootfs/tmp/exe-link" ]
  sha256sum <"$T/rt" | cmp -s - "$T/rt.sum"
}

@test "CVE-2019-5736: with CAP_SYS_PTRACE the runtime re-executes from a sealed copy that cannot be written" {
  requires root
  rt_bundle true
  # a process that could ptrace the runtime cannot be left to
  # non-dumpability: the runtime runs from its sealed copy instead, and that
  # is what the container's process is while it waits for start
  config_edit "$T/bundle" '.process.capabilities[] += ["CAP_SYS_PTRACE"]'
  cp "$CAIRN_SRC/bin/cairn-runtime" "$T/rt"
  sha256sum <"$T/rt" >"$T/rt.sum"
  "$T/rt" --root "$T/state" create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  [[ "$(readlink /proc/"$pid"/exe)" == "/memfd:cairn-runtime"* ]]
  # not even root on the host can write to it
  ! sh -c "echo x >> /proc/$pid/exe" 2>/dev/null
  rt start "$ID"
  sha256sum <"$T/rt" | cmp -s - "$T/rt.sum"
}

@test "CVE-2019-5736: a created container's process cannot be reached through /proc/PID/exe" {
  requires root
  rt_bundle true
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  # It waits for start as the runtime, non-dumpable: a second container in
  # its pid namespace, as root with the same capabilities, cannot resolve
  # its exe (without that it could, and keep the runtime's file open).
  mkdir -p "$T/b2"
  cp "$T/bundle/config.json" "$T/b2/config.json"
  config_edit "$T/b2" '.root.path = $r | .process.args = ["sh", "-c", "readlink /proc/1/exe 2>/dev/null || echo denied; cat /proc/1/exe >/dev/null 2>&1 || echo denied"] | (.linux.namespaces[] | select(.type == "pid")) += {path: $p}' \
    --arg r "$T/bundle/rootfs" --arg p "/proc/$pid/ns/pid"
  run_logged rt run -b "$T/b2" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'denied\ndenied')" ]
}

@test "CVE-2019-5736: a seccomp profile that refuses execveat gets the sealed copy, and the container runs" {
  requires root
  rt_bundle sh -c 'echo ran'
  config_edit "$T/bundle" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["execveat"], action: "SCMP_ACT_ERRNO"}]}'
  run_logged rt --debug run -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"re-executing from a sealed copy: the seccomp profile does not allow execveat"* ]]
  [[ "$output" == *ran* ]]
  # and one that allows it takes the helper
  config_edit "$T/bundle" '.linux.seccomp.syscalls[0].names = ["mount"]'
  run_logged rt --debug run -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"run: start"* && "$stderr" != *"re-executing"* ]]
  [[ "$output" == *ran* ]]
}

@test "a failed execve of the container's program is reported by run, through the exec helper" {
  requires root
  rt_bundle /bad
  printf '#!/no/such/interpreter\n' >"$T/bundle/rootfs/bad"
  chmod +x "$T/bundle/rootfs/bad"
  run_logged rt run -b "$T/bundle" "$ID"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"exec '/bad': No such file or directory"* ]]
  run rt state "$ID"
  [ "$status" -ne 0 ]
}

@test "CVE-2024-21626: only stdio reaches the container's process and exec'd processes" {
  requires root cmd:gcc
  rt_bundle sleep 100
  cp "$(rt_prog probe)" "$T/bundle/rootfs/probe"
  # the runtime gets extra fds from its caller: none may pass
  exec 7<"$T/bundle/config.json" 8>"$T/extra"
  in_ctr /probe fds
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '0\n1\n2')" ]
  config_edit "$T/bundle" '.process.args = ["sleep", "100"]'
  rt run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged rt exec "$ID" /probe fds
  exec 7<&- 8>&-
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '0\n1\n2')" ]
}

@test "--preserve-fds passes exactly fds 3 .. 3+N-1" {
  requires root cmd:gcc
  rt_bundle true
  cp "$(rt_prog probe)" "$T/bundle/rootfs/probe"
  echo through >"$T/f3"
  config_edit "$T/bundle" '.process.args = ["sh", "-c", "/probe fds; cat <&3"]'
  run_logged rt run --preserve-fds 1 -b "$T/bundle" "$ID" 3<"$T/f3" 4<"$T/f3"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '0\n1\n2\n3\nthrough')" ]
}

@test "CVE-2024-21626: a cwd through a leaked fd path stays inside the container" {
  requires root
  rt_bundle true
  # the classic attack: cwd /proc/self/fd/N where N was a runtime fd to a host dir
  for n in 3 4 5 6 7 8 9; do
    config_edit "$T/bundle" '.process.cwd = $c' --arg c "/proc/self/fd/$n"
    in_ctr sh -c 'pwd; ls ../../../ | head -3'
    [[ "$output" != *"$T"* ]]
    if [ "$status" -eq 0 ]; then
      [[ "${lines[0]}" == /* ]]
    fi
  done
}

@test "masked and read-only paths cannot be undone without CAP_SYS_ADMIN" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.linux.maskedPaths += ["/etc/shadow-ish"]'
  echo secret >"$T/bundle/rootfs/etc/shadow-ish"
  in_ctr sh -c 'umount /etc/shadow-ish 2>/dev/null; cat /etc/shadow-ish; umount /proc/sys 2>/dev/null; echo x > /proc/sys/kernel/hostname 2>/dev/null || echo ro'
  [ "$status" -eq 0 ]
  [ "$output" = ro ]
}
