/* events.c — the event journal: $CAIRN_ROOT/events.jsonl, one JSON object
 * per line in docker's event shape, appended by every cairn command that
 * changes a container, image, volume or network (spec/README.md).
 *
 * A line is written with one write(2) on an O_APPEND descriptor, so lines
 * of concurrent writers never interleave.  Past EVENTS_CAP bytes (cairn.json "eventsMaxSize") the file
 * is renamed to events.jsonl.1 (the previous .1 goes), under
 * events.lock; readers follow the rename by the inode.  A journal that
 * cannot be written never fails the command that had the event. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

char *events_path(void) {
  return xasprintf("%s/events.jsonl", C.root);
}

/* cairn.json "eventsMaxSize" (bytes) or EVENTS_CAP. */
static off_t events_cap(void) {
  json_t *v = json_object_get(C.conf, "eventsMaxSize");
  return json_is_integer(v) && json_integer_value(v) > 0 ? (off_t)json_integer_value(v)
                                                         : EVENTS_CAP;
}

static void rotate_if_big(const char *path) {
  struct stat st;
  off_t cap = events_cap();
  if (stat(path, &st) < 0 || st.st_size < cap)
    return;
  cleanup_free char *lockp = xasprintf("%s/events.lock", C.root);
  struct err *e = NULL;
  int lk = lock_acquire(lockp, 0, &e);
  if (lk < 0) {
    err_free(&e);
    return;
  }
  /* another writer may have rotated meanwhile */
  if (stat(path, &st) == 0 && st.st_size >= cap) {
    cleanup_free char *old = xasprintf("%s.1", path);
    if (rename(path, old) < 0 && C.debug)
      fprintf(stderr, "cairn: rotate '%s': %s\n", path, strerror(errno));
  }
  lock_release(lk);
}

void event_log(const char *type, const char *action, const char *id, json_t *attrs) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  json_t *a = attrs ? attrs : json_object();
  /* docker's container events carry the image as "from" too */
  const char *from = json_get_str(a, "image");
  json_t *ev = json_pack("{s:s,s:s,s:s,s:{s:s,s:o},s:s,s:I,s:I}", "Type", type, "Action", action,
                         "id", id ? id : "", "Actor", "ID", id ? id : "", "Attributes", a, "scope",
                         "local", "time", (json_int_t)ts.tv_sec, "timeNano",
                         (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
  if (strcmp(type, "container") == 0) {
    json_object_set_new(ev, "status", json_string(action));
    if (from != NULL)
      json_object_set_new(ev, "from", json_string(from));
  }
  char *line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(ev);
  cleanup_free char *text = xasprintf("%s\n", line);
  free(line);
  cleanup_free char *path = events_path();
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT && mkdir_p(C.root, 0755, NULL) == 0)
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  if (write(fd, text, strlen(text)) < 0 && C.debug)
    fprintf(stderr, "cairn: append to '%s': %s\n", path, strerror(errno));
  close(fd);
  rotate_if_big(path);
}

void event_ctr(const json_t *c, const char *action, json_t *extra) {
  json_t *a = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(json_get_obj(c, "labels"), k, v) json_object_set(a, k, v);
  const char *img = json_get_str(c, "image");
  json_object_set_new(a, "image", json_string(img ? img : ""));
  json_object_set_new(a, "name", json_string(json_get_str(c, "name") ?: ""));
  if (extra != NULL) {
    json_object_update(a, extra);
    json_decref(extra);
  }
  event_log("container", action, json_get_str(c, "id"), a);
}

void event_ctr_id(const char *id, const char *action, json_t *extra) {
  struct err *e = NULL;
  cleanup_json json_t *c = ctr_load(id, &e);
  err_free(&e);
  if (c == NULL) {
    json_decref(extra);
    return;
  }
  event_ctr(c, action, extra);
}
