/* cmd_update.c — `cairn update`: change a container's resources and
 * restart policy.
 *
 * The bundle's config.json is the record of a container's resources (its
 * linux.resources is what the next start applies), so update changes it in
 * every state; a running container also gets `RUNTIME update -r -` so its
 * cgroup changes now.  A new restart policy goes to container.json
 * (the shim's arguments for the next start) and, when the shim runs, to
 * the shim itself (ctl "restart POLICY").  inspect's HostConfig shows the
 * resources from config.json (hostconfig_resources). */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

static const char update_help[] =
    "Usage: cairn update [OPTIONS] CONTAINER [CONTAINER...]\n\n"
    "Update configuration of one or more containers.\n\n"
    "Options:\n"
    "  -c, --cpu-shares N            CPU shares (relative weight)\n"
    "      --cpu-period US           limit CPU CFS period\n"
    "      --cpu-quota US            limit CPU CFS quota (-1: none)\n"
    "      --cpus N                  number of CPUs\n"
    "      --cpuset-cpus LIST        CPUs in which to allow execution (0-3, 0,1)\n"
    "      --cpuset-mems LIST        memory nodes in which to allow execution\n"
    "  -m, --memory SIZE             memory limit\n"
    "      --memory-reservation SIZE memory soft limit\n"
    "      --memory-swap SIZE        swap limit equal to memory plus swap: -1 for unlimited\n"
    "      --pids-limit N            tune container pids limit (-1 for unlimited)\n"
    "      --restart POLICY          restart policy: no, always, on-failure[:N], unless-stopped\n";

/* What to change: a linux.resources fragment (runtime-spec names) and
 * the restart policy. */
struct update {
  json_t *res; /* {"memory":{…},"cpu":{…},"pids":{…}} */
  double cpus; /* --cpus, for HostConfig.NanoCpus; 0 when not given */
  bool mem_set, swap_set;
  int64_t mem;
  const char *restart;
};

static void set_res(struct update *u, const char *sect, const char *key, json_t *v) {
  json_object_set_new(json_obj_ensure(u->res, sect), key, v);
}

static int opt_int(const char *flag, const char *s, long lo, long hi, long *v, struct err **e) {
  if (parse_int(s, lo, hi, v) < 0)
    return err_usage(e, "invalid argument \"%s\" for \"%s\" flag", s, flag);
  return 0;
}

static bool cpu_list_ok(const char *s) {
  if (*s == '\0')
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || *p == ',' || *p == '-'))
      return false;
  return true;
}

static bool restart_ok(const char *r) {
  if (strcmp(r, "no") == 0 || strcmp(r, "always") == 0 || strcmp(r, "unless-stopped") == 0 ||
      strcmp(r, "on-failure") == 0)
    return true;
  long n;
  return strncmp(r, "on-failure:", 11) == 0 && parse_int(r + 11, 0, 1L << 30, &n) == 0;
}

static int parse_update(int argc, char **argv, struct update *u, struct err **e) {
  static const struct option opts[] = {{"cpu-shares", required_argument, NULL, 'c'},
                                       {"cpu-period", required_argument, NULL, 'P'},
                                       {"cpu-quota", required_argument, NULL, 'Q'},
                                       {"cpus", required_argument, NULL, 'C'},
                                       {"cpuset-cpus", required_argument, NULL, 'S'},
                                       {"cpuset-mems", required_argument, NULL, 'M'},
                                       {"memory", required_argument, NULL, 'm'},
                                       {"memory-reservation", required_argument, NULL, 'R'},
                                       {"memory-swap", required_argument, NULL, 'W'},
                                       {"pids-limit", required_argument, NULL, 'p'},
                                       {"restart", required_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  int ch;
  long v;
  int64_t sz;
  bool period = false, quota = false;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "c:m:", opts, NULL)) != -1) {
    switch (ch) {
      case 'c':
        if (opt_int("-c, --cpu-shares", optarg, 2, 262144, &v, e) < 0)
          return -1;
        set_res(u, "cpu", "shares", json_integer(v));
        break;
      case 'P':
        if (parse_int(optarg, 1000, 1000000, &v) < 0)
          return err_usage(e, "--cpu-period '%s': want 1000 to 1000000 (microseconds)", optarg);
        set_res(u, "cpu", "period", json_integer(v));
        period = true;
        break;
      case 'Q':
        if (parse_int(optarg, -1, INT32_MAX, &v) < 0 || (v >= 0 && v < 1000))
          return err_usage(e, "--cpu-quota '%s': want -1 or at least 1000 (microseconds)", optarg);
        set_res(u, "cpu", "quota", json_integer(v));
        quota = true;
        break;
      case 'C': {
        char *end;
        errno = 0;
        double n = strtod(optarg, &end);
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (*optarg == '\0' || *end != '\0' || errno != 0 || !(n >= 0.01) || n > (double)ncpu)
          return err_usage(e,
                           "--cpus '%s': range of CPUs is from 0.01 to %ld.00, as there are only "
                           "%ld CPUs available",
                           optarg, ncpu, ncpu);
        u->cpus = n;
        break;
      }
      case 'S':
      case 'M':
        if (!cpu_list_ok(optarg))
          return err_usage(e, "--%s '%s': want a list like 0-3,5",
                           ch == 'S' ? "cpuset-cpus" : "cpuset-mems", optarg);
        set_res(u, "cpu", ch == 'S' ? "cpus" : "mems", json_string(optarg));
        break;
      case 'm':
        if (parse_size(optarg, &sz, e) < 0)
          return err_wrap(e, "--memory");
        if (sz < 6 * 1024 * 1024)
          return err_usage(e, "--memory '%s': minimum memory limit allowed is 6MB", optarg);
        u->mem_set = true;
        u->mem = sz;
        set_res(u, "memory", "limit", json_integer(sz));
        break;
      case 'R':
        if (parse_size(optarg, &sz, e) < 0)
          return err_wrap(e, "--memory-reservation");
        set_res(u, "memory", "reservation", json_integer(sz));
        break;
      case 'W':
        if (strcmp(optarg, "-1") == 0)
          sz = -1;
        else if (parse_size(optarg, &sz, e) < 0)
          return err_wrap(e, "--memory-swap");
        u->swap_set = true;
        set_res(u, "memory", "swap", json_integer(sz));
        break;
      case 'p':
        if (opt_int("--pids-limit", optarg, -1, INT32_MAX, &v, e) < 0)
          return -1;
        set_res(u, "pids", "limit", json_integer(v <= 0 ? -1 : v));
        break;
      case 'r':
        if (!restart_ok(optarg))
          return err_usage(e, "invalid restart policy '%s'", optarg);
        u->restart = optarg;
        break;
      case 'H': return usage_print(update_help) == 0 ? 1 : -1;
      default:
        return err_usage(e, "unknown flag: %s (see 'cairn update --help')", argv[optind - 1]);
    }
  }
  if (u->cpus > 0) {
    if (period || quota)
      return err_usage(e, "--cpus conflicts with --cpu-period and --cpu-quota");
    set_res(u, "cpu", "period", json_integer(100000));
    set_res(u, "cpu", "quota", json_integer((json_int_t)(u->cpus * 100000 + 0.5)));
  }
  if (optind >= argc)
    return err_usage(e, "\"cairn update\" requires at least 1 argument");
  if (json_object_size(u->res) == 0 && u->restart == NULL)
    return err_usage(e, "you must provide one or more flags when using this command");
  return 0;
}

/* The memory section after the update: a new limit without --memory-swap
 * keeps docker's default of twice the limit when swap was limited before,
 * and swap below the limit is refused, as the kernel would. */
static int merge_memory(const struct update *u, json_t *res, json_t **swapflag, struct err **e) {
  json_t *mem = json_object_get(res, "memory");
  if (u->mem_set && !u->swap_set && mem != NULL) {
    json_t *old = json_object_get(mem, "swap");
    if (old != NULL && json_integer_value(old) != -1)
      *swapflag = json_integer(2 * u->mem);
  }
  if (*swapflag != NULL)
    json_object_set(mem, "swap", *swapflag);
  json_t *lim = json_object_get(mem, "limit"), *swap = json_object_get(mem, "swap");
  if (lim != NULL && swap != NULL && json_integer_value(swap) != -1 &&
      json_integer_value(swap) < json_integer_value(lim))
    return err_usage(e, "memory limit should be smaller than already set memoryswap limit, "
                        "update the memoryswap at the same time");
  return 0;
}

static int update_one(const char *ref, struct update *u, struct err **e) {
  cleanup_free char *id = NULL;
  if (ctr_resolve(ref, &id, e) < 0)
    return -1;
  int lk = ctr_lock(id, e);
  if (lk < 0)
    return -1;
  int rc = -1;
  cleanup_json json_t *c = ctr_load(id, e);
  cleanup_free char *cfgpath = ctr_file(id, "bundle/config.json");
  cleanup_json json_t *oci = c ? json_load_path(cfgpath, e) : NULL;
  cleanup_json json_t *swapflag = NULL;
  if (oci == NULL)
    goto out;
  json_t *res = json_obj_ensure(json_obj_ensure(oci, "linux"), "resources");
  const char *sect;
  json_t *vals;
  json_object_foreach(u->res, sect, vals) json_object_update(json_obj_ensure(res, sect), vals);
  if (merge_memory(u, res, &swapflag, e) < 0)
    goto out;
  struct ctr_state st;
  ctr_state_get(c, &st);
  bool live = st.shim_alive && (st.status == ST_RUNNING || st.status == ST_PAUSED);
  ctr_state_free(&st);
  if (live && json_object_size(u->res) > 0) {
    /* `update -r -` (a linux.resources object) reads the same in runc,
     * crun and cairn-runtime, whose flag names differ (--cpu-share[s]) */
    cleanup_json json_t *delta = json_deep_copy(u->res);
    if (swapflag != NULL)
      json_object_set(json_obj_ensure(delta, "memory"), "swap", swapflag);
    cleanup_free char *text = json_dump_compact(delta);
    cleanup_free char *rt = runtime_path(json_get_str(c, "runtime"), e);
    if (rt == NULL)
      goto out;
    cleanup_free char *root = runtime_root();
    const char *av[] = {rt, "--root", root, "update", "-r", "-", id, NULL};
    if (tool_run(av, text, strlen(text), NULL, 0, e) < 0)
      goto out;
  }
  if (json_write_file(oci, cfgpath, e) < 0)
    goto out;
  json_t *hc = json_obj_ensure(c, "hostConfig");
  if (json_object_get(json_object_get(u->res, "cpu"), "quota") != NULL ||
      json_object_get(json_object_get(u->res, "cpu"), "period") != NULL)
    json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)(u->cpus * 1e9 + 0.5)));
  if (u->restart != NULL) {
    const char *colon = strchr(u->restart, ':');
    cleanup_free char *name =
        colon ? xstrndup(u->restart, (size_t)(colon - u->restart)) : xstrdup(u->restart);
    int max = colon ? atoi(colon + 1) : 0;
    json_object_set_new(hc, "RestartPolicy",
                        json_pack("{s:s,s:i}", "Name", name, "MaximumRetryCount", max));
    json_object_set_new(c, "restartPolicy",
                        json_pack("{s:s,s:i}", "name", name, "maximumRetryCount", max));
    /* the shim's arguments for the next start */
    json_t *sa = json_arr_ensure(c, "shimArgs");
    json_t *na = json_array();
    for (size_t i = 0; i < json_array_size(sa); i++) {
      const char *a = json_string_value(json_array_get(sa, i));
      if (a != NULL && strcmp(a, "--restart") == 0) {
        i++;
        continue;
      }
      json_array_append(na, json_array_get(sa, i));
    }
    json_array_append_new(na, json_string("--restart"));
    json_array_append_new(na, json_string(u->restart));
    json_object_set_new(c, "shimArgs", na);
    if (live) {
      cleanup_free char *cmd = xasprintf("restart %s", u->restart);
      if (shim_ctl(id, cmd, e) < 0)
        goto out;
    }
  }
  rc = ctr_save(c, e);
  if (rc == 0)
    event_ctr(c, "update", NULL);
out:
  lock_release(lk);
  return rc;
}

int cmd_update(int argc, char **argv, struct err **e) {
  struct update u = {.res = json_object()};
  int r = parse_update(argc, argv, &u, e);
  if (r != 0) {
    json_decref(u.res);
    return r > 0 ? 0 : -1;
  }
  int rc = 0;
  for (int i = optind; i < argc; i++) {
    struct err *ce = NULL;
    if (update_one(argv[i], &u, &ce) < 0) {
      err_show(ce);
      err_free(&ce);
      rc = 1;
    } else {
      printf("%s\n", argv[i]);
    }
  }
  json_decref(u.res);
  return rc;
}

/* HostConfig's resource fields from the bundle's config.json, the record
 * update keeps current (docker's names; 0 or "" when not limited). */
void hostconfig_resources(json_t *hc, const char *id) {
  cleanup_free char *p = ctr_file(id, "bundle/config.json");
  struct err *e = NULL;
  cleanup_json json_t *oci = json_load_path(p, &e);
  err_free(&e);
  json_t *res = json_get_obj(json_get_obj(oci, "linux"), "resources");
  json_t *mem = json_get_obj(res, "memory"), *cpu = json_get_obj(res, "cpu");
#define NUM(o, k) json_integer(json_integer_value(json_object_get((o), (k))))
  json_object_set_new(hc, "Memory", NUM(mem, "limit"));
  json_object_set_new(hc, "MemoryReservation", NUM(mem, "reservation"));
  json_object_set_new(hc, "MemorySwap", NUM(mem, "swap"));
  json_object_set_new(hc, "CpuShares", NUM(cpu, "shares"));
  json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
  /* docker keeps --cpus apart from the quota it becomes */
  json_object_set_new(hc, "CpuPeriod", nano ? json_integer(0) : NUM(cpu, "period"));
  json_object_set_new(hc, "CpuQuota", nano ? json_integer(0) : NUM(cpu, "quota"));
  json_object_set_new(hc, "NanoCpus", json_integer(nano));
  json_object_set_new(hc, "CpusetCpus", json_string(json_get_str(cpu, "cpus") ?: ""));
  json_object_set_new(hc, "CpusetMems", json_string(json_get_str(cpu, "mems") ?: ""));
  json_t *pl = json_object_get(json_get_obj(res, "pids"), "limit");
  json_object_set_new(hc, "PidsLimit",
                      pl && json_integer_value(pl) > 0 ? json_incref(pl) : json_null());
#undef NUM
}
