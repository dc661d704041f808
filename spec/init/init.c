/* cairn-init — a minimal init for containers (`cairn-spec --init` binds it
 * at /dev/init and runs "/dev/init -- COMMAND…").  As pid 1 it
 *
 *   - starts COMMAND as its only child;
 *   - forwards every signal it receives to that child: the kernel drops
 *     signals to a namespace's pid 1 that has no handler, so a plain program
 *     as pid 1 ignores `docker stop`'s SIGTERM;
 *   - reaps every process reparented to it, so orphans never stay zombies;
 *   - exits with the child's status: its exit code, or 128 + the signal.
 *
 * Signals are blocked and taken with sigwaitinfo(2) rather than handled
 * asynchronously: blocked signals are queued even for pid 1, and one loop
 * does forwarding and reaping without races.  Synchronous fault signals
 * stay unblocked so a bug in init itself still kills it.
 *
 * Built static (no libcairn, no libc at run time) so it runs in any image. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT};

int main(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--help") == 0) {
    fputs("Usage: cairn-init [--] COMMAND [ARG...]\n"
          "Runs COMMAND as the child of a minimal pid 1 that forwards signals to it,\n"
          "reaps zombies and exits with its status (128 + signal when killed).\n",
          stdout);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "--") == 0)
    first = 2;
  if (first >= argc) {
    fputs("cairn-init: no command given (usage: cairn-init [--] COMMAND [ARG...])\n", stderr);
    return 2;
  }

  sigset_t set, old;
  sigfillset(&set);
  for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
    sigdelset(&set, fault_signals[i]);
  if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
    fprintf(stderr, "cairn-init: sigprocmask: %s\n", strerror(errno));
    return 1;
  }

  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "cairn-init: fork: %s\n", strerror(errno));
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[first], argv + first);
    int err = errno;
    fprintf(stderr, "cairn-init: exec '%s': %s\n", argv[first], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }

  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    if (sig < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "cairn-init: sigwaitinfo: %s\n", strerror(errno));
      return 1;
    }
    if (sig != SIGCHLD) {
      /* ESRCH: the child is gone and its SIGCHLD is on the way. */
      kill(child, sig);
      continue;
    }
    int status, done = 0, code = 0;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p != child)
        continue;
      done = 1;
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (done)
      return code;
  }
}
