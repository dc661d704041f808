/* netns.c — a container's network namespace, bound to a file.
 *
 * A namespace lives as long as something refers to it; a bind mount of
 * /proc/PID/ns/net onto a file keeps it with no process in it, so CNI
 * plugins can wire it before the container starts and after it ends.
 * The directory $RUN/netns is first bound onto itself and made shared (as
 * `ip netns` does with /run/netns): mount namespaces copied from ours
 * later see each namespace file come and go, instead of holding a stale
 * copy that would keep a deleted namespace alive. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "lock.h"
#include "mem.h"

static bool is_mount_root(const char *dir) {
  struct statx stx;
  if (statx(AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
    return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int netns_dir(const char *dir, struct err **e) {
  if (mkdir_p(dir, 0755, e) < 0)
    return -1;
  if (is_mount_root(dir))
    return 0;
  cleanup_free char *lockp = xasprintf("%s/netns.lock", C.run);
  int lk = lock_acquire(lockp, 0, e);
  if (lk < 0)
    return -1;
  int rc = 0;
  if (!is_mount_root(dir)) {
    if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
      rc = err_set(e, errno, "bind '%s' onto itself", dir);
    else if (mount(NULL, dir, NULL, MS_SHARED | MS_REC, NULL) < 0)
      rc = err_set(e, errno, "make '%s' shared", dir);
  }
  lock_release(lk);
  return rc;
}

int netns_create(const char *path, struct err **e) {
  cleanup_free char *dir = xasprintf("%s/netns", C.run);
  if (netns_dir(dir, e) < 0)
    return -1;
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return err_set(e, errno, "create '%s'", path);
  close(fd);
  /* No child process: this thread steps into a new namespace, binds it at
   * path (which keeps it alive) and steps back.  A thread's network
   * namespace is its own, and nothing else runs in cairn meanwhile. */
  cleanup_close int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) {
    int saved = errno;
    unlink(path);
    return err_set(e, saved, "open our network namespace");
  }
  int err = 0;
  if (unshare(CLONE_NEWNET) < 0) {
    err = errno;
  } else {
    if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
      err = errno;
    if (setns(orig, CLONE_NEWNET) < 0) {
      /* staying in the new namespace would put every later step in it */
      fprintf(stderr, "cairn: cannot return to the host's network namespace: %s\n",
              strerror(errno));
      _exit(EXIT_CAIRN);
    }
  }
  if (err != 0) {
    umount2(path, MNT_DETACH);
    unlink(path);
    return err_set(e, err, "new network namespace at '%s'", path);
  }
  return 0;
}

int netns_remove(const char *path, struct err **e) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return err_set(e, errno, "unmount '%s'", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return err_set(e, errno, "remove '%s'", path);
  return 0;
}
