/* cgroup_v1.c — linux.resources through the v1 controller files, and the
 * v1 freezer.  Used on v1 and hybrid hosts. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <string.h>

#include "cgroup_internal.h"
#include "mem.h"

#define R "linux.resources"

int cg_v1_cpuset_init(const char *dir, struct err **e) {
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  cleanup_free char *parent = xstrdup(dir);
  dirname(parent);
  for (size_t i = 0; i < 2; i++) {
    cleanup_free char *cur = cg_read(dir, files[i], e);
    if (cur == NULL)
      return err_wrap(e, "cgroup: cpuset");
    if (*cur != '\0')
      continue;
    /* A new v1 cpuset cgroup starts with nothing and refuses tasks (and
     * children's values) until it has cpus and mems of its own. */
    cleanup_free char *from = cg_read(parent, files[i], e);
    if (from == NULL || cg_write(dir, files[i], from, e) < 0)
      return err_wrap(e, "cgroup: cpuset");
  }
  return 0;
}

static int v1_memory(const char *d, const struct cg_res *r, struct err **e) {
  bool memsw = cg_exists(d, "memory.memsw.limit_in_bytes");
  if (r->mem_swap.set && r->mem_swap.v > 0 && !memsw)
    return err_set(e, 0,
                   R ".memory.swap: the kernel does not account swap "
                     "(no memory.memsw.limit_in_bytes; boot with swapaccount=1)");
  bool swap = r->mem_swap.set && memsw;
  if (r->mem_limit.set && swap) {
    /* The kernel keeps limit <= memsw at every instant: raising both needs
     * memsw first, lowering both needs the limit first. */
    struct err *first = NULL;
    if (cg_writef(d, "memory.memsw.limit_in_bytes", &first, "%" PRId64, r->mem_swap.v) < 0) {
      err_free(&first);
      if (cg_writef(d, "memory.limit_in_bytes", e, "%" PRId64, r->mem_limit.v) < 0 ||
          cg_writef(d, "memory.memsw.limit_in_bytes", e, "%" PRId64, r->mem_swap.v) < 0)
        return -1;
    } else if (cg_writef(d, "memory.limit_in_bytes", e, "%" PRId64, r->mem_limit.v) < 0) {
      return -1;
    }
  } else if (r->mem_limit.set) {
    if (cg_writef(d, "memory.limit_in_bytes", e, "%" PRId64, r->mem_limit.v) < 0)
      return -1;
  } else if (swap) {
    if (cg_writef(d, "memory.memsw.limit_in_bytes", e, "%" PRId64, r->mem_swap.v) < 0)
      return -1;
  }
  if (r->mem_resv.set &&
      cg_writef(d, "memory.soft_limit_in_bytes", e, "%" PRId64, r->mem_resv.v) < 0)
    return -1;
  if (r->mem_swappiness.set &&
      cg_writef(d, "memory.swappiness", e, "%" PRId64, r->mem_swappiness.v) < 0)
    return -1;
  if (r->disable_oom_killer.set &&
      cg_write(d, "memory.oom_control", r->disable_oom_killer.v ? "1" : "0", e) < 0)
    return -1;
  return 0;
}

static int v1_cpu(const char *d, const struct cg_res *r, struct err **e) {
  if (r->cpu_shares.set && cg_writef(d, "cpu.shares", e, "%" PRId64, r->cpu_shares.v) < 0)
    return -1;
  /* Period before quota: a quota is checked against the period in force. */
  if (r->cpu_period.set && cg_writef(d, "cpu.cfs_period_us", e, "%" PRId64, r->cpu_period.v) < 0)
    return -1;
  if (r->cpu_quota.set && cg_writef(d, "cpu.cfs_quota_us", e, "%" PRId64, r->cpu_quota.v) < 0)
    return -1;
  if (r->cpu_rt_period.set &&
      cg_writef(d, "cpu.rt_period_us", e, "%" PRId64, r->cpu_rt_period.v) < 0)
    return -1;
  if (r->cpu_rt_runtime.set &&
      cg_writef(d, "cpu.rt_runtime_us", e, "%" PRId64, r->cpu_rt_runtime.v) < 0)
    return -1;
  return 0;
}

static int v1_cpuset(const char *d, const struct cg_res *r, struct err **e) {
  /* mems first: cpus alone never fails for lack of memory nodes, but a
   * later task move would with empty mems. */
  if (r->mems && cg_write(d, "cpuset.mems", r->mems, e) < 0)
    return -1;
  if (r->cpus && cg_write(d, "cpuset.cpus", r->cpus, e) < 0)
    return -1;
  return 0;
}

static int v1_blkio(const char *d, const struct cg_res *r, struct err **e) {
  static const char *const thr_files[CG_NTHR] = {
      "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
      "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
  /* CFQ's blkio.weight is gone from recent kernels; BFQ offers the same
   * knob under its own name. */
  const char *wf = cg_exists(d, "blkio.weight")       ? "blkio.weight"
                   : cg_exists(d, "blkio.bfq.weight") ? "blkio.bfq.weight"
                                                      : NULL;
  if ((r->blkio_weight.set || r->n_wdev > 0) && wf == NULL)
    return err_set(e, 0,
                   R ".blockIO.weight: the kernel has neither blkio.weight nor "
                     "blkio.bfq.weight (no CFQ or BFQ scheduler)");
  if (r->blkio_weight.set && cg_writef(d, wf, e, "%" PRId64, r->blkio_weight.v) < 0)
    return -1;
  cleanup_free char *wdf = xasprintf("%s_device", wf ? wf : "blkio.weight");
  for (size_t i = 0; i < r->n_wdev; i++)
    if (cg_writef(d, wdf, e, "%" PRId64 ":%" PRId64 " %" PRIu64, r->wdev[i].major, r->wdev[i].minor,
                  r->wdev[i].value) < 0)
      return -1;
  for (int t = 0; t < CG_NTHR; t++)
    for (size_t i = 0; i < r->n_thr[t]; i++)
      if (cg_writef(d, thr_files[t], e, "%" PRId64 ":%" PRId64 " %" PRIu64, r->thr[t][i].major,
                    r->thr[t][i].minor, r->thr[t][i].value) < 0)
        return -1;
  return 0;
}

static int v1_hugetlb(const char *d, const struct cg_res *r, struct err **e) {
  for (size_t i = 0; i < r->n_huge; i++) {
    cleanup_free char *f = xasprintf("hugetlb.%s.limit_in_bytes", r->huge[i].size);
    if (!cg_exists(d, f))
      return err_set(e, 0, R ".hugepageLimits: page size '%s' is not supported by the kernel",
                     r->huge[i].size);
    if (cg_writef(d, f, e, "%" PRId64, r->huge[i].limit) < 0)
      return -1;
  }
  return 0;
}

/* Deny everything, then the rules in order: each write edits the kernel's
 * exception list exactly as the rule reads, so the last matching rule
 * wins, as in the eBPF version. */
static int v1_devices(const char *d, const struct cg_res *r, struct err **e) {
  if (cg_write(d, "devices.deny", "a", e) < 0)
    return -1;
  for (size_t i = 0; i < r->n_dev; i++) {
    cleanup_free char *line = cg_v1_dev_rule(&r->dev[i]);
    if (cg_write(d, r->dev[i].allow ? "devices.allow" : "devices.deny", line, e) < 0)
      return -1;
  }
  return 0;
}

int cg_v1_apply(struct cgroup *cg, const struct cg_res *r, struct err **e) {
  static int (*const fn[CG_NCTRL])(const char *, const struct cg_res *, struct err **) = {
      [CG_MEMORY] = v1_memory, [CG_CPU] = v1_cpu,         [CG_CPUSET] = v1_cpuset,
      [CG_BLKIO] = v1_blkio,   [CG_HUGETLB] = v1_hugetlb, [CG_DEVICES] = v1_devices};
  for (int c = 0; c < CG_NCTRL; c++) {
    if (!cg_res_wants(r, (enum cg_ctrl)c) || cg->ctl[c] == NULL || cg->hybrid_v2[c])
      continue;
    int rc;
    if (c == CG_PIDS)
      rc = r->pids_limit.v > 0 ? cg_writef(cg->ctl[c], "pids.max", e, "%" PRId64, r->pids_limit.v)
                               : cg_write(cg->ctl[c], "pids.max", "max", e);
    else if (fn[c] != NULL)
      rc = fn[c](cg->ctl[c], r, e);
    else
      continue;
    if (rc < 0)
      return err_wrap(e, "cgroup");
  }
  return 0;
}

/* ---- freezer ---- */

int cg_v1_frozen(const char *dir) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(dir, "freezer.state", &e);
  err_free(&e);
  return s != NULL && strcmp(s, "FROZEN") == 0;
}

int cg_v1_freeze(const char *dir, int frozen, struct err **e) {
  const char *want = frozen ? "FROZEN" : "THAWED";
  /* FREEZING can last while a task sleeps uninterruptibly; writing the
   * request again nudges the kernel to retry the stragglers. */
  for (int i = 0; i < 5000; i++) {
    if (i % 50 == 0 && cg_write(dir, "freezer.state", want, e) < 0)
      return err_wrap(e, "cgroup: %s", frozen ? "freeze" : "thaw");
    cleanup_free char *s = cg_read(dir, "freezer.state", e);
    if (s == NULL)
      return err_wrap(e, "cgroup: %s", frozen ? "freeze" : "thaw");
    if (strcmp(s, want) == 0)
      return 0;
    cg_sleep_ms(1);
  }
  if (frozen) {
    struct err *ignored = NULL;
    cg_write(dir, "freezer.state", "THAWED", &ignored);
    err_free(&ignored);
  }
  return err_set(e, ETIMEDOUT, "cgroup: %s '%s'", frozen ? "freeze" : "thaw", dir);
}
