/* mount.c — mount options and one mount inside the rootfs (see mount.h). */
#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"

int mount_cgroup(const struct mount_ctx *c, const struct rt_mount *m, struct err **e);

enum { O_SET, O_CLEAR, O_PROP, O_REC_SET, O_REC_CLEAR, O_BIND, O_RBIND, O_COPYUP, O_UNSUP };

static const struct opt {
  const char *name;
  int kind;
  unsigned long flag; /* MS_* for set/clear/prop, MOUNT_ATTR_* for the rec kinds */
} opts[] = {
    {"acl", O_SET, MS_POSIXACL},
    {"async", O_CLEAR, MS_SYNCHRONOUS},
    {"atime", O_CLEAR, MS_NOATIME},
    {"bind", O_BIND, 0},
    {"defaults", O_SET, 0},
    {"dev", O_CLEAR, MS_NODEV},
    {"diratime", O_CLEAR, MS_NODIRATIME},
    {"dirsync", O_SET, MS_DIRSYNC},
    {"exec", O_CLEAR, MS_NOEXEC},
    {"idmap", O_UNSUP, 0},
    {"iversion", O_SET, MS_I_VERSION},
    {"lazytime", O_SET, MS_LAZYTIME},
    {"loud", O_CLEAR, MS_SILENT},
    {"mand", O_SET, MS_MANDLOCK},
    {"noacl", O_CLEAR, MS_POSIXACL},
    {"noatime", O_SET, MS_NOATIME},
    {"nodev", O_SET, MS_NODEV},
    {"nodiratime", O_SET, MS_NODIRATIME},
    {"noexec", O_SET, MS_NOEXEC},
    {"noiversion", O_CLEAR, MS_I_VERSION},
    {"nolazytime", O_CLEAR, MS_LAZYTIME},
    {"nomand", O_CLEAR, MS_MANDLOCK},
    {"norelatime", O_CLEAR, MS_RELATIME},
    {"nostrictatime", O_CLEAR, MS_STRICTATIME},
    {"nosuid", O_SET, MS_NOSUID},
    {"nosymfollow", O_SET, MS_NOSYMFOLLOW},
    {"private", O_PROP, MS_PRIVATE},
    {"ratime", O_REC_CLEAR, MOUNT_ATTR_NOATIME},
    {"rbind", O_RBIND, 0},
    {"rdev", O_REC_CLEAR, MOUNT_ATTR_NODEV},
    {"rdiratime", O_REC_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"relatime", O_SET, MS_RELATIME},
    {"remount", O_SET, MS_REMOUNT},
    {"rexec", O_REC_CLEAR, MOUNT_ATTR_NOEXEC},
    {"ridmap", O_UNSUP, 0},
    {"rnoatime", O_REC_SET, MOUNT_ATTR_NOATIME},
    {"rnodev", O_REC_SET, MOUNT_ATTR_NODEV},
    {"rnodiratime", O_REC_SET, MOUNT_ATTR_NODIRATIME},
    {"rnoexec", O_REC_SET, MOUNT_ATTR_NOEXEC},
    {"rnorelatime", O_REC_SET, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", O_REC_SET, MOUNT_ATTR_RELATIME},
    {"rnosuid", O_REC_SET, MOUNT_ATTR_NOSUID},
    {"rnosymfollow", O_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"ro", O_SET, MS_RDONLY},
    {"rprivate", O_PROP, MS_PRIVATE | MS_REC},
    {"rrelatime", O_REC_SET, MOUNT_ATTR_RELATIME},
    {"rro", O_REC_SET, MOUNT_ATTR_RDONLY},
    {"rrw", O_REC_CLEAR, MOUNT_ATTR_RDONLY},
    {"rshared", O_PROP, MS_SHARED | MS_REC},
    {"rslave", O_PROP, MS_SLAVE | MS_REC},
    {"rstrictatime", O_REC_SET, MOUNT_ATTR_STRICTATIME},
    {"rsuid", O_REC_CLEAR, MOUNT_ATTR_NOSUID},
    {"rsymfollow", O_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"runbindable", O_PROP, MS_UNBINDABLE | MS_REC},
    {"rw", O_CLEAR, MS_RDONLY},
    {"shared", O_PROP, MS_SHARED},
    {"silent", O_SET, MS_SILENT},
    {"slave", O_PROP, MS_SLAVE},
    {"strictatime", O_SET, MS_STRICTATIME},
    {"suid", O_CLEAR, MS_NOSUID},
    {"symfollow", O_CLEAR, MS_NOSYMFOLLOW},
    {"sync", O_SET, MS_SYNCHRONOUS},
    {"tmpcopyup", O_COPYUP, 0},
    {"unbindable", O_PROP, MS_UNBINDABLE},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt *find_opt(const char *name) {
  size_t lo = 0, hi = NOPTS;
  while (lo < hi) { /* the table is sorted by name */
    size_t mid = (lo + hi) / 2;
    int c = strcmp(name, opts[mid].name);
    if (c == 0)
      return &opts[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

const char *const *mount_option_names(void) {
  static const char *names[NOPTS + 1];
  if (names[0] == NULL) {
    size_t n = 0;
    for (size_t i = 0; i < NOPTS; i++)
      if (opts[i].kind != O_UNSUP)
        names[n++] = opts[i].name;
    names[n] = NULL;
  }
  return names;
}

unsigned long mount_propagation_flag(const char *name) {
  const struct opt *o = find_opt(name);
  return o != NULL && o->kind == O_PROP ? o->flag : 0;
}

int mount_parse_options(json_t *arr, struct rt_mount *m, const char *field, struct err **e) {
  cleanup_free char *data = NULL;
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *v = json_array_get(arr, i);
    if (!json_is_string(v))
      return err_set(e, 0, "config.json: %s: expected an array of strings", field);
    const char *s = json_string_value(v);
    const struct opt *o = find_opt(s);
    if (o == NULL) { /* a filesystem option: handed to the filesystem */
      char *n = data ? xasprintf("%s,%s", data, s) : xstrdup(s);
      free(data);
      data = n;
      continue;
    }
    switch (o->kind) {
      case O_SET:
        m->flags |= o->flag;
        m->clear &= ~o->flag;
        break;
      case O_CLEAR:
        m->flags &= ~o->flag;
        m->clear |= o->flag;
        break;
      case O_PROP: m->propagation = o->flag; break;
      case O_REC_SET:
        if (o->flag == MOUNT_ATTR_RELATIME || o->flag == MOUNT_ATTR_NOATIME ||
            o->flag == MOUNT_ATTR_STRICTATIME)
          m->rec_clear |= MOUNT_ATTR__ATIME;
        m->rec_set |= o->flag;
        break;
      case O_REC_CLEAR:
        m->rec_clear |= o->flag;
        m->rec_set &= ~(uint64_t)o->flag;
        break;
      case O_BIND: m->bind = 1; break;
      case O_RBIND: m->bind = m->rbind = 1; break;
      case O_COPYUP: m->tmpcopyup = 1; break;
      case O_UNSUP:
        return err_set(e, 0, "config.json: %s: \"%s\" mounts are not supported", field, s);
    }
  }
  m->data = steal_ptr(&data);
  return 0;
}

/* Path of an fd through the host's /proc (still visible before pivot_root):
 * mounting onto it mounts onto exactly the inode the fd holds. */
static char *fdpath(int fd) {
  return xasprintf("/proc/self/fd/%d", fd);
}

int mount_mkdest(const char *root, const char *path, int file, struct err **e) {
  int fd = open_in_root(root, path, O_PATH, NULL);
  if (fd >= 0)
    return fd;
  cleanup_free char *res = path_in_root(root, path, e);
  if (res == NULL)
    return -1;
  if (file) {
    cleanup_free char *dir = xstrdup(res);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
      *slash = '\0';
      if (mkdir_p(dir, 0755, e) < 0)
        return -1;
    }
    int f = open(res, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0 && errno != EEXIST)
      return err_set(e, errno, "create mount point '%s'", path);
    if (f >= 0)
      close(f);
  } else if (mkdir_p(res, 0755, e) < 0) {
    return -1;
  }
  fd = open_in_root(root, path, O_PATH, e);
  return fd;
}

static unsigned long ms_to_attr(unsigned long ms) {
  unsigned long a = 0;
  if (ms & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (ms & MS_NOSYMFOLLOW)
    a |= MOUNT_ATTR_NOSYMFOLLOW;
  if (ms & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  if (ms & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

static int set_propagation(int fd, unsigned long prop, const char *dest, struct err **e) {
  if (prop == 0)
    return 0;
  struct mount_attr a = {.propagation = prop & ~MS_REC};
  if (mount_setattr(fd, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof(a)) <
      0)
    return err_set(e, errno, "set propagation of mount '%s'", dest);
  return 0;
}

static int set_rec_attrs(int fd, const struct rt_mount *m, struct err **e) {
  if (m->rec_set == 0 && m->rec_clear == 0)
    return 0;
  struct mount_attr a = {.attr_set = m->rec_set, .attr_clr = m->rec_clear};
  if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
    return err_set(e, errno, "set recursive attributes of mount '%s'", m->dest);
  return 0;
}

/* Bind mounts through the new mount API: clone the source tree detached,
 * set its attributes while nobody can see it, then attach it to the
 * destination fd.  No window where the mount exists read-write. */
static int mount_bind(const struct mount_ctx *c, const struct rt_mount *m, struct err **e) {
  struct stat st;
  if (stat(m->source, &st) < 0)
    return err_set(e, errno, "mount source '%s'", m->source);
  cleanup_close int dfd = mount_mkdest(c->rootfs, m->dest, !S_ISDIR(st.st_mode), e);
  if (dfd < 0)
    return err_wrap(e, "mount '%s'", m->dest);
  cleanup_close int tree = open_tree(
      AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return err_set(e, errno, "bind mount '%s'", m->source);
  unsigned long set = ms_to_attr(m->flags), clr = ms_to_attr(m->clear);
  if (set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME) || (m->flags & MS_RELATIME))
    clr |= MOUNT_ATTR__ATIME;
  if (set != 0 || clr != 0) {
    struct mount_attr a = {.attr_set = set, .attr_clr = clr};
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
      /* flags locked by a user namespace cannot be cleared: keep them */
      a.attr_clr &= MOUNT_ATTR__ATIME;
      if (errno != EPERM || mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
        return err_set(e, errno, "set attributes of mount '%s'", m->dest);
    }
  }
  if (set_rec_attrs(tree, m, e) < 0)
    return -1;
  if (move_mount(tree, "", dfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return err_set(e, errno, "bind mount '%s' on '%s'", m->source, m->dest);
  return set_propagation(tree, m->propagation, m->dest, e);
}

/* Copy what was under a tmpfs mount point into it (tmpcopyup). from is
 * the directory before the mount (its fd still sees the old content). */
static int copy_tree(int from, int to, struct err **e) {
  int dfd = dup(from);
  if (dfd < 0)
    return err_set(e, errno, "tmpcopyup");
  DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return err_set(e, errno, "tmpcopyup");
  }
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(from, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      rc = err_set(e, errno, "tmpcopyup: stat '%s'", de->d_name);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to, de->d_name, st.st_mode & 07777) < 0 && errno != EEXIST) {
        rc = err_set(e, errno, "tmpcopyup: mkdir '%s'", de->d_name);
        break;
      }
      int a = openat(from, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int b = openat(to, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (a < 0 || b < 0)
        rc = err_set(e, errno, "tmpcopyup: open '%s'", de->d_name);
      else
        rc = copy_tree(a, b, e);
      if (a >= 0)
        close(a);
      if (b >= 0)
        close(b);
    } else if (S_ISREG(st.st_mode)) {
      int a = openat(from, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      int b = openat(to, de->d_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                     st.st_mode & 07777);
      if (a < 0 || b < 0) {
        rc = err_set(e, errno, "tmpcopyup: open '%s'", de->d_name);
      } else {
        char buf[65536];
        ssize_t n;
        while ((n = read(a, buf, sizeof(buf))) > 0)
          if (write_all(b, buf, (size_t)n) < 0)
            break;
        if (n != 0)
          rc = err_set(e, errno, "tmpcopyup: copy '%s'", de->d_name);
      }
      if (a >= 0)
        close(a);
      if (b >= 0)
        close(b);
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(from, de->d_name, target, sizeof(target) - 1);
      if (n < 0) {
        rc = err_set(e, errno, "tmpcopyup: readlink '%s'", de->d_name);
        break;
      }
      target[n] = '\0';
      if (symlinkat(target, to, de->d_name) < 0 && errno != EEXIST)
        rc = err_set(e, errno, "tmpcopyup: symlink '%s'", de->d_name);
    } else if (mknodat(to, de->d_name, st.st_mode, st.st_rdev) < 0 && errno != EEXIST) {
      rc = err_set(e, errno, "tmpcopyup: mknod '%s'", de->d_name);
    }
    if (rc == 0 && fchownat(to, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
      rc = err_set(e, errno, "tmpcopyup: chown '%s'", de->d_name);
  }
  closedir(d);
  return rc;
}

/* runc's rule for /proc: only procfs on /proc itself, and below it only
 * the files lxcfs-style tools overlay. */
static int check_proc_dest(const char *rootfs, const struct rt_mount *m, const char *resolved,
                           struct err **e) {
  static const char *const allowed[] = {"/proc/cpuinfo", "/proc/diskstats",
                                        "/proc/meminfo", "/proc/stat",
                                        "/proc/swaps",   "/proc/uptime",
                                        "/proc/loadavg", "/proc/slabinfo",
                                        "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"};
  const char *rel = resolved + strlen(rootfs);
  if (*rel == '\0')
    rel = "/";
  if (strcmp(rel, "/proc") == 0) {
    if (m->type != NULL && strcmp(m->type, "proc") == 0)
      return 0;
    struct statfs sf;
    if (m->bind && statfs(m->source, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
      return 0;
    return err_set(e, 0, "mount '%s': only procfs can be mounted on /proc", m->dest);
  }
  if (strncmp(rel, "/proc/", 6) != 0)
    return 0;
  for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
    if (strcmp(rel, allowed[i]) == 0)
      return 0;
  return err_set(e, 0, "mount '%s': destination '%s' is inside /proc", m->dest, rel);
}

static int mount_fs(const struct mount_ctx *c, const struct rt_mount *m, struct err **e) {
  cleanup_close int dfd = mount_mkdest(c->rootfs, m->dest, 0, e);
  if (dfd < 0)
    return err_wrap(e, "mount '%s'", m->dest);
  cleanup_close int old = -1;
  if (m->tmpcopyup) {
    old = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (old < 0)
      return err_set(e, errno, "mount '%s': tmpcopyup", m->dest);
  }
  cleanup_free char *target = fdpath(dfd);
  unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (mount(m->source, target, m->type, flags, m->data) < 0) {
    int err = errno;
    /* In a user namespace without its own network (ipc) namespace the
     * kernel refuses a new sysfs (mqueue): bind the host's, as runc does. */
    const char *host = NULL;
    if (err == EPERM && c->in_userns && strcmp(m->type, "sysfs") == 0)
      host = "/sys";
    else if (err == EPERM && c->in_userns && strcmp(m->type, "mqueue") == 0)
      host = "/dev/mqueue";
    if (host == NULL)
      return err_set(e, err, "mount %s on '%s'", m->type, m->dest);
    struct rt_mount b = *m;
    b.source = (char *)host;
    b.bind = b.rbind = 1;
    b.flags &= ~MS_RDONLY;
    b.rec_set |= (m->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
    return mount_bind(c, &b, e);
  }
  if (m->tmpcopyup || m->propagation != 0 || m->rec_set != 0 || m->rec_clear != 0) {
    cleanup_close int nfd = open_in_root(c->rootfs, m->dest, O_PATH, e);
    if (nfd < 0)
      return err_wrap(e, "mount '%s'", m->dest);
    if (m->tmpcopyup) {
      cleanup_close int to = openat(nfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (to < 0)
        return err_set(e, errno, "mount '%s': tmpcopyup", m->dest);
      if (copy_tree(old, to, e) < 0)
        return err_wrap(e, "mount '%s'", m->dest);
    }
    if (set_rec_attrs(nfd, m, e) < 0 || set_propagation(nfd, m->propagation, m->dest, e) < 0)
      return -1;
  }
  return 0;
}

int mount_one(const struct mount_ctx *c, const struct rt_mount *m, struct err **e) {
  cleanup_free char *resolved = path_in_root(c->rootfs, m->dest, e);
  if (resolved == NULL)
    return err_wrap(e, "mount '%s'", m->dest);
  if (check_proc_dest(c->rootfs, m, resolved, e) < 0)
    return -1;
  if (m->bind)
    return mount_bind(c, m, e);
  if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
    return mount_cgroup(c, m, e);
  return mount_fs(c, m, e);
}
