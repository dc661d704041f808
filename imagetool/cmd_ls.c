/* cairn-image ls — the images in the store, as `docker images` shows them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "fmt.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "mem.h"
#include "ref.h"
#include "view.h"

static const char usage[] =
    "Usage: cairn-image ls [OPTIONS] [REPOSITORY[:TAG]]\n\n"
    "List images: REPOSITORY, TAG, IMAGE ID, CREATED, SIZE (newest first).\n\n"
    "  -q, --quiet      only image ids\n"
    "      --digests    show manifest digests\n"
    "      --no-trunc   full image ids\n"
    "      --json       a JSON array: Id, Ref, Repository, Tag, Digest, Created, Size,\n"
    "                   Layers (diffid: size)\n"
    "      --format json  the same\n";

struct row {
  char *ref; /* normalized, or NULL for untagged */
  char *repo, *tag, *id, *digest, *created;
  struct timespec ts;
  int64_t size;
  json_t *layers; /* diffid -> size: system df -v's shared and unique sizes */
};

static void row_free(struct row *r) {
  json_decref(r->layers);
  r->layers = NULL;
  free(r->ref);
  free(r->repo);
  free(r->tag);
  free(r->id);
  free(r->digest);
  free(r->created);
}

static int by_created(const void *a, const void *b) {
  const struct row *x = a, *y = b;
  if (x->ts.tv_sec != y->ts.tv_sec)
    return x->ts.tv_sec < y->ts.tv_sec ? 1 : -1;
  if (x->ts.tv_nsec != y->ts.tv_nsec)
    return x->ts.tv_nsec < y->ts.tv_nsec ? 1 : -1;
  int c = strcmp(x->repo, y->repo);
  return c ? c : strcmp(x->tag, y->tag);
}

/* A filter "busybox" or "busybox:1" against a row. */
static int matches(const struct row *r, const char *filter_name, const char *filter_tag) {
  if (filter_name == NULL)
    return 1;
  if (r->ref == NULL)
    return 0;
  struct ref p;
  struct err *e = NULL;
  if (ref_parse(r->ref, &p, &e) < 0) {
    err_free(&e);
    return 0;
  }
  cleanup_free char *name = ref_name(&p);
  int ok = strcmp(name, filter_name) == 0 &&
           (filter_tag == NULL || (p.tag != NULL && strcmp(p.tag, filter_tag) == 0));
  ref_free(&p);
  return ok;
}

int cmd_ls(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"quiet", no_argument, NULL, 'q'},        {"digests", no_argument, NULL, 'd'},
      {"no-trunc", no_argument, NULL, 'n'},     {"json", no_argument, NULL, 'j'},
      {"format", required_argument, NULL, 'f'}, {"all", no_argument, NULL, 'a'},
      {"help", no_argument, NULL, 'h'},         {0}};
  int quiet = 0, digests = 0, notrunc = 0, json = 0, o;
  while ((o = getopt_long(argc, argv, "qah", opts, NULL)) != -1) {
    switch (o) {
      case 'q': quiet = 1; break;
      case 'd': digests = 1; break;
      case 'n': notrunc = 1; break;
      case 'j': json = 1; break;
      case 'a': break;
      case 'f':
        if (strcmp(optarg, "json") != 0)
          return err_usage(e,
                           "ls: --format: only 'json' is supported here (cairn formats templates)");
        json = 1;
        break;
      case 'h': fputs(usage, stdout); return 0;
      default: return err_usage(e, "ls: see 'cairn-image ls --help'");
    }
  }
  if (argc - optind > 1)
    return err_usage(e, "ls: at most one REPOSITORY[:TAG]");
  cleanup_free char *fname = NULL, *ftag = NULL;
  if (optind < argc) {
    struct ref p;
    if (ref_parse(argv[optind], &p, e) < 0)
      return err_wrap(e, "ls: '%s'", argv[optind]);
    fname = ref_name(&p);
    /* "busybox" lists every tag; only an explicit ":tag" narrows. */
    const char *last = strrchr(argv[optind], '/');
    if (strchr(last ? last : argv[optind], ':') != NULL && p.tag != NULL)
      ftag = xstrdup(p.tag);
    ref_free(&p);
  }
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  cleanup_json json_t *index = store_index_load(s, e);
  if (index == NULL)
    return -1;
  json_t *arr = json_object_get(index, "manifests");
  struct row *rows = xcalloc(json_array_size(arr) + 1, sizeof(*rows));
  size_t n = 0;
  size_t i;
  json_t *m;
  json_array_foreach(arr, i, m) {
    const char *d = json_get_str(m, "digest");
    if (d == NULL)
      continue;
    struct image img;
    struct err *le = NULL;
    if (image_load(s, d, NULL, &img, &le) < 0) {
      /* One broken entry must not hide the others. */
      fprintf(stderr, "cairn-image: ls: skipping %s: %s\n", d, le->msg);
      err_free(&le);
      continue;
    }
    struct row *r = &rows[n];
    const char *ref = json_get_str(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
    struct err *re = NULL;
    cleanup_free char *norm = ref ? ref_normalize(ref, &re) : NULL;
    err_free(&re);
    if (norm != NULL) {
      r->ref = xstrdup(norm);
      ref_split_familiar(norm, &r->repo, &r->tag);
    } else {
      r->repo = xstrdup("<none>");
      r->tag = xstrdup("<none>");
    }
    r->id = xstrdup(img.config_digest);
    r->digest = xstrdup(d);
    const char *created = json_get_str(img.config, "created");
    struct err *te = NULL;
    if (created == NULL || parse_rfc3339(created, &r->ts, &te) < 0)
      r->ts = (struct timespec){0, 0};
    err_free(&te);
    r->created = created ? xstrdup(created) : NULL;
    /* image_size's sum, keeping each layer's part */
    r->layers = json_object();
    for (size_t k = 0; k < img.nlayers; k++) {
      int64_t ls = layer_size(s, img.layers[k].diffid);
      if (ls < 0)
        ls = img.layers[k].size;
      r->size += ls;
      json_object_set_new(r->layers, img.layers[k].diffid, json_integer(ls));
    }
    image_free(&img);
    if (!matches(r, fname, ftag)) {
      row_free(r);
      memset(r, 0, sizeof(*r));
      continue;
    }
    n++;
  }
  qsort(rows, n, sizeof(*rows), by_created);
  if (json) {
    cleanup_json json_t *out = json_array();
    for (size_t k = 0; k < n; k++) {
      struct row *r = &rows[k];
      json_array_append_new(out, json_pack("{s:s,s:o,s:s,s:s,s:s,s:o,s:I}", "Id", r->id, "Ref",
                                           r->ref ? json_string(r->ref) : json_null(), "Repository",
                                           r->repo, "Tag", r->tag, "Digest", r->digest, "Created",
                                           r->created ? json_string(r->created) : json_null(),
                                           "Size", (json_int_t)r->size));
      json_object_set(json_array_get(out, json_array_size(out) - 1), "Layers", r->layers);
    }
    cleanup_free char *text = json_dump_compact(out);
    puts(text);
  } else if (quiet) {
    for (size_t k = 0; k < n; k++) {
      char id[13];
      short_id(rows[k].id, id);
      int seen = 0;
      for (size_t j = 0; j < k; j++)
        seen |= strcmp(rows[j].id, rows[k].id) == 0;
      if (!seen)
        printf("%s\n", notrunc ? rows[k].id : id);
    }
  } else {
    size_t ncols = digests ? 6 : 5;
    char **cells = xcalloc((n + 1) * ncols, sizeof(char *));
    size_t ci = 0;
    cells[ci++] = xstrdup("REPOSITORY");
    cells[ci++] = xstrdup("TAG");
    if (digests)
      cells[ci++] = xstrdup("DIGEST");
    cells[ci++] = xstrdup("IMAGE ID");
    cells[ci++] = xstrdup("CREATED");
    cells[ci++] = xstrdup("SIZE");
    for (size_t k = 0; k < n; k++) {
      struct row *r = &rows[k];
      char id[13];
      short_id(r->id, id);
      cells[ci++] = xstrdup(r->repo);
      cells[ci++] = xstrdup(r->tag);
      if (digests)
        cells[ci++] = xstrdup(r->digest);
      cells[ci++] = xstrdup(notrunc ? r->id : id);
      cells[ci++] = r->ts.tv_sec ? fmt_ago(&r->ts) : xstrdup("N/A");
      cells[ci++] = fmt_size((double)r->size);
    }
    table_print(stdout, cells, n + 1, ncols);
    for (size_t k = 0; k < ci; k++)
      free(cells[k]);
    free(cells);
  }
  for (size_t k = 0; k < n; k++)
    row_free(&rows[k]);
  free(rows);
  return 0;
}
