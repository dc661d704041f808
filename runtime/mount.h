/* mount.h — config.json mount options, and performing one mount inside the
 * container's rootfs (in the container's mount namespace, before
 * pivot_root).
 *
 * Destinations are resolved with the rootfs as "/" (lib/fs.h path_in_root /
 * open_in_root): a destination that is, or passes through, a symlink inside
 * the rootfs lands where the symlink points *inside* the rootfs, never
 * outside it.  The mount is then made on the resolved, opened directory
 * (through /proc/self/fd/N or move_mount with an fd), so a swap of the path
 * after resolution cannot redirect it either. */
#ifndef CAIRN_RT_MOUNT_H
#define CAIRN_RT_MOUNT_H

#include <jansson.h>

#include "config.h"
#include "err.h"

/* Fill m's flags from an "options" array (field names it in errors). */
int mount_parse_options(json_t *opts, struct rt_mount *m, const char *field, struct err **e);
/* Every option name understood, NULL-terminated (for `features`). */
const char *const *mount_option_names(void);
/* Propagation option ("rslave") to MS_* flags; 0 if not one. */
unsigned long mount_propagation_flag(const char *name);

struct mount_ctx {
  const char *rootfs; /* absolute rootfs path (a mount point by now) */
  int in_userns;      /* a new user namespace: some mounts need fallbacks */
  int new_cgroupns;   /* a new cgroup namespace */
  int new_netns;
  const char *label; /* linux.mountLabel, or NULL */
};

/* Create the destination (directory, or empty file when a bind source is a
 * file) inside the rootfs and mount m on it. */
int mount_one(const struct mount_ctx *c, const struct rt_mount *m, struct err **e);

/* Create path (absolute, in the container) inside root as a directory (or
 * an empty file when file is set), with parents; then open it O_PATH.
 * Returns the fd. */
int mount_mkdest(const char *root, const char *path, int file, struct err **e);

#endif
