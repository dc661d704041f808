/* layerw.h — making layers: a sink that takes uncompressed tar bytes,
 * hashes them (the diffid), compresses them and writes the blob into the
 * store; and the tar of a directory tree, deterministic (entries sorted by
 * name, numeric owners only, no atime/ctime), optionally turning overlay
 * whiteouts and opaque dirs into OCI ".wh." entries. */
#ifndef CAIRN_IMAGE_LAYERW_H
#define CAIRN_IMAGE_LAYERW_H

#include <archive.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "image.h"
#include "store.h"

struct layer_writer;

struct layer_writer *lw_open(const struct store *s, enum compression c, struct err **e);
int lw_write(struct layer_writer *w, const void *buf, size_t len, struct err **e);
/* Finish the compressed stream and put the blob in the store. */
int lw_finish(struct layer_writer *w, char diffid[DIGEST_STR_LEN + 1],
              char digest[DIGEST_STR_LEN + 1], int64_t *size, struct err **e);
void lw_abort(struct layer_writer *w);
const char *compression_media_type(enum compression c);

/* A tar writer (pax, no compression) whose bytes go to fn. */
typedef int (*tar_sink)(void *arg, const void *buf, size_t len, struct err **e);
struct tarw {
  struct archive *a;
  tar_sink fn;
  void *arg;
  struct err *err; /* the sink's own failure */
};
int tarw_open(struct tarw *t, tar_sink fn, void *arg, struct err **e);
/* The error of a failed libarchive call, preferring the sink's own. */
int tarw_error(struct tarw *t, struct err **e);
/* Write the end of the archive and free it. */
int tarw_close(struct tarw *t, struct err **e);
void tarw_free(struct tarw *t);

/* Write the tree under dirfd as tar entries (names relative, no "./").
 * overlay: whiteouts become ".wh.NAME", opaque dirs get ".wh..wh..opq",
 * overlay's own xattrs are left out.  *count gets the number of entries. */
int tar_add_tree(struct tarw *t, int dirfd, int overlay, uint64_t *count, struct err **e);

#endif
