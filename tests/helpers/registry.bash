# registry.bash — a private Debian docker-registry (distribution 2.8) on
# 127.0.0.1, one per suite or per test.  Loaded by common.bash.
#
#   setup_file()    { registry_start; }            # or: registry_start --auth USER PASS
#   teardown_file() { registry_stop; }
#   @test … { registry_push_fixture library/busybox:latest; … docker://$REGISTRY/library/busybox:latest; }
#
# registry_start exports REGISTRY (127.0.0.1:PORT), REGISTRY_PORT,
# REGISTRY_PID, REGISTRY_DIR (config, storage, log) and, with --auth,
# REGISTRY_USER and REGISTRY_PASS.

# _registry_port_in_use PORT: true when something listens on TCP PORT
# (IPv4 or IPv6), read from /proc so that no extra tool is needed.
_registry_port_in_use() {
  local hex
  hex="$(printf ':%04X ' "$1")"
  # Field 2 is local_address:port, field 4 the state; 0A is LISTEN.
  awk -v p="$hex" 'NR > 1 && $4 == "0A" && index($2 " ", p) > 0 { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# _registry_free_port: a port nothing listens on, below the ephemeral range
# (32768+) so that outgoing connections do not take it in the meantime.
_registry_free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((10000 + RANDOM % 22000))
    _registry_port_in_use "$port" || { echo "$port"; return 0; }
  done
  return 1
}

# registry_start [--auth USER PASS]: starts the registry and waits until it
# answers /v2/ (200, or 401 with --auth).  A port taken between the check
# and the registry's bind is retried with another port.
registry_start() {
  local user="" pass=""
  if [ "${1:-}" = --auth ]; then
    [ $# -eq 3 ] || { echo "registry_start: usage: registry_start [--auth USER PASS]" >&2; return 1; }
    user="$2" pass="$3"
  elif [ $# -gt 0 ]; then
    echo "registry_start: unknown argument '$1'" >&2
    return 1
  fi
  command -v docker-registry >/dev/null ||
    { echo "registry_start: docker-registry missing: run 'make deps'" >&2; return 1; }
  if [ -n "${REGISTRY_PID:-}" ] && [ -d "/proc/$REGISTRY_PID" ]; then
    echo "registry_start: a registry already runs (pid $REGISTRY_PID); registry_stop first" >&2
    return 1
  fi

  local dir
  dir="$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/cairn-registry.XXXXXX")" || return 1
  mkdir -p "$dir/storage"
  local auth_yml=""
  if [ -n "$user" ]; then
    command -v htpasswd >/dev/null ||
      { echo "registry_start: htpasswd missing: run 'make deps' (apache2-utils)" >&2; rm -rf "$dir"; return 1; }
    htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd" 2>/dev/null ||
      { echo "registry_start: htpasswd failed" >&2; rm -rf "$dir"; return 1; }
    auth_yml="auth:
  htpasswd:
    realm: cairn-test
    path: $dir/htpasswd"
  fi

  local attempt port pid code i
  for ((attempt = 0; attempt < 5; attempt++)); do
    port="$(_registry_free_port)" || break
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
$auth_yml
EOF
    # 3>&-: bats waits for fd 3 to close; a daemon must not hold it.
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null 3>&- &
    pid=$!
    for ((i = 0; i < 100; i++)); do
      _registry_alive "$pid" || break
      code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/v2/")" || true
      if [ "$code" = 200 ] || { [ -n "$user" ] && [ "$code" = 401 ]; }; then
        export REGISTRY_PORT="$port" REGISTRY="127.0.0.1:$port" REGISTRY_PID="$pid" REGISTRY_DIR="$dir"
        if [ -n "$user" ]; then
          export REGISTRY_USER="$user" REGISTRY_PASS="$pass"
        else
          unset REGISTRY_USER REGISTRY_PASS
        fi
        return 0
      fi
      sleep 0.1
    done
    _registry_kill "$pid"
    # Only a lost race for the port is worth another try.
    grep -q 'address already in use' "$dir/registry.log" || break
  done
  echo "registry_start: docker-registry did not come up; its log:" >&2
  sed 's/^/  /' "$dir/registry.log" >&2
  rm -rf "$dir"
  return 1
}

# _registry_alive PID: the process exists and is not a zombie (a zombie is
# dead, only not yet reaped by the shell that started it).
_registry_alive() {
  [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# _registry_kill PID: SIGTERM, wait up to 5 s, then SIGKILL.  `wait` only
# works in the shell that started it (setup_file and teardown_file may be
# different processes), so poll /proc as well.
_registry_kill() {
  local pid="$1" i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    _registry_alive "$pid" || break
    sleep 0.1
  done
  if _registry_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
  return 0
}

# registry_stop: stops the registry registry_start started (by its PID) and
# removes its storage.  Safe to call when none runs.
registry_stop() {
  [ -n "${REGISTRY_PID:-}" ] && _registry_kill "$REGISTRY_PID"
  [ -n "${REGISTRY_DIR:-}" ] && rm -rf "$REGISTRY_DIR"
  unset REGISTRY REGISTRY_PORT REGISTRY_PID REGISTRY_DIR REGISTRY_USER REGISTRY_PASS
  return 0
}

# registry_push_fixture NAME:TAG: pushes fixture_image to
# $REGISTRY/NAME:TAG (with the credentials of --auth if any); prints the
# manifest digest the registry stored ("sha256:…").
registry_push_fixture() {
  [ -n "${REGISTRY:-}" ] || { echo "registry_push_fixture: no registry: call registry_start" >&2; return 1; }
  if [ $# -ne 1 ] || [[ $1 != *:* ]]; then
    echo "registry_push_fixture: usage: registry_push_fixture NAME:TAG" >&2
    return 1
  fi
  local layout digestfile
  layout="$(fixture_image)" || return 1
  digestfile="$(mktemp)"
  local -a creds=()
  [ -n "${REGISTRY_USER:-}" ] && creds=(--dest-creds "$REGISTRY_USER:$REGISTRY_PASS")
  if ! skopeo copy -q --dest-tls-verify=false "${creds[@]}" --digestfile "$digestfile" \
    "oci:$layout:latest" "docker://$REGISTRY/$1" >&2; then
    rm -f "$digestfile"
    echo "registry_push_fixture: skopeo copy to docker://$REGISTRY/$1 failed" >&2
    return 1
  fi
  cat "$digestfile"
  echo
  rm -f "$digestfile"
}
