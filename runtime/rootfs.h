/* rootfs.h — the container's filesystem view, built in its own mount
 * namespace: before pivot_root (mounts, devices), the switch of root, and
 * after it (hostname, sysctl, read-only and masked paths, read-only root). */
#ifndef CAIRN_RT_ROOTFS_H
#define CAIRN_RT_ROOTFS_H

#include "config.h"
#include "err.h"
#include "mount.h"

/* Root propagation, the rootfs bind, every mount of the config, devices. */
int rootfs_prepare(const struct rt_config *c, const struct mount_ctx *mc, struct err **e);
/* pivot_root into the rootfs (no_pivot: MS_MOVE it onto / and chroot, for
 * roots pivot_root refuses, like a ramfs). */
int rootfs_pivot(const char *rootfs, int no_pivot, struct err **e);
/* After the switch: hostname/domainname, sysctl, readonlyPaths,
 * maskedPaths, a read-only root and the final root propagation. */
int rootfs_finish(const struct rt_config *c, struct err **e);

#endif
