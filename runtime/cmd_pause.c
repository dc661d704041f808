/* cmd_pause.c — `pause` and `resume`: freeze and thaw the container's
 * cgroup. */
#include <getopt.h>
#include <unistd.h>

#include "cgroup.h"
#include "lifecycle.h"
#include "mem.h"

static int freeze(struct rt_opts *g, int argc, char **argv, int frozen, struct err **e) {
  const char *cmd = frozen ? "pause" : "resume";
  static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  while ((c = rt_getopt(argc, argv, "+:h", lo, cmd, e)) != -1) {
    if (c == '?')
      return -1;
    rt_help(frozen ? "pause ID" : "resume ID",
            frozen ? "Freeze every process of a running container.\n"
                   : "Thaw the processes of a paused container.\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, cmd, e);
  if (id == NULL)
    return -1;
  cleanup_close int dfd = state_open(g->root, id, 1, e);
  if (dfd < 0)
    return -1;
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  enum rt_status s = state_status(dfd, &st);
  int rc = -1;
  if (frozen && s != ST_RUNNING)
    err_set(e, 0, "container \"%s\" is not running (%s)", id, status_name(s));
  else if (!frozen && s != ST_PAUSED)
    err_set(e, 0, "container \"%s\" is not paused (%s)", id, status_name(s));
  else if (st.cgroup_path == NULL)
    err_set(e, 0, "container \"%s\" has no cgroup", id);
  else {
    struct cgroup *cg = rt_cgroup(g, st.cgroup_path, id, e);
    rc = cg == NULL ? -1 : cgroup_freeze(cg, frozen, e);
    cgroup_free(cg);
  }
  state_free(&st);
  return rc < 0 ? -1 : 0;
}

int cmd_pause(struct rt_opts *g, int argc, char **argv, struct err **e) {
  return freeze(g, argc, argv, 1, e);
}

int cmd_resume(struct rt_opts *g, int argc, char **argv, struct err **e) {
  return freeze(g, argc, argv, 0, e);
}
