/* cgroup_res.c — linux.resources → struct cg_res, and the pure arithmetic of
 * the v1/v2 files.  Everything here is checked before cgroup_setup creates
 * a directory, so bad input leaves nothing behind. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cgroup_internal.h"
#include "mem.h"

#define R "linux.resources"

/* ---- field readers: absent and null mean "not set" ---- */

static int get_int(json_t *obj, const char *key, const char *ctx, struct cg_i64 *out,
                   struct err **e) {
  json_t *v = json_object_get(obj, key);
  out->set = false;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_integer(v))
    return err_usage(e, "%s.%s: expected an integer", ctx, key);
  out->set = true;
  out->v = json_integer_value(v);
  return 0;
}

/* An integer where 0 means "not set" (OCI's uint64 fields). */
static int get_nonzero(json_t *obj, const char *key, const char *ctx, struct cg_i64 *out,
                       struct err **e) {
  if (get_int(obj, key, ctx, out, e) < 0)
    return -1;
  if (out->set && out->v == 0)
    out->set = false;
  return 0;
}

static int get_range(json_t *obj, const char *key, const char *ctx, struct cg_i64 *out, int64_t lo,
                     int64_t hi, struct err **e) {
  if (get_nonzero(obj, key, ctx, out, e) < 0)
    return -1;
  if (out->set && (out->v < lo || out->v > hi))
    return err_usage(e, "%s.%s: %" PRId64 " is out of range (%" PRId64 "-%" PRId64 ")", ctx, key,
                     out->v, lo, hi);
  return 0;
}

/* Bytes: -1 (unlimited) or a positive count; 0 is "not set". */
static int get_bytes(json_t *obj, const char *key, const char *ctx, struct cg_i64 *out,
                     struct err **e) {
  if (get_nonzero(obj, key, ctx, out, e) < 0)
    return -1;
  if (out->set && out->v < -1)
    return err_usage(e, "%s.%s: %" PRId64 " is invalid (-1 for unlimited, or bytes)", ctx, key,
                     out->v);
  return 0;
}

static int get_obj(json_t *parent, const char *key, const char *ctx, json_t **out, struct err **e) {
  json_t *v = json_object_get(parent, key);
  *out = NULL;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_object(v))
    return err_usage(e, "%s.%s: expected an object", ctx, key);
  *out = v;
  return 0;
}

static int get_arr(json_t *parent, const char *key, const char *ctx, json_t **out, struct err **e) {
  json_t *v = json_object_get(parent, key);
  *out = NULL;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return err_usage(e, "%s.%s: expected an array", ctx, key);
  *out = v;
  return 0;
}

/* "0-3,5": what cpuset.cpus/mems accept; checked here so that a typo is a
 * usage error and not a kernel EINVAL after the directories exist. */
static int get_cpulist(json_t *obj, const char *key, const char *ctx, char **out, struct err **e) {
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return err_usage(e, "%s.%s: expected a string", ctx, key);
  const char *s = json_string_value(v);
  if (*s == '\0')
    return 0;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-')
      return err_usage(e, "%s.%s: '%s' is not a list like \"0-2,4\"", ctx, key, s);
  *out = xstrdup(s);
  return 0;
}

static int parse_memory(json_t *m, struct cg_res *r, struct err **e) {
  const char *c = R ".memory";
  if (get_bytes(m, "limit", c, &r->mem_limit, e) < 0 ||
      get_bytes(m, "reservation", c, &r->mem_resv, e) < 0 ||
      get_bytes(m, "swap", c, &r->mem_swap, e) < 0 ||
      get_int(m, "swappiness", c, &r->mem_swappiness, e) < 0)
    return -1;
  if (r->mem_swappiness.set && (r->mem_swappiness.v < 0 || r->mem_swappiness.v > 100))
    return err_usage(e, "%s.swappiness: %" PRId64 " is out of range (0-100)", c,
                     r->mem_swappiness.v);
  json_t *v = json_object_get(m, "disableOOMKiller");
  if (v != NULL && !json_is_null(v)) {
    if (!json_is_boolean(v))
      return err_usage(e, "%s.disableOOMKiller: expected a boolean", c);
    r->disable_oom_killer = (struct cg_i64){true, json_is_true(v)};
  }
  /* memory+swap below memory makes no sense in either version. */
  if (r->mem_limit.set && r->mem_swap.set && r->mem_limit.v > 0 && r->mem_swap.v > 0 &&
      r->mem_swap.v < r->mem_limit.v)
    return err_usage(
        e, "%s.swap: %" PRId64 " is below memory.limit %" PRId64 " (swap is the memory+swap limit)",
        c, r->mem_swap.v, r->mem_limit.v);
  return 0;
}

static int parse_cpu(json_t *m, struct cg_res *r, struct err **e) {
  const char *c = R ".cpu";
  if (get_range(m, "shares", c, &r->cpu_shares, 2, 262144, e) < 0 ||
      get_nonzero(m, "quota", c, &r->cpu_quota, e) < 0 ||
      get_range(m, "period", c, &r->cpu_period, 1000, 1000000, e) < 0 ||
      get_nonzero(m, "realtimeRuntime", c, &r->cpu_rt_runtime, e) < 0 ||
      get_nonzero(m, "realtimePeriod", c, &r->cpu_rt_period, e) < 0 ||
      get_cpulist(m, "cpus", c, &r->cpus, e) < 0 || get_cpulist(m, "mems", c, &r->mems, e) < 0)
    return -1;
  if (r->cpu_quota.set && r->cpu_quota.v < 0 && r->cpu_quota.v != -1)
    return err_usage(e, "%s.quota: %" PRId64 " is invalid (-1 for unlimited)", c, r->cpu_quota.v);
  if (r->cpu_quota.set && r->cpu_quota.v > 0 && r->cpu_quota.v < 1000)
    return err_usage(e, "%s.quota: %" PRId64 " is below the kernel's minimum of 1000", c,
                     r->cpu_quota.v);
  return 0;
}

static int parse_devnums(json_t *arr, const char *ctx, const char *valkey, int64_t lo, int64_t hi,
                         struct cg_devnum **out, size_t *n, struct err **e) {
  size_t i;
  json_t *d;
  if (arr == NULL)
    return 0;
  *out = xcalloc(json_array_size(arr) + 1, sizeof **out);
  json_array_foreach(arr, i, d) {
    struct cg_i64 maj, min, val;
    char sub[96];
    snprintf(sub, sizeof sub, "%s[%zu]", ctx, i);
    if (!json_is_object(d))
      return err_usage(e, "%s: expected an object", sub);
    if (get_int(d, "major", sub, &maj, e) < 0 || get_int(d, "minor", sub, &min, e) < 0 ||
        get_int(d, valkey, sub, &val, e) < 0)
      return -1;
    if (!maj.set || !min.set || maj.v < 0 || min.v < 0)
      return err_usage(e, "%s: needs a major and a minor number", sub);
    if (!val.set)
      continue; /* weightDevice may carry only leafWeight: nothing for us */
    if (val.v < lo || val.v > hi)
      return err_usage(e, "%s.%s: %" PRId64 " is out of range (%" PRId64 "-%" PRId64 ")", sub,
                       valkey, val.v, lo, hi);
    (*out)[(*n)++] = (struct cg_devnum){maj.v, min.v, (uint64_t)val.v};
  }
  return 0;
}

static int parse_blkio(json_t *m, struct cg_res *r, struct err **e) {
  static const char *const thr_keys[CG_NTHR] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                                "throttleReadIOPSDevice",
                                                "throttleWriteIOPSDevice"};
  const char *c = R ".blockIO";
  json_t *a;
  char ctx[80];
  if (get_range(m, "weight", c, &r->blkio_weight, 10, 1000, e) < 0)
    return -1;
  snprintf(ctx, sizeof ctx, "%s.weightDevice", c);
  if (get_arr(m, "weightDevice", c, &a, e) < 0 ||
      parse_devnums(a, ctx, "weight", 10, 1000, &r->wdev, &r->n_wdev, e) < 0)
    return -1;
  for (int t = 0; t < CG_NTHR; t++) {
    snprintf(ctx, sizeof ctx, "%s.%s", c, thr_keys[t]);
    if (get_arr(m, thr_keys[t], c, &a, e) < 0 ||
        parse_devnums(a, ctx, "rate", 0, INT64_MAX, &r->thr[t], &r->n_thr[t], e) < 0)
      return -1;
  }
  return 0;
}

/* "2MB", "64KB", "1GB": the spelling of hugetlb.<size>.* file names. */
static bool valid_page_size(const char *s) {
  size_t i = 0;
  while (isdigit((unsigned char)s[i]))
    i++;
  return i > 0 && s[0] != '0' && strchr("KMG", s[i]) && s[i] != '\0' && s[i + 1] == 'B' &&
         s[i + 2] == '\0';
}

static int parse_huge(json_t *arr, struct cg_res *r, struct err **e) {
  size_t i;
  json_t *h;
  if (arr == NULL)
    return 0;
  r->huge = xcalloc(json_array_size(arr) + 1, sizeof *r->huge);
  json_array_foreach(arr, i, h) {
    char ctx[64];
    snprintf(ctx, sizeof ctx, R ".hugepageLimits[%zu]", i);
    if (!json_is_object(h))
      return err_usage(e, "%s: expected an object", ctx);
    const char *ps = json_string_value(json_object_get(h, "pageSize"));
    if (ps == NULL || !valid_page_size(ps))
      return err_usage(e, "%s.pageSize: expected a size like \"2MB\"", ctx);
    struct cg_i64 lim;
    if (get_int(h, "limit", ctx, &lim, e) < 0)
      return -1;
    if (!lim.set || lim.v < 0)
      return err_usage(e, "%s.limit: expected a byte count", ctx);
    r->huge[r->n_huge++] = (struct cg_huge){xstrdup(ps), lim.v};
  }
  return 0;
}

static int parse_devices(json_t *arr, struct cg_res *r, struct err **e) {
  size_t i;
  json_t *d;
  r->has_devices = true;
  r->dev = xcalloc(json_array_size(arr) + 1, sizeof *r->dev);
  json_array_foreach(arr, i, d) {
    char ctx[64];
    snprintf(ctx, sizeof ctx, R ".devices[%zu]", i);
    if (!json_is_object(d))
      return err_usage(e, "%s: expected an object", ctx);
    struct cg_dev_rule *rule = &r->dev[r->n_dev];
    json_t *allow = json_object_get(d, "allow");
    if (!json_is_boolean(allow))
      return err_usage(e, "%s.allow: expected a boolean", ctx);
    rule->allow = json_is_true(allow);
    json_t *t = json_object_get(d, "type");
    const char *ts = t == NULL || json_is_null(t) ? "a" : json_string_value(t);
    if (ts == NULL || strlen(ts) != 1 || !strchr("abc", ts[0]))
      return err_usage(e, "%s.type: expected \"a\", \"b\" or \"c\"", ctx);
    rule->type = ts[0];
    struct cg_i64 maj, min;
    if (get_int(d, "major", ctx, &maj, e) < 0 || get_int(d, "minor", ctx, &min, e) < 0)
      return -1;
    if ((maj.set && (maj.v < -1 || maj.v > UINT32_MAX)) ||
        (min.set && (min.v < -1 || min.v > UINT32_MAX)))
      return err_usage(e, "%s: device numbers must be -1 (any) or 0-4294967295", ctx);
    rule->major = maj.set ? maj.v : -1;
    rule->minor = min.set ? min.v : -1;
    json_t *acc = json_object_get(d, "access");
    const char *as = acc == NULL || json_is_null(acc) ? "rwm" : json_string_value(acc);
    if (as == NULL)
      return err_usage(e, "%s.access: expected a string", ctx);
    rule->access = 0;
    for (const char *p = as; *p; p++) {
      unsigned bit = *p == 'r'   ? CG_ACC_READ
                     : *p == 'w' ? CG_ACC_WRITE
                     : *p == 'm' ? CG_ACC_MKNOD
                                 : 0;
      if (bit == 0)
        return err_usage(e, "%s.access: '%s' is not a combination of r, w and m", ctx, as);
      rule->access |= bit;
    }
    if (rule->access == 0) /* "" grants or denies nothing */
      continue;
    if (rule->type == 'a') /* the kernel's "a" is every device, whatever numbers */
      rule->major = rule->minor = -1;
    r->n_dev++;
  }
  return 0;
}

static int parse_unified(json_t *obj, struct cg_res *r, struct err **e) {
  const char *k;
  json_t *v;
  r->unified = xcalloc(json_object_size(obj) + 1, sizeof *r->unified);
  json_object_foreach(obj, k, v) {
    if (!json_is_string(v))
      return err_usage(e, R ".unified.%s: expected a string", k);
    /* Keys are file names in the container's own cgroup directory; of the
     * core cgroup.* files only the two limits, never procs, kill, freeze… */
    bool core_limit =
        strcmp(k, "cgroup.max.depth") == 0 || strcmp(k, "cgroup.max.descendants") == 0;
    if (*k == '\0' || strchr(k, '/') || strcmp(k, ".") == 0 || strcmp(k, "..") == 0 ||
        (strncmp(k, "cgroup.", 7) == 0 && !core_limit))
      return err_usage(e, R ".unified: '%s' is not a controller file name", k);
    r->unified[r->n_unified++] = (struct cg_kv){xstrdup(k), xstrdup(json_string_value(v))};
  }
  return 0;
}

int cg_res_parse(json_t *res, struct cg_res *r, struct err **e) {
  memset(r, 0, sizeof *r);
  if (res == NULL || json_is_null(res))
    return 0;
  if (!json_is_object(res))
    return err_usage(e, R ": expected an object");
  json_t *o;
  if (get_obj(res, "memory", R, &o, e) < 0 || (o && parse_memory(o, r, e) < 0))
    goto fail;
  if (get_obj(res, "cpu", R, &o, e) < 0 || (o && parse_cpu(o, r, e) < 0))
    goto fail;
  if (get_obj(res, "pids", R, &o, e) < 0 ||
      (o && get_int(o, "limit", R ".pids", &r->pids_limit, e) < 0))
    goto fail;
  if (get_obj(res, "blockIO", R, &o, e) < 0 || (o && parse_blkio(o, r, e) < 0))
    goto fail;
  if (get_arr(res, "hugepageLimits", R, &o, e) < 0 || parse_huge(o, r, e) < 0)
    goto fail;
  if (get_arr(res, "devices", R, &o, e) < 0 || (o && parse_devices(o, r, e) < 0))
    goto fail;
  if (get_obj(res, "unified", R, &o, e) < 0 || (o && parse_unified(o, r, e) < 0))
    goto fail;
  /* Controllers this host family never offers to us: say so rather than
   * silently run the container without the limit. */
  static const char *const unsupported[] = {"network", "rdma"};
  for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++) {
    json_t *v = json_object_get(res, unsupported[i]);
    if (v != NULL && !json_is_null(v) && json_object_size(v) > 0) {
      err_usage(e, R ".%s: not supported by cairn-runtime", unsupported[i]);
      goto fail;
    }
  }
  return 0;
fail:
  cg_res_free(r);
  return -1;
}

void cg_res_free(struct cg_res *r) {
  free(r->cpus);
  free(r->mems);
  free(r->wdev);
  for (int t = 0; t < CG_NTHR; t++)
    free(r->thr[t]);
  for (size_t i = 0; i < r->n_huge; i++)
    free(r->huge[i].size);
  free(r->huge);
  free(r->dev);
  for (size_t i = 0; i < r->n_unified; i++) {
    free(r->unified[i].key);
    free(r->unified[i].value);
  }
  free(r->unified);
  memset(r, 0, sizeof *r);
}

bool cg_res_wants(const struct cg_res *r, enum cg_ctrl c) {
  switch (c) {
    case CG_MEMORY:
      return r->mem_limit.set || r->mem_resv.set || r->mem_swap.set || r->mem_swappiness.set ||
             r->disable_oom_killer.set;
    case CG_CPU:
      return r->cpu_shares.set || r->cpu_quota.set || r->cpu_period.set || r->cpu_rt_runtime.set ||
             r->cpu_rt_period.set;
    case CG_CPUSET: return r->cpus != NULL || r->mems != NULL;
    case CG_PIDS: return r->pids_limit.set;
    case CG_BLKIO: {
      size_t n = r->n_wdev;
      for (int t = 0; t < CG_NTHR; t++)
        n += r->n_thr[t];
      return r->blkio_weight.set || n > 0;
    }
    case CG_HUGETLB: return r->n_huge > 0;
    case CG_DEVICES: return r->has_devices;
    default: return false;
  }
}

/* ---- conversions ---- */

uint64_t cg_shares_to_weight(uint64_t shares) {
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  /* The linear map of [2, 262144] onto [1, 10000] runc and crun use, so a
   * config gives the same weight whichever runtime applies it. */
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cg_blkio_to_io_weight(uint64_t w) {
  if (w == 0)
    return 0;
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + ((w - 10) * 9999) / 990;
}

char *cg_v2_cpu_max(struct cg_i64 quota, struct cg_i64 period) {
  if (!quota.set && !period.set)
    return NULL;
  /* cpu.max is "QUOTA PERIOD"; the kernel keeps the old period when only
   * the quota is written, and a lone period needs a quota word before it:
   * "max" is what an unset quota means. */
  char q[24] = "max";
  if (quota.set && quota.v > 0)
    snprintf(q, sizeof q, "%" PRId64, quota.v);
  if (period.set)
    return xasprintf("%s %" PRId64, q, period.v);
  return xstrdup(q);
}

int cg_v2_swap_max(struct cg_i64 limit, struct cg_i64 swap, char **out, struct err **e) {
  *out = NULL;
  if (!swap.set)
    return 0;
  if (swap.v == -1) {
    *out = xstrdup("max");
    return 0;
  }
  /* OCI's swap is the memory+swap total (v1's memsw); v2 limits swap alone,
   * so the file gets the difference. */
  if (!limit.set || limit.v == -1)
    return err_usage(e, R ".memory.swap: a memory+swap limit needs a memory limit on cgroup v2");
  if (swap.v < limit.v)
    return err_usage(e, R ".memory.swap: %" PRId64 " is below memory.limit %" PRId64, swap.v,
                     limit.v);
  *out = xasprintf("%" PRId64, swap.v - limit.v);
  return 0;
}

char *cg_v2_bytes(int64_t v) {
  return v < 0 ? xstrdup("max") : xasprintf("%" PRId64, v);
}

char *cg_v1_dev_rule(const struct cg_dev_rule *d) {
  char acc[4];
  size_t n = 0;
  if (d->access & CG_ACC_READ)
    acc[n++] = 'r';
  if (d->access & CG_ACC_WRITE)
    acc[n++] = 'w';
  if (d->access & CG_ACC_MKNOD)
    acc[n++] = 'm';
  acc[n] = '\0';
  if (d->type == 'a')
    return xasprintf("a *:* %s", acc);
  char maj[24] = "*", min[24] = "*";
  if (d->major >= 0)
    snprintf(maj, sizeof maj, "%" PRId64, d->major);
  if (d->minor >= 0)
    snprintf(min, sizeof min, "%" PRId64, d->minor);
  return xasprintf("%c %s:%s %s", d->type, maj, min, acc);
}
