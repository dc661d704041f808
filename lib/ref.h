/* ref.h — image references, parsed and normalized exactly as docker does
 * (github.com/distribution/reference: ParseNormalizedNamed).
 *
 *   busybox                  -> docker.io/library/busybox:latest
 *   user/app:1               -> docker.io/user/app:1
 *   localhost:5000/x         -> localhost:5000/x:latest
 *   x@sha256:<64 hex>        -> docker.io/library/x@sha256:…  (no tag added)
 *
 * The first component is a registry host when it has a '.' or ':', is
 * "localhost", or has uppercase letters; "index.docker.io" becomes
 * "docker.io".  Invalid references are rejected (ERR_USAGE) with docker's
 * texts, without the input, so callers add it as context:
 *   "invalid reference format"
 *   "invalid reference format: repository name (library/Busybox) must be lowercase"
 *   "repository name must be lowercase"            (a bad host that is fine lowercased)
 *   "repository name must not be more than 255 characters"   (the path alone)
 *   "invalid checksum digest format" / "… length", "unsupported digest algorithm"
 *   "invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings"
 * As in docker, a first component that looks like a host but is not a valid
 * one ("foo_bar.com/x") leaves the whole name as the path: domain is then
 * "" (never NULL after a successful parse). */
#ifndef CAIRN_REF_H
#define CAIRN_REF_H

#include "err.h"

struct ref {
  char *domain; /* "docker.io", "127.0.0.1:5000" */
  char *path;   /* "library/busybox" */
  char *tag;    /* "latest"; NULL when a digest was given without a tag */
  char *digest; /* "sha256:…" or NULL */
};

int ref_parse(const char *s, struct ref *r, struct err **e);
void ref_free(struct ref *r);
/* Full normalized string: domain/path[:tag][@digest]. */
char *ref_string(const struct ref *r);
/* domain/path */
char *ref_name(const struct ref *r);
/* The short form docker shows: "busybox:latest", "user/app:1",
 * "localhost:5000/x:latest" (docker.io and library/ dropped). */
char *ref_familiar(const struct ref *r);
/* Parse + normalize in one call: returns ref_string or NULL. */
char *ref_normalize(const char *s, struct err **e);

#endif
