/* cmd_delete.c — `delete [--force] ID`: remove a stopped (or created)
 * container; --force kills a running one first. */
#include <getopt.h>
#include <unistd.h>

#include "lifecycle.h"
#include "mem.h"

int cmd_delete(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {
      {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int force = 0, c;
  while ((c = rt_getopt(argc, argv, "+:fh", lo, "delete", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'f') {
      force = 1;
      continue;
    }
    rt_help("delete [--force] ID",
            "Delete a stopped or created container: its process, cgroup and state.\n"
            "  -f, --force   kill it first when it still runs\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, "delete", e);
  if (id == NULL)
    return -1;
  cleanup_close int dfd = state_open(g->root, id, 1, e);
  if (dfd < 0) {
    /* runc: deleting what is not there with --force is not an error */
    if (force && *e != NULL && (*e)->code == ERR_NOTFOUND) {
      err_free(e);
      return 0;
    }
    return -1;
  }
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  enum rt_status s = state_status(dfd, &st);
  int rc;
  if ((s == ST_RUNNING || s == ST_PAUSED) && !force)
    rc = err_set(e, 0, "cannot delete container %s that is not stopped: %s", id, status_name(s));
  else
    rc = lifecycle_destroy(g, dfd, id, &st, force, e);
  state_free(&st);
  return rc < 0 ? -1 : 0;
}
