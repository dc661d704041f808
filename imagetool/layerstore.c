/* layerstore.c — putting an extracted layer in place: hardlinks into lower
 * layers, the size record, the atomic rename; and extraction from a blob
 * already in the store. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fmt.h"
#include "fs.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "layer_int.h"
#include "mem.h"
#include "tree.h"

/* 1 when some component of path in this lower layer is a whiteout or an
 * opaque dir, so that layers below cannot show it. */
static int lower_hides(int lfd, const char *path) {
  cleanup_free char *p = xstrdup(path);
  cleanup_close int cur = fcntl(lfd, F_DUPFD_CLOEXEC, 3);
  char *save = NULL;
  for (char *c = strtok_r(p, "/", &save); c != NULL && cur >= 0; c = strtok_r(NULL, "/", &save)) {
    struct stat st;
    if (fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return 0;
    if (tree_is_whiteout(&st))
      return 1;
    if (!S_ISDIR(st.st_mode))
      return 0;
    int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(cur);
    cur = next;
    char v;
    if (cur >= 0 && fgetxattr(cur, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y')
      return 1;
  }
  return 0;
}

/* Copy target, found in the lower layers, to name in the new layer. */
static int resolve_link(int rootfd, const char *name, const char *target, const char *const *lowers,
                        size_t n, struct err **e) {
  const char *ts = strrchr(target, '/');
  cleanup_free char *tparent = ts ? xstrndup(target, (size_t)(ts - target)) : xstrdup("");
  const char *tleaf = ts ? ts + 1 : target;
  const char *ns = strrchr(name, '/');
  cleanup_free char *nparent = ns ? xstrndup(name, (size_t)(ns - name)) : xstrdup("");
  const char *nleaf = ns ? ns + 1 : name;
  for (size_t i = 0; i < n; i++) {
    cleanup_close int lfd = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lfd < 0)
      return err_set(e, errno, "open lower layer '%s'", lowers[i]);
    struct err *ig = NULL;
    cleanup_close int sdir = tree_open_dir(lfd, tparent, 0, &ig);
    err_free(&ig);
    struct stat st;
    if (sdir >= 0 && fstatat(sdir, tleaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (tree_is_whiteout(&st))
        break;
      if (S_ISDIR(st.st_mode))
        return err_setc(e, ERR_USAGE, 0, "entry '%s': hardlink to directory '%s'", name, target);
      cleanup_close int ddir = tree_open_dir(rootfd, nparent, 1, e);
      if (ddir < 0 || tree_remove_at(ddir, nleaf, e) < 0 ||
          tree_copy_node(sdir, tleaf, ddir, nleaf, e) < 0)
        return err_wrap(e, "entry '%s': hardlink to '%s' in a lower layer", name, target);
      return 0;
    }
    if (lower_hides(lfd, target))
      break;
  }
  return err_setc(e, ERR_USAGE, 0, "entry '%s': hardlink target '%s' is in no layer", name, target);
}

static char *meta_path(const struct store *s, const char *diffid) {
  return xasprintf("%s/%s.json", s->layers, digest_hex(diffid));
}

static int commit(const struct store *s, struct layer_tmp *t, const char *const *lowers,
                  size_t nlowers, struct err **e) {
  cleanup_close int rootfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return err_set(e, errno, "open '%s'", t->dir);
  for (size_t i = 0; i < t->nlinks; i++)
    if (resolve_link(rootfd, t->links[i].name, t->links[i].target, lowers, nlowers, e) < 0)
      return -1;
  cleanup_free char *final = store_layer_path(s, t->diffid);
  cleanup_free char *meta = meta_path(s, t->diffid);
  cleanup_json json_t *j =
      json_pack("{s:s,s:I,s:I}", "diffid", t->diffid, "size", (json_int_t)t->content_size,
                "tarSize", (json_int_t)t->tar_size);
  if (json_write_file(j, meta, e) < 0)
    return -1;
  if (rename(t->dir, final) < 0) {
    /* Another pull made the same layer first: same diffid, same content. */
    if (errno != EEXIST && errno != ENOTEMPTY)
      return err_set(e, errno, "rename '%s' to '%s'", t->dir, final);
  } else {
    free(t->dir);
    t->dir = NULL;
  }
  return 0;
}

int layer_commit(const struct store *s, struct layer_tmp *t, const char *const *lowers,
                 size_t nlowers, struct err **e) {
  int r = commit(s, t, lowers, nlowers, e);
  layer_tmp_free(t);
  return r;
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

int layer_ensure_from_blob(const struct store *s, const char *blob_digest, const char *diffid,
                           const char *const *lowers, size_t nlowers, uint64_t max_size,
                           struct err **e) {
  if (store_has_layer(s, diffid))
    return 0;
  cleanup_free char *p = store_blob_path(s, blob_digest);
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err_setc(e, errno == ENOENT ? ERR_NOTFOUND : ERR_FAIL, errno, "layer %s: blob %s",
                    diffid, blob_digest);
  struct fd_src f = {fd, p};
  struct layer_src src = {fd_read, &f};
  struct layer_opts o = {.diffid = diffid, .max_size = max_size};
  struct layer_tmp *t = layer_extract(s, &src, &o, e);
  if (t == NULL || layer_commit(s, t, lowers, nlowers, e) < 0)
    return err_wrap(e, "layer %s", blob_digest);
  return 0;
}

int64_t layer_size(const struct store *s, const char *diffid) {
  cleanup_free char *meta = meta_path(s, diffid);
  struct err *ig = NULL;
  cleanup_json json_t *j = json_load_path(meta, &ig);
  err_free(&ig);
  json_t *v = json_object_get(j, "size");
  return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

int layer_max_from_env(uint64_t *out, struct err **e) {
  const char *v = getenv("CAIRN_MAX_LAYER_SIZE");
  *out = LAYER_MAX_DEFAULT;
  if (v == NULL || v[0] == '\0')
    return 0;
  int64_t n;
  if (parse_size(v, &n, e) < 0)
    return err_wrap(e, "$CAIRN_MAX_LAYER_SIZE");
  if (n <= 0)
    return err_usage(e, "$CAIRN_MAX_LAYER_SIZE: must be positive");
  *out = (uint64_t)n;
  return 0;
}

int image_ensure_layers(const struct store *s, const struct image *img, uint64_t max_size,
                        struct err **e) {
  const char **lowers = xcalloc(img->nlayers + 1, sizeof(char *));
  int r = 0;
  for (size_t i = 0; i < img->nlayers && r == 0; i++) {
    /* lowers: the layers below i, topmost first */
    for (size_t k = 0; k < i; k++)
      lowers[k] = store_layer_path(s, img->layers[i - 1 - k].diffid);
    r = layer_ensure_from_blob(s, img->layers[i].digest, img->layers[i].diffid, lowers, i, max_size,
                               e);
    for (size_t k = 0; k < i; k++)
      free((char *)lowers[k]);
  }
  free(lowers);
  return r;
}
