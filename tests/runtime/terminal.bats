#!/usr/bin/env bats
# cairn-runtime: terminals — the pty master sent to --console-socket as runc
# sends it, consoleSize, /dev/console, and the runtime's own relay for a
# foreground run.

load runtime_common

# recvtty_start: a console socket at $T/tty.sock whose output lands in $T/tty.out
recvtty_start() {
  "$CAIRN_SRC/tests/runtime/progs/recvtty.py" "$T/tty.sock" "$T/tty.out" "$@" 3>&- &
  RECV_PID=$!
  wait_until 5 test -e "$T/tty.out.ready"
}

@test "create with --console-socket: the container's stdio is a pty whose master we receive" {
  requires root cmd:python3
  rt_bundle sh -c 'tty; stty size; test -t 0 && echo in-tty; readlink /proc/self/fd/1; ls -l /dev/console | cut -c1'
  config_edit "$T/bundle" '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
  recvtty_start
  run_logged rt create --console-socket "$T/tty.sock" -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  rt start "$ID"
  wait "$RECV_PID"
  out="$(tr -d '\r' <"$T/tty.out")"
  [ "$(sed -n 1p <<<"$out")" = /dev/pts/0 ]
  [ "$(sed -n 2p <<<"$out")" = /dev/pts/0 ]
  [ "$(sed -n 3p <<<"$out")" = "30 100" ]
  [ "$(sed -n 4p <<<"$out")" = in-tty ]
  [ "$(sed -n 5p <<<"$out")" = /dev/pts/0 ]
  [ "$(sed -n 6p <<<"$out")" = c ]
}

@test "input typed on the pty reaches the process" {
  requires root cmd:python3
  rt_bundle sh -c 'read line; echo "got:$line"'
  config_edit "$T/bundle" '.process.terminal = true'
  recvtty_start $'hello\n'
  rt run -d --console-socket "$T/tty.sock" -b "$T/bundle" "$ID"
  wait "$RECV_PID"
  grep -q "got:hello" "$T/tty.out"
}

@test "the pty belongs to the process's user" {
  requires root cmd:python3
  rt_bundle sh -c 'stat -c %u /proc/self/fd/0'
  config_edit "$T/bundle" '.process.terminal = true | .process.user = {"uid": 1000, "gid": 1000}'
  recvtty_start
  rt run -d --console-socket "$T/tty.sock" -b "$T/bundle" "$ID"
  wait "$RECV_PID"
  [ "$(sed -n 2p "$T/tty.out" | tr -d '\r')" = 1000 ]
}

@test "run -t in the foreground relays the pty itself" {
  requires root
  rt_bundle sh -c 'tty; exit 3'
  config_edit "$T/bundle" '.process.terminal = true'
  run_logged rt run -b "$T/bundle" "$ID" </dev/null
  [ "$status" -eq 3 ]
  [ "$(tr -d '\r' <<<"$output")" = /dev/pts/0 ]
}

@test "a console socket that does not exist fails create cleanly" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.process.terminal = true'
  run_logged rt create --console-socket "$T/none.sock" -b "$T/bundle" "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = "cairn-runtime: connect to console socket '$T/none.sock': No such file or directory" ]
  [ ! -e "$T/state/$ID" ]
}
