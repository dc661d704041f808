#!/usr/bin/env bats
# cairn-build: the context — .dockerignore, symlinks, COPY's source and
# destination rules, --chown and --chmod.

load helpers

@test "cairn-build: .dockerignore keeps files out of COPY, with ! exceptions and **" {
  mkdir -p "$CTX/logs/keep" "$CTX/src/a/b"
  echo secret >"$CTX/secret.txt"
  echo log >"$CTX/logs/x.log"
  echo kept >"$CTX/logs/keep/important.log"
  echo tmp >"$CTX/src/a/b/junk.tmp"
  echo code >"$CTX/src/a/b/code.c"
  printf '%s\n' '# comment' 'secret.txt' 'logs/**' '!logs/keep/important.log' '**/*.tmp' >"$CTX/.dockerignore"
  dockerfile 'FROM busybox
COPY . /ctx/'
  run_logged build -t ign "$CTX"
  assert_success
  rootfs_of ign "$T/b"
  [ ! -e "$T/b/rootfs/ctx/secret.txt" ]
  [ ! -e "$T/b/rootfs/ctx/logs/x.log" ]
  [ "$(cat "$T/b/rootfs/ctx/logs/keep/important.log")" = kept ]
  [ ! -e "$T/b/rootfs/ctx/src/a/b/junk.tmp" ]
  [ "$(cat "$T/b/rootfs/ctx/src/a/b/code.c")" = code ]
  # an excluded file cannot be named either
  dockerfile 'FROM busybox
COPY secret.txt /s'
  run_logged build "$CTX"
  assert_failure
  [[ "$stderr" == *"secret.txt"*"not found"* ]]
}

@test "cairn-build: symlinks in the context never bring host files into the image" {
  echo host-secret >"$T/outside"
  ln -s "$T/outside" "$CTX/abs-link"
  ln -s ../outside "$CTX/rel-link"
  ln -s / "$CTX/rootlink"
  dockerfile 'FROM busybox
COPY . /ctx/'
  run_logged build -t links "$CTX"
  assert_success
  rootfs_of links "$T/b"
  # copied as links, never as what they point to
  [ -L "$T/b/rootfs/ctx/abs-link" ]
  [ "$(readlink "$T/b/rootfs/ctx/abs-link")" = "$T/outside" ]
  [ -L "$T/b/rootfs/ctx/rel-link" ]
  ! grep -r host-secret "$T/b/rootfs/ctx" 2>/dev/null
  # a source that is a link is resolved inside the context: nothing there
  for src in abs-link rel-link rootlink/etc/passwd; do
    dockerfile "FROM busybox
COPY $src /x"
    run_logged build -t "leak" "$CTX"
    assert_failure
    [[ "$stderr" == *"not found"* ]]
  done
  dockerfile 'FROM busybox
COPY ../outside /x'
  run_logged build "$CTX"
  assert_failure
}

@test "cairn-build: COPY destination rules: trailing slash, existing dir, several sources, globs" {
  echo one >"$CTX/one.txt"
  echo two >"$CTX/two.txt"
  echo md >"$CTX/readme.md"
  mkdir -p "$CTX/dir/inner" && echo in >"$CTX/dir/inner/f"
  dockerfile 'FROM busybox
COPY one.txt /as-file
COPY one.txt /into/
COPY one.txt /etc
COPY one.txt two.txt /multi/
COPY *.txt /glob/
COPY dir /copied-dir
WORKDIR /work
COPY one.txt rel/
COPY one.txt .'
  run_logged build -t rules "$CTX"
  assert_success
  rootfs_of rules "$T/b"
  r="$T/b/rootfs"
  [ -f "$r/as-file" ] && [ "$(cat "$r/as-file")" = one ]
  [ "$(cat "$r/into/one.txt")" = one ]
  [ "$(cat "$r/etc/one.txt")" = one ]   # an existing directory
  [ "$(cat "$r/multi/two.txt")" = two ]
  [ -f "$r/glob/one.txt" ] && [ -f "$r/glob/two.txt" ] && [ ! -e "$r/glob/readme.md" ]
  [ "$(cat "$r/copied-dir/inner/f")" = in ] # a directory's contents
  [ ! -e "$r/copied-dir/dir" ]
  [ "$(cat "$r/work/rel/one.txt")" = one ]
  [ "$(cat "$r/work/one.txt")" = one ]
  dockerfile 'FROM busybox
COPY nothing* /x/'
  run_logged build "$CTX"
  assert_failure
}

@test "cairn-build: COPY --chown by name and number, --chmod" {
  echo f >"$CTX/f"
  chmod 0755 "$CTX/f"
  mkdir "$CTX/d" && echo g >"$CTX/d/g"
  dockerfile 'FROM busybox
RUN echo "builder1:x:1234:2345::/home/b:/bin/sh" >> /etc/passwd && echo "grp:x:3456:" >> /etc/group
COPY --chown=builder1 f /byname
COPY --chown=builder1:grp f /bynames
COPY --chown=42:43 --chmod=600 f /bynum
COPY --chown=7 d /d'
  run_logged build -t own "$CTX"
  assert_success
  rootfs_of own "$T/b"
  r="$T/b/rootfs"
  [ "$(stat -c %u:%g:%a "$r/byname")" = 1234:1234:755 ] # docker: gid = uid when no group
  [ "$(stat -c %u:%g "$r/bynames")" = 1234:3456 ]
  [ "$(stat -c %u:%g:%a "$r/bynum")" = 42:43:600 ]
  [ "$(stat -c %u:%g "$r/d/g")" = 7:7 ]
  dockerfile 'FROM busybox
COPY --chown=nobody-here f /x'
  run_logged build "$CTX"
  assert_failure
  [[ "$stderr" == *"nobody-here"* ]]
  dockerfile 'FROM busybox
COPY --chmod=99x f /x'
  run_logged build "$CTX"
  [ "$status" -eq 2 ]
}

@test "cairn-build: COPY heredoc and -f with a Dockerfile elsewhere" {
  mkdir -p "$T/df"
  printf '%s\n' 'FROM busybox' 'ARG WHO=world' 'COPY <<EOT /hello.txt' 'hello there' 'EOT' \
    'RUN <<EOF' 'echo "from heredoc $WHO" > /run.txt' 'EOF' >"$T/df/app.dockerfile"
  run_logged build -f "$T/df/app.dockerfile" -t hd "$CTX"
  assert_success
  rootfs_of hd "$T/b"
  [ "$(cat "$T/b/rootfs/hello.txt")" = "hello there" ]
  [ "$(cat "$T/b/rootfs/run.txt")" = "from heredoc world" ]
}

@test "cairn-build: COPY heredoc expands ARG and ENV unless its delimiter is quoted" {
  cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
ARG WHO=world
ENV PLACE=earth
COPY <<EOT /expanded.txt
hello $WHO on ${PLACE}, don't "quote" \$WHO ${NONE:-dflt}
EOT
COPY <<"EOT" /dq.txt
hello $WHO on ${PLACE}
EOT
ADD <<'EOT' /sq.txt
hello $WHO on ${PLACE}
EOT
DF
  run_logged build --build-arg WHO=you -t hdx "$CTX"
  assert_success
  rootfs_of hdx "$T/b"
  [ "$(cat "$T/b/rootfs/expanded.txt")" = "hello you on earth, don't \"quote\" \$WHO dflt" ]
  [ "$(cat "$T/b/rootfs/dq.txt")" = 'hello $WHO on ${PLACE}' ]
  [ "$(cat "$T/b/rootfs/sq.txt")" = 'hello $WHO on ${PLACE}' ]
  # another value, another file: the expanded body is part of the cache key
  run_logged build --build-arg WHO=them -t hdy "$CTX"
  assert_success
  rootfs_of hdy "$T/c"
  [[ "$(cat "$T/c/rootfs/expanded.txt")" == "hello them on earth"* ]]
}
