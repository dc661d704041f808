/* fetch.h — getting an image's layers into the store: blobs downloaded in
 * parallel (libcurl multi, 3 at a time by default), each hashed as it
 * arrives and extracted at the same time by a thread that reads the growing
 * temp file, so download, verification and extraction overlap.
 *
 * A blob is committed to the store only when its digest and size match the
 * manifest and its layer extracted cleanly (diffid checked).  A download cut
 * short is resumed with a Range request, within this run and by the next
 * pull (the partial blob stays in $CAIRN_ROOT/tmp/blob-<hex>.partial). */
#ifndef CAIRN_IMAGE_FETCH_H
#define CAIRN_IMAGE_FETCH_H

#include <stdint.h>

#include "err.h"
#include "image.h"
#include "progress.h"
#include "registry.h"
#include "store.h"

struct fetch_opts {
  int parallel;      /* downloads at a time */
  uint64_t max_size; /* per layer, uncompressed */
  struct progress *progress;
};

/* Make every blob and layer dir of img present.  r may be NULL when no
 * blob needs downloading (then it fails if one does). */
int fetch_layers(const struct store *s, struct registry *r, const struct image *img,
                 const struct fetch_opts *o, struct err **e);

#endif
