/* json.h — jansson helpers: strict loading with errors that name the source,
 * and writing that is atomic for files people read.
 *
 * Documents are loaded with JSON_REJECT_DUPLICATES; a syntax error becomes
 * "NAME:LINE:COL: TEXT" in the err.  Shapes are checked with json_unpack_ex
 * through json_unpack_err(), which names the source and jansson's position. */
#ifndef CAIRN_JSON_H
#define CAIRN_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "err.h"

/* Load from a path; "-" reads stdin. */
json_t *json_load_path(const char *path, struct err **e);
/* The document at path, or NULL when it is absent or unreadable: for
 * optional files whose absence means a default. */
json_t *json_load_optional(const char *path);
/* Load from an open fd; name is used in messages. */
json_t *json_load_fd_named(int fd, const char *name, struct err **e);
json_t *json_load_str(const char *text, const char *name, struct err **e);
/* json_unpack_ex with an err on mismatch: "NAME: TEXT" (jansson's text). */
int json_unpack_err(json_t *root, struct err **e, const char *name, const char *fmt, ...);

/* Compact dump (one line, no trailing newline); caller frees. */
char *json_dump_compact(const json_t *j);
/* Indented, sorted keys, trailing newline: for files people read. */
char *json_dump_pretty(const json_t *j);
/* Write j to a FILE, compact with a trailing newline. */
int json_write_line(const json_t *j, FILE *f, struct err **e);
/* Atomically write j (pretty) to path (temp + fsync + rename), mode 0644. */
int json_write_file(const json_t *j, const char *path, struct err **e);
/* The same, atomic but not durable (write_file_replace). */
int json_replace_file(const json_t *j, const char *path, struct err **e);

/* Accessors that return NULL / fallback when absent or of another type. */
const char *json_get_str(const json_t *obj, const char *key);
json_t *json_get_obj(const json_t *obj, const char *key);
json_t *json_get_arr(const json_t *obj, const char *key);
/* Get obj[key], creating an empty object (or array) there when absent. */
json_t *json_obj_ensure(json_t *obj, const char *key);
json_t *json_arr_ensure(json_t *obj, const char *key);

/* True when a is an array whose elements are all strings. */
int json_is_strv(const json_t *a);
/* True when the array a holds the string s. */
int json_array_has_str(const json_t *a, const char *s);

#endif
