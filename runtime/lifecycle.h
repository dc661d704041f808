/* lifecycle.h — the steps commands share: make a container (create, run),
 * wait for a foreground process, tear a container down (delete, run's
 * end), and small helpers around the state. */
#ifndef CAIRN_RT_LIFECYCLE_H
#define CAIRN_RT_LIFECYCLE_H

#include <signal.h>
#include <sys/types.h>

#include "config.h"
#include "container.h"
#include "err.h"
#include "runtime.h"
#include "state.h"

struct cgroup;

struct create_opts {
  const char *bundle; /* default: cwd */
  const char *console_socket;
  const char *pid_file;
  int no_pivot, no_new_keyring, preserve_fds;
  int detach; /* run -d (create always detaches) */
};

struct created {
  int dirfd; /* locked state dir */
  struct rt_config *c;
  struct launch l;
  struct rt_state st;
};

/* The cgroup of a container from linux.cgroupsPath; with --systemd-cgroup
 * "slice:prefix:name" becomes /slice/prefix-name.scope. */
struct cgroup *rt_cgroup(const struct rt_opts *g, const char *path, const char *id, struct err **e);
/* Everything up to READY: validate, state dir, config copy, launch, state.json,
 * pid file.  On failure nothing is left behind. */
int lifecycle_create(const struct rt_opts *g, const char *id, const struct create_opts *o,
                     enum launch_mode mode, struct created *out, struct err **e);
void created_free(struct created *c);
/* The signals a foreground runtime forwards (blocked before the launch so
 * none is lost; the container's process unblocks them before execve). */
void fg_block_signals(sigset_t *set);
/* Wait for pid, forwarding signals and relaying the pty when master >= 0.
 * Returns the exit code (128 + n for a signal). */
int fg_wait(pid_t pid, int master, const sigset_t *set, struct err **e);
/* Stop (SIGKILL) what still runs when force, then poststop hooks, cgroup
 * and state dir removal. */
int lifecycle_destroy(const struct rt_opts *g, int dirfd, const char *id, struct rt_state *st,
                      int force, struct err **e);
/* The config stored at create (check_root off). */
struct rt_config *lifecycle_config(int dirfd, const char *bundle, struct err **e);
/* Atomically write pid (no newline) to path. */
int write_pid_file(const char *path, pid_t pid, struct err **e);
/* Wait until pid is gone (or a zombie) for at most ms milliseconds. */
int wait_gone(pid_t pid, int ms);
/* Signal name or number ("KILL", "SIGKILL", "9") to a number. */
int parse_signal(const char *s, struct err **e);

#endif
