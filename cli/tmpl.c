/* tmpl.c — the part of Go's text/template that --format needs most, over
 * a JSON document: text, {{.A.B}}, {{.}}, and the functions json, upper,
 * lower, len, join X "sep", index X "key"|N.  Values print as Go prints
 * them (true, 5, [a b], map[k:v]; a missing key is "<no value>").  A
 * stopgap until lib/template (the full engine) lands. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"

struct out {
  char *p;
  size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n) {
  if (o->len + n + 1 > o->cap) {
    o->cap = (o->len + n + 1) * 2;
    o->p = xrealloc(o->p, o->cap);
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
  o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s) {
  put(o, s, strlen(s));
}

static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go's fmt %v of a decoded JSON value. */
static void print_value(struct out *o, const json_t *v) {
  if (v == NULL) {
    puts_(o, "<no value>");
  } else if (json_is_string(v)) {
    put(o, json_string_value(v), json_string_length(v));
  } else if (json_is_integer(v)) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)json_integer_value(v));
    puts_(o, b);
  } else if (json_is_real(v)) {
    char b[64];
    snprintf(b, sizeof b, "%g", json_real_value(v));
    puts_(o, b);
  } else if (json_is_boolean(v)) {
    puts_(o, json_is_true(v) ? "true" : "false");
  } else if (json_is_null(v)) {
    puts_(o, "<nil>");
  } else if (json_is_array(v)) {
    puts_(o, "[");
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
      if (i)
        puts_(o, " ");
      print_value(o, x);
    }
    puts_(o, "]");
  } else {
    size_t n = json_object_size(v), k = 0;
    cleanup_free const char **keys = xcalloc(n + 1, sizeof *keys);
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) keys[k++] = key;
    qsort(keys, k, sizeof *keys, cmp_keys);
    puts_(o, "map[");
    for (size_t i = 0; i < k; i++) {
      if (i)
        puts_(o, " ");
      puts_(o, keys[i]);
      puts_(o, ":");
      print_value(o, json_object_get(v, keys[i]));
    }
    puts_(o, "]");
  }
}

/* Tokens of an action: words and "quoted strings". */
static char **tokens(const char *s, struct err **e) {
  char **v = xcalloc(1, sizeof *v);
  while (*s) {
    while (isspace((unsigned char)*s))
      s++;
    if (!*s)
      break;
    const char *st = s;
    if (*s == '"') {
      s++;
      while (*s && *s != '"')
        s += (*s == '\\' && s[1]) ? 2 : 1;
      if (*s != '"') {
        strv_free(v);
        err_usage(e, "template: unterminated quoted string");
        return NULL;
      }
      s++;
    } else {
      while (*s && !isspace((unsigned char)*s))
        s++;
    }
    cleanup_free char *t = xstrndup(st, (size_t)(s - st));
    strv_push(&v, t);
  }
  return v;
}

/* A field path (".", ".A.B") against data; *ok 0 when the syntax is bad. */
static const json_t *lookup(const char *path, const json_t *data, int *ok) {
  *ok = 1;
  if (strcmp(path, ".") == 0)
    return data;
  if (path[0] != '.') {
    *ok = 0;
    return NULL;
  }
  cleanup_free char *p = xstrdup(path + 1);
  const json_t *cur = data;
  char *save = NULL;
  for (char *k = strtok_r(p, ".", &save); k != NULL; k = strtok_r(NULL, ".", &save)) {
    if (!json_is_object(cur))
      return NULL;
    cur = json_object_get(cur, k);
  }
  return cur;
}

static char *unquote(const char *t) {
  size_t n = strlen(t);
  char *r = xmalloc(n + 1), *o = r;
  for (size_t i = 1; i + 1 < n; i++) {
    if (t[i] == '\\' && i + 2 < n) {
      i++;
      *o++ = t[i] == 'n' ? '\n' : t[i] == 't' ? '\t' : t[i];
    } else {
      *o++ = t[i];
    }
  }
  *o = '\0';
  return r;
}

static int action(struct out *o, const char *text, const json_t *data, struct err **e) {
  cleanup_strv char **t = tokens(text, e);
  if (t == NULL)
    return -1;
  size_t n = strv_len(t);
  if (n == 0)
    return err_usage(e, "template: missing value for command");
  int ok;
  if (n == 1) {
    const json_t *v = lookup(t[0], data, &ok);
    if (!ok)
      return err_usage(e, "template: function \"%s\" not defined", t[0]);
    print_value(o, v);
    return 0;
  }
  const char *fn = t[0];
  const json_t *v = lookup(t[1], data, &ok);
  if (!ok)
    return err_usage(e, "template: bad argument '%s' to %s", t[1], fn);
  if (strcmp(fn, "json") == 0 && n == 2) {
    cleanup_free char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("null");
    puts_(o, s);
  } else if ((strcmp(fn, "upper") == 0 || strcmp(fn, "lower") == 0) && n == 2) {
    struct out tmp = {0};
    print_value(&tmp, v);
    for (size_t i = 0; i < tmp.len; i++)
      tmp.p[i] = (char)(fn[0] == 'u' ? toupper((unsigned char)tmp.p[i])
                                     : tolower((unsigned char)tmp.p[i]));
    if (tmp.p)
      puts_(o, tmp.p);
    free(tmp.p);
  } else if (strcmp(fn, "len") == 0 && n == 2) {
    size_t len = json_is_array(v)    ? json_array_size(v)
                 : json_is_object(v) ? json_object_size(v)
                 : json_is_string(v) ? json_string_length(v)
                                     : 0;
    char b[32];
    snprintf(b, sizeof b, "%zu", len);
    puts_(o, b);
  } else if (strcmp(fn, "join") == 0 && n == 3 && t[2][0] == '"') {
    cleanup_free char *sep = unquote(t[2]);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
      if (i)
        puts_(o, sep);
      print_value(o, x);
    }
  } else if (strcmp(fn, "index") == 0 && n == 3) {
    if (t[2][0] == '"') {
      cleanup_free char *k = unquote(t[2]);
      print_value(o, json_object_get(v, k));
    } else {
      print_value(o, json_array_get(v, (size_t)atol(t[2])));
    }
  } else {
    return err_usage(e, "template: function \"%s\" not defined (or wrong arguments)", fn);
  }
  return 0;
}

char *tmpl_render(const char *fmt, const json_t *data, struct err **e) {
  struct out o = {0};
  puts_(&o, "");
  const char *s = fmt;
  while (*s) {
    const char *open = strstr(s, "{{");
    if (open == NULL) {
      puts_(&o, s);
      break;
    }
    const char *close = strstr(open + 2, "}}");
    if (close == NULL) {
      free(o.p);
      err_usage(e, "template: unclosed action");
      return NULL;
    }
    const char *a = open + 2, *b = close;
    size_t textlen = (size_t)(open - s);
    if (*a == '-') { /* {{- trims the text before */
      a++;
      while (textlen > 0 && isspace((unsigned char)s[textlen - 1]))
        textlen--;
    }
    put(&o, s, textlen);
    bool trim_after = b > a && b[-1] == '-';
    if (trim_after)
      b--;
    cleanup_free char *inner = xstrndup(a, (size_t)(b - a));
    if (action(&o, inner, data, e) < 0) {
      free(o.p);
      return NULL;
    }
    s = close + 2;
    if (trim_after)
      while (isspace((unsigned char)*s))
        s++;
  }
  return o.p;
}

char *tmpl_unescape(const char *fmt) {
  char *r = xstrdup(fmt), *w = r;
  for (const char *p = fmt; *p; p++) {
    if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
      *w++ = p[1] == 't' ? '\t' : '\n';
      p++;
    } else {
      *w++ = *p;
    }
  }
  *w = '\0';
  return r;
}
