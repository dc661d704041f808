/* devices.c — the container's /dev: linux.devices, the default devices every
 * OCI container has (null, zero, full, random, urandom, tty), the /dev/fd,
 * stdin, stdout, stderr (and core) links and /dev/ptmx -> pts/ptmx.  Runs in
 * the container's mount namespace before pivot_root; paths are resolved
 * inside the rootfs. */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "mount.h"

static const struct {
  const char *path;
  int major, minor;
} defaults[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

void devices_default_rules(json_t *arr) {
  static const struct {
    const char *type;
    int64_t major, minor;
    const char *access;
  } rules[] = {
      {"c", -1, -1, "m"}, {"b", -1, -1, "m"}, {"c", 1, 3, "rwm"},    {"c", 1, 5, "rwm"},
      {"c", 1, 7, "rwm"}, {"c", 1, 8, "rwm"}, {"c", 1, 9, "rwm"},    {"c", 5, 0, "rwm"},
      {"c", 5, 1, "rwm"}, {"c", 5, 2, "rwm"}, {"c", 136, -1, "rwm"}, {"c", 10, 200, "rwm"},
  };
  for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
    json_t *r =
        json_pack("{s:b,s:s,s:s}", "allow", 1, "type", rules[i].type, "access", rules[i].access);
    if (rules[i].major >= 0)
      json_object_set_new(r, "major", json_integer(rules[i].major));
    if (rules[i].minor >= 0)
      json_object_set_new(r, "minor", json_integer(rules[i].minor));
    json_array_append_new(arr, r);
  }
}

/* Open the parent directory of path inside root (created when missing) and
 * return its fd; *base points into path at the last component. */
static int open_parent(const char *root, const char *path, const char **base, struct err **e) {
  const char *slash = strrchr(path, '/');
  *base = slash + 1;
  cleanup_free char *parent = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
  return mount_mkdest(root, parent, 0, e);
}

static int make_device(const char *root, const struct rt_device *d, int in_userns, struct err **e) {
  const char *base;
  cleanup_close int pfd = open_parent(root, d->path, &base, e);
  if (pfd < 0)
    return err_wrap(e, "device '%s'", d->path);
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  if (!in_userns || d->type == 'p') {
    if (mknodat(pfd, base, type | d->mode, makedev(d->major, d->minor)) < 0) {
      if (errno == EEXIST)
        return 0;
      return err_set(e, errno, "mknod '%s'", d->path);
    }
    if (fchownat(pfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
      return err_set(e, errno, "chown '%s'", d->path);
    return 0;
  }
  /* A user namespace cannot mknod: bind the host's node instead. */
  int f = openat(pfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (f < 0 && errno != EEXIST)
    return err_set(e, errno, "create '%s'", d->path);
  if (f >= 0)
    close(f);
  cleanup_close int dst = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int tree = open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (dst < 0 || tree < 0)
    return err_set(e, errno, "bind host device '%s'", d->path);
  if (move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return err_set(e, errno, "bind host device '%s'", d->path);
  return 0;
}

static int make_link(const char *root, const char *target, const char *path, int replace,
                     struct err **e) {
  const char *base;
  cleanup_close int pfd = open_parent(root, path, &base, e);
  if (pfd < 0)
    return err_wrap(e, "symlink '%s'", path);
  if (replace && unlinkat(pfd, base, 0) < 0 && errno != ENOENT)
    return err_set(e, errno, "remove '%s'", path);
  if (symlinkat(target, pfd, base) < 0 && errno != EEXIST)
    return err_set(e, errno, "symlink '%s'", path);
  return 0;
}

int devices_setup(const char *rootfs, const struct rt_config *c, int in_userns, int default_devs,
                  struct err **e) {
  for (size_t i = 0; i < c->ndevices; i++)
    if (make_device(rootfs, &c->devices[i], in_userns, e) < 0)
      return -1;
  if (!default_devs)
    return 0;
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
    int listed = 0;
    for (size_t j = 0; j < c->ndevices && !listed; j++)
      listed = strcmp(c->devices[j].path, defaults[i].path) == 0;
    char path[32];
    snprintf(path, sizeof(path), "%s", defaults[i].path);
    struct rt_device d = {path, 'c', defaults[i].major, defaults[i].minor, 0666, 0, 0};
    if (!listed && make_device(rootfs, &d, in_userns, e) < 0)
      return -1;
  }
  static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
                                         {"/proc/self/fd/0", "/dev/stdin"},
                                         {"/proc/self/fd/1", "/dev/stdout"},
                                         {"/proc/self/fd/2", "/dev/stderr"}};
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
    if (make_link(rootfs, links[i][0], links[i][1], 0, e) < 0)
      return -1;
  if (access("/proc/kcore", F_OK) == 0 && make_link(rootfs, "/proc/kcore", "/dev/core", 0, e) < 0)
    return -1;
  return make_link(rootfs, "pts/ptmx", "/dev/ptmx", 1, e);
}
