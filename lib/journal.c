/* journal.c — appending to the event journal (journal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "journal.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

char *journal_path(const char *root) {
  const char *env = getenv("CAIRN_EVENTS");
  if (env != NULL)
    return *env ? xstrdup(env) : NULL;
  return root != NULL ? path_join(root, "events.jsonl") : NULL;
}

off_t journal_cap(void) {
  const char *env = getenv("CAIRN_EVENTS_MAX_SIZE");
  if (env != NULL && *env) {
    char *end;
    errno = 0;
    long long v = strtoll(env, &end, 10);
    if (errno == 0 && *end == '\0' && v > 0)
      return (off_t)v;
  }
  return JOURNAL_CAP;
}

json_t *journal_event(const char *type, const char *action, const char *id, json_t *attrs) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  json_t *a = attrs ? attrs : json_object();
  const char *from = json_get_str(a, "image");
  json_t *ev = json_pack("{s:s,s:s,s:s,s:{s:s,s:o},s:s,s:I,s:I}", "Type", type, "Action", action,
                         "id", id ? id : "", "Actor", "ID", id ? id : "", "Attributes", a, "scope",
                         "local", "time", (json_int_t)ts.tv_sec, "timeNano",
                         (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
  /* docker's older fields, kept on container events */
  if (strcmp(type, "container") == 0) {
    json_object_set_new(ev, "status", json_string(action));
    if (from != NULL)
      json_object_set_new(ev, "from", json_string(from));
  }
  return ev;
}

/* Past the cap, under PATH.lock: another writer may have rotated since
 * this one looked, so the size is checked again with the lock held. */
static void rotate_if_big(const char *path) {
  struct stat st;
  off_t cap = journal_cap();
  if (stat(path, &st) < 0 || st.st_size < cap)
    return;
  cleanup_free char *lockp = xasprintf("%s.lock", path);
  struct err *e = NULL;
  int lk = lock_acquire(lockp, 0, &e);
  if (lk < 0) {
    err_free(&e);
    return;
  }
  if (stat(path, &st) == 0 && st.st_size >= cap) {
    cleanup_free char *old = xasprintf("%s.1", path);
    rename(path, old); /* on failure the next writer tries again */
  }
  lock_release(lk);
}

int journal_append(const char *path, const json_t *ev, struct err **e) {
  cleanup_free char *line = json_dump_compact(ev);
  cleanup_free char *text = xasprintf("%s\n", line);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    cleanup_free char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
      *slash = '\0';
      if (mkdir_p(dir, 0755, e) < 0)
        return err_wrap(e, "event journal");
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd < 0)
    return err_set(e, errno, "open event journal '%s'", path);
  /* one write: a short write of a line this small does not happen on a
   * local filesystem, and retrying could interleave with another writer */
  ssize_t w = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  if (w < 0)
    return err_set(e, saved, "append to '%s'", path);
  rotate_if_big(path);
  return 0;
}

int journal_write(const char *path, const char *type, const char *action, const char *id,
                  json_t *attrs, struct err **e) {
  if (path == NULL) {
    json_decref(attrs);
    return 0;
  }
  json_t *ev = journal_event(type, action, id, attrs);
  int rc = journal_append(path, ev, e);
  json_decref(ev);
  return rc;
}
