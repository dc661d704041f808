/* container.h — starting a container's first process (create and run).
 *
 * The parent (the runtime) parses the config, builds the seccomp filter,
 * opens the namespaces to join and the console socket, then clones the
 * child with the new namespaces in the same call (CLONE_NEWPID and co.).
 * The two talk over a SOCK_SEQPACKET socketpair (sync.h):
 *
 *   parent                               child (init.c)
 *   clone ───────────────────────────▶  waits for GO
 *   writes uid/gid maps, cgroup setup
 *   GO ──────────────────────────────▶  joins namespaces by path, unshares
 *                                       cgroup/time namespaces, mounts…
 *                      ◀── HOOKS_REQ    (only when there are such hooks)
 *   prestart + createRuntime hooks
 *   HOOKS_DONE ──────────────────────▶  createContainer hooks, pivot_root,
 *                                       pty, hostname, sysctl, masks, finds
 *                                       the program, chdir, user, caps
 *                      ◀── READY
 *   create: writes state, exits         blocks on the exec fifo
 *   run:    START ───────────────────▶  execve (the socket closes on exec)
 *
 * A new user namespace together with namespaces joined by path needs the
 * joins first (they are owned by the host's user namespace): the child is
 * then cloned without flags, joins, unshares the user namespace (the parent
 * writes its maps), unshares the rest and forks the container's pid 1 with
 * CLONE_PARENT, so the runtime stays its parent. */
#ifndef CAIRN_RT_CONTAINER_H
#define CAIRN_RT_CONTAINER_H

#include <sys/types.h>

#include "config.h"
#include "err.h"
#include "runtime.h"

struct cgroup;

enum launch_mode { LAUNCH_CREATE, LAUNCH_RUN };

struct launch {
  /* in */
  enum launch_mode mode;
  const char *id;
  const char *state_dir;      /* root/<id>; the exec fifo lives there */
  const char *console_socket; /* NULL: none */
  int no_pivot;
  int no_new_keyring;
  int preserve_fds;
  int relay_tty; /* run -t without a console socket: we get the master */
  struct cgroup *cg;
  int lock_fd;   /* the locked state dir: the child must not keep it */
  void *seccomp; /* the process's seccomp program or NULL */
  int helper;    /* the exec helper's memfd or -1 (rt_protect) */
  /* out */
  pid_t pid;      /* the container's pid 1, in our pid namespace */
  int sync;       /* our end of the socketpair (run: send START) */
  int master;     /* relay_tty: the pty master, else -1 */
  int start_sent; /* run: SYNC_START is already queued (container.c) */
};

/* Start the container's first process and take it to READY.  On failure
 * everything it made is undone (process killed and reaped, cgroup
 * removed). */
int container_launch(struct rt_config *c, struct launch *l, struct err **e);
/* Undo a launched container: SIGKILL, reap, remove the cgroup. */
void container_abort(struct launch *l);

/* What the child receives (init.c). */
struct init_args {
  struct rt_config *c;
  const struct launch *l;
  int sync;           /* the child's end */
  int console;        /* connected console socket or -1 */
  int fifo;           /* create: the exec fifo, open read-write; else -1 */
  int join[NS_COUNT]; /* fds of namespaces to join, -1 otherwise */
  int two_stage;      /* see above */
  int new_userns;
  void *seccomp; /* l->seccomp */
  int log_fd;
  int cg_deferred;  /* wait for SYNC_CG_READY before cgroup work */
  int cg_self_join; /* then join the v1 hierarchies itself */
};

/* The child's life; never returns. */
__attribute__((noreturn)) void init_main(struct init_args *a);

/* The state JSON for hooks of this container, status given. */
char *container_hook_state(const struct rt_config *c, const char *id, const char *status,
                           pid_t pid);

#endif
