#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "fs.h"
#include "mem.h"

/* pivot_root refuses a new root whose parent mount is shared: make the
 * mount that holds the rootfs private (only needed when the caller asked
 * for shared root propagation; the default rslave is fine). */
static int parent_mount_private(const char *rootfs, struct err **e) {
  cleanup_free char *p = xstrdup(rootfs);
  for (;;) {
    if (mount(NULL, p, NULL, MS_PRIVATE, NULL) == 0)
      return 0;
    if (errno != EINVAL)
      return err_set(e, errno, "make the mount of '%s' private", p);
    char *slash = strrchr(p, '/');
    if (slash == NULL)
      return err_set(e, EINVAL, "no mount holds '%s'", rootfs);
    if (slash == p) {
      if (p[1] == '\0')
        return err_set(e, EINVAL, "make / private");
      p[1] = '\0';
    } else {
      *slash = '\0';
    }
  }
}

int rootfs_prepare(const struct rt_config *c, const struct mount_ctx *mc, struct err **e) {
  unsigned long prop = c->rootfs_propagation ? c->rootfs_propagation : MS_SLAVE | MS_REC;
  /* shared only makes sense after pivot_root; until then keep the host safe */
  if (prop & MS_SHARED)
    prop = MS_SLAVE | MS_REC;
  if (mount(NULL, "/", NULL, prop, NULL) < 0)
    return err_set(e, errno, "set the propagation of /");
  if ((c->rootfs_propagation & MS_SHARED) && parent_mount_private(c->rootfs, e) < 0)
    return -1;
  if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return err_set(e, errno, "bind mount the rootfs '%s'", c->rootfs);
  int default_devs = 1;
  for (size_t i = 0; i < c->nmounts; i++) {
    const struct rt_mount *m = &c->mounts[i];
    if (mount_one(mc, m, e) < 0)
      return -1;
    if (strcmp(m->dest, "/dev") == 0 && m->bind)
      default_devs = 0; /* the caller brought its own /dev */
  }
  return devices_setup(c->rootfs, c, mc->in_userns, default_devs, e);
}

int rootfs_pivot(const char *rootfs, int no_pivot, struct err **e) {
  if (no_pivot) {
    if (chdir(rootfs) < 0)
      return err_set(e, errno, "chdir to the rootfs '%s'", rootfs);
    if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
      return err_set(e, errno, "move the rootfs to /");
    if (chroot(".") < 0)
      return err_set(e, errno, "chroot");
    if (chdir("/") < 0)
      return err_set(e, errno, "chdir /");
    return 0;
  }
  cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0)
    return err_set(e, errno, "open the old and new roots");
  /* pivot_root(".", ".") stacks the old root on top of the new one; we
   * then detach it from there without needing a directory for it. */
  if (fchdir(newroot) < 0)
    return err_set(e, errno, "chdir to the rootfs");
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return err_set(e, errno, "pivot_root into '%s'", rootfs);
  if (fchdir(oldroot) < 0)
    return err_set(e, errno, "chdir to the old root");
  /* keep the unmount from propagating to the host */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return err_set(e, errno, "make the old root a slave");
  if (umount2(".", MNT_DETACH) < 0)
    return err_set(e, errno, "detach the old root");
  if (chdir("/") < 0)
    return err_set(e, errno, "chdir /");
  return 0;
}

static int write_sysctl(const char *key, const char *val, struct err **e) {
  cleanup_free char *path = xasprintf("/proc/sys/%s", key);
  for (char *p = path + 10; *p; p++)
    if (*p == '.')
      *p = '/';
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "sysctl '%s'", key);
  int r = write_all(fd, val, strlen(val));
  int err = errno;
  close(fd);
  return r < 0 ? err_set(e, err, "sysctl '%s' = '%s'", key, val) : 0;
}

static int readonly_path(const char *path, struct err **e) {
  cleanup_close int tree =
      open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0) {
    if (errno == ENOENT)
      return 0;
    return err_set(e, errno, "read-only path '%s'", path);
  }
  struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
  if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
    return err_set(e, errno, "read-only path '%s'", path);
  if (move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return err_set(e, errno, "read-only path '%s'", path);
  return 0;
}

static int masked_path(const char *path, struct err **e) {
  struct stat st;
  if (stat(path, &st) < 0) {
    if (errno == ENOENT)
      return 0;
    return err_set(e, errno, "masked path '%s'", path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0,nr_inodes=1") < 0)
      return err_set(e, errno, "mask '%s'", path);
  } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
    return err_set(e, errno, "mask '%s'", path);
  }
  return 0;
}

int rootfs_finish(const struct rt_config *c, struct err **e) {
  if (c->hostname != NULL && sethostname(c->hostname, strlen(c->hostname)) < 0)
    return err_set(e, errno, "set hostname '%s'", c->hostname);
  if (c->domainname != NULL && setdomainname(c->domainname, strlen(c->domainname)) < 0)
    return err_set(e, errno, "set domainname '%s'", c->domainname);
  for (size_t i = 0; i < c->nsysctl; i++)
    if (write_sysctl(c->sysctl_keys[i], c->sysctl_vals[i], e) < 0)
      return -1;
  for (size_t i = 0; i < c->nreadonly; i++)
    if (readonly_path(c->readonly[i], e) < 0)
      return -1;
  for (size_t i = 0; i < c->nmasked; i++)
    if (masked_path(c->masked[i], e) < 0)
      return -1;
  if (c->root_ro) {
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof(a)) < 0)
      return err_set(e, errno, "make the root read-only");
  }
  if ((c->rootfs_propagation & MS_SHARED) &&
      mount(NULL, "/", NULL, c->rootfs_propagation, NULL) < 0)
    return err_set(e, errno, "set the propagation of the root");
  return 0;
}
