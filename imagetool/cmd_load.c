/* cairn-image load — images from a docker-archive (what `docker save`
 * writes: manifest.json, configs, layer tars) or an OCI archive (an image
 * layout in a tar).  The archive is unpacked with the layer extractor's
 * safety (no path can leave the temp dir), every blob is hashed and checked,
 * the layers are extracted, and only then do refs appear. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "fs.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "lock.h"
#include "mem.h"
#include "ref.h"

struct load {
  struct store *s;
  const char *root; /* the unpacked archive */
  const char *name; /* the archive, for messages */
  uint64_t max;
  json_t *loaded; /* [ [ref or null, manifest desc, config digest] ] */
};

static int open_member(struct load *l, const char *rel, struct stat *st, struct err **e) {
  int fd = open_in_root(l->root, rel, O_RDONLY | O_CLOEXEC, e);
  if (fd < 0)
    return err_wrap(e, "%s: '%s'", l->name, rel);
  if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
    close(fd);
    return err_setc(e, ERR_USAGE, 0, "%s: '%s' is not a regular file", l->name, rel);
  }
  return fd;
}

/* Hash member rel, check it against want (NULL: any) and want_size (-1:
 * any), and link it into the blob store.  out gets the digest. */
static int import_blob(struct load *l, const char *rel, const char *want, int64_t want_size,
                       char out[DIGEST_STR_LEN + 1], struct err **e) {
  struct stat st;
  cleanup_close int fd = open_member(l, rel, &st, e);
  if (fd < 0)
    return -1;
  if (want_size >= 0 && st.st_size != want_size)
    return err_setc(e, ERR_USAGE, 0, "%s: '%s': size %lld, but the descriptor says %lld", l->name,
                    rel, (long long)st.st_size, (long long)want_size);
  if (sha256_fd(fd, out, e) < 0)
    return err_wrap(e, "%s", l->name);
  if (want != NULL && strcmp(want, out) != 0)
    return err_setc(e, ERR_USAGE, 0, "%s: '%s': digest mismatch: expected %s, got %s", l->name, rel,
                    want, out);
  if (store_has_blob(l->s, out))
    return 0;
  if (fsync(fd) < 0)
    return err_set(e, errno, "fsync '%s'", rel);
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  cleanup_free char *dst = store_blob_path(l->s, out);
  if (linkat(AT_FDCWD, proc, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
    return err_set(e, errno, "link '%s' into the store", rel);
  return 0;
}

static enum compression sniff(struct load *l, const char *rel) {
  struct stat st;
  struct err *ig = NULL;
  cleanup_close int fd = open_member(l, rel, &st, &ig);
  err_free(&ig);
  unsigned char b[4] = {0};
  if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
    return COMP_NONE;
  if (b[0] == 0x1f && b[1] == 0x8b)
    return COMP_GZIP;
  if (b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
    return COMP_ZSTD;
  return COMP_NONE;
}

/* Check the image, extract its layers and remember its names. */
static int finish_image(struct load *l, json_t *desc, json_t *refs, struct err **e) {
  struct image img;
  const char *digest = json_get_str(desc, "digest");
  if (image_load(l->s, digest, NULL, &img, e) < 0)
    return err_wrap(e, "%s", l->name);
  int r = image_ensure_layers(l->s, &img, l->max, e);
  if (r == 0) {
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
        json_array_append_new(l->loaded, json_pack("[O,O,s]", ref, desc, img.config_digest));
    if (json_array_size(refs) == 0)
      json_array_append_new(l->loaded, json_pack("[n,O,s]", desc, img.config_digest));
  }
  image_free(&img);
  return r < 0 ? err_wrap(e, "%s", l->name) : 0;
}

static int load_docker(struct load *l, struct err **e) {
  cleanup_free char *mp = path_in_root(l->root, "manifest.json", e);
  if (mp == NULL)
    return -1;
  cleanup_json json_t *man = json_load_path(mp, e);
  if (man == NULL)
    return err_wrap(e, "%s", l->name);
  if (!json_is_array(man))
    return err_setc(e, ERR_USAGE, 0, "%s: manifest.json is not an array", l->name);
  size_t i;
  json_t *ent;
  json_array_foreach(man, i, ent) {
    const char *cfgname;
    json_t *layers, *tags = NULL;
    if (json_unpack_err(ent, e, "manifest.json", "{s:s,s:o,s?o}", "Config", &cfgname, "Layers",
                        &layers, "RepoTags", &tags) < 0)
      return err_wrap(e, "%s", l->name);
    if (!json_is_array(layers))
      return err_setc(e, ERR_USAGE, 0, "%s: manifest.json: Layers is not an array", l->name);
    char cfgd[DIGEST_STR_LEN + 1];
    if (import_blob(l, cfgname, NULL, -1, cfgd, e) < 0)
      return -1;
    cleanup_json json_t *cfg = store_read_json_blob(l->s, cfgd, e);
    if (cfg == NULL)
      return err_wrap(e, "%s: config '%s'", l->name, cfgname);
    json_t *ids = json_get_arr(json_get_obj(cfg, "rootfs"), "diff_ids");
    if (json_array_size(ids) != json_array_size(layers))
      return err_setc(e, ERR_USAGE, 0, "%s: config '%s' lists %zu diff_ids for %zu layers", l->name,
                      cfgname, json_array_size(ids), json_array_size(layers));
    json_t *ldescs = json_array();
    cleanup_json json_t *m = json_pack(
        "{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "config",
        "mediaType", MT_OCI_CONFIG, "digest", cfgd, "size", (json_int_t)0, "layers", ldescs);
    struct stat st;
    size_t k;
    json_t *lname;
    json_array_foreach(layers, k, lname) {
      const char *rel = json_string_value(lname);
      if (rel == NULL)
        return err_setc(e, ERR_USAGE, 0, "%s: manifest.json: a layer is not a string", l->name);
      char ld[DIGEST_STR_LEN + 1];
      if (import_blob(l, rel, NULL, -1, ld, e) < 0)
        return -1;
      enum compression c = sniff(l, rel);
      const char *diffid = json_string_value(json_array_get(ids, k));
      if (c == COMP_NONE && (diffid == NULL || strcmp(diffid, ld) != 0))
        return err_setc(e, ERR_USAGE, 0, "%s: layer '%s' is %s but the config says %s", l->name,
                        rel, ld, diffid ? diffid : "(nothing)");
      cleanup_close int fd = open_member(l, rel, &st, e);
      if (fd < 0)
        return -1;
      json_array_append_new(ldescs, json_pack("{s:s,s:s,s:I}", "mediaType",
                                              c == COMP_GZIP   ? MT_OCI_LAYER_GZIP
                                              : c == COMP_ZSTD ? MT_OCI_LAYER_ZSTD
                                                               : MT_OCI_LAYER,
                                              "digest", ld, "size", (json_int_t)st.st_size));
    }
    size_t cfglen;
    cleanup_free char *cfgraw = store_read_blob(l->s, cfgd, &cfglen, e);
    if (cfgraw == NULL)
      return -1;
    json_object_set_new(json_object_get(m, "config"), "size", json_integer((json_int_t)cfglen));
    cleanup_free char *text = json_dumps(m, JSON_COMPACT);
    char md[DIGEST_STR_LEN + 1];
    if (store_put_blob(l->s, text, strlen(text), NULL, md, e) < 0)
      return -1;
    cleanup_json json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", MT_OCI_MANIFEST, "digest",
                                          md, "size", (json_int_t)strlen(text));
    cleanup_json json_t *refs = json_array();
    json_t *t;
    json_array_foreach(tags, k, t) {
      if (!json_is_string(t))
        continue;
      char *n = ref_normalize(json_string_value(t), e);
      if (n == NULL)
        return err_wrap(e, "%s: RepoTags '%s'", l->name, json_string_value(t));
      json_array_append_new(refs, json_string(n));
      free(n);
    }
    if (finish_image(l, desc, refs, e) < 0)
      return -1;
  }
  return 0;
}

/* Import the blob a descriptor names, and what it reaches. */
static int import_desc(struct load *l, json_t *desc, json_t **chosen, struct err **e) {
  const char *mt = json_get_str(desc, "mediaType");
  const char *d = json_get_str(desc, "digest");
  json_t *sz = json_object_get(desc, "size");
  if (d == NULL || !digest_valid(d) || !json_is_integer(sz))
    return err_setc(e, ERR_USAGE, 0, "%s: index.json: a descriptor without a valid digest and size",
                    l->name);
  cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(d));
  char got[DIGEST_STR_LEN + 1];
  if (import_blob(l, rel, d, (int64_t)json_integer_value(sz), got, e) < 0)
    return -1;
  cleanup_json json_t *doc = store_read_json_blob(l->s, d, e);
  if (doc == NULL)
    return err_wrap(e, "%s", l->name);
  if (mt == NULL)
    mt = json_get_str(doc, "mediaType");
  if (media_is_index(mt) || (mt == NULL && json_get_arr(doc, "manifests") != NULL)) {
    struct platform p;
    platform_parse(NULL, &p, NULL);
    json_t *sub = index_choose(doc, &p, d, e);
    if (sub == NULL)
      return err_wrap(e, "%s", l->name);
    return import_desc(l, sub, chosen, e);
  }
  struct image img = {0};
  if (image_parse_manifest(&img, doc, mt, d, e) < 0) {
    image_free(&img);
    return err_wrap(e, "%s", l->name);
  }
  cleanup_free char *crel = xasprintf("blobs/sha256/%s", digest_hex(img.config_digest));
  int r = import_blob(l, crel, img.config_digest, img.config_size, got, e);
  for (size_t i = 0; r == 0 && i < img.nlayers; i++) {
    char *lrel = xasprintf("blobs/sha256/%s", digest_hex(img.layers[i].digest));
    r = import_blob(l, lrel, img.layers[i].digest, img.layers[i].size, got, e);
    free(lrel);
  }
  if (r == 0)
    *chosen = json_pack("{s:s,s:s,s:O}", "mediaType", img.manifest_type, "digest", d, "size", sz);
  image_free(&img);
  return r;
}

static int load_oci(struct load *l, struct err **e) {
  cleanup_free char *ip = path_in_root(l->root, "index.json", e);
  if (ip == NULL)
    return -1;
  cleanup_json json_t *index = json_load_path(ip, e);
  if (index == NULL)
    return err_wrap(e, "%s", l->name);
  json_t *arr = json_get_arr(index, "manifests");
  if (arr == NULL)
    return err_setc(e, ERR_USAGE, 0, "%s: index.json has no \"manifests\" array", l->name);
  size_t i;
  json_t *desc;
  json_array_foreach(arr, i, desc) {
    cleanup_json json_t *chosen = NULL;
    if (import_desc(l, desc, &chosen, e) < 0)
      return -1;
    cleanup_json json_t *refs = json_array();
    const char *name = json_get_str(json_get_obj(desc, "annotations"), ANNOT_REF_NAME);
    if (name != NULL) {
      char *n = ref_normalize(name, e);
      if (n == NULL)
        return err_wrap(e, "%s: image name '%s'", l->name, name);
      json_array_append_new(refs, json_string(n));
      free(n);
    }
    if (finish_image(l, chosen, refs, e) < 0)
      return -1;
  }
  return 0;
}

struct fd_src {
  int fd;
  const char *name;
};

static ssize_t fd_read(void *arg, void *buf, size_t len, struct err **e) {
  struct fd_src *f = arg;
  for (;;) {
    ssize_t n = read(f->fd, buf, len);
    if (n >= 0)
      return n;
    if (errno != EINTR)
      return err_set(e, errno, "read '%s'", f->name);
  }
}

static int exists_in(const char *root, const char *rel) {
  struct err *ig = NULL;
  int fd = open_in_root(root, rel, 0, &ig);
  err_free(&ig);
  if (fd < 0)
    return 0;
  close(fd);
  return 1;
}

static int publish(struct load *l, int quiet, struct err **e) {
  size_t i;
  json_t *it;
  json_array_foreach(l->loaded, i, it) {
    json_t *ref = json_array_get(it, 0), *desc = json_array_get(it, 1);
    const char *cfg = json_string_value(json_array_get(it, 2));
    if (json_is_string(ref)) {
      if (store_set_ref(l->s, json_string_value(ref), desc, e) < 0)
        return -1;
      image_event(l->s, "load", cfg, NULL);
      struct ref p;
      struct err *ig = NULL;
      if (!quiet && ref_parse(json_string_value(ref), &p, &ig) == 0) {
        cleanup_free char *f = ref_familiar(&p);
        printf("Loaded image: %s\n", f);
        ref_free(&p);
      }
      err_free(&ig);
    } else {
      if (store_add_untagged(l->s, desc, e) < 0)
        return -1;
      image_event(l->s, "load", cfg, NULL);
      if (!quiet)
        printf("Loaded image ID: %s\n", cfg);
    }
  }
  return 0;
}

int cmd_load(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"max-layer-size", required_argument, NULL, 'm'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  const char *input = NULL;
  int quiet = 0, o;
  uint64_t max;
  if (layer_max_from_env(&max, e) < 0)
    return -1;
  while ((o = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
    switch (o) {
      case 'i': input = optarg; break;
      case 'q': quiet = 1; break;
      case 'm':
        if (parse_max_size(optarg, &max, e) < 0)
          return -1;
        break;
      case 'h':
        fputs("Usage: cairn-image load [-i FILE] [-q] [--max-layer-size SIZE]\n\n"
              "Load images from a docker-archive or an OCI archive (a tar, maybe\n"
              "compressed) read from FILE or stdin.\n",
              stdout);
        return 0;
      default: return err_usage(e, "load: see 'cairn-image load --help'");
    }
  }
  if (optind != argc)
    return err_usage(e, "load: unexpected argument '%s'", argv[optind]);
  cleanup_close int fd = input ? open(input, O_RDONLY | O_CLOEXEC) : dup(0);
  if (fd < 0)
    return err_set(e, errno, "load: open '%s'", input ? input : "stdin");
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  int lk = store_gc_lock(s, 0, e);
  if (lk < 0)
    return -1;
  struct load l = {.s = s, .name = input ? input : "stdin", .max = max, .loaded = json_array()};
  struct fd_src f = {fd, l.name};
  struct layer_src src = {fd_read, &f};
  struct layer_opts lo = {.max_size = max, .plain = 1};
  int r = -1;
  struct layer_tmp *t = layer_extract(s, &src, &lo, e);
  if (t == NULL) {
    err_wrap(e, "load: '%s'", l.name);
  } else {
    l.root = layer_tmp_dir(t);
    if (exists_in(l.root, "manifest.json"))
      r = load_docker(&l, e);
    else if (exists_in(l.root, "index.json"))
      r = load_oci(&l, e);
    else
      r = err_setc(e, ERR_USAGE, 0,
                   "load: '%s' is neither a docker-archive (no manifest.json) nor an OCI archive "
                   "(no index.json)",
                   l.name);
    if (r == 0)
      r = publish(&l, quiet, e);
    layer_tmp_free(t);
  }
  json_decref(l.loaded);
  lock_release(lk);
  return r;
}
