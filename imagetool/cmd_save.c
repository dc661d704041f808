/* cairn-image save | export — images as a docker-archive (what `docker
 * load` and `podman load` read: manifest.json, repositories, the configs and
 * uncompressed layer tars), and a root filesystem as a plain tar. */
#include <archive.h>
#include <archive_entry.h>
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
#include "layerw.h"
#include "mem.h"
#include "ref.h"
#include "view.h"

static int sink_fd(void *arg, const void *buf, size_t len, struct err **e) {
  if (write_all(*(int *)arg, buf, len) < 0)
    return err_set(e, errno, "write");
  return 0;
}

/* The output: FILE (written beside and renamed when complete) or stdout. */
struct out {
  int fd;
  char *tmp, *path;
};

static int out_open(struct out *o, const char *path, struct err **e) {
  memset(o, 0, sizeof(*o));
  if (path == NULL || strcmp(path, "-") == 0) {
    if (isatty(1))
      return err_usage(e, "cowardly refusing to write an archive to a terminal: use -o FILE");
    o->fd = 1;
    return 0;
  }
  o->path = xstrdup(path);
  o->tmp = xasprintf("%s.tmp-XXXXXX", path);
  o->fd = mkostemp(o->tmp, O_CLOEXEC);
  if (o->fd < 0) {
    int r = err_set(e, errno, "create '%s'", o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return r;
  }
  fchmod(o->fd, 0644);
  return 0;
}

static int out_close(struct out *o, int ok, struct err **e) {
  int r = 0;
  if (o->tmp != NULL) {
    if (ok && (fsync(o->fd) < 0 || rename(o->tmp, o->path) < 0))
      r = err_set(e, errno, "write '%s'", o->path);
    if (!ok || r < 0)
      unlink(o->tmp);
    close(o->fd);
  }
  free(o->tmp);
  free(o->path);
  return r;
}

/* A raw reader that decompresses a blob file. */
static struct archive *open_blob(const struct store *s, const char *digest, struct err **e) {
  cleanup_free char *p = store_blob_path(s, digest);
  struct archive *a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_raw(a);
  struct archive_entry *ent;
  if (archive_read_open_filename(a, p, 1 << 20) != ARCHIVE_OK ||
      archive_read_next_header(a, &ent) != ARCHIVE_OK) {
    err_set(e, 0, "blob %s: %s", digest, archive_error_string(a) ?: "unreadable");
    archive_read_free(a);
    return NULL;
  }
  return a;
}

/* The uncompressed size of a layer: recorded at extraction, else counted. */
static int64_t tar_size(const struct store *s, const struct layer_desc *l, char *buf,
                        struct err **e) {
  cleanup_free char *meta = xasprintf("%s/%s.json", s->layers, digest_hex(l->diffid));
  struct err *ig = NULL;
  cleanup_json json_t *j = json_load_path(meta, &ig);
  err_free(&ig);
  json_t *v = json_object_get(j, "tarSize");
  if (json_is_integer(v))
    return json_integer_value(v);
  struct archive *a = open_blob(s, l->digest, e);
  if (a == NULL)
    return -1;
  int64_t n = 0;
  la_ssize_t k;
  while ((k = archive_read_data(a, buf, 1 << 20)) > 0)
    n += k;
  if (k < 0)
    err_set(e, 0, "blob %s: %s", l->digest, archive_error_string(a) ?: "read failed");
  archive_read_free(a);
  return k < 0 ? -1 : n;
}

static int add_file(struct tarw *t, struct archive_entry *ent, const char *name, const void *data,
                    size_t len, struct err **e) {
  archive_entry_clear(ent);
  archive_entry_set_pathname(ent, name);
  archive_entry_set_filetype(ent, AE_IFREG);
  archive_entry_set_perm(ent, 0644);
  archive_entry_set_size(ent, (la_int64_t)len);
  if (archive_write_header(t->a, ent) < ARCHIVE_WARN ||
      (len > 0 && archive_write_data(t->a, data, len) < 0))
    return tarw_error(t, e);
  return 0;
}

static int add_layer(struct tarw *t, struct archive_entry *ent, const struct store *s,
                     const struct layer_desc *l, const char *name, char *buf, struct err **e) {
  int64_t size = tar_size(s, l, buf, e);
  if (size < 0)
    return -1;
  archive_entry_clear(ent);
  archive_entry_set_pathname(ent, name);
  archive_entry_set_filetype(ent, AE_IFREG);
  archive_entry_set_perm(ent, 0644);
  archive_entry_set_size(ent, size);
  if (archive_write_header(t->a, ent) < ARCHIVE_WARN)
    return tarw_error(t, e);
  struct archive *a = open_blob(s, l->digest, e);
  if (a == NULL)
    return -1;
  int64_t done = 0;
  la_ssize_t k;
  int r = 0;
  while (r == 0 && (k = archive_read_data(a, buf, 1 << 20)) != 0) {
    if (k < 0 || done + k > size)
      r = err_set(e, 0, "blob %s: %s", l->digest,
                  k < 0 ? archive_error_string(a) ?: "read failed" : "larger than recorded");
    else if (archive_write_data(t->a, buf, (size_t)k) < 0)
      r = tarw_error(t, e);
    done += k > 0 ? k : 0;
  }
  archive_read_free(a);
  if (r == 0 && done != size)
    r = err_set(e, 0, "blob %s: %lld bytes, expected %lld", l->digest, (long long)done,
                (long long)size);
  return r;
}

int cmd_save(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
  const char *output = NULL;
  int o;
  while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (o) {
      case 'o': output = optarg; break;
      case 'h':
        fputs("Usage: cairn-image save [-o FILE] IMAGE...\n\n"
              "Write images as a docker-archive (docker load and podman load read it) to FILE\n"
              "or stdout.\n",
              stdout);
        return 0;
      default: return err_usage(e, "save: see 'cairn-image save --help'");
    }
  }
  if (optind >= argc)
    return err_usage(e, "save: an IMAGE is required");
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  cleanup_json json_t *index = store_index_load(s, e);
  if (index == NULL)
    return -1;
  int n = argc - optind;
  struct image *imgs = xcalloc((size_t)n, sizeof(*imgs));
  cleanup_json json_t *manifest = json_array(), *repos = json_object(), *seen = json_object();
  int r = 0, loaded = 0;
  /* Everything is resolved before the first byte is written. */
  for (int i = 0; i < n && r == 0; i++) {
    struct image_ref ir;
    if (store_resolve(s, index, argv[optind + i], &ir, e) < 0 ||
        image_load(s, ir.manifest, NULL, &imgs[i], e) < 0)
      r = -1;
    else
      loaded++;
    json_t *tags = json_array();
    if (r == 0 && ir.name != NULL && strchr(ir.name, '@') == NULL) {
      struct ref rf;
      struct err *ig = NULL;
      if (ref_parse(ir.name, &rf, &ig) == 0) {
        /* Full names: docker load takes them as well as short ones, and
         * podman load would otherwise file "busybox" under localhost/. */
        cleanup_free char *full = ref_string(&rf);
        json_array_append_new(tags, json_string(full));
        cleanup_free char *repo = ref_name(&rf);
        /* repositories maps a tag to its top layer's dir */
        const char *top =
            imgs[i].nlayers ? imgs[i].layers[imgs[i].nlayers - 1].diffid : imgs[i].config_digest;
        json_object_set_new(json_obj_ensure(repos, repo), rf.tag, json_string(digest_hex(top)));
        ref_free(&rf);
      }
      err_free(&ig);
    }
    if (r == 0) {
      json_t *layers = json_array();
      for (size_t k = 0; k < imgs[i].nlayers; k++)
        json_array_append_new(layers,
                              json_sprintf("%s/layer.tar", digest_hex(imgs[i].layers[k].diffid)));
      json_array_append_new(manifest,
                            json_pack("{s:s+,s:o,s:o}", "Config", digest_hex(imgs[i].config_digest),
                                      ".json", "RepoTags", tags, "Layers", layers));
    } else {
      json_decref(tags);
    }
    image_ref_free(&ir);
  }
  struct out out = {.fd = -1};
  if (r == 0 && out_open(&out, output, e) < 0)
    r = -1;
  struct tarw t = {0};
  if (r == 0 && tarw_open(&t, sink_fd, &out.fd, e) < 0)
    r = -1;
  struct archive_entry *ent = archive_entry_new();
  char *buf = xmalloc(1 << 20);
  for (int i = 0; i < n && r == 0; i++) {
    for (size_t k = 0; k < imgs[i].nlayers && r == 0; k++) {
      const char *hex = digest_hex(imgs[i].layers[k].diffid);
      if (json_object_get(seen, hex) != NULL)
        continue;
      json_object_set_new(seen, hex, json_true());
      cleanup_free char *name = xasprintf("%s/layer.tar", hex);
      cleanup_free char *ver = xasprintf("%s/VERSION", hex);
      r = add_layer(&t, ent, s, &imgs[i].layers[k], name, buf, e);
      if (r == 0)
        r = add_file(&t, ent, ver, "1.0", 3, e);
    }
    size_t clen;
    cleanup_free char *cfg = r == 0 ? store_read_blob(s, imgs[i].config_digest, &clen, e) : NULL;
    if (r == 0 && cfg == NULL)
      r = -1;
    cleanup_free char *cname = xasprintf("%s.json", digest_hex(imgs[i].config_digest));
    if (r == 0)
      r = add_file(&t, ent, cname, cfg, clen, e);
  }
  cleanup_free char *mtext = json_dumps(manifest, JSON_COMPACT);
  cleanup_free char *rtext = json_dumps(repos, JSON_COMPACT);
  if (r == 0)
    r = add_file(&t, ent, "manifest.json", mtext, strlen(mtext), e);
  if (r == 0 && json_object_size(repos) > 0)
    r = add_file(&t, ent, "repositories", rtext, strlen(rtext), e);
  archive_entry_free(ent);
  free(buf);
  if (t.a != NULL) {
    if (r == 0)
      r = tarw_close(&t, e);
    else
      tarw_free(&t);
  }
  if (out.fd >= 0 && out_close(&out, r == 0, e) < 0)
    r = -1;
  for (int i = 0; r == 0 && i < loaded; i++) /* docker's, one per image */
    image_event(s, "save", imgs[i].config_digest, NULL);
  for (int i = 0; i < loaded; i++)
    image_free(&imgs[i]);
  free(imgs);
  return r < 0 ? err_wrap(e, "save") : 0;
}

int cmd_export(struct ctx *c, int argc, char **argv, struct err **e) {
  (void)c;
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
  const char *output = NULL;
  int o;
  while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (o) {
      case 'o': output = optarg; break;
      case 'h':
        fputs("Usage: cairn-image export [-o FILE] BUNDLE|DIR\n\n"
              "Write a root filesystem (BUNDLE/rootfs, or DIR itself) as a tar to FILE or\n"
              "stdout, entries sorted.\n",
              stdout);
        return 0;
      default: return err_usage(e, "export: see 'cairn-image export --help'");
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "export: BUNDLE or DIR is required");
  cleanup_free char *rootfs = path_join(argv[optind], "rootfs");
  struct stat st;
  const char *dir = stat(rootfs, &st) == 0 && S_ISDIR(st.st_mode) ? rootfs : argv[optind];
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return err_set(e, errno, "export: open '%s'", dir);
  struct out out;
  if (out_open(&out, output, e) < 0)
    return -1;
  struct tarw t;
  int r = tarw_open(&t, sink_fd, &out.fd, e);
  if (r == 0) {
    r = tar_add_tree(&t, dfd, 0, NULL, e);
    if (r == 0)
      r = tarw_close(&t, e);
    else
      tarw_free(&t);
  }
  if (out_close(&out, r == 0, e) < 0)
    r = -1;
  return r < 0 ? err_wrap(e, "export '%s'", dir) : 0;
}
