/* store.c — containers on disk.
 *
 *   $CAIRN_ROOT/containers/<id>/container.json   what cairn knows (atomic writes)
 *   $CAIRN_ROOT/containers/<id>/lock             flock: one state change at a time
 *   $CAIRN_ROOT/names/<name> -> <id>             a symlink per name
 *   $CAIRN_RUN/containers/<id>/                  the shim's state dir
 *   $CAIRN_RUN/netns/<id>                        the network namespace
 *
 * Names are symlinks so that claiming one is a single atomic symlink(2):
 * two creates racing for a name cannot both win, with no global lock, and
 * resolving a name is one readlink. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

char *ctr_dir(const char *id) {
  return xasprintf("%s/containers/%s", C.root, id);
}
char *ctr_file(const char *id, const char *name) {
  return xasprintf("%s/containers/%s/%s", C.root, id, name);
}
char *ctr_run_dir(const char *id) {
  return xasprintf("%s/containers/%s", C.run, id);
}
char *ctr_run_file(const char *id, const char *name) {
  return xasprintf("%s/containers/%s/%s", C.run, id, name);
}
char *ctr_netns_path(const char *id) {
  return xasprintf("%s/netns/%s", C.run, id);
}
char *runtime_root(void) {
  return xasprintf("%s/runtime", C.run);
}

static bool is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
      return false;
  return true;
}

static bool is_id(const char *s) {
  return strlen(s) == 64 && is_hex(s, 64);
}

json_t *ctr_load(const char *id, struct err **e) {
  cleanup_free char *p = ctr_file(id, "container.json");
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      err_setc(e, ERR_NOTFOUND, 0, "no such container: %s", id);
    else
      err_set(e, errno, "open '%s'", p);
    return NULL;
  }
  return json_load_fd_named(fd, p, e);
}

int ctr_save(const json_t *c, struct err **e) {
  cleanup_free char *p = ctr_file(json_get_str(c, "id"), "container.json");
  return json_write_file(c, p, e);
}

bool labels_match(const json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  cleanup_free char *k = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
  const char *v = json_get_str(labels, k);
  return v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
}

bool ctr_autoremove(const json_t *c) {
  return json_is_true(json_object_get(json_get_obj(c, "hostConfig"), "AutoRemove"));
}

int ctr_save_state(const json_t *c, struct err **e) {
  cleanup_free char *p = ctr_file(json_get_str(c, "id"), "container.json");
  return json_replace_file(c, p, e);
}

int ctr_lock(const char *id, struct err **e) {
  cleanup_free char *p = ctr_file(id, "lock");
  int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == ENOENT)
      return err_setc(e, ERR_NOTFOUND, 0, "no such container: %s", id);
    return err_set(e, errno, "open '%s'", p);
  }
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR) {
      int saved = errno;
      close(fd);
      return err_set(e, saved, "lock '%s'", p);
    }
  }
  /* removed while we waited */
  cleanup_free char *cj = ctr_file(id, "container.json");
  if (access(cj, F_OK) < 0) {
    close(fd);
    return err_setc(e, ERR_NOTFOUND, 0, "no such container: %s", id);
  }
  return fd;
}

int name_valid(const char *name) {
  if (name[0] == '/')
    name++;
  if (!isalnum((unsigned char)name[0]) || strlen(name) < 2 || strlen(name) > 128)
    return 0;
  for (const char *p = name; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return 0;
  return 1;
}

static char *name_link(const char *name) {
  return xasprintf("%s/names/%s", C.root, name[0] == '/' ? name + 1 : name);
}

/* The id a name points at, when its container exists. */
static char *name_lookup(const char *name) {
  if (!name_valid(name))
    return NULL;
  cleanup_free char *link = name_link(name);
  char buf[80];
  ssize_t n = readlink(link, buf, sizeof buf - 1);
  if (n != 64)
    return NULL;
  buf[n] = '\0';
  cleanup_free char *dir = ctr_dir(buf);
  if (access(dir, F_OK) < 0)
    return NULL;
  return xstrdup(buf);
}

int name_reserve(const char *name, const char *id, struct err **e) {
  cleanup_free char *dir = xasprintf("%s/names", C.root);
  if (mkdir_p(dir, 0700, e) < 0)
    return -1;
  cleanup_free char *link = name_link(name);
  for (int tries = 0; tries < 2; tries++) {
    if (symlink(id, link) == 0)
      return 0;
    if (errno != EEXIST)
      return err_set(e, errno, "symlink '%s'", link);
    /* Taken — unless its container is gone (a crash between the symlink
     * and the container dir; the grace period spares a create in flight). */
    char buf[80];
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    cleanup_free char *target = n == 64 ? ctr_dir(buf) : NULL;
    struct stat st;
    bool stale = n != 64 || (access(target, F_OK) < 0 && lstat(link, &st) == 0 &&
                             time(NULL) - st.st_mtime > 10);
    if (!stale)
      return err_setc(e, ERR_EXISTS, 0,
                      "conflict: the container name \"/%s\" is already in use by container "
                      "\"%s\"; remove (or rename) that container to be able to reuse that name",
                      name[0] == '/' ? name + 1 : name, buf);
    unlink(link);
  }
  return err_setc(e, ERR_EXISTS, 0, "the container name \"%s\" is already in use", name);
}

void name_release(const char *name, const char *id) {
  if (name == NULL)
    return;
  cleanup_free char *link = name_link(name);
  char buf[80];
  ssize_t n = readlink(link, buf, sizeof buf - 1);
  if (n < 0)
    return;
  buf[n] = '\0';
  if (strcmp(buf, id) == 0)
    unlink(link);
}

char **ctr_list_ids(void) {
  char **ids = xcalloc(1, sizeof *ids);
  cleanup_free char *dir = xasprintf("%s/containers", C.root);
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return ids;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (is_id(de->d_name))
      strv_push(&ids, de->d_name);
  return ids;
}

int ctr_resolve(const char *ref, char **id, struct err **e) {
  if (ref == NULL || *ref == '\0')
    return err_setc(e, ERR_NOTFOUND, 0, "no such container: %s", ref ? ref : "");
  if (is_id(ref)) {
    cleanup_free char *dir = ctr_dir(ref);
    if (access(dir, F_OK) == 0) {
      *id = xstrdup(ref);
      return 0;
    }
  }
  char *byname = name_lookup(ref);
  if (byname != NULL) {
    *id = byname;
    return 0;
  }
  size_t len = strlen(ref);
  if (len < 64 && is_hex(ref, len)) {
    cleanup_strv char **ids = ctr_list_ids();
    const char *hit = NULL;
    for (size_t i = 0; ids[i] != NULL; i++) {
      if (strncmp(ids[i], ref, len) != 0)
        continue;
      if (hit != NULL)
        return err_setc(e, ERR_NOTFOUND, 0, "multiple containers found with provided prefix: %s",
                        ref);
      hit = ids[i];
    }
    if (hit != NULL) {
      *id = xstrdup(hit);
      return 0;
    }
  }
  return err_setc(e, ERR_NOTFOUND, 0, "no such container: %s", ref);
}

json_t *ctr_find(const char *ref, struct err **e) {
  cleanup_free char *id = NULL;
  if (ctr_resolve(ref, &id, e) < 0)
    return NULL;
  json_t *c = ctr_load(id, e);
  if (c == NULL && *e != NULL && (*e)->code == ERR_NOTFOUND) {
    err_free(e);
    err_setc(e, ERR_NOTFOUND, 0, "no such container: %s", ref);
  }
  return c;
}
