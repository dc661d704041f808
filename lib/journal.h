/* journal.h — the event journal, events.jsonl: one JSON object per line in
 * docker's event shape, appended to by every tool that has an event
 * (cairn, cairn-shim, cairn-image, cairn-net; spec/README.md).
 *
 * A line is written with one write(2) on an O_APPEND descriptor, so lines
 * of concurrent writers (in any process) never interleave.  Past the cap
 * the file is renamed to PATH.1 (replacing the older one) under
 * PATH.lock; readers follow the rename by the inode.  A journal that cannot
 * be written never fails the command that had the event: callers drop the
 * error (or log it in debug mode). */
#ifndef CAIRN_JOURNAL_H
#define CAIRN_JOURNAL_H

#include <jansson.h>
#include <sys/types.h>

#include "err.h"

#define JOURNAL_CAP (8 << 20)

/* The journal a tool that knows the root writes: $CAIRN_EVENTS when set
 * (set but empty: no journal, NULL), else ROOT/events.jsonl.  Caller frees. */
char *journal_path(const char *root);
/* The rotation cap: $CAIRN_EVENTS_MAX_SIZE (bytes) when it is a positive
 * number, else JOURNAL_CAP. */
off_t journal_cap(void);
/* One event in docker's shape: Type, Action, id, Actor {ID, Attributes},
 * scope "local", time, timeNano; container events also carry status (the
 * action) and from (Attributes.image).  attrs is taken (NULL: none). */
json_t *journal_event(const char *type, const char *action, const char *id, json_t *attrs);
/* Append ev to path as one line (the file and its directory are made when
 * missing), then rotate when the file has passed journal_cap(). */
int journal_append(const char *path, const json_t *ev, struct err **e);
/* journal_event + journal_append; path NULL writes nothing.  attrs taken. */
int journal_write(const char *path, const char *type, const char *action, const char *id,
                  json_t *attrs, struct err **e);

#endif
