#!/usr/bin/env bats
# `cairn build` and `cairn builder prune` (handed to cairn-build), and the
# Dockerfiles of the users' notes (shared/seeds) adapted to busybox and no
# network: they build, and the image runs.

load helpers

setup() {
  build_setup
  CGPARENT="/cairn-buildtest-$$x$BATS_TEST_NUMBER"
  export CAIRN_CONFIG="$T/cairn.json"
  jq -n --arg rt "$BUILD_RUNTIME" --arg cg "$CGPARENT" '{runtime: $rt, cgroupParent: $cg}' >"$CAIRN_CONFIG"
}

teardown() {
  local d
  for d in /sys/fs/cgroup/*"$CGPARENT" /sys/fs/cgroup/*/*"$CGPARENT"; do
    if [ -d "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
  done
  build_teardown
}

@test "cairn build: passes docker build's flags to cairn-build; cairn runs the image" {
  echo payload >"$CTX/p.txt"
  dockerfile 'FROM busybox
ARG X
COPY p.txt /p.txt
RUN echo "x=$X" >> /p.txt
CMD ["cat", "/p.txt"]'
  run_logged cairn build --network none --build-arg X=42 --label k=v --iidfile "$T/iid" -t app:1 "$CTX"
  assert_success
  [[ "$stderr" == *"naming to docker.io/library/app:1 done"* ]]
  [[ "$(cat "$T/iid")" =~ ^sha256: ]]
  run_logged cairn images
  assert_output --partial app
  run_logged cairn run --rm --network none app:1
  assert_success
  assert_output "payload
x=42"
  run_logged cairn image build -q --network none --build-arg X=42 --label k=v -t app:2 "$CTX"
  assert_success
  [ "$output" = "$(cat "$T/iid")" ]
  run_logged cairn build --bogus "$CTX"
  assert_failure
}

@test "cairn images: a build's step images show only with -a, and are not dangling" {
  dockerfile 'FROM busybox
RUN echo one >/one
ENV A=b
CMD ["cat", "/one"]'
  run_logged cairn build -q --network none -t steps:1 "$CTX"
  assert_success
  run_logged cairn images --format '{{.Repository}}:{{.Tag}}'
  assert_output "$(printf 'busybox:latest\nsteps:1')"
  run_logged cairn images -f dangling=true -q
  assert_output ""
  run_logged cairn images -a --format '{{.Repository}}'
  assert_equal "$(grep -c '^<none>$' <<<"$output")" 2
  assert_equal "${#lines[@]}" 4
}

@test "cairn rmi of a built image keeps the build cache, as docker's does; builder prune drops it" {
  dockerfile 'FROM busybox
RUN echo one >/one
ENV A=b'
  run_logged cairn build -q --network none -t kept:1 "$CTX"
  assert_success
  run_logged cairn rmi kept:1
  assert_success
  run_logged cairn images --format '{{.Repository}}'
  refute_output --partial kept
  # the step images stay (cache entries point at them): the rebuild takes
  # the RUN from the cache; only the last step, whose image went with its
  # last name, is made again
  run_logged cairn build --progress plain --network none -t kept:2 "$CTX"
  assert_success
  [[ "$stderr" == *$'#2 [2/3] RUN echo one >/one\n#2 CACHED'* ]]
  [[ "$stderr" =~ \#3\ DONE ]]
  run_logged cairn builder prune -f
  assert_success
  # without the cache, the step images are dangling: image prune takes them
  run_logged cairn image prune -f
  assert_success
  run_logged cairn images -a --format '{{.Repository}}:{{.Tag}}'
  assert_output "$(printf 'busybox:latest\nkept:2')"
  run_logged cairn build --progress plain --network none -t kept:3 "$CTX"
  assert_success
  [[ "$stderr" != *CACHED* ]]
}

@test "cairn builder prune: empties the build cache" {
  dockerfile 'FROM busybox
RUN echo x > /x'
  run_logged cairn build --network none "$CTX"
  assert_success
  run_logged cairn builder prune -f
  assert_success
  [[ "$output" == Total:* ]]
  run_logged cairn build --network none "$CTX"
  [[ "$stderr" != *CACHED* ]]
  run_logged cairn builder nope
  assert_failure
  # system prune takes the build cache too
  run_logged cairn build --network none "$CTX"
  [ -d "$CAIRN_ROOT/build-cache" ]
  run_logged cairn system prune -f
  assert_success
  [ ! -e "$CAIRN_ROOT/build-cache" ]
}

@test "seeds: the getting-started Dockerfile (node app), on busybox" {
  mkdir -p "$CTX/src"
  echo 'console.log("hello")' >"$CTX/src/index.js"
  echo '{"name":"app"}' >"$CTX/package.json"
  # the seed's `# syntax=` line, WORKDIR, COPY . ., RUN, CMD exec form;
  # apk/yarn become what busybox has
  dockerfile '# syntax=docker/dockerfile:1
FROM busybox
RUN mkdir -p /usr/local/lib && echo "python g++ make" > /usr/local/lib/tools
WORKDIR /app
COPY . .
RUN test -f package.json && echo installed > node_modules.txt
CMD ["cat", "src/index.js"]'
  run_logged cairn build --network none -t getting-started "$CTX"
  assert_success
  run_logged cairn run --rm --network none getting-started
  assert_success
  assert_output 'console.log("hello")'
  run_logged cairn run --rm --network none getting-started cat /app/node_modules.txt
  assert_output installed
}

@test "seeds: the python friendlyhello Dockerfile (ADD . ., EXPOSE, ENV, CMD), on busybox" {
  printf 'Flask\nRedis\n' >"$CTX/requirements.txt"
  printf '#!/bin/sh\necho "Hello $NAME!"\n' >"$CTX/app.py"
  chmod +x "$CTX/app.py"
  dockerfile '# Use an official Python runtime as a parent image
FROM busybox

# Set the working directory to /app
WORKDIR /app

# Copy the current directory contents into the container at /app
ADD . .

# Install any needed packages specified in requirements.txt
RUN wc -l < requirements.txt > installed.txt

# Make port 80 available to the world outside this container
EXPOSE 80

# Define environment variable
ENV NAME World
ENV http_proxy host:port

# Run app.py when the container launches
CMD ["sh", "app.py"]'
  run_logged cairn build --network none -t friendlyhello "$CTX"
  assert_success
  run_logged cairn run --rm --network none friendlyhello
  assert_success
  assert_output "Hello World!"
  run_logged cairn-image config friendlyhello
  [ "$(jq -c .config.ExposedPorts <<<"$output")" = '{"80/tcp":{}}' ]
  jq -e '.config.Env | index("http_proxy=host:port")' <<<"$output"
}

@test "seeds: the notes' CMD/ENTRYPOINT/VOLUME examples (ping), on busybox" {
  dockerfile 'FROM busybox
RUN echo aggregated && echo in-one-run
VOLUME /directory
ENTRYPOINT ["ping"]
CMD ["127.0.0.1", "-c", "1"]'
  run_logged cairn build --network none -t pinger "$CTX"
  assert_success
  run_logged cairn run --rm --network none pinger
  assert_success
  assert_output --partial "1 packets transmitted, 1 packets received"
}
