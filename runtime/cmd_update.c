/* cmd_update.c — `update`: new resource limits for a running container,
 * from flags or from a linux.resources JSON (-r FILE, "-" for stdin). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "fmt.h"
#include "json.h"
#include "lifecycle.h"
#include "mem.h"

static const char help[] =
    "Change the resource limits of a container.\n\n"
    "  -r, --resources FILE       a linux.resources JSON object (\"-\": stdin)\n"
    "  --memory SIZE              memory limit (bytes, or 512m, 1g…)\n"
    "  --memory-reservation SIZE  memory soft limit\n"
    "  --memory-swap SIZE         memory + swap limit (-1: unlimited)\n"
    "  --cpu-shares N             cpu shares (relative weight)\n"
    "  --cpu-quota N              cpu time per period, µs (-1: unlimited)\n"
    "  --cpu-period N             cpu period, µs\n"
    "  --cpu-rt-runtime N         real-time runtime, µs\n"
    "  --cpu-rt-period N          real-time period, µs\n"
    "  --cpuset-cpus LIST         cpus allowed (0-3,5)\n"
    "  --cpuset-mems LIST         memory nodes allowed\n"
    "  --pids-limit N             maximum number of processes (-1: unlimited)\n"
    "  --blkio-weight N           block I/O weight (10-1000)\n";

static int set_num(json_t *res, const char *obj, const char *key, const char *v, int size,
                   struct err **e) {
  int64_t n;
  if (strcmp(v, "-1") == 0) {
    n = -1;
  } else if (size) {
    if (parse_size(v, &n, e) < 0)
      return err_wrap(e, "update --%s", key);
  } else {
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno != 0)
      return err_usage(e, "update: '%s' is not a number", v);
    n = x;
  }
  json_object_set_new(json_obj_ensure(res, obj), key, json_integer(n));
  return 0;
}

int cmd_update(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"resources", required_argument, NULL, 'r'},
                                     {"memory", required_argument, NULL, 'm'},
                                     {"memory-reservation", required_argument, NULL, 'R'},
                                     {"memory-swap", required_argument, NULL, 'S'},
                                     {"kernel-memory", required_argument, NULL, 'x'},
                                     {"kernel-memory-tcp", required_argument, NULL, 'x'},
                                     {"cpu-shares", required_argument, NULL, 's'},
                                     {"cpu-quota", required_argument, NULL, 'q'},
                                     {"cpu-period", required_argument, NULL, 'p'},
                                     {"cpu-rt-runtime", required_argument, NULL, 't'},
                                     {"cpu-rt-period", required_argument, NULL, 'T'},
                                     {"cpuset-cpus", required_argument, NULL, 'c'},
                                     {"cpuset-mems", required_argument, NULL, 'M'},
                                     {"pids-limit", required_argument, NULL, 'P'},
                                     {"blkio-weight", required_argument, NULL, 'b'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  cleanup_json json_t *res = json_object();
  const char *file = NULL;
  int c, rc = 0;
  while ((c = rt_getopt(argc, argv, "+:r:h", lo, "update", e)) != -1) {
    switch (c) {
      case '?': return -1;
      case 'h': rt_help("update [flags] ID", help); return 0;
      case 'r': file = optarg; break;
      case 'm': rc = set_num(res, "memory", "limit", optarg, 1, e); break;
      case 'R': rc = set_num(res, "memory", "reservation", optarg, 1, e); break;
      case 'S': rc = set_num(res, "memory", "swap", optarg, 1, e); break;
      case 'x': break; /* kernel memory limits are gone from the kernel */
      case 's': rc = set_num(res, "cpu", "shares", optarg, 0, e); break;
      case 'q': rc = set_num(res, "cpu", "quota", optarg, 0, e); break;
      case 'p': rc = set_num(res, "cpu", "period", optarg, 0, e); break;
      case 't': rc = set_num(res, "cpu", "realtimeRuntime", optarg, 0, e); break;
      case 'T': rc = set_num(res, "cpu", "realtimePeriod", optarg, 0, e); break;
      case 'c':
        json_object_set_new(json_obj_ensure(res, "cpu"), "cpus", json_string(optarg));
        break;
      case 'M':
        json_object_set_new(json_obj_ensure(res, "cpu"), "mems", json_string(optarg));
        break;
      case 'P': rc = set_num(res, "pids", "limit", optarg, 0, e); break;
      case 'b': rc = set_num(res, "blockIO", "weight", optarg, 0, e); break;
    }
    if (rc < 0)
      return -1;
  }
  const char *id = rt_arg_id(argc, argv, "update", e);
  if (id == NULL)
    return -1;
  if (file != NULL) {
    json_t *r = json_load_path(file, e);
    if (r == NULL)
      return -1;
    if (!json_is_object(r)) {
      json_decref(r);
      return err_set(e, 0, "update: '%s' is not a JSON object", file);
    }
    json_object_update_recursive(r, res); /* flags win over the file */
    json_decref(res);
    res = r;
  }
  if (cgroup_validate(res, e) < 0)
    return -1;
  cleanup_close int dfd = state_open(g->root, id, 1, e);
  if (dfd < 0)
    return -1;
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  enum rt_status s = state_status(dfd, &st);
  if (s == ST_STOPPED) {
    rc = err_set(e, 0, "container \"%s\" is not running", id);
  } else if (st.cgroup_path == NULL) {
    rc = err_set(e, 0, "container \"%s\" has no cgroup", id);
  } else {
    struct cgroup *cg = rt_cgroup(g, st.cgroup_path, id, e);
    rc = cg == NULL ? -1 : cgroup_update(cg, res, e);
    cgroup_free(cg);
  }
  state_free(&st);
  return rc < 0 ? -1 : 0;
}
