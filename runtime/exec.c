/* exec.c — `exec`'s engine (exec.h).
 *
 *   parent                                  child
 *   pidfd of the container's init
 *   setns(pidfd, CLONE_NEWPID), fork ────▶  (in the container's pid ns)
 *   back to our pid namespace               non-dumpable, waits for GO
 *   cgroup_enter(child)
 *   GO ─────────────────────────────────▶  setns(pidfd, every other namespace
 *                                           that differs from ours) at once,
 *                                           pty, cwd, user, caps, seccomp
 *   end of file = execve done    ◀───────  execve (the socket is close-on-exec)
 */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs.h"
#include "json.h"
#include "lifecycle.h"
#include "mem.h"
#include "process.h"
#include "seccomp_filter.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"

json_t *exec_base_process(const struct rt_opts *g, const char *id, struct err **e) {
  cleanup_close int dfd = state_open(g->root, id, 0, e);
  if (dfd < 0)
    return NULL;
  cleanup_close int fd = openat(dfd, "config.json", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err_set(e, errno, "read the stored config of \"%s\"", id);
    return NULL;
  }
  cleanup_json json_t *j = json_load_fd_named(fd, "config.json", e);
  if (j == NULL)
    return NULL;
  json_t *p = json_object_get(j, "process");
  return json_is_object(p) ? json_deep_copy(p) : json_object();
}

/* The namespaces of pid that are not ours: the ones exec must join. */
static int differing_namespaces(pid_t pid) {
  int flags = 0;
  for (int k = 0; k < NS_COUNT; k++) {
    char a[64], b[64];
    snprintf(a, sizeof(a), "/proc/self/ns/%s", ns_proc_name((enum ns_kind)k));
    snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, ns_proc_name((enum ns_kind)k));
    struct stat sa, sb;
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
      continue; /* a kernel without that namespace type */
    if (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
      flags |= ns_clone_flag((enum ns_kind)k);
  }
  return flags;
}

struct child {
  int sync, pidfd, console, relay, preserve_fds, flags, helper;
  struct rt_process *p;
  void *seccomp;
};

static __attribute__((noreturn)) void child_main(struct child *ch) {
  struct err *e = NULL;
  cleanup_free char *path = NULL;
  /* while we are the runtime inside the container's pid namespace, its
   * processes must not ptrace us or open our /proc files */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (sync_expect(ch->sync, SYNC_GO, &e) < 0)
    _exit(1);
  int flags = ch->flags & ~CLONE_NEWPID;
  if (flags != 0 && setns(ch->pidfd, flags) < 0) {
    err_set(&e, errno, "join the container's namespaces");
    goto fail;
  }
  close(ch->pidfd);
  if (ch->p->terminal) {
    int master, slave;
    cleanup_free char *name = NULL;
    if (console_open(ch->p->cons_rows, ch->p->cons_cols, ch->p->uid, ch->p->gid, &master, &slave,
                     &name, &e) < 0)
      goto fail;
    int r = ch->console >= 0                     ? console_send(ch->console, master, name, &e)
            : sync_send_fd(ch->sync, master) < 0 ? err_set(&e, errno, "send the pty")
                                                 : 0;
    close(master);
    if (r < 0 || console_attach(slave, &e) < 0)
      goto fail;
  }
  if (ch->console >= 0)
    close(ch->console);
  if (process_lookup(ch->p, &path, &e) < 0 || process_prepare(ch->p, &e) < 0 ||
      process_close_fds(ch->preserve_fds, &e) < 0)
    goto fail;
  /* the parent-death signal survives execve: a detached exec must outlive
   * us (cleared before seccomp, which might not allow prctl) */
  prctl(PR_SET_PDEATHSIG, 0);
  if (process_set_user(ch->p, ch->seccomp, &e) < 0 || process_set_late(ch->p, ch->seccomp, &e) < 0)
    goto fail;
  process_exec(path, ch->p, ch->helper, ch->sync, &e);
fail:
  sync_send_err(ch->sync, e);
  _exit(1);
}

int exec_run(const struct rt_opts *g, const struct exec_opts *o, json_t *proc, struct err **e) {
  struct rt_process p;
  if (config_parse_process(proc, &p, "process", e) < 0) {
    config_process_free(&p);
    return -1;
  }
  int rc = -1, sv[2] = {-1, -1}, pidfd = -1, selfpid = -1, console = -1, master = -1, helper = -1;
  pid_t pid = -1;
  struct rt_config *c = NULL;
  struct cgroup *cg = NULL;
  void *seccomp = NULL;
  struct rt_state st = {0};
  sigset_t set;
  cleanup_close int dfd = state_open(g->root, o->id, 0, e);
  if (dfd < 0 || state_read(dfd, o->id, &st, e) < 0)
    goto out;
  enum rt_status s = state_status(dfd, &st);
  if (s == ST_STOPPED) {
    err_set(e, 0, "cannot exec in a stopped container");
    goto out;
  }
  if (s == ST_PAUSED && !o->ignore_paused) {
    err_set(e, 0, "cannot exec in a paused container (resume it first)");
    goto out;
  }
  if (p.terminal && o->detach && o->console_socket == NULL) {
    err_usage(e, "exec: a detached terminal process needs --console-socket");
    goto out;
  }
  if (!p.terminal && o->console_socket != NULL) {
    err_usage(e, "exec: --console-socket is only for a terminal process (-t)");
    goto out;
  }
  if ((c = lifecycle_config(dfd, st.bundle, e)) == NULL)
    goto out;
  if (c->seccomp != NULL) {
    cleanup_free char *sc_cache = path_join(g->root, ".seccomp");
    if ((seccomp = filter_build(c->seccomp, sc_cache, e)) == NULL)
      goto out;
  }
  /* the last step before anything is made (it may re-execute us) */
  if (rt_protect(g, &p, NULL, seccomp, &helper, e) < 0)
    goto out;
  if (st.cgroup_path != NULL && (cg = rt_cgroup(g, st.cgroup_path, o->id, e)) == NULL)
    goto out;
  if (o->console_socket != NULL && (console = console_connect(o->console_socket, e)) < 0)
    goto out;
  for (int fd = 3; fd < 3 + o->preserve_fds; fd++)
    if (fcntl(fd, F_SETFD, 0) < 0) {
      err_usage(e, "--preserve-fds %d: fd %d is not open", o->preserve_fds, fd);
      goto out;
    }
  pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);
  /* the pid could have been reused between the status check and now */
  if (pidfd < 0 || proc_start_time(st.pid) != st.start_time) {
    err_set(e, 0, "cannot exec in a stopped container");
    goto out;
  }
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  int flags = differing_namespaces(st.pid);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    err_set(e, errno, "socketpair");
    goto out;
  }
  if (!o->detach)
    fg_block_signals(&set);
  if (flags & CLONE_NEWPID) {
    selfpid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (selfpid < 0 || setns(pidfd, CLONE_NEWPID) < 0) {
      err_set(e, errno, "join the container's pid namespace");
      goto out;
    }
  }
  pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    close(sv[0]);
    struct child ch = {sv[1], pidfd,  console, console < 0, o->preserve_fds,
                       flags, helper, &p,      seccomp};
    child_main(&ch);
  }
  int cerr = errno;
  if (selfpid >= 0 && setns(selfpid, CLONE_NEWPID) < 0) {
    err_set(e, errno, "return to our pid namespace");
    goto out;
  }
  if (pid < 0) {
    err_set(e, cerr, "fork");
    goto out;
  }
  close(sv[1]);
  sv[1] = -1;
  if (p.has_oom) {
    char path[64], val[16];
    snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
    snprintf(val, sizeof(val), "%d", p.oom_score_adj);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int ok = fd >= 0 && write(fd, val, strlen(val)) > 0;
    if (fd >= 0)
      close(fd);
    if (!ok) {
      err_set(e, errno, "set oom_score_adj to %d", p.oom_score_adj);
      goto kill;
    }
  }
  if (cg != NULL && cgroup_enter(cg, pid, e) < 0)
    goto kill;
  if (sync_send(sv[0], SYNC_GO, 0) < 0) {
    err_set(e, errno, "start the exec process");
    goto kill;
  }
  for (;;) {
    struct sync_msg m;
    int fd = -1;
    int r = sync_recv(sv[0], &m, &fd, e);
    if (r < 0)
      goto kill;
    if (r == 0)
      break; /* execve done */
    if (m.type == SYNC_ERR) {
      sync_to_err(&m, e);
      goto kill;
    }
    if (m.type == SYNC_FD) {
      if (master >= 0)
        close(master);
      master = fd;
    }
  }
  if (o->pid_file != NULL && write_pid_file(o->pid_file, pid, e) < 0)
    goto kill;
  if (o->detach) {
    rc = 0;
    goto out;
  }
  close(dfd);
  dfd = -1;
  rc = fg_wait(pid, master, &set, e);
  master = -1;
  goto out;
kill:
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
out:
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  if (pidfd >= 0)
    close(pidfd);
  if (selfpid >= 0)
    close(selfpid);
  if (console >= 0)
    close(console);
  if (master >= 0)
    close(master);
  if (helper >= 0)
    close(helper);
  filter_free(seccomp);
  cgroup_free(cg);
  config_free(c);
  state_free(&st);
  config_process_free(&p);
  return rc;
}
