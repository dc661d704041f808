/* cmd_start.c — `start`: wake the created container's process through the
 * exec fifo, then run the poststart hooks. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include "hooks.h"
#include "lifecycle.h"
#include "mem.h"

int cmd_start(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  while ((c = rt_getopt(argc, argv, "+:h", lo, "start", e)) != -1) {
    if (c == '?')
      return -1;
    rt_help("start ID", "Start the process of a created container.\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, "start", e);
  if (id == NULL)
    return -1;
  cleanup_close int dfd = state_open(g->root, id, 1, e);
  if (dfd < 0)
    return -1;
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  int rc = -1;
  switch (state_status(dfd, &st)) {
    case ST_CREATED: break;
    case ST_STOPPED: err_set(e, 0, "cannot start a container that has stopped"); goto out;
    case ST_RUNNING: err_set(e, 0, "cannot start an already running container"); goto out;
    case ST_PAUSED: err_set(e, 0, "cannot start a paused container"); goto out;
  }
  /* The process holds the fifo open for reading: a non-blocking open for
   * writing succeeds exactly when it is there to read our byte. */
  int fd = openat(dfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    err_set(e, errno == ENXIO ? 0 : errno, "container \"%s\": its process is not waiting", id);
    goto out;
  }
  ssize_t w = write(fd, "0", 1);
  int werr = errno;
  close(fd);
  if (w != 1) {
    err_set(e, werr, "start container \"%s\"", id);
    goto out;
  }
  unlinkat(dfd, "exec.fifo", 0);
  if (st.hooks & (1u << HOOK_POSTSTART)) {
    struct err *he = NULL;
    struct rt_config *cfg = lifecycle_config(dfd, st.bundle, &he);
    if (cfg != NULL) {
      cleanup_free char *hs = hook_state(id, "running", st.pid, st.bundle, st.annotations);
      hooks_run(&cfg->hooks, HOOK_POSTSTART, hs, &he);
      config_free(cfg);
    }
    if (he != NULL) {
      log_warn("%s", he->msg);
      err_free(&he);
    }
  }
  rc = 0;
out:
  state_free(&st);
  return rc;
}
