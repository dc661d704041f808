/* cmd_kill.c — `kill [--all] ID [SIGNAL]` (default SIGTERM). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include "cgroup.h"
#include "lifecycle.h"
#include "mem.h"

int cmd_kill(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {
      {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int all = 0, c;
  while ((c = rt_getopt(argc, argv, "+:ah", lo, "kill", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'a') {
      all = 1;
      continue;
    }
    rt_help("kill [--all] ID [SIGNAL]",
            "Send SIGNAL (a name or a number, default SIGTERM) to the container's init\n"
            "process, or with -a/--all to every process of the container.\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, "kill", e);
  if (id == NULL)
    return -1;
  int sig = SIGTERM;
  if (optind + 1 < argc && (sig = parse_signal(argv[optind + 1], e)) < 0)
    return -1;
  cleanup_close int dfd = state_open(g->root, id, 0, e);
  if (dfd < 0)
    return -1;
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  int rc = 0;
  enum rt_status s = state_status(dfd, &st);
  if (s == ST_STOPPED && !all) {
    rc = err_set(e, 0, "container \"%s\" is not running", id);
  } else if (all && st.cgroup_path != NULL) {
    struct cgroup *cg = rt_cgroup(g, st.cgroup_path, id, e);
    rc = cg == NULL ? -1 : cgroup_signal_all(cg, sig, e);
    cgroup_free(cg);
  } else if (kill(st.pid, sig) < 0) {
    rc = err_set(e, errno, "kill container \"%s\"", id);
  }
  state_free(&st);
  return rc < 0 ? -1 : 0;
}
