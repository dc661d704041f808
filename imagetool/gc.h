/* gc.h — what is in use, and removing what is not: blobs no image
 * reaches, layer dirs no image lists (unless an overlay still mounts them),
 * leftovers of interrupted pulls in $CAIRN_ROOT/tmp. */
#ifndef CAIRN_IMAGE_GC_H
#define CAIRN_IMAGE_GC_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

/* The id of a container (from $CAIRN_ROOT/containers/<id>/container.json)
 * that uses the image with this manifest, config and refs, or NULL.  A
 * container uses an image when its "image" field names one of the refs,
 * or its "imageId"/"ImageID" field is the config or manifest digest. */
char *image_user(const struct store *s, const char *manifest, const char *config, json_t *refs);

struct gc_stats {
  uint64_t blobs, layers, bytes;
};
/* Remove unreachable blobs and layer dirs, and with tmp_too the temp files
 * (partial downloads a later pull would resume).  Needs the gc lock
 * exclusively: when blocking is 0 and another process holds it (a pull in
 * progress), nothing is done and 0 is returned. */
int store_gc(const struct store *s, int blocking, int tmp_too, struct gc_stats *st, struct err **e);

#endif
