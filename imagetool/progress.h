/* progress.h — pull and push progress on stderr, three ways:
 *   tty:   docker's lines, one per layer, redrawn in place
 *          ("3f4d90098f5b: Downloading [=====>      ] 12.3MB/45.6MB")
 *   plain: one line per change of state, no bars (logs, pipes)
 *   json:  one event per line, {"id","status","progressDetail":{"current","total"}}
 *          as docker's JSON message stream, for tools that compose us
 * and none with -q. */
#ifndef CAIRN_IMAGE_PROGRESS_H
#define CAIRN_IMAGE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum progress_mode { PROGRESS_NONE, PROGRESS_PLAIN, PROGRESS_TTY, PROGRESS_JSON };

struct progress;

/* "auto" (tty when stderr is one, else plain), "tty", "plain", "json". */
int progress_mode_parse(const char *s, enum progress_mode *m, struct err **e);
struct progress *progress_new(enum progress_mode m, FILE *out);
void progress_free(struct progress *p);

/* A line of its own: "latest: Pulling from library/busybox", "Digest: …". */
void progress_msg(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The state of one item (a layer, by its short id).  total 0: no bar.
 * Byte updates of the same status are rate-limited except in json mode's
 * first and last. */
void progress_item(struct progress *p, const char *id, const char *status, uint64_t current,
                   uint64_t total);

#endif
