#!/usr/bin/env bats
# cairn-build: one Dockerfile per instruction and option, checked in the
# image config (as `docker inspect` shows it) or the image's files.

load helpers

# cfg FILTER: jq FILTER over the config of the image "i".
cfg() { cairn-image config i | jq -c "$1"; }

@test "cairn-build: ENV both forms, with expansion; ARG defaults and --build-arg" {
  dockerfile 'FROM busybox
ARG WHO=nobody
ENV A=1 B="two words" C=${A}x
ENV D plain value here
ENV E=$WHO F=${UNSET:-dflt} G=${A:+set}
RUN echo "$A|$B|$C|$D|$E|$WHO" > /env.txt'
  run_logged build --build-arg WHO=me -t i "$CTX"
  assert_success
  # as docker: the pairs of one ENV see the values from before it (C),
  # later instructions see them all (G)
  [ "$(cfg '.config.Env[1:]')" = '["A=1","B=two words","C=x","D=plain value here","E=me","F=dflt","G=set"]' ]
  rootfs_of i "$T/b"
  [ "$(cat "$T/b/rootfs/env.txt")" = "1|two words|x|plain value here|me|me" ]
  # ARG values are not kept in the image
  [[ "$(cfg .config.Env)" != *WHO* ]]
}

@test "cairn-build: CMD and ENTRYPOINT in both forms; ENTRYPOINT drops the base CMD" {
  dockerfile 'FROM busybox
ENTRYPOINT ["/bin/echo"]'
  run_logged build -t i "$CTX"
  assert_success
  [ "$(cfg .config.Entrypoint)" = '["/bin/echo"]' ]
  [ "$(cfg .config.Cmd)" = null ]
  dockerfile 'FROM busybox
CMD echo hi
ENTRYPOINT echo ep'
  run_logged build -t i "$CTX"
  [ "$(cfg .config.Cmd)" = '["/bin/sh","-c","echo hi"]' ]
  [ "$(cfg .config.Entrypoint)" = '["/bin/sh","-c","echo ep"]' ]
}

@test "cairn-build: USER, WORKDIR (created, relative to the previous), LABEL, EXPOSE, VOLUME, STOPSIGNAL" {
  dockerfile 'FROM busybox
ARG PORT=8080
WORKDIR /a
WORKDIR b
WORKDIR $PORT
USER 1000:1000
LABEL version="1.0" "with space"=yes
EXPOSE 80 ${PORT}/udp 9000-9001
VOLUME ["/data", "/logs"]
VOLUME /more
STOPSIGNAL SIGQUIT
RUN id -u > /tmp/uid && pwd > /tmp/pwd'
  run_logged build -t i "$CTX"
  assert_success
  [ "$(cfg .config.WorkingDir)" = '"/a/b/8080"' ]
  [ "$(cfg .config.User)" = '"1000:1000"' ]
  [ "$(cfg .config.Labels)" = '{"version":"1.0","with space":"yes"}' ]
  [ "$(cfg '.config.ExposedPorts | keys')" = '["80/tcp","8080/udp","9000/tcp","9001/tcp"]' ]
  [ "$(cfg '.config.Volumes | keys')" = '["/data","/logs","/more"]' ]
  [ "$(cfg .config.StopSignal)" = '"SIGQUIT"' ]
  rootfs_of i "$T/b"
  [ -d "$T/b/rootfs/a/b/8080" ]
  [ "$(cat "$T/b/rootfs/tmp/uid")" = 1000 ]
  [ "$(cat "$T/b/rootfs/tmp/pwd")" = /a/b/8080 ]
}

@test "cairn-build: SHELL changes the shell of RUN and of shell-form CMD" {
  dockerfile 'FROM busybox
SHELL ["/bin/sh", "-ec"]
RUN echo "$0 $-" > /shell.txt
CMD echo hi'
  run_logged build -t i "$CTX"
  assert_success
  [ "$(cfg .config.Shell)" = '["/bin/sh","-ec"]' ]
  [ "$(cfg .config.Cmd)" = '["/bin/sh","-ec","echo hi"]' ]
  rootfs_of i "$T/b"
  [[ "$(cat "$T/b/rootfs/shell.txt")" == *e* ]]
  dockerfile 'FROM busybox
SHELL /bin/bash -c'
  run_logged build "$CTX"
  [ "$status" -eq 2 ]
}

@test "cairn-build: HEALTHCHECK with options, and NONE" {
  dockerfile 'FROM busybox
HEALTHCHECK --interval=30s --timeout=1m30s --start-period=5s --retries=3 CMD wget -q -O- http://localhost/ || exit 1'
  run_logged build -t i "$CTX"
  assert_success
  [ "$(cfg .config.Healthcheck)" = '{"Interval":30000000000,"Retries":3,"StartPeriod":5000000000,"Test":["CMD-SHELL","wget -q -O- http://localhost/ || exit 1"],"Timeout":90000000000}' ]
  dockerfile 'FROM busybox
HEALTHCHECK CMD ["true"]
HEALTHCHECK NONE'
  run_logged build -t i "$CTX"
  [ "$(cfg .config.Healthcheck.Test)" = '["NONE"]' ]
}

@test "cairn-build: MAINTAINER sets the author" {
  dockerfile 'FROM busybox
MAINTAINER Jane Doe <jane@example.com>'
  run_logged build -t i "$CTX"
  assert_success
  [ "$(cfg .author)" = '"Jane Doe <jane@example.com>"' ]
}

@test "cairn-build: ONBUILD is recorded, and runs when the image is a base" {
  echo trig >"$CTX/trigger.txt"
  dockerfile 'FROM busybox
ONBUILD COPY trigger.txt /from-trigger.txt
ONBUILD RUN echo ran > /onbuild-ran'
  run_logged build -t onbase "$CTX"
  assert_success
  [ "$(cairn-image config onbase | jq -c .config.OnBuild)" = '["COPY trigger.txt /from-trigger.txt","RUN echo ran > /onbuild-ran"]' ]
  rootfs_of onbase "$T/b0"
  [ ! -e "$T/b0/rootfs/onbuild-ran" ]
  dockerfile 'FROM onbase
RUN cat /from-trigger.txt /onbuild-ran'
  run_logged build -t i "$CTX"
  assert_success
  [[ "$stderr" == *"trig"*"ran"* ]]
  [ "$(cfg .config.OnBuild)" = null ]
}

@test "cairn-build: an ONBUILD trigger with a heredoc keeps its body" {
  dockerfile 'FROM busybox
ONBUILD RUN <<EOF
echo from-heredoc > /hd-trigger
EOF'
  run_logged build -t hdbase "$CTX"
  assert_success
  dockerfile 'FROM hdbase
RUN cat /hd-trigger'
  run_logged build -t hdi "$CTX"
  assert_success
  [[ "$stderr" == *"from-heredoc"* ]]
}

@test "cairn-build: RUN exec form, heredoc, --network=none, --mount=type=cache and bind" {
  echo ctxfile >"$CTX/bound.txt"
  dockerfile 'FROM busybox
RUN ["/bin/sh", "-c", "echo exec > /exec.txt"]
RUN <<EOF
echo one > /hd.txt
echo two >> /hd.txt
EOF
RUN --network=none ip -o link | grep -vc lo > /links || true
RUN --mount=type=cache,target=/cache sh -c "echo x >> /cache/n; wc -l < /cache/n > /cachecount"
RUN --mount=type=bind,source=bound.txt,target=/mnt/b.txt cat /mnt/b.txt > /bound-copy'
  run_logged build -t i "$CTX"
  assert_success
  rootfs_of i "$T/b"
  r="$T/b/rootfs"
  [ "$(cat "$r/exec.txt")" = exec ]
  [ "$(cat "$r/hd.txt")" = "one
two" ]
  [ "$(cat "$r/links")" = 0 ]
  [ "$(cat "$r/cachecount")" = 1 ]
  [ "$(cat "$r/bound-copy")" = ctxfile ]
  # no trace of the mounts in the image: not their content, not even the
  # mount points the runtime made for them (BuildKit removes them too)
  [ ! -e "$r/cache" ]
  [ ! -e "$r/mnt/b.txt" ]
  run_logged build --no-cache -t i "$CTX"
  rm -rf "$T/b" && rootfs_of i "$T/b"
  [ "$(cat "$T/b/rootfs/cachecount")" = 2 ] # the cache mount persisted
}

@test "cairn-build: a RUN that changes nothing adds an empty layer entry" {
  dockerfile 'FROM busybox
RUN true'
  run_logged build -t i "$CTX"
  assert_success
  [ "$(cfg '.rootfs.diff_ids | length')" = 1 ]
  [ "$(cfg '.history[-1].empty_layer')" = true ]
  [ "$(cfg '.history[-1].created_by')" = '"RUN /bin/sh -c true"' ]
}

@test "cairn-build: FROM scratch with COPY, and FROM an earlier stage" {
  echo data >"$CTX/f"
  dockerfile 'FROM scratch AS s
COPY f /f
FROM s
COPY f /g'
  run_logged build -t i "$CTX"
  assert_success
  [ "$(cfg '.rootfs.diff_ids | length')" = 2 ]
  rootfs_of i "$T/b"
  [ "$(ls "$T/b/rootfs")" = "f
g" ]
}
