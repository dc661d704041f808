/* netnsfile.c — a network namespace bound to a file (cairn run, cairn-build RUN).
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
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "lock.h"
#include "mem.h"
#include "netnsfile.h"

static int is_mount_root(const char *dir) {
  struct statx stx;
  if (statx(AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
    return 0;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int netns_dir(const char *run_dir, const char *dir, struct err **e) {
  if (mkdir_p(dir, 0755, e) < 0)
    return -1;
  if (is_mount_root(dir))
    return 0;
  cleanup_free char *lockp = xasprintf("%s/netns.lock", run_dir);
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

int netns_bind_new(const char *run_dir, const char *path, struct err **e) {
  cleanup_free char *dir = xasprintf("%s/netns", run_dir);
  if (netns_dir(run_dir, dir, e) < 0)
    return -1;
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return err_set(e, errno, "create '%s'", path);
  close(fd);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    int saved = errno;
    unlink(path);
    return err_set(e, saved, "pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(p[0]);
    close(p[1]);
    unlink(path);
    return err_set(e, saved, "fork");
  }
  if (pid == 0) {
    /* The child takes the new namespace with it when it exits; the bind
     * mount (in the mount namespace we share) is what keeps it. */
    close(p[0]);
    int err = 0;
    if (unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
      err = errno;
    if (write(p[1], &err, sizeof err) != sizeof err)
      _exit(1);
    _exit(err ? 1 : 0);
  }
  close(p[1]);
  int err = EIO;
  ssize_t r;
  do
    r = read(p[0], &err, sizeof err);
  while (r < 0 && errno == EINTR);
  close(p[0]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  if (r != sizeof err || err != 0) {
    unlink(path);
    return err_set(e, err ? err : EIO, "new network namespace at '%s'", path);
  }
  return 0;
}

int netns_unbind(const char *path, struct err **e) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return err_set(e, errno, "unmount '%s'", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return err_set(e, errno, "remove '%s'", path);
  return 0;
}
