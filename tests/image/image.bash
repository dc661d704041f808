# image.bash — shared set-up for the cairn-image suites: `load image`
# (tests/image/) or `load ../image/image` (tests/hardening/).

# A private store per test.
image_setup() {
  common_setup
  export CAIRN_ROOT="$T/root"
  export MKIMAGE="$CAIRN_SRC/tests/image/mkimage.py"
}

# The busybox fixture in the store as docker.io/library/busybox:latest.
load_busybox() {
  local a
  a="$(fixture_image_archive oci-archive)" || return 1
  cairn-image load -q -i "$a"
}

# store_state: what a failed operation must leave alone — the refs, the
# layer dirs, the temp dir.
store_state() {
  jq -S . "$CAIRN_ROOT/store/index.json" 2>/dev/null || true
  ls -A "$CAIRN_ROOT/layers/sha256" 2>/dev/null || true
  echo "tmp:"
  ls -A "$CAIRN_ROOT/tmp" 2>/dev/null || true
}

# The config digest of IMAGE, from the store.
image_id() {
  cairn-image inspect "$1" | jq -r '.[0].Id'
}

# The layer dir of IMAGE's layer N (0 = bottom).
layer_dir() {
  local d
  d="$(cairn-image inspect "$1" | jq -r ".[0].RootFS.Layers[$2]")" || return 1
  echo "$CAIRN_ROOT/layers/sha256/${d#sha256:}"
}
