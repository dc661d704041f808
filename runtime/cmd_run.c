/* cmd_run.c — `run`: create and start in one go; in the foreground the
 * runtime forwards signals, relays the terminal and returns the process's
 * exit code (128 + n for a signal), then deletes the container. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "hooks.h"
#include "lifecycle.h"
#include "mem.h"
#include "sync.h"

int create_flag(int c, struct create_opts *o, struct err **e);

static const char help[] =
    "Create and start a container.  In the foreground, signals go to the container's\n"
    "process and its exit code is ours (128+n when a signal ended it).\n\n"
    "  -b, --bundle DIR        the bundle (default: the current directory)\n"
    "  -d, --detach            return once the process runs\n"
    "  --keep                  do not delete the container when it exits\n"
    "  --console-socket PATH   send the pty master of a terminal process to this socket\n"
    "  --pid-file PATH         write the container's pid here\n"
    "  --no-pivot              switch root with MS_MOVE + chroot instead of pivot_root\n"
    "  --no-new-keyring        keep the caller's session keyring\n"
    "  --preserve-fds N        pass fds 3 .. 3+N-1 to the container\n";

int cmd_run(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {
      {"bundle", required_argument, NULL, 'b'},   {"console-socket", required_argument, NULL, 'C'},
      {"pid-file", required_argument, NULL, 'p'}, {"no-pivot", no_argument, NULL, 'P'},
      {"no-new-keyring", no_argument, NULL, 'K'}, {"preserve-fds", required_argument, NULL, 'F'},
      {"detach", no_argument, NULL, 'd'},         {"keep", no_argument, NULL, 'k'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  struct create_opts o = {0};
  int keep = 0, c;
  while ((c = rt_getopt(argc, argv, "+:b:dh", lo, "run", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      rt_help("run [flags] ID", help);
      return 0;
    }
    if (c == 'd')
      o.detach = 1;
    else if (c == 'k')
      keep = 1;
    else if (create_flag(c, &o, e) < 0)
      return -1;
  }
  const char *id = rt_arg_id(argc, argv, "run", e);
  if (id == NULL)
    return -1;
  sigset_t set;
  if (!o.detach)
    fg_block_signals(&set);
  struct created cr;
  if (lifecycle_create(g, id, &o, LAUNCH_RUN, &cr, e) < 0)
    return -1;
  /* START (unless container.c queued it already), then the socket closing
   * (close-on-exec) says the execve worked */
  struct sync_msg m;
  int r = !cr.l.start_sent && sync_send(cr.l.sync, SYNC_START, 0) < 0
              ? -1
              : sync_recv(cr.l.sync, &m, NULL, e);
  if (r != 0) {
    if (r > 0 && m.type == SYNC_ERR)
      sync_to_err(&m, e);
    else if (r > 0)
      err_set(e, EPROTO, "unexpected message from the container");
    else if (e != NULL && *e == NULL)
      err_set(e, errno, "start the container");
    container_abort(&cr.l);
    state_remove(g->root, id, cr.dirfd, NULL);
    created_free(&cr);
    return -1;
  }
  close(cr.l.sync);
  cr.l.sync = -1;
  log_debug("run %s: process started", id);
  if (cr.st.hooks & (1u << HOOK_POSTSTART)) {
    cleanup_free char *hs = container_hook_state(cr.c, id, "running", cr.st.pid);
    struct err *he = NULL;
    if (hooks_run(&cr.c->hooks, HOOK_POSTSTART, hs, &he) < 0) {
      log_warn("%s", he->msg);
      err_free(&he);
    }
  }
  if (o.detach) {
    created_free(&cr);
    return 0;
  }
  /* let other commands (state, kill) at it while it runs */
  pid_t pid = cr.st.pid;
  int master = cr.l.master;
  cr.l.master = -1;
  close(cr.dirfd);
  cr.dirfd = -1;
  int code = fg_wait(pid, master, &set, e);
  if (code < 0) {
    created_free(&cr);
    return -1;
  }
  log_debug("run %s: process exited with %d", id, code);
  if (!keep) {
    struct err *de = NULL;
    int dfd = state_open(g->root, id, 1, &de);
    if (dfd >= 0) {
      struct rt_state st;
      if (state_read(dfd, id, &st, &de) == 0) {
        lifecycle_destroy(g, dfd, id, &st, 1, &de);
        state_free(&st);
      }
      close(dfd);
    }
    if (de != NULL && de->code != ERR_NOTFOUND)
      log_warn("delete container \"%s\": %s", id, de->msg);
    err_free(&de);
  }
  created_free(&cr);
  log_debug("run %s: done", id);
  return code;
}
