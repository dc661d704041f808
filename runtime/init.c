/* init.c — the container's first process, from clone() to execve().  See
 * container.h for the conversation with the parent.  Everything here runs
 * in a single-threaded child; errors go back to the parent as one message
 * (sync_send_err) and the child exits. */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgjoin.h"
#include "container.h"
#include "fs.h"
#include "hooks.h"
#include "mem.h"
#include "process.h"
#include "rootfs.h"
#include "sync.h"
#include "terminal.h"

static int after_ready;

static __attribute__((noreturn)) void die(struct init_args *a, struct err *e) {
  sync_send_err(a->sync, e);
  /* after READY of `create` nobody listens any more: say it on stderr */
  if (after_ready && a->l->mode == LAUNCH_CREATE)
    err_print(e, RT_NAME);
  _exit(1);
}

static int write_proc(const char *file, const char *text, struct err **e) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open '%s'", file);
  int r = write_all(fd, text, strlen(text));
  int err = errno;
  close(fd);
  return r < 0 ? err_set(e, err, "write '%s'", file) : 0;
}

static int join_namespaces(struct init_args *a, struct err **e) {
  for (int k = 0; k < NS_COUNT; k++) {
    if (a->join[k] < 0 || k == NS_PID)
      continue;
    if (setns(a->join[k], ns_clone_flag((enum ns_kind)k)) < 0)
      return err_set(e, errno, "join %s namespace '%s'", ns_config_name((enum ns_kind)k),
                     a->c->ns[k].path);
    close(a->join[k]);
    a->join[k] = -1;
  }
  return 0;
}

static int become_root(struct err **e) {
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
    return err_set(e, errno, "become root in the user namespace (is uid/gid 0 mapped?)");
  return 0;
}

/* The slow path: joins first, then our own user namespace, then the rest,
 * then fork pid 1 of the new pid namespace as the runtime's child. */
static int two_stage(struct init_args *a, struct err **e) {
  const struct rt_config *c = a->c;
  if (join_namespaces(a, e) < 0)
    return -1;
  if (a->new_userns) {
    if (unshare(CLONE_NEWUSER) < 0)
      return err_set(e, errno, "create the user namespace");
    if (sync_send(a->sync, SYNC_MAPS_REQ, getpid()) < 0 ||
        sync_expect(a->sync, SYNC_MAPS_DONE, e) < 0)
      return err_wrap(e, "id maps");
    if (become_root(e) < 0)
      return -1;
  }
  int flags = 0;
  for (int k = 0; k < NS_COUNT; k++)
    if (k != NS_USER && k != NS_CGROUP && k != NS_TIME && c->ns[k].present && c->ns[k].path == NULL)
      flags |= ns_clone_flag((enum ns_kind)k);
  if (flags != 0 && unshare(flags) < 0)
    return err_set(e, errno, "create namespaces");
  if (!(flags & CLONE_NEWPID))
    return 0;
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0)
    return err_set(e, errno, "fork the container's pid 1");
  if (pid > 0) {
    sync_send(a->sync, SYNC_PID, pid);
    _exit(0);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  return 0;
}

/* A new network namespace has only a loopback device, down; runc and crun
 * bring it up, and programs expect 127.0.0.1 to work. */
static int loopback_up(struct err **e) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return err_set(e, errno, "bring up lo: socket");
  struct ifreq ifr = {0};
  memcpy(ifr.ifr_name, "lo", 3);
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(s);
  return r < 0 ? err_set(e, err, "bring up lo") : 0;
}

static int time_namespace(const struct rt_config *c, struct err **e) {
  if (unshare(CLONE_NEWTIME) < 0)
    return err_set(e, errno, "create the time namespace");
  if (!c->has_time_offsets)
    return 0;
  char buf[128];
  snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n", (long long)c->mono_secs,
           c->mono_nsecs, (long long)c->boot_secs, c->boot_nsecs);
  return write_proc("/proc/self/timens_offsets", buf, e);
}

/* Our pid as the host sees it: /proc is still the host's here. */
static pid_t host_pid(void) {
  char buf[32] = {0};
  ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
  return n > 0 ? (pid_t)atoi(buf) : getpid();
}

static int setup_console(struct init_args *a, struct err **e) {
  const struct rt_process *p = &a->c->proc;
  int master, slave;
  cleanup_free char *name = NULL;
  if (console_open(p->cons_rows, p->cons_cols, p->uid, p->gid, &master, &slave, &name, e) < 0)
    return -1;
  /* /dev/console is the container's terminal too, as in runc */
  int f = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (f >= 0)
    close(f);
  if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0) {
    int err = errno;
    close(master), close(slave);
    return err_set(e, err, "bind %s to /dev/console", name);
  }
  int r = a->console >= 0                     ? console_send(a->console, master, name, e)
          : sync_send_fd(a->sync, master) < 0 ? err_set(e, errno, "send the pty")
                                              : 0;
  close(master);
  if (a->console >= 0) {
    close(a->console);
    a->console = -1;
  }
  if (r < 0) {
    close(slave);
    return -1;
  }
  return console_attach(slave, e);
}

static pid_t my_host_pid;

/* Join the v1 hierarchies by writing "0" to their tasks files (cgjoin.c);
 * the cgroup2 one we were cloned into. */
static int join_cgroups(struct init_args *a, struct err **e) {
  struct cgjoin j;
  int r = cgjoin_prepare(a->l->cg, &j, e);
  if (r == 0)
    r = cgjoin_self(&j, e);
  cgjoin_free(&j);
  return r;
}

static int run_hooks_here(struct init_args *a, enum hook_kind k, const char *status,
                          struct err **e) {
  if (a->c->hooks.n[k] == 0)
    return 0;
  cleanup_free char *st = container_hook_state(a->c, a->l->id, status, my_host_pid);
  return hooks_run(&a->c->hooks, k, st, e);
}

void init_main(struct init_args *a) {
  struct err *e = NULL;
  struct rt_config *c = a->c;
  const struct launch *l = a->l;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* the state dir's flock would be held as long as we live */
  if (l->lock_fd >= 0)
    close(l->lock_fd);
  /* into our cgroups first, while still in the host's user namespace */
  log_debug("init: cloned");
  /* into our cgroups first, while still in the host's user namespace */
  if (!a->cg_deferred && a->cg_self_join && join_cgroups(a, &e) < 0)
    die(a, e);
  umask(0); /* modes of device nodes and mount points are exactly as given */
  if (sync_expect(a->sync, SYNC_GO, &e) < 0)
    _exit(1); /* the parent gave up and reports why */
  log_debug("init: go");
  if (a->two_stage) {
    if (two_stage(a, &e) < 0)
      die(a, e);
  } else {
    if (a->new_userns && become_root(&e) < 0)
      die(a, e);
    if (join_namespaces(a, &e) < 0)
      die(a, e);
  }
  if (c->ns[NS_TIME].present && c->ns[NS_TIME].path == NULL && time_namespace(c, &e) < 0)
    die(a, e);
  if (c->ns[NS_NET].present && c->ns[NS_NET].path == NULL && loopback_up(&e) < 0)
    die(a, e);
  if (!l->no_new_keyring) {
    cleanup_free char *kr = xasprintf("_ses.%s", l->id);
    /* a fresh session keyring; hosts without keyrings (ENOSYS) or under a
     * seccomp filter of their own (EPERM) just go without */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, kr) < 0 && errno != ENOSYS &&
        errno != EPERM) {
      err_set(&e, errno, "join a session keyring");
      die(a, e);
    }
  }

  my_host_pid = host_pid();
  struct mount_ctx mc = {.rootfs = c->rootfs,
                         .in_userns = c->ns[NS_USER].present,
                         .new_cgroupns = c->ns[NS_CGROUP].present && !c->ns[NS_CGROUP].path,
                         .new_netns = c->ns[NS_NET].present && !c->ns[NS_NET].path,
                         .label = c->mount_label};
  log_debug("init: namespaces ready, mounting");
  /* the mounts up to the first cgroup mount need no cgroup: they overlap
   * the parent's cgroup setup */
  size_t k = 0;
  while (k < c->nmounts && !(c->mounts[k].type != NULL && !c->mounts[k].bind &&
                             strncmp(c->mounts[k].type, "cgroup", 6) == 0))
    k++;
  if (rootfs_begin(c, &e) < 0 || rootfs_mounts(c, &mc, 0, k, &e) < 0)
    die(a, e);
  if (a->cg_deferred) {
    if (sync_expect(a->sync, SYNC_CG_READY, &e) < 0)
      die(a, e);
    if (a->cg_self_join && join_cgroups(a, &e) < 0)
      die(a, e);
  }
  if (rootfs_mounts(c, &mc, k, c->nmounts, &e) < 0 || rootfs_devices(c, &mc, &e) < 0)
    die(a, e);
  log_debug("init: mounts done");
  /* After the cgroup move (its root is the container's cgroup) and after
   * the cgroup mounts (which need the real paths of /proc/self/cgroup). */
  if (c->ns[NS_CGROUP].present && c->ns[NS_CGROUP].path == NULL && unshare(CLONE_NEWCGROUP) < 0) {
    err_set(&e, errno, "create the cgroup namespace");
    die(a, e);
  }
  if (c->hooks.n[HOOK_PRESTART] + c->hooks.n[HOOK_CREATE_RUNTIME] > 0 &&
      (sync_send(a->sync, SYNC_HOOKS_REQ, 0) < 0 || sync_expect(a->sync, SYNC_HOOKS_DONE, &e) < 0))
    die(a, e);
  if (run_hooks_here(a, HOOK_CREATE_CONTAINER, "created", &e) < 0)
    die(a, e);
  if (rootfs_pivot(c->rootfs, l->no_pivot, &e) < 0)
    die(a, e);
  if (c->proc.terminal && setup_console(a, &e) < 0)
    die(a, e);
  if (rootfs_finish(c, &e) < 0)
    die(a, e);
  log_debug("init: root switched and finished");
  if (c->has_personality && personality(c->personality) < 0) {
    err_set(&e, errno, "set personality");
    die(a, e);
  }
  cleanup_free char *path = NULL;
  if (process_lookup(&c->proc, &path, &e) < 0 || process_prepare(&c->proc, &e) < 0 ||
      process_close_fds(l->preserve_fds, &e) < 0)
    die(a, e);
  int user_done = 0;
  if (c->hooks.n[HOOK_START_CONTAINER] == 0) {
    if (process_set_user(&c->proc, a->seccomp, &e) < 0)
      die(a, e);
    user_done = 1;
  }
  prctl(PR_SET_PDEATHSIG, 0);
  if (sync_send(a->sync, SYNC_READY, 0) < 0)
    _exit(1);
  after_ready = 1;
  if (l->mode == LAUNCH_CREATE) {
    /* block until `start` writes to the exec fifo (we hold it open for
     * reading and writing, so this read is the only wait) */
    char b;
    ssize_t r;
    do
      r = read(a->fifo, &b, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1)
      _exit(1);
  } else if (sync_expect(a->sync, SYNC_START, &e) < 0) {
    _exit(1);
  }
  if (run_hooks_here(a, HOOK_START_CONTAINER, "created", &e) < 0)
    die(a, e);
  if (!user_done && process_set_user(&c->proc, a->seccomp, &e) < 0)
    die(a, e);
  if (process_set_late(&c->proc, a->seccomp, &e) < 0)
    die(a, e);
  process_exec(path, &c->proc, l->helper, a->sync, &e);
  die(a, e);
}
