/* events.c — the container events only the shim sees, appended to the
 * event journal given with --events (lib/journal.h, spec/README.md):
 *
 *   start                     each start, written before any exit can be seen
 *   die (exitCode)            each exit the restart policy restarts from (the
 *                             caller writes the last die, after its cleanup)
 *   oom                       before the die of a run the kernel OOM-killed
 *   health_status: healthy|unhealthy   when the health status changes
 *
 * Each is one line written with one write(2), as every journal writer does;
 * a journal that cannot be written is a warning in shim.log, nothing more. */
#include <string.h>

#include "journal.h"
#include "json.h"
#include "mem.h"
#include "shim.h"

void shim_event(struct shim *s, const char *action, json_t *extra) {
  const struct shim_opts *o = s->o;
  if (o->events == NULL) {
    json_decref(extra);
    return;
  }
  struct err *e = NULL;
  json_t *attrs = o->event_attrs ? json_load_str(o->event_attrs, "--event-attrs", &e) : NULL;
  err_free(&e);
  if (attrs == NULL)
    attrs = json_object();
  if (extra != NULL) {
    json_object_update(attrs, extra);
    json_decref(extra);
  }
  if (journal_write(o->events, "container", action, o->id, attrs, &e) < 0)
    shim_warn(&e);
}

void shim_event_rename(struct shim *s, const char *name) {
  struct err *e = NULL;
  cleanup_json json_t *attrs =
      s->o->event_attrs ? json_load_str(s->o->event_attrs, "--event-attrs", &e) : json_object();
  err_free(&e);
  if (attrs == NULL)
    return;
  json_object_set_new(attrs, "name", json_string(name));
  free(s->o->event_attrs);
  s->o->event_attrs = json_dump_compact(attrs);
}
