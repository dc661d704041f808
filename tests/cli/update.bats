#!/usr/bin/env bats
# cairn update: resources of running containers change in their cgroups at
# once; stopped ones keep the change for their next start; inspect shows it.

load helpers

# cg CONTROLLER FILE NAME: a cgroup v1 file of the container NAME.
cg() { cat "/sys/fs/cgroup/$1$CGPARENT/$(cid "$3")/$2"; }

@test "cairn update: memory, cpus, shares, pids of a running container change in its cgroup" {
  requires cgroup_v1
  cairn run -d --name up -m 64m busybox sleep 300 >/dev/null
  assert_equal "$(cg memory memory.limit_in_bytes up)" $((64 << 20))
  run_logged cairn update -m 128m --cpus 0.5 --cpu-shares 512 --pids-limit 42 up
  assert_success
  assert_output up
  assert_equal "$(cg memory memory.limit_in_bytes up)" $((128 << 20))
  assert_equal "$(cg cpu cpu.cfs_quota_us up)" 50000
  assert_equal "$(cg cpu cpu.cfs_period_us up)" 100000
  assert_equal "$(cg cpu cpu.shares up)" 512
  assert_equal "$(cg pids pids.max up)" 42
  run_logged cairn inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}}' up
  assert_output "134217728 500000000 512 42"
  # the stats LIMIT follows
  assert_equal "$(cairn stats --no-stream --format '{{.MemUsage}}' up | sed 's|.* / ||')" 128MiB
  run_logged cairn update --cpu-quota 20000 --cpu-period 50000 --cpuset-cpus 0 up
  assert_success
  assert_equal "$(cg cpu cpu.cfs_quota_us up)" 20000
  assert_equal "$(cg cpu cpu.cfs_period_us up)" 50000
  assert_equal "$(cg cpuset cpuset.cpus up)" 0
  assert_equal "$(cairn inspect -f '{{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpusetCpus}}' up)" \
    "20000 50000 0 0"
}

@test "cairn update: a stopped container gets the new limits at its next start" {
  requires cgroup_v1
  cairn create --name st busybox sleep 300 >/dev/null
  run_logged cairn update --memory 96m --pids-limit 7 st
  assert_success
  assert_equal "$(cairn inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' st)" "100663296 7"
  cairn start st >/dev/null
  assert_equal "$(cg memory memory.limit_in_bytes st)" $((96 << 20))
  assert_equal "$(cg pids pids.max st)" 7
  cairn stop -t 0 st >/dev/null
  cairn update --pids-limit 9 st >/dev/null
  cairn start st >/dev/null
  assert_equal "$(cg pids pids.max st)" 9
  assert_equal "$(cg memory memory.limit_in_bytes st)" $((96 << 20))
}

@test "cairn update --restart: the policy changes, also for the running shim" {
  cairn run -d --name rs busybox sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 3' >/dev/null
  run_logged cairn update --restart on-failure:2 rs
  assert_success
  assert_equal "$(cairn inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' rs)" \
    "on-failure 2"
  # the running shim applies it: two restarts, then it stays exited
  cairn exec rs touch /tmp/go
  retry 100 0.1 sh -c '[ "$(cairn inspect -f "{{.RestartCount}} {{.State.Status}}" rs)" = "2 exited" ]'
}

@test "cairn update: bad values and unknown containers change nothing" {
  cairn run -d --name bv -m 64m busybox sleep 300 >/dev/null
  for bad in "-m 1k" "-m lots" "--cpus 99" "--cpus 0" "--pids-limit x" "--cpu-shares -5" \
    "--restart sometimes" "--cpuset-cpus a-b" "--cpus 1 --cpu-quota 10000"; do
    # shellcheck disable=SC2086
    run_logged cairn update $bad bv
    assert_equal "$status" 125
    [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ] || fail "more than one line for $bad"
  done
  run_logged cairn update bv
  assert_equal "$status" 125
  run_logged cairn update -m 128m nosuch
  assert_failure
  [[ $stderr == *nosuch* ]]
  assert_equal "$(cairn inspect -f '{{.HostConfig.Memory}}' bv)" $((64 << 20))
}
