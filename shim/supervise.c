/* supervise.c — the container's life inside the detached shim: start it,
 * run the event loop, record its exit, restart it or finish.
 *
 * The shim is a child subreaper, so the container's init — forked by the
 * runtime, which exits — is reparented to us and its exit arrives as our
 * SIGCHLD.  Because we are its parent, its pid cannot be reused until we
 * reap it, so signalling it with kill(2) is safe. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "shim.h"

#define DRAIN_TIMEOUT_MS 2000

static struct shim S;

char *shim_path(struct shim *s, const char *name) {
  return path_join(s->o->state_dir, name);
}

/* After detaching, stderr is STATE/shim.log: warnings land there. */
void shim_warn(struct err **e) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char ts[40];
  fmt_time(ts, &now);
  dprintf(2, "%s cairn-shim[%d]: %s\n", ts, (int)getpid(), (*e)->msg);
  err_free(e);
}

static uint64_t ev_data(enum ev_tag tag, uint32_t idx) {
  return (uint64_t)tag | ((uint64_t)idx << 8);
}

void shim_watch(struct shim *s, int fd, uint32_t events, enum ev_tag tag, uint32_t idx) {
  struct epoll_event ev = {.events = events, .data.u64 = ev_data(tag, idx)};
  if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    struct err *e = NULL;
    err_set(&e, errno, "epoll add fd %d", fd);
    shim_warn(&e);
  }
}

void shim_rewatch(struct shim *s, int fd, uint32_t events, enum ev_tag tag, uint32_t idx) {
  struct epoll_event ev = {.events = events, .data.u64 = ev_data(tag, idx)};
  epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void shim_unwatch(struct shim *s, int fd) {
  epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int timer_arm(int tfd, int64_t ns) {
  struct itimerspec it = {0};
  it.it_value.tv_sec = ns / NSEC_PER_SEC;
  it.it_value.tv_nsec = ns % NSEC_PER_SEC;
  return timerfd_settime(tfd, 0, &it, NULL);
}

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * NSEC_PER_SEC + t.tv_nsec;
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* An attached client that cannot keep up stops us reading the container's
 * output (docker's attach does the same): the pipe fills and the container
 * blocks on write.  Paused fds leave the epoll set altogether, or a hangup
 * would be reported over and over. */
void shim_output_pause(struct shim *s, int paused) {
  if (paused == s->out_paused)
    return;
  s->out_paused = paused;
  int fds[2] = {s->out_fd, s->err_fd};
  for (int i = 0; i < 2; i++) {
    if (fds[i] < 0)
      continue;
    if (paused)
      shim_unwatch(s, fds[i]);
    else
      shim_watch(s, fds[i], EPOLLIN, i == 0 ? EV_STDOUT : EV_STDERR, 0);
  }
}

static void close_output(struct shim *s, enum log_stream st) {
  int *fd = st == LOG_STDOUT ? &s->out_fd : &s->err_fd;
  if (*fd < 0)
    return;
  logs_flush_partial(st);
  if (!s->out_paused)
    shim_unwatch(s, *fd);
  close_fd(fd);
}

/* The container has ended, but its last output may still sit in the pipes
 * (or be held by a process that outlived init when there is no pid
 * namespace): read until EOF, for at most DRAIN_TIMEOUT_MS. */
static void drain_output(struct shim *s) {
  int64_t deadline = mono_ns() + DRAIN_TIMEOUT_MS * NSEC_PER_MSEC;
  for (;;) {
    int progress = 0;
    int fds[2] = {s->out_fd, s->err_fd};
    for (int i = 0; i < 2; i++) {
      if (fds[i] < 0)
        continue;
      ssize_t r = logs_pump(s, fds[i], (enum log_stream)i);
      if (r == 0)
        close_output(s, (enum log_stream)i);
      else if (r > 0)
        progress = 1;
    }
    if (s->out_fd < 0 && s->err_fd < 0)
      return;
    if (progress)
      continue;
    int64_t left = deadline - mono_ns();
    if (left <= 0)
      break;
    struct pollfd p[2] = {{.fd = s->out_fd, .events = POLLIN}, {.fd = s->err_fd, .events = POLLIN}};
    if (poll(p, 2, (int)(left / NSEC_PER_MSEC) + 1) == 0)
      break;
  }
  close_output(s, LOG_STDOUT);
  close_output(s, LOG_STDERR);
}

static int container_start(struct shim *s, struct err **e) {
  const struct shim_opts *o = s->o;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
  if (!o->tty) {
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
        (o->stdin_open && pipe2(in, O_CLOEXEC) < 0)) {
      int saved = errno;
      for (int i = 0; i < 2; i++) {
        close_fd(&in[i]);
        close_fd(&out[i]);
        close_fd(&errp[i]);
      }
      return err_set(e, saved, "pipe");
    }
    set_nonblock(out[0]);
    set_nonblock(errp[0]);
  }
  int r = runtime_create(s, in[0], out[1], errp[1], errp[0], e);
  close_fd(&in[0]);
  close_fd(&out[1]);
  close_fd(&errp[1]);
  if (r < 0) {
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&errp[0]);
    return -1;
  }
  if (!o->tty) {
    s->out_fd = out[0];
    s->err_fd = errp[0];
    s->stdin_fd = in[1];
  } else {
    s->err_fd = -1;
    if (o->stdin_open) /* a second fd for the same pty: epoll tracks it apart */
      s->stdin_fd = fcntl(s->out_fd, F_DUPFD_CLOEXEC, 3);
  }
  set_nonblock(s->out_fd);
  if (s->stdin_fd >= 0)
    set_nonblock(s->stdin_fd);
  state_find_memcg(s);

  if (runtime_start(s, e) < 0) {
    runtime_delete(s);
    s->pid = 0;
    close_fd(&s->out_fd);
    close_fd(&s->err_fd);
    close_fd(&s->stdin_fd);
    return -1;
  }
  clock_gettime(CLOCK_REALTIME, &s->started);
  clock_gettime(CLOCK_MONOTONIC, &s->started_mono);
  cleanup_free char *exitp = shim_path(s, "exit.json");
  unlink(exitp);
  struct err *w = NULL;
  if (state_write_status(s, "running", &w) < 0)
    shim_warn(&w);
  s->out_paused = 0;
  shim_watch(s, s->out_fd, EPOLLIN, EV_STDOUT, 0);
  if (s->err_fd >= 0)
    shim_watch(s, s->err_fd, EPOLLIN, EV_STDERR, 0);
  health_start(s);
  /* docker's start event: written here, before the shim can see an exit,
   * so a die never precedes its start in the journal */
  shim_event(s, "start", NULL);
  return 0;
}

static int stop_requested(struct shim *s) {
  if (s->stop_requested)
    return 1;
  cleanup_free char *p = shim_path(s, "stop");
  return access(p, F_OK) == 0;
}

static void finish(struct shim *s) {
  s->finished = 1;
  timer_arm(s->restart_timer, 0);
  struct err *e = NULL;
  if (state_write_status(s, "exited", &e) < 0)
    shim_warn(&e);
}

static void container_exited(struct shim *s, int status) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t ran = (now.tv_sec - s->started_mono.tv_sec) * NSEC_PER_SEC +
                (now.tv_nsec - s->started_mono.tv_nsec);
  s->pid = 0;
  s->exit_status = status;
  timer_arm(s->stop_timer, 0);
  health_stop(s);
  drain_output(s);
  /* before `delete`, which removes the cgroup holding the counter */
  int oom = state_oom_killed(s);
  if (oom)
    shim_event(s, "oom", NULL);
  struct err *e = NULL;
  cleanup_free char *ej = state_exit_json(s, status, oom, &e);
  if (ej == NULL)
    shim_warn(&e);
  attach_exit(s, ej ? ej : "{}");
  close_fd(&s->stdin_fd);
  runtime_delete(s);

  int64_t delay;
  if (!stop_requested(s) && restart_should(s, status_code(status), ran, &delay)) {
    /* the caller journals the last exit; the ones we restart from are ours */
    char code[16];
    snprintf(code, sizeof code, "%d", status_code(status));
    shim_event(s, "die", json_pack("{s:s}", "exitCode", code));
    s->die_journaled = 1;
    if (state_write_status(s, "restarting", &e) < 0)
      shim_warn(&e);
    timer_arm(s->restart_timer, delay);
    return;
  }
  finish(s);
}

static void restart_now(struct shim *s) {
  if (stop_requested(s)) {
    finish(s);
    return;
  }
  struct err *e = NULL;
  if (container_start(s, &e) < 0) {
    err_wrap(&e, "restart");
    shim_warn(&e);
    finish(s);
    return;
  }
  s->die_journaled = 0;
}

/* docker's kill events of a stop: the stop signal, then KILL when the
 * grace period runs out (cairn kill journals its own) */
static void kill_event(struct shim *s, int sig) {
  char num[16];
  snprintf(num, sizeof num, "%d", sig);
  shim_event(s, "kill", json_pack("{s:s}", "signal", num));
}

int shim_stop(struct shim *s, int sig, int64_t timeout_ns, struct err **e) {
  s->stop_requested = 1;
  if (s->pid <= 0) {
    if (!s->finished)
      finish(s); /* waiting out a restart backoff: just don't restart */
    return 0;
  }
  if (kill(s->pid, sig) < 0)
    return err_set(e, errno, "signal container init %d", (int)s->pid);
  kill_event(s, sig);
  if (sig != SIGKILL && timeout_ns >= 0)
    timer_arm(s->stop_timer, timeout_ns > 0 ? timeout_ns : 1);
  return 0;
}

static void reap_children(struct shim *s) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == s->pid)
      container_exited(s, status);
    else
      health_reaped(s, pid, status); /* else an orphan of the container: nothing to do */
  }
}

static void handle_signals(struct shim *s) {
  struct signalfd_siginfo si;
  int reap = 0;
  while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
    int sig = (int)si.ssi_signo;
    if (sig == SIGCHLD) {
      reap = 1;
      continue;
    }
    /* SIGTERM/SIGINT to the shim stop the container for good, as `stop`
     * with docker's default 10 s grace; other signals are passed on. */
    if (sig == SIGTERM || sig == SIGINT) {
      struct err *e = NULL;
      if (shim_stop(s, sig, 10 * NSEC_PER_SEC, &e) < 0)
        shim_warn(&e);
    } else if (s->pid > 0) {
      kill(s->pid, sig);
    }
  }
  if (reap)
    reap_children(s);
}

static void dispatch(struct shim *s, uint64_t data, uint32_t events) {
  enum ev_tag tag = (enum ev_tag)(data & 0xff);
  uint32_t idx = (uint32_t)(data >> 8);
  uint64_t ticks;
  switch (tag) {
    case EV_SIGNAL: handle_signals(s); break;
    case EV_STDOUT:
    case EV_STDERR: {
      enum log_stream st = tag == EV_STDOUT ? LOG_STDOUT : LOG_STDERR;
      int fd = st == LOG_STDOUT ? s->out_fd : s->err_fd;
      if (fd >= 0 && !s->out_paused && logs_pump(s, fd, st) == 0)
        close_output(s, st);
      break;
    }
    case EV_STDIN: attach_stdin_writable(s); break;
    case EV_ATTACH_LISTEN: attach_accept(s); break;
    case EV_ATTACH_CLIENT: attach_client_event(s, idx, events); break;
    case EV_CTL_LISTEN: control_accept(s); break;
    case EV_RESTART_TIMER:
      if (read(s->restart_timer, &ticks, sizeof ticks) == (ssize_t)sizeof ticks && !s->finished)
        restart_now(s);
      break;
    case EV_STOP_TIMER:
      if (read(s->stop_timer, &ticks, sizeof ticks) == (ssize_t)sizeof ticks && s->pid > 0 &&
          kill(s->pid, SIGKILL) == 0)
        kill_event(s, SIGKILL);
      break;
    case EV_HEALTH_TIMER:
    case EV_HEALTH_TIMEOUT:
    case EV_HEALTH_OUT: health_event(s, tag); break;
  }
}

static int setup(struct shim *s, struct err **e) {
  const struct shim_opts *o = s->o;
  umask(022);
  s->dirfd = open(o->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0)
    return err_set(e, errno, "open state dir '%s'", o->state_dir);
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  if (state_write_volatile(s, "shim.pid", pid, (size_t)n, e) < 0)
    return -1;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    return err_set(e, errno, "become a subreaper");

  /* Whatever the caller left us (SIGCHLD ignored would make waitpid
   * fail), start from the defaults, then take signals through a signalfd. */
  for (int sig = 1; sig < NSIG; sig++)
    signal(sig, SIG_DFL);
  signal(SIGPIPE, SIG_IGN); /* a client hanging up is an EPIPE, not death */
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(&set, sigs[i]);
  sigprocmask(SIG_SETMASK, &set, NULL);
  s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  s->restart_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  s->stop_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (s->sigfd < 0 || s->epfd < 0 || s->restart_timer < 0 || s->stop_timer < 0)
    return err_set(e, errno, "set up the event loop");
  shim_watch(s, s->sigfd, EPOLLIN, EV_SIGNAL, 0);
  shim_watch(s, s->restart_timer, EPOLLIN, EV_RESTART_TIMER, 0);
  shim_watch(s, s->stop_timer, EPOLLIN, EV_STOP_TIMER, 0);

  if (logs_open(o->log_path, o->log_max_size, o->log_max_files, e) < 0)
    return -1;
  if (attach_listen(s, e) < 0 || control_listen(s, e) < 0)
    return -1;
  return 0;
}

/* A start that failed leaves nothing behind: not the sockets, not the
 * files, not the state dir when we made it. */
static void undo_setup(struct shim *s, int log_existed) {
  attach_close(s);
  control_close(s);
  logs_close();
  const struct shim_opts *o = s->o;
  if (!log_existed)
    unlink(o->log_path);
  if (o->state_created) {
    struct err *e = NULL;
    if (rm_rf(o->state_dir, &e) < 0)
      shim_warn(&e);
    return;
  }
  static const char *const files[] = {"shim.pid",    "runtime.log", "pid",
                                      "status.json", "shim.lock",   "shim.log"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    cleanup_free char *p = shim_path(s, files[i]);
    unlink(p);
  }
}

static void send_result(int fd, const char *line) {
  write_all(fd, line, strlen(line));
  write_all(fd, "\n", 1);
}

static void run_on_exit(struct shim *s) {
  if (s->o->on_exit == NULL)
    return;
  char code[16];
  snprintf(code, sizeof code, "%d", status_code(s->exit_status));
  setenv("CAIRN_EXIT_CODE", code, 1);
  setenv("CAIRN_CONTAINER_ID", s->o->id, 1);
  /* stopped while waiting to restart: its die is in the journal already */
  if (s->die_journaled)
    setenv("CAIRN_DIE_JOURNALED", "1", 1);
  /* A plain "/abs/path arg arg" needs no shell: one exec fewer on the way
   * out of every container (its caller may be waiting for it). */
  static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                              " _./:,+@%-";
  const char *cmd = s->o->on_exit;
  cleanup_strv char **words = NULL;
  if (cmd[0] == '/' && cmd[strspn(cmd, plain)] == '\0') {
    cleanup_free char *copy = xstrdup(cmd);
    char *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
      strv_push(&words, w);
  }
  char *shargv[] = {(char *)"/bin/sh", (char *)"-c", s->o->on_exit, NULL};
  char **argv = words != NULL ? words : shargv;
  struct err *e = NULL;
  pid_t pid = proc_spawn(argv, -1, 2, 2, &e);
  if (pid < 0) {
    err_wrap(&e, "on-exit command");
    shim_warn(&e);
    return;
  }
  int status = proc_wait(pid);
  if (status != 0) {
    err_set(&e, 0, "on-exit command '%s' exited with status %d", s->o->on_exit,
            status_code(status));
    shim_warn(&e);
  }
}

int shim_serve(struct shim_opts *o, int lockfd, int result_fd) {
  struct shim *s = &S;
  s->o = o;
  s->lockfd = lockfd;
  s->dirfd = s->sigfd = s->epfd = s->restart_timer = s->stop_timer = -1;
  s->out_fd = s->err_fd = s->stdin_fd = -1;
  struct stat st;
  int log_existed = stat(o->log_path, &st) == 0;

  struct err *e = NULL;
  if (setup(s, &e) < 0 || container_start(s, &e) < 0) {
    /* Clean up first, and let the caller see EOF only when this process
     * ends: once it has the error, nothing of ours is left. */
    undo_setup(s, log_existed);
    cleanup_free char *j = shim_error_json(e);
    send_result(result_fd, j);
    err_free(&e);
    free(s->memcg);
    s->memcg = NULL;
    return 1;
  }
  cleanup_json json_t *pj = json_pack("{s:i}", "pid", (int)s->pid);
  cleanup_free char *line = json_dump_compact(pj);
  send_result(result_fd, line);
  close(result_fd);
  /* give back what the start-up needed; an idle shim should be small */
  malloc_trim(0);

  while (!s->finished) {
    struct epoll_event evs[16];
    int n = epoll_wait(s->epfd, evs, 16, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      err_set(&e, errno, "epoll_wait");
      shim_warn(&e);
      break;
    }
    for (int i = 0; i < n && !s->finished; i++)
      dispatch(s, evs[i].data.u64, evs[i].events);
  }

  health_stop(s);
  attach_close(s);
  control_close(s);
  logs_close();
  run_on_exit(s);
  cleanup_free char *pidp = shim_path(s, "shim.pid");
  unlink(pidp);
  free(s->memcg);
  s->memcg = NULL;
  return 0;
}
