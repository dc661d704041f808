#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"

int netns_open(const char *path, struct err **e) {
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open netns '%s'", path);
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type != CLONE_NEWNET)
    return err_setc(e, ERR_USAGE, 0, "'%s' is not a network namespace", path);
  return steal_fd(&fd);
}

int netns_enter(int nsfd, int *saved, struct err **e) {
  cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return err_set(e, errno, "open /proc/self/ns/net");
  if (setns(nsfd, CLONE_NEWNET) < 0)
    return err_set(e, errno, "enter network namespace");
  *saved = steal_fd(&self);
  return 0;
}

int netns_leave(int *saved, struct err **e) {
  if (*saved < 0)
    return 0;
  int r = setns(*saved, CLONE_NEWNET);
  int saved_errno = errno;
  close(*saved);
  *saved = -1;
  if (r < 0)
    return err_set(e, saved_errno, "return to the host network namespace");
  return 0;
}

int sysctl_set(const char *key, const char *value, struct err **e) {
  cleanup_free char *path = xasprintf("/proc/sys/%s", key);
  cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "sysctl '%s'", key);
  char cur[32];
  ssize_t n = read(fd, cur, sizeof(cur) - 1);
  size_t vl = strlen(value);
  if (n > 0 && (size_t)n >= vl && memcmp(cur, value, vl) == 0 &&
      (cur[vl] == '\n' || (size_t)n == vl))
    return 0;
  if (lseek(fd, 0, SEEK_SET) < 0 || write_all(fd, value, vl) < 0)
    return err_set(e, errno, "sysctl '%s' = %s", key, value);
  return 0;
}
