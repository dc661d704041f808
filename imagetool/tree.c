#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "mem.h"

int tree_xattr_forbidden(const char *name) {
  return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0;
}

/* openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS does the whole walk in
 * one call; kernels before 5.6 lack it, and then the walk below is used. */
static int fast_open(int rootfd, const char *rel) {
  static int missing;
  if (missing)
    return -1;
  struct open_how how = {
      .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
  if (fd < 0 && errno == ENOSYS)
    missing = 1;
  return fd;
}

int tree_open_dir(int rootfd, const char *rel, int create, struct err **e) {
  if (rel[0] == '\0')
    rel = ".";
  int fd = fast_open(rootfd, rel);
  if (fd >= 0)
    return fd;
  /* One component at a time, to create what is missing and to name what
   * is in the way. */
  cleanup_free char *p = xstrdup(rel);
  cleanup_close int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
  if (cur < 0)
    return err_set(e, errno, "dup");
  char *save = NULL;
  for (char *c = strtok_r(p, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
    size_t upto = (size_t)(c - p) + strlen(c);
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0)
      return err_setc(e, ERR_USAGE, 0, "'%.*s' climbs out", (int)upto, rel);
    int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
        return err_set(e, errno, "mkdir '%.*s'", (int)upto, rel);
      next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      int saved = errno;
      struct stat st;
      if (fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode))
          return err_setc(e, ERR_USAGE, 0, "'%.*s' is a symlink", (int)upto, rel);
        if (!S_ISDIR(st.st_mode))
          return err_setc(e, ERR_USAGE, 0, "'%.*s' is not a directory", (int)upto, rel);
      }
      return err_setc(e, saved == ENOENT ? ERR_NOTFOUND : ERR_FAIL, saved, "open '%.*s'", (int)upto,
                      rel);
    }
    /* A mount point inside the tree is not part of it. */
    struct stat a, b;
    if (fstat(cur, &a) == 0 && fstat(next, &b) == 0 && a.st_dev != b.st_dev) {
      close(next);
      return err_setc(e, ERR_USAGE, 0, "'%.*s' is another filesystem", (int)upto, rel);
    }
    close(cur);
    cur = next;
  }
  return steal_fd(&cur);
}

static int remove_tree_fd(int dfd, dev_t dev, struct err **e) {
  cleanup_dir DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return err_set(e, errno, "opendir");
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        continue;
      return err_set(e, errno, "stat '%s'", de->d_name);
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev)
        return err_setc(e, ERR_FAIL, EBUSY, "remove '%s'", de->d_name);
      int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        return err_set(e, errno, "open '%s'", de->d_name);
      if (remove_tree_fd(sub, dev, e) < 0)
        return err_wrap(e, "'%s'", de->d_name);
      if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return err_set(e, errno, "rmdir '%s'", de->d_name);
    } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
      return err_set(e, errno, "unlink '%s'", de->d_name);
    }
  }
  if (errno != 0)
    return err_set(e, errno, "readdir");
  return 0;
}

int tree_remove_at(int dirfd, const char *name, struct err **e) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : err_set(e, errno, "stat '%s'", name);
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
      return err_set(e, errno, "unlink '%s'", name);
    return 0;
  }
  int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return err_set(e, errno, "open '%s'", name);
  if (remove_tree_fd(sub, st.st_dev, e) < 0)
    return err_wrap(e, "remove '%s'", name);
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return err_set(e, errno, "rmdir '%s'", name);
  return 0;
}

/* xattrs of a node reached through /proc/self/fd (works for symlinks and
 * devices, which cannot be opened for fgetxattr). */
static int copy_xattrs_path(const char *src, const char *dst, struct err **e) {
  ssize_t n = llistxattr(src, NULL, 0);
  if (n <= 0)
    return 0; /* none, or a filesystem without xattrs */
  cleanup_free char *names = xmalloc((size_t)n);
  n = llistxattr(src, names, (size_t)n);
  if (n < 0)
    return err_set(e, errno, "list xattrs of '%s'", src);
  for (char *k = names; k < names + n; k += strlen(k) + 1) {
    if (tree_xattr_forbidden(k))
      continue;
    ssize_t vl = lgetxattr(src, k, NULL, 0);
    if (vl < 0)
      continue;
    cleanup_free char *v = xmalloc((size_t)vl + 1);
    vl = lgetxattr(src, k, v, (size_t)vl);
    if (vl < 0)
      continue;
    if (lsetxattr(dst, k, v, (size_t)vl, 0) < 0 && errno != ENOTSUP && errno != EPERM)
      return err_set(e, errno, "set xattr '%s'", k);
  }
  return 0;
}

int tree_copy_meta_fd(int sfd, int dfd, const struct stat *st, struct err **e) {
  if (fchown(dfd, st->st_uid, st->st_gid) < 0 && !(errno == EPERM && geteuid() != 0))
    return err_set(e, errno, "chown");
  if (fchmod(dfd, st->st_mode & 07777) < 0)
    return err_set(e, errno, "chmod");
  char sp[64], dp[64];
  snprintf(sp, sizeof(sp), "/proc/self/fd/%d", sfd);
  snprintf(dp, sizeof(dp), "/proc/self/fd/%d", dfd);
  if (copy_xattrs_path(sp, dp, e) < 0)
    return -1;
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  if (futimens(dfd, ts) < 0)
    return err_set(e, errno, "set times");
  return 0;
}

static int copy_data(int sfd, int dfd, off_t size, struct err **e) {
  if (ioctl(dfd, FICLONE, sfd) == 0)
    return 0;
  off_t left = size;
  while (left > 0) {
    ssize_t n = copy_file_range(sfd, NULL, dfd, NULL, (size_t)left, 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
      break;
    if (n < 0)
      return err_set(e, errno, "copy");
    if (n == 0)
      return 0;
    left -= n;
  }
  if (left == 0)
    return 0;
  char buf[65536];
  for (;;) {
    ssize_t n = read(sfd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return err_set(e, errno, "read");
    if (n == 0)
      return 0;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(dfd, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return err_set(e, errno, "write");
      off += w;
    }
  }
}

int tree_copy_node(int sdir, const char *src, int ddir, const char *dst, struct err **e) {
  struct stat st;
  if (fstatat(sdir, src, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return err_set(e, errno, "stat '%s'", src);
  if (S_ISREG(st.st_mode)) {
    cleanup_close int sfd = openat(sdir, src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
      return err_set(e, errno, "open '%s'", src);
    cleanup_close int dfd =
        openat(ddir, dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (dfd < 0)
      return err_set(e, errno, "create '%s'", dst);
    if (copy_data(sfd, dfd, st.st_size, e) < 0 || tree_copy_meta_fd(sfd, dfd, &st, e) < 0)
      return err_wrap(e, "'%s'", dst);
    return 0;
  }
  if (S_ISLNK(st.st_mode)) {
    cleanup_free char *target = xmalloc((size_t)st.st_size + 1);
    ssize_t n = readlinkat(sdir, src, target, (size_t)st.st_size + 1);
    if (n < 0 || n > st.st_size)
      return err_set(e, n < 0 ? errno : EIO, "readlink '%s'", src);
    target[n] = '\0';
    if (symlinkat(target, ddir, dst) < 0)
      return err_set(e, errno, "symlink '%s'", dst);
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
             S_ISSOCK(st.st_mode)) {
    if (mknodat(ddir, dst, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0)
      return err_set(e, errno, "mknod '%s'", dst);
  } else {
    return err_set(e, 0, "'%s': cannot copy a directory as a node", src);
  }
  /* Metadata of a node that cannot be opened: through its parent. */
  if (fchownat(ddir, dst, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
      !(errno == EPERM && geteuid() != 0))
    return err_set(e, errno, "chown '%s'", dst);
  if (!S_ISLNK(st.st_mode) && fchmodat(ddir, dst, st.st_mode & 07777, 0) < 0)
    return err_set(e, errno, "chmod '%s'", dst);
  char sp[PATH_MAX], dp[PATH_MAX];
  snprintf(sp, sizeof(sp), "/proc/self/fd/%d/%s", sdir, src);
  snprintf(dp, sizeof(dp), "/proc/self/fd/%d/%s", ddir, dst);
  if (copy_xattrs_path(sp, dp, e) < 0)
    return err_wrap(e, "'%s'", dst);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (utimensat(ddir, dst, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return err_set(e, errno, "set times of '%s'", dst);
  return 0;
}
