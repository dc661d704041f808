/* cmd_ps.c — `ps [--format table|json] ID [ps options]`: the container's
 * processes, as JSON pids or as the host's ps output filtered to them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "json.h"
#include "lifecycle.h"
#include "mem.h"
#include "spawn.h"

int cmd_ps(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  int json = 0, c;
  while ((c = rt_getopt(argc, argv, "+:f:h", lo, "ps", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'f') {
      if (strcmp(optarg, "json") == 0)
        json = 1;
      else if (strcmp(optarg, "table") != 0)
        return err_usage(e, "ps: --format: expected table or json, got '%s'", optarg);
      continue;
    }
    rt_help("ps [-f table|json] ID [ps options]",
            "List the processes of a container (ps -ef by default, filtered to them).\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, "ps", e);
  if (id == NULL)
    return -1;
  cleanup_close int dfd = state_open(g->root, id, 0, e);
  if (dfd < 0)
    return -1;
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  pid_t *pids = NULL;
  size_t n = 0;
  struct cgroup *cg = st.cgroup_path ? rt_cgroup(g, st.cgroup_path, id, e) : NULL;
  int rc = cg == NULL ? -1 : cgroup_pids(cg, &pids, &n, e);
  cgroup_free(cg);
  state_free(&st);
  if (rc < 0)
    return -1;
  if (json) {
    cleanup_json json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(a, json_integer(pids[i]));
    free(pids);
    cleanup_free char *s = json_dump_compact(a);
    printf("%s\n", s);
    return 0;
  }
  const char *def[] = {"ps", "-ef", NULL};
  cleanup_free const char **av = xcalloc((size_t)(argc - optind) + 2, sizeof(char *));
  av[0] = "ps";
  size_t k = 1;
  for (int i = optind + 1; i < argc; i++)
    av[k++] = argv[i];
  struct spawn_opts so = {.argv = k > 1 ? av : def, .capture_stdout = 1};
  struct spawn_result r = {0};
  if (spawn_run(&so, &r, e) < 0) {
    free(pids);
    return -1;
  }
  if (spawn_status(&r) != 0) {
    err_set(e, 0, "ps exited with status %d", spawn_status(&r));
    spawn_result_free(&r);
    free(pids);
    return -1;
  }
  /* keep the header and the lines whose PID column is one of ours */
  char *save = NULL, *line = strtok_r(r.out, "\n", &save);
  int col = -1;
  if (line != NULL) {
    printf("%s\n", line);
    char *copy = xstrdup(line), *s2 = NULL;
    int i = 0;
    for (char *t = strtok_r(copy, " \t", &s2); t; t = strtok_r(NULL, " \t", &s2), i++)
      if (strcmp(t, "PID") == 0)
        col = i;
    free(copy);
  }
  if (col < 0) {
    spawn_result_free(&r);
    free(pids);
    return err_set(e, 0, "ps: no PID column in its output");
  }
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    char *copy = xstrdup(line), *s2 = NULL, *t = strtok_r(copy, " \t", &s2);
    for (int i = 0; i < col && t; i++)
      t = strtok_r(NULL, " \t", &s2);
    pid_t p = t ? (pid_t)atoi(t) : -1;
    for (size_t i = 0; i < n; i++)
      if (pids[i] == p) {
        printf("%s\n", line);
        break;
      }
    free(copy);
  }
  spawn_result_free(&r);
  free(pids);
  return 0;
}
