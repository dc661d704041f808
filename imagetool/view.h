/* view.h — what ls, inspect, history and rm show about an image: sizes,
 * names in docker's short form, the tags that point at a manifest. */
#ifndef CAIRN_IMAGE_VIEW_H
#define CAIRN_IMAGE_VIEW_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "image.h"
#include "store.h"

/* Sum of the layers' sizes (as extracted; the blob sizes for layers not
 * extracted yet). */
int64_t image_size(const struct store *s, const struct image *img);
/* The familiar repository and tag of a normalized ref ("busybox",
 * "latest"); a digest ref gives tag "<none>".  Both malloc'd. */
void ref_split_familiar(const char *ref, char **repo, char **tag);
/* The refs of index.json entries for manifest digest (a new array of
 * strings, in index order). */
json_t *refs_of_manifest(json_t *index, const char *digest);
/* docker's 12-hex short id of a digest. */
void short_id(const char *digest, char out[13]);

/* Print rows of ncols cells as docker's tables do (Go tabwriter with
 * minwidth 10, padding 3): rows[0] is the header. */
void table_print(FILE *f, char **cells, size_t nrows, size_t ncols);

#endif
