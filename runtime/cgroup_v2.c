/* cgroup_v2.c — linux.resources through the cgroup2 files, controller
 * delegation (cgroup.subtree_control) and cgroup.freeze.  Used on v2 hosts,
 * and on hybrid ones for the controllers only the cgroup2 tree offers. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cgroup_internal.h"
#include "mem.h"

#define R "linux.resources"

static bool listed(const char *list, const char *w) {
  size_t n = strlen(w);
  for (const char *p = list; p && *p;) {
    const char *end = strchrnul(p, ' ');
    if ((size_t)(end - p) == n && strncmp(p, w, n) == 0)
      return true;
    p = *end ? end + 1 : end;
  }
  return false;
}

/* Turn on in dir's subtree_control each controller of want (all offered
 * when want is NULL) that dir offers and has not enabled yet. */
static int enable_in(const char *dir, const char *const *want, struct err **e) {
  cleanup_free char *offered = cg_read(dir, "cgroup.controllers", e);
  cleanup_free char *on = offered ? cg_read(dir, "cgroup.subtree_control", e) : NULL;
  if (on == NULL)
    return -1;
  cleanup_free char *all = xstrdup(offered);
  char *save = NULL;
  for (char *c = strtok_r(all, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
    bool wanted = want == NULL;
    for (const char *const *w = want; w && *w && !wanted; w++)
      wanted = strcmp(*w, c) == 0;
    if (!wanted || listed(on, c))
      continue;
    struct err *err = NULL;
    if (cg_writef(dir, "cgroup.subtree_control", &err, "+%s", c) < 0) {
      /* Enabling everything is best effort: a parent with processes of its
       * own cannot delegate domain controllers (EBUSY), and the limits
       * that need one fail later, naming the file. */
      if (want != NULL) {
        cg_err_pass(e, &err);
        return -1;
      }
      err_free(&err);
    }
  }
  if (want != NULL)
    for (const char *const *w = want; *w; w++)
      if (!listed(offered, *w))
        return err_set(e, 0, "cgroup: '%s' does not offer the %s controller", dir, *w);
  return 0;
}

int cg_v2_enable(const char *root, const char *path, const char *const *want, struct err **e) {
  /* Every level from the root down to the leaf's parent delegates. */
  cleanup_free char *dir = xstrdup(root);
  cleanup_free char *rest = xstrdup(path + 1);
  char *save = NULL;
  for (char *t = strtok_r(rest, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (enable_in(dir, want, e) < 0)
      return err_wrap(e, "cgroup: enable controllers");
    char *next = xasprintf("%s/%s", dir, t);
    free(dir);
    dir = next;
  }
  return 0;
}

/* The file must exist: a missing one means the controller is not enabled
 * for this cgroup, which deserves a better word than ENOENT. */
static int need(const char *d, const char *file, const char *ctl, struct err **e) {
  if (cg_exists(d, file))
    return 0;
  return err_set(e, 0, "the %s controller is not available in '%s' (no %s)", ctl, d, file);
}

static int v2_memory(const char *d, const struct cg_res *r, struct err **e) {
  if (r->mem_swappiness.set)
    return err_usage(e, R ".memory.swappiness: not supported on cgroup v2");
  if (r->disable_oom_killer.set && r->disable_oom_killer.v)
    return err_usage(e, R ".memory.disableOOMKiller: not supported on cgroup v2");
  cleanup_free char *swap = NULL;
  if (cg_v2_swap_max(r->mem_limit, r->mem_swap, &swap, e) < 0)
    return -1;
  if ((r->mem_limit.set || r->mem_resv.set) && need(d, "memory.max", "memory", e) < 0)
    return -1;
  if (r->mem_limit.set) {
    cleanup_free char *v = cg_v2_bytes(r->mem_limit.v);
    if (cg_write(d, "memory.max", v, e) < 0)
      return -1;
  }
  if (r->mem_resv.set) {
    cleanup_free char *v = cg_v2_bytes(r->mem_resv.v);
    if (cg_write(d, "memory.low", v, e) < 0)
      return -1;
  }
  if (swap != NULL) {
    if (!cg_exists(d, "memory.swap.max")) {
      if (strcmp(swap, "max") == 0)
        return 0;
      return err_set(e, 0,
                     R ".memory.swap: the kernel does not account swap "
                       "(no memory.swap.max; boot with swapaccount=1)");
    }
    if (cg_write(d, "memory.swap.max", swap, e) < 0)
      return -1;
  }
  return 0;
}

static int v2_cpu(const char *d, const struct cg_res *r, struct err **e) {
  if (need(d, "cpu.max", "cpu", e) < 0)
    return -1;
  if (r->cpu_shares.set &&
      cg_writef(d, "cpu.weight", e, "%" PRIu64, cg_shares_to_weight((uint64_t)r->cpu_shares.v)) < 0)
    return -1;
  cleanup_free char *max = cg_v2_cpu_max(r->cpu_quota, r->cpu_period);
  if (max != NULL && cg_write(d, "cpu.max", max, e) < 0)
    return -1;
  return 0;
}

static int v2_cpuset(const char *d, const struct cg_res *r, struct err **e) {
  if (need(d, "cpuset.cpus", "cpuset", e) < 0)
    return -1;
  if (r->mems && cg_write(d, "cpuset.mems", r->mems, e) < 0)
    return -1;
  if (r->cpus && cg_write(d, "cpuset.cpus", r->cpus, e) < 0)
    return -1;
  return 0;
}

static int v2_pids(const char *d, const struct cg_res *r, struct err **e) {
  if (need(d, "pids.max", "pids", e) < 0)
    return -1;
  if (r->pids_limit.v > 0)
    return cg_writef(d, "pids.max", e, "%" PRId64, r->pids_limit.v);
  return cg_write(d, "pids.max", "max", e);
}

static int v2_io(const char *d, const struct cg_res *r, struct err **e) {
  static const char *const thr_key[CG_NTHR] = {"rbps", "wbps", "riops", "wiops"};
  if (need(d, "io.max", "io", e) < 0)
    return -1;
  /* BFQ takes v1's 10..1000 scale as is; io.weight is 1..10000. */
  bool bfq = cg_exists(d, "io.bfq.weight");
  if (r->blkio_weight.set) {
    uint64_t w = (uint64_t)r->blkio_weight.v;
    if (cg_writef(d, bfq ? "io.bfq.weight" : "io.weight", e, "%" PRIu64,
                  bfq ? w : cg_blkio_to_io_weight(w)) < 0)
      return -1;
  }
  for (size_t i = 0; i < r->n_wdev; i++) {
    uint64_t w = r->wdev[i].value;
    if (cg_writef(d, bfq ? "io.bfq.weight" : "io.weight", e, "%" PRId64 ":%" PRId64 " %" PRIu64,
                  r->wdev[i].major, r->wdev[i].minor, bfq ? w : cg_blkio_to_io_weight(w)) < 0)
      return -1;
  }
  for (int t = 0; t < CG_NTHR; t++)
    for (size_t i = 0; i < r->n_thr[t]; i++) {
      const struct cg_devnum *x = &r->thr[t][i];
      /* 0 lifts the limit, as writing 0 to the v1 file does. */
      cleanup_free char *v = x->value ? xasprintf("%" PRIu64, x->value) : xstrdup("max");
      if (cg_writef(d, "io.max", e, "%" PRId64 ":%" PRId64 " %s=%s", x->major, x->minor, thr_key[t],
                    v) < 0)
        return -1;
    }
  return 0;
}

static int v2_hugetlb(const char *d, const struct cg_res *r, struct err **e) {
  for (size_t i = 0; i < r->n_huge; i++) {
    cleanup_free char *f = xasprintf("hugetlb.%s.max", r->huge[i].size);
    if (!cg_exists(d, f))
      return err_set(e, 0,
                     R ".hugepageLimits: no %s in '%s' (page size not supported, or "
                       "the hugetlb controller is not enabled)",
                     f, d);
    if (cg_writef(d, f, e, "%" PRId64, r->huge[i].limit) < 0)
      return -1;
  }
  return 0;
}

static int v2_devices(const char *d, const struct cg_res *r, struct err **e) {
  return cg_bpf_devices(d, r->dev, r->n_dev, e);
}

int cg_v2_apply(const char *dir, const struct cg_res *r, unsigned mask, struct err **e) {
  static int (*const fn[CG_NCTRL])(const char *, const struct cg_res *, struct err **) = {
      [CG_MEMORY] = v2_memory,  [CG_CPU] = v2_cpu,  [CG_CPUSET] = v2_cpuset,
      [CG_PIDS] = v2_pids,      [CG_BLKIO] = v2_io, [CG_HUGETLB] = v2_hugetlb,
      [CG_DEVICES] = v2_devices};
  for (int c = 0; c < CG_NCTRL; c++)
    if (fn[c] != NULL && (mask & (1u << c)) && cg_res_wants(r, (enum cg_ctrl)c) &&
        fn[c](dir, r, e) < 0)
      return err_wrap(e, "cgroup");
  if (mask == ~0u)
    for (size_t i = 0; i < r->n_unified; i++) {
      if (!cg_exists(dir, r->unified[i].key))
        return err_set(e, 0, R ".unified.%s: no such file in '%s' (controller not enabled?)",
                       r->unified[i].key, dir);
      if (cg_write(dir, r->unified[i].key, r->unified[i].value, e) < 0)
        return err_wrap(e, "cgroup");
    }
  return 0;
}

/* ---- cgroup.freeze ---- */

int cg_v2_frozen(const char *dir) {
  return cg_read_key(dir, "cgroup.events", "frozen") == 1;
}

int cg_v2_freeze(const char *dir, int frozen, struct err **e) {
  if (!cg_exists(dir, "cgroup.freeze"))
    return err_set(e, 0, "cgroup: the kernel has no cgroup.freeze (needs Linux 5.2)");
  if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", e) < 0)
    return err_wrap(e, "cgroup: %s", frozen ? "freeze" : "thaw");
  /* The write only asks; cgroup.events says "frozen 1" once every task has
   * stopped. */
  for (int i = 0; i < 5000; i++) {
    if (cg_read_key(dir, "cgroup.events", "frozen") == (frozen ? 1 : 0))
      return 0;
    cg_sleep_ms(1);
  }
  if (frozen) {
    struct err *ignored = NULL;
    cg_write(dir, "cgroup.freeze", "0", &ignored);
    err_free(&ignored);
  }
  return err_set(e, ETIMEDOUT, "cgroup: %s '%s'", frozen ? "freeze" : "thaw", dir);
}
