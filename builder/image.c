/* image.c — images through cairn-image: base images (inspect, pull),
 * commits, and mounting an image's root filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

void bimage_free(struct bimage *b) {
  free(b->ref);
  free(b->id);
  json_decref(b->cc);
  memset(b, 0, sizeof(*b));
}

void bimage_copy(struct bimage *dst, const struct bimage *src) {
  bimage_free(dst);
  dst->ref = src->ref ? xstrdup(src->ref) : NULL;
  dst->id = src->id ? xstrdup(src->id) : NULL;
  dst->cc = src->cc ? json_deep_copy(src->cc) : json_object();
}

/* `cairn-image inspect NAME`: docker's inspect JSON, an array of one. */
static int inspect(struct build *b, const char *name, struct bimage *out, struct err **e) {
  const char *argv[] = {"cairn-image", "inspect", name, NULL};
  cleanup_json json_t *j = tool_json(b, argv, NULL, e);
  if (j == NULL)
    return -1;
  json_t *one = json_array_get(j, 0);
  const char *id = json_get_str(one, "Id");
  const char *dig = json_get_str(json_get_obj(one, "Descriptor"), "digest");
  if (id == NULL || dig == NULL)
    return err_set(e, 0, "cairn-image inspect '%s': no Id or Descriptor in its output", name);
  out->id = xstrdup(id);
  out->ref = xstrdup(dig);
  /* the config as stored (inspect's Config is docker's view of it, with
   * every empty field spelled out) */
  const char *cargv[] = {"cairn-image", "config", dig, NULL};
  cleanup_json json_t *cfg = tool_json(b, cargv, NULL, e);
  if (cfg == NULL)
    return -1;
  json_t *cc = json_get_obj(cfg, "config");
  out->cc = cc ? json_deep_copy(cc) : json_object();
  return 0;
}

int image_base(struct build *b, const char *name, struct bimage *out, struct err **e) {
  memset(out, 0, sizeof(*out));
  if (strcmp(name, "scratch") == 0) {
    out->cc = json_object();
    return 0;
  }
  struct err *first = NULL;
  if (!b->o->pull && inspect(b, name, out, &first) == 0)
    return 0;
  err_free(&first);
  bimage_free(out);
  prog_note(b, b->step, "pulling %s", name);
  const char *argv[] = {"cairn-image", "pull", "-q", name, NULL};
  struct tool_res res = {0};
  if (tool_run(b, argv, NULL, 0, NULL, e) < 0) {
    tool_res_free(&res);
    return err_wrap(e, "FROM %s", name);
  }
  if (inspect(b, name, out, e) < 0)
    return err_wrap(e, "FROM %s", name);
  return 0;
}

int image_commit(struct build *b, const struct bimage *parent, const char *upper, const char *tar,
                 json_t *cc, const char *created_by, struct bimage *out, struct err **e) {
  cleanup_free char *empty = NULL;
  if (upper == NULL && tar == NULL) {
    if ((empty = build_tmpdir(b, "empty", e)) == NULL)
      return -1;
    upper = empty;
  }
  cleanup_free char *ctext = json_dumps(cc, JSON_COMPACT | JSON_SORT_KEYS);
  const char *argv[18];
  size_t n = 0;
  argv[n++] = "cairn-image";
  argv[n++] = "commit";
  if (b->o->compression != NULL) {
    argv[n++] = "--compression";
    argv[n++] = b->o->compression;
  }
  if (tar != NULL) {
    argv[n++] = "--tar";
    argv[n++] = tar;
  } else {
    argv[n++] = upper;
  }
  if (parent->ref != NULL) {
    argv[n++] = "--parent";
    argv[n++] = parent->ref;
  }
  argv[n++] = "--config";
  argv[n++] = "-";
  argv[n++] = "--created-by";
  argv[n++] = created_by;
  if (b->author != NULL) {
    argv[n++] = "--author";
    argv[n++] = b->author;
  }
  argv[n] = NULL;
  cleanup_json json_t *res = tool_json(b, argv, ctext, e);
  if (res == NULL)
    return err_wrap(e, "commit");
  const char *dig = json_get_str(res, "digest"), *id = json_get_str(res, "id");
  if (dig == NULL || id == NULL)
    return err_set(e, 0, "cairn-image commit: no digest or id in its output");
  memset(out, 0, sizeof(*out));
  out->ref = xstrdup(dig);
  out->id = xstrdup(id);
  out->cc = json_deep_copy(cc);
  if (empty != NULL)
    rmdir(empty);
  return 0;
}

int image_unpack(struct build *b, const struct bimage *img, const char *bundle, struct err **e) {
  if (img->ref == NULL) {
    /* scratch: an empty rootfs and upper, as unpack would lay them out */
    cleanup_free char *root = path_join(bundle, "rootfs");
    cleanup_free char *up = path_join(bundle, "upper");
    if (mkdir_p(up, 0755, e) < 0 || mkdir_p(root, 0755, e) < 0)
      return -1;
    /* the rootfs is the upper itself (nothing lies below it); `cairn-image
     * umount` undoes the bind as it would an overlay */
    if (mount(up, root, NULL, MS_BIND, NULL) < 0)
      return err_set(e, errno, "bind '%s'", root);
    return 0;
  }
  const char *argv[] = {"cairn-image", "unpack", img->ref, bundle, NULL};
  if (tool_run(b, argv, NULL, 0, NULL, e) < 0)
    return err_wrap(e, "unpack");
  return 0;
}

int image_umount(struct build *b, const char *bundle, struct err **e) {
  const char *argv[] = {"cairn-image", "umount", bundle, NULL};
  if (tool_run(b, argv, NULL, 0, NULL, e) < 0)
    return -1;
  /* a scratch rootfs is our own bind mount */
  cleanup_free char *root = path_join(bundle, "rootfs");
  if (umount2(root, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return err_set(e, errno, "unmount '%s'", root);
  return 0;
}

static long long clamp_epoch;
static int clamp_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)flag;
  (void)ftw;
  if (st->st_mtim.tv_sec < clamp_epoch ||
      (st->st_mtim.tv_sec == clamp_epoch && st->st_mtim.tv_nsec == 0))
    return 0;
  struct timespec ts[2] = {{clamp_epoch, 0}, {clamp_epoch, 0}};
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return errno;
  return 0;
}

int clamp_times(const char *dir, long long epoch, struct err **e) {
  clamp_epoch = epoch;
  int r = nftw(dir, clamp_one, 32, FTW_PHYS | FTW_DEPTH | FTW_MOUNT);
  if (r != 0)
    return err_set(e, r > 0 ? r : errno, "set times under '%s'", dir);
  return 0;
}
