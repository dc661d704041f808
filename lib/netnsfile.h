/* netnsfile.h — network namespaces that outlive their processes: a bind mount
 * of /proc/PID/ns/net onto a file under RUN_DIR/netns, so CNI plugins can
 * wire one before a container starts and after it ends.  Used by cairn
 * (containers) and cairn-build (RUN steps). */
#ifndef CAIRN_NETNSFILE_H
#define CAIRN_NETNSFILE_H

#include "err.h"

/* A new network namespace bound at path, which must lie in RUN_DIR/netns
 * (that directory is made a shared mount point first, under
 * RUN_DIR/netns.lock, so later mount namespaces see files come and go). */
int netns_bind_new(const char *run_dir, const char *path, struct err **e);
/* Unbind and remove path; a missing one is fine. */
int netns_unbind(const char *path, struct err **e);

#endif
