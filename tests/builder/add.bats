#!/usr/bin/env bats
# cairn-build: ADD — URLs (a local HTTP server on 127.0.0.1), --checksum,
# local tar archives extracted, hostile archives refused.

load helpers

teardown() {
  http_stop
  build_teardown
}

@test "cairn-build: ADD of a URL served on 127.0.0.1, with --checksum" {
  requires cmd:python3
  mkdir -p "$T/www"
  echo "remote content" >"$T/www/file.txt"
  http_serve "$T/www"
  sum="sha256:$(sha256sum "$T/www/file.txt" | cut -d' ' -f1)"
  dockerfile "FROM busybox
ADD http://127.0.0.1:$HTTP_PORT/file.txt /dl/
ADD --checksum=$sum http://127.0.0.1:$HTTP_PORT/file.txt /named.txt"
  run_logged build -t add "$CTX"
  assert_success
  rootfs_of add "$T/b"
  [ "$(cat "$T/b/rootfs/dl/file.txt")" = "remote content" ]
  [ "$(stat -c %a "$T/b/rootfs/dl/file.txt")" = 600 ]
  [ "$(cat "$T/b/rootfs/named.txt")" = "remote content" ]
  # the same content: cached; a new content: fetched again
  run_logged build "$CTX"
  [ "$(grep -c CACHED <<<"$stderr")" -eq 2 ]
  echo "new content" >"$T/www/file.txt"
  dockerfile "FROM busybox
ADD http://127.0.0.1:$HTTP_PORT/file.txt /dl/"
  run_logged build -t add2 "$CTX"
  assert_success
  rm -rf "$T/b" && rootfs_of add2 "$T/b"
  [ "$(cat "$T/b/rootfs/dl/file.txt")" = "new content" ]
  # a wrong checksum, a missing file: the build fails, naming it
  dockerfile "FROM busybox
ADD --checksum=$sum http://127.0.0.1:$HTTP_PORT/file.txt /x"
  run_logged build "$CTX"
  assert_failure
  [[ "$stderr" == *"checksum mismatch"* ]]
  dockerfile "FROM busybox
ADD http://127.0.0.1:$HTTP_PORT/missing /x"
  run_logged build "$CTX"
  assert_failure
  [[ "$stderr" == *"404"* ]]
}

@test "cairn-build: ADD extracts local tar archives (plain and gzip); COPY does not" {
  mkdir -p "$T/src/d"
  echo in-tar >"$T/src/d/f"
  tar -C "$T/src" -cf "$CTX/plain.tar" d
  tar -C "$T/src" -czf "$CTX/z.tar.gz" d
  echo "not an archive" >"$CTX/text.tar"
  dockerfile 'FROM busybox
ADD plain.tar /p/
ADD z.tar.gz /z
ADD text.tar /t/
COPY plain.tar /c/'
  run_logged build -t tar "$CTX"
  assert_success
  rootfs_of tar "$T/b"
  r="$T/b/rootfs"
  [ "$(cat "$r/p/d/f")" = in-tar ]
  [ "$(cat "$r/z/d/f")" = in-tar ]
  [ "$(cat "$r/t/text.tar")" = "not an archive" ]
  [ -f "$r/c/plain.tar" ]
}

@test "cairn-build: ADD refuses an archive whose names climb out of the destination" {
  python3 - "$CTX/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"pwned\n"
    i = tarfile.TarInfo("../../../../../../../tmp/cairn-build-evil")
    i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
  dockerfile 'FROM busybox
ADD evil.tar /x/'
  rm -f /tmp/cairn-build-evil
  run_logged build -t evil "$CTX"
  assert_failure
  [ ! -e /tmp/cairn-build-evil ]
  run_logged cairn-image inspect evil
  assert_failure
}
