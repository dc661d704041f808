/* image.h — manifests and configs: parsing and checking the documents of
 * one image (OCI or Docker schema2), and choosing a platform from an index. */
#ifndef CAIRN_IMAGE_IMAGE_H
#define CAIRN_IMAGE_IMAGE_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

enum compression { COMP_NONE, COMP_GZIP, COMP_ZSTD };

struct layer_desc {
  char *digest; /* of the blob as stored (compressed) */
  char *media_type;
  int64_t size; /* of the blob */
  char *diffid; /* of the uncompressed tar, from the config */
  enum compression comp;
};

struct image {
  char *manifest_digest;
  char *manifest_type;
  json_t *manifest;
  char *config_digest;
  int64_t config_size;
  char *config_type;
  json_t *config;
  size_t nlayers;
  struct layer_desc *layers;
};

/* Media types we can pull and store. */
int media_is_index(const char *mt);
int media_is_manifest(const char *mt);
/* The compression of a layer media type; -1 (with an error) when it is not
 * a layer type we read. */
int layer_compression(const char *mt, struct err **e);

/* Check a parsed manifest (media type mt, or its own mediaType field when
 * mt is NULL) and fill img's manifest part (layers without diffids).
 * Takes a reference on man.  The name is used in messages. */
int image_parse_manifest(struct image *img, json_t *man, const char *mt, const char *name,
                         struct err **e);
/* Check a parsed config against the manifest and fill the diffids. */
int image_parse_config(struct image *img, json_t *cfg, const char *name, struct err **e);

/* Load the image whose manifest (or index: the platform's manifest is
 * chosen) is at digest in the store. */
int image_load(const struct store *s, const char *digest, const char *platform, struct image *img,
               struct err **e);
void image_free(struct image *img);

/* The platform wanted: "os/arch[/variant]", NULL for the host's. */
struct platform {
  char os[32], arch[32], variant[32];
};
int platform_parse(const char *s, struct platform *p, struct err **e);
/* From an index document, the descriptor for platform p (a borrowed
 * reference), or NULL with an error listing what the index offers. */
json_t *index_choose(json_t *index, const struct platform *p, const char *name, struct err **e);

#endif
