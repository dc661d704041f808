/* cmd_events.c — `events [--stats] [--interval N] ID`: the container's
 * cgroup statistics as runc prints them, {"type":"stats","id":…,"data":…};
 * once with --stats, else every interval until the container stops. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "json.h"
#include "lifecycle.h"
#include "mem.h"

int cmd_events(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"stats", no_argument, NULL, 's'},
                                     {"interval", required_argument, NULL, 'i'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  int once = 0, c;
  double interval = 5;
  while ((c = rt_getopt(argc, argv, "+:h", lo, "events", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 's') {
      once = 1;
      continue;
    }
    if (c == 'i') {
      char *end;
      interval = strtod(optarg, &end);
      if (*end == 's')
        end++;
      if (*end != '\0' || interval <= 0)
        return err_usage(e, "events: --interval: expected seconds, got '%s'", optarg);
      continue;
    }
    rt_help("events [--stats] [--interval SECONDS] ID",
            "Print the container's resource statistics as JSON, once with --stats, else\n"
            "every interval (default 5s) until it stops.\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, "events", e);
  if (id == NULL)
    return -1;
  for (;;) {
    cleanup_close int dfd = state_open(g->root, id, 0, e);
    if (dfd < 0)
      return -1;
    struct rt_state st;
    if (state_read(dfd, id, &st, e) < 0)
      return -1;
    enum rt_status s = state_status(dfd, &st);
    if (s == ST_STOPPED) {
      state_free(&st);
      return once ? err_set(e, 0, "container \"%s\" is not running", id) : 0;
    }
    struct cgroup *cg = st.cgroup_path ? rt_cgroup(g, st.cgroup_path, id, e) : NULL;
    json_t *data = cg ? cgroup_stats(cg, e) : NULL;
    cgroup_free(cg);
    state_free(&st);
    if (data == NULL)
      return -1;
    cleanup_json json_t *ev = json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id, "data", data);
    cleanup_free char *text = json_dump_compact(ev);
    printf("%s\n", text);
    fflush(stdout);
    if (once)
      return 0;
    usleep((useconds_t)(interval * 1e6));
  }
}
