#!/usr/bin/env bats
# cairn-runtime: the protections — CVE-2019-5736 (the runtime binary cannot
# be overwritten from a container), CVE-2024-21626 (no runtime fd and no
# host cwd reach the container), --preserve-fds.

load runtime_common

@test "CVE-2019-5736: a container that executes the runtime cannot write to its binary" {
  requires root cmd:gcc
  rt_bundle sleep 100
  evil="$(rt_prog evil_interp)"
  probe="$(rt_prog probe)"
  # the attack: the container's dynamic loader is evil_interp, and the
  # command given to exec is a script whose interpreter is /proc/self/exe
  mkdir -p "$T/bundle/rootfs/lib64"
  cp "$evil" "$T/bundle/rootfs/lib64/ld-linux-x86-64.so.2"
  cp "$probe" "$T/bundle/rootfs/probe"
  printf '#!/proc/self/exe\n' >"$T/bundle/rootfs/evil.sh"
  chmod +x "$T/bundle/rootfs/evil.sh"
  # a private copy of the runtime, so that a successful attack harms nothing
  cp "$CAIRN_SRC/bin/cairn-runtime" "$T/rt"
  before="$(sha256sum <"$T/rt")"
  "$T/rt" --root "$T/state" run -d -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  run_logged "$T/rt" --root "$T/state" exec "$ID" /evil.sh
  wait_until 10 test -s "$T/bundle/rootfs/tmp/attack"
  # the container ran the runtime, but from a sealed in-memory copy
  [[ "$(cat "$T/bundle/rootfs/tmp/exe-link")" == "/memfd:cairn-runtime"* ]]
  [ "$(cat "$T/bundle/rootfs/tmp/attack")" = "write: Operation not permitted" ]
  [ "$(sha256sum <"$T/rt")" = "$before" ]
}

@test "CVE-2019-5736: the container's process waits for start running from the sealed copy" {
  requires root
  rt_bundle true
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  [[ "$(readlink /proc/"$pid"/exe)" == "/memfd:cairn-runtime"* ]]
  ! sh -c "echo x >> /proc/$pid/exe" 2>/dev/null
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
