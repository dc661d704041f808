/* mounts.c — docker's default mounts plus -v, --tmpfs, --mount and the
 * --init binary, in docker's order: the defaults not overridden by a user
 * mount (a user mount at /dev drops every default under /dev/), then the
 * user mounts sorted by depth so that a parent is mounted before its
 * children.
 *
 * cairn-spec never changes the filesystem: bind sources must exist (cairn
 * creates a missing -v source directory, as docker does, before calling
 * us), and a named volume NAME is the directory
 * $CAIRN_ROOT/volumes/NAME/_data that `cairn volume create` made. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "spec.h"

static json_t *mount_new(const char *dst, const char *type, const char *src, const char *opts) {
  json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dst, "type", type, "source", src);
  json_t *o = json_array();
  cleanup_free char *copy = xstrdup(opts);
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
    json_array_append_new(o, json_string(t));
  json_object_set_new(m, "options", o);
  return m;
}

static void defaults(struct build_ctx *c, json_t *out, const char *shm_size) {
  const struct spec_opts *o = c->o;
  const char *ro = o->privileged ? "" : ",ro";
  cleanup_free char *sys = xasprintf("nosuid,noexec,nodev%s", ro);
  cleanup_free char *cg = xasprintf("nosuid,noexec,nodev,relatime%s", ro);
  cleanup_free char *shm = xasprintf("nosuid,noexec,nodev,mode=1777,size=%s", shm_size);
  json_array_append_new(out, mount_new("/proc", "proc", "proc", "nosuid,noexec,nodev"));
  json_array_append_new(
      out, mount_new("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
  json_array_append_new(out, mount_new("/dev/pts", "devpts", "devpts",
                                       "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
  json_array_append_new(out, mount_new("/sys", "sysfs", "sysfs", sys));
  json_array_append_new(out, mount_new("/sys/fs/cgroup", "cgroup", "cgroup", cg));
  json_array_append_new(out, mount_new("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
  /* With --ipc host the container shares the host's /dev/shm, as docker. */
  if (c->host_ipc)
    json_array_append_new(out,
                          mount_new("/dev/shm", "bind", "/dev/shm", "rbind,nosuid,noexec,nodev"));
  else
    json_array_append_new(out, mount_new("/dev/shm", "tmpfs", "shm", shm));
}

static int check_dst(const char *dst, const char *what, struct err **e) {
  if (dst == NULL || dst[0] == '\0')
    return err_usage(e, "%s: no destination (want SRC:DST[:OPTS])", what);
  if (dst[0] != '/')
    return err_usage(e, "%s: destination '%s' is not an absolute path", what, dst);
  cleanup_free char *clean = path_clean(dst);
  if (strcmp(clean, "/") == 0)
    return err_usage(e, "%s: destination can't be '/'", what);
  return 0;
}

/* Docker's volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
static int valid_volume_name(const char *n) {
  if (!isalnum((unsigned char)n[0]) || n[1] == '\0')
    return 0;
  for (const char *p = n + 1; *p; p++) {
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return 0;
  }
  return 1;
}

/* The host directory for a bind source or a named volume; checked to exist. */
static char *bind_source(const struct spec_opts *o, const char *src, const char *what,
                         struct err **e) {
  struct stat st;
  if (src[0] == '/') {
    if (stat(src, &st) < 0) {
      err_usage(e, "%s: bind source path does not exist: %s", what, src);
      return NULL;
    }
    return path_clean(src);
  }
  if (!valid_volume_name(src)) {
    err_usage(e,
              "%s: '%s' is not a valid volume name (only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
              "allowed); a host directory must be an absolute path",
              what, src);
    return NULL;
  }
  const char *root = o->volume_root ? o->volume_root : getenv("CAIRN_ROOT");
  char *dir = xasprintf("%s/volumes/%s/_data", root && *root ? root : "/var/lib/cairn", src);
  if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
    err_usage(e, "%s: volume '%s' not found (no directory %s)", what, src, dir);
    free(dir);
    return NULL;
  }
  return dir;
}

static int is_propagation(const char *s) {
  static const char *const p[] = {"private", "rprivate", "shared", "rshared", "slave", "rslave"};
  for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
    if (strcmp(s, p[i]) == 0)
      return 1;
  }
  return 0;
}

static json_t *bind_mount(const char *dst, const char *src, int ro, const char *prop,
                          int recursive) {
  cleanup_free char *opts =
      xasprintf("%s,%s%s", recursive ? "rbind" : "bind", prop ? prop : "rprivate", ro ? ",ro" : "");
  cleanup_free char *d = path_clean(dst);
  return mount_new(d, "bind", src, opts);
}

/* -v SRC:DST[:OPTS] */
static int parse_volume(const struct spec_opts *o, const char *arg, json_t *out, struct err **e) {
  cleanup_free char *what = xasprintf("--volume '%s'", arg);
  cleanup_free char *copy = xstrdup(arg);
  char *parts[4] = {0};
  size_t n = 0;
  for (char *p = copy, *next; p != NULL && n < 4; p = next) {
    next = strchr(p, ':');
    if (next != NULL)
      *next++ = '\0';
    parts[n++] = p;
    if (next == NULL)
      break;
  }
  if (n == 1)
    return err_usage(e,
                     "%s: no destination (want SRC:DST[:OPTS]; anonymous volumes are made by "
                     "cairn)",
                     what);
  if (n > 3)
    return err_usage(e, "%s: too many ':' (want SRC:DST[:OPTS])", what);
  if (parts[0][0] == '\0')
    return err_usage(e, "%s: empty source", what);
  if (check_dst(parts[1], what, e) < 0)
    return -1;
  int ro = 0;
  const char *prop = NULL;
  if (n == 3) {
    if (parts[2][0] == '\0')
      return err_usage(e, "%s: empty options", what);
    for (char *save = NULL, *t = strtok_r(parts[2], ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
      if (strcmp(t, "ro") == 0)
        ro = 1;
      else if (strcmp(t, "rw") == 0)
        ro = 0;
      else if (is_propagation(t))
        prop = t;
      else if (strcmp(t, "z") == 0 || strcmp(t, "Z") == 0 || strcmp(t, "nocopy") == 0 ||
               strcmp(t, "consistent") == 0 || strcmp(t, "cached") == 0 ||
               strcmp(t, "delegated") == 0)
        ; /* SELinux relabel, volume copy-up and macOS hints: nothing to do here */
      else
        return err_usage(e, "%s: invalid option '%s'", what, t);
    }
  }
  cleanup_free char *src = bind_source(o, parts[0], what, e);
  if (src == NULL)
    return -1;
  json_array_append_new(out, bind_mount(parts[1], src, ro, prop, 1));
  return 0;
}

/* Docker's tmpfs options: nosuid,nodev,noexec unless the user says suid,
 * dev or exec; the user's options follow. */
static json_t *tmpfs_mount(const char *dst, const char *user_opts) {
  int exec = 0, suid = 0, dev = 0;
  cleanup_free char *copy = xstrdup(user_opts ? user_opts : "");
  cleanup_free char *rest = xstrdup("");
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, "exec") == 0 || strcmp(t, "noexec") == 0)
      exec = t[0] == 'e';
    else if (strcmp(t, "suid") == 0 || strcmp(t, "nosuid") == 0)
      suid = t[0] == 's';
    else if (strcmp(t, "dev") == 0 || strcmp(t, "nodev") == 0)
      dev = t[0] == 'd';
    else {
      char *r = xasprintf("%s,%s", rest, t);
      free(rest);
      rest = r;
    }
  }
  cleanup_free char *opts = xasprintf("%s,%s,%s%s", suid ? "suid" : "nosuid", dev ? "dev" : "nodev",
                                      exec ? "exec" : "noexec", rest);
  cleanup_free char *d = path_clean(dst);
  return mount_new(d, "tmpfs", "tmpfs", opts);
}

static int check_tmpfs_opts(const char *opts, const char *what, struct err **e) {
  static const char *const flags[] = {
      "exec",       "noexec",     "suid",        "nosuid",        "dev",     "nodev",
      "ro",         "rw",         "sync",        "async",         "atime",   "noatime",
      "relatime",   "norelatime", "strictatime", "nostrictatime", "dirsync", "diratime",
      "nodiratime", "mand",       "nomand",      "tmpcopyup"};
  static const char *const keys[] = {"size",      "mode", "uid",  "gid",     "nr_inodes",
                                     "nr_blocks", "mpol", "huge", "inode64", "noswap"};
  cleanup_free char *copy = xstrdup(opts);
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int ok = 0;
    char *eq = strchr(t, '=');
    for (size_t i = 0; !eq && i < sizeof(flags) / sizeof(flags[0]); i++)
      ok |= strcmp(t, flags[i]) == 0;
    for (size_t i = 0; eq && i < sizeof(keys) / sizeof(keys[0]); i++)
      ok |= strncmp(t, keys[i], (size_t)(eq - t)) == 0 && strlen(keys[i]) == (size_t)(eq - t);
    if (!ok)
      return err_usage(e, "%s: invalid tmpfs option '%s'", what, t);
  }
  return 0;
}

/* --tmpfs DST[:OPTS] */
static int parse_tmpfs(const char *arg, json_t *out, struct err **e) {
  cleanup_free char *what = xasprintf("--tmpfs '%s'", arg);
  cleanup_free char *dst = xstrdup(arg);
  char *opts = strchr(dst, ':');
  if (opts != NULL)
    *opts++ = '\0';
  if (check_dst(dst, what, e) < 0)
    return -1;
  if (opts != NULL && check_tmpfs_opts(opts, what, e) < 0)
    return -1;
  json_array_append_new(out, tmpfs_mount(dst, opts));
  return 0;
}

static int parse_bool(const char *v, int *out) {
  if (v == NULL || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
    *out = 1;
  else if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
    *out = 0;
  else
    return -1;
  return 0;
}

/* --mount type=bind|volume|tmpfs,source=…,target=…,… (docker's keys) */
static int parse_mount(const struct spec_opts *o, const char *arg, json_t *out, struct err **e) {
  cleanup_free char *what = xasprintf("--mount '%s'", arg);
  cleanup_free char *copy = xstrdup(arg);
  const char *type = "volume", *src = NULL, *dst = NULL, *prop = NULL;
  int ro = 0, nonrec = 0;
  cleanup_free char *topts = xstrdup("");
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    char *v = strchr(t, '=');
    if (v != NULL)
      *v++ = '\0';
    int b;
    if (strcmp(t, "type") == 0 && v)
      type = v;
    else if ((strcmp(t, "source") == 0 || strcmp(t, "src") == 0) && v)
      src = v;
    else if ((strcmp(t, "target") == 0 || strcmp(t, "destination") == 0 || strcmp(t, "dst") == 0) &&
             v)
      dst = v;
    else if (strcmp(t, "readonly") == 0 || strcmp(t, "ro") == 0) {
      if (parse_bool(v, &ro) < 0)
        return err_usage(e, "%s: invalid value for %s: '%s'", what, t, v);
    } else if (strcmp(t, "bind-propagation") == 0 && v) {
      if (!is_propagation(v))
        return err_usage(e, "%s: invalid bind-propagation '%s'", what, v);
      prop = v;
    } else if (strcmp(t, "bind-nonrecursive") == 0) {
      if (parse_bool(v, &nonrec) < 0)
        return err_usage(e, "%s: invalid value for %s: '%s'", what, t, v);
    } else if (strcmp(t, "tmpfs-size") == 0 && v) {
      int64_t sz;
      if (parse_size(v, &sz, e) < 0)
        return err_wrap(e, "%s", what);
      char *n = xasprintf("%s,size=%lld", topts, (long long)sz);
      free(topts);
      topts = n;
    } else if (strcmp(t, "tmpfs-mode") == 0 && v) {
      char *end;
      unsigned long m = strtoul(v, &end, 8);
      if (*v == '\0' || *end != '\0' || m > 07777)
        return err_usage(e, "%s: invalid tmpfs-mode '%s' (want octal)", what, v);
      char *n = xasprintf("%s,mode=%04lo", topts, m);
      free(topts);
      topts = n;
    } else if ((strcmp(t, "volume-nocopy") == 0 && parse_bool(v, &b) == 0) ||
               strcmp(t, "consistency") == 0) {
      /* copy-up of image content and macOS hints: nothing to do here */
    } else {
      return err_usage(e, "%s: unexpected key '%s'", what, t);
    }
  }
  if (dst == NULL)
    return err_usage(e, "%s: target is required", what);
  if (check_dst(dst, what, e) < 0)
    return -1;
  if (strcmp(type, "tmpfs") == 0) {
    if (src != NULL)
      return err_usage(e, "%s: source is not allowed for tmpfs mounts", what);
    json_t *m = tmpfs_mount(dst, topts[0] ? topts + 1 : NULL);
    if (ro)
      json_array_append_new(json_object_get(m, "options"), json_string("ro"));
    json_array_append_new(out, m);
    return 0;
  }
  if (topts[0] != '\0')
    return err_usage(e, "%s: tmpfs options need type=tmpfs", what);
  if (strcmp(type, "bind") == 0) {
    if (src == NULL || src[0] != '/')
      return err_usage(e, "%s: an absolute source is required when type is bind", what);
  } else if (strcmp(type, "volume") == 0) {
    if (src == NULL)
      return err_usage(e, "%s: anonymous volumes are made by cairn; give source=NAME", what);
    if (src[0] == '/')
      return err_usage(e, "%s: a volume source is a name, not a path (use type=bind)", what);
  } else {
    return err_usage(e, "%s: unknown type '%s' (want bind, volume or tmpfs)", what, type);
  }
  cleanup_free char *hs = bind_source(o, src, what, e);
  if (hs == NULL)
    return -1;
  json_array_append_new(out, bind_mount(dst, hs, ro, prop, !nonrec));
  return 0;
}

/* The directory this binary lives in, for the default --init-path. */
static char *self_dir(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return xstrdup(".");
  buf[n] = '\0';
  return xstrdup(dirname(buf));
}

static int init_mount(const struct spec_opts *o, json_t *out, struct err **e) {
  cleanup_free char *dir = NULL;
  cleanup_free char *path = NULL;
  if (o->init_path != NULL) {
    path = xstrdup(o->init_path);
  } else {
    dir = self_dir();
    path = xasprintf("%s/cairn-init", dir);
  }
  if (path[0] != '/')
    return err_usage(e, "--init-path '%s': want an absolute path", path);
  if (access(path, X_OK) < 0)
    return err_setc(e, ERR_USAGE, errno, "--init: init binary '%s'%s", path,
                    o->init_path ? "" : " (set --init-path)");
  /* /dev is the container's own tmpfs, so the mount point the runtime
   * creates for it never touches the image. */
  json_array_append_new(out, mount_new("/dev/init", "bind", path, "bind,ro,nosuid,nodev"));
  return 0;
}

static size_t depth(const char *p) {
  size_t d = 0;
  for (; *p; p++)
    d += *p == '/';
  return d;
}

int build_mounts(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  cleanup_json json_t *user = json_array();
  for (size_t i = 0; o->volumes != NULL && o->volumes[i] != NULL; i++) {
    if (parse_volume(o, o->volumes[i], user, e) < 0)
      return -1;
  }
  for (size_t i = 0; o->mounts != NULL && o->mounts[i] != NULL; i++) {
    if (parse_mount(o, o->mounts[i], user, e) < 0)
      return -1;
  }
  for (size_t i = 0; o->tmpfs != NULL && o->tmpfs[i] != NULL; i++) {
    if (parse_tmpfs(o->tmpfs[i], user, e) < 0)
      return -1;
  }
  /* Two user mounts at one destination is a mistake docker refuses too. */
  size_t i, j;
  json_t *m, *m2;
  json_array_foreach(user, i, m) {
    json_array_foreach(user, j, m2) {
      if (j > i && strcmp(json_get_str(m, "destination"), json_get_str(m2, "destination")) == 0)
        return err_usage(e, "duplicate mount point: %s", json_get_str(m, "destination"));
    }
  }

  cleanup_free char *shm_size = xstrdup("65536k");
  if (o->shm_size != NULL) {
    int64_t sz;
    if (parse_size(o->shm_size, &sz, e) < 0)
      return err_wrap(e, "--shm-size");
    if (sz <= 0)
      return err_usage(e, "--shm-size '%s': must be greater than 0", o->shm_size);
    free(shm_size);
    shm_size = xasprintf("%lld", (long long)sz);
  }
  cleanup_json json_t *defs = json_array();
  defaults(c, defs, shm_size);

  json_t *out = json_array();
  json_object_set_new(c->config, "mounts", out);
  int user_dev = 0;
  json_array_foreach(user, i, m) {
    user_dev |= strcmp(json_get_str(m, "destination"), "/dev") == 0;
  }
  json_array_foreach(defs, i, m) {
    const char *d = json_get_str(m, "destination");
    int overridden = user_dev && strncmp(d, "/dev/", 5) == 0;
    json_array_foreach(user, j, m2) {
      overridden |= strcmp(json_get_str(m2, "destination"), d) == 0;
    }
    if (!overridden)
      json_array_append(out, m);
  }
  if (o->init && init_mount(o, out, e) < 0)
    return -1;
  /* Stable insertion sort by depth: parents before children. */
  size_t n = json_array_size(user);
  json_t **v = xcalloc(n ? n : 1, sizeof(*v));
  for (i = 0; i < n; i++) {
    json_t *x = json_array_get(user, i);
    for (j = i; j > 0 && depth(json_get_str(v[j - 1], "destination")) >
                             depth(json_get_str(x, "destination"));
         j--)
      v[j] = v[j - 1];
    v[j] = x;
  }
  for (i = 0; i < n; i++)
    json_array_append(out, v[i]);
  free(v);
  return 0;
}
