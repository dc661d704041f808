/* store.h — the image store: an OCI image layout at $CAIRN_ROOT/store that
 * skopeo and umoci read and write too, plus the extracted layer dirs at
 * $CAIRN_ROOT/layers/sha256/<hex of the diffid>.
 *
 * Blobs are written to $CAIRN_ROOT/tmp, verified against their digest and
 * renamed into blobs/sha256, so a reader never sees a partial blob.
 * index.json changes only through store_index_update(), which holds an
 * exclusive flock on $CAIRN_ROOT/locks/index.lock and writes atomically.
 *
 * Refs are index.json manifest entries whose
 * "org.opencontainers.image.ref.name" annotation holds the full normalized
 * reference ("docker.io/library/busybox:latest").  An entry without that
 * annotation is an untagged ("<none>") image. */
#ifndef CAIRN_IMAGE_STORE_H
#define CAIRN_IMAGE_STORE_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "err.h"

#define ANNOT_REF_NAME "org.opencontainers.image.ref.name"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

struct store {
  char *root;   /* $CAIRN_ROOT */
  char *dir;    /* root/store: the OCI layout */
  char *blobs;  /* root/store/blobs/sha256 */
  char *layers; /* root/layers/sha256 */
  char *tmp;    /* root/tmp: temp blobs and half-made layer dirs */
  char *locks;  /* root/locks */
};

/* Open the store under root, creating the layout when missing. */
int store_open(struct store *s, const char *root, struct err **e);
void store_close(struct store *s);

/* The store-wide lock that prune takes exclusively; everything that adds
 * blobs or layers holds it shared for its whole run.  Returns the lock fd. */
int store_gc_lock(const struct store *s, int exclusive, struct err **e);

/* blobs/sha256/<hex> for a valid digest (malloc'd). */
char *store_blob_path(const struct store *s, const char *digest);
/* 1 when the blob is present, 0 when not. */
int store_has_blob(const struct store *s, const char *digest);
/* layers/sha256/<hex> for a diffid. */
char *store_layer_path(const struct store *s, const char *diffid);
int store_has_layer(const struct store *s, const char *diffid);

/* A blob being written: temp file in tmp/, hashed as it goes. */
struct blob_writer {
  int fd;
  char *tmp_path;
  struct sha256_ctx *sha;
  uint64_t size;
};
int blob_writer_open(const struct store *s, struct blob_writer *w, struct err **e);
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct err **e);
/* Verify against want (a digest, or NULL to accept any) and want_size (-1:
 * any), fsync and rename into place.  out (may be NULL) gets the digest.
 * On a mismatch the temp file is removed and nothing enters the store. */
int blob_writer_commit(const struct store *s, struct blob_writer *w, const char *want,
                       int64_t want_size, char out[DIGEST_STR_LEN + 1], struct err **e);
/* Remove the temp file (a no-op after commit). */
void blob_writer_abort(struct blob_writer *w);

/* Store a whole buffer as a blob; out gets its digest. */
int store_put_blob(const struct store *s, const void *buf, size_t len, const char *want,
                   char out[DIGEST_STR_LEN + 1], struct err **e);
/* Read a small blob (manifests, configs) and verify its digest. */
char *store_read_blob(const struct store *s, const char *digest, size_t *len, struct err **e);
json_t *store_read_json_blob(const struct store *s, const char *digest, struct err **e);

/* index.json, loaded (a copy; no lock held). */
json_t *store_index_load(const struct store *s, struct err **e);
/* Run fn on index.json under the index lock and write the result back
 * atomically when fn returns 0 and *changed is set. */
typedef int (*index_fn)(json_t *index, void *arg, int *changed, struct err **e);
int store_index_update(const struct store *s, index_fn fn, void *arg, struct err **e);

/* Point ref (normalized) at the manifest descriptor desc (digest,
 * mediaType, size; other fields kept); the entry that held ref before loses
 * it (and stays as an untagged image when nothing else names it). */
int store_set_ref(const struct store *s, const char *ref, const json_t *desc, struct err **e);

/* Add desc as an untagged image unless some entry already names its
 * manifest. */
int store_add_untagged(const struct store *s, const json_t *desc, struct err **e);

/* What a user's image name resolves to. */
struct image_ref {
  char *name;     /* the normalized ref that matched, or NULL (by id/digest) */
  char *manifest; /* manifest digest */
  char *media_type;
  json_t *desc; /* the index.json entry (a reference) */
};
/* Resolve NAME against index.json: a reference (normalized as docker does),
 * a manifest digest, or an image id (config digest, or a prefix of its hex
 * of at least 4 digits).  ERR_NOTFOUND when nothing matches. */
int store_resolve(const struct store *s, json_t *index, const char *name, struct image_ref *out,
                  struct err **e);
void image_ref_free(struct image_ref *r);

#endif
