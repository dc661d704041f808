#!/usr/bin/env bats
# cairn events: the container events written by others than the command a
# user typed — the shim's restarts, health changes and OOM kills — and the
# ones of exec, attach, restart, update, commit, cp, export, top.

load helpers
bats_require_minimum_version 1.5.0

# ev ARGS… : the journal read back, container events only, one per line.
ev() { cairn events --since 1h --until 0s -f type=container "$@"; }

exited() { [ "$(cairn inspect -f '{{.State.Status}}' "$1")" = exited ]; }

@test "cairn events: a restart policy's restarts are die and start, with the exit code" {
  cairn run -d --name rs --restart on-failure:2 busybox sh -c 'exit 4' >/dev/null
  wait_until 60 exited rs || fail "not exited: $(cairn inspect -f '{{.State.Status}}' rs)"
  assert_equal "$(cairn inspect -f '{{.RestartCount}}' rs)" 2
  run_logged ev -f container=rs --format '{{.Action}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}'
  assert_output "$(printf '%s\n' 'create <no value> rs busybox' 'start <no value> rs busybox' \
    'die 4 rs busybox' 'start <no value> rs busybox' 'die 4 rs busybox' \
    'start <no value> rs busybox' 'die 4 rs busybox')"
  # docker's shape: Actor.ID is the container, status and from as docker
  id=$(cid rs)
  run_logged ev -f event=die --format '{{json .}}'
  assert_equal "${#lines[@]}" 3
  for l in "${lines[@]}"; do
    jq -e --arg id "$id" '.Type == "container" and .Action == "die" and .status == "die" and
      .id == $id and .Actor.ID == $id and .from == "busybox" and .scope == "local" and
      (.timeNano / 1000000000 | floor) == .time' <<<"$l"
  done
}

@test "cairn events: a stop while the shim waits to restart journals one die per exit" {
  # the backoff grows: with enough failures the shim is waiting when stop comes
  cairn run -d --name rw --restart always busybox sh -c 'exit 2' >/dev/null
  wait_until 60 sh -c '[ "$(cairn inspect -f "{{.RestartCount}}" rw)" -ge 4 ]'
  cairn stop rw >/dev/null
  wait_until 30 exited rw
  starts=$(ev -f container=rw -f event=start --format x | wc -l)
  dies=$(ev -f container=rw -f event=die --format x | wc -l)
  assert_equal "$dies" "$starts"
}

@test "cairn events: health_status events when the health status changes" {
  cairn run -d --name hc --label team=x --health-cmd 'test -e /tmp/ok' --health-interval 200ms \
    --health-retries 1 busybox sh -c 'touch /tmp/ok; sleep 300' >/dev/null
  wait_until 30 sh -c '[ "$(cairn inspect -f "{{.State.Health.Status}}" hc)" = healthy ]'
  cairn exec hc rm /tmp/ok
  wait_until 30 sh -c '[ "$(cairn inspect -f "{{.State.Health.Status}}" hc)" = unhealthy ]'
  cairn exec hc touch /tmp/ok
  wait_until 30 sh -c '[ "$(cairn inspect -f "{{.State.Health.Status}}" hc)" = healthy ]'
  # docker's filter: event=health_status takes every "health_status: …"
  run_logged ev -f event=health_status --format '{{.Action}}|{{.Actor.Attributes.name}}|{{.Actor.Attributes.team}}'
  assert_output "$(printf '%s\n' 'health_status: healthy|hc|x' 'health_status: unhealthy|hc|x' \
    'health_status: healthy|hc|x')"
  run_logged ev -f 'event=health_status: unhealthy' --format '{{.Actor.ID}}'
  assert_output "$(cid hc)"
}

@test "cairn events: a rename of a running container reaches the shim's events" {
  cairn run -d --name before --health-cmd 'test -e /tmp/ok' --health-interval 200ms \
    --health-retries 1 busybox sh -c 'sleep 300' >/dev/null
  wait_until 30 sh -c '[ "$(cairn inspect -f "{{.State.Health.Status}}" before)" = unhealthy ]'
  cairn rename before after
  cairn exec after touch /tmp/ok
  wait_until 30 sh -c '[ "$(cairn inspect -f "{{.State.Health.Status}}" after)" = healthy ]'
  run_logged ev -f event=health_status --format '{{.Action}} {{.Actor.Attributes.name}}'
  assert_output "$(printf '%s\n' 'health_status: unhealthy before' 'health_status: healthy after')"
}

@test "cairn events: exec is exec_create, exec_start and exec_die with its exit code" {
  cairn run -d --name ex busybox sleep 300 >/dev/null
  run cairn exec ex sh -c 'exit 7'
  assert_equal "$status" 7
  cairn exec ex true
  run_logged ev -f container=ex --format '{{.Action}}|{{.Actor.Attributes.exitCode}}|{{.Actor.Attributes.name}}'
  assert_output "$(printf '%s\n' 'create|<no value>|ex' 'start|<no value>|ex' \
    'exec_create: sh -c exit 7|<no value>|ex' 'exec_start: sh -c exit 7|<no value>|ex' \
    'exec_die|7|ex' 'exec_create: true |<no value>|ex' 'exec_start: true |<no value>|ex' \
    'exec_die|0|ex')"
  # one execID per exec, on all three
  run_logged ev -f container=ex --format '{{.Actor.Attributes.execID}}'
  ids=$(grep -v '<no value>' <<<"$output" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')
  assert_equal "$ids" "3 3 "
  run_logged ev -f event=exec_start --format '{{.Action}}'
  assert_equal "${#lines[@]}" 2
  # a command that is not there: no process, no events
  run -127 cairn exec ex nosuchcmd
  assert_equal "$status" 127
  assert_equal "$(ev -f event=exec_create --format x | wc -l)" 2
}

@test "cairn events: attach for run and start -a, restart, update, top, cp, export, commit" {
  cairn run --name fg busybox true
  cairn start -a fg
  run_logged ev -f container=fg --format '{{.Action}}'
  assert_output "$(printf '%s\n' create attach start die attach start die)"
  cairn run -d --name misc busybox sleep 300 >/dev/null
  cairn restart -t 1 misc >/dev/null
  cairn update --cpu-shares 512 misc >/dev/null
  cairn top misc >/dev/null
  cairn kill -s HUP misc >/dev/null
  echo x >"$T/f"
  cairn cp "$T/f" misc:/f
  cairn cp misc:/f "$T/g"
  cairn export -o "$T/misc.tar" misc
  cairn commit -m snap misc snapped:v1 >/dev/null
  run_logged ev -f container=misc --format '{{.Action}}'
  assert_output "$(printf '%s\n' create start kill kill die stop start restart update top \
    kill extract-to-dir archive-path export commit)"
  # docker's kill events carry the signal's number: stop's TERM (which
  # sleep as pid 1 ignores), KILL once -t 1 has passed, then HUP
  run_logged ev -f event=kill --format '{{.Actor.Attributes.signal}}'
  assert_output "$(printf '15\n9\n1')"
  run_logged ev -f event=commit --format '{{.Actor.Attributes.comment}} {{.Actor.Attributes.imageRef}} {{.Actor.Attributes.imageID}}'
  assert_output "snap docker.io/library/snapped:v1 $(cairn images -q --no-trunc snapped:v1)"
}

@test "cairn events: oom before the die of a container the kernel killed for memory" {
  requires cgroup_v1
  cairn run --name oomer -m 8m --memory-swap 8m busybox sh -c 'head -c 200m /dev/zero | tail' || true
  [ "$(cairn inspect -f '{{.State.OOMKilled}}' oomer)" = true ] || skip "the kernel did not OOM-kill (no memory accounting?)"
  run_logged ev -f container=oomer --format '{{.Action}} {{.Actor.Attributes.exitCode}}'
  assert_output "$(printf '%s\n' 'create <no value>' 'attach <no value>' 'start <no value>' 'oom <no value>' 'die 137')"
}
