#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "layer_int.h"
#include "mem.h"
#include "tree.h"

#define CBUF_SIZE (1u << 20) /* compressed reads */
#define TBUF_SIZE (1u << 20) /* decompressed tar bytes handed to the tar reader */

struct dirtime {
  char *path;
  struct timespec ts[2];
};

/* One extraction in progress. */
struct x {
  const struct layer_src *src;
  const struct layer_opts *o;
  struct layer_tmp *t;
  int rootfd;
  struct archive *raw, *tar;
  struct sha256_ctx *sha;
  uint64_t consumed, max;
  struct err *src_err; /* the source's own error wins over libarchive's */
  int too_big;
  char *cbuf, *tbuf;
  /* The last parent dir opened, reused for its siblings. */
  char *cache_path;
  int cache_fd;
  int cache_sgid; /* the cached dir is setgid: what is created inside takes its group */
  struct dirtime *dirs;
  size_t ndirs, capdirs;
  size_t capl;
  int euid, egid;
};

static la_ssize_t raw_read(struct archive *a, void *arg, const void **buf) {
  struct x *x = arg;
  ssize_t n = x->src->read(x->src->arg, x->cbuf, CBUF_SIZE, &x->src_err);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", x->src_err ? x->src_err->msg : "read error");
    return -1;
  }
  x->consumed += (uint64_t)n;
  if (x->o->progress != NULL)
    x->o->progress(x->o->progress_arg, x->consumed);
  *buf = x->cbuf;
  return n;
}

static la_ssize_t tar_read(struct archive *a, void *arg, const void **buf) {
  struct x *x = arg;
  la_ssize_t n = archive_read_data(x->raw, x->tbuf, TBUF_SIZE);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", archive_error_string(x->raw) ?: "decompression failed");
    return -1;
  }
  if (!x->o->plain)
    sha256_update(x->sha, x->tbuf, (size_t)n);
  x->t->tar_size += (uint64_t)n;
  if (x->t->tar_size > x->max) {
    x->too_big = 1;
    archive_set_error(a, EFBIG, "too big");
    return -1;
  }
  *buf = x->tbuf;
  return n;
}

/* The error of a failed libarchive call, preferring the real cause. */
static int ar_err(struct x *x, struct archive *a, struct err **e) {
  if (x->src_err != NULL) {
    *e = x->src_err;
    x->src_err = NULL;
    return -1;
  }
  if (x->too_big)
    return err_setc(e, ERR_USAGE, 0,
                    "more than %llu bytes uncompressed (a decompression bomb?): raise "
                    "--max-layer-size to allow it",
                    (unsigned long long)x->max);
  const char *msg = archive_error_string(a);
  if (a == x->tar && msg == NULL)
    msg = archive_error_string(x->raw);
  return err_setc(e, ERR_USAGE, 0, "%s", msg ? msg : "corrupt archive");
}

/* An entry's path as a clean relative path ("" for the top), or an error
 * for absolute paths and ".." components. */
static char *clean_name(const char *in, struct err **e) {
  if (in[0] == '/') {
    err_setc(e, ERR_USAGE, 0, "absolute path");
    return NULL;
  }
  size_t n = strlen(in);
  char *out = xmalloc(n + 1);
  size_t o = 0;
  const char *s = in;
  while (*s) {
    while (*s == '/')
      s++;
    if (!*s)
      break;
    const char *end = strchrnul(s, '/');
    size_t len = (size_t)(end - s);
    if (len == 2 && s[0] == '.' && s[1] == '.') {
      free(out);
      err_setc(e, ERR_USAGE, 0, "path climbs out with '..'");
      return NULL;
    }
    if (!(len == 1 && s[0] == '.')) {
      if (o > 0)
        out[o++] = '/';
      memcpy(out + o, s, len);
      o += len;
    }
    s = end;
  }
  out[o] = '\0';
  return out;
}

static void split(const char *rel, char **parent, const char **leaf) {
  const char *slash = strrchr(rel, '/');
  *parent = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
  *leaf = slash ? slash + 1 : rel;
}

static void cache_drop(struct x *x) {
  free(x->cache_path);
  x->cache_path = NULL;
  if (x->cache_fd >= 0)
    close(x->cache_fd);
  x->cache_fd = -1;
}

/* The parent dir of an entry, created when missing; the fd belongs to the
 * cache. */
static int parent_fd(struct x *x, const char *parent, struct err **e) {
  if (x->cache_path != NULL && strcmp(x->cache_path, parent) == 0)
    return x->cache_fd;
  cache_drop(x);
  int fd = tree_open_dir(x->rootfd, parent, 1, e);
  if (fd < 0)
    return -1;
  x->cache_path = xstrdup(parent);
  x->cache_fd = fd;
  struct stat st;
  x->cache_sgid = fstat(fd, &st) < 0 || (st.st_mode & S_ISGID) != 0;
  return fd;
}

/* Make room for a new node at leaf: whatever is there goes (a directory
 * only when the new node is not one). */
static int clear_leaf(int dfd, const char *leaf, int keep_dir, struct err **e) {
  struct stat st;
  if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : err_set(e, errno, "stat");
  /* The cached dir is dfd itself, never below leaf: it stays valid. */
  if (S_ISDIR(st.st_mode))
    return keep_dir ? 0 : tree_remove_at(dfd, leaf, e);
  if (unlinkat(dfd, leaf, 0) < 0 && errno != ENOENT)
    return err_set(e, errno, "remove the old entry");
  return 0;
}

static int set_xattrs_fd(struct archive_entry *ent, int fd, const char *path, struct err **e) {
  const char *name;
  const void *val;
  size_t size;
  archive_entry_xattr_reset(ent);
  while (archive_entry_xattr_next(ent, &name, &val, &size) == ARCHIVE_OK) {
    if (tree_xattr_forbidden(name))
      continue; /* an image must never steer overlayfs */
    int r = fd >= 0 ? fsetxattr(fd, name, val, size, 0) : lsetxattr(path, name, val, size, 0);
    /* As docker: a filesystem without xattrs, or a namespace we may not
     * write, costs the xattr, not the pull. */
    if (r < 0 && errno != ENOTSUP && errno != EPERM)
      return err_set(e, errno, "set xattr '%s'", name);
  }
  return 0;
}

static void entry_times(struct archive_entry *ent, struct timespec ts[2]) {
  ts[1].tv_sec = archive_entry_mtime(ent);
  ts[1].tv_nsec = archive_entry_mtime_nsec(ent);
  if (archive_entry_atime_is_set(ent)) {
    ts[0].tv_sec = archive_entry_atime(ent);
    ts[0].tv_nsec = archive_entry_atime_nsec(ent);
  } else {
    ts[0] = ts[1];
  }
}

static int chown_ok(struct x *x) {
  return errno == EPERM && x->euid != 0;
}

/* Whether a node we just created, as ourselves, with the entry's
 * permission bits, already has the owner and mode the entry wants: then the
 * chown and chmod are skipped (a syscall each, for every file).  Not inside
 * a setgid dir (the group and bit are inherited), not for set-id or sticky
 * bits (create does not set them all, chown would clear them). */
static int fresh_ok(struct x *x, struct archive_entry *ent) {
  return !x->cache_sgid && archive_entry_uid(ent) == x->euid && archive_entry_gid(ent) == x->egid &&
         (archive_entry_perm(ent) & 07000) == 0;
}

/* Owner, mode, xattrs, times of an open file or dir (order matters: chown
 * clears set-id bits and file capabilities).  fresh: created just now by
 * us with the entry's permission bits. */
static int meta_fd(struct x *x, struct archive_entry *ent, int fd, int fresh, int times,
                   struct err **e) {
  if (!(fresh && fresh_ok(x, ent))) {
    if (fchown(fd, (uid_t)archive_entry_uid(ent), (gid_t)archive_entry_gid(ent)) < 0 &&
        !chown_ok(x))
      return err_set(e, errno, "chown");
    if (fchmod(fd, archive_entry_perm(ent) & 07777) < 0)
      return err_set(e, errno, "chmod");
  }
  if (set_xattrs_fd(ent, fd, NULL, e) < 0)
    return -1;
  if (times) {
    struct timespec ts[2];
    entry_times(ent, ts);
    if (futimens(fd, ts) < 0)
      return err_set(e, errno, "set times");
  }
  return 0;
}

/* The same for nodes that cannot be opened (symlinks, devices, fifos). */
static int meta_at(struct x *x, struct archive_entry *ent, int dfd, const char *leaf, int chmod,
                   struct err **e) {
  if (fchownat(dfd, leaf, (uid_t)archive_entry_uid(ent), (gid_t)archive_entry_gid(ent),
               AT_SYMLINK_NOFOLLOW) < 0 &&
      !chown_ok(x))
    return err_set(e, errno, "chown");
  if (chmod && fchmodat(dfd, leaf, archive_entry_perm(ent) & 07777, 0) < 0)
    return err_set(e, errno, "chmod");
  if (archive_entry_xattr_count(ent) > 0) {
    cleanup_free char *p = xasprintf("/proc/self/fd/%d/%s", dfd, leaf);
    if (set_xattrs_fd(ent, -1, p, e) < 0)
      return -1;
  }
  struct timespec ts[2];
  entry_times(ent, ts);
  if (utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return err_set(e, errno, "set times");
  return 0;
}

static int write_data(struct x *x, int fd, off_t *end, struct err **e) {
  const void *buf;
  size_t size;
  la_int64_t off;
  off_t pos = 0;
  for (;;) {
    int r = archive_read_data_block(x->tar, &buf, &size, &off);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return ar_err(x, x->tar, e);
    if (off != pos && lseek(fd, off, SEEK_SET) < 0) /* a sparse hole */
      return err_set(e, errno, "seek");
    if (write_all(fd, buf, size) < 0)
      return err_set(e, errno, "write");
    pos = off + (off_t)size;
  }
  *end = pos;
  return 0;
}

static int do_file(struct x *x, struct archive_entry *ent, int dfd, const char *leaf,
                   struct err **e) {
  /* With umask 0 (main), the file is born with the entry's permissions. */
  mode_t mode = archive_entry_perm(ent) & 0777;
  int fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST) {
    if (clear_leaf(dfd, leaf, 0, e) < 0)
      return -1;
    fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  }
  if (fd < 0)
    return err_set(e, errno, "create");
  cleanup_close int cfd = fd;
  la_int64_t size = archive_entry_size(ent);
  off_t end = 0;
  if (write_data(x, fd, &end, e) < 0)
    return -1;
  if (end != size && ftruncate(fd, size) < 0) /* a sparse tail */
    return err_set(e, errno, "truncate");
  x->t->content_size += (uint64_t)size;
  return meta_fd(x, ent, fd, 1, 1, e);
}

static int do_dir(struct x *x, struct archive_entry *ent, const char *rel, int dfd,
                  const char *leaf, struct err **e) {
  cleanup_close int fd = -1;
  int fresh = 0;
  if (rel[0] == '\0') {
    fd = fcntl(x->rootfd, F_DUPFD_CLOEXEC, 3);
  } else {
    /* As root, born with its final permissions; otherwise writable by us
     * until the end, so that its entries can be created. */
    mode_t mode = x->euid == 0 ? archive_entry_perm(ent) & 0777 : 0700;
    if (mkdirat(dfd, leaf, mode) == 0) {
      fresh = x->euid == 0;
    } else {
      if (errno != EEXIST)
        return err_set(e, errno, "mkdir");
      if (clear_leaf(dfd, leaf, 1, e) < 0) /* a non-dir in the way goes */
        return -1;
      if (mkdirat(dfd, leaf, mode) < 0 && errno != EEXIST)
        return err_set(e, errno, "mkdir");
    }
    /* Nothing to set through an fd: save the open. */
    if (!(fresh && fresh_ok(x, ent) && archive_entry_xattr_count(ent) == 0))
      fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    else
      fd = -2;
  }
  if (fd == -1)
    return err_set(e, errno, "open");
  if (fd >= 0 && meta_fd(x, ent, fd, fresh, 0, e) < 0)
    return -1;
  if (fd == -2)
    fd = -1;
  /* Times last, once nothing more is created inside. */
  if (x->ndirs == x->capdirs) {
    x->capdirs = x->capdirs ? x->capdirs * 2 : 64;
    x->dirs = xrealloc(x->dirs, x->capdirs * sizeof(*x->dirs));
  }
  x->dirs[x->ndirs].path = xstrdup(rel);
  entry_times(ent, x->dirs[x->ndirs].ts);
  x->ndirs++;
  return 0;
}

static int do_hardlink(struct x *x, const char *rel, const char *target_raw, int dfd,
                       const char *leaf, struct err **e) {
  cleanup_free char *target = clean_name(target_raw, e);
  if (target == NULL)
    return err_wrap(e, "hardlink target '%s'", target_raw);
  if (target[0] == '\0')
    return err_setc(e, ERR_USAGE, 0, "hardlink to the layer's top directory");
  cleanup_free char *tparent = NULL;
  const char *tleaf;
  split(target, &tparent, &tleaf);
  struct err *te = NULL;
  cleanup_close int tfd = tree_open_dir(x->rootfd, tparent, 0, &te);
  struct stat st;
  if (tfd < 0 || fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (tfd < 0 && te->code != ERR_NOTFOUND) {
      *e = te;
      return err_wrap(e, "hardlink target '%s'", target);
    }
    err_free(&te);
    if (tfd >= 0 && errno != ENOENT)
      return err_set(e, errno, "hardlink target '%s'", target);
    /* Not in this layer: a file of a lower layer (docker allows it). */
    if (x->t->nlinks == x->capl) {
      x->capl = x->capl ? x->capl * 2 : 8;
      x->t->links = xrealloc(x->t->links, x->capl * sizeof(*x->t->links));
    }
    x->t->links[x->t->nlinks].name = xstrdup(rel);
    x->t->links[x->t->nlinks].target = steal_ptr(&target);
    x->t->nlinks++;
    return clear_leaf(dfd, leaf, 0, e);
  }
  if (S_ISDIR(st.st_mode))
    return err_setc(e, ERR_USAGE, 0, "hardlink to directory '%s'", target);
  struct stat cur;
  if (fstatat(dfd, leaf, &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_ino == st.st_ino &&
      cur.st_dev == st.st_dev)
    return 0; /* already the same file */
  if (clear_leaf(dfd, leaf, 0, e) < 0)
    return -1;
  if (linkat(tfd, tleaf, dfd, leaf, 0) < 0)
    return err_set(e, errno, "link to '%s'", target);
  return 0;
}

static int do_whiteout(int dfd, const char *leaf, struct err **e) {
  if (strcmp(leaf, ".wh..wh..opq") == 0) {
    if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
      return err_set(e, errno, "mark the directory opaque");
    return 0;
  }
  if (strncmp(leaf, ".wh..wh.", 8) == 0)
    return 0; /* aufs metadata (".wh..wh.plnk"…): nothing for overlay */
  const char *name = leaf + 4;
  if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
      strchr(name, '/') != NULL)
    return err_setc(e, ERR_USAGE, 0, "invalid whiteout");
  if (clear_leaf(dfd, name, 0, e) < 0)
    return -1;
  if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
    return err_set(e, errno, "make the whiteout for '%s'", name);
  return 0;
}

static int do_entry(struct x *x, struct archive_entry *ent, struct err **e) {
  const char *raw = archive_entry_pathname(ent);
  if (raw == NULL)
    raw = archive_entry_pathname_utf8(ent);
  if (raw == NULL)
    return err_setc(e, ERR_USAGE, 0, "entry without a name");
  cleanup_free char *rel = clean_name(raw, e);
  if (rel == NULL)
    return err_wrap(e, "entry '%s'", raw);
  cleanup_free char *parent = NULL;
  const char *leaf;
  split(rel, &parent, &leaf);
  int dfd = parent_fd(x, parent, e);
  if (dfd < 0)
    return err_wrap(e, "entry '%s'", raw);
  /* A later entry for the same path wins over a pending hardlink. */
  for (size_t i = 0; i < x->t->nlinks; i++) {
    if (strcmp(x->t->links[i].name, rel) == 0) {
      free(x->t->links[i].name);
      free(x->t->links[i].target);
      x->t->links[i--] = x->t->links[--x->t->nlinks];
    }
  }
  int r;
  const char *hl = archive_entry_hardlink(ent);
  mode_t type = archive_entry_filetype(ent);
  if (rel[0] != '\0' && !x->o->plain && strncmp(leaf, ".wh.", 4) == 0) {
    r = do_whiteout(dfd, leaf, e);
  } else if (hl != NULL) {
    r = do_hardlink(x, rel, hl, dfd, leaf, e);
  } else if (rel[0] == '\0' && type != AE_IFDIR) {
    r = err_setc(e, ERR_USAGE, 0, "the layer's top is not a directory");
  } else {
    switch (type) {
      case AE_IFDIR: r = do_dir(x, ent, rel, dfd, leaf, e); break;
      case AE_IFREG: r = do_file(x, ent, dfd, leaf, e); break;
      case AE_IFLNK: {
        const char *target = archive_entry_symlink(ent);
        if (target == NULL)
          target = archive_entry_symlink_utf8(ent);
        if (target == NULL) {
          r = err_setc(e, ERR_USAGE, 0, "symlink without a target");
          break;
        }
        r = clear_leaf(dfd, leaf, 0, e);
        if (r == 0 && symlinkat(target, dfd, leaf) < 0)
          r = err_set(e, errno, "symlink");
        if (r == 0)
          r = meta_at(x, ent, dfd, leaf, 0, e);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        r = clear_leaf(dfd, leaf, 0, e);
        if (r == 0 && mknodat(dfd, leaf, type | 0600, archive_entry_rdev(ent)) < 0) {
          if (errno == EPERM && type != AE_IFIFO)
            r = err_setc(e, ERR_USAGE, EPERM, "device node (needs root, CAP_MKNOD)");
          else
            r = err_set(e, errno, "mknod");
        }
        if (r == 0)
          r = meta_at(x, ent, dfd, leaf, 1, e);
        break;
      case AE_IFSOCK:
        r = 0; /* sockets are not archived content; docker skips them too */
        break;
      default: r = err_setc(e, ERR_USAGE, 0, "unknown entry type %#o", (unsigned)type);
    }
  }
  if (r < 0)
    return err_wrap(e, "entry '%s'", raw);
  return 0;
}

static int finish_dirs(struct x *x, struct err **e) {
  for (size_t i = x->ndirs; i-- > 0;) {
    struct err *ig = NULL;
    int fd = tree_open_dir(x->rootfd, x->dirs[i].path, 0, &ig);
    if (fd < 0) { /* replaced by a later entry */
      err_free(&ig);
      continue;
    }
    int r = futimens(fd, x->dirs[i].ts);
    close(fd);
    if (r < 0)
      return err_set(e, errno, "set times of '%s'", x->dirs[i].path);
  }
  return 0;
}

static void x_free(struct x *x) {
  if (x->raw)
    archive_read_free(x->raw);
  if (x->tar)
    archive_read_free(x->tar);
  if (x->sha)
    sha256_free(x->sha);
  err_free(&x->src_err);
  cache_drop(x);
  if (x->rootfd >= 0)
    close(x->rootfd);
  for (size_t i = 0; i < x->ndirs; i++)
    free(x->dirs[i].path);
  free(x->dirs);
  free(x->cbuf);
  free(x->tbuf);
}

static int run(struct x *x, struct err **e) {
  x->raw = archive_read_new();
  archive_read_support_filter_gzip(x->raw);
  archive_read_support_filter_zstd(x->raw);
  archive_read_support_format_raw(x->raw);
  if (archive_read_open(x->raw, x, NULL, raw_read, NULL) != ARCHIVE_OK)
    return ar_err(x, x->raw, e);
  struct archive_entry *ent;
  if (archive_read_next_header(x->raw, &ent) != ARCHIVE_OK)
    return ar_err(x, x->raw, e);
  x->tar = archive_read_new();
  archive_read_support_format_tar(x->tar);
  if (archive_read_open(x->tar, x, NULL, tar_read, NULL) != ARCHIVE_OK)
    return ar_err(x, x->tar, e);
  for (;;) {
    int r = archive_read_next_header(x->tar, &ent);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return ar_err(x, x->tar, e);
    if (do_entry(x, ent, e) < 0)
      return -1;
  }
  /* The diffid covers the whole tar, padding after the end marker too. */
  for (; !x->o->plain;) {
    la_ssize_t n = archive_read_data(x->raw, x->tbuf, TBUF_SIZE);
    if (n < 0)
      return ar_err(x, x->raw, e);
    if (n == 0)
      break;
    sha256_update(x->sha, x->tbuf, (size_t)n);
    x->t->tar_size += (uint64_t)n;
    if (x->t->tar_size > x->max) {
      x->too_big = 1;
      return ar_err(x, x->raw, e);
    }
  }
  if (finish_dirs(x, e) < 0)
    return -1;
  sha256_final(x->sha, x->t->diffid);
  x->sha = NULL;
  if (x->o->diffid != NULL && strcmp(x->o->diffid, x->t->diffid) != 0)
    return err_setc(e, ERR_USAGE, 0, "diffid mismatch: the config says %s, the layer is %s",
                    x->o->diffid, x->t->diffid);
  return 0;
}

struct layer_tmp *layer_extract(const struct store *s, const struct layer_src *src,
                                const struct layer_opts *o, struct err **e) {
  struct layer_tmp *t = xcalloc(1, sizeof(*t));
  t->dir = path_join(s->tmp, "layer-XXXXXX");
  if (mkdtemp(t->dir) == NULL) {
    err_set(e, errno, "create a temp dir in '%s'", s->tmp);
    free(t->dir);
    t->dir = NULL;
    layer_tmp_free(t);
    return NULL;
  }
  struct x x = {.src = src, .o = o, .t = t, .rootfd = -1, .cache_fd = -1};
  x.max = o->max_size ? o->max_size : LAYER_MAX_DEFAULT;
  x.euid = (int)geteuid();
  x.egid = (int)getegid();
  x.sha = sha256_new();
  x.cbuf = xmalloc(CBUF_SIZE);
  x.tbuf = xmalloc(TBUF_SIZE);
  x.rootfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = -1;
  if (x.rootfd < 0)
    err_set(e, errno, "open '%s'", t->dir);
  else if (fchmod(x.rootfd, 0755) < 0)
    err_set(e, errno, "chmod '%s'", t->dir);
  else
    r = run(&x, e);
  x_free(&x);
  if (r < 0) {
    layer_tmp_free(t);
    return NULL;
  }
  return t;
}

const char *layer_tmp_diffid(const struct layer_tmp *t) {
  return t->diffid;
}

const char *layer_tmp_dir(const struct layer_tmp *t) {
  return t->dir;
}

int layer_tmp_needs_lowers(const struct layer_tmp *t) {
  return t->nlinks > 0;
}

void layer_tmp_free(struct layer_tmp *t) {
  if (t == NULL)
    return;
  if (t->dir != NULL) {
    struct err *ig = NULL;
    rm_rf(t->dir, &ig);
    err_free(&ig);
    free(t->dir);
  }
  for (size_t i = 0; i < t->nlinks; i++) {
    free(t->links[i].name);
    free(t->links[i].target);
  }
  free(t->links);
  free(t);
}
