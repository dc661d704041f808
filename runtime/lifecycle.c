#include "lifecycle.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "fmt.h"
#include "fs.h"
#include "hooks.h"
#include "json.h"
#include "mem.h"
#include "seccomp_filter.h"
#include "terminal.h"

struct cgroup *rt_cgroup(const struct rt_opts *g, const char *path, const char *id,
                         struct err **e) {
  cleanup_free char *conv = NULL;
  if (g->systemd_cgroup && path != NULL && path[0] != '/') {
    /* slice:prefix:name → /slice/prefix-name.scope, the path systemd would use */
    const char *a = strchr(path, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (b == NULL) {
      err_set(e, 0, "cgroupsPath \"%s\": expected \"slice:prefix:name\" with --systemd-cgroup",
              path);
      return NULL;
    }
    int sl = (int)(a - path), pl = (int)(b - a - 1);
    conv = xasprintf("/%.*s/%.*s%s%s.scope", sl ? sl : 11, sl ? path : "system.slice", pl, a + 1,
                     pl ? "-" : "", b + 1);
    path = conv;
  }
  return cgroup_new(path, id, e);
}

int write_pid_file(const char *path, pid_t pid, struct err **e) {
  char buf[16];
  int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
  cleanup_free char *abs = NULL;
  if (path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == NULL)
      return err_set(e, errno, "getcwd");
    abs = path_join(cwd, path);
    path = abs;
  }
  /* atomic, as its readers poll for it, but not fsync'd: a pid means
   * nothing after a reboot (runc does the same) */
  if (write_file_replace(path, buf, (size_t)n, 0644, e) < 0)
    return err_wrap(e, "pid file");
  return 0;
}

int wait_gone(pid_t pid, int ms) {
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd >= 0) {
    struct pollfd p = {pfd, POLLIN, 0};
    int r;
    do
      r = poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    close(pfd);
    return r > 0 ? 0 : -1;
  }
  return errno == ESRCH ? 0 : -1;
}

int parse_signal(const char *s, struct err **e) {
  static const struct {
    const char *name;
    int sig;
  } sigs[] = {{"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
              {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
              {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
              {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
              {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
              {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
              {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
              {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
              {"SYS", SIGSYS}};
  if (isdigit((unsigned char)s[0])) {
    char *end;
    long n = strtol(s, &end, 10);
    if (*end != '\0' || n <= 0 || n >= NSIG)
      return err_usage(e, "invalid signal \"%s\"", s);
    return (int)n;
  }
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    if (strcasecmp(name, sigs[i].name) == 0)
      return sigs[i].sig;
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    int base = toupper((unsigned char)name[3]) == 'I' ? SIGRTMIN : SIGRTMAX;
    int off = name[5] ? atoi(name + 5) : 0;
    int sig = base + off;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
      return sig;
  }
  return err_usage(e, "unknown signal \"%s\"", s);
}

struct rt_config *lifecycle_config(int dirfd, const char *bundle, struct err **e) {
  cleanup_close int fd = openat(dirfd, "config.json", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err_set(e, errno, "read the container's stored config.json");
    return NULL;
  }
  cleanup_json json_t *j = json_load_fd_named(fd, "config.json", e);
  if (j == NULL)
    return NULL;
  return config_parse(j, bundle, "config.json", 0, e);
}

static unsigned hook_mask(const struct rt_config *c) {
  unsigned m = 0;
  for (int k = 0; k < HOOK_NKINDS; k++)
    if (c->hooks.n[k] > 0)
      m |= 1u << k;
  return m;
}

static int check_preserved(int n, struct err **e) {
  for (int fd = 3; fd < 3 + n; fd++)
    if (fcntl(fd, F_GETFD) < 0)
      return err_usage(e, "--preserve-fds %d: fd %d is not open", n, fd);
  /* they must reach the container: clear close-on-exec now */
  for (int fd = 3; fd < 3 + n; fd++)
    fcntl(fd, F_SETFD, 0);
  return 0;
}

/* A bad config is a failed operation (exit 1, as runc), not a usage error. */
static int bad_input(struct err **e) {
  if (e != NULL && *e != NULL)
    (*e)->code = ERR_FAIL;
  return -1;
}

void created_free(struct created *c) {
  if (c->dirfd >= 0)
    close(c->dirfd);
  c->dirfd = -1;
  if (c->l.cg != NULL)
    cgroup_free(c->l.cg);
  c->l.cg = NULL;
  config_free(c->c);
  c->c = NULL;
  state_free(&c->st);
  filter_free(c->l.seccomp);
  c->l.seccomp = NULL;
  if (c->l.helper >= 0)
    close(c->l.helper);
  c->l.helper = -1;
}

int lifecycle_create(const struct rt_opts *g, const char *id, const struct create_opts *o,
                     enum launch_mode mode, struct created *out, struct err **e) {
  /* declared before any goto: a jump past a cleanup variable frees garbage */
  cleanup_free char *sdir = NULL;
  cleanup_close int cfd = -1;
  memset(out, 0, sizeof(*out));
  out->dirfd = -1;
  out->l.sync = out->l.master = out->l.helper = -1;
  if (rt_check_id(id, e) < 0)
    return -1;
  cleanup_free char *bundle = NULL;
  char cwd[4096];
  if (o->bundle == NULL || o->bundle[0] != '/') {
    if (getcwd(cwd, sizeof(cwd)) == NULL)
      return err_set(e, errno, "getcwd");
    bundle = o->bundle ? path_join(cwd, o->bundle) : xstrdup(cwd);
  } else {
    bundle = xstrdup(o->bundle);
  }
  cleanup_free char *clean = path_clean(bundle);
  struct stat st;
  if (stat(clean, &st) < 0)
    return err_set(e, errno, "bundle '%s'", clean);
  cleanup_free char *raw = NULL;
  size_t raw_len = 0;
  struct rt_config *c = config_load(clean, &raw, &raw_len, e);
  if (c == NULL)
    return bad_input(e);
  out->c = c;
  if (!c->has_process) {
    err_set(e, 0, "config.json: process: is required");
    goto fail_early;
  }
  /* runc's rules for terminals */
  int detached = mode == LAUNCH_CREATE || o->detach;
  if (c->proc.terminal && detached && o->console_socket == NULL) {
    err_usage(e, "the process has a terminal and the runtime detaches: --console-socket is "
                 "required");
    goto fail_early;
  }
  if (!c->proc.terminal && o->console_socket != NULL) {
    err_usage(e, "--console-socket is only for a process with a terminal (process.terminal)");
    goto fail_early;
  }
  if (check_preserved(o->preserve_fds, e) < 0)
    goto fail_early;
  if (cgroup_validate(c->resources, e) < 0) {
    bad_input(e);
    goto fail_early;
  }
  if (c->seccomp != NULL) {
    /* the program's cache lives in the state root (made as state_create does) */
    if (mkdir(g->root, 0711) < 0 && errno != EEXIST)
      (void)mkdir_p(g->root, 0711, NULL);
    cleanup_free char *sc_cache = path_join(g->root, ".seccomp");
    if ((out->l.seccomp = filter_build(c->seccomp, sc_cache, e)) == NULL) {
      bad_input(e);
      goto fail_early;
    }
  }
  /* the last step before anything is made (it may re-execute us) */
  if (rt_protect(g, &c->proc, c, out->l.seccomp, &out->l.helper, e) < 0)
    goto fail_early;
  if ((out->l.cg = rt_cgroup(g, c->cgroups_path, id, e)) == NULL)
    goto fail_early;

  out->dirfd = state_create(g->root, id, e);
  if (out->dirfd < 0)
    goto fail_early;
  sdir = state_path(g->root, id);
  cfd = openat(out->dirfd, "config.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (cfd < 0 || write_all(cfd, raw, raw_len) < 0) {
    err_set(e, errno, "store config.json");
    goto fail;
  }
  out->l.mode = mode;
  out->l.id = id;
  out->l.state_dir = sdir;
  out->l.console_socket = o->console_socket;
  out->l.no_pivot = o->no_pivot;
  out->l.no_new_keyring = o->no_new_keyring;
  out->l.preserve_fds = o->preserve_fds;
  out->l.relay_tty = c->proc.terminal && o->console_socket == NULL;
  out->l.lock_fd = out->dirfd;
  log_debug("create %s: bundle %s", id, clean);
  if (container_launch(c, &out->l, e) < 0)
    goto fail;
  out->l.state_dir = NULL; /* sdir dies with this scope */
  struct rt_state *s = &out->st;
  s->id = xstrdup(id);
  s->pid = out->l.pid;
  s->start_time = proc_start_time(out->l.pid);
  s->bundle = xstrdup(clean);
  s->rootfs = xstrdup(c->rootfs);
  s->created = fmt_now();
  s->annotations = c->annotations ? json_incref(c->annotations) : NULL;
  s->cgroup_path = xstrdup(cgroup_path(out->l.cg));
  s->hooks = hook_mask(c);
  if (state_write(out->dirfd, s, e) < 0 ||
      (o->pid_file != NULL && write_pid_file(o->pid_file, s->pid, e) < 0)) {
    container_abort(&out->l);
    goto fail;
  }
  log_debug("create %s: pid %d", id, (int)s->pid);
  return 0;
fail:
  state_remove(g->root, id, out->dirfd, NULL);
fail_early:
  created_free(out);
  return -1;
}

void fg_block_signals(sigset_t *set) {
  sigfillset(set);
  static const int sync_sigs[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL,
                                  SIGFPE,  SIGABRT, SIGTRAP, SIGSYS};
  for (size_t i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
    sigdelset(set, sync_sigs[i]);
  sigprocmask(SIG_BLOCK, set, NULL);
}

static int status_code(int st) {
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  return 1;
}

static void drain(int master) {
  char buf[16384];
  int fl = fcntl(master, F_GETFL);
  fcntl(master, F_SETFL, fl | O_NONBLOCK);
  ssize_t n;
  while ((n = read(master, buf, sizeof(buf))) > 0)
    if (write_all(1, buf, (size_t)n) < 0)
      break;
}

int fg_wait(pid_t pid, int master, const sigset_t *set, struct err **e) {
  cleanup_close int sfd = signalfd(-1, set, SFD_CLOEXEC);
  if (sfd < 0)
    return err_set(e, errno, "signalfd");
  int in_open = master >= 0;
  if (master >= 0)
    console_raw(master);
  int code = -1;
  char buf[16384];
  while (code < 0) {
    struct pollfd p[3] = {{sfd, POLLIN, 0}, {master, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};
    int r = poll(p, 3, -1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      console_restore();
      return err_set(e, errno, "poll");
    }
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
          int st;
          pid_t w;
          while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            if (w == pid)
              code = status_code(st);
        } else if (si.ssi_signo == SIGWINCH && master >= 0) {
          console_resize(master);
        } else {
          kill(pid, (int)si.ssi_signo);
        }
      }
    }
    if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(master, buf, sizeof(buf));
      if (n > 0)
        (void)write_all(1, buf, (size_t)n);
      else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        /* every slave is closed; stop polling the master, wait for the exit */
        close(master);
        master = -1;
      }
    }
    if (in_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, sizeof(buf));
      if (n <= 0) {
        in_open = 0;
        char eof = (char)console_eof_char();
        if (master >= 0)
          (void)!write(master, &eof, 1);
      } else if (master >= 0) {
        (void)write_all(master, buf, (size_t)n);
      }
    }
  }
  if (master >= 0)
    drain(master);
  console_restore();
  return code;
}

int lifecycle_destroy(const struct rt_opts *g, int dirfd, const char *id, struct rt_state *st,
                      int force, struct err **e) {
  struct cgroup *cg = NULL;
  if (st->cgroup_path != NULL && (cg = rt_cgroup(g, st->cgroup_path, id, e)) == NULL)
    return -1;
  enum rt_status s = state_status(dirfd, st);
  if (s != ST_STOPPED) {
    if (s == ST_PAUSED && cg != NULL)
      cgroup_freeze(cg, 0, NULL);
    if (force && cg != NULL)
      cgroup_signal_all(cg, SIGKILL, NULL);
    kill(st->pid, SIGKILL);
    if (wait_gone(st->pid, 10000) < 0) {
      cgroup_free(cg);
      return err_set(e, 0, "container \"%s\": init process %d did not die", id, (int)st->pid);
    }
  }
  if (cg != NULL) {
    /* with the container's pid namespace gone the rest are gone too; without
     * one, stray processes would keep the cgroup busy: kill them */
    if (cgroup_destroy(cg, NULL) < 0) {
      cgroup_signal_all(cg, SIGKILL, NULL);
      if (cgroup_destroy(cg, e) < 0) {
        cgroup_free(cg);
        return err_wrap(e, "delete container \"%s\"", id);
      }
    }
    cgroup_free(cg);
  }
  if (st->hooks & (1u << HOOK_POSTSTOP)) {
    struct err *he = NULL;
    struct rt_config *c = lifecycle_config(dirfd, st->bundle, &he);
    if (c != NULL) {
      cleanup_free char *hs = hook_state(id, "stopped", st->pid, st->bundle, st->annotations);
      hooks_run(&c->hooks, HOOK_POSTSTOP, hs, &he);
      config_free(c);
    }
    if (he != NULL) { /* the spec: a failing poststop hook is only a warning */
      log_warn("%s", he->msg);
      err_free(&he);
    }
  }
  return state_remove(g->root, id, dirfd, e);
}
