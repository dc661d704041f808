/* detach.h — leaving the kernel's slow bookkeeping to a child process that
 * nobody waits for.
 *
 * Some kernel work a plugin triggers is done, as far as anyone can observe,
 * long before the system call that asked for it returns: the last close of
 * an nf_tables socket waits for the previous transaction's memory to be
 * freed after an RCU grace period (10-20 ms on a busy machine), and deleting
 * a link waits for rcu_barrier() after the link is gone from every listing.
 * A plugin (and the runtime waiting on it) need not pay for that: a child
 * does, after the plugin has exited.  The child holds nothing but the one
 * descriptor; it never writes to the plugin's stdout, so a driver reading
 * to EOF does not wait for it either. */
#ifndef CAIRN_NETPLUG_DETACH_H
#define CAIRN_NETPLUG_DETACH_H

#include <sys/types.h>

/* Hand the last close of fd to a child: it keeps a copy of fd until
 * detach_release(token), which the caller runs after closing its own copy
 * (by close(2) or by the library that owns fd).  Returns the token, or -1
 * when no child could be made (then the caller's close is the last). */
int detach_hold(int fd);
void detach_release(int token);

/* The process's arguments, which children wipe (but for argv[0]): a child
 * of "cairn-net del NET <id> …" that outlives it must not pass for it in
 * ps or /proc/PID/cmdline. */
void detach_args(int argc, char **argv);

/* Fork a child that keeps only the descriptors keep[0..n), in a session of
 * its own; returns its pid in the parent, 0 in the child, -1 when fork
 * failed. */
pid_t detach_fork(const int *keep, int n);

#endif
