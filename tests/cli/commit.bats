#!/usr/bin/env bats
# cairn commit and cairn diff: a container's changes as an image and as
# docker's A/C/D list.

load helpers

@test "cairn diff: added, changed and deleted paths as docker lists them" {
  cairn run --name d1 busybox sh -c 'mkdir /newdir && echo x > /newdir/f && echo y >> /etc/passwd && rm /etc/group'
  run_logged cairn diff d1
  assert_success
  assert_line 'A /newdir'
  assert_line 'A /newdir/f'
  assert_line 'C /etc'
  assert_line 'C /etc/passwd'
  assert_line 'D /etc/group'
  refute_line --partial '/bin'
  # sorted by path, as docker prints it
  assert_equal "$(printf '%s\n' "${lines[@]}" | sort -k2)" "$output"
  # a running container's bind-mount targets are no change of its own
  cairn run -d --name d2 busybox sh -c 'touch /tmp/x; sleep 300' >/dev/null
  retry 50 0.1 cairn exec d2 test -e /tmp/x
  run_logged cairn diff d2
  assert_output "$(printf 'C /tmp\nA /tmp/x')"
  run_logged cairn diff nosuch
  assert_failure
  [[ $stderr == *nosuch* ]]
}

@test "cairn commit: a file made in a container is in an image run from the commit" {
  cairn run -d --name src busybox sh -c 'echo committed-data > /data.txt; sleep 300' >/dev/null
  retry 50 0.1 cairn exec src test -f /data.txt
  run_logged cairn commit -m "add data" -a "Tess <t@example.com>" src snap:v1
  assert_success
  assert_output --regexp '^sha256:[0-9a-f]{64}$'
  id=$output
  # --pause (the default) resumed it afterwards
  run_logged cairn exec src cat /data.txt
  assert_output committed-data
  run_logged cairn run --rm snap:v1 cat /data.txt
  assert_success
  assert_output committed-data
  cairn image inspect snap:v1 >"$T/img.json"
  assert_equal "$(jq -r '.[0] | "\(.Id) \(.Author) \(.Comment)"' "$T/img.json")" "$id Tess <t@example.com> add data"
  assert_equal "$(cairn-image config snap:v1 | jq -r '.history[-1].comment')" "add data"
  # the container's command became the image's
  assert_equal "$(jq -c '.[0].Config.Cmd' "$T/img.json")" \
    '["sh","-c","echo committed-data > /data.txt; sleep 300"]'
}

@test "cairn commit -c: instructions change the new image's config" {
  cairn run --name ch -e FOO=bar busybox sh -c 'echo hi > /greeting'
  run_logged cairn commit -c 'CMD ["cat", "/greeting"]' -c 'ENV COLOR=blue' -c 'WORKDIR /tmp' ch chimg
  assert_success
  run_logged cairn run --rm chimg
  assert_output hi
  run_logged cairn run --rm chimg sh -c 'echo $FOO $COLOR $(pwd)'
  assert_output "bar blue /tmp"
  # no tag: an image known by its id only
  run_logged cairn commit ch
  assert_success
  run_logged cairn run --rm "${output#sha256:}" cat /greeting
  assert_output hi
  run_logged cairn commit -c 'BOGUS x' ch bad
  assert_failure
  [[ $stderr == *BOGUS* ]]
  run_logged cairn image inspect bad
  assert_failure
  run_logged cairn commit nosuch img2
  assert_failure
  [[ $stderr == *nosuch* ]]
}
