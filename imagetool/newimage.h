/* newimage.h — writing a new image (commit, import): its config on top of a
 * parent's, history, manifest, and the ref. */
#ifndef CAIRN_IMAGE_NEWIMAGE_H
#define CAIRN_IMAGE_NEWIMAGE_H

#include <jansson.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "image.h"
#include "store.h"

struct new_layer {
  int empty; /* no layer: only a history entry with empty_layer */
  char diffid[DIGEST_STR_LEN + 1];
  char digest[DIGEST_STR_LEN + 1];
  int64_t size;
  const char *media_type;
};

struct new_image {
  const struct image *parent; /* NULL: from scratch */
  json_t *config;             /* replaces the container config ("config" field);
                                 a whole image config (with "rootfs") replaces
                                 everything but rootfs and history; NULL: keep */
  json_t *changes;            /* array of Dockerfile-like lines (CMD, ENV, …) */
  const char *created_by, *comment, *author;
  const char *tag; /* a reference, or NULL for an untagged image */
};

/* Store the config and manifest, point the tag at them; *result gets
 * {"ref","digest","id"}. */
int image_create(const struct store *s, const struct new_image *ni, const struct new_layer *nl,
                 json_t **result, struct err **e);

/* Apply one change line ("CMD [\"sh\"]", "ENV A=1", "EXPOSE 80/tcp",
 * "WORKDIR /app", "USER app", "LABEL k=v", "ENTRYPOINT …", "VOLUME /data",
 * "STOPSIGNAL SIGTERM") to a container config object. */
int apply_change(json_t *cc, const char *line, struct err **e);

#endif
