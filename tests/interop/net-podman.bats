#!/usr/bin/env bats
# A CNI driver we did not write drives our plugins: podman 4 with its CNI
# backend runs a container on a network whose conflist names cairn-bridge
# (with cairn-ipam), cairn-portmap and cairn-loopback, found in a plugin
# dir of this file's own.  A private podman store, config dir, bridge,
# subnet, nft table and dataDir; all removed at the end.

load ../helpers/common

setup_file() {
  command -v podman >/dev/null || return 0
  [ "$(id -u)" = 0 ] || return 0
  export PD="$BATS_FILE_TMPDIR/podman"
  export NET="cairnpd$$" BR="cpd$$" TABLE="cairnpd$$"
  export OCT=$(( $$ % 200 + 20 ))
  export FORWARD_WAS
  FORWARD_WAS=$(cat /proc/sys/net/ipv4/ip_forward)
  mkdir -p "$PD/cni-bin" "$PD/cni-conf"
  for p in cairn-bridge cairn-ipam cairn-portmap cairn-loopback; do
    ln -s "$CAIRN_SRC/bin/$p" "$PD/cni-bin/$p"
  done
  cat >"$PD/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PD/cni-bin"]
network_config_dir = "$PD/cni-conf"
CONF
  jq -n --arg n "$NET" --arg br "$BR" --arg t "$TABLE" --arg sn "10.199.$OCT.0/24" \
    --arg dd "$PD/ipam" \
    '{cniVersion: "1.0.0", name: $n, plugins: [
       {type: "cairn-bridge", bridge: $br, isGateway: true, ipMasq: true, hairpinMode: true,
        nftTable: $t,
        ipam: {type: "cairn-ipam", ranges: [[{subnet: $sn}]], routes: [{dst: "0.0.0.0/0"}],
               dataDir: $dd}},
       {type: "cairn-portmap", capabilities: {portMappings: true}, nftTable: $t},
       {type: "cairn-loopback"}]}' >"$PD/cni-conf/$NET.conflist"
  export CONTAINERS_CONF="$PD/containers.conf"
  podman --root "$PD/root" --runroot "$PD/run" load -i "$(fixture_image_archive oci-archive)" >/dev/null
}

teardown_file() {
  [ -n "${PD:-}" ] || return 0
  podman --root "$PD/root" --runroot "$PD/run" rm -a -f -t 0 >/dev/null 2>&1 || true
  podman --root "$PD/root" --runroot "$PD/run" system reset -f >/dev/null 2>&1 || true
  ip link del "$BR" 2>/dev/null || true
  nft delete table ip "$TABLE" 2>/dev/null || true
  echo "$FORWARD_WAS" >/proc/sys/net/ipv4/ip_forward
}

pd() {
  podman --root "$PD/root" --runroot "$PD/run" "$@"
}

@test "podman (CNI backend) runs a container on cairn-bridge, cairn-ipam and cairn-portmap" {
  requires root cmd:podman cmd:curl cmd:jq cmd:nft
  hp=$(( 22000 + OCT ))
  run_logged pd run -d --name "web-$$" --network "$NET" -p "127.0.0.1:$hp:80" \
    docker.io/library/busybox:latest \
    sh -c 'mkdir -p /w && echo hello from podman >/w/index.html && exec httpd -f -p 80 -h /w'
  [ "$status" -eq 0 ]
  cid=$output
  # the address comes from cairn-ipam's range, recorded in its dataDir
  run_logged pd inspect --format "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "web-$$"
  [ "$status" -eq 0 ]
  ip=$output
  [[ "$ip" == 10.199.$OCT.* ]]
  [ "$(head -n1 "$PD/ipam/$NET/$ip" | tr -d '\r')" = "$cid" ]
  # on our bridge, with the port mapped by cairn-portmap
  [ -n "$(ip -o link show master "$BR")" ]
  nft list map ip "$TABLE" portmap_ip | grep -q "127.0.0.1 . tcp . $hp comment \"$cid eth0\" : $ip . 80"
  retry 20 0.25 curl -sf -m 2 -o "$T/page" "http://127.0.0.1:$hp/"
  [ "$(cat "$T/page")" = "hello from podman" ]
  # podman's DEL through our plugins undoes it all
  run_logged pd rm -f -t 0 "web-$$"
  [ "$status" -eq 0 ]
  [ ! -e "$PD/ipam/$NET/$ip" ]
  [ -z "$(ip -o link show master "$BR")" ]
  run nft list table ip "$TABLE"
  [[ "$output" != *"$cid"* ]]
  run curl -s -m 2 "http://127.0.0.1:$hp/"
  [ "$status" -ne 0 ]
}
