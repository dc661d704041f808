#!/usr/bin/env bats
# cairn ps -f: the filters beyond the basic ones — before/since, health,
# volume, publish/expose, is-task — and docker's OR-within-a-key rule.

load helpers

@test "cairn ps -f before= / since=: by creation order; an unknown container fails" {
  for n in one two three; do cairn create --name "$n" busybox true >/dev/null; done
  run_logged cairn ps -a -f before=two --format '{{.Names}}'
  assert_output one
  run_logged cairn ps -a -f since=two --format '{{.Names}}'
  assert_output three
  run_logged cairn ps -a -f since=one -f before=three --format '{{.Names}}'
  assert_output two
  run_logged cairn ps -a -f "before=$(cid three | cut -c1-10)" --format '{{.Names}}'
  assert_equal "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" "one two "
  run_logged cairn ps -a -f before=nosuch
  assert_failure
  [[ $stderr == *nosuch* ]]
}

@test "cairn ps -f: one key ORs its values, keys AND; bad values are refused" {
  cairn create --name c1 busybox true >/dev/null
  cairn run --name e1 busybox sh -c 'exit 1' || true
  cairn run -d --name r1 busybox sleep 300 >/dev/null
  run_logged cairn ps -a -f status=created -f status=exited --format '{{.Names}}'
  assert_equal "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" "c1 e1 "
  run_logged cairn ps -a -f status=exited -f name=c1 --format '{{.Names}}'
  assert_output ""
  run_logged cairn ps -a -f is-task=false --format '{{.Names}}'
  assert_equal "${#lines[@]}" 3
  run_logged cairn ps -a -f is-task=true --format '{{.Names}}'
  assert_output ""
  for bad in status=sleepy exited=x health=great publish=http is-task=maybe; do
    run_logged cairn ps -a -f "$bad"
    assert_equal "$status" 125
    [[ $stderr == *"${bad%%=*}"* ]] || fail "error for $bad does not name it: $stderr"
  done
}

@test "cairn ps -f health=, volume=" {
  cairn run -d --name hok --health-cmd true --health-interval 200ms busybox sleep 300 >/dev/null
  cairn run -d --name vol -v data1:/data busybox sleep 300 >/dev/null
  retry 50 0.1 sh -c '[ "$(cairn ps -f health=healthy --format "{{.Names}}")" = hok ]'
  run_logged cairn ps -f health=none --format '{{.Names}}'
  assert_output vol
  run_logged cairn ps -f volume=data1 --format '{{.Names}}'
  assert_output vol
  run_logged cairn ps -f volume=/data --format '{{.Names}}'
  assert_output vol
  run_logged cairn ps -f volume=other --format '{{.Names}}'
  assert_output ""
}

@test "cairn ps -f publish= / expose=: host and container ports, ranges and protocols" {
  p=$(free_port)
  cairn run -d --name pub -p "$p:80" -p 5353/udp busybox sleep 300 >/dev/null
  cairn run -d --name nopub busybox sleep 300 >/dev/null
  run_logged cairn ps -f "publish=$p" --format '{{.Names}}'
  assert_output pub
  run_logged cairn ps -f "publish=$p/udp" --format '{{.Names}}'
  assert_output ""
  run_logged cairn ps -f "publish=$((p - 1))-$((p + 1))" --format '{{.Names}}'
  assert_output pub
  run_logged cairn ps -f expose=80 --format '{{.Names}}'
  assert_output pub
  run_logged cairn ps -f expose=5353/udp --format '{{.Names}}'
  assert_output pub
  run_logged cairn ps -f expose=5353 --format '{{.Names}}'
  assert_output ""
}
