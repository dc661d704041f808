#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "runtime.h"

const char *status_name(enum rt_status s) {
  switch (s) {
    case ST_CREATED: return "created";
    case ST_RUNNING: return "running";
    case ST_PAUSED: return "paused";
    case ST_STOPPED: return "stopped";
  }
  return "unknown";
}

char *state_path(const char *root, const char *id) {
  return path_join(root, id);
}

static int lock_dir(int fd, int exclusive, struct err **e) {
  while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return err_set(e, errno, "lock the state directory");
  return 0;
}

int state_create(const char *root, const char *id, struct err **e) {
  if (mkdir(root, 0711) < 0 && errno != EEXIST && mkdir_p(root, 0711, e) < 0)
    return err_wrap(e, "state root");
  cleanup_free char *dir = state_path(root, id);
  if (mkdir(dir, 0711) < 0) {
    if (errno == EEXIST)
      return err_setc(e, ERR_EXISTS, 0, "container with given ID already exists");
    return err_set(e, errno, "create state directory '%s'", dir);
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    rmdir(dir);
    return err_set(e, err, "open '%s'", dir);
  }
  if (lock_dir(fd, 1, e) < 0) {
    close(fd);
    rmdir(dir);
    return -1;
  }
  return fd;
}

int state_open(const char *root, const char *id, int exclusive, struct err **e) {
  cleanup_free char *dir = state_path(root, id);
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return err_setc(e, ERR_NOTFOUND, 0, "container \"%s\" does not exist", id);
    return err_set(e, errno, "open state directory '%s'", dir);
  }
  if (lock_dir(fd, exclusive, e) < 0)
    return -1;
  /* deleted while we waited for the lock */
  if (faccessat(fd, "state.json", F_OK, 0) < 0)
    return err_setc(e, ERR_NOTFOUND, 0, "container \"%s\" does not exist", id);
  return steal_fd(&fd);
}

int state_write(int dirfd, const struct rt_state *s, struct err **e) {
  cleanup_json json_t *j = json_pack(
      "{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:{s:I,s:s,s:i}}", "ociVersion", RT_OCI_VERSION, "id", s->id,
      "pid", (json_int_t)s->pid, "bundle", s->bundle, "rootfs", s->rootfs, "created", s->created,
      "owner", "", "cairn", "initStartTime", (json_int_t)s->start_time, "cgroupsPath",
      s->cgroup_path ? s->cgroup_path : "", "hooks", (int)s->hooks);
  if (s->annotations != NULL && json_object_size(s->annotations) > 0)
    json_object_set(j, "annotations", s->annotations);
  cleanup_free char *text = json_dump_compact(j);
  /* temp file + rename in the locked directory: readers see the old or the
   * new state.  No fsync: the state lives in /run and dies with a reboot
   * anyway, and a crash of the machine takes the containers with it. */
  cleanup_close int fd =
      openat(dirfd, ".state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return err_set(e, errno, "write state");
  if (write_all(fd, text, strlen(text)) < 0) {
    int err = errno;
    unlinkat(dirfd, ".state.json.tmp", 0);
    return err_set(e, err, "write state");
  }
  if (renameat(dirfd, ".state.json.tmp", dirfd, "state.json") < 0) {
    int err = errno;
    unlinkat(dirfd, ".state.json.tmp", 0);
    return err_set(e, err, "write state");
  }
  return 0;
}

int state_read(int dirfd, const char *id, struct rt_state *s, struct err **e) {
  memset(s, 0, sizeof(*s));
  cleanup_close int fd = openat(dirfd, "state.json", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return err_setc(e, ERR_NOTFOUND, 0, "container \"%s\" does not exist", id);
    return err_set(e, errno, "read state of \"%s\"", id);
  }
  cleanup_json json_t *j = json_load_fd_named(fd, "state.json", e);
  if (j == NULL)
    return err_wrap(e, "container \"%s\"", id);
  const char *sid = NULL, *bundle = NULL, *rootfs = NULL, *created = NULL, *cg = "";
  json_int_t pid = 0, st = 0;
  int hooks = 0;
  json_t *ann = NULL;
  if (json_unpack_err(j, e, "state.json", "{s:s,s:I,s:s,s:s,s:s,s?o,s:{s:I,s?s,s?i}}", "id", &sid,
                      "pid", &pid, "bundle", &bundle, "rootfs", &rootfs, "created", &created,
                      "annotations", &ann, "cairn", "initStartTime", &st, "cgroupsPath", &cg,
                      "hooks", &hooks) < 0)
    return err_wrap(e, "container \"%s\"", id);
  s->id = xstrdup(sid);
  s->pid = (pid_t)pid;
  s->start_time = (unsigned long long)st;
  s->bundle = xstrdup(bundle);
  s->rootfs = xstrdup(rootfs);
  s->created = xstrdup(created);
  s->annotations = ann ? json_incref(ann) : NULL;
  s->cgroup_path = *cg ? xstrdup(cg) : NULL;
  s->hooks = (unsigned)hooks;
  return 0;
}

void state_free(struct rt_state *s) {
  free(s->id);
  free(s->bundle);
  free(s->rootfs);
  free(s->created);
  json_decref(s->annotations);
  free(s->cgroup_path);
  memset(s, 0, sizeof(*s));
}

unsigned long long proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* the command name may hold spaces and ')': fields start after the last ')' */
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] != ' ')
    return 0;
  p += 2;
  if (*p == 'Z' || *p == 'X')
    return 0;
  /* p is field 3 (state); starttime is field 22 */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

enum rt_status state_status(int dirfd, const struct rt_state *s) {
  if (s->pid <= 0)
    return ST_STOPPED;
  unsigned long long st = proc_start_time(s->pid);
  if (st == 0 || st != s->start_time)
    return ST_STOPPED;
  if (faccessat(dirfd, "exec.fifo", F_OK, 0) == 0)
    return ST_CREATED;
  if (s->cgroup_path != NULL) {
    struct cgroup *cg = cgroup_new(s->cgroup_path, s->id, NULL);
    int frozen = cg != NULL && cgroup_frozen(cg) > 0;
    cgroup_free(cg);
    if (frozen)
      return ST_PAUSED;
  }
  return ST_RUNNING;
}

json_t *state_json(const struct rt_state *s, enum rt_status st) {
  json_t *j =
      json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "ociVersion", RT_OCI_VERSION, "id", s->id,
                "pid", (json_int_t)(st == ST_STOPPED ? 0 : s->pid), "status", status_name(st),
                "bundle", s->bundle, "rootfs", s->rootfs, "created", s->created, "owner", "");
  if (s->annotations != NULL && json_object_size(s->annotations) > 0)
    json_object_set(j, "annotations", s->annotations);
  return j;
}

int state_remove(const char *root, const char *id, int dirfd, struct err **e) {
  static const char *const files[] = {"exec.fifo", "config.json", ".state.json.tmp", "state.json"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    if (unlinkat(dirfd, files[i], 0) < 0 && errno != ENOENT)
      return err_set(e, errno, "remove state file '%s'", files[i]);
  cleanup_free char *dir = state_path(root, id);
  if (rmdir(dir) < 0 && errno != ENOENT)
    return err_set(e, errno, "remove state directory '%s'", dir);
  return 0;
}
