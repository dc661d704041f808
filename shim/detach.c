/* detach.c — leaving the caller behind.
 *
 * The caller forks; that child calls setsid (a new session, no controlling
 * terminal) and forks again, so the shim is neither a session leader (it
 * can never acquire a terminal by opening one) nor the caller's child: it
 * is reparented to init, or to the nearest subreaper, and survives the
 * caller being killed.  The result travels back on a pipe; the caller waits
 * for it, prints it and exits, while the shim keeps running.
 *
 * The shim must not keep the caller's stdio: `out=$(cairn-shim …)` would
 * never see EOF.  Its stdin and stdout become /dev/null and its stderr
 * STATE/shim.log, where its later warnings go. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fs.h"
#include "lock.h"
#include "mem.h"
#include "shim.h"

int lock_state(const struct shim_opts *o, struct err **e) {
  cleanup_free char *p = path_join(o->state_dir, "shim.lock");
  struct err *le = NULL;
  int fd = lock_try(p, 0, &le);
  if (fd >= 0)
    return fd;
  if (le->code == ERR_EXISTS) {
    err_free(&le);
    return err_setc(e, ERR_EXISTS, 0, "state dir '%s' is in use by another shim", o->state_dir);
  }
  *e = le;
  return -1;
}

/* A daemon keeps none of its caller's fds: a test runner or a shell
 * waiting for a pipe to close would wait as long as the container runs.
 * Everything above stderr goes but the two fds the shim needs. */
static void close_inherited(int a, int b) {
  int lo = a < b ? a : b, hi = a < b ? b : a;
  if (lo > 3)
    close_range(3, (unsigned)lo - 1, 0);
  if (hi > lo + 1)
    close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
  close_range((unsigned)hi + 1, ~0U, 0);
}

int detach(const struct shim_opts *o, int lockfd, int *fd, struct err **e) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return err_set(e, errno, "pipe");
  fflush(stdout);
  fflush(stderr);
  pid_t a = fork();
  if (a < 0) {
    int saved = errno;
    close(p[0]);
    close(p[1]);
    return err_set(e, saved, "fork");
  }
  if (a > 0) {
    close(p[1]);
    proc_wait(a);
    *fd = p[0];
    return 1;
  }
  close(p[0]);
  if (setsid() < 0)
    _exit(1);
  pid_t b = fork();
  if (b < 0)
    _exit(1); /* the caller reads EOF and reports it */
  if (b > 0)
    _exit(0);

  if (chdir("/") < 0)
    _exit(1);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  cleanup_free char *logp = path_join(o->state_dir, "shim.log");
  int log = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(log >= 0 ? log : null, 2) < 0)
    _exit(1);
  close(null);
  if (log >= 0)
    close(log);
  close_inherited(p[1], lockfd);
  *fd = p[1];
  return 0;
}
