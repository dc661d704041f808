/* cgroup.c — layout detection, a container's paths, and the operations
 * that walk every hierarchy: setup, enter, update, freeze, pids, signal,
 * destroy.  The per-controller files are written by cgroup_v1.c and
 * cgroup_v2.c; see cgroup.h for which hierarchy does what. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "mem.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_ROOT "/sys/fs/cgroup"
#define CG_UNIFIED CG_ROOT "/unified"

const char *const cg_ctrl_v1_name[CG_NCTRL] = {
    [CG_CPU] = "cpu",       [CG_CPUACCT] = "cpuacct", [CG_CPUSET] = "cpuset",
    [CG_MEMORY] = "memory", [CG_DEVICES] = "devices", [CG_FREEZER] = "freezer",
    [CG_BLKIO] = "blkio",   [CG_PIDS] = "pids",       [CG_HUGETLB] = "hugetlb",
};

/* ---- small file helpers ---- */

int cg_write(const char *dir, const char *file, const char *s, struct err **e) {
  cleanup_free char *p = path_join(dir, file);
  cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open '%s'", p);
  /* cgroupfs takes one value per write(2); a short write does not happen. */
  if (write(fd, s, strlen(s)) < 0)
    return err_set(e, errno, "write '%s' to '%s'", s, p);
  return 0;
}

int cg_writef(const char *dir, const char *file, struct err **e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *s = xvasprintf(fmt, ap);
  va_end(ap);
  return cg_write(dir, file, s, e);
}

char *cg_read(const char *dir, const char *file, struct err **e) {
  cleanup_free char *p = path_join(dir, file);
  char *s = read_file(p, 1 << 20, NULL, e);
  if (s != NULL) {
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '\n')
      s[--n] = '\0';
  }
  return s;
}

bool cg_exists(const char *dir, const char *file) {
  cleanup_free char *p = path_join(dir, file);
  return access(p, F_OK) == 0;
}

int64_t cg_read_key(const char *dir, const char *file, const char *key) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(dir, file, &e);
  if (s == NULL) {
    err_free(&e);
    return -1;
  }
  size_t kl = strlen(key);
  for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
      return strtoll(line + kl + 1, NULL, 10);
  return -1;
}

void cg_sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

/* ---- detection ---- */

struct v1_mount {
  char *dir;  /* mount point */
  char *opts; /* the controllers: "cpu,cpuacct", "name=systemd" */
};
static struct v1_mount *v1_mounts;
static size_t n_v1_mounts;
static int layout_cached = -1;

static bool is_cgroup2(const char *path) {
  struct statfs s;
  return statfs(path, &s) == 0 && (unsigned long)s.f_type == CGROUP2_SUPER_MAGIC;
}

/* Super options of a v1 cgroup mount → its controllers ("rw,cpu,cpuacct" →
 * "cpu,cpuacct"). */
static char *v1_controllers(const char *superopts) {
  cleanup_free char *o = xstrdup(superopts);
  char *out = xstrdup(""), *save = NULL;
  for (char *t = strtok_r(o, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, "rw") == 0 || strcmp(t, "ro") == 0 || strncmp(t, "release_agent=", 14) == 0 ||
        strcmp(t, "clone_children") == 0 || strcmp(t, "noprefix") == 0 || strcmp(t, "xattr") == 0 ||
        strcmp(t, "cpuset_v2_mode") == 0 || strcmp(t, "favordynmods") == 0)
      continue;
    char *n = xasprintf("%s%s%s", out, *out ? "," : "", t);
    free(out);
    out = n;
  }
  return out;
}

/* Every v1 hierarchy once, from /proc/self/mountinfo: "ID PARENT M:N ROOT
 * MOUNTPOINT OPTS [TAGS…] - FSTYPE SOURCE SUPEROPTS".  A hierarchy mounted
 * twice (bind mounts) is kept at its first mount point. */
const char *cg_mountinfo(void) {
  static char *text;
  if (text == NULL) {
    struct err *e = NULL;
    size_t len = 0;
    text = read_file("/proc/self/mountinfo", 16u << 20, &len, &e);
    err_free(&e);
    if (text == NULL)
      text = xstrdup("");
  }
  return text;
}

static void scan_v1_mounts(void) {
  const char *mi = cg_mountinfo();
  cleanup_fclose FILE *f = fmemopen((void *)mi, strlen(mi), "r");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  if (f == NULL)
    return;
  while (getline(&line, &cap, f) > 0) {
    char *sep = strstr(line, " - ");
    if (sep == NULL || strncmp(sep, " - cgroup ", 10) != 0)
      continue;
    char mnt[4096], superopts[1024];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
        sscanf(sep + 10, "%*s %1023s", superopts) != 1)
      continue;
    cleanup_free char *ctls = v1_controllers(superopts);
    bool dup = false;
    for (size_t i = 0; i < n_v1_mounts; i++)
      dup |= strcmp(v1_mounts[i].opts, ctls) == 0;
    if (dup || *ctls == '\0')
      continue;
    v1_mounts = xrealloc(v1_mounts, (n_v1_mounts + 1) * sizeof *v1_mounts);
    v1_mounts[n_v1_mounts++] = (struct v1_mount){xstrdup(mnt), steal_ptr(&ctls)};
  }
}

enum cgroup_layout cgroup_layout(void) {
  if (layout_cached >= 0)
    return (enum cgroup_layout)layout_cached;
  if (is_cgroup2(CG_ROOT)) {
    layout_cached = CGROUP_V2;
  } else {
    scan_v1_mounts();
    layout_cached = is_cgroup2(CG_UNIFIED) ? CGROUP_HYBRID : CGROUP_V1;
  }
  return (enum cgroup_layout)layout_cached;
}

const char *cgroup_layout_name(enum cgroup_layout l) {
  return l == CGROUP_V2 ? "v2" : l == CGROUP_HYBRID ? "hybrid" : "v1";
}

static bool has_word(const char *list, const char *w, char sep) {
  size_t n = strlen(w);
  for (const char *p = list; p && *p;) {
    const char *end = strchrnul(p, sep);
    if ((size_t)(end - p) == n && strncmp(p, w, n) == 0)
      return true;
    p = *end ? end + 1 : end;
  }
  return false;
}

/* Does the cgroup2 root offer this controller (cgroup.controllers)? */
static bool v2_offers(const char *root, const char *ctl) {
  struct err *e = NULL;
  cleanup_free char *s = cg_read(root, "cgroup.controllers", &e);
  err_free(&e);
  return s != NULL && has_word(s, ctl, ' ');
}

/* ---- the container's paths ---- */

struct cgroup *cgroup_new(const char *cgroups_path, const char *id, struct err **e) {
  cleanup_free char *rel = NULL;
  if (cgroups_path == NULL || *cgroups_path == '\0') {
    if (id == NULL || *id == '\0' || strchr(id, '/') || strcmp(id, "..") == 0 ||
        strcmp(id, ".") == 0) {
      err_usage(e, "cgroup: invalid container id '%s'", id ? id : "");
      return NULL;
    }
    rel = xasprintf("/cairn/%s", id);
  } else if (cgroups_path[0] != '/' && strchr(cgroups_path, ':')) {
    err_usage(e, "cgroupsPath '%s': systemd cgroup driver is not supported", cgroups_path);
    return NULL;
  } else {
    /* A ".." anywhere could climb out of the hierarchy (or, relative, out of
     * the parent we place containers under): refuse rather than resolve. */
    cleanup_free char *copy = xstrdup(cgroups_path);
    char *save = NULL;
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
      if (strcmp(t, "..") == 0) {
        err_usage(e, "cgroupsPath '%s': '..' is not allowed", cgroups_path);
        return NULL;
      }
    cleanup_free char *abs = xasprintf("/%s", cgroups_path);
    rel = path_clean(abs);
    if (strcmp(rel, "/") == 0) {
      err_usage(e, "cgroupsPath '%s': the root cgroup cannot hold a container", cgroups_path);
      return NULL;
    }
  }

  enum cgroup_layout layout = cgroup_layout();
  if (layout != CGROUP_V2 && n_v1_mounts == 0) {
    err_set(e, 0, "cgroup: no cgroup hierarchy is mounted under /sys/fs/cgroup");
    return NULL;
  }
  struct cgroup *cg = xcalloc(1, sizeof *cg);
  cg->layout = layout;
  cg->path = steal_ptr(&rel);
  if (cg->layout == CGROUP_V2) {
    cg->v2dir = xasprintf(CG_ROOT "%s", cg->path);
    return cg;
  }
  if (cg->layout == CGROUP_HYBRID)
    cg->v2dir = xasprintf(CG_UNIFIED "%s", cg->path);
  cg->v1dirs = xcalloc(n_v1_mounts + 1, sizeof *cg->v1dirs);
  for (size_t i = 0; i < n_v1_mounts; i++) {
    cg->v1dirs[i] = xasprintf("%s%s", v1_mounts[i].dir, cg->path);
    for (int c = 0; c < CG_NCTRL; c++)
      if (cg->ctl[c] == NULL && has_word(v1_mounts[i].opts, cg_ctrl_v1_name[c], ','))
        cg->ctl[c] = cg->v1dirs[i];
  }
  if (cg->layout == CGROUP_HYBRID && cg->ctl[CG_HUGETLB] == NULL)
    cg->hybrid_v2[CG_HUGETLB] = v2_offers(CG_UNIFIED, "hugetlb");
  return cg;
}

void cgroup_free(struct cgroup *cg) {
  if (cg == NULL)
    return;
  free(cg->path);
  free(cg->v2dir);
  strv_free(cg->v1dirs);
  free(cg);
}

const char *cgroup_path(const struct cgroup *cg) {
  return cg->path;
}

json_t *cgroup_describe(const struct cgroup *cg) {
  json_t *dirs = json_object();
  for (int c = 0; c < CG_NCTRL; c++)
    if (cg->ctl[c] != NULL)
      json_object_set_new(dirs, cg_ctrl_v1_name[c], json_string(cg->ctl[c]));
    else if (cg->hybrid_v2[c])
      json_object_set_new(dirs, cg_ctrl_v1_name[c], json_string(cg->v2dir));
  if (cg->v2dir != NULL)
    json_object_set_new(dirs, cg->layout == CGROUP_V2 ? "v2" : "unified", json_string(cg->v2dir));
  return json_pack("{s:s, s:s, s:o}", "layout", cgroup_layout_name(cg->layout), "path", cg->path,
                   "dirs", dirs);
}

/* ---- setup ---- */

/* The mount point a directory of ours lives under (dir minus cg->path). */
static char *mount_of(const struct cgroup *cg, const char *dir) {
  return xstrndup(dir, strlen(dir) - strlen(cg->path));
}

/* mkdir every missing component of cg->path under one hierarchy, recording
 * what we made (so a failed setup removes exactly that).  cpuset
 * directories get their parent's cpus and mems on the way down. */
static int make_dirs(const struct cgroup *cg, const char *dir, bool cpuset, char ***made,
                     struct err **e) {
  cleanup_free char *p = mount_of(cg, dir);
  cleanup_free char *rest = xstrdup(cg->path + 1);
  char *save = NULL;
  for (char *t = strtok_r(rest, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    char *next = xasprintf("%s/%s", p, t);
    free(p);
    p = next;
    if (mkdir(p, 0755) == 0)
      strv_push(made, p);
    else if (errno != EEXIST)
      return err_set(e, errno, "cgroup: mkdir '%s'", p);
    if (cpuset && cg_v1_cpuset_init(p, e) < 0)
      return -1;
  }
  return 0;
}

static void remove_made(char **made) {
  for (size_t i = strv_len(made); i-- > 0;)
    rmdir(made[i]);
}

/* Is ctl driven by this cgroup, and where?  NULL when nowhere. */
static const char *ctl_dir(const struct cgroup *cg, enum cg_ctrl c, bool *v2) {
  *v2 = cg->layout == CGROUP_V2 || cg->hybrid_v2[c];
  if (*v2)
    return cg->v2dir;
  return cg->ctl[c];
}

/* Refuse what this host cannot do before creating anything. */
static int check_host(const struct cgroup *cg, const struct cg_res *r, struct err **e) {
  static const char *const what[CG_NCTRL] = {
      [CG_MEMORY] = "memory",  [CG_CPU] = "cpu",       [CG_CPUSET] = "cpus/mems",
      [CG_PIDS] = "pids",      [CG_BLKIO] = "blockIO", [CG_HUGETLB] = "hugepageLimits",
      [CG_DEVICES] = "devices"};
  for (int c = 0; c < CG_NCTRL; c++) {
    bool v2;
    if (what[c] == NULL || !cg_res_wants(r, (enum cg_ctrl)c) || ctl_dir(cg, (enum cg_ctrl)c, &v2))
      continue;
    return err_set(e, 0, "linux.resources.%s: the %s cgroup controller is not mounted", what[c],
                   cg_ctrl_v1_name[c]);
  }
  if (r->n_unified > 0 && cg->layout != CGROUP_V2)
    return err_set(e, 0, "linux.resources.unified: needs cgroup v2 (this host is %s)",
                   cgroup_layout_name(cg->layout));
  if (cg->layout != CGROUP_V2 && (r->cpu_rt_runtime.set || r->cpu_rt_period.set) &&
      cg->ctl[CG_CPU] != NULL) {
    cleanup_free char *m = mount_of(cg, cg->ctl[CG_CPU]);
    if (!cg_exists(m, "cpu.rt_runtime_us"))
      return err_set(e, 0,
                     "linux.resources.cpu.realtimeRuntime: the kernel has no "
                     "cpu.rt_runtime_us (CONFIG_RT_GROUP_SCHED)");
  }
  if (cg->layout == CGROUP_V2 && (r->cpu_rt_runtime.set || r->cpu_rt_period.set))
    return err_set(e, 0, "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2");
  return 0;
}

static int apply(struct cgroup *cg, const struct cg_res *r, struct err **e) {
  if (cg->layout == CGROUP_V2)
    return cg_v2_apply(cg->v2dir, r, ~0u, e);
  if (cg_v1_apply(cg, r, e) < 0)
    return -1;
  unsigned mask = 0;
  for (int c = 0; c < CG_NCTRL; c++)
    if (cg->hybrid_v2[c])
      mask |= 1u << c;
  return mask ? cg_v2_apply(cg->v2dir, r, mask, e) : 0;
}

static int enter(struct cgroup *cg, pid_t pid, struct err **e) {
  for (char **d = cg->v1dirs; d && *d; d++)
    if (cg_writef(*d, "cgroup.procs", e, "%d", (int)pid) < 0)
      return err_wrap(e, "cgroup: move pid %d", (int)pid);
  if (cg->v2dir && cg_writef(cg->v2dir, "cgroup.procs", e, "%d", (int)pid) < 0)
    return err_wrap(e, "cgroup: move pid %d", (int)pid);
  return 0;
}

/* The cgroup a /proc/PID/cgroup text names for a hierarchy ("cpu,cpuacct",
 * "name=systemd", or "" for cgroup2), "/" when not listed. */
static const char *orig_path(const char *text, const char *ctls, char *buf, size_t len) {
  size_t n = strlen(ctls);
  for (const char *l = text; l && *l;) {
    const char *c = strchr(l, ':');
    const char *nl = strchrnul(l, '\n');
    if (c && c < nl && strncmp(c + 1, ctls, n) == 0 && c[1 + n] == ':') {
      snprintf(buf, len, "%.*s", (int)(nl - (c + 2 + n)), c + 2 + n);
      return buf;
    }
    l = *nl ? nl + 1 : nl;
  }
  return "/";
}

/* Undo a partial enter: put pid back where /proc/PID/cgroup said it was
 * (the roots when unknown), so that the directories we made can go. */
static void move_back(const struct cgroup *cg, pid_t pid, const char *orig) {
  char buf[4096];
  for (size_t i = 0; cg->v1dirs && cg->v1dirs[i]; i++) {
    struct err *ignored = NULL;
    cleanup_free char *m = mount_of(cg, cg->v1dirs[i]);
    cleanup_free char *to = path_join(m, orig_path(orig, v1_mounts[i].opts, buf, sizeof buf));
    cg_writef(to, "cgroup.procs", &ignored, "%d", (int)pid);
    err_free(&ignored);
  }
  if (cg->v2dir) {
    struct err *ignored = NULL;
    cleanup_free char *m = mount_of(cg, cg->v2dir);
    cleanup_free char *to = path_join(m, orig_path(orig, "", buf, sizeof buf));
    cg_writef(to, "cgroup.procs", &ignored, "%d", (int)pid);
    err_free(&ignored);
  }
}

int cgroup_validate(json_t *resources, struct err **e) {
  struct cg_res r;
  if (cg_res_parse(resources, &r, e) < 0)
    return -1;
  cg_res_free(&r);
  return 0;
}

int cgroup_setup(struct cgroup *cg, json_t *resources, pid_t pid, struct err **e) {
  struct cg_res r;
  cleanup_strv char **made = NULL;
  cleanup_free char *orig = NULL, *procfile = NULL;
  bool entering = false;
  if (cg_res_parse(resources, &r, e) < 0)
    return -1;
  if (check_host(cg, &r, e) < 0)
    goto fail;
  for (char **d = cg->v1dirs; d && *d; d++)
    if (make_dirs(cg, *d, *d == cg->ctl[CG_CPUSET], &made, e) < 0)
      goto fail;
  if (cg->v2dir != NULL) {
    if (make_dirs(cg, cg->v2dir, false, &made, e) < 0)
      goto fail;
    /* Pure v2: every controller the root offers, like runc, so stats work
     * without limits.  Hybrid: only those we route to v2 and use. */
    const char *want[CG_NCTRL + 1] = {0};
    size_t n = 0;
    for (int c = 0; c < CG_NCTRL; c++)
      if (cg->hybrid_v2[c] && cg_res_wants(&r, (enum cg_ctrl)c))
        want[n++] = cg_ctrl_v1_name[c];
    cleanup_free char *root = mount_of(cg, cg->v2dir);
    if ((cg->layout == CGROUP_V2 || n > 0) &&
        cg_v2_enable(root, cg->path, cg->layout == CGROUP_V2 ? NULL : want, e) < 0)
      goto fail;
  }
  if (apply(cg, &r, e) < 0)
    goto fail;
  if (pid > 0) {
    struct err *ignored = NULL;
    procfile = xasprintf("/proc/%d/cgroup", (int)pid);
    orig = read_file(procfile, 0, NULL, &ignored);
    err_free(&ignored);
    entering = true;
    if (enter(cg, pid, e) < 0)
      goto fail;
  }
  cg_res_free(&r);
  return 0;
fail:
  cg_res_free(&r);
  if (entering)
    move_back(cg, pid, orig);
  remove_made(made);
  return -1;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct err **e) {
  return enter(cg, pid, e);
}

int cgroup_update(struct cgroup *cg, json_t *resources, struct err **e) {
  struct cg_res r;
  if (cg_res_parse(resources, &r, e) < 0)
    return -1;
  int rc = check_host(cg, &r, e) < 0 || apply(cg, &r, e) < 0 ? -1 : 0;
  cg_res_free(&r);
  return rc;
}

/* ---- freezer ---- */

static const char *freezer_dir(const struct cgroup *cg, bool *v2) {
  *v2 = cg->layout == CGROUP_V2;
  return *v2 ? cg->v2dir : cg->ctl[CG_FREEZER];
}

int cgroup_freeze(struct cgroup *cg, int frozen, struct err **e) {
  bool v2;
  const char *d = freezer_dir(cg, &v2);
  if (d == NULL)
    return err_set(e, 0, "cgroup: the freezer controller is not mounted");
  return v2 ? cg_v2_freeze(d, frozen, e) : cg_v1_freeze(d, frozen, e);
}

int cgroup_frozen(struct cgroup *cg) {
  bool v2;
  const char *d = freezer_dir(cg, &v2);
  if (d == NULL)
    return 0;
  return v2 ? cg_v2_frozen(d) : cg_v1_frozen(d);
}

/* ---- pids, signals ---- */

/* Where cgroup.procs is read: the freezer's (v1/hybrid; the one we freeze
 * for kill --all), else any hierarchy we joined. */
static const char *procs_dir(const struct cgroup *cg) {
  if (cg->layout == CGROUP_V2)
    return cg->v2dir;
  if (cg->ctl[CG_FREEZER])
    return cg->ctl[CG_FREEZER];
  return cg->v1dirs && cg->v1dirs[0] ? cg->v1dirs[0] : cg->v2dir;
}

/* cgroup.procs of dir and of every cgroup below it (a container may make
 * its own sub-cgroups). */
static int collect_pids(const char *dir, pid_t **pids, size_t *n, struct err **e) {
  cleanup_free char *procs = cg_read(dir, "cgroup.procs", e);
  if (procs == NULL)
    return -1;
  for (char *p = procs; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p)
      break;
    *pids = xrealloc(*pids, (*n + 1) * sizeof **pids);
    (*pids)[(*n)++] = (pid_t)v;
    p = end;
    while (*p == '\n')
      p++;
  }
  cleanup_dir DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    cleanup_free char *sub = path_join(dir, de->d_name);
    struct err *ignored = NULL; /* a sub-cgroup removed meanwhile */
    collect_pids(sub, pids, n, &ignored);
    err_free(&ignored);
  }
  return 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct err **e) {
  *pids = NULL;
  *n = 0;
  const char *d = procs_dir(cg);
  if (d == NULL)
    return err_set(e, 0, "cgroup: no hierarchy to list processes from");
  if (collect_pids(d, pids, n, e) < 0) {
    free(*pids);
    *pids = NULL;
    return err_wrap(e, "cgroup '%s'", cg->path);
  }
  return 0;
}

int cgroup_signal_all(struct cgroup *cg, int sig, struct err **e) {
  /* cgroup.kill (Linux 5.14) kills the whole cgroup2 subtree atomically,
   * forks included.  On hybrid every process of the container is in the
   * unified cgroup too (setup and enter put it there, children inherit),
   * but tasks the v1 freezer holds die only once thawed. */
  if (sig == SIGKILL && cg->v2dir && cg_exists(cg->v2dir, "cgroup.kill")) {
    if (cg_write(cg->v2dir, "cgroup.kill", "1", e) < 0)
      return -1;
    if (cg->layout != CGROUP_V2 && cgroup_frozen(cg) && cgroup_freeze(cg, 0, e) < 0)
      return err_wrap(e, "cgroup: thaw after SIGKILL");
    return 0;
  }
  /* Otherwise freeze first so that no new process escapes the signal by
   * forking between the listing and the kill (runc does the same); a paused
   * container stays paused unless the signal is SIGKILL, which v1 only
   * delivers to thawed tasks. */
  bool v2;
  bool can_freeze = freezer_dir(cg, &v2) != NULL;
  int was_frozen = cgroup_frozen(cg);
  struct err *ferr = NULL;
  bool froze = can_freeze && !was_frozen && cgroup_freeze(cg, 1, &ferr) == 0;
  err_free(&ferr);
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int rc = cgroup_pids(cg, &pids, &n, e);
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      rc = err_set(e, errno, "kill pid %d", (int)pids[i]);
  if (froze || (was_frozen && sig == SIGKILL)) {
    if (cgroup_freeze(cg, 0, &ferr) < 0 && rc == 0) {
      err_wrap(&ferr, "cgroup: thaw after signal");
      rc = -1;
    }
    cg_err_pass(e, &ferr);
  }
  return rc;
}

/* ---- destroy ---- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* rmdir dir, and first its sub-cgroups when it has some (a container may
 * make its own).  EBUSY from tasks that are still exiting is retried until
 * the deadline, shared by every hierarchy so that a cgroup with live
 * processes fails in about a second, not a second per hierarchy. */
static int rmdir_tree(const char *dir, int64_t deadline, struct err **e) {
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY)
    return err_set(e, errno, "cgroup: rmdir '%s'", dir);
  cleanup_dir DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    cleanup_free char *sub = path_join(dir, de->d_name);
    if (rmdir_tree(sub, deadline, e) < 0)
      return -1;
  }
  for (;;) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY || now_ms() >= deadline)
      return err_set(e, errno, "cgroup: rmdir '%s'", dir);
    cg_sleep_ms(10);
  }
}

int cgroup_destroy(struct cgroup *cg, struct err **e) {
  /* Try every hierarchy even after a failure; report the first. */
  int rc = 0;
  int64_t deadline = now_ms() + 1000;
  for (size_t i = 0; cg->v1dirs && cg->v1dirs[i]; i++) {
    struct err *err = NULL;
    if (rmdir_tree(cg->v1dirs[i], deadline, &err) < 0)
      rc = -1;
    cg_err_pass(e, &err);
  }
  if (cg->v2dir) {
    struct err *err = NULL;
    if (rmdir_tree(cg->v2dir, deadline, &err) < 0)
      rc = -1;
    cg_err_pass(e, &err);
  }
  return rc;
}
