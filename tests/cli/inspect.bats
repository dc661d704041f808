#!/usr/bin/env bats
# cairn inspect: docker's container JSON and -f templates.

load helpers

@test "cairn inspect: docker's keys and shapes" {
  port=$(free_port)
  web insp "$port" -e FOO=bar -l k=v
  run_logged cairn inspect insp
  assert_success
  j=$output
  assert_equal "$(jq length <<<"$j")" 1
  assert_equal "$(jq -r '.[0].Id' <<<"$j")" "$(cid insp)"
  assert_equal "$(jq -r '.[0].Name' <<<"$j")" /insp
  assert_equal "$(jq -r '.[0].Path' <<<"$j")" httpd
  assert_equal "$(jq -c '.[0].Args' <<<"$j")" '["-f","-p","80","-h","/www"]'
  assert_equal "$(jq -c '.[0].State | [.Status, .Running, .Paused, .Restarting, .OOMKilled, .Dead, .ExitCode]' <<<"$j")" '["running",true,false,false,false,false,0]'
  [ "$(jq '.[0].State.Pid' <<<"$j")" -gt 1 ]
  kill -0 "$(jq '.[0].State.Pid' <<<"$j")"
  [[ $(jq -r '.[0].Image' <<<"$j") =~ ^sha256:[0-9a-f]{64}$ ]]
  jq -e '.[0].Config.Env | index("FOO=bar")' <<<"$j" >/dev/null
  assert_equal "$(jq -r '.[0].Config.Labels.k' <<<"$j")" v
  assert_equal "$(jq -r '.[0].Config.Image' <<<"$j")" busybox
  assert_equal "$(jq -r '.[0].HostConfig.RestartPolicy.Name' <<<"$j")" no
  assert_equal "$(jq -c '.[0].HostConfig.PortBindings' <<<"$j")" "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$port\"}]}"
  assert_equal "$(jq -c '.[0].NetworkSettings.Ports' <<<"$j")" "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$port\"}]}"
  assert_equal "$(jq -r '.[0].Mounts[0].Destination' <<<"$j")" /www
  assert_equal "$(jq -r '.[0].Mounts[0].RW' <<<"$j")" false
  ip=$(jq -r '.[0].NetworkSettings.IPAddress' <<<"$j")
  [[ $ip =~ ^10\.198\.[0-9]+\.[0-9]+$ ]]
  assert_equal "$(jq -r '.[0].NetworkSettings.Networks.cairn.IPAddress' <<<"$j")" "$ip"
  # the address is the container's
  cairn exec insp ip addr show eth0 | grep -q "inet $ip/24"
}

@test "cairn inspect -f: the templates of the users' notes" {
  cairn run -d --name f1 busybox sleep 100 >/dev/null
  run_logged cairn inspect -f '{{.State.Status}}' f1
  assert_output running
  run_logged cairn inspect --format '{{ .NetworkSettings.IPAddress}}' f1
  assert_output --regexp '^10\.198\.[0-9]+\.[0-9]+$'
  run_logged cairn inspect --format '{{ json .Created }}' f1
  assert_output --regexp '^"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"$'
  run_logged cairn inspect -f '{{.Name}} {{json .Config.Cmd}} {{.HostConfig.AutoRemove}}' f1
  assert_output '/f1 ["sleep","100"] false'
  run_logged cairn inspect -f '{{.State.Bogus}}' f1
  assert_output "<no value>"
}

@test "cairn inspect: several objects, an image, and an unknown name" {
  cairn create --name i1 busybox true >/dev/null
  run_logged cairn inspect i1 busybox
  assert_success
  assert_equal "$(jq length <<<"$output")" 2
  assert_equal "$(jq -r '.[1].RepoTags[0]' <<<"$output")" busybox:latest
  run_logged cairn inspect i1 nosuch
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: no such object: nosuch"
  assert_equal "$(jq length <<<"$output")" 1
  run_logged cairn inspect --type image i1
  assert_equal "$status" 1
}

@test "cairn inspect: an exited container's state" {
  cairn run --name ex busybox sh -c 'exit 4' || true
  run_logged cairn inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{.State.Pid}}' ex
  assert_output "exited 4 false 0"
  fin=$(cairn inspect -f '{{.State.FinishedAt}}' ex)
  [ "$fin" != "0001-01-01T00:00:00Z" ]
  assert_equal "$(cairn inspect -f '{{.NetworkSettings.IPAddress}}' ex)" ""
}
