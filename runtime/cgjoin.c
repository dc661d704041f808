/* cgjoin.c — putting a new process into its cgroups without the kernel's
 * slow path.
 *
 * Writing a pid to cgroup.procs takes cgroup_threadgroup_rwsem for
 * writing, and that percpu rwsem waits a whole RCU grace period when it was
 * idle: 10-20 ms here, the biggest single cost of starting a container.
 * Two moves avoid it (kernel/cgroup/cgroup.c, cgroup_procs_write_start):
 *   - cgroup v2: clone3(CLONE_INTO_CGROUP) creates the process in place;
 *     fork only takes the rwsem for reading;
 *   - cgroup v1: a single-threaded process writing "0" (itself) to a
 *     hierarchy's "tasks" file moves without the rwsem.
 * The cgroup module still makes the directories and applies the limits
 * (cgroup_setup with no pid); this file only does the move.  When neither
 * way is possible (a child already in a new user namespace cannot write to
 * the host's cgroupfs) the caller falls back to cgroup_enter(). */
#include "cgjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs.h"
#include "mem.h"

/* The cgroup mounts, from /proc/self/mountinfo (cg_mountinfo), once per process:
 * the parent reads it before the clone and the child inherits the table
 * (formatting mountinfo is a noticeable part of a container's start). */
static struct cg_mount table[32];
static size_t ntable;
static int loaded;

const struct cg_mount *cg_mounts(size_t *n) {
  if (!loaded) {
    loaded = 1;
    const char *text = cg_mountinfo();
    FILE *mi = fmemopen((void *)text, strlen(text), "r");
    char *line = NULL;
    size_t cap = 0;
    while (mi != NULL && ntable < 32 && getline(&line, &cap, mi) > 0) {
      /* id parent maj:min root mountpoint opts [optional…] - fstype source superopts */
      char *sep = strstr(line, " - ");
      char fstype[16] = {0}, root[512] = {0}, mnt[512] = {0}, super[512] = {0};
      if (sep == NULL || sscanf(sep + 3, "%15s %*s %511s", fstype, super) != 2 ||
          sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2)
        continue;
      int v2 = strcmp(fstype, "cgroup2") == 0;
      /* only the standard hierarchies under /sys/fs/cgroup, no odd names */
      if ((!v2 && strcmp(fstype, "cgroup") != 0) || strncmp(mnt, "/sys/fs/cgroup", 14) != 0 ||
          strchr(mnt, '\\') != NULL || strchr(root, '\\') != NULL)
        continue;
      table[ntable++] = (struct cg_mount){xstrdup(mnt), xstrdup(root), xstrdup(super), v2};
    }
    free(line);
    if (mi != NULL)
      fclose(mi);
  }
  *n = ntable;
  return table;
}

int cgjoin_prepare(const struct cgroup *cg, struct cgjoin *j, struct err **e) {
  memset(j, 0, sizeof(*j));
  size_t n;
  const struct cg_mount *m = cg_mounts(&n);
  for (size_t i = 0; i < n; i++) {
    if (m[i].v2 || strcmp(m[i].root, "/") != 0)
      continue;
    cleanup_free char *dir = path_join(m[i].mnt, cgroup_path(cg));
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
      continue; /* a hierarchy the module does not use */
    cleanup_free char *tasks = path_join(dir, "tasks");
    strv_push(&j->tasks, tasks);
  }
  (void)e;
  return 0;
}

int cgjoin_self(const struct cgjoin *j, struct err **e) {
  for (char **t = j->tasks; t != NULL && *t != NULL; t++) {
    int fd = open(*t, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return err_set(e, errno, "join cgroup: open '%s'", *t);
    ssize_t w = write(fd, "0", 1);
    int err = errno;
    close(fd);
    if (w != 1)
      return err_set(e, err, "join cgroup '%s'", *t);
  }
  return 0;
}

int cgjoin_v2_mkdir(const struct cgroup *cg, struct err **e) {
  size_t n;
  const struct cg_mount *m = cg_mounts(&n);
  for (size_t i = 0; i < n; i++) {
    if (!m[i].v2 || strcmp(m[i].root, "/") != 0)
      continue;
    cleanup_free char *dir = path_join(m[i].mnt, cgroup_path(cg));
    if (mkdir_p(dir, 0755, e) < 0)
      return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return err_set(e, errno, "open cgroup '%s'", dir);
    return fd;
  }
  return -2; /* no cgroup2 hierarchy */
}

void cgjoin_free(struct cgjoin *j) {
  strv_free(j->tasks);
  j->tasks = NULL;
}

pid_t cgjoin_clone(int flags, int cgfd, int *into) {
  *into = 0;
  if (cgfd >= 0) {
    struct clone_args a = {.flags = (uint64_t)flags | CLONE_INTO_CGROUP,
                           .exit_signal = SIGCHLD,
                           .cgroup = (uint64_t)cgfd};
    long pid = syscall(SYS_clone3, &a, sizeof(a));
    if (pid >= 0) {
      *into = 1;
      return (pid_t)pid;
    }
    /* ENOSYS, E2BIG (kernel < 5.7): the old way */
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
      return -1;
  }
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}
