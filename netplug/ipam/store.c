/* cairn-ipam's store, in host-local's format: one file per allocated address
 * named after it and holding "<containerid>\r\n<ifname>", the last address
 * reserved per range set in last_reserved_ip.<index>, and a "lock" file
 * that every reader and writer holds (flock), so concurrent ADDs never hand
 * out an address twice — with host-local on the same dataDir too.
 *
 * Files are not fsync'd: an allocation only matters while its container
 * lives, and a crash of the machine ends those containers too. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "ipam.h"
#include "lock.h"
#include "mem.h"

#define LAST_PREFIX "last_reserved_ip."

int store_open(struct store *s, const char *data_dir, const char *name, struct err **e) {
  s->dir = path_join(data_dir, name);
  s->lock_fd = -1;
  if (mkdir_p(s->dir, 0755, e) < 0)
    return err_wrap(e, "ipam store");
  cleanup_free char *lock = path_join(s->dir, "lock");
  s->lock_fd = lock_acquire(lock, 0, e);
  return s->lock_fd < 0 ? -1 : 0;
}

void store_close(struct store *s) {
  lock_release(s->lock_fd);
  s->lock_fd = -1;
  free(s->dir);
  s->dir = NULL;
}

int store_reserve(struct store *s, const struct ipaddr *a, const char *id, const char *ifname,
                  size_t set, struct err **e) {
  char ip[IPNET_STRLEN];
  ip_fmt(a, ip);
  cleanup_free char *path = path_join(s->dir, ip);
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return 0;
    return err_set(e, errno, "reserve '%s'", path);
  }
  cleanup_free char *content = xasprintf("%s\r\n%s", id, ifname);
  if (write_all(fd, content, strlen(content)) < 0) {
    int saved = errno;
    unlink(path);
    return err_set(e, saved, "write '%s'", path);
  }
  /* Where the next allocation starts, written in place as host-local
   * does: every reader holds the lock, and one that finds it garbled
   * starts at the range's start.  (Replacing the file by a rename, or
   * truncating it to zero, makes ext4 write its data back at once.) */
  cleanup_free char *last = xasprintf("%s/" LAST_PREFIX "%zu", s->dir, set);
  cleanup_close int lf = open(last, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  size_t il = strlen(ip);
  if (lf < 0 || pwrite(lf, ip, il, 0) != (ssize_t)il || ftruncate(lf, (off_t)il) < 0) {
    int saved = errno;
    unlink(path);
    return err_set(e, saved, "write '%s'", last);
  }
  return 1;
}

struct ipaddr store_last_reserved(struct store *s, size_t set) {
  struct ipaddr a = {0};
  cleanup_free char *path = xasprintf("%s/" LAST_PREFIX "%zu", s->dir, set);
  char buf[IPNET_STRLEN];
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return a;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return a;
  buf[n] = '\0';
  buf[strcspn(buf, " \r\n")] = '\0';
  if (ip_parse(buf, &a) < 0)
    memset(&a, 0, sizeof(a));
  return a;
}

/* Whether an allocation file's content names id/ifname; files of older
 * host-local versions hold the id alone. */
static bool owned_by(const char *content, const char *id, const char *ifname) {
  size_t il = strlen(id);
  while (isspace((unsigned char)*content))
    content++;
  if (strncmp(content, id, il) != 0)
    return false;
  const char *rest = content + il;
  if (strncmp(rest, "\r\n", 2) == 0) {
    rest += 2;
    size_t fl = strlen(ifname);
    if (strncmp(rest, ifname, fl) != 0)
      return false;
    rest += fl;
  }
  while (isspace((unsigned char)*rest))
    rest++;
  return *rest == '\0';
}

/* Call fn for each allocation of id/ifname. */
static int scan(struct store *s, const char *id, const char *ifname,
                void (*fn)(struct store *, const char *name, const struct ipaddr *, void *),
                void *data, struct err **e) {
  cleanup_dir DIR *d = opendir(s->dir);
  if (d == NULL)
    return err_set(e, errno, "open '%s'", s->dir);
  int dfd = dirfd(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    struct ipaddr a;
    if (de->d_name[0] == '.' || ip_parse(de->d_name, &a) < 0)
      continue; /* lock, last_reserved_ip.N, temp files */
    cleanup_close int fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
      continue;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0)
      continue;
    buf[n] = '\0';
    if (owned_by(buf, id, ifname))
      fn(s, de->d_name, &a, data);
  }
  return 0;
}

struct found {
  struct ipaddr *v;
  size_t n;
};

static void collect(struct store *s, const char *name, const struct ipaddr *a, void *data) {
  (void)s;
  (void)name;
  struct found *f = data;
  f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
  f->v[f->n++] = *a;
}

int store_find(struct store *s, const char *id, const char *ifname, struct ipaddr **out, size_t *n,
               struct err **e) {
  struct found f = {NULL, 0};
  if (scan(s, id, ifname, collect, &f, e) < 0) {
    free(f.v);
    return -1;
  }
  *out = f.v;
  *n = f.n;
  return 0;
}

static void remove_one(struct store *s, const char *name, const struct ipaddr *a, void *data) {
  (void)a;
  (void)data;
  cleanup_free char *path = path_join(s->dir, name);
  unlink(path);
}

int store_release(struct store *s, const char *id, const char *ifname, struct err **e) {
  return scan(s, id, ifname, remove_one, NULL, e);
}

int store_release_addr(struct store *s, const struct ipaddr *a) {
  char ip[IPNET_STRLEN];
  cleanup_free char *path = path_join(s->dir, ip_fmt(a, ip));
  return unlink(path);
}
