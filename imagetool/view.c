#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "layer.h"
#include "mem.h"
#include "ref.h"

int64_t image_size(const struct store *s, const struct image *img) {
  int64_t total = 0;
  for (size_t i = 0; i < img->nlayers; i++) {
    int64_t n = layer_size(s, img->layers[i].diffid);
    total += n >= 0 ? n : img->layers[i].size;
  }
  return total;
}

void ref_split_familiar(const char *refs, char **repo, char **tag) {
  struct ref r;
  struct err *e = NULL;
  if (ref_parse(refs, &r, &e) < 0) {
    err_free(&e);
    *repo = xstrdup(refs);
    *tag = xstrdup("<none>");
    return;
  }
  char *saved_tag = r.tag, *saved_digest = r.digest;
  r.tag = NULL;
  r.digest = NULL;
  *repo = ref_familiar(&r);
  r.tag = saved_tag;
  r.digest = saved_digest;
  *tag = xstrdup(r.tag ? r.tag : "<none>");
  ref_free(&r);
}

json_t *refs_of_manifest(json_t *index, const char *digest) {
  json_t *out = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(index, "manifests"), i, m) {
    const char *r = json_get_str(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
    if (r != NULL && strcmp(json_get_str(m, "digest") ?: "", digest) == 0)
      json_array_append_new(out, json_string(r));
  }
  return out;
}

void short_id(const char *digest, char out[13]) {
  const char *h = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
  snprintf(out, 13, "%s", h);
}

void table_print(FILE *f, char **cells, size_t nrows, size_t ncols) {
  size_t *w = xcalloc(ncols, sizeof(*w));
  for (size_t r = 0; r < nrows; r++)
    for (size_t c = 0; c < ncols; c++) {
      size_t l = strlen(cells[r * ncols + c]) + 3;
      if (l < 10)
        l = 10;
      if (l > w[c])
        w[c] = l;
    }
  for (size_t r = 0; r < nrows; r++) {
    for (size_t c = 0; c < ncols; c++) {
      const char *s = cells[r * ncols + c];
      if (c + 1 == ncols)
        fprintf(f, "%s\n", s);
      else
        fprintf(f, "%-*s", (int)w[c], s);
    }
  }
  free(w);
}
