/* cairn-image tag | rm | prune — naming and removing images. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fmt.h"
#include "gc.h"
#include "image.h"
#include "json.h"
#include "mem.h"
#include "ref.h"
#include "view.h"

static char *familiar(const char *ref) {
  struct ref p;
  struct err *e = NULL;
  if (ref_parse(ref, &p, &e) < 0) {
    err_free(&e);
    return xstrdup(ref);
  }
  char *f = ref_familiar(&p);
  ref_free(&p);
  return f;
}

/* The image id (config digest) of a manifest, else the manifest digest. */
static char *image_id_of(struct store *s, const char *manifest) {
  struct image img;
  struct err *ie = NULL;
  if (image_load(s, manifest, NULL, &img, &ie) < 0) {
    err_free(&ie);
    return xstrdup(manifest);
  }
  char *id = xstrdup(img.config_digest);
  image_free(&img);
  return id;
}

int cmd_tag(struct ctx *c, int argc, char **argv, struct err **e) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs("Usage: cairn-image tag SOURCE TARGET\n\nGive the image SOURCE the name TARGET.\n",
          stdout);
    return 0;
  }
  if (argc != 3)
    return err_usage(e, "tag: SOURCE and TARGET are required");
  struct ref t;
  if (ref_parse(argv[2], &t, e) < 0)
    return err_wrap(e, "tag: '%s'", argv[2]);
  int has_digest = t.digest != NULL;
  ref_free(&t);
  if (has_digest)
    return err_usage(e, "tag: refusing to create a tag with a digest reference: '%s'", argv[2]);
  cleanup_free char *target = ref_normalize(argv[2], e);
  if (target == NULL)
    return err_wrap(e, "tag: '%s'", argv[2]);
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  cleanup_json json_t *index = store_index_load(s, e);
  if (index == NULL)
    return -1;
  struct image_ref ir;
  if (store_resolve(s, index, argv[1], &ir, e) < 0)
    return -1;
  cleanup_json json_t *desc = json_pack("{s:s,s:s,s:O}", "mediaType", ir.media_type, "digest",
                                        ir.manifest, "size", json_object_get(ir.desc, "size"));
  cleanup_free char *id = image_id_of(s, ir.manifest);
  image_ref_free(&ir);
  if (store_set_ref(s, target, desc, e) < 0)
    return -1;
  /* docker's: the image id, named by the new tag */
  cleanup_free char *f = familiar(target);
  image_event(s, "tag", id, f);
  return 0;
}

struct rm_arg {
  const char *ref; /* untag this ref; NULL: drop every entry of manifest */
  const char *manifest;
  int deleted; /* no entry names the manifest any more */
};

static int rm_fn(json_t *index, void *argp, int *changed, struct err **e) {
  (void)e;
  struct rm_arg *a = argp;
  json_t *arr = json_object_get(index, "manifests");
  int left = 0;
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *m = json_array_get(arr, i);
    const char *r = json_get_str(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
    if (strcmp(json_get_str(m, "digest") ?: "", a->manifest) != 0)
      continue;
    if (a->ref == NULL || (r != NULL && strcmp(r, a->ref) == 0)) {
      json_array_remove(arr, i--);
      *changed = 1;
    } else {
      left = 1;
    }
  }
  a->deleted = !left;
  return 0;
}

/* Distinct repositories among refs. */
static size_t count_repos(json_t *refs) {
  cleanup_json json_t *seen = json_object();
  size_t i;
  json_t *r;
  json_array_foreach(refs, i, r) {
    struct ref p;
    struct err *e = NULL;
    if (ref_parse(json_string_value(r), &p, &e) < 0) {
      err_free(&e);
      continue;
    }
    cleanup_free char *n = ref_name(&p);
    json_object_set_new(seen, n, json_true());
    ref_free(&p);
  }
  return json_object_size(seen);
}

static int rm_one(struct store *s, const char *name, int force, struct err **e) {
  cleanup_json json_t *index = store_index_load(s, e);
  if (index == NULL)
    return -1;
  struct image_ref ir;
  if (store_resolve(s, index, name, &ir, e) < 0)
    return -1;
  cleanup_free char *manifest = xstrdup(ir.manifest);
  cleanup_free char *ref = ir.name && !strchr(ir.name, '@') ? xstrdup(ir.name) : NULL;
  image_ref_free(&ir);
  cleanup_json json_t *refs = refs_of_manifest(index, manifest);
  cleanup_free char *config = NULL;
  struct image img;
  struct err *ie = NULL;
  if (image_load(s, manifest, NULL, &img, &ie) == 0) {
    config = xstrdup(img.config_digest);
    image_free(&img);
  }
  err_free(&ie);
  char sid[13];
  short_id(config ? config : manifest, sid);
  int last = ref == NULL || json_array_size(refs) <= 1;
  if (ref == NULL && json_array_size(refs) > 1 && count_repos(refs) > 1 && !force)
    return err_setc(e, ERR_FAIL, 0,
                    "conflict: unable to delete %s (must be forced) - image is referenced in "
                    "multiple repositories",
                    sid);
  if (last && !force) {
    cleanup_free char *user = image_user(s, manifest, config, refs);
    if (user != NULL) {
      char cid[13];
      short_id(user, cid);
      if (ref != NULL) {
        cleanup_free char *f = familiar(ref);
        return err_setc(e, ERR_FAIL, 0,
                        "conflict: unable to remove repository reference \"%s\" (must force) - "
                        "container %s is using its referenced image %s",
                        f, cid, sid);
      }
      return err_setc(e, ERR_FAIL, 0,
                      "conflict: unable to delete %s (must be forced) - image is being used by "
                      "container %s",
                      sid, cid);
    }
  }
  struct rm_arg a = {ref, manifest, 0};
  if (store_index_update(s, rm_fn, &a, e) < 0)
    return err_wrap(e, "rm '%s'", name);
  size_t i;
  json_t *r;
  json_array_foreach(refs, i, r) {
    if (ref == NULL || strcmp(json_string_value(r), ref) == 0) {
      cleanup_free char *f = familiar(json_string_value(r));
      printf("Untagged: %s\n", f);
      /* docker names the image by its id in both */
      image_event(s, "untag", config ? config : manifest, NULL);
    }
  }
  if (a.deleted) {
    printf("Deleted: %s\n", config ? config : manifest);
    image_event(s, "delete", config ? config : manifest, NULL);
  }
  return 0;
}

int cmd_rm(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"no-prune", no_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  int force = 0, noprune = 0, o;
  while ((o = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
    switch (o) {
      case 'f': force = 1; break;
      case 'n': noprune = 1; break;
      case 'h':
        fputs("Usage: cairn-image rm [-f] [--no-prune] IMAGE...\n\n"
              "Untag images; an image loses its data with its last name.  An image a\n"
              "container uses (its container.json under $CAIRN_ROOT/containers) is kept\n"
              "unless -f.  An image id with names in several repositories needs -f.\n",
              stdout);
        return 0;
      default: return err_usage(e, "rm: see 'cairn-image rm --help'");
    }
  }
  if (optind >= argc)
    return err_usage(e, "rm: an IMAGE is required");
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  /* Like docker: go on with the others, fail at the end. */
  int failed = 0;
  for (int i = optind; i < argc; i++) {
    struct err *one = NULL;
    if (rm_one(s, argv[i], force, &one) < 0) {
      if (*e != NULL) { /* an earlier failure: shown now, the last goes to main */
        err_print(*e, c->prog);
        err_free(e);
      }
      *e = one;
      failed = 1;
    }
    fflush(stdout);
  }
  if (!noprune) {
    struct gc_stats st;
    struct err *ge = NULL;
    if (store_gc(s, 0, 0, &st, &ge) < 0 && !failed) {
      *e = ge;
      return -1;
    }
    err_free(&ge);
  }
  return failed ? -1 : 0;
}

/* docker's prune filters over an image config: until=RFC3339 (created
 * before), label=K[=V] (each must match), label!=K[=V] (excluded when all
 * match).  A config without "created" is never older than until. */
struct img_filter {
  int has_until;
  struct timespec until;
  char **labels, **not_labels;
};

static int img_filter_add(struct img_filter *f, const char *kv, struct err **e) {
  if (strncmp(kv, "until=", 6) == 0) {
    struct err *pe = NULL;
    if (parse_rfc3339(kv + 6, &f->until, &pe) < 0) {
      err_free(&pe);
      return err_usage(e, "failed to parse value as time or duration: \"%s\"", kv + 6);
    }
    f->has_until = 1;
  } else if (strncmp(kv, "label=", 6) == 0) {
    strv_push(&f->labels, kv + 6);
  } else if (strncmp(kv, "label!=", 7) == 0) {
    strv_push(&f->not_labels, kv + 7);
  } else {
    const char *eq = strchr(kv, '=');
    return err_usage(e, "invalid filter '%.*s'", eq ? (int)(eq - kv) : (int)strlen(kv), kv);
  }
  return 0;
}

static int label_has(const json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  cleanup_free char *k = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
  const char *v = json_get_str(labels, k);
  return v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
}

static int img_filter_match(const struct img_filter *f, const json_t *config) {
  const json_t *labels = json_get_obj(json_get_obj(config, "config"), "Labels");
  for (size_t i = 0; f->labels && f->labels[i]; i++)
    if (!label_has(labels, f->labels[i]))
      return 0;
  if (f->not_labels != NULL) {
    int all = 1;
    for (size_t i = 0; f->not_labels[i]; i++)
      all = all && label_has(labels, f->not_labels[i]);
    if (all)
      return 0;
  }
  if (f->has_until) {
    struct timespec t;
    struct err *pe = NULL;
    const char *created = json_get_str(config, "created");
    if (created == NULL || parse_rfc3339(created, &t, &pe) < 0) {
      err_free(&pe);
      return 0;
    }
    if (t.tv_sec > f->until.tv_sec ||
        (t.tv_sec == f->until.tv_sec && t.tv_nsec >= f->until.tv_nsec))
      return 0;
  }
  return 1;
}

int cmd_prune(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"force", no_argument, NULL, 'f'},
                                       {"filter", required_argument, NULL, 'F'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  int all = 0, o;
  struct img_filter flt = {0};
  cleanup_strv char **fl = NULL, **fnl = NULL;
  while ((o = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
    switch (o) {
      case 'a': all = 1; break;
      case 'f': break;
      case 'F':
        if (img_filter_add(&flt, optarg, e) < 0) {
          strv_free(flt.labels);
          strv_free(flt.not_labels);
          return -1;
        }
        break;
      case 'h':
        fputs("Usage: cairn-image prune [-a] [--filter K=V]…\n\n"
              "Remove untagged images (with -a: every image no container uses), then\n"
              "blobs and layer dirs nothing references and leftovers of interrupted pulls.\n"
              "Filters (docker's): until=RFC3339 (created before), label=K[=V],\n"
              "label!=K[=V].\n",
              stdout);
        strv_free(flt.labels);
        strv_free(flt.not_labels);
        return 0;
      default:
        strv_free(flt.labels);
        strv_free(flt.not_labels);
        return err_usage(e, "prune: see 'cairn-image prune --help'");
    }
  }
  fl = flt.labels;
  fnl = flt.not_labels;
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  cleanup_json json_t *index = store_index_load(s, e);
  if (index == NULL)
    return -1;
  int header = 0;
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(index, "manifests"), i, m) {
    const char *d = json_get_str(m, "digest");
    const char *r = json_get_str(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
    if (d == NULL || (r != NULL && !all))
      continue;
    cleanup_json json_t *refs = refs_of_manifest(index, d);
    struct image img;
    struct err *ie = NULL;
    cleanup_free char *config = NULL;
    int picked = 1;
    if (image_load(s, d, NULL, &img, &ie) == 0) {
      config = xstrdup(img.config_digest);
      picked = img_filter_match(&flt, img.config);
      image_free(&img);
    } else if (flt.has_until || flt.labels || flt.not_labels) {
      picked = 0; /* nothing to match the filters against */
    }
    err_free(&ie);
    if (!picked)
      continue;
    cleanup_free char *user = image_user(s, d, config, refs);
    if (user != NULL)
      continue;
    struct rm_arg a = {r, d, 0};
    if (store_index_update(s, rm_fn, &a, e) < 0)
      return -1;
    if (!header)
      printf("Deleted Images:\n");
    header = 1;
    if (r != NULL) {
      cleanup_free char *f = familiar(r);
      printf("untagged: %s\n", f);
      image_event(s, "untag", config ? config : d, NULL);
    }
    if (a.deleted) {
      printf("deleted: %s\n", config ? config : d);
      image_event(s, "delete", config ? config : d, NULL);
    }
  }
  struct gc_stats st;
  if (store_gc(s, 1, 1, &st, e) < 0)
    return -1;
  cleanup_free char *sz = fmt_size((double)st.bytes);
  printf("%sTotal reclaimed space: %s\n", header ? "\n" : "", sz);
  return 0;
}
