#!/usr/bin/env bats
# cairn version, info, system df, system prune, image prune and the
# generic inspect.

load helpers

NETS_BR=()
NETS_TABLE=()

teardown() {
  local b t
  if [ -n "${CAIRN_ROOT:-}" ] && [ -d "$CAIRN_ROOT/containers" ]; then
    for id in $(cairn ps -aq --no-trunc 2>/dev/null); do cairn rm -f "$id" >/dev/null 2>&1 || true; done
  fi
  for b in "${NETS_BR[@]}"; do ip link del "$b" 2>/dev/null || true; done
  for t in "${NETS_TABLE[@]}"; do nft delete table ip "$t" 2>/dev/null || true; done
  cli_teardown
}

# mknet NAME K: a network with a bridge and table of the test's own.
mknet() {
  local oct=$(((OCT + 37 * $2) % 200 + 20))
  NETS_BR+=("${BR:0:11}s$2")
  NETS_TABLE+=("${TABLE}s$2")
  cairn network create --subnet "10.196.$oct.0/24" --bridge "${BR:0:11}s$2" \
    --nft-table "${TABLE}s$2" "$1" >/dev/null
}

# spare_image: "spare:1", an image of its own (another config than busybox's)
spare_image() {
  requires cmd:umoci cmd:skopeo
  cp -a "$(fixture_image)" "$T/layout"
  umoci config --image "$T/layout:latest" --config.label spare=1
  skopeo copy -q "oci:$T/layout:latest" "docker-archive:$T/spare.tar:spare:1"
  cairn load -i "$T/spare.tar" >/dev/null
}

@test "cairn version: the client and each tool with its path" {
  run_logged cairn version
  assert_success
  assert_line --index 0 "Client: cairn"
  assert_line --index 1 " Version:    0.1"
  assert_line --regexp "^ cairn-image: +0\.1 +$CAIRN_SRC/bin/cairn-image\$"
  assert_line --regexp "^ cairn-net: +0\.1 +$CAIRN_SRC/bin/cairn-net\$"
  assert_line --regexp "^ $CLI_RUNTIME: +[0-9][^ ]* +/.*/$CLI_RUNTIME\$"
  run_logged cairn version -f '{{.Client.Version}} {{len .Tools}}'
  assert_output "0.1 6"
  run_logged cairn version -f '{{.Nope'
  assert_equal "$status" 125
  [[ $stderr == "cairn: template parsing error: "* ]]
}

@test "cairn info: counts, drivers and paths" {
  cairn run -d --name up busybox sleep 100 >/dev/null
  cairn create --name down busybox true >/dev/null
  run_logged cairn info -f '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}'
  assert_output "2 1 0 1 1"
  run_logged cairn info
  assert_success
  assert_line " Containers: 2"
  assert_line "  Running: 1"
  assert_line " Storage Driver: overlay"
  assert_line " Default Runtime: $CLI_RUNTIME"
  assert_line " Cairn Root Dir: $CAIRN_ROOT"
  assert_line " CPUs: $(nproc)"
}

@test "cairn system df: totals, active and reclaimable; -v per object" {
  cairn volume create used >/dev/null
  cairn volume create idle >/dev/null
  head -c 1000 /dev/zero >"$CAIRN_ROOT/volumes/used/_data/f"
  head -c 2000 /dev/zero >"$CAIRN_ROOT/volumes/idle/_data/f"
  cairn run -d --name user -v used:/data busybox sh -c 'head -c 5000 /dev/zero >/big; sleep 100' >/dev/null
  retry 50 0.1 cairn exec user test -s /big
  run_logged cairn system df
  assert_success
  assert_line --index 0 --regexp '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$'
  assert_line --regexp '^Images +1 +1 +[0-9.]+[kM]B +0B \(0%\)$'
  assert_line --regexp '^Containers +1 +1 +5kB +0B \(0%\)$'
  assert_line --regexp '^Local Volumes +2 +1 +3kB +2kB \(66%\)$'
  run_logged cairn system df --format '{{.Type}}={{.TotalCount}}'
  assert_output "$(printf 'Images=1\nContainers=1\nLocal Volumes=2\nBuild Cache=0')"
  run_logged cairn system df -v
  assert_line "Local Volumes space usage:"
  assert_line --regexp '^idle +0 +2kB$'
  assert_line --regexp '^used +1 +1kB$'
  assert_line --regexp '^busybox +latest +[0-9a-f]{12} .* 1$'
  assert_line --regexp "^[0-9a-f]{12} +busybox +5kB .* user\$"
}

@test "cairn system prune: stopped containers, unused networks, dangling images; --volumes, -a" {
  spare_image
  cairn run -d --name keep busybox sleep 100 >/dev/null
  cairn create --name gone -v vol1:/v busybox true >/dev/null
  mknet unused 1
  run_logged cairn system prune -f
  assert_success
  assert_line "Deleted Containers:"
  assert_line "Deleted Networks:"
  assert_line unused
  assert_line --regexp '^Total reclaimed space: '
  assert_equal "$(cairn ps -a --format '{{.Names}}')" keep
  run_logged cairn network ls --format '{{.Name}}'
  refute_line unused
  # volumes only with --volumes; images in use stay with -a
  assert_equal "$(cairn volume ls -q)" vol1
  run_logged cairn system prune -f -a --volumes
  assert_success
  assert_line vol1
  assert_line "untagged: spare:1"
  assert_equal "$(cairn volume ls -q)" ""
  run_logged cairn images --format '{{.Repository}}'
  assert_output busybox
  run_logged cairn system prune --bogus
  assert_equal "$status" 125
}

@test "cairn image prune -a: removes the images no container uses" {
  spare_image
  cairn create --name holder busybox true >/dev/null
  run_logged cairn image prune -f
  assert_success
  refute_line "untagged: spare:1"
  run_logged cairn image prune -a -f
  assert_success
  assert_line "Deleted Images:"
  assert_line "untagged: spare:1"
  refute_line --partial busybox
  assert_equal "$(cairn images --format '{{.Repository}}')" busybox
}

@test "cairn inspect: containers, images, volumes and networks by name; --type" {
  cairn create --name box busybox true >/dev/null
  cairn volume create vol >/dev/null
  mknet net 1
  run_logged cairn inspect -f '{{.Name}}' box busybox vol net
  assert_output "$(printf '/box\n<no value>\nvol\nnet')"
  run_logged cairn inspect -f '{{if .Name}}{{.Name}}{{else}}{{index .RepoTags 0}}{{end}}' box busybox vol net
  assert_success
  assert_output "$(printf '/box\nbusybox:latest\nvol\nnet')"
  run_logged cairn inspect --type volume -f '{{.Driver}} {{.Mountpoint}}' vol
  assert_output "local $CAIRN_ROOT/volumes/vol/_data"
  run_logged cairn inspect --type network -f '{{.Driver}}' net
  assert_output bridge
  run_logged cairn inspect --type network vol
  assert_equal "$status" 1
  assert_equal "$stderr" "cairn: no such object: vol"
  assert_equal "$output" "[]"
  run_logged cairn inspect --type bogus vol
  assert_equal "$status" 125
  assert_equal "$stderr" 'cairn: "bogus" is not a valid value for --type'
}

@test "cairn volume ls: docker's table, -f dangling/name/driver/label, --format" {
  cairn volume create busy-vol >/dev/null
  cairn volume create idle-vol >/dev/null
  cairn create --name holder -v busy-vol:/data busybox true >/dev/null
  run_logged cairn volume ls
  assert_line --index 0 --regexp '^DRIVER +VOLUME NAME$'
  assert_line --index 1 --regexp '^local +busy-vol$'
  run_logged cairn volume ls -q -f dangling=true
  assert_output idle-vol
  run_logged cairn volume ls -q -f dangling=false
  assert_output busy-vol
  run_logged cairn volume ls -q -f name=idle -f driver=local
  assert_output idle-vol
  run_logged cairn volume ls -q -f label=x
  assert_output ""
  run_logged cairn volume ls --format '{{.Name}} {{.Mountpoint}}' -f name=busy
  assert_output "busy-vol $CAIRN_ROOT/volumes/busy-vol/_data"
  run_logged cairn volume ls -f colour=red
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn: invalid filter 'colour'"
}
