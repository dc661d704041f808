/* netns.h — network namespaces by path: open one, step into it and back.
 *
 * Plugins are single-threaded, so switching the whole process with setns(2)
 * is safe.  A netlink socket opened while inside stays bound to that
 * namespace after we step out, which is how we talk to both sides. */
#ifndef CAIRN_NETPLUG_NETNS_H
#define CAIRN_NETPLUG_NETNS_H

#include "err.h"

/* Open path (a bind mount under /run/netns, /proc/PID/ns/net …) and check it
 * is a network namespace.  A missing path fails with errnum ENOENT. */
int netns_open(const char *path, struct err **e);
/* Enter nsfd; *saved gets an fd of the namespace we were in. */
int netns_enter(int nsfd, int *saved, struct err **e);
/* Go back to saved and close it. */
int netns_leave(int *saved, struct err **e);

/* Write value to /proc/sys/<key> (as seen from the current namespace) unless
 * it holds that value already.  key uses slashes: "net/ipv4/ip_forward". */
int sysctl_set(const char *key, const char *value, struct err **e);

#endif
