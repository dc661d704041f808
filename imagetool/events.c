/* events.c — cairn-image's entries in the event journal (lib/journal.h):
 * docker's image events, written by the tool that did the work, so that
 * cairn-image run alone journals them as well as under cairn (which then
 * writes none of its own).  The journal is $CAIRN_EVENTS, else
 * ROOT/events.jsonl; a journal that cannot be written is not an error. */
#include <string.h>

#include "cmd.h"
#include "journal.h"
#include "json.h"
#include "mem.h"
#include "ref.h"

void image_event(const struct store *s, const char *action, const char *id, const char *name) {
  cleanup_free char *path = journal_path(s->root);
  struct err *e = NULL;
  if (journal_write(path, "image", action, id, json_pack("{s:s}", "name", name ? name : id), &e) <
      0)
    err_free(&e);
}

void image_event_ref(const struct store *s, const char *action, const char *refstr) {
  struct ref r;
  struct err *e = NULL;
  if (ref_parse(refstr, &r, &e) < 0) {
    err_free(&e);
    image_event(s, action, refstr, refstr);
    return;
  }
  cleanup_free char *fam = ref_familiar(&r);
  /* the familiar name: the familiar string without its tag or digest */
  free(r.tag);
  r.tag = NULL;
  free(r.digest);
  r.digest = NULL;
  cleanup_free char *name = ref_familiar(&r);
  ref_free(&r);
  image_event(s, action, fam, name);
}
