# common.bash — loaded by every suite: `load ../helpers/common`.
#
# Gives: CAIRN_SRC (the checkout), bin/ on PATH, bats-support and bats-assert,
# run_logged (run + print command, status and output when the test fails),
# requires (skip with a reason only when the host truly lacks something),
# retry/wait helpers, and a per-test scratch dir $T; then the fixtures
# (fixtures.bash: fixture_rootfs, fixture_image, fixture_image_archive), the
# local registry (registry.bash) and the leak checks (leaks.bash).

CAIRN_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CAIRN_SRC
export PATH="$CAIRN_SRC/bin:$PATH"

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# Every test gets its own scratch dir, removed afterwards unless it failed
# and CAIRN_TEST_KEEP=1.
common_setup() {
  T="$(mktemp -d "${BATS_TMPDIR:-/tmp}/cairn-test.XXXXXX")"
  export T
}

common_teardown() {
  http_stop
  if [ -n "${T:-}" ] && [ -d "$T" ]; then
    # Unmount anything a test left under its scratch dir before removing it.
    # mountinfo escapes spaces and the like as \040: %b decodes them.
    local m
    while read -r m; do umount -l "$(printf '%b' "$m")" 2>/dev/null || true; done < <(
      awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    rm -rf "$T"
  fi
}

setup() { common_setup; }
teardown() { common_teardown; }

# run_logged CMD… : like bats' run (status, output, lines) but with stdout
# in $output/$lines and stderr apart in $stderr; when the test fails its log
# shows the command, the status and both streams.  CMD may be a function:
# it runs in the test's shell (so its exports stay), with errexit off as in
# any `||` list.
run_logged() {
  local out err
  out="$(mktemp)"; err="$(mktemp)"
  status=0
  "$@" >"$out" 2>"$err" || status=$?
  output="$(cat "$out")"
  stderr="$(cat "$err")"
  # shellcheck disable=SC2034
  mapfile -t lines <"$out"
  rm -f "$out" "$err"
  {
    echo "\$ $*"
    echo "status: $status"
    [ -n "$output" ] && printf 'stdout:\n%s\n' "$output"
    [ -n "$stderr" ] && printf 'stderr:\n%s\n' "$stderr"
  } >&2
  return 0
}

# requires WHAT… : skip the test, printing why, when the host lacks WHAT.
#   root, cgroup_v2 (a cgroup2 hierarchy with controllers), cgroup_v1,
#   cmd:NAME (a command on PATH)
requires() {
  local r
  for r in "$@"; do
    case "$r" in
      root) [ "$(id -u)" = 0 ] || skip "needs root" ;;
      cgroup_v1) [ -d /sys/fs/cgroup/memory ] || skip "host has no cgroup v1 memory controller" ;;
      cgroup_v2)
        local f=/sys/fs/cgroup/cgroup.controllers
        if [ ! -f "$f" ] || [ -z "$(cat "$f")" ]; then
          skip "host has no cgroup v2 hierarchy with controllers"
        fi ;;
      cmd:*) command -v "${r#cmd:}" >/dev/null || skip "${r#cmd:} is not installed" ;;
      *) fail "requires: unknown requirement '$r'" ;;
    esac
  done
}

# retry N DELAY CMD… : run CMD until it succeeds, at most N times.
retry() {
  local n=$1 delay=$2 i
  shift 2
  for ((i = 0; i < n; i++)); do
    "$@" && return 0
    sleep "$delay"
  done
  return 1
}
# bats resolves a relative `load` against the test file's directory, not
# this file's: name the helpers by absolute path.
load "$CAIRN_SRC/tests/helpers/fixtures"
load "$CAIRN_SRC/tests/helpers/registry"
load "$CAIRN_SRC/tests/helpers/leaks"

# wait_until SECONDS CMD… : run CMD every 0.1 s until it succeeds; fail
# (status 1) once SECONDS have passed without success.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  while :; do
    "$@" && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# assert_json_schema SCHEMA [FILE] : FILE (default stdin) is JSON that
# validates against the JSON Schema file SCHEMA (any draft python3-jsonschema
# knows, from $schema); otherwise fails naming each violation with its path.
assert_json_schema() {
  local schema="$1" file="${2:-/dev/stdin}"
  [ -f "$schema" ] || fail "assert_json_schema: schema '$schema' does not exist"
  # Debian's python3, whatever python3 comes first on PATH.
  /usr/bin/python3 -c "$_ASSERT_JSON_SCHEMA_PY" "$schema" "$file"
}
# shellcheck disable=SC2016 # python, not shell
_ASSERT_JSON_SCHEMA_PY='
import json, sys
try:
    import jsonschema
except ImportError:
    sys.exit("assert_json_schema: python3-jsonschema missing: run make deps")
schema_path, doc_path = sys.argv[1], sys.argv[2]
with open(schema_path) as f:
    schema = json.load(f)
try:
    with open(doc_path) as f:
        doc = json.load(f)
except ValueError as ex:
    sys.exit(f"assert_json_schema: {doc_path}: not JSON: {ex}")
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
# $ref to a sibling schema file ("image-config.schema.json") resolves
# against the path of the schema file.
import os
resolver = jsonschema.RefResolver(base_uri="file://" + os.path.abspath(schema_path), referrer=schema)
errors = sorted(cls(schema, resolver=resolver).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
for e in errors:
    where = "/" + "/".join(str(p) for p in e.absolute_path)
    print(f"{schema_path}: {where}: {e.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
'

# http_serve DIR: serves DIR on 127.0.0.1 (a free port) in the background;
# sets HTTP_PORT and HTTP_PID; http_stop ends it (common_teardown calls it).
http_serve() {
  local dir="$1"
  python3 - "$dir" "$T/port" >/dev/null 2>&1 3>&- <<'PY' &
import functools, http.server, sys
d, portfile = sys.argv[1], sys.argv[2]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=d)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
  export HTTP_PID=$!
  wait_until 10 test -s "$T/port" || fail "http server did not start"
  HTTP_PORT=$(cat "$T/port")
  export HTTP_PORT
}

# http_stop: ends the server http_serve started, if any (teardowns call it).
http_stop() {
  if [ -n "${HTTP_PID:-}" ]; then
    kill "$HTTP_PID" 2>/dev/null || true
    wait "$HTTP_PID" 2>/dev/null || true
    HTTP_PID=
  fi
}
