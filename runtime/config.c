/* config.c — config.json into struct rt_config (see config.h).  The process
 * object is parsed in config_process.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "jfield.h"
#include "json.h"
#include "mem.h"
#include "mount.h"

static const struct {
  const char *config, *proc;
  int flag;
} ns_names[NS_COUNT] = {
    [NS_USER] = {"user", "user", CLONE_NEWUSER},
    [NS_MNT] = {"mount", "mnt", CLONE_NEWNS},
    [NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [NS_NET] = {"network", "net", CLONE_NEWNET},
    [NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

const char *ns_config_name(enum ns_kind k) {
  return ns_names[k].config;
}
const char *ns_proc_name(enum ns_kind k) {
  return ns_names[k].proc;
}
int ns_clone_flag(enum ns_kind k) {
  return ns_names[k].flag;
}

static int parse_namespaces(const struct jf *lf, json_t *lx, struct rt_config *c, struct err **e) {
  json_t *arr = NULL;
  int r = jf_arr(lf, lx, "namespaces", &arr, e);
  if (r <= 0)
    return r;
  for (size_t i = 0; i < json_array_size(arr); i++) {
    cleanup_free char *where = jf_index(lf, "namespaces", i);
    struct jf f = {lf->doc, where};
    json_t *o = json_array_get(arr, i);
    if (!json_is_object(o))
      return jf_bad(&f, NULL, e, "expected an object");
    const char *type = NULL, *path = NULL;
    if (jf_str(&f, o, "type", &type, e) < 0 || jf_str(&f, o, "path", &path, e) < 0)
      return -1;
    if (type == NULL)
      return jf_bad(&f, NULL, e, "namespace type is missing");
    int k;
    for (k = 0; k < NS_COUNT; k++)
      if (strcmp(type, ns_names[k].config) == 0)
        break;
    if (k == NS_COUNT)
      return jf_bad(&f, NULL, e, "unknown namespace type \"%s\"", type);
    if (c->ns[k].present)
      return jf_bad(&f, NULL, e, "namespace type \"%s\" is listed twice", type);
    c->ns[k].present = 1;
    if (path != NULL && *path != '\0') {
      if (path[0] != '/')
        return jf_bad(&f, "path", e, "must be absolute");
      c->ns[k].path = xstrdup(path);
    }
  }
  return 0;
}

static int parse_maps(const struct jf *lf, json_t *lx, const char *key, struct id_map **out,
                      size_t *n, struct err **e) {
  json_t *arr = NULL;
  int r = jf_arr(lf, lx, key, &arr, e);
  if (r <= 0)
    return r;
  *n = json_array_size(arr);
  *out = xcalloc(*n + 1, sizeof(**out));
  for (size_t i = 0; i < *n; i++) {
    cleanup_free char *where = jf_index(lf, key, i);
    struct jf f = {lf->doc, where};
    json_t *o = json_array_get(arr, i);
    int64_t cid = -1, hid = -1, size = -1;
    if (!json_is_object(o))
      return jf_bad(&f, NULL, e, "expected an object");
    if (jf_range(&f, o, "containerID", 0, UINT32_MAX, &cid, e) < 0 ||
        jf_range(&f, o, "hostID", 0, UINT32_MAX, &hid, e) < 0 ||
        jf_range(&f, o, "size", 1, UINT32_MAX, &size, e) < 0)
      return -1;
    if (cid < 0 || hid < 0 || size < 0)
      return jf_bad(&f, NULL, e, "containerID, hostID and size are required");
    (*out)[i] = (struct id_map){(uint32_t)cid, (uint32_t)hid, (uint32_t)size};
  }
  return 0;
}

static int parse_mounts(const struct jf *top, json_t *root, struct rt_config *c, struct err **e) {
  json_t *arr = NULL;
  int r = jf_arr(top, root, "mounts", &arr, e);
  if (r <= 0)
    return r;
  c->mounts = xcalloc(json_array_size(arr) + 1, sizeof(*c->mounts));
  for (size_t i = 0; i < json_array_size(arr); i++) {
    cleanup_free char *where = jf_index(top, "mounts", i);
    struct jf f = {top->doc, where};
    json_t *o = json_array_get(arr, i);
    if (!json_is_object(o))
      return jf_bad(&f, NULL, e, "expected an object");
    struct rt_mount *m = &c->mounts[c->nmounts++];
    const char *dest = NULL, *type = NULL, *source = NULL;
    json_t *opts = NULL;
    if (jf_str(&f, o, "destination", &dest, e) < 0 || jf_str(&f, o, "type", &type, e) < 0 ||
        jf_str(&f, o, "source", &source, e) < 0 || jf_arr(&f, o, "options", &opts, e) < 0)
      return -1;
    if (dest == NULL || *dest == '\0')
      return jf_bad(&f, "destination", e, "is required");
    /* runc accepts a relative destination as relative to "/" */
    cleanup_free char *abs = dest[0] == '/' ? xstrdup(dest) : xasprintf("/%s", dest);
    m->dest = path_clean(abs);
    if (type != NULL && *type != '\0')
      m->type = xstrdup(type);
    cleanup_free char *optfield = jf_path(&f, "options");
    if (mount_parse_options(opts, m, optfield, e) < 0)
      return -1;
    if (m->type != NULL && strcmp(m->type, "bind") == 0)
      m->bind = 1;
    if (m->bind) {
      if (source == NULL || *source == '\0')
        return jf_bad(&f, "source", e, "a bind mount needs a source");
      /* a relative bind source is relative to the bundle, as in runc */
      m->source = source[0] == '/' ? path_clean(source) : path_join(c->bundle, source);
    } else {
      if (m->type == NULL)
        return jf_bad(&f, "type", e, "is required unless the mount is a bind mount");
      m->source = xstrdup(source != NULL ? source : m->type);
    }
    if (m->tmpcopyup && (m->type == NULL || strcmp(m->type, "tmpfs") != 0))
      return jf_bad(&f, "options", e, "tmpcopyup is only valid for tmpfs");
  }
  return 0;
}

static int parse_devices(const struct jf *lf, json_t *lx, struct rt_config *c, struct err **e) {
  json_t *arr = NULL;
  int r = jf_arr(lf, lx, "devices", &arr, e);
  if (r <= 0)
    return r;
  c->devices = xcalloc(json_array_size(arr) + 1, sizeof(*c->devices));
  for (size_t i = 0; i < json_array_size(arr); i++) {
    cleanup_free char *where = jf_index(lf, "devices", i);
    struct jf f = {lf->doc, where};
    json_t *o = json_array_get(arr, i);
    if (!json_is_object(o))
      return jf_bad(&f, NULL, e, "expected an object");
    const char *path = NULL, *type = NULL;
    int64_t maj = 0, min = 0, mode = 0666, uid = 0, gid = 0;
    if (jf_str(&f, o, "path", &path, e) < 0 || jf_str(&f, o, "type", &type, e) < 0 ||
        jf_range(&f, o, "major", 0, 0xfffff, &maj, e) < 0 ||
        jf_range(&f, o, "minor", 0, 0xfffff, &min, e) < 0 ||
        jf_range(&f, o, "fileMode", 0, 07777, &mode, e) < 0 ||
        jf_range(&f, o, "uid", 0, UINT32_MAX, &uid, e) < 0 ||
        jf_range(&f, o, "gid", 0, UINT32_MAX, &gid, e) < 0)
      return -1;
    if (path == NULL || path[0] != '/')
      return jf_bad(&f, "path", e, "an absolute path is required");
    if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
      return jf_bad(&f, "type", e, "must be one of \"c\", \"b\", \"u\", \"p\"");
    struct rt_device *d = &c->devices[c->ndevices++];
    d->path = path_clean(path);
    d->type = type[0] == 'u' ? 'c' : type[0];
    d->major = maj;
    d->minor = min;
    d->mode = (mode_t)mode & 07777;
    d->uid = (uid_t)uid;
    d->gid = (gid_t)gid;
  }
  return 0;
}

static int parse_hook_list(const struct jf *hf, json_t *hooks, const char *key, struct rt_hooks *h,
                           enum hook_kind k, struct err **e) {
  json_t *arr = NULL;
  int r = jf_arr(hf, hooks, key, &arr, e);
  if (r <= 0)
    return r;
  h->list[k] = xcalloc(json_array_size(arr) + 1, sizeof(struct rt_hook));
  for (size_t i = 0; i < json_array_size(arr); i++) {
    cleanup_free char *where = jf_index(hf, key, i);
    struct jf f = {hf->doc, where};
    json_t *o = json_array_get(arr, i);
    if (!json_is_object(o))
      return jf_bad(&f, NULL, e, "expected an object");
    struct rt_hook *hk = &h->list[k][h->n[k]++];
    const char *path = NULL;
    int64_t timeout = 0;
    if (jf_str(&f, o, "path", &path, e) < 0 || jf_strv(&f, o, "args", &hk->args, e) < 0 ||
        jf_strv(&f, o, "env", &hk->env, e) < 0 ||
        jf_range(&f, o, "timeout", 1, 86400 * 365, &timeout, e) < 0)
      return -1;
    if (path == NULL || path[0] != '/')
      return jf_bad(&f, "path", e, "an absolute path is required");
    hk->path = xstrdup(path);
    hk->timeout = (int)timeout;
  }
  return 0;
}

static int parse_hooks(const struct jf *top, json_t *root, struct rt_config *c, struct err **e) {
  static const char *const names[HOOK_NKINDS] = {
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  json_t *hooks = NULL;
  int r = jf_obj(top, root, "hooks", &hooks, e);
  if (r <= 0)
    return r;
  struct jf hf = {top->doc, "hooks"};
  for (int k = 0; k < HOOK_NKINDS; k++)
    if (parse_hook_list(&hf, hooks, names[k], &c->hooks, (enum hook_kind)k, e) < 0)
      return -1;
  return 0;
}

/* Only sysctls that belong to a namespace the container has of its own can
 * be set: anything else would change the host (runc's rule). */
static int check_sysctl(const struct rt_config *c, const char *key, struct err **e) {
  static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                    "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                    "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++)
    if (strcmp(key, ipc[i]) == 0)
      goto need_ipc;
  if (strncmp(key, "fs.mqueue.", 10) == 0)
    goto need_ipc;
  if (strncmp(key, "net.", 4) == 0) {
    if (!c->ns[NS_NET].present)
      return err_set(e, 0, "config.json: linux.sysctl: \"%s\" needs a network namespace", key);
    if (c->ns[NS_NET].path == NULL)
      return 0;
    return 0; /* a joined netns is the caller's to configure; runc allows it too */
  }
  if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
    if (!c->ns[NS_UTS].present)
      return err_set(e, 0, "config.json: linux.sysctl: \"%s\" needs a uts namespace", key);
    return 0;
  }
  return err_set(e, 0, "config.json: linux.sysctl: \"%s\" is not in a separate kernel namespace",
                 key);
need_ipc:
  if (!c->ns[NS_IPC].present)
    return err_set(e, 0, "config.json: linux.sysctl: \"%s\" needs an ipc namespace", key);
  return 0;
}

static int parse_time_offset(const struct jf *lf, json_t *offs, const char *key, int64_t *secs,
                             uint32_t *nsecs, struct err **e) {
  json_t *o = NULL;
  int r = jf_obj(lf, offs, key, &o, e);
  if (r <= 0)
    return r;
  cleanup_free char *where = jf_path(lf, key);
  struct jf f = {lf->doc, where};
  int64_t s = 0, ns = 0;
  if (jf_int(&f, o, "secs", &s, e) < 0 || jf_range(&f, o, "nanosecs", 0, 999999999, &ns, e) < 0)
    return -1;
  *secs = s;
  *nsecs = (uint32_t)ns;
  return 1;
}

static int parse_linux(const struct jf *top, json_t *root, struct rt_config *c, struct err **e) {
  json_t *lx = NULL;
  if (jf_obj(top, root, "linux", &lx, e) < 0)
    return -1;
  if (lx == NULL)
    return 0;
  struct jf lf = {top->doc, "linux"};
  if (parse_namespaces(&lf, lx, c, e) < 0 ||
      parse_maps(&lf, lx, "uidMappings", &c->uid_maps, &c->nuid_maps, e) < 0 ||
      parse_maps(&lf, lx, "gidMappings", &c->gid_maps, &c->ngid_maps, e) < 0 ||
      parse_devices(&lf, lx, c, e) < 0)
    return -1;
  const char *s = NULL;
  if (jf_str(&lf, lx, "cgroupsPath", &s, e) < 0)
    return -1;
  if (s != NULL && *s != '\0')
    c->cgroups_path = xstrdup(s);
  if (jf_obj(&lf, lx, "resources", &c->resources, e) < 0 ||
      jf_obj(&lf, lx, "seccomp", &c->seccomp, e) < 0)
    return -1;
  s = NULL;
  if (jf_str(&lf, lx, "rootfsPropagation", &s, e) < 0)
    return -1;
  if (s != NULL && *s != '\0') {
    c->rootfs_propagation = mount_propagation_flag(s);
    if (c->rootfs_propagation == 0)
      return jf_bad(&lf, "rootfsPropagation", e, "unknown propagation \"%s\"", s);
  }
  if (jf_strv(&lf, lx, "maskedPaths", &c->masked, e) < 0 ||
      jf_strv(&lf, lx, "readonlyPaths", &c->readonly, e) < 0)
    return -1;
  c->nmasked = c->masked ? strv_len(c->masked) : 0;
  c->nreadonly = c->readonly ? strv_len(c->readonly) : 0;
  s = NULL;
  if (jf_str(&lf, lx, "mountLabel", &s, e) < 0)
    return -1;
  if (s != NULL && *s != '\0')
    c->mount_label = xstrdup(s);

  json_t *sysctl = NULL;
  if (jf_obj(&lf, lx, "sysctl", &sysctl, e) < 0)
    return -1;
  if (sysctl != NULL) {
    size_t n = json_object_size(sysctl), i = 0;
    c->sysctl_keys = xcalloc(n + 1, sizeof(char *));
    c->sysctl_vals = xcalloc(n + 1, sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach(sysctl, k, v) {
      if (!json_is_string(v))
        return err_set(e, 0, "%s: linux.sysctl.%s: expected a string", top->doc, k);
      if (strchr(k, '/') != NULL || strstr(k, "..") != NULL)
        return err_set(e, 0, "%s: linux.sysctl: invalid name \"%s\"", top->doc, k);
      c->sysctl_keys[i] = xstrdup(k);
      c->sysctl_vals[i++] = xstrdup(json_string_value(v));
    }
    c->nsysctl = i;
  }

  json_t *pers = NULL;
  if (jf_obj(&lf, lx, "personality", &pers, e) < 0)
    return -1;
  if (pers != NULL) {
    struct jf pf = {top->doc, "linux.personality"};
    const char *dom = NULL;
    if (jf_str(&pf, pers, "domain", &dom, e) < 0)
      return -1;
    if (dom == NULL || (strcmp(dom, "LINUX") != 0 && strcmp(dom, "LINUX32") != 0))
      return jf_bad(&pf, "domain", e, "must be \"LINUX\" or \"LINUX32\"");
    c->has_personality = 1;
    c->personality = strcmp(dom, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
  }

  json_t *offs = NULL;
  if (jf_obj(&lf, lx, "timeOffsets", &offs, e) < 0)
    return -1;
  if (offs != NULL) {
    struct jf tf = {top->doc, "linux.timeOffsets"};
    int a = parse_time_offset(&tf, offs, "boottime", &c->boot_secs, &c->boot_nsecs, e);
    int b =
        a < 0 ? -1 : parse_time_offset(&tf, offs, "monotonic", &c->mono_secs, &c->mono_nsecs, e);
    if (a < 0 || b < 0)
      return -1;
    c->has_time_offsets = a > 0 || b > 0;
  }
  json_t *rdt = json_object_get(lx, "intelRdt");
  if (rdt != NULL && !json_is_null(rdt))
    return jf_bad(&lf, "intelRdt", e,
                  "Intel RDT is not supported by "
                  "cairn-runtime");
  return 0;
}

/* Cross-field rules, checked once everything is parsed. */
static int validate(struct rt_config *c, struct err **e) {
  if (c->nuid_maps + c->ngid_maps > 0 && !c->ns[NS_USER].present)
    return err_set(e, 0, "config.json: linux.uidMappings: needs a user namespace");
  if (c->ns[NS_USER].present && c->ns[NS_USER].path == NULL &&
      (c->nuid_maps == 0 || c->ngid_maps == 0))
    return err_set(e, 0,
                   "config.json: linux: a new user namespace needs uidMappings and gidMappings");
  if (c->ns[NS_USER].path != NULL && c->nuid_maps + c->ngid_maps > 0)
    return err_set(e, 0,
                   "config.json: linux: id mappings cannot be set for a joined user "
                   "namespace");
  if (!c->ns[NS_MNT].present)
    return err_set(e, 0, "config.json: linux.namespaces: a mount namespace is required");
  if ((c->hostname != NULL || c->domainname != NULL) && !c->ns[NS_UTS].present)
    return err_set(e, 0, "config.json: %s: needs a uts namespace",
                   c->hostname != NULL ? "hostname" : "domainname");
  if (c->has_time_offsets && !(c->ns[NS_TIME].present && c->ns[NS_TIME].path == NULL))
    return err_set(e, 0, "config.json: linux.timeOffsets: needs a new time namespace");
  for (size_t i = 0; i < c->nsysctl; i++)
    if (check_sysctl(c, c->sysctl_keys[i], e) < 0)
      return -1;
  for (int k = 0; k < HOOK_NKINDS; k++)
    for (size_t i = 0; i < c->hooks.n[k]; i++)
      if (c->hooks.list[k][i].path == NULL)
        return err_set(e, 0, "config.json: hooks: a hook has no path");
  return 0;
}

struct rt_config *config_parse(json_t *json, const char *bundle, const char *name, int check_root,
                               struct err **e) {
  struct rt_config *c = xcalloc(1, sizeof(*c));
  c->json = json_incref(json);
  c->bundle = xstrdup(bundle);
  struct jf top = {name, ""};
  if (!json_is_object(json)) {
    err_set(e, 0, "%s: expected a JSON object", name);
    goto fail;
  }
  const char *ver = NULL;
  if (jf_str(&top, json, "ociVersion", &ver, e) < 0)
    goto fail;
  json_t *root = NULL;
  if (jf_obj(&top, json, "root", &root, e) < 0)
    goto fail;
  if (root == NULL) {
    err_set(e, 0, "%s: root: is required", name);
    goto fail;
  }
  struct jf rf = {name, "root"};
  const char *rpath = NULL;
  if (jf_str(&rf, root, "path", &rpath, e) < 0 ||
      jf_bool(&rf, root, "readonly", &c->root_ro, e) < 0)
    goto fail;
  if (rpath == NULL || *rpath == '\0') {
    err_set(e, 0, "%s: root.path: is required", name);
    goto fail;
  }
  c->rootfs = rpath[0] == '/' ? path_clean(rpath) : path_join(bundle, rpath);
  struct stat st;
  if (!check_root)
    goto rootfs_ok;
  if (stat(c->rootfs, &st) < 0) {
    err_set(e, errno, "rootfs '%s'", c->rootfs);
    goto fail;
  }
  if (!S_ISDIR(st.st_mode)) {
    err_set(e, ENOTDIR, "rootfs '%s'", c->rootfs);
    goto fail;
  }
rootfs_ok:;
  json_t *proc = NULL;
  if (jf_obj(&top, json, "process", &proc, e) < 0)
    goto fail;
  if (proc != NULL) {
    c->has_process = 1;
    if (config_parse_process(proc, &c->proc, name, e) < 0)
      goto fail;
  }
  const char *hn = NULL, *dn = NULL;
  if (jf_str(&top, json, "hostname", &hn, e) < 0 || jf_str(&top, json, "domainname", &dn, e) < 0)
    goto fail;
  if (hn != NULL && *hn != '\0')
    c->hostname = xstrdup(hn);
  if (dn != NULL && *dn != '\0')
    c->domainname = xstrdup(dn);
  if (jf_obj(&top, json, "annotations", &c->annotations, e) < 0)
    goto fail;
  if (c->annotations != NULL) {
    const char *k;
    json_t *v;
    json_object_foreach(c->annotations, k, v) {
      if (!json_is_string(v)) {
        err_set(e, 0, "%s: annotations.%s: expected a string", name, k);
        goto fail;
      }
    }
  }
  if (parse_mounts(&top, json, c, e) < 0 || parse_hooks(&top, json, c, e) < 0 ||
      parse_linux(&top, json, c, e) < 0 || validate(c, e) < 0)
    goto fail;
  return c;
fail:
  config_free(c);
  return NULL;
}

struct rt_config *config_load(const char *bundle, char **raw, size_t *raw_len, struct err **e) {
  cleanup_free char *path = path_join(bundle, "config.json");
  size_t len = 0;
  cleanup_free char *buf = read_file(path, 16u << 20, &len, e);
  if (buf == NULL)
    return NULL;
  cleanup_json json_t *j = json_load_str(buf, "config.json", e);
  if (j == NULL)
    return NULL;
  struct rt_config *c = config_parse(j, bundle, "config.json", 1, e);
  if (c != NULL && raw != NULL) {
    *raw = steal_ptr(&buf);
    *raw_len = len;
  }
  return c;
}

void config_free(struct rt_config *c) {
  if (c == NULL)
    return;
  json_decref(c->json);
  free(c->bundle);
  free(c->rootfs);
  config_process_free(&c->proc);
  free(c->hostname);
  free(c->domainname);
  for (size_t i = 0; i < c->nmounts; i++) {
    free(c->mounts[i].dest);
    free(c->mounts[i].type);
    free(c->mounts[i].source);
    free(c->mounts[i].data);
  }
  free(c->mounts);
  for (int k = 0; k < NS_COUNT; k++)
    free(c->ns[k].path);
  free(c->uid_maps);
  free(c->gid_maps);
  free(c->cgroups_path);
  strv_free(c->sysctl_keys);
  strv_free(c->sysctl_vals);
  strv_free(c->masked);
  strv_free(c->readonly);
  for (size_t i = 0; i < c->ndevices; i++)
    free(c->devices[i].path);
  free(c->devices);
  free(c->mount_label);
  for (int k = 0; k < HOOK_NKINDS; k++) {
    for (size_t i = 0; i < c->hooks.n[k]; i++) {
      free(c->hooks.list[k][i].path);
      strv_free(c->hooks.list[k][i].args);
      strv_free(c->hooks.list[k][i].env);
    }
    free(c->hooks.list[k]);
  }
  free(c);
}
