#include "detach.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void close_between(int lo, int hi) {
  if (lo <= hi)
    close_range((unsigned)lo, (unsigned)hi, 0);
}

static char **args;
static int nargs;

void detach_args(int argc, char **argv) {
  args = argv;
  nargs = argc;
}

pid_t detach_fork(const int *keep, int n) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  for (int i = 1; i < nargs; i++)
    memset(args[i], 0, strlen(args[i]));
  /* Close everything but keep[], which is short: sort a copy. */
  int k[8];
  int m = 0;
  for (int i = 0; i < n && m < 8; i++)
    if (keep[i] >= 0)
      k[m++] = keep[i];
  for (int i = 1; i < m; i++)
    for (int j = i; j > 0 && k[j - 1] > k[j]; j--) {
      int t = k[j];
      k[j] = k[j - 1];
      k[j - 1] = t;
    }
  int lo = 0;
  for (int i = 0; i < m; i++) {
    close_between(lo, k[i] - 1);
    lo = k[i] + 1;
  }
  close_range((unsigned)lo, ~0U, 0);
  /* A driver that kills the plugin's process group on a timeout must not
   * hit a child that merely finishes the kernel's cleanup. */
  signal(SIGPIPE, SIG_IGN);
  setsid();
  return 0;
}

int detach_hold(int fd) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  int keep[2] = {fd, p[0]};
  pid_t pid = detach_fork(keep, 2);
  if (pid == 0) {
    /* Ours is the last copy once the parent closed its own and then the
     * pipe, which we see as EOF. */
    char c;
    while (read(p[0], &c, 1) < 0 && errno == EINTR)
      ;
    close(fd);
    _exit(0);
  }
  close(p[0]);
  if (pid < 0) {
    close(p[1]);
    return -1;
  }
  return p[1];
}

void detach_release(int token) {
  if (token >= 0)
    close(token);
}
