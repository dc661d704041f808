# fixtures.bash — test fixtures made on this machine, without any cairn tool.
#
# fixture_rootfs: a busybox root filesystem from Debian's busybox-static
# (the binary, one link per applet, /etc/passwd, /etc/group, /tmp 1777),
# built once and cached under $CAIRN_TEST_CACHE; prints its path.  Tests that
# change a rootfs copy it first (fixture_rootfs_copy DEST).

CAIRN_TEST_CACHE="${CAIRN_TEST_CACHE:-/tmp/cairn-test-cache}"
export CAIRN_TEST_CACHE

fixture_rootfs() {
  local bb=/bin/busybox
  [ -x "$bb" ] || { echo "fixture_rootfs: $bb missing: run 'make deps' (busybox-static)" >&2; return 1; }
  local key dir
  key="$(sha256sum "$bb" | cut -c1-16)"
  dir="$CAIRN_TEST_CACHE/busybox-rootfs-$key"
  if [ ! -d "$dir" ]; then
    mkdir -p "$CAIRN_TEST_CACHE"
    (
      flock 9
      [ -d "$dir" ] && exit 0
      local tmp="$dir.tmp.$$" a
      rm -rf "$tmp"
      mkdir -p "$tmp"/{bin,etc,tmp,root,proc,sys,dev,home,var,usr/bin,usr/sbin,sbin}
      cp "$bb" "$tmp/bin/busybox"
      for a in $("$bb" --list-full); do
        [ "$a" = bin/busybox ] && continue
        [ -e "$tmp/$a" ] || ln -s /bin/busybox "$tmp/$a"
      done
      chmod 1777 "$tmp/tmp"
      chmod 0700 "$tmp/root"
      cat >"$tmp/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
PW
      cat >"$tmp/etc/group" <<'GR'
root:x:0:
daemon:x:1:
bin:x:2:
wheel:x:10:root,app
audio:x:29:app
nogroup:x:65534:
app:x:1000:
GR
      mkdir -p "$tmp/home/app" && chown 1000:1000 "$tmp/home/app"
      mv "$tmp" "$dir"
    ) 9>"$CAIRN_TEST_CACHE/.lock" || return 1
  fi
  echo "$dir"
}

# fixture_rootfs_copy DEST: a private copy of the busybox rootfs at DEST.
fixture_rootfs_copy() {
  local src
  src="$(fixture_rootfs)" || return 1
  mkdir -p "$1" && cp -a "$src/." "$1/"
}

# fixture_image [NAME]: an OCI image layout holding the busybox rootfs as one
# gzip layer, made by hand (tar, gzip, sha256sum, jq) so that it depends on
# no cairn tool and on no peer.  Config: Cmd ["sh"], PATH in Env, amd64/linux,
# diff_ids and one history entry.  index.json names the manifest NAME
# (org.opencontainers.image.ref.name; default "latest"), so
# `oci:$(fixture_image):latest` works with skopeo, and
# `$(fixture_image):latest` with umoci.  Cached under $CAIRN_TEST_CACHE per
# busybox binary and NAME; prints the layout's path.  Treat it as read-only:
# a test that writes to a layout copies it first (cp -a).
fixture_image() {
  local name="${1:-latest}" rootfs key dir
  rootfs="$(fixture_rootfs)" || return 1
  # v1: the recipe's version; bump it when the image's content changes.
  key="$(basename "$rootfs" | sed 's/^busybox-rootfs-//')-v1"
  if [ "$name" = latest ]; then
    dir="$CAIRN_TEST_CACHE/busybox-image-$key"
  else
    dir="$CAIRN_TEST_CACHE/busybox-image-$key-$(printf '%s' "$name" | sha256sum | cut -c1-12)"
  fi
  if [ ! -d "$dir" ]; then
    (
      flock 9
      [ -d "$dir" ] && exit 0
      local tmp="$dir.tmp.$$"
      rm -rf "$tmp"
      _fixture_image_build "$rootfs" "$tmp" "$name" || { rm -rf "$tmp"; exit 1; }
      mv "$tmp" "$dir"
    ) 9>"$CAIRN_TEST_CACHE/.lock" || { echo "fixture_image: building the image failed" >&2; return 1; }
  fi
  echo "$dir"
}

# _fixture_blob LAYOUT FILE: moves FILE into LAYOUT's blob store under its
# digest; prints "sha256:<hex> <size>".
_fixture_blob() {
  local hex size
  hex="$(sha256sum "$2" | cut -d' ' -f1)" || return 1
  size="$(stat -c %s "$2")" || return 1
  mv "$2" "$1/blobs/sha256/$hex" || return 1
  echo "sha256:$hex $size"
}

_fixture_image_build() {
  local rootfs="$1" out="$2" name="$3"
  local created="2024-01-01T00:00:00Z"
  local path_env="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  local layer_digest layer_size diff_id config_digest config_size manifest_digest manifest_size
  mkdir -p "$out/blobs/sha256" || return 1
  printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"

  # The layer: top-level entries without a "./" prefix (as docker writes
  # them), sorted, numeric owners, fixed mtimes: the same bytes every time.
  local -a top
  mapfile -t top < <(cd "$rootfs" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
  tar -C "$rootfs" --sort=name --numeric-owner --mtime="$created" --format=gnu \
    -cf "$out/layer.tar" "${top[@]}" || return 1
  diff_id="sha256:$(sha256sum "$out/layer.tar" | cut -d' ' -f1)"
  gzip -n -6 "$out/layer.tar" || return 1
  read -r layer_digest layer_size < <(_fixture_blob "$out" "$out/layer.tar.gz") || return 1

  jq -cn --arg created "$created" --arg path "$path_env" --arg diff "$diff_id" '{
    created: $created, architecture: "amd64", os: "linux",
    config: {Env: [$path], Cmd: ["sh"]},
    rootfs: {type: "layers", diff_ids: [$diff]},
    history: [{created: $created,
               created_by: "tests/helpers/fixtures.bash: busybox rootfs from Debian busybox-static"}]
  }' >"$out/config.json" || return 1
  read -r config_digest config_size < <(_fixture_blob "$out" "$out/config.json") || return 1

  jq -cn --arg cd "$config_digest" --argjson cs "$config_size" \
    --arg ld "$layer_digest" --argjson ls "$layer_size" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
    layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $ld, size: $ls}]
  }' >"$out/manifest.json" || return 1
  read -r manifest_digest manifest_size < <(_fixture_blob "$out" "$out/manifest.json") || return 1

  jq -cn --arg md "$manifest_digest" --argjson ms "$manifest_size" --arg name "$name" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
                 digest: $md, size: $ms,
                 platform: {architecture: "amd64", os: "linux"},
                 annotations: {"org.opencontainers.image.ref.name": $name}}]
  }' >"$out/index.json" || return 1
}

# fixture_image_archive FORMAT [NAME]: the fixture image as a single file,
# FORMAT docker-archive or oci-archive (made by skopeo copy from
# fixture_image), tagged NAME (default docker.io/library/busybox:latest).
# Cached like fixture_image; prints the file's path.  Read-only.
fixture_image_archive() {
  local format="$1" name="${2:-docker.io/library/busybox:latest}" layout file
  case "$format" in
    docker-archive | oci-archive) ;;
    *) echo "fixture_image_archive: unknown format '$format' (docker-archive or oci-archive)" >&2; return 1 ;;
  esac
  command -v skopeo >/dev/null || { echo "fixture_image_archive: skopeo missing: run 'make deps'" >&2; return 1; }
  layout="$(fixture_image)" || return 1
  file="$layout.$format-$(printf '%s' "$name" | sha256sum | cut -c1-12).tar"
  if [ ! -f "$file" ]; then
    (
      flock 9
      [ -f "$file" ] && exit 0
      local tmp="$file.tmp.$$"
      rm -f "$tmp"
      skopeo copy -q "oci:$layout:latest" "$format:$tmp:$name" >&2 || { rm -f "$tmp"; exit 1; }
      mv "$tmp" "$file"
    ) 9>"$CAIRN_TEST_CACHE/.lock" || { echo "fixture_image_archive: skopeo copy to $format failed" >&2; return 1; }
  fi
  echo "$file"
}

# fixture_bundle DIR [ARG…]: an OCI runtime bundle at DIR: a private copy of
# the busybox rootfs in DIR/rootfs and the config.json of `runc spec` (a
# peer, so that runtime tests do not depend on cairn-spec), with
# process.args ARG… (default: sh) and no terminal.  Edit it with
# config_edit.  Remove DIR with the scratch dir; a test that created a
# container in it deletes the container first.
fixture_bundle() {
  local dir="$1"
  shift
  [ -n "$dir" ] || { echo "fixture_bundle: usage: fixture_bundle DIR [ARG…]" >&2; return 1; }
  [ $# -gt 0 ] || set -- sh
  command -v runc >/dev/null || { echo "fixture_bundle: runc missing: run 'make deps'" >&2; return 1; }
  fixture_rootfs_copy "$dir/rootfs" || return 1
  (cd "$dir" && runc spec) || { echo "fixture_bundle: runc spec failed" >&2; return 1; }
  # One --arg per word: jq 1.6 parses options even after --args, so a word
  # like "-c" cannot go through $ARGS.positional.
  local -a jargs=()
  local list="" a i=0
  for a in "$@"; do
    jargs+=(--arg "a$i" "$a")
    list+="${list:+,}\$a$i"
    i=$((i + 1))
  done
  config_edit "$dir/config.json" ".process.terminal = false | .process.args = [$list]" "${jargs[@]}"
}

# config_edit FILE FILTER [JQ-ARGS…]: rewrites the JSON file FILE (or
# DIR/config.json when FILE is a directory) through jq FILTER, in place and
# atomically; FILE is untouched when jq fails.  JQ-ARGS go to jq after the
# filter (--arg NAME VALUE, --argjson NAME JSON).
#   config_edit "$T/bundle" '.process.env += ["A=1"]'
#   config_edit "$T/bundle" '.hostname = $h' --arg h box
config_edit() {
  local file="$1" filter="$2"
  shift 2 || { echo "config_edit: usage: config_edit FILE FILTER [JQ-ARGS…]" >&2; return 1; }
  [ -d "$file" ] && file="$file/config.json"
  [ -f "$file" ] || { echo "config_edit: '$file' does not exist" >&2; return 1; }
  # The file goes on stdin: after --args, jq takes every word as a value.
  if jq "$filter" "$@" <"$file" >"$file.tmp"; then
    mv "$file.tmp" "$file"
  else
    rm -f "$file.tmp"
    echo "config_edit: jq '$filter' failed on $file" >&2
    return 1
  fi
}
