/* cmd_state.c — `state`: runc's state JSON. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "json.h"
#include "lifecycle.h"
#include "mem.h"

int cmd_state(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  while ((c = rt_getopt(argc, argv, "+:h", lo, "state", e)) != -1) {
    if (c == '?')
      return -1;
    rt_help("state ID", "Print the state of a container (runc's JSON).\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, "state", e);
  if (id == NULL)
    return -1;
  cleanup_close int dfd = state_open(g->root, id, 0, e);
  if (dfd < 0)
    return -1;
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  cleanup_json json_t *j = state_json(&st, state_status(dfd, &st));
  state_free(&st);
  char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("%s\n", s);
  free(s);
  return 0;
}
