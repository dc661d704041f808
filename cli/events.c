/* events.c — cairn's side of the event journal ($CAIRN_ROOT/events.jsonl,
 * lib/journal.h): the events of the commands cairn runs itself.  The tools
 * it drives write their own (the shim each start, its restarts, a stop's
 * kills, health and OOM events, cairn-image its image events, cairn-net its network events), so
 * each event is written once, by whoever did the thing (spec/README.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "journal.h"
#include "json.h"
#include "mem.h"

char *events_path(void) {
  char *p = journal_path(C.root);
  return p != NULL ? p : xasprintf("%s/events.jsonl", C.root);
}

void event_log(const char *type, const char *action, const char *id, json_t *attrs) {
  cleanup_free char *path = journal_path(C.root);
  struct err *e = NULL;
  if (journal_write(path, type, action, id, attrs, &e) < 0) {
    if (C.debug)
      fprintf(stderr, "cairn: %s\n", e->msg);
    err_free(&e);
  }
}

json_t *event_ctr_attrs(const json_t *c) {
  json_t *a = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(json_get_obj(c, "labels"), k, v) json_object_set(a, k, v);
  const char *img = json_get_str(c, "image");
  json_object_set_new(a, "image", json_string(img ? img : ""));
  json_object_set_new(a, "name", json_string(json_get_str(c, "name") ?: ""));
  return a;
}

void event_ctr(const json_t *c, const char *action, json_t *extra) {
  json_t *a = event_ctr_attrs(c);
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

void event_shim_args(const json_t *c, char ***argv) {
  cleanup_free char *path = journal_path(C.root);
  if (path == NULL)
    return;
  cleanup_json json_t *a = event_ctr_attrs(c);
  cleanup_free char *text = json_dump_compact(a);
  strv_push(argv, "--events");
  strv_push(argv, path);
  strv_push(argv, "--event-attrs");
  strv_push(argv, text);
}
