/* layer.h — safe extraction of a layer tarball into its own directory,
 * $CAIRN_ROOT/layers/sha256/<hex of the diffid>, in overlayfs's format so the
 * dir can serve directly as an overlay lower dir.
 *
 * The compressed stream (gzip, zstd or none, detected from its bytes) is
 * decompressed, hashed (the diffid) and unpacked in one pass.  Every path is
 * created relative to the layer dir through openat() walks that never follow
 * a symlink, so no entry can reach outside it.  Rejected, with the entry
 * named: absolute paths, ".." components, paths through a symlink or
 * through a non-directory, hardlinks whose target is absolute, climbs out or
 * goes through a symlink, device nodes without CAP_MKNOD, and more
 * uncompressed bytes than the configured maximum.  xattrs in the
 * trusted.overlay.* and user.overlay.* namespaces are dropped: an image must
 * never steer overlayfs.
 *
 * OCI whiteouts become overlay whiteouts: ".wh.NAME" a 0/0 character
 * device NAME, ".wh..wh..opq" the xattr trusted.overlay.opaque=y on its dir.
 *
 * A layer is built in $CAIRN_ROOT/tmp and renamed into place only once it
 * is complete and its diffid verified; a failure leaves nothing behind. */
#ifndef CAIRN_IMAGE_LAYER_H
#define CAIRN_IMAGE_LAYER_H

#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "err.h"
#include "store.h"

/* Default cap on a layer's uncompressed size (a decompression bomb stops
 * there); $CAIRN_MAX_LAYER_SIZE or --max-layer-size change it. */
#define LAYER_MAX_DEFAULT (64ull << 30)

/* Where the compressed bytes come from: returns the count read, 0 at the
 * end, -1 with *e set on failure. */
struct layer_src {
  ssize_t (*read)(void *arg, void *buf, size_t len, struct err **e);
  void *arg;
};

struct layer_opts {
  const char *diffid; /* expected diffid, or NULL to accept (and learn) any */
  uint64_t max_size;  /* uncompressed bytes; 0: LAYER_MAX_DEFAULT */
  /* Called with the count of compressed bytes consumed so far. */
  void (*progress)(void *arg, uint64_t done);
  void *progress_arg;
  /* A plain archive, not a layer: ".wh." names are files like any other
   * and no diffid is computed (load uses this for the archive itself). */
  int plain;
};

/* A layer extracted into a temp dir, not yet in place. */
struct layer_tmp;

/* Extract src into a new temp layer dir.  Fails (and removes the dir) on
 * any hostile entry or when the diffid does not match. */
struct layer_tmp *layer_extract(const struct store *s, const struct layer_src *src,
                                const struct layer_opts *o, struct err **e);
/* Its diffid (valid after a successful extract). */
const char *layer_tmp_diffid(const struct layer_tmp *t);
/* Where it was extracted (until committed or freed). */
const char *layer_tmp_dir(const struct layer_tmp *t);
/* 1 when the layer has hardlinks to files of lower layers: layer_commit
 * then needs the lower layer dirs. */
int layer_tmp_needs_lowers(const struct layer_tmp *t);
/* Resolve hardlinks into lower layers (lowers: layer dirs, topmost first;
 * such files are copied in), record the layer's size and rename it into
 * layers/sha256/<hex>.  When another process got there first, this copy is
 * dropped and the result is the same.  Frees t. */
int layer_commit(const struct store *s, struct layer_tmp *t, const char *const *lowers,
                 size_t nlowers, struct err **e);
/* Drop an uncommitted layer (removes its temp dir).  NULL is fine. */
void layer_tmp_free(struct layer_tmp *t);

/* Extract a blob file of the store (ensuring layers/<diffid>); lowers as in
 * layer_commit.  A no-op when the layer dir exists. */
int layer_ensure_from_blob(const struct store *s, const char *blob_digest, const char *diffid,
                           const char *const *lowers, size_t nlowers, uint64_t max_size,
                           struct err **e);

/* The size recorded for a layer (sum of its files' sizes, as docker counts
 * an image's size), or -1 when unknown. */
int64_t layer_size(const struct store *s, const char *diffid);

/* Make sure every layer of img is extracted, bottom up (a layer's
 * hardlinks may point into the ones below).  A no-op for present layers. */
struct image;
int image_ensure_layers(const struct store *s, const struct image *img, uint64_t max_size,
                        struct err **e);

/* The configured maximum from $CAIRN_MAX_LAYER_SIZE, or the default. */
int layer_max_from_env(uint64_t *out, struct err **e);

#endif
