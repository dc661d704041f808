/* spawn.h — run another program: optional stdin bytes, captured stdout and
 * stderr, exit code or signal.  Only the listed fds reach the child: stdio
 * and nothing else (every other fd is closed in the child).  The child starts
 * with default signal dispositions and an empty signal mask, whatever the
 * caller set.  Input and output are pumped together (poll), so neither side
 * can block the other however large they are; a child that stops reading
 * its stdin early is not an error (no SIGPIPE reaches the caller).  Capture
 * ends when every holder of the child's stdout/stderr has closed it. */
#ifndef CAIRN_SPAWN_H
#define CAIRN_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct spawn_opts {
  const char *const *argv; /* argv[0] is looked up in PATH when it has no '/'
                            * (the caller's PATH, not envp's, as execvpe does) */
  const char *const *envp; /* NULL: inherit environ */
  const char *cwd;         /* NULL: inherit */
  const void *stdin_buf;   /* bytes fed on stdin; NULL: /dev/null */
  size_t stdin_len;
  int capture_stdout; /* 1: collect into result.out; 0: inherit */
  int capture_stderr; /* 1: collect into result.err; 0: inherit */
  /* Optional: captured output is also handed to on_output as it arrives
   * (fd 1 or 2), for callers that show it live. */
  void (*on_output)(void *arg, int fd, const char *buf, size_t len);
  void *on_output_arg;
  /* Optional: holds the child's pid while it runs (0 before and after), so
   * that a signal handler of the caller can pass a signal on to it. */
  volatile pid_t *running_pid;
};

struct spawn_result {
  int exited; /* 1 when the child exited normally */
  int code;   /* exit code when exited */
  int signal; /* terminating signal otherwise */
  char *out;  /* NUL-terminated captured stdout (or NULL) */
  size_t out_len;
  char *err; /* NUL-terminated captured stderr (or NULL) */
  size_t err_len;
};

/* Run to completion.  Returns 0 when the child ran (whatever its status),
 * -1 when it could not be started (e.g. "exec 'x': No such file…"). */
int spawn_run(const struct spawn_opts *o, struct spawn_result *r, struct err **e);
void spawn_result_free(struct spawn_result *r);
/* Shell-like exit status: code, or 128 + signal. */
int spawn_status(const struct spawn_result *r);

#endif
