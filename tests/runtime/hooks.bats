#!/usr/bin/env bats
# cairn-runtime: OCI hooks — when each kind runs, in which namespaces, with
# the state on stdin, its own args and env, and a timeout.

load runtime_common

# hook KIND: a hook object that appends "KIND <uts namespace> <state JSON> <$X>" to $T/hooks.log
hook() {
  jq -n --arg k "$1" --arg log "$T/hooks.log" '{"path": "/bin/sh",
    "args": ["sh", "-c", "read -r s; echo \"$0 $(readlink /proc/self/ns/uts) $s $X\" >> \"$1\"", $k, $log],
    "env": ["X=env-ok", "PATH=/bin:/usr/bin"]}'
}

@test "every hook kind runs at its step, with the state on stdin and its args and env" {
  requires root
  rt_bundle sleep 100
  config_edit "$T/bundle" '.hostname = "ctr" | .hooks = {
    "prestart": [$pre], "createRuntime": [$cr], "createContainer": [$cc],
    "startContainer": [$sc], "poststart": [$ps], "poststop": [$pp]}' \
    --argjson pre "$(hook prestart)" --argjson cr "$(hook createRuntime)" \
    --argjson cc "$(hook createContainer)" --argjson ps "$(hook poststart)" \
    --argjson pp "$(hook poststop)" \
    --argjson sc "$(jq -n '{"path": "/bin/sh", "args": ["sh", "-c", "read -r s; echo \"startContainer $(hostname) $s\" > /tmp/sc.log"]}')"
  rt create -b "$T/bundle" "$ID" </dev/null >/dev/null 2>&1
  pid="$(rt state "$ID" | jq .pid)"
  [ "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" = "prestart createRuntime createContainer " ]
  # prestart and createRuntime run in the runtime's namespaces, createContainer in the container's
  [ "$(sed -n 1p "$T/hooks.log" | cut -d' ' -f2)" = "$(readlink /proc/self/ns/uts)" ]
  [ "$(sed -n 2p "$T/hooks.log" | cut -d' ' -f2)" = "$(readlink /proc/self/ns/uts)" ]
  [ "$(sed -n 3p "$T/hooks.log" | cut -d' ' -f2)" = "$(readlink /proc/"$pid"/ns/uts)" ]
  [ "$(readlink /proc/"$pid"/ns/uts)" != "$(readlink /proc/self/ns/uts)" ]
  state="$(sed -n 1p "$T/hooks.log" | cut -d' ' -f3- | sed 's/ env-ok$//')"
  [ "$(jq -r '.id + " " + (.pid|tostring) + " " + .bundle + " " + .ociVersion' <<<"$state")" = "$ID $pid $T/bundle 1.1.0" ]
  [ "$(sed -n 1p "$T/hooks.log" | awk '{print $NF}')" = env-ok ]
  [ ! -e "$T/bundle/rootfs/tmp/sc.log" ]
  rt start "$ID"
  # startContainer ran inside the container (its /bin/sh, its /tmp)
  wait_until 5 test -s "$T/bundle/rootfs/tmp/sc.log"
  [[ "$(cat "$T/bundle/rootfs/tmp/sc.log")" == "startContainer ctr {"* ]]
  [ "$(sed -n 4p "$T/hooks.log" | cut -d' ' -f1)" = poststart ]
  [ "$(sed -n 4p "$T/hooks.log" | cut -d' ' -f3- | sed 's/ env-ok$//' | jq -r .status)" = running ]
  rt delete --force "$ID"
  [ "$(sed -n 5p "$T/hooks.log" | cut -d' ' -f1)" = poststop ]
  [ "$(sed -n 5p "$T/hooks.log" | cut -d' ' -f3- | sed 's/ env-ok$//' | jq -r .status)" = stopped ]
  [ "$(wc -l <"$T/hooks.log")" -eq 5 ]
}

@test "run runs poststart after the process starts and poststop when it ends" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.hooks = {"poststart": [$ps], "poststop": [$pp]}' \
    --argjson ps "$(hook poststart)" --argjson pp "$(hook poststop)"
  run_logged rt run -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [ "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" = "poststart poststop " ]
}

@test "a hook that outlives its timeout is killed and the container is not created" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
  start=$SECONDS
  run_logged rt create -b "$T/bundle" "$ID"
  [ "$status" -eq 1 ]
  [ $((SECONDS - start)) -lt 10 ]
  [ "$stderr" = "cairn-runtime: prestart hook '/bin/sleep' timed out after 1 s" ]
  [ ! -e "$T/state/$ID" ]
}

@test "a failing hook's output is in the error; a failing poststop only warns" {
  requires root
  rt_bundle true
  config_edit "$T/bundle" '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "echo no space left; exit 4"]}]'
  run_logged rt create -b "$T/bundle" "$ID"
  [ "$status" -eq 1 ]
  [ "$stderr" = "cairn-runtime: createContainer hook '/bin/sh' exited with status 4: no space left" ]
  config_edit "$T/bundle" 'del(.hooks.createContainer) | .hooks.poststop = [{"path": "/bin/false"}]'
  run_logged rt run -b "$T/bundle" "$ID"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"level=warning"*"poststop hook '/bin/false' exited with status 1"* ]]
  [ ! -e "$T/state/$ID" ]
}
