/* secret.c — RUN --mount=type=secret,id=X[,target=…,required,mode,uid,gid]
 * with `cairn-build --secret id=X,src=FILE` (or env=VAR), as BuildKit has
 * them.
 *
 * The secret's bytes live only in a tmpfs mounted for that one RUN under
 * the build's scratch dir, and reach the container as a read-only bind
 * mount of that file (default target /run/secrets/X).  They are never
 * written to disk, never part of a layer, and not part of the step's cache
 * key (which holds the --mount text, not the content: BuildKit's rule, so
 * a rotated secret does not rebuild).  The runtime creates the mount
 * point in the rootfs; those empty mount points are removed from the upper dir
 * before the commit, so the image holds no trace of the mount. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fs.h"
#include "mem.h"

/* BuildKit's limit on a secret's size. */
#define SECRET_MAX (500 * 1024)

int secret_check(const char *spec, struct err **e) {
  cleanup_free char *id = spec_opt(spec, "id");
  cleanup_free char *src = spec_opt(spec, "src");
  cleanup_free char *source = spec_opt(spec, "source");
  cleanup_free char *env = spec_opt(spec, "env");
  if (id == NULL || id[0] == '\0')
    return err_usage(e, "--secret '%s': id= is required", spec);
  if ((src || source) && env)
    return err_usage(e, "--secret '%s': src= and env= exclude each other", spec);
  return 0;
}

/* The value of secret id: from its file, else its environment variable
 * (`--secret id=X` alone: the variable X, else a file named X, as buildx
 * does).  NULL with *e unset: not provided. */
static char *secret_value(struct build *b, const char *id, size_t *len, struct err **e) {
  for (char **s = b->o->secrets; s && *s; s++) {
    cleanup_free char *sid = spec_opt(*s, "id");
    if (sid == NULL || strcmp(sid, id) != 0)
      continue;
    cleanup_free char *src = spec_opt(*s, "src");
    if (src == NULL)
      src = spec_opt(*s, "source");
    cleanup_free char *env = spec_opt(*s, "env");
    cleanup_free char *type = spec_opt(*s, "type");
    if (src == NULL && env == NULL) {
      if (type != NULL && strcmp(type, "file") == 0)
        src = xstrdup(id);
      else if (type != NULL && strcmp(type, "env") == 0)
        env = xstrdup(id);
      else if (getenv(id) != NULL)
        env = xstrdup(id);
      else
        src = xstrdup(id);
    }
    if (env != NULL) {
      const char *v = getenv(env);
      if (v == NULL) {
        err_usage(e, "secret '%s': environment variable '%s' is not set", id, env);
        return NULL;
      }
      *len = strlen(v);
      return xstrdup(v);
    }
    char *v = read_file(src, SECRET_MAX, len, e);
    if (v == NULL)
      err_wrap(e, "secret '%s'", id);
    return v;
  }
  return NULL;
}

int secret_mount(struct build *b, const char *spec, const char *rootfs, char ***spec_args,
                 char ***dirs, struct err **e) {
  cleanup_free char *id = spec_opt(spec, "id");
  cleanup_free char *target = spec_opt(spec, "target");
  if (target == NULL)
    target = spec_opt(spec, "dst");
  if (target == NULL)
    target = spec_opt(spec, "destination");
  if ((id == NULL || !*id) && (target == NULL || !*target))
    return err_usage(e, "--mount '%s': type=secret needs id= or target=", spec);
  if (id == NULL || !*id) {
    free(id);
    const char *slash = strrchr(target, '/');
    id = xstrdup(slash ? slash + 1 : target);
  }
  if (target == NULL || !*target) {
    free(target);
    target = xasprintf("/run/secrets/%s", id);
  }
  cleanup_free char *req = spec_opt(spec, "required");
  bool required = req != NULL && (req[0] == '\0' || strcmp(req, "true") == 0);
  size_t len = 0;
  struct err *ve = NULL;
  cleanup_free char *value = secret_value(b, id, &len, &ve);
  if (ve != NULL) {
    *e = ve;
    return -1;
  }
  if (value == NULL) {
    if (required)
      return err_usage(e, "secret '%s' is required: give it with --secret id=%s,src=FILE", id, id);
    return 0; /* BuildKit: an optional secret not given is simply not mounted */
  }
  cleanup_free char *smode = spec_opt(spec, "mode");
  cleanup_free char *suid = spec_opt(spec, "uid");
  cleanup_free char *sgid = spec_opt(spec, "gid");
  char *end = NULL;
  long mode = smode ? strtol(smode, &end, 8) : 0400;
  if ((smode && (*end || mode < 0 || mode > 07777)))
    return err_usage(e, "--mount '%s': mode must be octal", spec);
  long uid = suid ? strtol(suid, &end, 10) : 0;
  if (suid && (*end || uid < 0))
    return err_usage(e, "--mount '%s': uid must be a number", spec);
  long gid = sgid ? strtol(sgid, &end, 10) : 0;
  if (sgid && (*end || gid < 0))
    return err_usage(e, "--mount '%s': gid must be a number", spec);

  /* the mount points the runtime will create: removed from the layer */
  cleanup_free char *clean = path_clean(target);
  if (clean[0] != '/' || clean[1] == '\0')
    return err_usage(e, "--mount '%s': target must be an absolute file path", spec);
  mountpoints_note(b, rootfs, clean);

  char *dir = build_tmpdir(b, "secret", e);
  if (dir == NULL)
    return -1;
  if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=1m") < 0) {
    int r = err_set(e, errno, "secret '%s': mount tmpfs on '%s'", id, dir);
    rmdir(dir);
    free(dir);
    return r;
  }
  strv_push(dirs, dir);
  cleanup_free char *file = path_join(dir, "secret");
  free(dir);
  cleanup_close int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, value, len) < 0 || fchown(fd, (uid_t)uid, (gid_t)gid) < 0 ||
      fchmod(fd, (mode_t)mode) < 0)
    return err_set(e, errno, "secret '%s': write", id);
  explicit_bzero(value, len);
  cleanup_free char *v = xasprintf("%s:%s:ro", file, clean);
  strv_push(spec_args, "-v");
  strv_push(spec_args, v);
  return 0;
}

void secret_umount(char **dirs) {
  for (char **d = dirs; d && *d; d++) {
    umount2(*d, MNT_DETACH);
    rmdir(*d);
  }
}

void mountpoints_note(struct build *b, const char *rootfs, const char *target) {
  cleanup_free char *clean = path_clean(target);
  if (clean[0] != '/')
    return;
  for (char *p = clean + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    struct err *ie = NULL;
    cleanup_free char *in = path_in_root(rootfs, clean, &ie);
    err_free(&ie);
    struct stat st;
    if (in != NULL && lstat(in, &st) < 0)
      strv_push(&b->mountpoints, clean);
    *p = saved;
    if (saved == '\0')
      break;
  }
}

void mountpoints_remove(struct build *b, const char *upper) {
  /* deepest first: an empty file made as a mount point, then the directories made for it, each
   * only while empty (the command may have written there too) */
  for (size_t i = strv_len(b->mountpoints); i > 0; i--) {
    cleanup_free char *p = path_join(upper, b->mountpoints[i - 1]);
    struct stat st;
    if (lstat(p, &st) < 0)
      continue;
    if (S_ISREG(st.st_mode) && st.st_size == 0)
      unlink(p);
    else if (S_ISDIR(st.st_mode))
      rmdir(p);
  }
  strv_free(b->mountpoints);
  b->mountpoints = NULL;
}
