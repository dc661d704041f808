/* layer_int.h — the parts of a temp layer that layer.c (extraction) and
 * layerstore.c (putting it in place) share.  Not for other files. */
#ifndef CAIRN_IMAGE_LAYER_INT_H
#define CAIRN_IMAGE_LAYER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

/* A hardlink whose target is not in its own layer. */
struct link {
  char *name, *target;
};

struct layer_tmp {
  char *dir; /* temp dir under $CAIRN_ROOT/tmp; NULL once renamed */
  char diffid[DIGEST_STR_LEN + 1];
  uint64_t tar_size, content_size;
  struct link *links;
  size_t nlinks;
};

#endif
