/* mount_cgroup.c — a "cgroup" mount in config.json: the container sees its
 * own cgroups at the destination, read-only unless asked otherwise.
 *
 * Pure cgroup v2 host: a bind of the container's cgroup directory.
 *
 * v1 or hybrid host: a tmpfs at the destination and, in it, one bind of the
 * container's directory per hierarchy (named after the host's mount point:
 * "memory", "cpu,cpuacct", "unified", …) plus "cpu" -> "cpu,cpuacct" links
 * for co-mounted controllers, as runc and docker lay it out.
 *
 * Binds (never fresh cgroup mounts) give the same view with or without a
 * cgroup namespace and need no privilege over the v1 hierarchies; they are
 * made before the container unshares its cgroup namespace, while
 * /proc/self/cgroup still shows the real paths. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgjoin.h"
#include "fs.h"
#include "mem.h"
#include "mount.h"

int mount_cgroup(const struct mount_ctx *c, const struct rt_mount *m, struct err **e);

struct cg_line {
  char *controllers; /* "cpu,cpuacct", "name=systemd", "" for v2 */
  char *path;
};

/* Every token of want (comma-separated) appears in have. */
static int has_all(const char *want, const char *have) {
  cleanup_free char *w = xstrdup(want);
  char *save = NULL;
  for (char *t = strtok_r(w, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
    size_t n = strlen(t);
    const char *p = have;
    int found = 0;
    while ((p = strstr(p, t)) != NULL) {
      if ((p == have || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) {
        found = 1;
        break;
      }
      p += n;
    }
    if (!found)
      return 0;
  }
  return 1;
}

static int bind_dir(const char *src, int dfd, unsigned long attrs, const char *what,
                    struct err **e) {
  cleanup_close int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return err_set(e, errno, "cgroup mount: bind '%s'", src);
  struct mount_attr a = {.attr_set = attrs};
  if (attrs != 0 && mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
    return err_set(e, errno, "cgroup mount: attributes of '%s'", what);
  if (move_mount(tree, "", dfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return err_set(e, errno, "cgroup mount: attach '%s'", what);
  return 0;
}

int mount_cgroup(const struct mount_ctx *c, const struct rt_mount *m, struct err **e) {
  unsigned long attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (m->flags & MS_RDONLY)
    attrs |= MOUNT_ATTR_RDONLY;
  if (m->clear & MS_NOSUID)
    attrs &= ~(unsigned long)MOUNT_ATTR_NOSUID;
  if (m->clear & MS_NODEV)
    attrs &= ~(unsigned long)MOUNT_ATTR_NODEV;
  if (m->clear & MS_NOEXEC)
    attrs &= ~(unsigned long)MOUNT_ATTR_NOEXEC;

  /* our own cgroups (the cgroup namespace comes after the mounts) */
  cleanup_fclose FILE *cf = fopen("/proc/self/cgroup", "re");
  if (cf == NULL)
    return err_set(e, errno, "cgroup mount: open /proc/self/cgroup");
  struct cg_line lines[32];
  size_t nl = 0;
  char *line = NULL;
  size_t cap = 0;
  while (nl < 32 && getline(&line, &cap, cf) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *a = strchr(line, ':');
    char *b = a ? strchr(a + 1, ':') : NULL;
    if (b == NULL)
      continue;
    *b = '\0';
    lines[nl].controllers = xstrdup(a + 1);
    lines[nl].path = xstrdup(b + 1);
    nl++;
  }
  free(line);
  line = NULL;

  struct hier {
    char *mnt, *src;
    int v2;
  } h[32];
  size_t nh = 0, nm;
  int v1 = 0;
  const struct cg_mount *cm = cg_mounts(&nm);
  for (size_t i = 0; i < nm && nh < 32; i++) {
    for (size_t k = 0; k < nl; k++) {
      int match =
          cm[i].v2 ? lines[k].controllers[0] == '\0'
                   : lines[k].controllers[0] != '\0' && has_all(lines[k].controllers, cm[i].super);
      if (!match)
        continue;
      /* the container's dir = mount point + (our path relative to the mount's root) */
      const char *rel = lines[k].path;
      size_t rl = strlen(cm[i].root);
      if (strcmp(cm[i].root, "/") != 0 && strncmp(rel, cm[i].root, rl) == 0)
        rel += rl;
      h[nh].mnt = xstrdup(cm[i].mnt);
      h[nh].src = path_join(cm[i].mnt, rel);
      h[nh].v2 = cm[i].v2;
      v1 |= !cm[i].v2;
      nh++;
      break;
    }
  }
  for (size_t k = 0; k < nl; k++) {
    free(lines[k].controllers);
    free(lines[k].path);
  }

  int rc = 0;
  /* all declared before the first goto (a jump past a cleanup variable frees garbage) */
  cleanup_free char *target = NULL;
  cleanup_close int tpath = -1, tfd = -1;
  cleanup_close int dfd = mount_mkdest(c->rootfs, m->dest, 0, e);
  if (dfd < 0) {
    rc = err_wrap(e, "mount '%s'", m->dest);
    goto out;
  }
  target = xasprintf("/proc/self/fd/%d", dfd);
  if (!v1) {
    if (nh > 0)
      rc = bind_dir(h[0].src, dfd, attrs, m->dest, e);
    else
      rc = err_set(e, ENOENT, "mount '%s': no cgroup hierarchy found", m->dest);
    goto out;
  }
  if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0) {
    rc = err_set(e, errno, "mount tmpfs on '%s'", m->dest);
    goto out;
  }
  /* open_in_root refuses O_DIRECTORY (it shares bits with O_TMPFILE): O_PATH, then reopen */
  tpath = open_in_root(c->rootfs, m->dest, O_PATH, e);
  if (tpath < 0) {
    rc = err_wrap(e, "mount '%s'", m->dest);
    goto out;
  }
  tfd = openat(tpath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tfd < 0) {
    rc = err_set(e, errno, "mount '%s'", m->dest);
    goto out;
  }
  for (size_t k = 0; k < nh && rc == 0; k++) {
    const char *name = strrchr(h[k].mnt, '/') + 1;
    if (mkdirat(tfd, name, 0755) < 0 && errno != EEXIST) {
      rc = err_set(e, errno, "cgroup mount: mkdir '%s'", name);
      break;
    }
    int sub = openat(tfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      rc = err_set(e, errno, "cgroup mount: open '%s'", name);
      break;
    }
    rc = bind_dir(h[k].src, sub, attrs, name, e);
    close(sub);
    /* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct" */
    if (rc == 0 && strchr(name, ',') != NULL) {
      cleanup_free char *copy = xstrdup(name);
      char *save = NULL;
      for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
        if (symlinkat(name, tfd, t) < 0 && errno != EEXIST)
          rc = err_set(e, errno, "cgroup mount: symlink '%s'", t);
    }
  }
  if (rc == 0 && (attrs & MOUNT_ATTR_RDONLY)) {
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(tfd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
      rc = err_set(e, errno, "cgroup mount: make '%s' read-only", m->dest);
  }
out:
  for (size_t k = 0; k < nh; k++) {
    free(h[k].mnt);
    free(h[k].src);
  }
  return rc;
}
