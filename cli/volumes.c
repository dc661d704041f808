/* volumes.c — what `-v` needs before cairn-spec sees it.
 *
 * cairn-spec never changes the filesystem (spec/README.md), so cairn does
 * what docker's daemon does first: it creates a missing bind source
 * directory, creates named volumes on first use ($CAIRN_ROOT/volumes/NAME/
 * _data) and seeds a new volume with what the image has at the
 * destination, and turns `-v /path` (an anonymous volume) into a volume
 * with a random name that `rm -v` and `--rm` remove. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "runopts.h"

int volume_name_valid(const char *name) {
  if (!isalnum((unsigned char)name[0]) || strlen(name) < 2 || strlen(name) > 255)
    return 0;
  for (const char *p = name; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return 0;
  return 1;
}

char *volume_dir(const char *name) {
  return xasprintf("%s/volumes/%s/_data", C.root, name);
}

json_t *volume_meta(const char *name) {
  cleanup_free char *p = xasprintf("%s/volumes/%s/opts.json", C.root, name);
  return json_load_optional(p);
}

int volume_opts_check(const json_t *opts, struct err **e) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)opts, k, v) {
    if (strcmp(k, "type") != 0 && strcmp(k, "device") != 0 && strcmp(k, "o") != 0)
      return err_usage(e, "invalid option key: \"%s\"", k);
  }
  if (json_object_size(opts) > 0 && json_get_str(opts, "type") == NULL)
    return err_usage(e, "missing required option: \"type\"");
  if (json_object_size(opts) > 0 && json_get_str(opts, "device") == NULL)
    return err_usage(e, "missing required option: \"device\"");
  return 0;
}

/* mount(8)'s flag words of an o= list; the rest is the fs's data. */
static unsigned long mount_flags(const char *o, char **data, bool *bind) {
  static const struct {
    const char *w;
    unsigned long set;
  } words[] = {{"ro", MS_RDONLY},
               {"rw", 0},
               {"nosuid", MS_NOSUID},
               {"nodev", MS_NODEV},
               {"noexec", MS_NOEXEC},
               {"sync", MS_SYNCHRONOUS},
               {"dirsync", MS_DIRSYNC},
               {"noatime", MS_NOATIME},
               {"nodiratime", MS_NODIRATIME},
               {"relatime", MS_RELATIME},
               {"strictatime", MS_STRICTATIME},
               {"bind", MS_BIND},
               {"rbind", MS_BIND | MS_REC}};
  unsigned long flags = 0;
  cleanup_free char *copy = xstrdup(o ? o : "");
  char *save = NULL;
  *data = xstrdup("");
  for (char *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
    bool known = false;
    for (size_t i = 0; i < sizeof words / sizeof words[0] && !known; i++)
      if (strcmp(w, words[i].w) == 0) {
        flags |= words[i].set;
        known = true;
      }
    if (known)
      continue;
    char *d = xasprintf("%s%s%s", *data, **data ? "," : "", w);
    free(*data);
    *data = d;
  }
  *bind = flags & MS_BIND;
  return flags;
}

int volume_mount(const char *name, struct err **e) {
  cleanup_json json_t *meta = volume_meta(name);
  json_t *opts = json_get_obj(meta, "Options");
  if (json_object_size(opts) == 0)
    return 0;
  cleanup_free char *data = volume_dir(name);
  if (is_mount_root(data))
    return 0;
  const char *type = json_get_str(opts, "type"), *dev = json_get_str(opts, "device");
  bool bind;
  cleanup_free char *fsdata = NULL;
  unsigned long flags = mount_flags(json_get_str(opts, "o"), &fsdata, &bind);
  int r;
  if (bind) {
    r = mount(dev, data, NULL, flags & (MS_BIND | MS_REC), NULL);
    /* a bind takes its other flags only from a remount */
    if (r == 0 && (flags & ~(MS_BIND | MS_REC)) != 0 &&
        mount(NULL, data, NULL, MS_REMOUNT | MS_BIND | (flags & ~MS_REC), NULL) < 0) {
      int saved = errno;
      umount2(data, MNT_DETACH);
      errno = saved;
      r = -1;
    }
  } else {
    r = mount(dev, data, type, flags, *fsdata ? fsdata : NULL);
  }
  if (r < 0)
    return err_set(e, errno, "mount volume '%s' (type=%s, device=%s)", name, type, dev);
  return 0;
}

int volume_unmount(const char *name, struct err **e) {
  cleanup_free char *data = volume_dir(name);
  while (is_mount_root(data))
    if (umount2(data, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
      return err_set(e, errno, "unmount volume '%s'", name);
  return 0;
}

static bool dir_empty(const char *dir) {
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return true;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      return false;
  return true;
}

/* Create the volume when missing; copy the image's content at dst into a
 * volume that is new and empty (docker's "copy-up"). */
static int volume_ensure(const char *name, const char *rootfs, const char *dst, struct err **e) {
  cleanup_free char *data = volume_dir(name);
  struct stat st;
  bool fresh = stat(data, &st) < 0;
  if (fresh && mkdir_p(data, 0755, e) < 0)
    return -1;
  if (!fresh && volume_mount(name, e) < 0)
    return -1;
  if (!fresh || rootfs == NULL || !dir_empty(data))
    return 0;
  cleanup_free char *src = path_in_root(rootfs, dst, e);
  if (src == NULL)
    return -1;
  if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode) || dir_empty(src))
    return 0;
  chmod(data, st.st_mode & 07777);
  (void)!chown(data, st.st_uid, st.st_gid);
  cleanup_free char *from = xasprintf("%s/.", src);
  const char *argv[] = {"cp", "-a", from, data, NULL};
  if (tool_run(argv, NULL, 0, NULL, 0, e) < 0)
    return err_wrap(e, "copy the image's '%s' into volume '%s'", dst, name);
  return 0;
}

static bool is_mode(const char *s) {
  static const char *const modes[] = {"ro",       "rw",         "z",       "Z",        "private",
                                      "rprivate", "shared",     "rshared", "slave",    "rslave",
                                      "nocopy",   "consistent", "cached",  "delegated"};
  cleanup_free char *c = xstrdup(s);
  char *save = NULL;
  for (char *m = strtok_r(c, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save)) {
    bool ok = false;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0] && !ok; i++)
      ok = strcmp(m, modes[i]) == 0;
    if (!ok)
      return false;
  }
  return true;
}

int volume_prepare(const char *spec, const char *rootfs, json_t *mounts, char **out,
                   struct err **e) {
  cleanup_free char *s = xstrdup(spec);
  char *parts[4] = {NULL};
  int n = 0;
  char *save = NULL;
  for (char *p = strtok_r(s, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
    if (n == 3)
      return err_usage(e, "invalid volume specification: '%s': too many colons", spec);
    parts[n++] = p;
  }
  const char *src = NULL, *dst = NULL, *mode = "";
  if (n == 1) {
    dst = parts[0];
  } else if (n == 2 && parts[1][0] != '/' && is_mode(parts[1])) {
    dst = parts[0];
    mode = parts[1];
  } else if (n >= 2) {
    src = parts[0];
    dst = parts[1];
    mode = n == 3 ? parts[2] : "";
  } else {
    return err_usage(e, "invalid volume specification: '%s'", spec);
  }
  if (dst[0] != '/')
    return err_usage(e,
                     "invalid volume specification: '%s': invalid mount path: '%s' mount "
                     "path must be absolute",
                     spec, dst);
  if (!is_mode(mode))
    return err_usage(e, "invalid volume specification: '%s': invalid mode: %s", spec, mode);
  cleanup_free char *cdst = path_clean(dst);
  if (strcmp(cdst, "/") == 0)
    return err_usage(e, "invalid volume specification: '%s': destination can't be '/'", spec);
  cleanup_free char *wrapped = xasprintf(",%s,", mode);
  bool ro = strstr(wrapped, ",ro,") != NULL;

  if (src != NULL && src[0] == '/') {
    struct stat st;
    if (stat(src, &st) < 0) {
      if (errno != ENOENT)
        return err_set(e, errno, "invalid volume specification: '%s'", spec);
      if (mkdir_p(src, 0755, e) < 0)
        return err_wrap(e, "create bind source");
    }
    json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "bind", "Source",
                                            src, "Destination", cdst, "Mode", mode, "RW", !ro,
                                            "Propagation", "rprivate"));
    *out = xasprintf("%s:%s%s%s", src, cdst, *mode ? ":" : "", mode);
    return 0;
  }
  char anon[65];
  bool anonymous = src == NULL;
  if (anonymous) {
    random_id(anon);
    src = anon;
  } else if (!volume_name_valid(src)) {
    return err_usage(e,
                     "invalid volume specification: '%s': \"%s\" includes invalid characters "
                     "for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
                     "allowed; to bind a host directory, use an absolute path",
                     spec, src);
  }
  if (volume_ensure(src, rootfs, cdst, e) < 0)
    return -1;
  cleanup_free char *data = volume_dir(src);
  json_t *m =
      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "volume", "Name", src, "Source", data,
                "Destination", cdst, "Driver", "local", "Mode", mode, "RW", !ro, "Propagation", "");
  if (anonymous)
    json_object_set_new(m, "Anonymous", json_true());
  json_array_append_new(mounts, m);
  *out = xasprintf("%s:%s%s%s", src, cdst, *mode ? ":" : "", mode);
  return 0;
}
