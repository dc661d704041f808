/* template_funcs.c — the functions a template can call: Go's builtins
 * (and, or, not, len, index, slice, print, printf, println, eq, ne, lt, le,
 * gt, ge, html, js, urlquery) and docker's (json, split, join, title, lower,
 * upper, pad, truncate), plus docker's header variants of the latter.
 *
 * Each takes its arguments already checked against its parameter kinds (see
 * struct fndef) and returns a new value, or -1 with the reason in *em, which
 * the caller turns into "error calling NAME: REASON" as Go does. */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

/* ---- truth and comparison ---- */

bool val_true(const struct val *v0) {
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
            go_sprintf(&m, "%s", 2, &x.j, 1);
            tbuf_addf(&m, ": %s, %s: ", go_type_name(x.j), go_type_name(y.j));
            go_print(&m, y.j);
            *em = tbuf_steal(&m, NULL);
            return -1;
          } else {
            struct tbuf m = {0};
            tbuf_adds(&m, "non-comparable type ");
            go_sprintf(&m, "%s", 2, &y.j, 1);
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

static int f_not(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
  *res = vown(json_boolean(!val_true(&a[0])));
  return 0;
}

static int f_len(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
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
static int index_arg(const struct val *idx, bool unwrap, size_t cap, long long *out, char **em) {
  struct val v = *idx;
  if (unwrap)
    vunwrap(&v);
  if (v.iface) { /* slice does not look inside interface values */
    *em = xstrdup("cannot index slice/array with type interface {}");
    return -1;
  }
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

static int f_index(struct val *a, size_t n, struct val *res, char **em) {
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
      if (index_arg(&a[i], true, len, &x, em) < 0) {
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

static int f_slice(struct val *a, size_t n, struct val *res, char **em) {
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
    if (index_arg(&a[i], false, len, &idx[i - 1], em) < 0)
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
    *res =
        vown(json_stringn_nocheck(json_string_value(item.j) + idx[0], (size_t)(idx[1] - idx[0])));
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

static int f_print(struct val *a, size_t n, struct val *res, char **em) {
  (void)em;
  cleanup_free json_t **args = any_args(a, n);
  struct tbuf b = {0};
  go_sprint(&b, args, n);
  *res = string_val(&b);
  return 0;
}

static int f_println(struct val *a, size_t n, struct val *res, char **em) {
  (void)em;
  cleanup_free json_t **args = any_args(a, n);
  struct tbuf b = {0};
  go_sprintln(&b, args, n);
  *res = string_val(&b);
  return 0;
}

static int f_printf(struct val *a, size_t n, struct val *res, char **em) {
  (void)em;
  cleanup_free json_t **args = any_args(a + 1, n - 1);
  struct tbuf b = {0};
  go_sprintf(&b, s_val(&a[0]), s_len(&a[0]), args, n - 1);
  *res = string_val(&b);
  return 0;
}

static int f_eq(struct val *a, size_t n, struct val *res, char **em) {
  bool t;
  if (do_eq(&a[0], a + 1, n - 1, &t, em) < 0)
    return -1;
  *res = vown(json_boolean(t));
  return 0;
}

static int f_ne(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
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

static int f_lt(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
  return compare(a, FN_LT, res, em);
}

static int f_le(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
  return compare(a, FN_LE, res, em);
}

static int f_gt(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
  return compare(a, FN_GT, res, em);
}

static int f_ge(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
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
    if (vnil(&a[i]))
      args[i] = noval; /* a string now: Sprint puts no space around it */
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

static int f_html(struct val *a, size_t n, struct val *res, char **em) {
  (void)em;
  return escaper(a, n, res, text_html);
}

static int f_js(struct val *a, size_t n, struct val *res, char **em) {
  (void)em;
  return escaper(a, n, res, text_js);
}

static int f_urlquery(struct val *a, size_t n, struct val *res, char **em) {
  (void)em;
  return escaper(a, n, res, text_urlquery);
}

static int f_json(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
  struct tbuf b = {0};
  go_json(&b, vnil(&a[0]) ? NULL : a[0].j);
  *res = string_val(&b);
  return 0;
}

/* strings.Split: an empty separator splits after each UTF-8 sequence. */
static int f_split(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
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

static int f_join(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
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

static int f_title(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
  return f_case(a, res, text_title);
}

static int f_lower(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
  return f_case(a, res, text_lower);
}

static int f_upper(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
  return f_case(a, res, text_upper);
}

/* docker's pad: spaces around a non-empty string. */
static int f_pad(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
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
static int f_truncate(struct val *a, size_t n, struct val *res, char **em) {
  (void)n;
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
static int f_first(struct val *a, size_t n, struct val *res, char **em) {
  (void)n, (void)em;
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

const struct fndef *tmpl_fndef(int id, bool header) {
  if (header && (size_t)id < sizeof(header_fns) / sizeof(header_fns[0]) && header_fns[id].name)
    return &header_fns[id];
  return &fns[id];
}

int tmpl_func_lookup(const char *name) {
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
    if (strcmp(fns[i].name, name) == 0)
      return (int)i;
  return -1;
}
