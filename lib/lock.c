#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"

static int lock_open(const char *path, struct err **e) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == ENOENT) {
    cleanup_free char *copy = xstrdup(path);
    if (mkdir_p(dirname(copy), 0755, e) < 0)
      return err_wrap(e, "lock '%s'", path);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  }
  if (fd < 0)
    return err_set(e, errno, "open lock '%s'", path);
  return fd;
}

static int lock_take(const char *path, int shared, int nonblock, struct err **e) {
  cleanup_close int fd = lock_open(path, e);
  if (fd < 0)
    return -1;
  int op = (shared ? LOCK_SH : LOCK_EX) | (nonblock ? LOCK_NB : 0);
  for (;;) {
    if (flock(fd, op) == 0)
      return steal_fd(&fd);
    if (errno == EINTR)
      continue;
    if (errno == EWOULDBLOCK)
      return err_setc(e, ERR_EXISTS, 0, "lock '%s': held by another process", path);
    return err_set(e, errno, "lock '%s'", path);
  }
}

int lock_acquire(const char *path, int shared, struct err **e) {
  return lock_take(path, shared, 0, e);
}

int lock_try(const char *path, int shared, struct err **e) {
  return lock_take(path, shared, 1, e);
}

void lock_release(int fd) {
  if (fd >= 0)
    close(fd); /* closing the only fd of the open file drops the flock */
}
