#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mem.h"

#define READ_MAX_DEFAULT (64u << 20)

int mkdir_p(const char *path, mode_t mode, struct err **e) {
  cleanup_free char *p = xstrdup(path);
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  /* Usually only the last component is missing, or none is: one mkdir
   * then, instead of one per component. */
  int r = mkdir(p, mode);
  if (r < 0 && errno == ENOENT) {
    for (char *s = p + 1; *s; s++) {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir(p, mode) < 0 && errno != EEXIST)
        return err_set(e, errno, "mkdir '%s'", p);
      *s = '/';
    }
    r = mkdir(p, mode);
  }
  if (r < 0) {
    struct stat st;
    if (errno != EEXIST)
      return err_set(e, errno, "mkdir '%s'", p);
    if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
      return err_set(e, ENOTDIR, "mkdir '%s'", p);
  }
  return 0;
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

char *read_fd(int fd, const char *name, size_t max, size_t *len, struct err **e) {
  if (max == 0)
    max = READ_MAX_DEFAULT;
  size_t cap = 8192, n = 0;
  cleanup_free char *buf = xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      err_set(e, errno, "read '%s'", name);
      return NULL;
    }
    if (r == 0)
      break;
    n += (size_t)r;
    if (n > max) {
      err_setc(e, ERR_USAGE, 0, "read '%s': larger than %zu bytes", name, max);
      return NULL;
    }
  }
  buf[n] = '\0';
  if (len != NULL)
    *len = n;
  return steal_ptr(&buf);
}

char *read_file(const char *path, size_t max, size_t *len, struct err **e) {
  if (strcmp(path, "-") == 0)
    return read_fd(0, "stdin", max, len, e);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err_set(e, errno, "open '%s'", path);
    return NULL;
  }
  return read_fd(fd, path, max, len, e);
}

/* Temp file in the same directory, then rename: readers see the old or
 * the new content, never a torn file.  durable adds the fsyncs (file, then
 * directory) that make the new content survive a power loss too. */
static int write_replacing(const char *path, const void *buf, size_t len, mode_t mode, bool durable,
                           struct err **e) {
  cleanup_free char *tmp = xasprintf("%s.tmp-XXXXXX", path);
  cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "create temp file for '%s'", path);
  if (fchmod(fd, mode) < 0 || write_all(fd, buf, len) < 0 || (durable && fsync(fd) < 0)) {
    int saved = errno;
    unlink(tmp);
    return err_set(e, saved, "write '%s'", tmp);
  }
  if (rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    return err_set(e, saved, "rename '%s' to '%s'", tmp, path);
  }
  if (!durable)
    return 0;
  cleanup_free char *dir_copy = xstrdup(path);
  cleanup_close int dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    fsync(dfd); /* best effort: the rename is already visible */
  return 0;
}

int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, struct err **e) {
  return write_replacing(path, buf, len, mode, true, e);
}

int write_file_replace(const char *path, const void *buf, size_t len, mode_t mode, struct err **e) {
  return write_replacing(path, buf, len, mode, false, e);
}

char *path_join(const char *a, const char *b) {
  size_t la = strlen(a);
  while (la > 0 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  if (*b == '\0')
    return la ? xstrndup(a, la) : xstrdup("/");
  return xasprintf("%.*s/%s", (int)la, a, b);
}

char *path_clean(const char *p) {
  int abs = p[0] == '/';
  size_t n = strlen(p);
  char *out = xmalloc(n + 2);
  size_t o = 0;
  if (abs)
    out[o++] = '/';
  size_t base = o; /* ".." never removes what is before this */
  const char *s = p;
  while (*s) {
    while (*s == '/')
      s++;
    if (!*s)
      break;
    const char *end = strchrnul(s, '/');
    size_t len = (size_t)(end - s);
    if (len == 1 && s[0] == '.') {
      /* skip */
    } else if (len == 2 && s[0] == '.' && s[1] == '.') {
      if (o > base) {
        while (o > base && out[o - 1] != '/')
          o--;
        if (o > base)
          o--; /* the '/' before the removed component */
        /* a relative path that climbed to its start: drop the separator */
        if (o < base)
          o = base;
        /* if what remains ends in "..", we just removed a real component */
      } else if (!abs) {
        if (o > 0)
          out[o++] = '/';
        out[o++] = '.';
        out[o++] = '.';
        base = o;
      }
    } else {
      if (o > 0 && out[o - 1] != '/')
        out[o++] = '/';
      memcpy(out + o, s, len);
      o += len;
    }
    s = end;
  }
  if (o == 0)
    out[o++] = '.';
  out[o] = '\0';
  return out;
}

/* ---- rm_rf ------------------------------------------------------------ */

/* The mount a directory fd is on: statx's mount id tells bind mounts of the
 * same filesystem apart, which st_dev cannot; st_dev is the fallback on
 * kernels before 5.8. */
struct mnt_key {
  uint64_t mnt_id; /* 0 when unknown */
  dev_t dev;
  ino_t ino;
};

static int mnt_key_of(int fd, struct mnt_key *k) {
  struct statx sx;
  memset(k, 0, sizeof(*k));
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_MNT_ID, &sx) == 0) {
    if (sx.stx_mask & STATX_MNT_ID)
      k->mnt_id = sx.stx_mnt_id;
    k->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
    k->ino = sx.stx_ino;
    return 0;
  }
  struct stat st;
  if (fstat(fd, &st) < 0)
    return -1;
  k->dev = st.st_dev;
  k->ino = st.st_ino;
  return 0;
}

static int same_mount(const struct mnt_key *a, const struct mnt_key *b) {
  if (a->mnt_id != 0 && b->mnt_id != 0)
    return a->mnt_id == b->mnt_id;
  return a->dev == b->dev;
}

/* One directory level of the walk: the names it held when we read it, and
 * which one is next.  Names are read up front so that only the fd of the
 * directory being emptied is open, whatever the depth of the tree. */
struct rm_level {
  char *name; /* this dir's name in its parent */
  struct mnt_key key;
  char **names;
  size_t nnames, next;
};

static char **read_names(int dirfd, size_t *n, int *errnum) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *errnum = errno;
    return NULL;
  }
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    *errnum = errno;
    close(fd);
    return NULL;
  }
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  struct dirent *de;
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (cnt + 1 >= cap) {
      cap = cap ? cap * 2 : 16;
      v = xrealloc(v, cap * sizeof(*v));
    }
    v[cnt++] = xstrdup(de->d_name);
    errno = 0;
  }
  int rerr = errno;
  closedir(d);
  if (v == NULL)
    v = xcalloc(1, sizeof(*v));
  v[cnt] = NULL;
  if (rerr != 0) {
    strv_free(v);
    *errnum = rerr;
    return NULL;
  }
  *n = cnt;
  return v;
}

/* "a/b/c" for messages, from the levels walked so far. */
static char *rm_path(const char *top, struct rm_level *lv, size_t depth, const char *leaf) {
  char *p = xstrdup(top);
  for (size_t i = 1; i < depth; i++) {
    char *q = path_join(p, lv[i].name);
    free(p);
    p = q;
  }
  if (leaf != NULL) {
    char *q = path_join(p, leaf);
    free(p);
    p = q;
  }
  return p;
}

int rm_rf(const char *path, struct err **e) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : err_set(e, errno, "remove '%s'", path);
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path) < 0 && errno != ENOENT)
      return err_set(e, errno, "remove '%s'", path);
    return 0;
  }

  /* The top directory must be on the same mount as its parent, or we would
   * empty a mounted filesystem (a container's rootfs, a volume). */
  cleanup_free char *copy = xstrdup(path);
  cleanup_free char *copy2 = xstrdup(path);
  const char *parent = dirname(copy), *base = basename(copy2);
  if (strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return err_setc(e, ERR_USAGE, EINVAL, "remove '%s'", path);
  cleanup_close int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    return err_set(e, errno, "remove '%s': open parent", path);
  int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : err_set(e, errno, "remove '%s'", path);
  struct mnt_key pkey, top;
  if (mnt_key_of(pfd, &pkey) < 0 || mnt_key_of(fd, &top) < 0) {
    int saved = errno;
    close(fd);
    return err_set(e, saved, "remove '%s': stat", path);
  }
  if (!same_mount(&pkey, &top)) {
    close(fd);
    return err_set(e, EBUSY, "remove '%s': is a mount point", path);
  }

  size_t depth = 0, cap = 8;
  struct rm_level *lv = xcalloc(cap, sizeof(*lv));
  int ret = 0, errnum = 0;
  lv[0].name = xstrdup(base);
  lv[0].key = top;
  lv[0].names = read_names(fd, &lv[0].nnames, &errnum);
  depth = 1;
  if (lv[0].names == NULL) {
    ret = err_set(e, errnum, "remove '%s': read directory", path);
    goto out;
  }

  while (depth > 0) {
    struct rm_level *cur = &lv[depth - 1];
    if (cur->next < cur->nnames) {
      const char *name = cur->names[cur->next++];
      if (unlinkat(fd, name, 0) == 0 || errno == ENOENT)
        continue;
      if (errno != EISDIR) {
        cleanup_free char *p = rm_path(path, lv, depth, name);
        ret = err_set(e, errno, "remove '%s'", p);
        goto out;
      }
      int child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) {
        if (errno == ENOENT)
          continue;
        cleanup_free char *p = rm_path(path, lv, depth, name);
        ret = err_set(e, errno, "remove '%s'", p);
        goto out;
      }
      struct mnt_key k;
      if (mnt_key_of(child, &k) < 0 || !same_mount(&top, &k)) {
        int saved = errno;
        close(child);
        cleanup_free char *p = rm_path(path, lv, depth, name);
        ret = err_set(e, same_mount(&top, &k) ? saved : EBUSY, "remove '%s'%s", p,
                      same_mount(&top, &k) ? "" : ": is a mount point");
        goto out;
      }
      if (depth == cap) {
        cap *= 2;
        lv = xrealloc(lv, cap * sizeof(*lv));
      }
      memset(&lv[depth], 0, sizeof(lv[depth]));
      lv[depth].name = xstrdup(name);
      lv[depth].key = k;
      lv[depth].names = read_names(child, &lv[depth].nnames, &errnum);
      close(fd);
      fd = child;
      depth++;
      if (lv[depth - 1].names == NULL) {
        cleanup_free char *p = rm_path(path, lv, depth, NULL);
        ret = err_set(e, errnum, "remove '%s': read directory", p);
        goto out;
      }
      continue;
    }
    /* cur is empty: climb back to its parent through "..", checking that it
     * is still the directory we came from (not moved meanwhile), and remove
     * it there.  The top level is removed through pfd. */
    if (depth == 1) {
      close(fd);
      fd = -1;
      if (unlinkat(pfd, base, AT_REMOVEDIR) < 0 && errno != ENOENT)
        ret = err_set(e, errno, "remove '%s'", path);
      break; /* the level itself is freed below */
    }
    int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct mnt_key k;
    if (up < 0 || mnt_key_of(up, &k) < 0 || k.ino != lv[depth - 2].key.ino ||
        k.dev != lv[depth - 2].key.dev) {
      int saved = up < 0 ? errno : ESTALE;
      if (up >= 0)
        close(up);
      cleanup_free char *p = rm_path(path, lv, depth - 1, NULL);
      ret = err_set(e, saved, "remove '%s': directory moved during removal", p);
      goto out;
    }
    close(fd);
    fd = up;
    if (unlinkat(fd, cur->name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
      cleanup_free char *p = rm_path(path, lv, depth, NULL);
      ret = err_set(e, errno, "remove '%s'", p);
      goto out;
    }
    free(cur->name);
    strv_free(cur->names);
    depth--;
  }
out:
  if (fd >= 0)
    close(fd);
  for (size_t i = 0; i < depth; i++) {
    free(lv[i].name);
    strv_free(lv[i].names);
  }
  free(lv);
  return ret;
}

/* ---- resolution inside a root ----------------------------------------- */

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#else
struct open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_SYMLINKS 40 /* the kernel's own limit (MAXSYMLINKS) */

static int force_fallback = -1; /* -1: not decided yet, from the environment */

void fs_force_fallback(int on) {
  force_fallback = on ? 1 : 0;
}

static int use_fallback(void) {
  if (force_fallback < 0) {
    const char *v = getenv("CAIRN_FS_NO_OPENAT2");
    force_fallback = v != NULL && strcmp(v, "1") == 0;
  }
  return force_fallback;
}

/* The state of a walk: one O_PATH fd per resolved level (fds[0] is the
 * root), so ".." is a pop and never an open of "..", which could climb out
 * of the root through a concurrent rename.  Components past a missing one
 * are kept as names only. */
struct walk {
  int *fds;
  char **names; /* names[i] is the component that led to fds[i + 1] */
  size_t n, cap;
  char **missing;
  size_t nmissing;
};

static void walk_push(struct walk *w, int fd, const char *name) {
  if (w->n == w->cap) {
    w->cap = w->cap ? w->cap * 2 : 16;
    w->fds = xrealloc(w->fds, w->cap * sizeof(int));
    w->names = xrealloc(w->names, w->cap * sizeof(char *));
  }
  w->fds[w->n] = fd;
  w->names[w->n] = name ? xstrdup(name) : NULL;
  w->n++;
}

static void walk_pop(struct walk *w) {
  w->n--;
  close(w->fds[w->n]);
  free(w->names[w->n]);
}

static void walk_free(struct walk *w) {
  while (w->n > 0)
    walk_pop(w);
  free(w->fds);
  free(w->names);
  for (size_t i = 0; i < w->nmissing; i++)
    free(w->missing[i]);
  free(w->missing);
}

/* Resolve path under w->fds[0] with RESOLVE_IN_ROOT semantics.  With
 * allow_missing, components from the first missing one on go to
 * w->missing (".." still pops them, then resumes the real walk).  With
 * nofollow_last, a symlink as the very last component is kept.  Returns 0
 * or an errno value. */
static int walk(struct walk *w, const char *path, int allow_missing, int nofollow_last) {
  size_t cap = strlen(path) + 1;
  char *todo = xmalloc(cap);
  memcpy(todo, path, cap);
  size_t pos = 0;
  int links = 0, rc = 0;
  char *link = xmalloc(PATH_MAX + 1);
  while (todo[pos] != '\0') {
    while (todo[pos] == '/')
      pos++;
    if (todo[pos] == '\0')
      break;
    size_t len = strcspn(todo + pos, "/");
    char *c = xstrndup(todo + pos, len);
    pos += len;
    int last = todo[pos] == '\0';
    if (strcmp(c, ".") == 0) {
      free(c);
      continue;
    }
    if (strcmp(c, "..") == 0) {
      if (w->nmissing > 0)
        free(w->missing[--w->nmissing]);
      else if (w->n > 1)
        walk_pop(w);
      free(c);
      continue;
    }
    if (w->nmissing > 0) {
      w->missing = xrealloc(w->missing, (w->nmissing + 1) * sizeof(char *));
      w->missing[w->nmissing++] = c;
      continue;
    }
    int fd = openat(w->fds[w->n - 1], c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT && allow_missing) {
        w->missing = xrealloc(w->missing, (w->nmissing + 1) * sizeof(char *));
        w->missing[w->nmissing++] = c;
        continue;
      }
      rc = errno;
      free(c);
      break;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
      rc = errno;
      close(fd);
      free(c);
      break;
    }
    if (S_ISLNK(st.st_mode) && !(last && nofollow_last)) {
      ssize_t n = readlinkat(fd, "", link, PATH_MAX + 1);
      close(fd);
      free(c);
      if (n < 0 || n > PATH_MAX) {
        rc = n < 0 ? errno : ENAMETOOLONG;
        break;
      }
      if (++links > MAX_SYMLINKS) {
        rc = ELOOP;
        break;
      }
      link[n] = '\0';
      if (link[0] == '/') /* absolute: from the root, not the host's "/" */
        while (w->n > 1)
          walk_pop(w);
      /* The rest of the path now follows the link's target. */
      size_t rest = strlen(todo + pos);
      char *next = xmalloc((size_t)n + rest + 2);
      memcpy(next, link, (size_t)n);
      size_t at = (size_t)n;
      if (rest > 0) /* no separator after a last component: "x/" is not "x" */
        next[at++] = '/';
      memcpy(next + at, todo + pos, rest + 1);
      free(todo);
      todo = next;
      pos = 0;
      continue;
    }
    if (!S_ISDIR(st.st_mode) && !last) {
      close(fd);
      free(c);
      rc = ENOTDIR;
      break;
    }
    walk_push(w, fd, c);
    free(c);
  }
  free(link);
  free(todo);
  return rc;
}

static int open_root(const char *root, struct err **e) {
  int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open root '%s'", root);
  return fd;
}

char *path_in_root(const char *root, const char *path, struct err **e) {
  int rfd = open_root(root, e);
  if (rfd < 0)
    return NULL;
  struct walk w = {0};
  walk_push(&w, rfd, NULL);
  int rc = walk(&w, path, 1, 0);
  if (rc != 0) {
    walk_free(&w);
    err_set(e, rc, "resolve '%s' in '%s'", path, root);
    return NULL;
  }
  size_t len = strlen(root) + 2;
  for (size_t i = 1; i < w.n; i++)
    len += strlen(w.names[i]) + 1;
  for (size_t i = 0; i < w.nmissing; i++)
    len += strlen(w.missing[i]) + 1;
  char *out = xmalloc(len);
  size_t o = strlen(root);
  memcpy(out, root, o);
  while (o > 1 && out[o - 1] == '/')
    o--;
  for (size_t i = 1; i < w.n + w.nmissing; i++) {
    const char *c = i < w.n ? w.names[i] : w.missing[i - w.n];
    if (o == 0 || out[o - 1] != '/')
      out[o++] = '/';
    size_t cl = strlen(c);
    memcpy(out + o, c, cl);
    o += cl;
  }
  out[o] = '\0';
  walk_free(&w);
  return out;
}

/* Re-open the O_PATH result of a walk with the caller's flags, through its
 * parent and with O_NOFOLLOW, then check it is the same inode: a swap of the
 * last component in between is caught rather than followed. */
static int reopen(struct walk *w, int flags, int *errnum) {
  int fd = w->n == 1 ? openat(w->fds[0], ".", flags)
                     : openat(w->fds[w->n - 2], w->names[w->n - 1], flags | O_NOFOLLOW);
  if (fd < 0) {
    *errnum = errno;
    return -1;
  }
  struct stat a, b;
  if (fstat(fd, &a) < 0 || fstat(w->fds[w->n - 1], &b) < 0 || a.st_ino != b.st_ino ||
      a.st_dev != b.st_dev) {
    close(fd);
    *errnum = EAGAIN;
    return -1;
  }
  return fd;
}

int open_in_root(const char *root, const char *path, int flags, struct err **e) {
  if (flags == 0)
    flags = O_PATH;
  flags |= O_CLOEXEC;
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
    return err_set(e, EINVAL, "open '%s' in '%s': O_CREAT is not supported", path, root);
  if (*path == '\0')
    path = ".";
  cleanup_close int rfd = open_root(root, e);
  if (rfd < 0)
    return -1;
  if (!use_fallback()) {
    struct open_how how = {
        .flags = (uint64_t)flags,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    for (int tries = 0; tries < 16; tries++) {
      long fd = syscall(SYS_openat2, rfd, path, &how, sizeof(how));
      if (fd >= 0)
        return (int)fd;
      if (errno == EAGAIN || errno == EINTR) /* a rename raced the lookup */
        continue;
      /* ENOSYS: kernel before 5.6; EPERM: a seccomp filter that does not
       * know the syscall.  Both get the userspace walk. */
      if (errno != ENOSYS && errno != EPERM)
        return err_set(e, errno, "open '%s' in '%s'", path, root);
      break;
    }
    if (errno == EAGAIN)
      return err_set(e, errno, "open '%s' in '%s'", path, root);
  }
  struct walk w = {0};
  walk_push(&w, steal_fd(&rfd), NULL);
  int rc = walk(&w, path, 0, (flags & O_NOFOLLOW) != 0);
  int fd = -1;
  if (rc == 0)
    fd = reopen(&w, flags, &rc);
  walk_free(&w);
  if (fd < 0)
    return err_set(e, rc, "open '%s' in '%s'", path, root);
  return fd;
}
