/* cgjoin.h — a new process into its (already made) cgroups without the
 * grace period that a cgroup.procs write costs; see cgjoin.c. */
#ifndef CAIRN_RT_CGJOIN_H
#define CAIRN_RT_CGJOIN_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct cgroup;

/* A cgroup hierarchy mounted under /sys/fs/cgroup (mountinfo fields). */
struct cg_mount {
  char *mnt, *root, *super; /* mount point, root in the hierarchy, superblock options */
  int v2;                   /* cgroup2 */
};
/* Every such mount, read once per process (and inherited across clone). */
const struct cg_mount *cg_mounts(size_t *n);

struct cgjoin {
  char **tasks; /* the v1 "tasks" files of the container's cgroup */
};

/* Find the container's directories (after cgroup_setup made them). */
int cgjoin_prepare(const struct cgroup *cg, struct cgjoin *j, struct err **e);
/* In the new process, still in the host's user namespace: join every v1
 * hierarchy by writing "0" to its tasks file. */
int cgjoin_self(const struct cgjoin *j, struct err **e);
void cgjoin_free(struct cgjoin *j);
/* Before the cgroup module's setup: make the container's cgroup2 directory
 * (so the process can be cloned into it while the module applies limits)
 * and open it.  Returns the fd, -2 when the host has no cgroup2 hierarchy,
 * -1 on error. */
int cgjoin_v2_mkdir(const struct cgroup *cg, struct err **e);
/* clone (fork-like, SIGCHLD) with flags, created inside cgfd's cgroup2
 * directory when cgfd >= 0 and the kernel has clone3; *into says whether it
 * was. */
pid_t cgjoin_clone(int flags, int cgfd, int *into);

#endif
