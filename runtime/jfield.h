/* jfield.h — typed reads of config.json fields with errors that name the
 * field: "config.json: process.args: expected an array of strings".
 *
 * Each getter returns 1 when the key is present and of the right type (out
 * filled), 0 when absent or null (out untouched), -1 with *e set when present
 * with another type.  `where` is the dotted path of the parent object
 * ("process", "mounts[2]"), `doc` the document's name for messages. */
#ifndef CAIRN_RT_JFIELD_H
#define CAIRN_RT_JFIELD_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

struct jf {
  const char *doc;   /* "config.json" */
  const char *where; /* "process" or "" at the top */
};

int jf_bad(const struct jf *f, const char *key, struct err **e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int jf_obj(const struct jf *f, json_t *o, const char *key, json_t **out, struct err **e);
int jf_arr(const struct jf *f, json_t *o, const char *key, json_t **out, struct err **e);
int jf_str(const struct jf *f, json_t *o, const char *key, const char **out, struct err **e);
int jf_bool(const struct jf *f, json_t *o, const char *key, int *out, struct err **e);
int jf_int(const struct jf *f, json_t *o, const char *key, int64_t *out, struct err **e);
/* Integer in [lo, hi]. */
int jf_range(const struct jf *f, json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out,
             struct err **e);
/* Array of strings, copied into a NULL-terminated vector (empty array gives
 * an empty vector, not NULL). */
int jf_strv(const struct jf *f, json_t *o, const char *key, char ***out, struct err **e);
/* "where.key" or "where[i]" path strings; caller frees. */
char *jf_path(const struct jf *f, const char *key);
char *jf_index(const struct jf *f, const char *key, size_t i);

#endif
