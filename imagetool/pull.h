/* pull.h — pulling an image, and fetching a manifest (shared with push). */
#ifndef CAIRN_IMAGE_PULL_H
#define CAIRN_IMAGE_PULL_H

#include <jansson.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "progress.h"
#include "registry.h"
#include "store.h"

/* When to ask the registry (podman's --policy): always (docker's pull: a
 * present tag costs one HEAD), missing (not for a tag already here),
 * never (the store only). */
enum pull_policy { POLICY_ALWAYS, POLICY_MISSING, POLICY_NEVER };

struct pull_opts {
  const char *platform; /* "os/arch[/variant]" or NULL */
  enum pull_policy policy;
  int parallel;
  uint64_t max_size;
  struct progress *progress;
  int *asked; /* when not NULL, set to 1 once the registry was asked (not
               * answered from the store alone): docker's pull event */
};

/* Pull name into the store; *result gets {"ref","digest","id","config"}. */
int pull_image(struct store *s, const char *name, const struct pull_opts *o, json_t **result,
               struct err **e);

struct manifest_doc {
  char *body;
  size_t len;
  char *media_type; /* from Content-Type, else the document's field */
  json_t *json;
  char digest[DIGEST_STR_LEN + 1];
};
/* GET /v2/<repo>/manifests/<what> (trying mirrors first), checked against
 * want (a digest) when given and against Docker-Content-Digest. */
int fetch_manifest(struct registry *r, const char *what, const char *want, struct manifest_doc *out,
                   struct err **e);
void manifest_doc_free(struct manifest_doc *m);

#endif
