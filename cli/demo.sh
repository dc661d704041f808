#!/bin/bash
# demo.sh — a first tour of cairn (`make demo` runs it after installing).
#
# It makes a small image from this machine's busybox (no internet needed),
# runs a command in a container, builds an image on it from a Dockerfile,
# runs that image's web server with a published port,
# fetches its page from the host, lists the containers, and cleans up.
# Every cairn command is shown before it runs.
#
#   DEMO_PORT      host port of the web server (default 8080)
#   DEMO_RUNTIME   another OCI runtime for the containers (runc, crun, a
#                  path; default: cairn's own, cairn-runtime)
set -euo pipefail

port="${DEMO_PORT:-8080}"
runtime=()
if [ -n "${DEMO_RUNTIME:-}" ]; then runtime=(--runtime "$DEMO_RUNTIME"); fi

bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'
if [ ! -t 1 ]; then bold='' dim='' off=''; fi

say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$off"; }
show() {
  printf '%s$ %s%s\n' "$dim" "$*" "$off"
  "$@"
}

[ "$(id -u)" = 0 ] || { echo "demo.sh: containers need root: run it as root (sudo make demo)" >&2; exit 1; }
command -v cairn >/dev/null || { echo "demo.sh: cairn is not on PATH: run 'make install' first" >&2; exit 1; }
# Debian's busybox-static: the image has no libc, so the binary must be static
bb=/bin/busybox
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
  echo "demo.sh: needs a static $bb (apt-get install busybox-static)" >&2
  exit 1
fi

work=$(mktemp -d /tmp/cairn-demo.XXXXXX)
cleanup() {
  cairn rm -f demo-web >/dev/null 2>&1 || true
  cairn rmi demo-site demo >/dev/null 2>&1 || true
  # the build's intermediate images (one per step, untagged), and only them
  if [ -n "${images_before+x}" ]; then
    local made
    made=$(comm -13 <(echo "$images_before") <(cairn images -aq --no-trunc 2>/dev/null | sort -u))
    if [ -n "$made" ]; then
      # shellcheck disable=SC2086
      cairn rmi -f $made >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "Making an image named 'demo' from this machine's busybox"
echo "A root filesystem with busybox and a web page, packed as a docker-archive"
echo "(the format of 'docker save'), loaded with 'cairn load'."
root="$work/rootfs"
mkdir -p "$root"/{bin,etc,tmp,root,proc,sys,dev,www}
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cat >"$root/www/index.html" <<'EOF'
<h1>Hello from a cairn container!</h1>
EOF
tar -C "$root" --numeric-owner -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/archive" "$work/archive/$diff_id"
mv "$work/layer.tar" "$work/archive/$diff_id/layer.tar"
jq -cn --arg d "sha256:$diff_id" --arg now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '{
  architecture: "amd64", os: "linux", created: $now,
  config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
           Cmd: ["sh"], WorkingDir: "/www", ExposedPorts: {"80/tcp": {}}},
  rootfs: {type: "layers", diff_ids: [$d]},
  history: [{created: $now, created_by: "cairn demo.sh: busybox from the host"}]}' \
  >"$work/config.json"
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/archive/$config_id.json"
jq -cn --arg c "$config_id.json" --arg l "$diff_id/layer.tar" \
  '[{Config: $c, RepoTags: ["demo:latest"], Layers: [$l]}]' >"$work/archive/manifest.json"
tar -C "$work/archive" -cf "$work/demo.tar" .
show cairn load -i "$work/demo.tar"
show cairn images demo

say "Running a command in a container"
echo "The container gets its own filesystem, network and process namespaces; --rm"
echo "removes it when the command ends."
show cairn "${runtime[@]}" run --rm demo echo hello

say "Building an image from a Dockerfile"
echo "A web page copied in, a RUN step in a container, and the server as the"
echo "default command.  Built again with nothing changed, every step is CACHED."
mkdir "$work/site"
cat >"$work/site/index.html" <<'EOF'
<h1>Hello from an image cairn built!</h1>
EOF
cat >"$work/site/Dockerfile" <<'EOF'
FROM demo
COPY index.html /www/
RUN echo "built by cairn build" >/www/built.txt
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
EOF
show cat "$work/site/Dockerfile"
images_before=$(cairn images -aq --no-trunc | sort -u)
show cairn build "${runtime[@]}" -t demo-site "$work/site"
show cairn build "${runtime[@]}" -t demo-site "$work/site"

say "Running its web server in the background, port $port of this machine -> 80 of the container"
show cairn "${runtime[@]}" run -d --name demo-web -p "$port:80" demo-site
for _ in $(seq 50); do
  curl -sf -m 1 "http://127.0.0.1:$port/" >/dev/null && break
  sleep 0.1
done

say "Fetching its page from the host"
show curl -s "http://127.0.0.1:$port/"
show curl -s "http://127.0.0.1:$port/built.txt"

say "Listing the running containers"
show cairn ps

say "Looking inside: its address, and a command run in it"
show cairn inspect -f '{{.NetworkSettings.IPAddress}}' demo-web
show cairn exec demo-web cat /etc/hostname

say "Cleaning up"
show cairn rm -f demo-web
show cairn rmi demo-site demo
show cairn ps -a

say "Done. Next: 'cairn --help', 'cairn run --help', and --debug to see every tool cairn runs."
