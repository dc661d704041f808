#!/usr/bin/env bats
# cairn ps: docker's columns, status texts, flags, filters and --format.

load helpers

# The columns of the header line, as byte offsets where each title starts.
columns() { awk 'NR == 1 { for (i = 1; i <= NF; i++) printf "%s ", $i }' <<<"$1"; }

@test "cairn ps: docker's header, and only running containers without -a" {
  run_logged cairn ps
  assert_success
  assert_output "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES"
  cairn run --name ended busybox true
  cairn run -d --name up busybox sleep 100 >/dev/null
  run_logged cairn ps --format '{{.Names}}'
  assert_output up
  run_logged cairn ps -a --format '{{.Names}}'
  assert_output "$(printf 'up\nended')"
}

@test "cairn ps: a row as docker prints it (id, quoted command cut at 20, status, ports, name)" {
  port=$(free_port)
  web webserver1 "$port"
  run_logged cairn ps
  assert_success
  assert_equal "${#lines[@]}" 2
  id=$(cid webserver1)
  [[ ${lines[1]} =~ ^${id:0:12}\ \ \ busybox\ \ \ \"httpd\ -f\ -p\ 80\ -h\ /…\"\ \ \ [A-Za-z0-9\ ]+\ ago\ +Up\ [A-Za-z0-9\ ]+\ +0\.0\.0\.0:$port-\>80/tcp\ \ \ webserver1$ ]] ||
    fail "row: ${lines[1]}"
  # every title starts where its cells start
  head=${lines[0]}
  row=${lines[1]}
  for t in IMAGE COMMAND CREATED STATUS PORTS NAMES; do
    off=${head%%"$t"*}
    off=${#off}
    [ "${row:$((off - 1)):1}" = " " ] && [ "${row:$off:1}" != " " ] || fail "column $t misaligned"
  done
}

@test "cairn ps: Exited (N) … ago, Created, and no ports once stopped" {
  cairn run --name e3 busybox sh -c 'exit 3' || true
  cairn create --name made busybox true >/dev/null
  run_logged cairn ps -a --format '{{.Names}}|{{.Status}}|{{.Ports}}'
  assert_line --regexp '^e3\|Exited \(3\) (Less than a second|[0-9]+ seconds?) ago\|$'
  assert_line "made|Created|"
}

@test "cairn ps -q, --no-trunc, -l, -n" {
  a=$(cairn run -d busybox sleep 100)
  b=$(cairn run -d busybox sleep 100)
  run_logged cairn ps -q
  assert_output "$(printf '%s\n%s' "${b:0:12}" "${a:0:12}")"
  run_logged cairn ps -q --no-trunc
  assert_output "$(printf '%s\n%s' "$b" "$a")"
  run_logged cairn ps -lq
  assert_output "${b:0:12}"
  run_logged cairn ps -n 2 -q
  assert_equal "${#lines[@]}" 2
  run_logged cairn ps --no-trunc --format '{{.Command}}'
  assert_line '"sleep 100"'
}

@test "cairn ps -f: status, name, label, ancestor, id, exited" {
  cairn run -d --name alpha -l tier=front busybox sleep 100 >/dev/null
  cairn run --name beta busybox sh -c 'exit 2' || true
  run_logged cairn ps -a -f status=exited --format '{{.Names}}'
  assert_output beta
  run_logged cairn ps -a -f name=alp --format '{{.Names}}'
  assert_output alpha
  run_logged cairn ps -a -f label=tier=front --format '{{.Names}}'
  assert_output alpha
  run_logged cairn ps -a -f label=tier --format '{{.Names}}'
  assert_output alpha
  run_logged cairn ps -a -f exited=2 --format '{{.Names}}'
  assert_output beta
  run_logged cairn ps -a -f ancestor=busybox --format '{{.Names}}'
  assert_equal "${#lines[@]}" 2
  run_logged cairn ps -a -f "id=$(cid beta | cut -c1-8)" --format '{{.Names}}'
  assert_output beta
  run_logged cairn ps -f bogus=1
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid filter 'bogus'"
}

@test "cairn ps --format: templates, table, json" {
  cairn run -d --name fmt -l a=b busybox sleep 100 >/dev/null
  run_logged cairn ps --format '{{.Names}}\t{{.Image}}\t{{.State}}'
  assert_output "$(printf 'fmt\tbusybox\trunning')"
  run_logged cairn ps --format 'table {{.Names}}\t{{.Labels}}'
  assert_output "$(printf 'NAMES     LABELS\nfmt       a=b')"
  run_logged cairn ps --format json
  assert_equal "$(jq -r .Names <<<"$output")" fmt
  assert_equal "$(jq -r .State <<<"$output")" running
  run_logged cairn ps --format '{{.Nope'
  assert_equal "$status" 125
}

@test "cairn ps -s: the writable layer's size and the virtual size" {
  cairn run --name sz busybox sh -c 'head -c 5000 /dev/zero > /file'
  run_logged cairn ps -a -s --format '{{.Size}}'
  assert_output --regexp '^5[0-9.]*kB \(virtual [0-9.]+MB\)$'
}

@test "cairn ps -a lists 100 containers, newest first (bench/cli.sh times it)" {
  for i in $(seq 100); do cairn create --name c$i busybox true >/dev/null; done
  run_logged cairn ps -a --format '{{.Names}}'
  assert_equal "${#lines[@]}" 100
  assert_equal "${lines[0]}" c100
  assert_equal "${lines[99]}" c1
  assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" 100
}
