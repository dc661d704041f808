#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define READ_MAX_DEFAULT (64u << 20)

int mkdir_p(const char *path, mode_t mode, struct err **e) {
  cleanup_free char *p = xstrdup(path);
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return err_set(e, errno, "mkdir '%s'", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0) {
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

int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, struct err **e) {
  cleanup_free char *dir_copy = xstrdup(path);
  const char *dir = dirname(dir_copy);
  cleanup_free char *tmp = xasprintf("%s.tmp-XXXXXX", path);
  cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "create temp file for '%s'", path);
  if (fchmod(fd, mode) < 0 || write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
    int saved = errno;
    unlink(tmp);
    return err_set(e, saved, "write '%s'", tmp);
  }
  if (rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    return err_set(e, saved, "rename '%s' to '%s'", tmp, path);
  }
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    fsync(dfd); /* best effort: the rename is already visible */
  return 0;
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
