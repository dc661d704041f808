/* container.c — the parent's half of starting a container (container.h). */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgjoin.h"
#include "cgroup.h"
#include "devices.h"
#include "fs.h"
#include "hooks.h"
#include "json.h"
#include "mem.h"
#include "seccomp_filter.h"
#include "sync.h"
#include "terminal.h"

char *container_hook_state(const struct rt_config *c, const char *id, const char *status,
                           pid_t pid) {
  return hook_state(id, status, pid, c->bundle, c->annotations);
}

static int open_ns(const struct rt_config *c, enum ns_kind k, struct err **e) {
  const char *path = c->ns[k].path;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "%s namespace path '%s'", ns_config_name(k), path);
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type < 0) {
    close(fd);
    return err_set(e, 0, "%s namespace path '%s' is not a namespace", ns_config_name(k), path);
  }
  if (type != ns_clone_flag(k)) {
    close(fd);
    return err_set(e, 0, "namespace path '%s' is not a %s namespace", path, ns_config_name(k));
  }
  return fd;
}

static int write_map(pid_t pid, const char *file, const struct id_map *m, size_t n,
                     struct err **e) {
  char buf[4096];
  size_t o = 0;
  for (size_t i = 0; i < n && o < sizeof(buf) - 40; i++)
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%u %u %u\n", m[i].container, m[i].host,
                          m[i].size);
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open '%s'", path);
  ssize_t w = write(fd, buf, o);
  int err = errno;
  close(fd);
  if (w != (ssize_t)o)
    return err_set(e, err, "write %s of the container", file);
  return 0;
}

static int write_maps(const struct rt_config *c, pid_t pid, struct err **e) {
  if (write_map(pid, "uid_map", c->uid_maps, c->nuid_maps, e) < 0 ||
      write_map(pid, "gid_map", c->gid_maps, c->ngid_maps, e) < 0)
    return -1;
  return 0;
}

static int wait_status(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

void container_abort(struct launch *l) {
  if (l->pid > 0) {
    kill(l->pid, SIGKILL);
    wait_status(l->pid);
    l->pid = 0;
  }
  if (l->cg != NULL)
    cgroup_destroy(l->cg, NULL);
  if (l->sync >= 0) {
    close(l->sync);
    l->sync = -1;
  }
  if (l->master >= 0) {
    close(l->master);
    l->master = -1;
  }
}

/* The cgroup's resources, plus the rules for the default devices when the
 * config restricts devices at all (the cgroup module adds none). */
static json_t *cgroup_resources(const struct rt_config *c) {
  if (c->resources == NULL)
    return NULL;
  json_t *r = json_deep_copy(c->resources);
  json_t *dev = json_object_get(r, "devices");
  if (json_is_array(dev))
    devices_default_rules(dev);
  return r;
}

static int setup_cgroup(const struct rt_config *c, const struct launch *l, struct err **e) {
  cleanup_json json_t *res = cgroup_resources(c);
  return cgroup_setup(l->cg, res, 0, e);
}

static int converse(const struct rt_config *c, struct launch *l, pid_t middle, struct err **e) {
  for (;;) {
    struct sync_msg m;
    int fd = -1;
    int r = sync_recv(l->sync, &m, &fd, e);
    if (r < 0)
      return -1;
    if (r == 0) {
      int st = wait_status(l->pid);
      l->pid = 0;
      if (WIFSIGNALED(st))
        return err_set(e, 0, "the container's init was killed by signal %d", WTERMSIG(st));
      return err_set(e, 0, "the container's init exited with status %d", WEXITSTATUS(st));
    }
    switch (m.type) {
      case SYNC_ERR: return sync_to_err(&m, e);
      case SYNC_MAPS_REQ:
        if (write_maps(c, (pid_t)m.val, e) < 0)
          return -1;
        sync_send(l->sync, SYNC_MAPS_DONE, 0);
        break;
      case SYNC_PID:
        /* pid 1 forked by the middle process, which now exits */
        wait_status(middle);
        l->pid = (pid_t)m.val;
        break;
      case SYNC_HOOKS_REQ: {
        cleanup_free char *st = container_hook_state(c, l->id, "created", l->pid);
        if (hooks_run(&c->hooks, HOOK_PRESTART, st, e) < 0 ||
            hooks_run(&c->hooks, HOOK_CREATE_RUNTIME, st, e) < 0)
          return -1;
        sync_send(l->sync, SYNC_HOOKS_DONE, 0);
        break;
      }
      case SYNC_FD:
        if (l->master >= 0)
          close(l->master);
        l->master = fd;
        break;
      case SYNC_READY: return 0;
      default: return err_set(e, EPROTO, "unexpected message %d from the container", m.type);
    }
  }
}

int container_launch(struct rt_config *c, struct launch *l, struct err **e) {
  struct init_args a = {.c = c, .l = l, .sync = -1, .console = -1, .fifo = -1, .log_fd = log_fd()};
  for (int k = 0; k < NS_COUNT; k++)
    a.join[k] = -1;
  l->pid = 0;
  l->sync = -1;
  l->master = -1;
  l->start_sent = 0;
  int rc = -1, sv[2] = {-1, -1}, pidns_self = -1, cg_made = 0, v2fd = -1;
  a.seccomp = l->seccomp;
  int any_join = 0;
  for (int k = 0; k < NS_COUNT; k++) {
    if (c->ns[k].path == NULL)
      continue;
    if ((a.join[k] = open_ns(c, (enum ns_kind)k, e)) < 0)
      goto out;
    any_join |= k != NS_PID;
  }
  a.new_userns = c->ns[NS_USER].present && c->ns[NS_USER].path == NULL;
  a.two_stage = a.new_userns && any_join;
  if (l->console_socket != NULL && (a.console = console_connect(l->console_socket, e)) < 0)
    goto out;
  if (l->mode == LAUNCH_CREATE) {
    cleanup_free char *fifo = path_join(l->state_dir, "exec.fifo");
    if (mkfifo(fifo, 0600) < 0) {
      err_set(e, errno, "create '%s'", fifo);
      goto out;
    }
    /* read-write: opening does not block, and the child's read is the wait */
    if ((a.fifo = open(fifo, O_RDWR | O_CLOEXEC)) < 0) {
      err_set(e, errno, "open '%s'", fifo);
      goto out;
    }
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    err_set(e, errno, "socketpair");
    goto out;
  }
  int flags = 0;
  if (!a.two_stage)
    for (int k = 0; k < NS_COUNT; k++)
      if (k != NS_CGROUP && k != NS_TIME && c->ns[k].present && c->ns[k].path == NULL)
        flags |= ns_clone_flag((enum ns_kind)k);
  /* Cgroups.  The slow part (limits, v1 dirs) overlaps the child's own
   * setup: we make only the cgroup2 dir first and clone the child into it
   * (clone3), then set the limits while it builds its namespaces and
   * mounts; it waits for SYNC_CG_READY before it joins the v1 hierarchies
   * itself (cgjoin.c), mounts cgroupfs or unshares its cgroup namespace.
   * A child cloned straight into a new user namespace cannot join: we move
   * it.  The two-stage path keeps it simple: all before GO. */
  int parent_moves = a.new_userns && !a.two_stage, into = 0;
  if (l->cg != NULL) {
    cg_made = 1;
    if ((v2fd = cgjoin_v2_mkdir(l->cg, e)) == -1)
      goto out;
    a.cg_deferred = !a.two_stage;
    a.cg_self_join = !parent_moves;
  }
  if (l->cg != NULL && !a.cg_deferred && setup_cgroup(c, l, e) < 0)
    goto out;
  /* Joining a pid namespace only affects children: do it here, clone, and
   * come back to ours. */
  if (a.join[NS_PID] >= 0) {
    pidns_self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (pidns_self < 0 || setns(a.join[NS_PID], CLONE_NEWPID) < 0) {
      err_set(e, errno, "join pid namespace '%s'", c->ns[NS_PID].path);
      goto out;
    }
  }
  log_debug("launch: cloning");
  pid_t pid = cgjoin_clone(flags, parent_moves ? -1 : v2fd, &into);
  if (pid == 0) {
    close(sv[0]);
    a.sync = sv[1];
    init_main(&a);
  }
  int clone_err = errno;
  if (pidns_self >= 0 && setns(pidns_self, CLONE_NEWPID) < 0) {
    err_set(e, errno, "return to our pid namespace");
    goto out;
  }
  if (pid < 0) {
    err_set(e, clone_err, "clone the container process");
    goto out;
  }
  cg_made = 0; /* container_abort removes it from here on */
  close(sv[1]);
  sv[1] = -1;
  l->pid = pid;
  l->sync = sv[0];
  sv[0] = -1;
  if (a.new_userns && !a.two_stage && write_maps(c, pid, e) < 0)
    goto fail;
  if (c->proc.has_oom) {
    char path[64], val[16];
    snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
    snprintf(val, sizeof(val), "%d", c->proc.oom_score_adj);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, val, strlen(val)) < 0) {
      err_set(e, errno, "set oom_score_adj to %d", c->proc.oom_score_adj);
      if (fd >= 0)
        close(fd);
      goto fail;
    }
    close(fd);
  }
  /* moved by us when it cannot join itself (and on kernels without clone3) */
  int enter = l->cg != NULL && (parent_moves || (!into && v2fd >= 0));
  if (enter && !a.cg_deferred && cgroup_enter(l->cg, pid, e) < 0)
    goto fail;
  log_debug("launch: cloned %d", (int)pid);
  if (sync_send(l->sync, SYNC_GO, 0) < 0) {
    err_set(e, errno, "start the container process");
    goto fail;
  }
  if (a.cg_deferred) {
    if (setup_cgroup(c, l, e) < 0 || (enter && cgroup_enter(l->cg, pid, e) < 0))
      goto fail;
    log_debug("launch: cgroup ready");
    sync_send(l->sync, SYNC_CG_READY, 0);
  }
  /* run: START queued now lets the child go on from READY to its execve
   * without waiting for us to read READY and write the state (a round trip:
   * two wake-ups, milliseconds on a busy machine).  Only when no other
   * message of ours can come after it: MAPS_DONE (two-stage) or
   * HOOKS_DONE (prestart/createRuntime hooks). */
  if (l->mode == LAUNCH_RUN && !a.two_stage &&
      c->hooks.n[HOOK_PRESTART] + c->hooks.n[HOOK_CREATE_RUNTIME] == 0 &&
      sync_send(l->sync, SYNC_START, 0) == 0)
    l->start_sent = 1;
  if (converse(c, l, pid, e) < 0)
    goto fail;
  log_debug("launch: container process %d ready", (int)l->pid);
  rc = 0;
  goto out;
fail:
  container_abort(l);
out:
  if (cg_made)
    cgroup_destroy(l->cg, NULL);
  if (v2fd >= 0)
    close(v2fd);
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  if (pidns_self >= 0)
    close(pidns_self);
  for (int k = 0; k < NS_COUNT; k++)
    if (a.join[k] >= 0)
      close(a.join[k]);
  if (a.console >= 0)
    close(a.console);
  if (a.fifo >= 0)
    close(a.fifo);
  return rc;
}
