/* cairn-image commit | diff | import — new images from an overlay upper
 * dir (a container's changes) or from a rootfs tarball. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cmd.h"
#include "fs.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "layerw.h"
#include "lock.h"
#include "mem.h"
#include "newimage.h"
#include "ref.h"
#include "tree.h"
#include "urlget.h"

static int sink_lw(void *arg, const void *buf, size_t len, struct err **e) {
  return lw_write(arg, buf, len, e);
}

static int parse_compression(const char *s, enum compression *c, struct err **e) {
  if (strcmp(s, "gzip") == 0)
    *c = COMP_GZIP;
  else if (strcmp(s, "zstd") == 0)
    *c = COMP_ZSTD;
  else if (strcmp(s, "none") == 0)
    *c = COMP_NONE;
  else
    return err_usage(e, "--compression: expected gzip, zstd or none, not '%s'", s);
  return 0;
}

static int check_tag(const char *tag, struct err **e) {
  struct ref r;
  if (ref_parse(tag, &r, e) < 0)
    return err_wrap(e, "--tag '%s'", tag);
  int dig = r.digest != NULL;
  ref_free(&r);
  if (dig)
    return err_usage(e, "--tag '%s': a tag cannot carry a digest", tag);
  return 0;
}

static int print_result(json_t *res) {
  cleanup_free char *text = json_dump_compact(res);
  puts(text);
  return 0;
}

/* The tar of the tree under dirfd (overlay format) as a new layer blob. */
static int write_layer(struct store *s, enum compression comp, int dirfd, struct new_layer *nl,
                       struct err **e) {
  struct layer_writer *w = lw_open(s, comp, e);
  if (w == NULL)
    return -1;
  struct tarw t;
  if (tarw_open(&t, sink_lw, w, e) < 0) {
    lw_abort(w);
    return -1;
  }
  if (tar_add_tree(&t, dirfd, 1, NULL, e) < 0) {
    tarw_free(&t);
    lw_abort(w);
    return -1;
  }
  if (tarw_close(&t, e) < 0) {
    lw_abort(w);
    return -1;
  }
  return lw_finish(w, nl->diffid, nl->digest, &nl->size, e); /* frees w */
}

/* The bytes of an uncompressed tar file as a new layer blob (--tar: a
 * builder that made the layer itself, with no tree on disk). */
static int write_layer_tar(struct store *s, enum compression comp, int fd, struct new_layer *nl,
                           struct err **e) {
  struct layer_writer *w = lw_open(s, comp, e);
  if (w == NULL)
    return -1;
  char *buf = xmalloc(1 << 20);
  int r = 0;
  for (;;) {
    ssize_t n = read(fd, buf, 1 << 20);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      r = err_set(e, errno, "read the tar");
      break;
    }
    if (n == 0)
      break;
    if (lw_write(w, buf, (size_t)n, e) < 0) {
      r = -1;
      break;
    }
  }
  free(buf);
  if (r < 0) {
    lw_abort(w);
    return -1;
  }
  return lw_finish(w, nl->diffid, nl->digest, &nl->size, e); /* frees w */
}

/* 1 when the dir has no entries, 0 when it has, -1 on error. */
static int dir_is_empty(int fd, struct err **e) {
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
  if (d == NULL) {
    if (dup >= 0)
      close(dup);
    return err_set(e, errno, "opendir");
  }
  rewinddir(d); /* a dup shares the position with fd */
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      return 0;
  return 1;
}

/* The image named by name, loaded. */
static int load_image(struct store *s, const char *name, struct image *img, struct err **e) {
  cleanup_json json_t *index = store_index_load(s, e);
  struct image_ref ir;
  if (index == NULL || store_resolve(s, index, name, &ir, e) < 0)
    return -1;
  int r = image_load(s, ir.manifest, NULL, img, e);
  image_ref_free(&ir);
  return r;
}

int cmd_commit(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"parent", required_argument, NULL, 'p'},
                                       {"tag", required_argument, NULL, 't'},
                                       {"config", required_argument, NULL, 'c'},
                                       {"message", required_argument, NULL, 'm'},
                                       {"author", required_argument, NULL, 'a'},
                                       {"change", required_argument, NULL, 'C'},
                                       {"created-by", required_argument, NULL, 'b'},
                                       {"compression", required_argument, NULL, 'z'},
                                       {"tar", required_argument, NULL, 'T'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  const char *parent = NULL, *cfgpath = NULL, *tarpath = NULL;
  struct new_image ni = {0};
  enum compression comp = COMP_GZIP;
  cleanup_json json_t *changes = json_array();
  int o;
  while ((o = getopt_long(argc, argv, "p:t:c:m:a:h", opts, NULL)) != -1) {
    switch (o) {
      case 'p': parent = optarg; break;
      case 't': ni.tag = optarg; break;
      case 'c': cfgpath = optarg; break;
      case 'm': ni.comment = optarg; break;
      case 'a': ni.author = optarg; break;
      case 'b': ni.created_by = optarg; break;
      case 'C': json_array_append_new(changes, json_string(optarg)); break;
      case 'T': tarpath = optarg; break;
      case 'z':
        if (parse_compression(optarg, &comp, e) < 0)
          return -1;
        break;
      case 'h':
        fputs("Usage: cairn-image commit UPPERDIR [--parent IMAGE] [--tag NAME] [--config FILE|-]\n"
              "           [--message M] [--author A] [--change 'CMD …'] [--created-by TEXT]\n"
              "           [--compression gzip|zstd|none]\n"
              "       cairn-image commit --tar FILE [the same options]\n\n"
              "Turn an overlay upper dir into a layer on top of IMAGE and store the new image.\n"
              "Whiteouts and opaque dirs become OCI '.wh.' entries; the layer is deterministic\n"
              "(sorted entries, numeric owners, no access times).  An empty UPPERDIR adds only a\n"
              "history entry.  --config gives the container config (Cmd, Env, …) or a whole\n"
              "image config.  --tar takes the layer as an uncompressed tar file instead of\n"
              "an upper dir (used as it is).  Prints {\"ref\",\"digest\",\"id\"}.\n",
              stdout);
        return 0;
      default: return err_usage(e, "commit: see 'cairn-image commit --help'");
    }
  }
  if (argc - optind != (tarpath ? 0 : 1))
    return err_usage(e, tarpath ? "commit: --tar and UPPERDIR exclude each other"
                                : "commit: UPPERDIR is required");
  const char *upper = tarpath ? tarpath : argv[optind];
  if (ni.tag != NULL && check_tag(ni.tag, e) < 0)
    return -1;
  ni.changes = changes;
  cleanup_json json_t *cfg = NULL;
  if (cfgpath != NULL) {
    if ((cfg = json_load_path(cfgpath, e)) == NULL)
      return err_wrap(e, "--config");
    if (!json_is_object(cfg))
      return err_usage(e, "--config '%s': not a JSON object", cfgpath);
    ni.config = cfg;
  }
  cleanup_close int ufd = open(upper, O_RDONLY | (tarpath ? 0 : O_DIRECTORY) | O_CLOEXEC);
  if (ufd < 0)
    return err_set(e, errno, "commit: open '%s'", upper);
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  struct image pimg = {0};
  if (parent != NULL && load_image(s, parent, &pimg, e) < 0)
    return err_wrap(e, "commit: parent");
  ni.parent = parent ? &pimg : NULL;
  int lk = store_gc_lock(s, 0, e);
  int r = lk < 0 ? -1 : 0;
  struct new_layer nl = {.media_type = compression_media_type(comp)};
  /* Nothing changed: no layer, only history. */
  if (r == 0 && tarpath != NULL && write_layer_tar(s, comp, ufd, &nl, e) < 0)
    r = err_wrap(e, "commit --tar '%s'", tarpath);
  if (r == 0 && tarpath == NULL && (nl.empty = dir_is_empty(ufd, e)) < 0)
    r = -1;
  if (r == 0 && tarpath == NULL && !nl.empty && write_layer(s, comp, ufd, &nl, e) < 0)
    r = err_wrap(e, "commit '%s'", upper);
  json_t *res = NULL;
  if (r == 0 && image_create(s, &ni, &nl, &res, e) < 0)
    r = -1;
  if (r == 0)
    print_result(res);
  json_decref(res);
  image_free(&pimg);
  if (lk >= 0)
    lock_release(lk);
  return r;
}

/* --- diff ------------------------------------------------------------------ */

struct change {
  char kind; /* A C D */
  char *path;
};

struct diff {
  char **lowers; /* topmost first */
  size_t n;
  struct change *v;
  size_t nv;
};

/* Whether path shows in the merged view of the lower layers. */
static int in_lowers(struct diff *d, const char *path) {
  for (size_t i = 0; i < d->n; i++) {
    cleanup_close int lfd = open(d->lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lfd < 0)
      return 0;
    /* walk down: a whiteout or an opaque dir on the way hides the rest */
    cleanup_free char *p = xstrdup(path);
    int cur = fcntl(lfd, F_DUPFD_CLOEXEC, 3), hidden = 0, found = 0;
    char *save = NULL;
    for (char *c = strtok_r(p, "/", &save); c && cur >= 0; c = strtok_r(NULL, "/", &save)) {
      struct stat st;
      if (fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) < 0)
        break;
      if (tree_is_whiteout(&st)) {
        hidden = 1;
        break;
      }
      char *next = save && *save ? save : NULL;
      if (next == NULL) {
        found = 1;
        break;
      }
      if (!S_ISDIR(st.st_mode))
        break;
      int sub = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close(cur);
      cur = sub;
      char v = 0;
      if (cur >= 0 && fgetxattr(cur, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y') {
        /* the dir itself shows; what is below it in lower layers does not */
        cleanup_free char *rest = xstrdup(next);
        struct stat st2;
        found = fstatat(cur, rest, &st2, AT_SYMLINK_NOFOLLOW) == 0 && !tree_is_whiteout(&st2);
        hidden = !found;
        break;
      }
    }
    if (cur >= 0)
      close(cur);
    if (found)
      return 1;
    if (hidden)
      return 0;
  }
  return 0;
}

static void add_change(struct diff *d, char kind, const char *path) {
  d->v = xrealloc(d->v, (d->nv + 1) * sizeof(*d->v));
  d->v[d->nv++] = (struct change){kind, xasprintf("/%s", path)};
}

static int diff_dir(struct diff *d, int dfd, const char *prefix, struct err **e) {
  int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *dir = dup >= 0 ? fdopendir(dup) : NULL;
  if (dir == NULL)
    return err_set(e, errno, "opendir '%s'", prefix);
  rewinddir(dir); /* a dup shares the position with dfd */
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *rel =
        prefix[0] ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
    struct stat st;
    if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return err_set(e, errno, "stat '%s'", rel);
    if (tree_is_whiteout(&st)) {
      add_change(d, 'D', rel);
      continue;
    }
    add_change(d, in_lowers(d, rel) ? 'C' : 'A', rel);
    if (S_ISDIR(st.st_mode)) {
      cleanup_close int sub =
          openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0 || diff_dir(d, sub, rel, e) < 0)
        return sub < 0 ? err_set(e, errno, "open '%s'", rel) : -1;
    }
  }
  return 0;
}

static int cmp_change(const void *a, const void *b) {
  return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

int cmd_diff(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"parent", required_argument, NULL, 'p'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  const char *parent = NULL;
  int json = 0, o;
  while ((o = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
    switch (o) {
      case 'p': parent = optarg; break;
      case 'j': json = 1; break;
      case 'h':
        fputs("Usage: cairn-image diff [--parent IMAGE] [--json] UPPERDIR\n\n"
              "List the changes an overlay upper dir holds, as docker diff does: A (added),\n"
              "C (changed: it exists in IMAGE), D (deleted).\n",
              stdout);
        return 0;
      default: return err_usage(e, "diff: see 'cairn-image diff --help'");
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "diff: UPPERDIR is required");
  cleanup_close int ufd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ufd < 0)
    return err_set(e, errno, "diff: open '%s'", argv[optind]);
  struct diff d = {0};
  struct image img = {0};
  if (parent != NULL) {
    struct store *s = ctx_store(c, e);
    if (s == NULL || load_image(s, parent, &img, e) < 0)
      return err_wrap(e, "diff: parent");
    uint64_t max;
    if (layer_max_from_env(&max, e) < 0 || image_ensure_layers(s, &img, max, e) < 0) {
      image_free(&img);
      return -1;
    }
    d.n = img.nlayers;
    d.lowers = xcalloc(d.n + 1, sizeof(char *));
    for (size_t i = 0; i < d.n; i++)
      d.lowers[i] = store_layer_path(s, img.layers[d.n - 1 - i].diffid);
  }
  int r = diff_dir(&d, ufd, "", e);
  if (r == 0) {
    if (d.nv > 0)
      qsort(d.v, d.nv, sizeof(*d.v), cmp_change);
    cleanup_json json_t *out = json_array();
    for (size_t i = 0; i < d.nv; i++) {
      if (json)
        json_array_append_new(out, json_pack("{s:s,s:i}", "Path", d.v[i].path, "Kind",
                                             d.v[i].kind == 'C'   ? 0
                                             : d.v[i].kind == 'A' ? 1
                                                                  : 2));
      else
        printf("%c %s\n", d.v[i].kind, d.v[i].path);
    }
    if (json) {
      cleanup_free char *text = json_dump_compact(out);
      puts(text);
    }
  }
  for (size_t i = 0; i < d.nv; i++)
    free(d.v[i].path);
  free(d.v);
  for (size_t i = 0; i < d.n; i++)
    free(d.lowers[i]);
  free(d.lowers);
  image_free(&img);
  return r;
}

/* --- import ---------------------------------------------------------------- */

int cmd_import(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"change", required_argument, NULL, 'C'},
                                       {"message", required_argument, NULL, 'm'},
                                       {"compression", required_argument, NULL, 'z'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  struct new_image ni = {0};
  enum compression comp = COMP_GZIP;
  cleanup_json json_t *changes = json_array();
  int o;
  while ((o = getopt_long(argc, argv, "c:m:h", opts, NULL)) != -1) {
    switch (o) {
      case 'C':
      case 'c': json_array_append_new(changes, json_string(optarg)); break;
      case 'm': ni.comment = optarg; break;
      case 'z':
        if (parse_compression(optarg, &comp, e) < 0)
          return -1;
        break;
      case 'h':
        fputs("Usage: cairn-image import [-c|--change 'CMD …'] [-m MESSAGE] FILE|URL|- "
              "[NAME[:TAG]]\n\n"
              "Make a one-layer image from a root filesystem tarball (plain, gzip, zstd, xz\n"
              "or bzip2), read from a file, an http(s) URL or stdin.  Prints "
              "{\"ref\",\"digest\",\"id\"}.\n",
              stdout);
        return 0;
      default: return err_usage(e, "import: see 'cairn-image import --help'");
    }
  }
  if (argc - optind < 1 || argc - optind > 2)
    return err_usage(e, "import: FILE (or -) and an optional NAME are required");
  const char *src = argv[optind];
  ni.tag = argc - optind == 2 ? argv[optind + 1] : NULL;
  if (ni.tag != NULL && check_tag(ni.tag, e) < 0)
    return -1;
  ni.changes = changes;
  cleanup_free char *comment = ni.comment ? NULL : xasprintf("Imported from %s", src);
  if (comment != NULL)
    ni.comment = comment;
  /* Check the changes before doing any work. */
  cleanup_json json_t *scratch = json_object();
  size_t i;
  json_t *ch;
  json_array_foreach(changes, i,
                     ch) if (apply_change(scratch, json_string_value(ch), e) < 0) return -1;
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  cleanup_close int fd = -1;
  if (url_is_http(src)) {
    if (mkdir_p(s->tmp, 0700, e) < 0 || (fd = url_get_tmpfile(src, s->tmp, e)) < 0)
      return err_wrap(e, "import");
  } else {
    fd = strcmp(src, "-") == 0 ? dup(0) : open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return err_set(e, errno, "import: open '%s'", src);
  }
  int lk = store_gc_lock(s, 0, e);
  if (lk < 0)
    return -1;
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);
  struct archive_entry *ent;
  struct new_layer nl = {.media_type = compression_media_type(comp)};
  struct layer_writer *w = NULL;
  int r = -1;
  if (archive_read_open_fd(a, fd, 1 << 20) != ARCHIVE_OK ||
      archive_read_next_header(a, &ent) != ARCHIVE_OK) {
    err_setc(e, ERR_USAGE, 0, "import '%s': %s", src, archive_error_string(a) ?: "unreadable");
  } else if ((w = lw_open(s, comp, e)) != NULL) {
    char *buf = xmalloc(1 << 20);
    uint64_t total = 0;
    r = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf, 1 << 20);
      if (n < 0) {
        r = err_setc(e, ERR_USAGE, 0, "import '%s': %s", src, archive_error_string(a) ?: "read");
        break;
      }
      if (n == 0)
        break;
      /* a tarball has "ustar" at offset 257 of its first header */
      if (total == 0 && (n < 512 || memcmp(buf + 257, "ustar", 5) != 0)) {
        r = err_setc(e, ERR_USAGE, 0, "import '%s': not a tar archive", src);
        break;
      }
      total += (uint64_t)n;
      if (lw_write(w, buf, (size_t)n, e) < 0) {
        r = -1;
        break;
      }
    }
    free(buf);
    if (r == 0 && total == 0)
      r = err_setc(e, ERR_USAGE, 0, "import '%s': empty input", src);
    if (r == 0)
      r = lw_finish(w, nl.diffid, nl.digest, &nl.size, e);
    else
      lw_abort(w);
  }
  archive_read_free(a);
  json_t *res = NULL;
  if (r == 0)
    r = image_create(s, &ni, &nl, &res, e);
  if (r == 0) {
    print_result(res);
    image_event(s, "import", json_get_str(res, "id"), NULL);
  }
  json_decref(res);
  lock_release(lk);
  return r;
}
