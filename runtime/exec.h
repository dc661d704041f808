/* exec.h — a new process in a running container: join its namespaces
 * (all at once, setns with a pidfd of its init), its cgroup, then the same
 * last steps as the container's first process (process.h). */
#ifndef CAIRN_RT_EXEC_H
#define CAIRN_RT_EXEC_H

#include <sys/types.h>

#include "config.h"
#include "err.h"
#include "runtime.h"

struct exec_opts {
  const char *id;
  const char *console_socket;
  const char *pid_file;
  int detach;
  int preserve_fds;
  int ignore_paused;
};

/* proc is the process to run (built by cmd_exec from the stored config and
 * the flags).  Returns the exit code in the foreground, 0 when detached. */
int exec_run(const struct rt_opts *g, const struct exec_opts *o, json_t *proc, struct err **e);
/* The stored config's process object for `id` (to build on), a new
 * reference. */
json_t *exec_base_process(const struct rt_opts *g, const char *id, struct err **e);

#endif
