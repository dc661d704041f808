#include "jfield.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

char *jf_path(const struct jf *f, const char *key) {
  if (f->where == NULL || *f->where == '\0')
    return xstrdup(key);
  return xasprintf("%s.%s", f->where, key);
}

char *jf_index(const struct jf *f, const char *key, size_t i) {
  cleanup_free char *p = jf_path(f, key);
  return xasprintf("%s[%zu]", p, i);
}

int jf_bad(const struct jf *f, const char *key, struct err **e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *what = xvasprintf(fmt, ap);
  va_end(ap);
  if (key == NULL)
    return err_set(e, 0, "%s: %s: %s", f->doc, *f->where ? f->where : "(root)", what);
  cleanup_free char *p = jf_path(f, key);
  return err_set(e, 0, "%s: %s: %s", f->doc, p, what);
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
  }
  return "?";
}

static json_t *get(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_null(v) ? NULL : v;
}

int jf_obj(const struct jf *f, json_t *o, const char *key, json_t **out, struct err **e) {
  json_t *v = get(o, key);
  if (v == NULL)
    return 0;
  if (!json_is_object(v))
    return jf_bad(f, key, e, "expected an object, got %s", type_name(v));
  *out = v;
  return 1;
}

int jf_arr(const struct jf *f, json_t *o, const char *key, json_t **out, struct err **e) {
  json_t *v = get(o, key);
  if (v == NULL)
    return 0;
  if (!json_is_array(v))
    return jf_bad(f, key, e, "expected an array, got %s", type_name(v));
  *out = v;
  return 1;
}

int jf_str(const struct jf *f, json_t *o, const char *key, const char **out, struct err **e) {
  json_t *v = get(o, key);
  if (v == NULL)
    return 0;
  if (!json_is_string(v))
    return jf_bad(f, key, e, "expected a string, got %s", type_name(v));
  if (strlen(json_string_value(v)) != json_string_length(v))
    return jf_bad(f, key, e, "string contains a NUL byte");
  *out = json_string_value(v);
  return 1;
}

int jf_bool(const struct jf *f, json_t *o, const char *key, int *out, struct err **e) {
  json_t *v = get(o, key);
  if (v == NULL)
    return 0;
  if (!json_is_boolean(v))
    return jf_bad(f, key, e, "expected a boolean, got %s", type_name(v));
  *out = json_is_true(v);
  return 1;
}

int jf_int(const struct jf *f, json_t *o, const char *key, int64_t *out, struct err **e) {
  json_t *v = get(o, key);
  if (v == NULL)
    return 0;
  if (!json_is_integer(v))
    return jf_bad(f, key, e, "expected an integer, got %s", type_name(v));
  *out = (int64_t)json_integer_value(v);
  return 1;
}

int jf_range(const struct jf *f, json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out,
             struct err **e) {
  int64_t v;
  int r = jf_int(f, o, key, &v, e);
  if (r <= 0)
    return r;
  if (v < lo || v > hi)
    return jf_bad(f, key, e, "%lld is out of range [%lld, %lld]", (long long)v, (long long)lo,
                  (long long)hi);
  *out = v;
  return 1;
}

int jf_strv(const struct jf *f, json_t *o, const char *key, char ***out, struct err **e) {
  json_t *a = get(o, key);
  if (a == NULL)
    return 0;
  if (!json_is_array(a))
    return jf_bad(f, key, e, "expected an array of strings, got %s", type_name(a));
  size_t n = json_array_size(a);
  char **v = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(a, i);
    if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
      strv_free(v);
      return jf_bad(f, key, e, "expected an array of strings, item %zu is %s", i,
                    json_is_string(s) ? "a string with a NUL byte" : type_name(s));
    }
    v[i] = xstrdup(json_string_value(s));
  }
  *out = v;
  return 1;
}
