#!/usr/bin/env bats
# Contract tests: cairn-spec's output validated against
# spec/schema/cairn-spec-config.schema.json, and every schema in
# spec/schema/ checked to be a valid JSON Schema (2020-12), with Debian's
# python3-jsonschema (installed by make deps).

load ../helpers/common

PY=/usr/bin/python3

setup() {
  common_setup
  "$PY" -c 'import jsonschema' 2>/dev/null ||
    fail "python3-jsonschema is missing: run 'make deps'"
  fixture_rootfs_copy "$T/rootfs"
}

# validate SCHEMA FILE: validate FILE with the schemas of spec/schema/ as the
# store for cross-file $refs; prints each violation on one line.
validate() {
  "$PY" - "$CAIRN_SRC/spec/schema" "$@" <<'PY'
import glob, json, os, sys
import jsonschema
d, schema_name, doc_path = sys.argv[1], sys.argv[2], sys.argv[3]
store = {}
for f in glob.glob(os.path.join(d, "*.json")):
    s = json.load(open(f))
    store[s["$id"]] = s
schema = store[schema_name]
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
v = jsonschema.Draft202012Validator(schema, resolver=resolver)
errs = sorted(v.iter_errors(json.load(open(doc_path))), key=str)
for e in errs:
    print("/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errs else 0)
PY
}

@test "contract: every schema in spec/schema is a valid JSON Schema with a matching \$id" {
  for f in "$CAIRN_SRC"/spec/schema/*.json; do
    run_logged "$PY" -c 'import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(s)
assert s["$id"] == sys.argv[1].rsplit("/", 1)[1], s["$id"]' "$f"
    [ "$status" -eq 0 ]
  done
}

@test "contract: cairn-spec output matches cairn-spec-config.schema.json across flags" {
  echo '{"os": "linux", "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "StopSignal": "SIGINT"}}' >"$T/img.json"
  mkdir -p "$T/vol"
  i=0
  while read -r flags; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    cairn-spec --image-config "$T/img.json" --rootfs "$T/rootfs" $flags -- true >"$T/c$i.json"
    run_logged validate cairn-spec-config.schema.json "$T/c$i.json"
    [ "$status" -eq 0 ]
  done <<EOF_FLAGS
--hostname plain
--default
-t -u app --group-add audio -e A=1 -w /tmp --ulimit nofile=100:200 --oom-score-adj -5
--read-only -v $T/vol:/v:ro --tmpfs /t:size=1m --mount type=tmpfs,target=/u,tmpfs-size=1m --shm-size 1m
--cap-add ALL --cap-drop NET_RAW --security-opt no-new-privileges --security-opt apparmor=x
--privileged --network host --pid host --ipc host --uts host
-m 64m --memory-swap 128m --memory-reservation 32m --cpus 0.5 --cpu-shares 100 --cpuset-cpus 0 --pids-limit 9
--device /dev/null:/dev/n2:rw --sysctl net.core.somaxconn=100 --cgroups-path /x/y --label a=b --init
--netns /proc/1/ns/net --cgroupns private --security-opt seccomp=unconfined
EOF_FLAGS
  [ "$i" -eq 9 ]
}

@test "contract: the schema catches a broken config" {
  cairn-spec -- true | jq '.process.args = [] | .linux.namespaces[0].type = "nope"' >"$T/bad.json"
  run_logged validate cairn-spec-config.schema.json "$T/bad.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"process/args"* ]]
  [[ "$output" == *"linux/namespaces/0/type"* ]]
}

@test "contract: the image config cairn-spec reads and the error and shim shapes" {
  echo '{"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]}, "rootfs": {"type": "layers", "diff_ids": []}}' >"$T/img.json"
  run_logged validate image-config.schema.json "$T/img.json"
  [ "$status" -eq 0 ]
  echo '{"pid": 42}' >"$T/s1.json"
  echo '{"error": {"code": "fail", "msg": "create: exec: no such file", "details": {"status": 1}}}' >"$T/s2.json"
  echo '{"pid": 0}' >"$T/s3.json"
  run_logged validate shim-start.schema.json "$T/s1.json"
  [ "$status" -eq 0 ]
  run_logged validate shim-start.schema.json "$T/s2.json"
  [ "$status" -eq 0 ]
  run_logged validate shim-start.schema.json "$T/s3.json"
  [ "$status" -eq 1 ]
}
