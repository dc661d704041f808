#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"

static int json_err(struct err **e, const char *name, const json_error_t *je) {
  if (je->line > 0)
    return err_setc(e, ERR_USAGE, 0, "%s:%d:%d: %s", name, je->line, je->column, je->text);
  return err_setc(e, ERR_USAGE, 0, "%s: %s", name, je->text);
}

json_t *json_load_str(const char *text, const char *name, struct err **e) {
  json_error_t je;
  json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    json_err(e, name, &je);
  return j;
}

json_t *json_load_fd_named(int fd, const char *name, struct err **e) {
  size_t len;
  cleanup_free char *buf = read_fd(fd, name, 0, &len, e);
  if (buf == NULL)
    return NULL;
  json_error_t je;
  json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    json_err(e, name, &je);
  return j;
}

json_t *json_load_path(const char *path, struct err **e) {
  if (strcmp(path, "-") == 0)
    return json_load_fd_named(0, "stdin", e);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err_set(e, errno, "open '%s'", path);
    return NULL;
  }
  return json_load_fd_named(fd, path, e);
}

json_t *json_load_optional(const char *path) {
  if (access(path, F_OK) < 0)
    return NULL;
  struct err *e = NULL;
  json_t *j = json_load_path(path, &e);
  err_free(&e);
  return j;
}

int json_unpack_err(json_t *root, struct err **e, const char *name, const char *fmt, ...) {
  json_error_t je;
  va_list ap;
  va_start(ap, fmt);
  int r = json_vunpack_ex(root, &je, 0, fmt, ap);
  va_end(ap);
  if (r < 0)
    return err_setc(e, ERR_USAGE, 0, "%s: %s", name, je.text);
  return 0;
}

static char *dump(const json_t *j, size_t flags) {
  char *s = json_dumps(j, flags | JSON_ENCODE_ANY);
  if (s == NULL)
    s = xstrdup("null");
  return s;
}

char *json_dump_compact(const json_t *j) {
  return dump(j, JSON_COMPACT);
}

char *json_dump_pretty(const json_t *j) {
  char *s = dump(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  char *r = xasprintf("%s\n", s);
  free(s);
  return r;
}

int json_write_line(const json_t *j, FILE *f, struct err **e) {
  cleanup_free char *s = json_dump_compact(j);
  if (fputs(s, f) == EOF || fputc('\n', f) == EOF || fflush(f) == EOF)
    return err_set(e, errno, "write json");
  return 0;
}

int json_write_file(const json_t *j, const char *path, struct err **e) {
  cleanup_free char *s = json_dump_pretty(j);
  return write_file_atomic(path, s, strlen(s), 0644, e);
}

int json_replace_file(const json_t *j, const char *path, struct err **e) {
  cleanup_free char *s = json_dump_pretty(j);
  return write_file_replace(path, s, strlen(s), 0644, e);
}

const char *json_get_str(const json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

json_t *json_get_obj(const json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_object(v) ? v : NULL;
}

json_t *json_get_arr(const json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_array(v) ? v : NULL;
}

json_t *json_obj_ensure(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_object(v)) {
    v = json_object();
    json_object_set_new(obj, key, v);
  }
  return v;
}

json_t *json_arr_ensure(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_array(v)) {
    v = json_array();
    json_object_set_new(obj, key, v);
  }
  return v;
}

int json_is_strv(const json_t *a) {
  if (!json_is_array(a))
    return 0;
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    if (!json_is_string(v))
      return 0;
  }
  return 1;
}

int json_array_has_str(const json_t *a, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
      return 1;
  }
  return 0;
}
