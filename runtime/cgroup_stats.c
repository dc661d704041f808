/* cgroup_stats.c — runc's `events --stats` data object from the cgroup
 * files, and OOM-kill detection and notification.
 *
 * The shape is runc's types.Stats: {"cpu":{"usage":{"total","percpu",
 * "percpu_kernel","percpu_user","kernel","user"},"throttling":{"periods",
 * "throttledPeriods","throttledTime"}},"cpuset":{"cpus","mems"},
 * "memory":{"cache","usage","swap","kernel","kernelTCP" (each {"limit",
 * "usage","max","failcnt"}),"raw":{memory.stat},"event_count":{…}},
 * "pids":{"current","limit"},"blkio":{"ioServiceBytesRecursive":[{"major",
 * "minor","op","value"}],"ioServicedRecursive":[…]},"hugetlb":{"2MB":
 * {"usage","max","failcnt"}}}.  Times are nanoseconds, sizes bytes.
 * Sections whose controller is absent are left out.  A v2 "max" is
 * reported as INT64_MAX (JSON integers here are signed 64-bit; runc prints
 * 2^64-1), a pids limit of "max" as 0, as runc does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "mem.h"

/* ---- readers: missing files read as 0, so partial kernels still report ---- */

static int64_t num(const char *dir, const char *file) {
  struct err *e = NULL;
  cleanup_free char *s = dir ? cg_read(dir, file, &e) : NULL;
  err_free(&e);
  if (s == NULL)
    return 0;
  if (strncmp(s, "max", 3) == 0)
    return INT64_MAX;
  unsigned long long v = strtoull(s, NULL, 10);
  return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int64_t key0(const char *dir, const char *file, const char *key) {
  int64_t v = cg_read_key(dir, file, key);
  return v < 0 ? 0 : v;
}

/* "1 2 3" → [1,2,3]; NULL when the file is missing. */
static json_t *num_list(const char *dir, const char *file, int64_t scale) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(dir, file, &e);
  err_free(&e);
  if (s == NULL)
    return NULL;
  json_t *a = json_array();
  for (char *p = s, *end; *p; p = end) {
    long long v = strtoll(p, &end, 10);
    if (end == p)
      break;
    json_array_append_new(a, json_integer(v * scale));
  }
  return a;
}

/* memory.stat, cpu.stat…: "key value" lines → object. */
static json_t *flat_map(const char *dir, const char *file) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(dir, file, &e);
  err_free(&e);
  json_t *o = json_object();
  char *save = NULL;
  for (char *l = s ? strtok_r(s, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(l, ' ');
    if (sp == NULL)
      continue;
    *sp = '\0';
    json_object_set_new(o, l, json_integer(strtoll(sp + 1, NULL, 10)));
  }
  return o;
}

/* "0-2,5" → [0,1,2,5] */
static json_t *cpu_list(const char *dir, const char *file) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(dir, file, &e);
  err_free(&e);
  json_t *a = json_array();
  for (char *p = s; p && *p;) {
    char *end;
    long lo = strtol(p, &end, 10), hi = lo;
    if (end == p)
      break;
    if (*end == '-')
      hi = strtol(end + 1, &end, 10);
    for (long i = lo; i <= hi && i - lo < 65536; i++)
      json_array_append_new(a, json_integer(i));
    p = *end == ',' ? end + 1 : end;
    if (*p == '\n')
      break;
  }
  return a;
}

static json_t *mem_entry(int64_t limit, int64_t usage, int64_t max, int64_t failcnt) {
  return json_pack("{s:I, s:I, s:I, s:I}", "limit", (json_int_t)limit, "usage", (json_int_t)usage,
                   "max", (json_int_t)max, "failcnt", (json_int_t)failcnt);
}

/* "8:0 Read 123" lines → the v1 blkio entry lists. */
static json_t *blkio_v1(const char *dir, const char *file) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(dir, file, &e);
  err_free(&e);
  json_t *a = json_array();
  char *save = NULL;
  for (char *l = s ? strtok_r(s, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
    unsigned long long maj, min, v;
    char op[32];
    if (sscanf(l, "%llu:%llu %31s %llu", &maj, &min, op, &v) != 4)
      continue; /* the closing "Total N" */
    json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t)maj, "minor",
                                       (json_int_t)min, "op", op, "value", (json_int_t)v));
  }
  return a;
}

/* Page sizes the kernel offers, in hugetlb file-name form ("2MB"). */
static char **huge_sizes(void) {
  char **v = NULL;
  cleanup_dir DIR *d = opendir("/sys/kernel/mm/hugepages");
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    unsigned long kb;
    if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
      continue;
    cleanup_free char *s = kb % (1024 * 1024) == 0 ? xasprintf("%luGB", kb / (1024 * 1024))
                           : kb % 1024 == 0        ? xasprintf("%luMB", kb / 1024)
                                                   : xasprintf("%luKB", kb);
    strv_push(&v, s);
  }
  return v;
}

/* ---- v1 ---- */

static void stats_v1(const struct cgroup *cg, json_t *out) {
  const char *acct = cg->ctl[CG_CPUACCT], *cpu = cg->ctl[CG_CPU];
  if (acct || cpu) {
    json_t *usage = json_object();
    if (acct) {
      json_object_set_new(usage, "total", json_integer(num(acct, "cpuacct.usage")));
      json_t *l;
      if ((l = num_list(acct, "cpuacct.usage_percpu", 1)))
        json_object_set_new(usage, "percpu", l);
      if ((l = num_list(acct, "cpuacct.usage_percpu_sys", 1)))
        json_object_set_new(usage, "percpu_kernel", l);
      if ((l = num_list(acct, "cpuacct.usage_percpu_user", 1)))
        json_object_set_new(usage, "percpu_user", l);
      int64_t user, sys;
      if (cg_exists(acct, "cpuacct.usage_user")) {
        user = num(acct, "cpuacct.usage_user");
        sys = num(acct, "cpuacct.usage_sys");
      } else { /* older kernels: clock ticks */
        long hz = sysconf(_SC_CLK_TCK);
        int64_t ns = 1000000000 / (hz > 0 ? hz : 100);
        user = key0(acct, "cpuacct.stat", "user") * ns;
        sys = key0(acct, "cpuacct.stat", "system") * ns;
      }
      json_object_set_new(usage, "kernel", json_integer(sys));
      json_object_set_new(usage, "user", json_integer(user));
    }
    json_t *thr = json_pack(
        "{s:I, s:I, s:I}", "periods", (json_int_t)(cpu ? key0(cpu, "cpu.stat", "nr_periods") : 0),
        "throttledPeriods", (json_int_t)(cpu ? key0(cpu, "cpu.stat", "nr_throttled") : 0),
        "throttledTime", (json_int_t)(cpu ? key0(cpu, "cpu.stat", "throttled_time") : 0));
    json_object_set_new(out, "cpu", json_pack("{s:o, s:o}", "usage", usage, "throttling", thr));
  }
  if (cg->ctl[CG_CPUSET])
    json_object_set_new(out, "cpuset",
                        json_pack("{s:o, s:o}", "cpus",
                                  cpu_list(cg->ctl[CG_CPUSET], "cpuset.effective_cpus"), "mems",
                                  cpu_list(cg->ctl[CG_CPUSET], "cpuset.effective_mems")));
  const char *m = cg->ctl[CG_MEMORY];
  if (m) {
    json_t *raw = flat_map(m, "memory.stat");
    json_t *mem = json_object();
    json_object_set_new(mem, "cache",
                        json_integer(json_integer_value(json_object_get(raw, "cache"))));
#define ENTRY(pfx)                                                        \
  mem_entry(num(m, pfx ".limit_in_bytes"), num(m, pfx ".usage_in_bytes"), \
            num(m, pfx ".max_usage_in_bytes"), num(m, pfx ".failcnt"))
    json_object_set_new(mem, "usage", ENTRY("memory"));
    json_object_set_new(mem, "swap", ENTRY("memory.memsw"));
    json_object_set_new(mem, "kernel", ENTRY("memory.kmem"));
    json_object_set_new(mem, "kernelTCP", ENTRY("memory.kmem.tcp"));
#undef ENTRY
    json_object_set_new(mem, "raw", raw);
    json_object_set_new(mem, "use_hierarchy", json_boolean(num(m, "memory.use_hierarchy") == 1));
    json_object_set_new(
        mem, "event_count",
        json_pack("{s:I, s:I}", "oom", (json_int_t)key0(m, "memory.oom_control", "under_oom"),
                  "oom_kill", (json_int_t)key0(m, "memory.oom_control", "oom_kill")));
    json_object_set_new(out, "memory", mem);
  }
  const char *p = cg->ctl[CG_PIDS];
  if (p) {
    int64_t lim = num(p, "pids.max");
    json_object_set_new(out, "pids",
                        json_pack("{s:I, s:I}", "current", (json_int_t)num(p, "pids.current"),
                                  "limit", (json_int_t)(lim == INT64_MAX ? 0 : lim)));
  }
  const char *b = cg->ctl[CG_BLKIO];
  if (b) {
    /* CFQ's files where they exist; else the throttle layer's, which sees
     * every bio whatever the scheduler. */
    bool cfq = cg_exists(b, "blkio.io_service_bytes_recursive");
    json_object_set_new(out, "blkio",
                        json_pack("{s:o, s:o}", "ioServiceBytesRecursive",
                                  blkio_v1(b, cfq ? "blkio.io_service_bytes_recursive"
                                                  : "blkio.throttle.io_service_bytes_recursive"),
                                  "ioServicedRecursive",
                                  blkio_v1(b, cfq ? "blkio.io_serviced_recursive"
                                                  : "blkio.throttle.io_serviced_recursive")));
  }
}

/* ---- v2 ---- */

static json_t *io_v2(const char *dir, json_t **serviced) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(dir, "io.stat", &e);
  err_free(&e);
  json_t *bytes = json_array();
  *serviced = json_array();
  char *save = NULL;
  for (char *l = s ? strtok_r(s, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
    unsigned long long maj, min;
    int off;
    if (sscanf(l, "%llu:%llu%n", &maj, &min, &off) != 2)
      continue;
    static const struct {
      const char *key, *op;
      bool bytes;
    } f[] = {{"rbytes=", "Read", true},
             {"wbytes=", "Write", true},
             {"rios=", "Read", false},
             {"wios=", "Write", false}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
      char *at = strstr(l + off, f[i].key);
      if (at == NULL)
        continue;
      json_array_append_new(f[i].bytes ? bytes : *serviced,
                            json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t)maj, "minor",
                                      (json_int_t)min, "op", f[i].op, "value",
                                      (json_int_t)strtoll(at + strlen(f[i].key), NULL, 10)));
    }
  }
  return bytes;
}

static void stats_v2(const char *d, unsigned mask, json_t *out) {
  if (mask & (1u << CG_CPU)) {
    /* cpu.stat's usage lines are there even without the cpu controller. */
    json_t *usage =
        json_pack("{s:I, s:I, s:I}", "total", (json_int_t)key0(d, "cpu.stat", "usage_usec") * 1000,
                  "kernel", (json_int_t)key0(d, "cpu.stat", "system_usec") * 1000, "user",
                  (json_int_t)key0(d, "cpu.stat", "user_usec") * 1000);
    json_t *thr =
        json_pack("{s:I, s:I, s:I}", "periods", (json_int_t)key0(d, "cpu.stat", "nr_periods"),
                  "throttledPeriods", (json_int_t)key0(d, "cpu.stat", "nr_throttled"),
                  "throttledTime", (json_int_t)key0(d, "cpu.stat", "throttled_usec") * 1000);
    json_object_set_new(out, "cpu", json_pack("{s:o, s:o}", "usage", usage, "throttling", thr));
  }
  if ((mask & (1u << CG_CPUSET)) && cg_exists(d, "cpuset.cpus.effective"))
    json_object_set_new(out, "cpuset",
                        json_pack("{s:o, s:o}", "cpus", cpu_list(d, "cpuset.cpus.effective"),
                                  "mems", cpu_list(d, "cpuset.mems.effective")));
  if ((mask & (1u << CG_MEMORY)) && cg_exists(d, "memory.current")) {
    json_t *raw = flat_map(d, "memory.stat");
    int64_t cur = num(d, "memory.current"), lim = num(d, "memory.max");
    int64_t scur = num(d, "memory.swap.current"), slim = num(d, "memory.swap.max");
    json_t *mem = json_object();
    json_object_set_new(mem, "cache",
                        json_integer(json_integer_value(json_object_get(raw, "file"))));
    json_object_set_new(
        mem, "usage", mem_entry(lim, cur, num(d, "memory.peak"), key0(d, "memory.events", "max")));
    /* runc reports v2 swap as memory+swap, v1's memsw meaning. */
    int64_t sl = lim == INT64_MAX || slim == INT64_MAX ? INT64_MAX : lim + slim;
    json_object_set_new(mem, "swap",
                        mem_entry(sl, cur + scur, 0, key0(d, "memory.swap.events", "max")));
    json_object_set_new(mem, "raw", raw);
    json_object_set_new(mem, "event_count",
                        json_pack("{s:I, s:I, s:I, s:I, s:I}", "low",
                                  (json_int_t)key0(d, "memory.events", "low"), "high",
                                  (json_int_t)key0(d, "memory.events", "high"), "max",
                                  (json_int_t)key0(d, "memory.events", "max"), "oom",
                                  (json_int_t)key0(d, "memory.events", "oom"), "oom_kill",
                                  (json_int_t)key0(d, "memory.events", "oom_kill")));
    json_object_set_new(out, "memory", mem);
  }
  if ((mask & (1u << CG_PIDS)) && cg_exists(d, "pids.current")) {
    int64_t lim = num(d, "pids.max");
    json_object_set_new(out, "pids",
                        json_pack("{s:I, s:I}", "current", (json_int_t)num(d, "pids.current"),
                                  "limit", (json_int_t)(lim == INT64_MAX ? 0 : lim)));
  }
  if ((mask & (1u << CG_BLKIO)) && cg_exists(d, "io.stat")) {
    json_t *serviced;
    json_t *bytes = io_v2(d, &serviced);
    json_object_set_new(
        out, "blkio",
        json_pack("{s:o, s:o}", "ioServiceBytesRecursive", bytes, "ioServicedRecursive", serviced));
  }
}

static void stats_hugetlb(const char *d, bool v2, json_t *out) {
  cleanup_strv char **sizes = huge_sizes();
  json_t *h = json_object();
  for (char **s = sizes; s && *s; s++) {
    cleanup_free char *usage = xasprintf("hugetlb.%s.%s", *s, v2 ? "current" : "usage_in_bytes");
    if (!cg_exists(d, usage))
      continue;
    cleanup_free char *max = xasprintf("hugetlb.%s.max_usage_in_bytes", *s);
    cleanup_free char *fail = xasprintf("hugetlb.%s.failcnt", *s);
    cleanup_free char *events = xasprintf("hugetlb.%s.events", *s);
    json_object_set_new(h, *s,
                        json_pack("{s:I, s:I, s:I}", "usage", (json_int_t)num(d, usage), "max",
                                  (json_int_t)(v2 ? 0 : num(d, max)), "failcnt",
                                  (json_int_t)(v2 ? key0(d, events, "max") : num(d, fail))));
  }
  json_object_set_new(out, "hugetlb", h);
}

json_t *cgroup_stats(struct cgroup *cg, struct err **e) {
  const char *probe = cg->layout == CGROUP_V2       ? cg->v2dir
                      : cg->v1dirs && cg->v1dirs[0] ? cg->v1dirs[0]
                                                    : NULL;
  if (probe == NULL || access(probe, F_OK) < 0) {
    err_setc(e, ERR_NOTFOUND, 0, "cgroup '%s' does not exist", cg->path);
    return NULL;
  }
  json_t *out = json_object();
  if (cg->layout == CGROUP_V2) {
    stats_v2(cg->v2dir, ~0u, out);
    stats_hugetlb(cg->v2dir, true, out);
  } else {
    stats_v1(cg, out);
    if (cg->ctl[CG_HUGETLB])
      stats_hugetlb(cg->ctl[CG_HUGETLB], false, out);
    else if (cg->hybrid_v2[CG_HUGETLB])
      stats_hugetlb(cg->v2dir, true, out);
  }
  return out;
}

int64_t cgroup_oom_count(struct cgroup *cg) {
  if (cg->layout == CGROUP_V2)
    return cg_read_key(cg->v2dir, "memory.events", "oom_kill");
  if (cg->ctl[CG_MEMORY] == NULL)
    return -1;
  return cg_read_key(cg->ctl[CG_MEMORY], "memory.oom_control", "oom_kill");
}

int cgroup_oom_killed(struct cgroup *cg) {
  return cgroup_oom_count(cg) > 0;
}

/* v1: an eventfd registered through cgroup.event_control for
 * memory.oom_control (the memory controller signals it on every OOM and
 * when the cgroup is removed).  v2: inotify on memory.events, which the
 * kernel marks modified when a counter in it moves. */
int cgroup_oom_watch(struct cgroup *cg, struct err **e) {
  if (cg->layout == CGROUP_V2) {
    cleanup_free char *path = path_join(cg->v2dir, "memory.events");
    cleanup_close int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0)
      return err_set(e, errno, "inotify_init1");
    if (inotify_add_watch(in, path, IN_MODIFY) < 0)
      return err_set(e, errno, "watch '%s'", path);
    return steal_fd(&in);
  }
  if (cg->ctl[CG_MEMORY] == NULL)
    return err_set(e, ENOTSUP, "cgroup '%s' has no memory controller", cg->path);
  cleanup_free char *ctl_path = path_join(cg->ctl[CG_MEMORY], "memory.oom_control");
  cleanup_free char *reg_path = path_join(cg->ctl[CG_MEMORY], "cgroup.event_control");
  cleanup_close int ctl = open(ctl_path, O_RDONLY | O_CLOEXEC);
  if (ctl < 0)
    return err_set(e, errno, "open '%s'", ctl_path);
  cleanup_close int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0)
    return err_set(e, errno, "eventfd");
  cleanup_close int reg = open(reg_path, O_WRONLY | O_CLOEXEC);
  if (reg < 0)
    return err_set(e, errno, "open '%s'", reg_path);
  char line[32];
  int n = snprintf(line, sizeof(line), "%d %d", efd, ctl);
  if (write(reg, line, (size_t)n) != n)
    return err_set(e, errno, "register for OOM events in '%s'", reg_path);
  /* the registration lives as long as the eventfd; ctl may close */
  return steal_fd(&efd);
}

int cgroup_oom_woken(struct cgroup *cg, int fd, int64_t *seen) {
  char buf[4096];
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
  int64_t n = cgroup_oom_count(cg);
  if (cg->layout == CGROUP_V2) {
    /* the file is marked modified after its counters moved */
    int moved = n > *seen;
    if (moved)
      *seen = n;
    return moved;
  }
  /* v1 signals before the OOM killer runs, so oom_kill may not have moved
   * yet: the signal itself is the event (as in runc), unless it says the
   * cgroup was removed */
  if (n < 0 || !cg_exists(cg->ctl[CG_MEMORY], "memory.oom_control"))
    return 0;
  *seen = n;
  return 1;
}
