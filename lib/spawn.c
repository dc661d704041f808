#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"

extern char **environ;

/* What the child reports on the error pipe when it cannot exec. */
enum { STAGE_SETUP, STAGE_CHDIR, STAGE_EXEC };
struct child_err {
  int stage;
  int errnum;
};

struct buf {
  char *p;
  size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t more) {
  if (b->len + more + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 16384;
  while (cap < b->len + more + 1)
    cap *= 2;
  b->p = xrealloc(b->p, cap);
  b->cap = cap;
}

/* Close every fd in [lo, hi]: close_range(2) where the kernel has it (5.9),
 * else one close per possible fd up to the NOFILE limit. Async-signal-safe. */
static void close_fds(unsigned lo, unsigned hi) {
  if (lo > hi)
    return;
  if (close_range(lo, hi, 0) == 0)
    return;
  struct rlimit rl;
  unsigned max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max)
    max = (unsigned)rl.rlim_cur;
  if (hi >= max)
    hi = max - 1;
  for (unsigned fd = lo; fd <= hi; fd++)
    close((int)fd);
}

static _Noreturn void child_fail(int errfd, int stage) {
  struct child_err ce = {stage, errno};
  ssize_t r = write(errfd, &ce, sizeof(ce));
  (void)r;
  _exit(127);
}

/* Between fork and exec: only async-signal-safe calls.  The fds the child
 * keeps are first moved above 2 so that the dup2()s onto 0, 1 and 2 cannot
 * clobber one another, whatever numbers the parent had for them. */
static _Noreturn void child(const struct spawn_opts *o, int in, int out, int errp, int errfd) {
  errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
  if (errfd < 0)
    _exit(127);
  int src[3] = {in, out, errp};
  for (int i = 0; i < 3; i++)
    if (src[i] >= 0 && (src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0)
      child_fail(errfd, STAGE_SETUP);
  for (int i = 0; i < 3; i++)
    if (src[i] >= 0 && dup2(src[i], i) < 0) /* dup2 clears CLOEXEC on i */
      child_fail(errfd, STAGE_SETUP);
  /* Only stdio survives: everything else is closed now, and the error pipe
   * (CLOEXEC) by the exec itself. */
  if (errfd > 3)
    close_fds(3, (unsigned)errfd - 1);
  close_fds((unsigned)errfd + 1, ~0U);

  /* What the caller did with signals (handlers, SIG_IGN, signals blocked
   * for a signalfd) is not the new program's business: it starts with the
   * defaults and nothing blocked.  Ignored signals would otherwise survive
   * exec, and a shell cannot even un-ignore them. */
  struct sigaction dfl = {.sa_handler = SIG_DFL}; /* sigaction: async-signal-safe */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  if (o->cwd != NULL && chdir(o->cwd) < 0)
    child_fail(errfd, STAGE_CHDIR);
  char *const *envp = o->envp ? (char *const *)o->envp : environ;
  execvpe(o->argv[0], (char *const *)o->argv, envp);
  child_fail(errfd, STAGE_EXEC);
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* Feed stdin and drain stdout/stderr together, so that a child blocked on a
 * full output pipe never waits for us while we wait to write its input. */
static int pump(const struct spawn_opts *o, int *win, int *rout, int *rerr, struct buf *bo,
                struct buf *be, struct err **e) {
  const char *in = o->stdin_buf;
  size_t in_off = 0;
  if (*win >= 0 && o->stdin_len == 0)
    close_fd(win);
  while (*win >= 0 || *rout >= 0 || *rerr >= 0) {
    struct pollfd p[3] = {{*win, POLLOUT, 0}, {*rout, POLLIN, 0}, {*rerr, POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return err_set(e, errno, "poll");
    }
    if (*win >= 0 && p[0].revents) {
      ssize_t w = write(*win, in + in_off, o->stdin_len - in_off);
      if (w < 0 && errno != EAGAIN && errno != EINTR) {
        if (errno != EPIPE) /* EPIPE: the child stopped reading, its business */
          return err_set(e, errno, "write to child stdin");
        close_fd(win);
      } else if (w > 0 && (in_off += (size_t)w) == o->stdin_len) {
        close_fd(win);
      }
    }
    int *rfd[2] = {rout, rerr};
    struct buf *rb[2] = {bo, be};
    for (int i = 0; i < 2; i++) {
      if (*rfd[i] < 0 || !p[i + 1].revents)
        continue;
      buf_reserve(rb[i], 65536);
      ssize_t r = read(*rfd[i], rb[i]->p + rb[i]->len, rb[i]->cap - rb[i]->len - 1);
      if (r < 0 && errno != EINTR && errno != EAGAIN)
        return err_set(e, errno, "read from child");
      if (r == 0)
        close_fd(rfd[i]);
      else if (r > 0) {
        if (o->on_output != NULL)
          o->on_output(o->on_output_arg, i + 1, rb[i]->p + rb[i]->len, (size_t)r);
        rb[i]->len += (size_t)r;
      }
    }
  }
  return 0;
}

static int spawn_child(const struct spawn_opts *o, struct spawn_result *r, int pin[2], int pout[2],
                       int perr[2], struct err **e) {
  int perrpipe[2] = {-1, -1};
  if (pipe2(perrpipe, O_CLOEXEC) < 0)
    return err_set(e, errno, "pipe");

  /* All signals blocked across fork: a handler of the caller must not run in
   * the child before it has reset the dispositions. */
  sigset_t all, old, pipemask;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0)
    child(o, pin[0], pout[1], perr[1], perrpipe[1]);
  int fork_errno = errno;
  if (pid > 0 && o->running_pid != NULL)
    *o->running_pid = pid;

  /* SIGPIPE stays blocked while we write the child's stdin; a pending one
   * caused by us is swallowed below. */
  sigset_t pending_before;
  sigpending(&pending_before);
  pipemask = old;
  sigaddset(&pipemask, SIGPIPE);
  sigprocmask(SIG_SETMASK, &pipemask, NULL);

  close_fd(&pin[0]);
  close_fd(&pout[1]);
  close_fd(&perr[1]);
  close_fd(&perrpipe[1]);
  int ret = 0;
  if (pid < 0) {
    close_fd(&perrpipe[0]);
    ret = err_set(e, fork_errno, "fork");
    goto out;
  }

  struct child_err ce;
  ssize_t n;
  do
    n = read(perrpipe[0], &ce, sizeof(ce));
  while (n < 0 && errno == EINTR);
  close_fd(&perrpipe[0]);
  if (n == (ssize_t)sizeof(ce)) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    if (o->running_pid != NULL)
      *o->running_pid = 0;
    if (ce.stage == STAGE_EXEC)
      ret = err_setc(e, ce.errnum == ENOENT ? ERR_NOTFOUND : ERR_FAIL, ce.errnum, "exec '%s'",
                     o->argv[0]);
    else if (ce.stage == STAGE_CHDIR)
      ret = err_set(e, ce.errnum, "exec '%s': chdir '%s'", o->argv[0], o->cwd);
    else
      ret = err_set(e, ce.errnum, "exec '%s': set up stdio", o->argv[0]);
    goto out;
  }

  struct buf bo = {0}, be = {0};
  if (pin[1] >= 0)
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
  ret = pump(o, &pin[1], &pout[0], &perr[0], &bo, &be, e);
  close_fd(&pin[1]);
  close_fd(&pout[0]);
  close_fd(&perr[0]);
  if (ret < 0)
    kill(pid, SIGKILL); /* we cannot talk to it any more; don't leave it behind */
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      if (o->running_pid != NULL)
        *o->running_pid = 0;
      free(bo.p);
      free(be.p);
      ret = err_set(e, errno, "wait for '%s'", o->argv[0]);
      goto out;
    }
  }
  if (o->running_pid != NULL)
    *o->running_pid = 0;
  if (ret < 0) {
    free(bo.p);
    free(be.p);
    goto out;
  }
  r->exited = WIFEXITED(status);
  r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (o->capture_stdout) {
    buf_reserve(&bo, 0);
    bo.p[bo.len] = '\0';
    r->out = bo.p;
    r->out_len = bo.len;
  }
  if (o->capture_stderr) {
    buf_reserve(&be, 0);
    be.p[be.len] = '\0';
    r->err = be.p;
    r->err_len = be.len;
  }

out:;
  sigset_t pending;
  sigpending(&pending);
  if (sigismember(&pending, SIGPIPE) && !sigismember(&pending_before, SIGPIPE)) {
    struct timespec zero = {0, 0};
    sigset_t just_pipe;
    sigemptyset(&just_pipe);
    sigaddset(&just_pipe, SIGPIPE);
    sigtimedwait(&just_pipe, NULL, &zero);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return ret;
}

int spawn_run(const struct spawn_opts *o, struct spawn_result *r, struct err **e) {
  memset(r, 0, sizeof(*r));
  if (o->argv == NULL || o->argv[0] == NULL || o->argv[0][0] == '\0')
    return err_usage(e, "spawn: empty command");
  int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
  int ret = -1;
  if (o->stdin_buf != NULL) {
    if (pipe2(pin, O_CLOEXEC) < 0) {
      err_set(e, errno, "pipe");
      goto out;
    }
  } else if ((pin[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
    err_set(e, errno, "open '/dev/null'");
    goto out;
  }
  if (o->capture_stdout && pipe2(pout, O_CLOEXEC) < 0) {
    err_set(e, errno, "pipe");
    goto out;
  }
  if (o->capture_stderr && pipe2(perr, O_CLOEXEC) < 0) {
    err_set(e, errno, "pipe");
    goto out;
  }
  ret = spawn_child(o, r, pin, pout, perr, e);
out:
  for (int i = 0; i < 2; i++) {
    close_fd(&pin[i]);
    close_fd(&pout[i]);
    close_fd(&perr[i]);
  }
  return ret;
}

void spawn_result_free(struct spawn_result *r) {
  if (r == NULL)
    return;
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
  r->out_len = r->err_len = 0;
}

int spawn_status(const struct spawn_result *r) {
  return r->exited ? r->code : 128 + r->signal;
}
