#include "layerw.h"

#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "mem.h"
#include "tree.h"

/* --- the compressed sink ---------------------------------------------------- */

struct layer_writer {
  const struct store *s;
  struct blob_writer bw;
  struct sha256_ctx *diff;
  struct archive *z; /* "raw" format + compression filter */
  struct err *err;
  enum compression c;
  int64_t size;
};

const char *compression_media_type(enum compression c) {
  return c == COMP_GZIP ? MT_OCI_LAYER_GZIP : c == COMP_ZSTD ? MT_OCI_LAYER_ZSTD : MT_OCI_LAYER;
}

static la_ssize_t z_write(struct archive *a, void *arg, const void *buf, size_t len) {
  struct layer_writer *w = arg;
  if (blob_writer_write(&w->bw, buf, len, &w->err) < 0) {
    archive_set_error(a, EIO, "write");
    return -1;
  }
  return (la_ssize_t)len;
}

struct layer_writer *lw_open(const struct store *s, enum compression c, struct err **e) {
  struct layer_writer *w = xcalloc(1, sizeof(*w));
  w->s = s;
  w->c = c;
  if (blob_writer_open(s, &w->bw, e) < 0) {
    free(w);
    return NULL;
  }
  w->diff = sha256_new();
  if (c == COMP_NONE)
    return w;
  w->z = archive_write_new();
  archive_write_set_format_raw(w->z);
  if (c == COMP_GZIP) {
    archive_write_add_filter_gzip(w->z);
    /* no name or time in the gzip header: the same tar, the same blob */
    archive_write_set_filter_option(w->z, "gzip", "timestamp", NULL);
    archive_write_set_filter_option(w->z, "gzip", "compression-level", "6");
  } else {
    archive_write_add_filter_zstd(w->z);
  }
  archive_write_set_bytes_in_last_block(w->z, 1);
  struct archive_entry *ent = archive_entry_new();
  archive_entry_set_filetype(ent, AE_IFREG);
  if (archive_write_open(w->z, w, NULL, z_write, NULL) != ARCHIVE_OK ||
      archive_write_header(w->z, ent) != ARCHIVE_OK) {
    err_set(e, 0, "compressor: %s", archive_error_string(w->z) ?: "cannot start");
    archive_entry_free(ent);
    lw_abort(w);
    return NULL;
  }
  archive_entry_free(ent);
  return w;
}

int lw_write(struct layer_writer *w, const void *buf, size_t len, struct err **e) {
  sha256_update(w->diff, buf, len);
  w->size += (int64_t)len;
  if (w->z == NULL)
    return blob_writer_write(&w->bw, buf, len, e);
  if (archive_write_data(w->z, buf, len) < 0) {
    if (w->err != NULL) {
      *e = w->err;
      w->err = NULL;
      return -1;
    }
    return err_set(e, 0, "compress: %s", archive_error_string(w->z) ?: "failed");
  }
  return 0;
}

int lw_finish(struct layer_writer *w, char diffid[DIGEST_STR_LEN + 1],
              char digest[DIGEST_STR_LEN + 1], int64_t *size, struct err **e) {
  int r = 0;
  if (w->z != NULL) {
    if (archive_write_close(w->z) != ARCHIVE_OK) {
      if (w->err != NULL) {
        *e = w->err;
        w->err = NULL;
        r = -1;
      } else {
        r = err_set(e, 0, "compress: %s", archive_error_string(w->z) ?: "failed");
      }
    }
    archive_write_free(w->z);
    w->z = NULL;
  }
  sha256_final(w->diff, diffid);
  w->diff = NULL;
  if (r == 0) {
    *size = (int64_t)w->bw.size;
    r = blob_writer_commit(w->s, &w->bw, NULL, -1, digest, e);
  }
  lw_abort(w);
  return r;
}

void lw_abort(struct layer_writer *w) {
  if (w == NULL)
    return;
  if (w->z != NULL)
    archive_write_free(w->z);
  if (w->diff != NULL)
    sha256_free(w->diff);
  blob_writer_abort(&w->bw);
  err_free(&w->err);
  free(w);
}

/* --- tar writing ------------------------------------------------------------ */

static la_ssize_t t_write(struct archive *a, void *arg, const void *buf, size_t len) {
  struct tarw *t = arg;
  if (t->fn(t->arg, buf, len, &t->err) < 0) {
    archive_set_error(a, EIO, "write");
    return -1;
  }
  return (la_ssize_t)len;
}

int tarw_open(struct tarw *t, tar_sink fn, void *arg, struct err **e) {
  t->a = archive_write_new();
  t->fn = fn;
  t->arg = arg;
  t->err = NULL;
  archive_write_set_format_pax_restricted(t->a);
  archive_write_set_bytes_in_last_block(t->a, 1);
  if (archive_write_open(t->a, t, NULL, t_write, NULL) != ARCHIVE_OK) {
    tarw_error(t, e);
    tarw_free(t);
    return -1;
  }
  return 0;
}

int tarw_error(struct tarw *t, struct err **e) {
  if (t->err != NULL) {
    *e = t->err;
    t->err = NULL;
    return -1;
  }
  return err_set(e, 0, "tar: %s", archive_error_string(t->a) ?: "write failed");
}

int tarw_close(struct tarw *t, struct err **e) {
  int r = archive_write_close(t->a) == ARCHIVE_OK ? 0 : tarw_error(t, e);
  tarw_free(t);
  return r;
}

void tarw_free(struct tarw *t) {
  if (t->a != NULL)
    archive_write_free(t->a);
  t->a = NULL;
  err_free(&t->err);
}

struct inode {
  dev_t dev;
  ino_t ino;
  char *path;
};

struct walk {
  struct tarw *t;
  int overlay;
  uint64_t count;
  struct inode *links;
  size_t nlinks;
  struct archive_entry *ent;
  char *buf;
};

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* xattrs of dir/name onto the entry; 1 in *opaque when overlay marks the
 * dir opaque.  Overlay features that hide data elsewhere are refused. */
static int add_xattrs(struct walk *w, int dfd, const char *name, const char *rel, int *opaque,
                      struct err **e) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
  ssize_t n = llistxattr(path, NULL, 0);
  if (n <= 0)
    return 0;
  cleanup_free char *names = xmalloc((size_t)n);
  n = llistxattr(path, names, (size_t)n);
  for (char *k = names; n > 0 && k < names + n; k += strlen(k) + 1) {
    if (w->overlay &&
        (strcmp(k, "trusted.overlay.opaque") == 0 || strcmp(k, "user.overlay.opaque") == 0)) {
      char v = 0;
      if (lgetxattr(path, k, &v, 1) == 1 && v == 'y')
        *opaque = 1;
      continue;
    }
    if (w->overlay && (strstr(k, "overlay.metacopy") || strstr(k, "overlay.redirect")))
      return err_setc(e, ERR_USAGE, 0,
                      "'%s': the overlay used metacopy or redirect_dir; commit needs them off",
                      rel);
    if (tree_xattr_forbidden(k))
      continue;
    ssize_t vl = lgetxattr(path, k, NULL, 0);
    if (vl < 0)
      continue;
    cleanup_free char *v = xmalloc((size_t)vl + 1);
    vl = lgetxattr(path, k, v, (size_t)vl);
    if (vl >= 0)
      archive_entry_xattr_add_entry(w->ent, k, v, (size_t)vl);
  }
  return 0;
}

static int write_header(struct walk *w, struct err **e) {
  if (archive_write_header(w->t->a, w->ent) < ARCHIVE_WARN)
    return tarw_error(w->t, e);
  w->count++;
  return 0;
}

static void base_entry(struct walk *w, const char *rel, const struct stat *st) {
  archive_entry_clear(w->ent);
  archive_entry_set_pathname(w->ent, rel);
  archive_entry_set_uid(w->ent, st->st_uid);
  archive_entry_set_gid(w->ent, st->st_gid);
  archive_entry_set_mode(w->ent, st->st_mode);
  archive_entry_set_mtime(w->ent, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static int marker(struct walk *w, const char *rel, const struct stat *st, struct err **e) {
  archive_entry_clear(w->ent);
  archive_entry_set_pathname(w->ent, rel);
  archive_entry_set_filetype(w->ent, AE_IFREG);
  archive_entry_set_perm(w->ent, st->st_mode & 07777);
  archive_entry_set_uid(w->ent, st->st_uid);
  archive_entry_set_gid(w->ent, st->st_gid);
  archive_entry_set_mtime(w->ent, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  archive_entry_set_size(w->ent, 0);
  return write_header(w, e);
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct err **e);

static int one(struct walk *w, int dfd, const char *name, const char *rel, struct err **e) {
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return err_set(e, errno, "stat '%s'", rel);
  if (S_ISSOCK(st.st_mode))
    return 0;
  if (w->overlay && tree_is_whiteout(&st)) {
    const char *slash = strrchr(rel, '/');
    cleanup_free char *wh =
        slash ? xasprintf("%.*s/.wh.%s", (int)(slash - rel), rel, name) : xasprintf(".wh.%s", name);
    return marker(w, wh, &st, e);
  }
  base_entry(w, rel, &st);
  int opaque = 0;
  if (add_xattrs(w, dfd, name, rel, &opaque, e) < 0)
    return -1;
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    for (size_t i = 0; i < w->nlinks; i++) {
      if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino) {
        archive_entry_set_hardlink(w->ent, w->links[i].path);
        archive_entry_set_size(w->ent, 0);
        return write_header(w, e);
      }
    }
    w->links = xrealloc(w->links, (w->nlinks + 1) * sizeof(*w->links));
    w->links[w->nlinks++] = (struct inode){st.st_dev, st.st_ino, xstrdup(rel)};
  }
  if (S_ISLNK(st.st_mode)) {
    cleanup_free char *target = xmalloc((size_t)st.st_size + 1);
    ssize_t n = readlinkat(dfd, name, target, (size_t)st.st_size + 1);
    if (n < 0 || n > st.st_size)
      return err_set(e, n < 0 ? errno : EIO, "readlink '%s'", rel);
    target[n] = '\0';
    archive_entry_set_symlink(w->ent, target);
    return write_header(w, e);
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdev(w->ent, st.st_rdev);
    return write_header(w, e);
  }
  if (S_ISFIFO(st.st_mode))
    return write_header(w, e);
  if (S_ISDIR(st.st_mode)) {
    if (write_header(w, e) < 0)
      return -1;
    cleanup_free char *opq = xasprintf("%s/.wh..wh..opq", rel);
    if (opaque && marker(w, opq, &st, e) < 0)
      return -1;
    cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
      return err_set(e, errno, "open '%s'", rel);
    return walk_dir(w, sub, rel, e);
  }
  /* a regular file */
  cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open '%s'", rel);
  archive_entry_set_size(w->ent, st.st_size);
  if (write_header(w, e) < 0)
    return -1;
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = read(fd, w->buf, 1 << 20);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return err_set(e, errno, "read '%s'", rel);
    if (n == 0)
      return err_set(e, EIO, "'%s' shrank while being read", rel);
    if (n > left)
      n = (ssize_t)left; /* grew meanwhile: the header said st_size */
    if (archive_write_data(w->t->a, w->buf, (size_t)n) < 0)
      return tarw_error(w->t, e);
    left -= n;
  }
  return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct err **e) {
  int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
  if (d == NULL) {
    if (dup >= 0)
      close(dup);
    return err_set(e, errno, "opendir '%s'", prefix[0] ? prefix : ".");
  }
  rewinddir(d); /* a dup shares the position with dfd */
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      names = xrealloc(names, cap * sizeof(char *));
    }
    names[n++] = xstrdup(de->d_name);
  }
  if (n > 0)
    qsort(names, n, sizeof(char *), cmp_name);
  int r = 0;
  for (size_t i = 0; i < n; i++) {
    if (r == 0) {
      cleanup_free char *rel = prefix[0] ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
      r = one(w, dfd, names[i], rel, e);
    }
    free(names[i]);
  }
  free(names);
  return r;
}

int tar_add_tree(struct tarw *t, int dirfd, int overlay, uint64_t *count, struct err **e) {
  struct walk w = {.t = t, .overlay = overlay};
  w.ent = archive_entry_new();
  w.buf = xmalloc(1 << 20);
  int r = walk_dir(&w, dirfd, "", e);
  archive_entry_free(w.ent);
  free(w.buf);
  for (size_t i = 0; i < w.nlinks; i++)
    free(w.links[i].path);
  free(w.links);
  if (count != NULL)
    *count = w.count;
  return r;
}
