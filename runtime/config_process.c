/* config_process.c — the "process" object of config.json (also the file
 * given to `exec --process`). */
#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "jfield.h"
#include "mem.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

int cap_last(void) {
  static int last = -1;
  if (last >= 0)
    return last;
  char buf[16] = {0};
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n > 0)
      last = atoi(buf);
  }
  if (last <= 0 || last > 63)
    last = CAP_LAST_CAP;
  return last;
}

int cap_from_name(const char *name) {
  char low[64];
  if (strncasecmp(name, "CAP_", 4) != 0)
    return -1;
  size_t n = strlen(name + 4);
  if (n == 0 || n >= sizeof(low))
    return -1;
  for (size_t i = 0; i <= n; i++)
    low[i] = (char)tolower((unsigned char)name[4 + i]);
  return capng_name_to_capability(low);
}

static const struct {
  const char *name;
  int res;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_caps(const struct jf *pf, json_t *p, struct rt_process *out, struct err **e) {
  static const char *const sets[CAP_NSETS] = {[CAP_BOUNDING] = "bounding",
                                              [CAP_EFFECTIVE] = "effective",
                                              [CAP_INHERITABLE] = "inheritable",
                                              [CAP_PERMITTED] = "permitted",
                                              [CAP_AMBIENT] = "ambient"};
  json_t *caps = NULL;
  int r = jf_obj(pf, p, "capabilities", &caps, e);
  if (r <= 0)
    return r;
  out->has_caps = 1;
  cleanup_free char *where = jf_path(pf, "capabilities");
  struct jf cf = {pf->doc, where};
  int last = cap_last();
  for (int s = 0; s < CAP_NSETS; s++) {
    cleanup_strv char **names = NULL;
    if (jf_strv(&cf, caps, sets[s], &names, e) < 0)
      return -1;
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
      int cap = cap_from_name(names[i]);
      if (cap < 0)
        return jf_bad(&cf, sets[s], e, "unknown capability \"%s\"", names[i]);
      /* known to libcap-ng but not to this kernel: nothing to grant */
      if (cap <= last)
        out->caps[s] |= 1ull << cap;
    }
  }
  return 0;
}

static int parse_rlimits(const struct jf *pf, json_t *p, struct rt_process *out, struct err **e) {
  json_t *arr = NULL;
  int r = jf_arr(pf, p, "rlimits", &arr, e);
  if (r <= 0)
    return r;
  out->rlimits = xcalloc(json_array_size(arr) + 1, sizeof(*out->rlimits));
  for (size_t i = 0; i < json_array_size(arr); i++) {
    cleanup_free char *where = jf_index(pf, "rlimits", i);
    struct jf f = {pf->doc, where};
    json_t *o = json_array_get(arr, i);
    if (!json_is_object(o))
      return jf_bad(&f, NULL, e, "expected an object");
    const char *type = NULL;
    int64_t hard = -1, soft = -1;
    json_t *jh = json_object_get(o, "hard"), *js = json_object_get(o, "soft");
    if (jf_str(&f, o, "type", &type, e) < 0)
      return -1;
    /* values are uint64 in the spec; jansson reads 2^64-1 as an error, so
     * accept reals too and treat anything >= 2^63 as unlimited */
    if (jh != NULL && !json_is_number(jh))
      return jf_bad(&f, "hard", e, "expected an integer");
    if (js != NULL && !json_is_number(js))
      return jf_bad(&f, "soft", e, "expected an integer");
    if (type == NULL || jh == NULL || js == NULL)
      return jf_bad(&f, NULL, e, "type, hard and soft are required");
    double dh = json_number_value(jh), ds = json_number_value(js);
    hard = json_is_integer(jh) ? (int64_t)json_integer_value(jh) : -1;
    soft = json_is_integer(js) ? (int64_t)json_integer_value(js) : -1;
    if (dh < 0 || ds < 0)
      return jf_bad(&f, NULL, e, "limits cannot be negative");
    size_t k;
    for (k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
      if (strcmp(type, rlimit_names[k].name) == 0)
        break;
    if (k == sizeof(rlimit_names) / sizeof(rlimit_names[0]))
      return jf_bad(&f, "type", e, "unknown rlimit \"%s\"", type);
    for (size_t j = 0; j < out->nrlimits; j++)
      if (out->rlimits[j].resource == rlimit_names[k].res)
        return jf_bad(&f, "type", e, "rlimit \"%s\" is listed twice", type);
    struct rt_rlimit *l = &out->rlimits[out->nrlimits++];
    l->resource = rlimit_names[k].res;
    l->lim.rlim_max = hard < 0 ? RLIM_INFINITY : (rlim_t)hard;
    l->lim.rlim_cur = soft < 0 ? RLIM_INFINITY : (rlim_t)soft;
    if (l->lim.rlim_cur > l->lim.rlim_max)
      return jf_bad(&f, NULL, e, "soft limit is above the hard limit");
  }
  return 0;
}

static int parse_user(const struct jf *pf, json_t *p, struct rt_process *out, struct err **e) {
  json_t *u = NULL;
  int r = jf_obj(pf, p, "user", &u, e);
  if (r <= 0)
    return r;
  struct jf uf = {pf->doc, "process.user"};
  int64_t uid = 0, gid = 0, um = -1;
  if (jf_range(&uf, u, "uid", 0, UINT32_MAX - 1, &uid, e) < 0 ||
      jf_range(&uf, u, "gid", 0, UINT32_MAX - 1, &gid, e) < 0 ||
      jf_range(&uf, u, "umask", 0, 0777, &um, e) < 0)
    return -1;
  out->uid = (uid_t)uid;
  out->gid = (gid_t)gid;
  if (um >= 0) {
    out->has_umask = 1;
    out->umask = (mode_t)um;
  }
  json_t *gids = NULL;
  if (jf_arr(&uf, u, "additionalGids", &gids, e) < 0)
    return -1;
  if (gids != NULL) {
    out->ngids = json_array_size(gids);
    out->gids = xcalloc(out->ngids + 1, sizeof(gid_t));
    for (size_t i = 0; i < out->ngids; i++) {
      json_t *g = json_array_get(gids, i);
      if (!json_is_integer(g) || json_integer_value(g) < 0 ||
          json_integer_value(g) >= (json_int_t)UINT32_MAX)
        return jf_bad(&uf, "additionalGids", e, "item %zu is not a valid gid", i);
      out->gids[i] = (gid_t)json_integer_value(g);
    }
  }
  return 0;
}

static int parse_sched(const struct jf *pf, json_t *p, struct rt_process *out, struct err **e) {
  static const struct {
    const char *name;
    int v;
  } policies[] = {
      {"SCHED_OTHER", SCHED_OTHER},      {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
      {"SCHED_BATCH", SCHED_BATCH},      {"SCHED_ISO", 4},           {"SCHED_IDLE", SCHED_IDLE},
      {"SCHED_DEADLINE", SCHED_DEADLINE}};
  static const struct {
    const char *name;
    uint64_t v;
  } flags[] = {{"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
               {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
               {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
               {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
  json_t *s = NULL;
  int r = jf_obj(pf, p, "scheduler", &s, e);
  if (r <= 0)
    return r;
  struct jf sf = {pf->doc, "process.scheduler"};
  const char *pol = NULL;
  int64_t nice = 0, prio = 0, rt = 0, dl = 0, per = 0;
  cleanup_strv char **fl = NULL;
  if (jf_str(&sf, s, "policy", &pol, e) < 0 || jf_range(&sf, s, "nice", -20, 19, &nice, e) < 0 ||
      jf_range(&sf, s, "priority", 0, 99, &prio, e) < 0 ||
      jf_range(&sf, s, "runtime", 0, INT64_MAX, &rt, e) < 0 ||
      jf_range(&sf, s, "deadline", 0, INT64_MAX, &dl, e) < 0 ||
      jf_range(&sf, s, "period", 0, INT64_MAX, &per, e) < 0 || jf_strv(&sf, s, "flags", &fl, e) < 0)
    return -1;
  if (pol == NULL)
    return jf_bad(&sf, "policy", e, "is required");
  size_t i;
  for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
    if (strcmp(pol, policies[i].name) == 0)
      break;
  if (i == sizeof(policies) / sizeof(policies[0]))
    return jf_bad(&sf, "policy", e, "unknown policy \"%s\"", pol);
  out->sched_policy = policies[i].v;
  for (size_t k = 0; fl != NULL && fl[k] != NULL; k++) {
    size_t j;
    for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
      if (strcmp(fl[k], flags[j].name) == 0)
        break;
    if (j == sizeof(flags) / sizeof(flags[0]))
      return jf_bad(&sf, "flags", e, "unknown flag \"%s\"", fl[k]);
    out->sched_flags |= flags[j].v;
  }
  if ((out->sched_policy == SCHED_FIFO || out->sched_policy == SCHED_RR) && prio == 0)
    return jf_bad(&sf, "priority", e, "%s needs a priority between 1 and 99", pol);
  out->has_sched = 1;
  out->sched_nice = (int)nice;
  out->sched_priority = (int)prio;
  out->sched_runtime = (uint64_t)rt;
  out->sched_deadline = (uint64_t)dl;
  out->sched_period = (uint64_t)per;
  return 0;
}

static int parse_ioprio(const struct jf *pf, json_t *p, struct rt_process *out, struct err **e) {
  json_t *io = NULL;
  int r = jf_obj(pf, p, "ioPriority", &io, e);
  if (r <= 0)
    return r;
  struct jf f = {pf->doc, "process.ioPriority"};
  const char *cls = NULL;
  int64_t prio = 0;
  if (jf_str(&f, io, "class", &cls, e) < 0 || jf_range(&f, io, "priority", 0, 7, &prio, e) < 0)
    return -1;
  int c;
  if (cls != NULL && strcmp(cls, "IOPRIO_CLASS_RT") == 0)
    c = IOPRIO_CLASS_RT;
  else if (cls != NULL && strcmp(cls, "IOPRIO_CLASS_BE") == 0)
    c = IOPRIO_CLASS_BE;
  else if (cls != NULL && strcmp(cls, "IOPRIO_CLASS_IDLE") == 0)
    c = IOPRIO_CLASS_IDLE;
  else
    return jf_bad(&f, "class", e, "must be IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE");
  out->has_ioprio = 1;
  out->ioprio = IOPRIO_PRIO_VALUE(c, (int)prio);
  return 0;
}

int config_parse_process(json_t *p, struct rt_process *out, const char *name, struct err **e) {
  struct jf pf = {name, "process"};
  memset(out, 0, sizeof(*out));
  if (!json_is_object(p))
    return err_set(e, 0, "%s: process: expected an object", name);
  if (jf_bool(&pf, p, "terminal", &out->terminal, e) < 0)
    return -1;
  json_t *cs = NULL;
  if (jf_obj(&pf, p, "consoleSize", &cs, e) < 0)
    return -1;
  if (cs != NULL) {
    struct jf cf = {name, "process.consoleSize"};
    int64_t h = 0, w = 0;
    if (jf_range(&cf, cs, "height", 0, 65535, &h, e) < 0 ||
        jf_range(&cf, cs, "width", 0, 65535, &w, e) < 0)
      return -1;
    out->cons_rows = (unsigned short)h;
    out->cons_cols = (unsigned short)w;
  }
  if (parse_user(&pf, p, out, e) < 0 || jf_strv(&pf, p, "args", &out->args, e) < 0 ||
      jf_strv(&pf, p, "env", &out->env, e) < 0)
    return -1;
  if (out->args == NULL || out->args[0] == NULL)
    return err_set(e, 0, "%s: process.args: must have at least one item", name);
  if (out->args[0][0] == '\0')
    return err_set(e, 0, "%s: process.args: the program name is empty", name);
  for (size_t i = 0; out->env != NULL && out->env[i] != NULL; i++)
    if (strchr(out->env[i], '=') == NULL || out->env[i][0] == '=')
      return err_set(e, 0, "%s: process.env: \"%s\" is not KEY=VALUE", name, out->env[i]);
  const char *cwd = NULL;
  if (jf_str(&pf, p, "cwd", &cwd, e) < 0)
    return -1;
  if (cwd == NULL || *cwd == '\0')
    cwd = "/";
  if (cwd[0] != '/')
    return err_set(e, 0, "%s: process.cwd: must be an absolute path, got \"%s\"", name, cwd);
  out->cwd = xstrdup(cwd);
  if (parse_caps(&pf, p, out, e) < 0 || parse_rlimits(&pf, p, out, e) < 0 ||
      jf_bool(&pf, p, "noNewPrivileges", &out->nnp, e) < 0)
    return -1;
  int64_t oom = 0;
  int r = jf_range(&pf, p, "oomScoreAdj", -1000, 1000, &oom, e);
  if (r < 0)
    return -1;
  out->has_oom = r;
  out->oom_score_adj = (int)oom;
  const char *aa = NULL, *se = NULL;
  if (jf_str(&pf, p, "apparmorProfile", &aa, e) < 0 || jf_str(&pf, p, "selinuxLabel", &se, e) < 0)
    return -1;
  if (aa != NULL && *aa != '\0')
    out->apparmor = xstrdup(aa);
  if (se != NULL && *se != '\0')
    out->selinux = xstrdup(se);
  if (parse_sched(&pf, p, out, e) < 0 || parse_ioprio(&pf, p, out, e) < 0)
    return -1;
  return 0;
}

void config_process_free(struct rt_process *p) {
  free(p->gids);
  strv_free(p->args);
  strv_free(p->env);
  free(p->cwd);
  free(p->rlimits);
  free(p->apparmor);
  free(p->selinux);
  memset(p, 0, sizeof(*p));
}
