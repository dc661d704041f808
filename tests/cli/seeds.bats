#!/usr/bin/env bats
# The flows of the users' own notes (shared/seeds), typed as they wrote
# them, with our image names: busybox stands for hello-world, nginx,
# ubuntu and redis (there is no internet here).

load helpers

PTY="$CAIRN_SRC/tests/helpers/ttydrive.py"

@test "seeds: first instance, then ps and ps -a as the notes show them" {
  run_logged cairn run busybox echo "Hello from busybox"
  assert_success
  assert_output "Hello from busybox"
  run_logged cairn images
  assert_line --regexp '^busybox +latest +[0-9a-f]{12} +'
  run_logged cairn ps
  assert_equal "${#lines[@]}" 1
  run_logged cairn ps -a
  assert_line --index 1 --regexp '^[0-9a-f]{12} +busybox +"echo .Hello from bu…" +.* ago +Exited \(0\) .* ago +[a-z]+_[a-z]+$'
}

@test "seeds: a server instance on 8001-style port, its life cycle, rm and rmi" {
  port=$(free_port)
  web webserver1 "$port"
  run_logged cairn ps
  assert_line --index 1 --regexp "0\\.0\\.0\\.0:$port->80/tcp +webserver1\$"
  for verb in stop start restart; do
    run_logged cairn "$verb" webserver1
    assert_success
    assert_output webserver1
    if [ "$verb" != stop ]; then
      retry 50 0.1 http "$port" >/dev/null || fail "no page after $verb"
    fi
  done
  assert_equal "$(http "$port")" "hello from webserver1"
  cairn stop webserver1 >/dev/null
  run_logged cairn rm webserver1
  assert_output webserver1
  cairn tag busybox hello-world
  run_logged cairn rmi hello-world
  assert_success
  assert_output "Untagged: hello-world:latest"
  run_logged cairn images
  assert_line --index 1 --regexp '^busybox +latest '
  assert_equal "${#lines[@]}" 2
}

@test "seeds: data-only containers and --volumes-from, twice over" {
  run_logged cairn run --name wwwdata -v /var/lib/www busybox true
  assert_success
  run_logged cairn run --name wwwlogs -v /var/log/www busybox true
  assert_success
  run_logged cairn run -d --name web --volumes-from wwwdata --volumes-from wwwlogs busybox \
    sh -c 'echo page >/var/lib/www/index.html; echo hit >/var/log/www/access.log; sleep 100'
  assert_success
  retry 50 0.1 cairn exec web test -s /var/log/www/access.log
  run_logged cairn run --rm --volumes-from wwwdata busybox cat /var/lib/www/index.html
  assert_output page
  run_logged cairn run --rm --volumes-from wwwlogs busybox cat /var/log/www/access.log
  assert_output hit
}

@test "seeds: container ls -aq, then container rm \$(container ls -a -q)" {
  for i in 1 2 3; do cairn run --name done$i busybox true; done
  run_logged cairn container ls -aq
  assert_equal "${#lines[@]}" 3
  run_logged cairn container rm $(cairn container ls -a -q)
  assert_success
  assert_equal "${#lines[@]}" 3
  run_logged cairn container ls --all
  assert_equal "${#lines[@]}" 1
}

@test "seeds: -dp 3000:3000 -v todo-db:/etc/todos, volume create and inspect" {
  run_logged cairn volume create todo-db
  assert_output todo-db
  port=$(free_port)
  run_logged cairn run -dp "$port:3000" -v todo-db:/etc/todos --name todo busybox \
    sh -c 'echo item >/etc/todos/list; httpd -f -p 3000 -h /etc/todos'
  assert_success
  retry 50 0.1 http "$port" list >/dev/null || fail "no answer on $port"
  assert_equal "$(http "$port" list)" item
  run_logged cairn volume inspect todo-db
  assert_equal "$(jq -r '.[0].Name' <<<"$output")" todo-db
  assert_equal "$(cat "$(jq -r '.[0].Mountpoint' <<<"$output")/list")" item
}

@test "seeds: --link mycache:redis reaches the linked container by its alias" {
  run_logged cairn run -d --name mycache busybox sh -c 'mkdir /w; echo PONG >/w/ping; httpd -f -p 6379 -h /w'
  assert_success
  run_logged cairn run --rm --link mycache:redis busybox sh -c \
    'for i in $(seq 50); do wget -qO- http://redis:6379/ping && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output PONG
}

@test "seeds: -p 8080-8081:8080-8081 publishes the range" {
  a=$(free_port)
  b=$((a + 1))
  ss -ltn "( sport = :$b )" | grep -q LISTEN && skip "port $b is in use on this host"
  run_logged cairn run -d --name nifi -p "$a-$b:8080-8081" busybox sh -c \
    'mkdir /w; echo one >/w/x; httpd -p 8080 -h /w; echo two >/w/y; httpd -f -p 8081 -h /w'
  assert_success
  run_logged cairn port nifi
  assert_line "8080/tcp -> 0.0.0.0:$a"
  assert_line "8081/tcp -> 0.0.0.0:$b"
  retry 50 0.1 http "$b" y >/dev/null || fail "no answer on $b"
  assert_equal "$(http "$a" x)" one
}

@test "seeds: run --name ubuntu -ti, detach with ctrl-p ctrl-q, attach, exit, start -i" {
  requires cmd:python3
  run_logged "$PTY" -- cairn run --name ubuntu -ti busybox <<'EOF'
expect # 
send echo first >/tmp/mark\n
send echo sh-$((6*7))\n
expect sh-42
send \x10\x11
eof
EOF
  assert_success
  is_running ubuntu || fail "detaching stopped the container"
  run_logged "$PTY" -- cairn attach ubuntu <<'EOF'
send cat /tmp/mark\n
expect first
send exit 3\n
eof
EOF
  assert_equal "$status" 3
  run_logged cairn inspect -f '{{.State.Status}} {{.State.ExitCode}}' ubuntu
  assert_output "exited 3"
  run_logged "$PTY" -- cairn container start -i ubuntu <<'EOF'
expect # 
send cat /tmp/mark; exit\n
eof
EOF
  assert_success
  assert_output --partial first
}

@test "seeds: exec -it into a running container" {
  cairn run -d --name db busybox sleep 100 >/dev/null
  run_logged "$PTY" -- cairn exec -it db sh <<'EOF'
expect # 
send echo in-$((1+1)); tty\n
expect /dev/pts/
send exit\n
eof
EOF
  assert_success
  assert_output --partial in-2
}

@test "seeds: the todo app on a user network: network-alias, named volume, -w and \$(pwd) bind, logs" {
  ip -o link show type bridge | awk -F': ' '{print $2}' | sort >"$T/before"
  run_logged cairn network create todo-app
  assert_success
  run_logged cairn run -d \
    --network todo-app --network-alias mysql \
    -v todo-mysql-data:/var/lib/mysql \
    -e MYSQL_ROOT_PASSWORD=secret \
    -e MYSQL_DATABASE=todos \
    busybox sh -c 'mkdir -p /srv; echo "db $MYSQL_DATABASE up" >/srv/status; echo ready >/var/lib/mysql/ibdata; httpd -f -p 3306 -h /srv'
  assert_success
  db=$output
  mkdir -p "$T/app" && cd "$T/app"
  echo 'wget -qO- "http://$MYSQL_HOST:3306/status"' >dev.sh
  port=$(free_port)
  run_logged cairn run -dp "$port:3000" \
    -w /app -v "$(pwd):/app" \
    --network todo-app \
    -e MYSQL_HOST=mysql \
    -e MYSQL_USER=root \
    -e MYSQL_PASSWORD=secret \
    -e MYSQL_DB=todos \
    busybox \
    sh -c "for i in \$(seq 50); do sh dev.sh && break; sleep 0.1; done; httpd -f -p 3000 -h /app"
  assert_success
  app=$output
  retry 50 0.1 http "$port" dev.sh >/dev/null || fail "the app does not answer on $port"
  retry 50 0.1 sh -c "cairn logs $app | grep -q 'db todos up'" || fail "the app did not reach mysql by its alias"
  run_logged cairn logs "$app"
  assert_output "db todos up"
  run_logged cairn volume ls -q
  assert_output todo-mysql-data
  ip -o link show type bridge | awk -F': ' '{print $2}' | sort >"$T/during"
  EXTRA_BR=$(comm -13 "$T/before" "$T/during" | grep '^cairn' | head -1)
  [ -n "$EXTRA_BR" ] || fail "no bridge for todo-app"
  cairn rm -f "$db" "$app" >/dev/null
  run_logged cairn network rm todo-app
  assert_success
  ! ip link show "$EXTRA_BR" >/dev/null 2>&1 || fail "network rm left bridge $EXTRA_BR"
}

@test "seeds: container commit ubuntu ubuntu-image, then run the new image; ps -s" {
  run_logged cairn run --name ubuntu busybox sh -c 'mkdir -p /root && echo "my notes" >/root/notes'
  assert_success
  run_logged cairn ps -a -s
  assert_line --index 0 --regexp '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE$'
  assert_line --index 1 --regexp ' ubuntu +[0-9.]+k?B \(virtual [0-9.]+MB\)$'
  run_logged cairn container commit ubuntu ubuntu-image
  assert_success
  [[ $output =~ ^sha256:[0-9a-f]{64}$ ]] || fail "commit printed '$output'"
  run_logged cairn run --rm ubuntu-image cat /root/notes
  assert_output "my notes"
  run_logged cairn images
  assert_line --regexp '^ubuntu-image +latest +[0-9a-f]{12} +'
}
