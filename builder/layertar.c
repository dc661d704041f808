/* layertar.c — COPY's layer written directly as a tar: the entries the
 * copy would have created in the rootfs, with times clamped to the epoch,
 * so that no file is created on disk (nor deleted after). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

static void clamp(struct archive_entry *ent, const struct copy_opts *co, const struct stat *st) {
  time_t t = st->st_mtim.tv_sec;
  long ns = st->st_mtim.tv_nsec;
  if (t > co->epoch || (t == co->epoch && ns > 0)) {
    t = (time_t)co->epoch;
    ns = 0;
  }
  archive_entry_set_mtime(ent, t, ns);
}

static int tar_header(const struct copy_opts *co, struct archive_entry *ent, const char *what,
                      struct err **e) {
  if (archive_write_header(co->tar, ent) != ARCHIVE_OK)
    return err_set(e, 0, "layer entry '%s': %s", what, archive_error_string(co->tar));
  return 0;
}

/* Directories the image lacks on the way to dir (an in-image path) get
 * entries of their own, 0755, owned by the --chown user (as buildah
 * makes them; root without --chown). */
static int tar_parents(const struct copy_opts *co, const char *dir, struct err **e) {
  cleanup_free char *p = xstrdup(dir);
  for (char *c = p + 1;; c++) {
    bool end = *c == '\0';
    if (*c == '/' || end) {
      *c = '\0';
      if (p[1] != '\0' && json_object_get(co->emitted, p + 1) == NULL) {
        struct err *ig = NULL;
        cleanup_free char *host = path_in_root(co->rootfs, p, &ig);
        err_free(&ig);
        struct stat st;
        if (host == NULL || stat(host, &st) < 0 || !S_ISDIR(st.st_mode)) {
          struct archive_entry *ent = archive_entry_new();
          archive_entry_set_pathname(ent, p + 1);
          archive_entry_set_filetype(ent, AE_IFDIR);
          archive_entry_set_perm(ent, 0755);
          archive_entry_set_uid(ent, co->uid);
          archive_entry_set_gid(ent, co->gid);
          archive_entry_set_mtime(ent, (time_t)co->epoch, 0);
          int r = tar_header(co, ent, p, e);
          archive_entry_free(ent);
          if (r < 0)
            return -1;
        }
        json_object_set_new(co->emitted, p + 1, json_true());
      }
      if (end)
        break;
      *c = '/';
    }
  }
  return 0;
}

int tar_entry(const struct copy_opts *co, const struct stat *st, int cfd, const char *link,
              const char *clean, struct err **e) {
  /* the parent as the image resolves it (its symlinks followed inside) */
  cleanup_free char *parent = xstrdup(clean);
  char *slash = strrchr(parent, '/');
  cleanup_free char *base = xstrdup(slash + 1);
  slash[slash == parent ? 1 : 0] = '\0';
  cleanup_free char *host = path_in_root(co->rootfs, parent, e);
  if (host == NULL)
    return -1;
  const char *inimg = host + strlen(co->rootfs);
  cleanup_free char *dir = xstrdup(inimg[0] ? inimg : "/");
  if (strcmp(dir, "/") != 0 && tar_parents(co, dir, e) < 0)
    return -1;
  if (base[0] == '\0')
    return 0;
  cleanup_free char *name =
      strcmp(dir, "/") == 0 ? xstrdup(base) : xasprintf("%s/%s", dir + 1, base);
  mode_t mode = co->chmod_set ? co->chmod : (st->st_mode & 07777);
  struct archive_entry *ent = archive_entry_new();
  archive_entry_set_pathname(ent, name);
  archive_entry_set_uid(ent, co->uid);
  archive_entry_set_gid(ent, co->gid);
  clamp(ent, co, st);
  int r = 0;
  if (S_ISDIR(st->st_mode)) {
    archive_entry_set_filetype(ent, AE_IFDIR);
    archive_entry_set_perm(ent, mode);
    json_object_set_new(co->emitted, name, json_true());
    r = tar_header(co, ent, clean, e);
  } else if (S_ISLNK(st->st_mode)) {
    archive_entry_set_filetype(ent, AE_IFLNK);
    archive_entry_set_perm(ent, 0777);
    archive_entry_set_symlink(ent, link);
    r = tar_header(co, ent, clean, e);
  } else {
    struct stat cst;
    if (fstat(cfd, &cst) < 0) {
      archive_entry_free(ent);
      return err_set(e, errno, "stat '%s'", clean);
    }
    archive_entry_set_filetype(ent, AE_IFREG);
    archive_entry_set_perm(ent, mode);
    archive_entry_set_size(ent, cst.st_size);
    r = tar_header(co, ent, clean, e);
    char buf[1 << 16];
    off_t left = cst.st_size;
    while (r == 0 && left > 0) {
      ssize_t n = read(cfd, buf, sizeof(buf) < (size_t)left ? sizeof(buf) : (size_t)left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        r = err_set(e, n < 0 ? errno : EIO, "read '%s'", clean);
        break;
      }
      if (archive_write_data(co->tar, buf, (size_t)n) != n)
        r = err_set(e, 0, "layer entry '%s': %s", clean, archive_error_string(co->tar));
      left -= n;
    }
  }
  archive_entry_free(ent);
  return r;
}
