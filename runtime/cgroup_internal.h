/* cgroup_internal.h — what the cgroup*.c files share; not for other users.
 *
 *   cgroup.c        layout detection, paths, setup/enter/update/destroy,
 *                   pids, signals, small file helpers
 *   cgroup_res.c    linux.resources → struct cg_res (all validation) and the
 *                   pure v1/v2 conversions (unit-tested without a kernel)
 *   cgroup_v1.c     writers for the v1 controller files, v1 freezer
 *   cgroup_v2.c     writers for the v2 files, subtree_control, cgroup.freeze
 *   cgroup_bpf.c    the v2 eBPF device filter
 *   cgroup_stats.c  runc-shaped stats and OOM detection
 */
#ifndef CAIRN_CGROUP_INTERNAL_H
#define CAIRN_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* The controllers cairn drives.  Other mounted v1 hierarchies (name=systemd,
 * net_cls, perf_event…) are still created and joined, never written. */
enum cg_ctrl {
  CG_CPU,
  CG_CPUACCT,
  CG_CPUSET,
  CG_MEMORY,
  CG_DEVICES,
  CG_FREEZER,
  CG_BLKIO,
  CG_PIDS,
  CG_HUGETLB,
  CG_NCTRL
};
extern const char *const cg_ctrl_v1_name[CG_NCTRL];

struct cgroup {
  enum cgroup_layout layout;
  char *path;          /* "/cairn/id", always absolute and clean */
  char *v2dir;         /* the cgroup2 directory (v2, hybrid's unified), or NULL */
  char **v1dirs;       /* one directory per mounted v1 hierarchy (NULL-terminated) */
  char *ctl[CG_NCTRL]; /* v1 directory of each controller, NULL if not mounted */
  /* Hybrid: controllers absent from v1 but offered by the cgroup2 tree
   * (this host's hugetlb) are driven there, through v2 files. */
  bool hybrid_v2[CG_NCTRL];
};

/* ---- parsed linux.resources ---- */

struct cg_i64 {
  bool set;
  int64_t v;
};

enum { CG_ACC_MKNOD = 1, CG_ACC_READ = 2, CG_ACC_WRITE = 4, CG_ACC_ALL = 7 };

struct cg_dev_rule {
  bool allow;
  char type;       /* 'a', 'b' or 'c'; 'a' matches every device */
  int64_t major;   /* -1: any */
  int64_t minor;   /* -1: any */
  unsigned access; /* CG_ACC_* bits */
};

struct cg_devnum {
  int64_t major, minor;
  uint64_t value; /* a weight or a rate */
};

struct cg_huge {
  char *size; /* "2MB", "1GB": the kernel's file-name form */
  int64_t limit;
};

struct cg_kv {
  char *key, *value;
};

enum { CG_THR_RBPS, CG_THR_WBPS, CG_THR_RIOPS, CG_THR_WIOPS, CG_NTHR };

struct cg_res {
  /* memory (bytes; -1 = unlimited) */
  struct cg_i64 mem_limit, mem_resv, mem_swap, mem_swappiness;
  struct cg_i64 disable_oom_killer; /* bool in v */
  /* cpu */
  struct cg_i64 cpu_shares, cpu_quota, cpu_period, cpu_rt_runtime, cpu_rt_period;
  char *cpus, *mems;
  /* pids (<= 0 = unlimited) */
  struct cg_i64 pids_limit;
  /* block io */
  struct cg_i64 blkio_weight;
  struct cg_devnum *wdev;
  size_t n_wdev;
  struct cg_devnum *thr[CG_NTHR];
  size_t n_thr[CG_NTHR];
  /* hugetlb */
  struct cg_huge *huge;
  size_t n_huge;
  /* devices: has_devices says the key was there at all */
  bool has_devices;
  struct cg_dev_rule *dev;
  size_t n_dev;
  /* linux.resources.unified: raw v2 files */
  struct cg_kv *unified;
  size_t n_unified;
};

/* Parse resources (NULL = nothing to do) into *r, checking every type and
 * range; messages name the field ("linux.resources.memory.limit: …"). */
int cg_res_parse(json_t *resources, struct cg_res *r, struct err **e);
void cg_res_free(struct cg_res *r);
bool cg_res_wants(const struct cg_res *r, enum cg_ctrl c);

/* ---- pure conversions (cgroup_res.c) ---- */

/* v1 cpu.shares (2..262144) → v2 cpu.weight (1..10000), as runc does;
 * 0 stays 0 ("not set"). */
uint64_t cg_shares_to_weight(uint64_t shares);
/* v1 blkio weight (10..1000) → v2 io.weight (1..10000). */
uint64_t cg_blkio_to_io_weight(uint64_t w);
/* cpu.max's content for quota/period (either may be unset); NULL when
 * neither is set.  quota <= 0 is "max". */
char *cg_v2_cpu_max(struct cg_i64 quota, struct cg_i64 period);
/* memory.swap.max's content into *out (NULL when nothing is to be
 * written): OCI's swap is memory+swap, v2's is swap only. */
int cg_v2_swap_max(struct cg_i64 limit, struct cg_i64 swap, char **out, struct err **e);
/* A byte count for v2 files: -1 (or any negative) is "max". */
char *cg_v2_bytes(int64_t v);
/* "c 1:3 rw", "a *:* rwm": the v1 devices.allow/deny line for a rule. */
char *cg_v1_dev_rule(const struct cg_dev_rule *d);

/* Hand the error in *src to *dst (callers may pass a NULL dst: "don't
 * care"), or drop it. */
static inline void cg_err_pass(struct err **dst, struct err **src) {
  if (dst != NULL && *dst == NULL) {
    *dst = *src;
    *src = NULL;
  }
  err_free(src);
}

/* ---- files (cgroup.c) ---- */

/* Write s to dir/file (no newline needed); error names the file and value. */
int cg_write(const char *dir, const char *file, const char *s, struct err **e);
int cg_writef(const char *dir, const char *file, struct err **e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read dir/file (malloc'd, trailing newline removed), NULL on failure. */
char *cg_read(const char *dir, const char *file, struct err **e);
bool cg_exists(const char *dir, const char *file);
/* The value of "key N" in a flat-keyed file (cgroup.events, memory.events,
 * cpu.stat, memory.oom_control); -1 when absent. */
int64_t cg_read_key(const char *dir, const char *file, const char *key);
/* Nanosleep for ms milliseconds. */
void cg_sleep_ms(unsigned ms);

/* ---- v1 (cgroup_v1.c) ---- */

/* Give a freshly made cpuset cgroup its parent's cpus and mems when empty:
 * the kernel leaves them empty and refuses tasks in such a cgroup. */
int cg_v1_cpuset_init(const char *dir, struct err **e);
int cg_v1_apply(struct cgroup *cg, const struct cg_res *r, struct err **e);
int cg_v1_freeze(const char *dir, int frozen, struct err **e);
int cg_v1_frozen(const char *dir);

/* ---- v2 (cgroup_v2.c) ---- */

/* Enable in every ancestor of dir (below root) the controllers listed,
 * or all available when want is NULL. */
int cg_v2_enable(const char *root, const char *path, const char *const *want, struct err **e);
/* Apply the resources through v2 files in dir (only the controllers in
 * mask, a bitmask of 1 << enum cg_ctrl). */
int cg_v2_apply(const char *dir, const struct cg_res *r, unsigned mask, struct err **e);
int cg_v2_freeze(const char *dir, int frozen, struct err **e);
int cg_v2_frozen(const char *dir);

/* ---- eBPF device filter (cgroup_bpf.c) ---- */

/* Build the program for rules (default deny, last match wins), attach it to
 * the cgroup2 directory with BPF_F_ALLOW_MULTI and detach whatever programs
 * were attached there before. */
int cg_bpf_devices(const char *dir, const struct cg_dev_rule *rules, size_t n, struct err **e);
/* The raw instructions (struct bpf_insn, 8 bytes each) for tests. */
void *cg_bpf_build(const struct cg_dev_rule *rules, size_t n, size_t *ninsns);

#endif
