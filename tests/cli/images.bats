#!/usr/bin/env bats
# cairn's image commands (cairn-image's, passed through), pulls on run,
# --debug and the global flags.

load helpers

teardown() {
  if [ -n "${REGISTRY_PID:-}" ]; then registry_stop; fi
  cli_teardown
}

@test "cairn images / image ls: docker's table" {
  run_logged cairn images
  assert_success
  assert_line --index 0 --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
  assert_line --index 1 --regexp '^busybox +latest +[0-9a-f]{12} '
  run_logged cairn image ls -q
  assert_output --regexp '^[0-9a-f]{12}$'
}

@test "cairn load -i, tag, rmi" {
  run_logged cairn load -i "$(fixture_image_archive docker-archive docker.io/library/other:1)"
  assert_success
  assert_output "Loaded image: other:1"
  run_logged cairn tag other:1 renamed:2
  assert_success
  run_logged cairn run --rm renamed:2 echo from-renamed
  assert_output from-renamed
  run_logged cairn rmi renamed:2
  assert_success
  run_logged cairn image inspect renamed:2
  assert_failure
}

@test "cairn pull, and cairn run pulls a missing image" {
  requires cmd:docker-registry
  registry_start
  registry_push_fixture library/pulled:v1 >/dev/null
  run_logged cairn pull "$REGISTRY/library/pulled:v1"
  assert_success
  [[ $stderr =~ Digest:\ sha256:[0-9a-f]{64} ]]
  assert_output "$REGISTRY/library/pulled:v1"
  [[ $stderr == *"Status: Downloaded newer image for $REGISTRY/library/pulled:v1"* ]]
  registry_push_fixture library/auto:v2 >/dev/null
  run_logged cairn run --rm "$REGISTRY/library/auto:v2" echo pulled-and-ran
  assert_success
  assert_output pulled-and-ran
  [[ $stderr == *"Unable to find image '$REGISTRY/library/auto:v2' locally"* ]]
}

@test "cairn run --pull never does not pull; a failed pull is one error, exit 125" {
  run_logged cairn run --rm --pull never 127.0.0.1:1/nope:latest true
  assert_equal "$status" 125
  assert_equal "$stderr" "cairn-image: no such image: 127.0.0.1:1/nope:latest"
  run_logged cairn run --rm 127.0.0.1:1/nope:latest true
  assert_equal "$status" 125
  assert_output ""
  [[ $stderr == "Unable to find image '127.0.0.1:1/nope:latest' locally"* ]]
  assert_equal "$(grep -c '^cairn-image' <<<"$stderr")" 1
  run_logged cairn ps -aq
  assert_output ""
}

@test "cairn --debug prints each tool command it runs" {
  run_logged cairn --debug run --rm busybox true
  assert_success
  assert_output ""
  [[ $stderr == *"+ cairn-image unpack --volatile --print-config busybox "* ]]
  [[ $stderr == *"+ cairn-spec --image-config - --rootfs "* ]]
  [[ $stderr == *"+ cairn-net add cairn "* ]]
  [[ $stderr == *"cairn-shim --runtime "* ]]
}

@test "cairn --runtime and cairn.json tools: any runc-compatible runtime, any tool path" {
  # a wrapper records how it is called, then runs the real runtime
  cat >"$T/rt" <<EOF
#!/bin/sh
echo "\$*" >> "$T/rt.log"
exec $(command -v "$CLI_RUNTIME") "\$@"
EOF
  chmod +x "$T/rt"
  run_logged cairn --runtime "$T/rt" run --rm busybox echo via-wrapper
  assert_success
  assert_output via-wrapper
  grep -q " create " "$T/rt.log"
  config_edit "$CAIRN_CONFIG" '.runtimes.mine = $p' --arg p "$T/rt"
  rm "$T/rt.log"
  run_logged cairn run --rm --runtime mine busybox true
  assert_success
  grep -q " start " "$T/rt.log"
  config_edit "$CAIRN_CONFIG" '.tools["cairn-spec"] = "/nonexistent/cairn-spec"'
  run_logged cairn run --rm busybox true
  assert_equal "$status" 125
  [[ $stderr == *"/nonexistent/cairn-spec"* ]]
}

@test "cairn --help, unknown commands and flags" {
  run_logged cairn --help
  assert_success
  assert_output --partial "Usage: cairn [OPTIONS] COMMAND"
  run_logged cairn nosuchcmd
  assert_equal "$status" 125
  [[ $stderr == "cairn: 'nosuchcmd' is not a cairn command"* ]]
  run_logged cairn --nosuchflag ps
  assert_equal "$status" 125
  for c in ps logs stop kill rm inspect exec start; do
    run_logged cairn "$c" --help
    assert_success
    assert_output --partial "Usage: cairn $c"
  done
}

@test "cairn import URL: a rootfs tarball served over HTTP becomes an image; a 404 is one error" {
  requires cmd:python3
  mkdir -p "$T/www" "$T/rootfs/bin"
  cp "$(fixture_rootfs)/bin/busybox" "$T/rootfs/bin/busybox"
  echo imported >"$T/rootfs/hello"
  tar -C "$T/rootfs" -czf "$T/www/rootfs.tgz" .
  http_serve "$T/www"
  run_logged cairn import -c 'CMD ["/bin/busybox", "cat", "/hello"]' \
    "http://127.0.0.1:$HTTP_PORT/rootfs.tgz" fromurl:1
  assert_success
  [[ $output =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed '$output'"
  run_logged cairn run --rm fromurl:1
  assert_output imported
  run_logged cairn import "http://127.0.0.1:$HTTP_PORT/missing.tgz" nothere:1
  http_stop
  assert_failure
  assert_equal "$(printf "%s\n" "$stderr" | wc -l)" 1
  [[ $stderr == *"missing.tgz"*"404"* ]] || fail "stderr: $stderr"
  run_logged cairn images -q nothere
  assert_output ""
}
