/* proc.c — starting children with exactly the fds we choose.
 *
 * The shim blocks its signals (they arrive through a signalfd) and ignores
 * SIGPIPE; children must not inherit either, or a container would start
 * with SIGCHLD blocked and SIGPIPE ignored.  Every fd the shim owns is
 * O_CLOEXEC; close_range marks any stray one too. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "shim.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void child_reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; sig++)
    signal(sig, SIG_DFL); /* fails harmlessly for KILL, STOP and RT internals */
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void child_setup(int in, int out, int err) {
  int fds[3] = {in, out, err};
  int null = -1;
  for (int i = 0; i < 3; i++) {
    if (fds[i] < 0) {
      if (null < 0)
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
      fds[i] = null;
    }
    /* Move every source above 2 first so dup2 into 0..2 cannot clobber a
     * source that happens to sit at 0..2. */
    fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
  }
  for (int i = 0; i < 3; i++)
    dup2(fds[i], i); /* dup2 clears CLOEXEC on the target */
  syscall(SYS_close_range, 3U, UINT_MAX, CLOSE_RANGE_CLOEXEC);
}

pid_t proc_spawn(char *const argv[], int in, int out, int err, struct err **e) {
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) < 0)
    return err_set(e, errno, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(ep[0]);
    close(ep[1]);
    return err_set(e, saved, "fork");
  }
  if (pid == 0) {
    close(ep[0]);
    child_reset_signals();
    child_setup(in, out, err);
    execv(argv[0], argv);
    int saved = errno;
    (void)!write(ep[1], &saved, sizeof saved);
    _exit(127);
  }
  close(ep[1]);
  int child_errno = 0;
  ssize_t r;
  do
    r = read(ep[0], &child_errno, sizeof child_errno);
  while (r < 0 && errno == EINTR);
  close(ep[0]);
  if (r == (ssize_t)sizeof child_errno) {
    proc_wait(pid);
    return err_set(e, child_errno, "exec '%s'", argv[0]);
  }
  return pid;
}

int proc_wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

int status_code(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

/* The child's exit ends the run, not EOF on its stderr: a runtime may leave
 * a process behind (the container itself) that still holds the pipe. */
int64_t proc_deadline(int64_t timeout_ns) {
  if (timeout_ns <= 0)
    return 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * NSEC_PER_SEC + now.tv_nsec + timeout_ns;
}

int proc_ms_left(int64_t deadline_ns) {
  if (deadline_ns == 0)
    return -1;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t left = deadline_ns - ((int64_t)now.tv_sec * NSEC_PER_SEC + now.tv_nsec);
  if (left <= 0)
    return 0;
  return (int)((left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

int proc_run(char *const argv[], int out, char *errbuf, size_t errcap, struct err **e) {
  int timed_out;
  return proc_run_timeout(argv, out, errbuf, errcap, 0, &timed_out, e);
}

int proc_run_timeout(char *const argv[], int out, char *errbuf, size_t errcap, int64_t timeout_ns,
                     int *timed_out, struct err **e) {
  *timed_out = 0;
  int64_t deadline = proc_deadline(timeout_ns);
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
    return err_set(e, errno, "pipe");
  pid_t pid = proc_spawn(argv, -1, out, p[1], e);
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    return -1;
  }
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  size_t n = 0;
  for (;;) {
    struct pollfd fds[2] = {{.fd = p[0], .events = POLLIN}, {.fd = pfd, .events = POLLIN}};
    int done = 0;
    if (pfd >= 0) {
      int left = proc_ms_left(deadline);
      int r0 = left == 0 ? 0 : poll(fds, 2, left);
      if (r0 < 0 && errno != EINTR)
        break;
      if (r0 == 0) {
        /* a hung runtime must not hang the shim and its caller forever */
        *timed_out = 1;
        kill(pid, SIGKILL);
        break;
      }
      done = fds[1].revents != 0;
    }
    ssize_t r;
    char tmp[1024];
    while ((r = read(p[0], tmp, sizeof tmp)) > 0) {
      size_t take = (size_t)r;
      if (errcap > 0 && n + take > errcap - 1)
        take = errcap - 1 - n;
      memcpy(errbuf + n, tmp, take);
      n += take;
    }
    if (r == 0 || done || pfd < 0)
      break;
  }
  if (errcap > 0)
    errbuf[n] = '\0';
  if (pfd >= 0)
    close(pfd);
  close(p[0]);
  return proc_wait(pid);
}
