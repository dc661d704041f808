/* template_exec.c — executing a parsed template: Go's text/template state
 * machine (walk, pipelines, commands, fields, calls) over jansson values.
 *
 * A value is a json_t reference plus Go's distinction between a concrete
 * value and one still wrapped in interface{}: what a map or array element
 * is until a pipeline unwraps it.  That distinction decides Go's behaviour
 * at the edges: {{.m.a}} with a null prints <no value>, {{.m.a.b}} fails
 * with "nil pointer evaluating interface {}.b", a field of a non-object
 * names "interface {}" or the concrete type.  A NULL json_t is Go's invalid
 * value: a missing key, or nil data.
 *
 * Every function returns 0, or -1 with the error already in s->e. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

struct val {
  json_t *j; /* owned reference; NULL: invalid (missing) */
  bool iface;
};

struct var {
  const char *name;
  struct val v;
};

struct xs {
  const struct tmpl *t;
  const struct tmpl_opts *o;
  struct tbuf out;
  struct var *vars;
  size_t nvars, capvars;
  const struct node *at;
  struct err **e;
};

enum { WALK_OK = 0, WALK_BREAK = 1, WALK_CONTINUE = 2 };

static struct val vown(json_t *j) {
  return (struct val){j, false};
}

static struct val vcopy(const struct val *v) {
  return (struct val){json_incref(v->j), v->iface};
}

static void vdrop(struct val *v) {
  json_decref(v->j);
  v->j = NULL;
  v->iface = false;
}

/* Go's indirectInterface, in place: an interface holding nil is invalid. */
static void vunwrap(struct val *v) {
  if (v->iface) {
    v->iface = false;
    if (v->j && json_is_null(v->j))
      vdrop(v);
  }
}

static bool vnil(const struct val *v) {
  return v->j == NULL || json_is_null(v->j);
}

static const char *vtype(const struct val *v) {
  return v->iface ? "interface {}" : go_type_name(v->j);
}

static int xfail(struct xs *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int xfail(struct xs *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  if (s->at == NULL) {
    err_setc(s->e, ERR_FAIL, 0, "template: : %s", msg);
  } else {
    const char *src = s->t->src;
    size_t pos = s->at->pos, nl = 0, line = 1;
    bool any_nl = false;
    for (size_t i = 0; i < pos; i++)
      if (src[i] == '\n')
        line++, nl = i, any_nl = true;
    size_t col = any_nl ? pos - nl - 1 : pos;
    struct tbuf ctx = {0};
    node_string(&ctx, s->at);
    err_setc(s->e, ERR_FAIL, 0, "template: :%zu:%zu: executing \"\" at <%s>: %s", line, col,
             ctx.s ? ctx.s : "", msg);
    tbuf_free(&ctx);
  }
  free(msg);
  return -1;
}

/* ---- variables ---- */

static void push_var(struct xs *s, const char *name, struct val v) {
  if (s->nvars == s->capvars) {
    s->capvars = s->capvars ? s->capvars * 2 : 8;
    s->vars = xrealloc(s->vars, s->capvars * sizeof(*s->vars));
  }
  s->vars[s->nvars++] = (struct var){name, v};
}

static void pop_vars(struct xs *s, size_t mark) {
  while (s->nvars > mark)
    vdrop(&s->vars[--s->nvars].v);
}

static struct var *find_var(struct xs *s, const char *name) {
  for (size_t i = s->nvars; i-- > 0;)
    if (strcmp(s->vars[i].name, name) == 0)
      return &s->vars[i];
  return NULL;
}

/* ---- truth and comparison (funcs.go) ---- */

static bool is_true(const struct val *v0) {
  struct val v = *v0;
  if (v.iface && v.j && json_is_null(v.j))
    return false;
  const json_t *j = v.j;
  if (j == NULL)
    return false;
  switch (json_typeof(j)) {
    case JSON_OBJECT: return json_object_size(j) > 0;
    case JSON_ARRAY: return json_array_size(j) > 0;
    case JSON_STRING: return json_string_length(j) > 0;
    case JSON_INTEGER: return json_integer_value(j) != 0;
    case JSON_REAL: return json_real_value(j) != 0;
    case JSON_TRUE: return true;
    case JSON_FALSE:
    case JSON_NULL: return false;
  }
  return false;
}

enum kind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING };

static enum kind basic_kind(const json_t *j) {
  if (j == NULL)
    return K_INVALID;
  switch (json_typeof(j)) {
    case JSON_TRUE:
    case JSON_FALSE: return K_BOOL;
    case JSON_INTEGER: return K_INT;
    case JSON_REAL: return K_FLOAT;
    case JSON_STRING: return K_STRING;
    default: return K_INVALID;
  }
}

static int str_cmp(const json_t *a, const json_t *b) {
  size_t la = json_string_length(a), lb = json_string_length(b);
  int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
  return c ? c : (la > lb) - (la < lb);
}

/* eq arg1 arg2...: true when arg1 equals any of the others. */
static int do_eq(const struct val *a1, const struct val *rest, size_t n, bool *out, char **em) {
  struct val x = *a1;
  vunwrap(&x);
  if (n == 0) {
    *em = xstrdup("missing argument for comparison");
    return -1;
  }
  enum kind k1 = basic_kind(x.j);
  *out = false;
  for (size_t i = 0; i < n; i++) {
    struct val y = rest[i];
    vunwrap(&y);
    enum kind k2 = basic_kind(y.j);
    bool truth = false;
    if (k1 != k2) {
      if (x.j && y.j) {
        *em = xstrdup("incompatible types for comparison");
        return -1;
      }
    } else {
      switch (k1) {
        case K_BOOL: truth = json_is_true(x.j) == json_is_true(y.j); break;
        case K_INT: truth = json_integer_value(x.j) == json_integer_value(y.j); break;
        case K_FLOAT: truth = json_real_value(x.j) == json_real_value(y.j); break;
        case K_STRING: truth = str_cmp(x.j, y.j) == 0; break;
        case K_INVALID:
          if (x.j == NULL || y.j == NULL) {
            truth = x.j == y.j;
          } else if (json_typeof(x.j) != json_typeof(y.j)) {
            struct tbuf m = {0};
            tbuf_adds(&m, "non-comparable types ");
            go_print(&m, x.j);
            tbuf_addf(&m, ": %s, %s: ", go_type_name(x.j), go_type_name(y.j));
            go_print(&m, y.j);
            *em = tbuf_steal(&m, NULL);
            return -1;
          } else {
            struct tbuf m = {0};
            tbuf_adds(&m, "non-comparable type ");
            go_print(&m, y.j);
            tbuf_addf(&m, ": %s", go_type_name(y.j));
            *em = tbuf_steal(&m, NULL);
            return -1;
          }
          break;
      }
    }
    if (truth) {
      *out = true;
      return 0;
    }
  }
  return 0;
}

static int do_lt(const struct val *a1, const struct val *a2, bool *out, char **em) {
  struct val x = *a1, y = *a2;
  vunwrap(&x);
  vunwrap(&y);
  enum kind k1 = basic_kind(x.j), k2 = basic_kind(y.j);
  if (k1 == K_INVALID || k2 == K_INVALID) {
    *em = xstrdup("invalid type for comparison");
    return -1;
  }
  if (k1 != k2) {
    *em = xstrdup("incompatible types for comparison");
    return -1;
  }
  switch (k1) {
    case K_BOOL: *em = xstrdup("invalid type for comparison"); return -1;
    case K_INT: *out = json_integer_value(x.j) < json_integer_value(y.j); break;
    case K_FLOAT: *out = json_real_value(x.j) < json_real_value(y.j); break;
    case K_STRING: *out = str_cmp(x.j, y.j) < 0; break;
    case K_INVALID: break;
  }
  return 0;
}

/* ---- builtin and docker functions ---- */

/* How an argument is checked and converted, after Go's parameter types:
 * reflect.Value (anything, even missing), interface{} (anything; missing is
 * nil), string, int, []string. */
enum pk { PK_VALUE, PK_ANY, PK_STRING, PK_INT, PK_STRINGS };

typedef int (*fn_impl)(struct xs *s, struct val *a, size_t n, struct val *res, char **em);

struct fndef {
  const char *name;
  int np;
  bool variadic; /* the last parameter repeats */
  enum pk p[3];
  fn_impl impl;
};

static const char *s_val(const struct val *v) {
  return json_string_value(v->j);
}

static size_t s_len(const struct val *v) {
  return json_string_length(v->j);
}

static struct val string_val(struct tbuf *b) {
  size_t n;
  char *s = tbuf_steal(b, &n);
  json_t *j = json_stringn_nocheck(s, n);
  free(s);
  return vown(j);
}

static int f_not(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  *res = vown(json_boolean(!is_true(&a[0])));
  return 0;
}

static int f_len(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  const json_t *j = a[0].j;
  if (j == NULL) {
    *em = xstrdup("reflect: call of reflect.Value.Type on zero Value");
    return -1;
  }
  switch (json_typeof(j)) {
    case JSON_NULL: *em = xstrdup("len of nil pointer"); return -1;
    case JSON_OBJECT: *res = vown(json_integer((json_int_t)json_object_size(j))); return 0;
    case JSON_ARRAY: *res = vown(json_integer((json_int_t)json_array_size(j))); return 0;
    case JSON_STRING: *res = vown(json_integer((json_int_t)json_string_length(j))); return 0;
    default: *em = xasprintf("len of type %s", go_type_name(j)); return -1;
  }
}

/* indexArg: an int index into something of length cap. */
static int index_arg(const struct val *idx, size_t cap, long long *out, char **em) {
  struct val v = *idx;
  vunwrap(&v);
  if (v.j == NULL) {
    *em = xstrdup("cannot index slice/array with nil");
    return -1;
  }
  if (!json_is_integer(v.j)) {
    *em = xasprintf("cannot index slice/array with type %s", go_type_name(v.j));
    return -1;
  }
  long long x = json_integer_value(v.j);
  if (x < 0 || (unsigned long long)x > cap) {
    *em = xasprintf("index out of range: %lld", x);
    return -1;
  }
  *out = x;
  return 0;
}

static int f_index(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s;
  struct val item = vcopy(&a[0]);
  vunwrap(&item);
  if (item.j == NULL) {
    *em = xstrdup("index of untyped nil");
    return -1;
  }
  for (size_t i = 1; i < n; i++) {
    if (vnil(&item)) {
      vdrop(&item);
      *em = xstrdup("index of nil pointer");
      return -1;
    }
    json_t *j = item.j;
    struct val next = {0};
    if (json_is_array(j) || json_is_string(j)) {
      size_t len = json_is_array(j) ? json_array_size(j) : json_string_length(j);
      long long x;
      if (index_arg(&a[i], len, &x, em) < 0) {
        vdrop(&item);
        return -1;
      }
      if ((size_t)x == len) {
        vdrop(&item);
        *em = xstrdup(json_is_array(j) ? "reflect: slice index out of range"
                                       : "reflect: string index out of range");
        return -1;
      }
      if (json_is_array(j))
        next = (struct val){json_incref(json_array_get(j, (size_t)x)), true};
      else
        next = vown(json_integer((unsigned char)json_string_value(j)[x]));
    } else if (json_is_object(j)) {
      struct val k = a[i];
      vunwrap(&k);
      if (k.j == NULL) {
        vdrop(&item);
        *em = xstrdup("value is nil; should be of type string");
        return -1;
      }
      if (!json_is_string(k.j)) {
        vdrop(&item);
        *em = xasprintf("value has type %s; should be string", go_type_name(k.j));
        return -1;
      }
      json_t *v = json_object_getn(j, s_val(&k), s_len(&k));
      /* a missing key gives the element type's zero value: a nil interface */
      next = (struct val){json_incref(v ? v : json_null()), true};
    } else {
      *em = xasprintf("can't index item of type %s", go_type_name(j));
      vdrop(&item);
      return -1;
    }
    vdrop(&item);
    item = next;
  }
  *res = item;
  return 0;
}

static int f_slice(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s;
  struct val item = a[0];
  vunwrap(&item);
  if (item.j == NULL) {
    *em = xstrdup("slice of untyped nil");
    return -1;
  }
  if (n - 1 > 3) {
    *em = xasprintf("too many slice indexes: %zu", n - 1);
    return -1;
  }
  size_t len;
  if (json_is_string(item.j)) {
    if (n - 1 == 3) {
      *em = xstrdup("cannot 3-index slice a string");
      return -1;
    }
    len = json_string_length(item.j);
  } else if (json_is_array(item.j)) {
    len = json_array_size(item.j);
  } else {
    *em = xasprintf("can't slice item of type %s", go_type_name(item.j));
    return -1;
  }
  long long idx[3] = {0, (long long)len, (long long)len};
  for (size_t i = 1; i < n; i++)
    if (index_arg(&a[i], len, &idx[i - 1], em) < 0)
      return -1;
  if (idx[0] > idx[1]) {
    *em = xasprintf("invalid slice index: %lld > %lld", idx[0], idx[1]);
    return -1;
  }
  if (n - 1 == 3 && idx[1] > idx[2]) {
    *em = xasprintf("invalid slice index: %lld > %lld", idx[1], idx[2]);
    return -1;
  }
  if (json_is_string(item.j)) {
    *res = vown(json_stringn_nocheck(json_string_value(item.j) + idx[0], (size_t)(idx[1] - idx[0])));
  } else {
    json_t *arr = json_array();
    for (long long i = idx[0]; i < idx[1]; i++)
      json_array_append(arr, json_array_get(item.j, (size_t)i));
    *res = vown(arr);
  }
  return 0;
}

/* print, printf and println take interface{} arguments: nil for missing. */
static json_t **any_args(struct val *a, size_t n) {
  json_t **args = xcalloc(n ? n : 1, sizeof(*args));
  for (size_t i = 0; i < n; i++)
    args[i] = vnil(&a[i]) ? NULL : a[i].j;
  return args;
}

static int f_print(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)em;
  cleanup_free json_t **args = any_args(a, n);
  struct tbuf b = {0};
  go_sprint(&b, args, n);
  *res = string_val(&b);
  return 0;
}

static int f_println(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)em;
  cleanup_free json_t **args = any_args(a, n);
  struct tbuf b = {0};
  go_sprintln(&b, args, n);
  *res = string_val(&b);
  return 0;
}

static int f_printf(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)em;
  cleanup_free json_t **args = any_args(a + 1, n - 1);
  struct tbuf b = {0};
  go_sprintf(&b, s_val(&a[0]), s_len(&a[0]), args, n - 1);
  *res = string_val(&b);
  return 0;
}

static int f_eq(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s;
  bool t;
  if (do_eq(&a[0], a + 1, n - 1, &t, em) < 0)
    return -1;
  *res = vown(json_boolean(t));
  return 0;
}

static int f_ne(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  bool t;
  if (do_eq(&a[0], a + 1, 1, &t, em) < 0)
    return -1;
  *res = vown(json_boolean(!t));
  return 0;
}

/* lt, le, gt, ge, as Go derives them from lt and eq. */
static int compare(struct val *a, int op, struct val *res, char **em) {
  bool lt, eq = false;
  if (do_lt(&a[0], &a[1], &lt, em) < 0)
    return -1;
  if ((op == FN_LE || op == FN_GT) && !lt && do_eq(&a[0], &a[1], 1, &eq, em) < 0)
    return -1;
  bool r = op == FN_LT ? lt : op == FN_LE ? (lt || eq) : op == FN_GT ? !(lt || eq) : !lt;
  *res = vown(json_boolean(r));
  return 0;
}

static int f_lt(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  return compare(a, FN_LT, res, em);
}

static int f_le(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  return compare(a, FN_LE, res, em);
}

static int f_gt(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  return compare(a, FN_GT, res, em);
}

static int f_ge(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  return compare(a, FN_GE, res, em);
}

/* html, js, urlquery: one string argument as is, anything else as
 * fmt.Sprint of the printable values (a missing one is "<no value>"). */
static void escaper_input(struct val *a, size_t n, struct tbuf *in) {
  if (n == 1 && a[0].j && json_is_string(a[0].j)) {
    tbuf_add(in, s_val(&a[0]), s_len(&a[0]));
    return;
  }
  json_t *noval = json_string("<no value>");
  cleanup_free json_t **args = any_args(a, n);
  for (size_t i = 0; i < n; i++)
    if (a[i].j == NULL)
      args[i] = noval;
  go_sprint(in, args, n);
  json_decref(noval);
}

static int escaper(struct val *a, size_t n, struct val *res,
                   void (*esc)(struct tbuf *, const char *, size_t)) {
  struct tbuf in = {0}, out = {0};
  escaper_input(a, n, &in);
  esc(&out, in.s ? in.s : "", in.len);
  tbuf_free(&in);
  *res = string_val(&out);
  return 0;
}

static int f_html(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)em;
  return escaper(a, n, res, text_html);
}

static int f_js(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)em;
  return escaper(a, n, res, text_js);
}

static int f_urlquery(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)em;
  return escaper(a, n, res, text_urlquery);
}

static int f_json(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  struct tbuf b = {0};
  go_json(&b, vnil(&a[0]) ? NULL : a[0].j);
  *res = string_val(&b);
  return 0;
}

/* strings.Split: an empty separator splits after each UTF-8 sequence. */
static int f_split(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  const char *str = s_val(&a[0]), *sep = s_val(&a[1]);
  size_t len = s_len(&a[0]), seplen = s_len(&a[1]);
  json_t *arr = json_array();
  if (seplen == 0) {
    for (size_t i = 0; i < len;) {
      int w;
      utf8_decode(str + i, len - i, &w);
      json_array_append_new(arr, json_stringn_nocheck(str + i, (size_t)w));
      i += (size_t)w;
    }
  } else {
    size_t start = 0;
    for (size_t i = 0; i + seplen <= len;) {
      if (memcmp(str + i, sep, seplen) == 0) {
        json_array_append_new(arr, json_stringn_nocheck(str + start, i - start));
        i += seplen;
        start = i;
      } else {
        i++;
      }
    }
    json_array_append_new(arr, json_stringn_nocheck(str + start, len - start));
  }
  *res = vown(arr);
  return 0;
}

static int f_join(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  struct tbuf b = {0};
  tbuf_add(&b, "", 0);
  for (size_t i = 0; i < json_array_size(a[0].j); i++) {
    if (i)
      tbuf_add(&b, s_val(&a[1]), s_len(&a[1]));
    json_t *e = json_array_get(a[0].j, i);
    tbuf_add(&b, json_string_value(e), json_string_length(e));
  }
  *res = string_val(&b);
  return 0;
}

static int f_case(struct val *a, struct val *res, void (*fn)(struct tbuf *, const char *, size_t)) {
  struct tbuf b = {0};
  tbuf_add(&b, "", 0);
  fn(&b, s_val(&a[0]), s_len(&a[0]));
  *res = string_val(&b);
  return 0;
}

static int f_title(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  return f_case(a, res, text_title);
}

static int f_lower(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  return f_case(a, res, text_lower);
}

static int f_upper(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  return f_case(a, res, text_upper);
}

/* docker's pad: spaces around a non-empty string. */
static int f_pad(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  long long pre = json_integer_value(a[1].j), post = json_integer_value(a[2].j);
  if (s_len(&a[0]) == 0) {
    *res = vcopy(&a[0]);
    return 0;
  }
  if (pre < 0 || post < 0) {
    *em = xstrdup("strings: negative Repeat count");
    return -1;
  }
  if (pre > 1000000 || post > 1000000) {
    *em = xstrdup("strings: Repeat output length overflow");
    return -1;
  }
  struct tbuf b = {0};
  tbuf_repeat(&b, ' ', (size_t)pre);
  tbuf_add(&b, s_val(&a[0]), s_len(&a[0]));
  tbuf_repeat(&b, ' ', (size_t)post);
  *res = string_val(&b);
  return 0;
}

/* docker's truncate: the first n bytes, when the string is longer. */
static int f_truncate(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n;
  long long len = json_integer_value(a[1].j);
  size_t have = s_len(&a[0]);
  if ((long long)have < len) {
    *res = vcopy(&a[0]);
    return 0;
  }
  if (len < 0) {
    *em = xasprintf("runtime error: slice bounds out of range [:%lld]", len);
    return -1;
  }
  *res = vown(json_stringn_nocheck(s_val(&a[0]), (size_t)len));
  return 0;
}

/* docker's HeaderFunctions: the first argument, unchanged. */
static int f_first(struct xs *s, struct val *a, size_t n, struct val *res, char **em) {
  (void)s, (void)n, (void)em;
  *res = vcopy(&a[0]);
  return 0;
}

/* Indexed by enum fn_id. */
static const struct fndef fns[] = {
    [FN_AND] = {"and", 2, true, {PK_VALUE, PK_VALUE}, NULL},
    [FN_OR] = {"or", 2, true, {PK_VALUE, PK_VALUE}, NULL},
    [FN_NOT] = {"not", 1, false, {PK_VALUE}, f_not},
    [FN_LEN] = {"len", 1, false, {PK_VALUE}, f_len},
    [FN_INDEX] = {"index", 2, true, {PK_VALUE, PK_VALUE}, f_index},
    [FN_SLICE] = {"slice", 2, true, {PK_VALUE, PK_VALUE}, f_slice},
    [FN_PRINT] = {"print", 1, true, {PK_ANY}, f_print},
    [FN_PRINTF] = {"printf", 2, true, {PK_STRING, PK_ANY}, f_printf},
    [FN_PRINTLN] = {"println", 1, true, {PK_ANY}, f_println},
    [FN_EQ] = {"eq", 2, true, {PK_VALUE, PK_VALUE}, f_eq},
    [FN_NE] = {"ne", 2, false, {PK_VALUE, PK_VALUE}, f_ne},
    [FN_LT] = {"lt", 2, false, {PK_VALUE, PK_VALUE}, f_lt},
    [FN_LE] = {"le", 2, false, {PK_VALUE, PK_VALUE}, f_le},
    [FN_GT] = {"gt", 2, false, {PK_VALUE, PK_VALUE}, f_gt},
    [FN_GE] = {"ge", 2, false, {PK_VALUE, PK_VALUE}, f_ge},
    [FN_HTML] = {"html", 1, true, {PK_ANY}, f_html},
    [FN_JS] = {"js", 1, true, {PK_ANY}, f_js},
    [FN_URLQUERY] = {"urlquery", 1, true, {PK_ANY}, f_urlquery},
    [FN_JSON] = {"json", 1, false, {PK_ANY}, f_json},
    [FN_SPLIT] = {"split", 2, false, {PK_STRING, PK_STRING}, f_split},
    [FN_JOIN] = {"join", 2, false, {PK_STRINGS, PK_STRING}, f_join},
    [FN_TITLE] = {"title", 1, false, {PK_STRING}, f_title},
    [FN_LOWER] = {"lower", 1, false, {PK_STRING}, f_lower},
    [FN_UPPER] = {"upper", 1, false, {PK_STRING}, f_upper},
    [FN_PAD] = {"pad", 3, false, {PK_STRING, PK_INT, PK_INT}, f_pad},
    [FN_TRUNCATE] = {"truncate", 2, false, {PK_STRING, PK_INT}, f_truncate},
};

/* With TMPL_HEADER these replace their namesakes (signatures as docker's). */
static const struct fndef header_fns[] = {
    [FN_JSON] = {"json", 1, false, {PK_STRING}, f_first},
    [FN_SPLIT] = {"split", 2, false, {PK_STRING, PK_STRING}, f_first},
    [FN_JOIN] = {"join", 2, false, {PK_STRING, PK_STRING}, f_first},
    [FN_TITLE] = {"title", 1, false, {PK_STRING}, f_first},
    [FN_LOWER] = {"lower", 1, false, {PK_STRING}, f_first},
    [FN_UPPER] = {"upper", 1, false, {PK_STRING}, f_first},
    [FN_TRUNCATE] = {"truncate", 2, false, {PK_STRING, PK_INT}, f_first},
};

int tmpl_func_lookup(const char *name) {
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
    if (strcmp(fns[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* ---- evaluation ---- */

static int eval_pipeline(struct xs *s, const struct val *dot, const struct node *pipe,
                         struct val *out);
static int eval_call(struct xs *s, const struct val *dot, const struct fndef *d,
                     const struct tmpl_method *m, const struct val *recv, const struct node *node,
                     const char *name, struct node *const *args, size_t nargs,
                     const struct val *final, struct val *out);

static const char *pk_name(enum pk pk) {
  switch (pk) {
    case PK_STRING: return "string";
    case PK_INT: return "int";
    case PK_STRINGS: return "[]string";
    case PK_ANY: return "interface {}";
    case PK_VALUE: return "reflect.Value";
  }
  return "?";
}

/* Go's validateType: check (and take) v for a parameter of kind pk. */
static int validate(struct xs *s, struct val *v, enum pk pk) {
  if (v->j == NULL) {
    if (pk == PK_ANY || pk == PK_VALUE)
      return 0;
    if (pk == PK_STRINGS) {
      *v = vown(json_array());
      return 0;
    }
    return xfail(s, "invalid value; expected %s", pk_name(pk));
  }
  if (pk == PK_ANY || pk == PK_VALUE)
    return 0;
  struct val c = *v;
  if (c.iface && !json_is_null(c.j))
    c.iface = false;
  bool ok = false;
  if (!c.iface) {
    if (pk == PK_STRING)
      ok = json_is_string(c.j);
    else if (pk == PK_INT)
      ok = json_is_integer(c.j);
    else if (pk == PK_STRINGS && json_is_array(c.j)) {
      /* docker's typed []string arrive here as JSON arrays of strings */
      ok = true;
      for (size_t i = 0; i < json_array_size(c.j); i++)
        ok = ok && json_is_string(json_array_get(c.j, i));
    }
  }
  if (!ok)
    return xfail(s, "wrong type for value; expected %s; got %s", pk_name(pk), vtype(&c));
  v->iface = false;
  return 0;
}

/* Go's idealConstant for a number literal. */
static int ideal_constant(struct xs *s, const struct node *n, struct val *out) {
  s->at = n;
  const char *t = n->src;
  bool hex_int = strlen(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && !strpbrk(t, "pP");
  if (n->is_float && !hex_int && t[0] != '\'' && strpbrk(t, ".eEpP")) {
    *out = vown(json_real(n->f));
    if (out->j == NULL) /* jansson refuses inf and nan */
      *out = vown(json_real(0));
    return 0;
  }
  if (n->is_int) {
    *out = vown(json_integer(n->i));
    return 0;
  }
  if (n->is_uint)
    return xfail(s, "%s overflows int", t);
  *out = (struct val){0};
  return 0;
}

static int eval_field_chain(struct xs *s, const struct val *dot, struct val recv,
                            const struct node *node, const char *const *idents, size_t n,
                            struct node *const *args, size_t nargs, const struct val *final,
                            struct val *out);

static int eval_field_node(struct xs *s, const struct val *dot, const struct node *f,
                           struct node *const *args, size_t nargs, const struct val *final,
                           struct val *out) {
  s->at = f;
  return eval_field_chain(s, dot, vcopy(dot), f, f->idents, f->nidents, args, nargs, final, out);
}

static int not_a_function(struct xs *s, struct node *const *args, size_t nargs,
                          const struct val *final) {
  if (nargs > 1 || final) {
    struct tbuf b = {0};
    node_string(&b, args[0]);
    int r = xfail(s, "can't give argument to non-function %s", b.s);
    tbuf_free(&b);
    return r;
  }
  return 0;
}

static int eval_arg(struct xs *s, const struct val *dot, int pk, const struct node *n,
                    struct val *out);

static int eval_chain_node(struct xs *s, const struct val *dot, const struct node *c,
                           struct node *const *args, size_t nargs, const struct val *final,
                           struct val *out) {
  s->at = c;
  if (c->pipe->type == N_NIL) {
    struct tbuf b = {0};
    node_string(&b, c);
    int r = xfail(s, "indirection through explicit nil in %s", b.s);
    tbuf_free(&b);
    return r;
  }
  struct val base;
  if (eval_arg(s, dot, -1, c->pipe, &base) < 0)
    return -1;
  return eval_field_chain(s, dot, base, c, c->idents, c->nidents, args, nargs, final, out);
}

static int eval_variable_node(struct xs *s, const struct val *dot, const struct node *v,
                              struct node *const *args, size_t nargs, const struct val *final,
                              struct val *out) {
  s->at = v;
  struct var *var = find_var(s, v->idents[0]);
  if (var == NULL)
    return xfail(s, "undefined variable: %s", v->idents[0]);
  if (v->nidents == 1) {
    if (not_a_function(s, args, nargs, final) < 0)
      return -1;
    *out = vcopy(&var->v);
    return 0;
  }
  return eval_field_chain(s, dot, vcopy(&var->v), v, v->idents + 1, v->nidents - 1, args, nargs,
                          final, out);
}

static const struct tmpl_method *find_method(struct xs *s, const char *name) {
  if (s->o == NULL || s->o->methods == NULL)
    return NULL;
  for (const struct tmpl_method *m = s->o->methods; m->name; m++)
    if (strcmp(m->name, name) == 0)
      return m;
  return NULL;
}

/* evalField: name applied to recv (consumed). */
static int eval_field(struct xs *s, const struct val *dot, const char *name,
                      const struct node *node, struct node *const *args, size_t nargs,
                      const struct val *final, struct val recv, struct val *out) {
  if (recv.j == NULL) {
    *out = (struct val){0};
    return 0;
  }
  const char *typ = vtype(&recv);
  if (recv.iface && json_is_null(recv.j)) {
    vdrop(&recv);
    return xfail(s, "nil pointer evaluating interface {}.%s", name);
  }
  if (json_is_object(recv.j)) {
    const struct tmpl_method *m = find_method(s, name);
    if (m) {
      int r = eval_call(s, dot, NULL, m, &recv, node, name, args, nargs, final, out);
      vdrop(&recv);
      return r;
    }
    if (nargs > 1 || final) {
      vdrop(&recv);
      return xfail(s, "%s is not a method but has arguments", name);
    }
    json_t *v = json_object_get(recv.j, name);
    *out = v ? (struct val){json_incref(v), true} : (struct val){0};
    vdrop(&recv);
    return 0;
  }
  vdrop(&recv);
  return xfail(s, "can't evaluate field %s in type %s", name, typ);
}

static int eval_field_chain(struct xs *s, const struct val *dot, struct val recv,
                            const struct node *node, const char *const *idents, size_t n,
                            struct node *const *args, size_t nargs, const struct val *final,
                            struct val *out) {
  for (size_t i = 0; i + 1 < n; i++) {
    struct val next;
    if (eval_field(s, dot, idents[i], node, NULL, 0, NULL, recv, &next) < 0)
      return -1;
    recv = next;
  }
  return eval_field(s, dot, idents[n - 1], node, args, nargs, final, recv, out);
}

static int eval_function(struct xs *s, const struct val *dot, const struct node *ident,
                         const struct node *cmd, struct node *const *args, size_t nargs,
                         const struct val *final, struct val *out) {
  s->at = ident;
  const struct fndef *d = &fns[ident->fn];
  if (s->o && (s->o->flags & TMPL_HEADER) && (size_t)ident->fn < sizeof(header_fns) / sizeof(*d) &&
      header_fns[ident->fn].name)
    d = &header_fns[ident->fn];
  return eval_call(s, dot, d, NULL, NULL, cmd, ident->text, args, nargs, final, out);
}

/* Go's evalArg: n evaluated for a parameter of kind pk (-1: untyped, as a
 * chain's base is evaluated). */
static int eval_arg(struct xs *s, const struct val *dot, int pk, const struct node *n,
                    struct val *out) {
  s->at = n;
  struct val v = {0};
  int r;
  switch (n->type) {
    case N_DOT: v = vcopy(dot); break;
    case N_NIL:
      if (pk == PK_STRING || pk == PK_INT)
        return xfail(s, "cannot assign nil to %s", pk_name((enum pk)pk));
      *out = pk == PK_STRINGS ? vown(json_array()) : (struct val){0};
      return 0;
    case N_FIELD:
      r = eval_field_node(s, dot, n, (struct node *const *)&n, 1, NULL, &v);
      if (r < 0)
        return -1;
      break;
    case N_VAR:
      if (eval_variable_node(s, dot, n, NULL, 0, NULL, &v) < 0)
        return -1;
      break;
    case N_PIPE:
      if (eval_pipeline(s, dot, n, &v) < 0)
        return -1;
      break;
    case N_IDENT:
      if (eval_function(s, dot, n, n, (struct node *const *)&n, 1, NULL, &v) < 0)
        return -1;
      break;
    case N_CHAIN:
      if (eval_chain_node(s, dot, n, NULL, 0, NULL, &v) < 0)
        return -1;
      break;
    default: {
      /* literals */
      if (pk == PK_STRING) {
        if (n->type != N_STRING)
          goto wrong;
        *out = vown(json_stringn_nocheck(n->text, n->len));
        return 0;
      }
      if (pk == PK_INT) {
        if (n->type != N_NUMBER || !n->is_int)
          goto wrong;
        *out = vown(json_integer(n->i));
        return 0;
      }
      if (pk == PK_STRINGS) {
        struct tbuf b = {0};
        node_string(&b, n);
        r = xfail(s, "can't handle %s for arg of type []string", b.s);
        tbuf_free(&b);
        return r;
      }
      switch (n->type) {
        case N_BOOL: *out = vown(json_boolean(n->b)); return 0;
        case N_NUMBER: return ideal_constant(s, n, out);
        case N_STRING: *out = vown(json_stringn_nocheck(n->text, n->len)); return 0;
        default: return xfail(s, "can't handle assignment to empty interface argument");
      }
    wrong : {
      struct tbuf b = {0};
      node_string(&b, n);
      r = xfail(s, "expected %s; found %s", pk == PK_STRING ? "string" : "integer", b.s);
      tbuf_free(&b);
      return r;
    }
    }
  }
  if (pk >= 0 && validate(s, &v, (enum pk)pk) < 0) {
    vdrop(&v);
    return -1;
  }
  *out = v;
  return 0;
}

static void drop_all(struct val *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    vdrop(&v[i]);
}

/* Go's evalCall, for a builtin (d) or a caller's method (m on recv). */
static int eval_call(struct xs *s, const struct val *dot, const struct fndef *d,
                     const struct tmpl_method *m, const struct val *recv, const struct node *node,
                     const char *name, struct node *const *args, size_t nargs,
                     const struct val *final, struct val *out) {
  struct fndef md;
  if (m) {
    md = (struct fndef){name, m->nargs < 0 ? 1 : m->nargs, m->nargs < 0, {PK_ANY, PK_ANY, PK_ANY},
                        NULL};
    d = &md;
  }
  if (args) {
    args++;
    nargs--;
  } else {
    nargs = 0;
  }
  size_t num_in = nargs + (final ? 1 : 0);
  size_t num_fixed = nargs;
  if (d->variadic) {
    num_fixed = (size_t)d->np - 1;
    if (num_in < num_fixed)
      return xfail(s, "wrong number of args for %s: want at least %d got %zu", name, d->np - 1,
                   nargs);
  } else if (num_in != (size_t)d->np) {
    return xfail(s, "wrong number of args for %s: want %d got %zu", name, d->np, num_in);
  }
  bool is_and = !m && d->impl == NULL;
  if (is_and) {
    /* and/or short-circuit: the first falsy (and) or truthy (or) value */
    bool is_or = strcmp(name, "or") == 0;
    struct val v = {0};
    for (size_t i = 0; i < nargs; i++) {
      vdrop(&v);
      if (eval_arg(s, dot, PK_VALUE, args[i], &v) < 0)
        return -1;
      if (is_true(&v) == is_or) {
        *out = v;
        return 0;
      }
    }
    if (final) {
      vdrop(&v);
      v = vcopy(final);
    }
    *out = v;
    return 0;
  }
  struct val *argv = xcalloc(num_in ? num_in : 1, sizeof(*argv));
  size_t i = 0;
  int r = 0;
  for (; i < num_fixed && i < nargs && r == 0; i++)
    r = eval_arg(s, dot, (int)d->p[i < (size_t)d->np ? i : (size_t)d->np - 1], args[i], &argv[i]);
  if (d->variadic)
    for (; i < nargs && r == 0; i++)
      r = eval_arg(s, dot, (int)d->p[d->np - 1], args[i], &argv[i]);
  if (r == 0 && final) {
    enum pk t = d->p[d->np - 1];
    if (d->variadic && num_in - 1 < num_fixed)
      t = d->p[num_in - 1];
    argv[i] = vcopy(final);
    r = validate(s, &argv[i], t);
  }
  if (r < 0) {
    drop_all(argv, num_in);
    free(argv);
    return -1;
  }
  char *em = NULL;
  if (m) {
    json_t **margs = xcalloc(num_in ? num_in : 1, sizeof(*margs));
    for (size_t k = 0; k < num_in; k++)
      margs[k] = vnil(&argv[k]) ? NULL : argv[k].j;
    struct err *me = NULL;
    json_t *res = m->fn(s->o->ud, recv->j, margs, num_in, &me);
    free(margs);
    if (res == NULL) {
      em = xstrdup(me && me->msg ? me->msg : "failed");
      err_free(&me);
      r = -1;
    } else {
      *out = vown(res);
    }
  } else {
    r = d->impl(s, argv, num_in, out, &em);
  }
  drop_all(argv, num_in);
  free(argv);
  if (r < 0) {
    s->at = node;
    r = xfail(s, "error calling %s: %s", name, em ? em : "failed");
    free(em);
  }
  return r;
}

static int eval_command(struct xs *s, const struct val *dot, const struct node *cmd,
                        const struct val *final, struct val *out) {
  struct node *first = cmd->kids[0];
  switch (first->type) {
    case N_FIELD: return eval_field_node(s, dot, first, cmd->kids, cmd->nkids, final, out);
    case N_CHAIN: return eval_chain_node(s, dot, first, cmd->kids, cmd->nkids, final, out);
    case N_IDENT: return eval_function(s, dot, first, cmd, cmd->kids, cmd->nkids, final, out);
    case N_PIPE:
      if (not_a_function(s, cmd->kids, cmd->nkids, final) < 0)
        return -1;
      return eval_pipeline(s, dot, first, out);
    case N_VAR: return eval_variable_node(s, dot, first, cmd->kids, cmd->nkids, final, out);
    default: break;
  }
  s->at = first;
  if (not_a_function(s, cmd->kids, cmd->nkids, final) < 0)
    return -1;
  switch (first->type) {
    case N_BOOL: *out = vown(json_boolean(first->b)); return 0;
    case N_DOT: *out = vcopy(dot); return 0;
    case N_NIL: return xfail(s, "nil is not a command");
    case N_NUMBER: return ideal_constant(s, first, out);
    case N_STRING: *out = vown(json_stringn_nocheck(first->text, first->len)); return 0;
    default: return xfail(s, "can't evaluate command");
  }
}

static int eval_pipeline(struct xs *s, const struct val *dot, const struct node *pipe,
                         struct val *out) {
  if (pipe == NULL) {
    *out = (struct val){0};
    return 0;
  }
  s->at = pipe;
  struct val v = {0};
  bool have = false; /* Go's missingVal: the first command gets no final argument */
  for (size_t i = 0; i < pipe->nkids; i++) {
    struct val next;
    int r = eval_command(s, dot, pipe->kids[i], have ? &v : NULL, &next);
    vdrop(&v);
    if (r < 0)
      return -1;
    v = next;
    have = true;
    vunwrap(&v);
  }
  for (size_t i = 0; i < pipe->nidents; i++) {
    if (pipe->is_assign) {
      struct var *var = find_var(s, pipe->idents[i]);
      if (var == NULL) {
        vdrop(&v);
        return xfail(s, "undefined variable: %s", pipe->idents[i]);
      }
      vdrop(&var->v);
      var->v = vcopy(&v);
    } else {
      push_var(s, pipe->idents[i], vcopy(&v));
    }
  }
  *out = v;
  return 0;
}

/* ---- walking the tree ---- */

static int walk(struct xs *s, const struct val *dot, const struct node *n);

static int walk_list(struct xs *s, const struct val *dot, const struct node *list) {
  for (size_t i = 0; list && i < list->nkids; i++) {
    int r = walk(s, dot, list->kids[i]);
    if (r != WALK_OK)
      return r;
  }
  return WALK_OK;
}

static int walk_if_with(struct xs *s, const struct val *dot, const struct node *n) {
  size_t mark = s->nvars;
  struct val v;
  if (eval_pipeline(s, dot, n->pipe, &v) < 0)
    return -1;
  int r;
  if (is_true(&v))
    r = walk_list(s, n->type == N_WITH ? &v : dot, n->list);
  else
    r = n->elist ? walk_list(s, dot, n->elist) : WALK_OK;
  vdrop(&v);
  pop_vars(s, mark);
  return r;
}

/* One iteration: the declared variables get the element (and the key). */
static int range_iter(struct xs *s, const struct node *n, size_t mark, struct val key,
                      struct val elem) {
  size_t nd = n->pipe->nidents;
  if (nd > 0) {
    vdrop(&s->vars[s->nvars - 1].v);
    s->vars[s->nvars - 1].v = vcopy(&elem);
  }
  if (nd > 1) {
    vdrop(&s->vars[s->nvars - 2].v);
    s->vars[s->nvars - 2].v = vcopy(&key);
  }
  int r = walk_list(s, &elem, n->list);
  pop_vars(s, mark);
  vdrop(&key);
  vdrop(&elem);
  return r;
}

static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int walk_range(struct xs *s, const struct val *dot, const struct node *n) {
  s->at = n;
  size_t outer = s->nvars;
  struct val v;
  if (eval_pipeline(s, dot, n->pipe, &v) < 0)
    return -1;
  size_t mark = s->nvars;
  int r = WALK_OK;
  bool empty = true;
  if (v.j == NULL) {
    /* a missing value ranges like an empty map */
  } else if (json_is_array(v.j)) {
    for (size_t i = 0; i < json_array_size(v.j); i++) {
      empty = false;
      r = range_iter(s, n, mark, vown(json_integer((json_int_t)i)),
                     (struct val){json_incref(json_array_get(v.j, i)), true});
      if (r < 0 || r == WALK_BREAK)
        break;
    }
  } else if (json_is_object(v.j)) {
    size_t cnt = json_object_size(v.j), i = 0;
    const char **keys = xmalloc((cnt ? cnt : 1) * sizeof(*keys));
    const char *k;
    json_t *e;
    json_object_foreach(v.j, k, e) {
      keys[i++] = k;
    }
    qsort(keys, cnt, sizeof(*keys), cmp_keys);
    for (i = 0; i < cnt; i++) {
      empty = false;
      r = range_iter(s, n, mark, vown(json_string(keys[i])),
                     (struct val){json_incref(json_object_get(v.j, keys[i])), true});
      if (r < 0 || r == WALK_BREAK)
        break;
    }
    free(keys);
  } else {
    struct tbuf b = {0};
    go_print(&b, v.j);
    r = xfail(s, "range can't iterate over %s", b.s);
    tbuf_free(&b);
  }
  if (r >= 0)
    r = WALK_OK;
  if (r == WALK_OK && empty && n->elist)
    r = walk_list(s, dot, n->elist);
  vdrop(&v);
  pop_vars(s, outer);
  return r;
}

static int walk(struct xs *s, const struct val *dot, const struct node *n) {
  s->at = n;
  switch (n->type) {
    case N_ACTION: {
      struct val v;
      if (eval_pipeline(s, dot, n->pipe, &v) < 0)
        return -1;
      if (n->pipe->nidents == 0) {
        s->at = n;
        if (v.j == NULL)
          tbuf_adds(&s->out, "<no value>");
        else
          go_print(&s->out, v.j);
      }
      vdrop(&v);
      return WALK_OK;
    }
    case N_BREAK: return WALK_BREAK;
    case N_CONTINUE: return WALK_CONTINUE;
    case N_IF:
    case N_WITH: return walk_if_with(s, dot, n);
    case N_LIST: return walk_list(s, dot, n);
    case N_RANGE: return walk_range(s, dot, n);
    case N_TEXT: tbuf_add(&s->out, n->text, n->len); return WALK_OK;
    default: return xfail(s, "unknown node");
  }
}

int tmpl_exec_opts(const struct tmpl *t, json_t *data, const struct tmpl_opts *o, int keep_partial,
                   char **out, size_t *len, struct err **e) {
  struct xs s = {.t = t, .o = o, .e = e};
  struct val dot = {json_incref(data), false};
  if (dot.j && json_is_null(dot.j))
    vdrop(&dot);
  push_var(&s, "$", vcopy(&dot));
  tbuf_add(&s.out, "", 0);
  int r = walk(&s, &dot, t->root);
  vdrop(&dot);
  pop_vars(&s, 0);
  free(s.vars);
  if (r < 0 && !keep_partial) {
    tbuf_free(&s.out);
    *out = NULL;
    if (len)
      *len = 0;
    return -1;
  }
  *out = tbuf_steal(&s.out, len);
  return r < 0 ? -1 : 0;
}

int tmpl_exec(const struct tmpl *t, json_t *data, char **out, size_t *len, struct err **e) {
  return tmpl_exec_opts(t, data, NULL, 0, out, len, e);
}
