/* template_print.c — Go's fmt (Sprint, Sprintln, Sprintf and %v printing)
 * and encoding/json, for the value types a template sees: string, int,
 * float64, bool, nil, map[string]interface{} and []interface{}.
 *
 * Floats are printed from their shortest round-tripping decimal digits, as
 * Go's strconv does, then laid out the way fmt's %v or encoding/json lays
 * them out; with an explicit precision C's printf gives Go's digits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

const char *go_type_name(const json_t *j) {
  if (j == NULL)
    return "<nil>";
  switch (json_typeof(j)) {
    case JSON_OBJECT: return "map[string]interface {}";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "<nil>";
  }
  return "<nil>";
}

/* ---- floats ---- */

/* The shortest decimal digits d (no point, no trailing zeros, NUL-ended)
 * that read back as f (> 0, finite), and the decimal point position dp:
 * f = 0.d * 10^dp. */
void go_float_digits(double f, char d[32], int *nd, int *dp) {
  char buf[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, sizeof(buf), "%.*e", p - 1, f);
    if (strtod(buf, NULL) == f)
      break;
  }
  int n = 0;
  const char *c = buf;
  for (; *c && *c != 'e'; c++)
    if (*c >= '0' && *c <= '9')
      d[n++] = *c;
  while (n > 1 && d[n - 1] == '0')
    n--;
  d[n] = '\0';
  *nd = n;
  *dp = atoi(c + 1) + 1;
}

/* %e layout of digits: d.ddde±XX (at least two exponent digits).  go_json
 * wants e-7 rather than e-07: min_exp_digits 1. */
void go_layout_e(struct tbuf *b, const char *d, int nd, int dp, int min_exp_digits) {
  tbuf_addc(b, d[0]);
  if (nd > 1) {
    tbuf_addc(b, '.');
    tbuf_add(b, d + 1, (size_t)nd - 1);
  }
  int exp = dp - 1;
  tbuf_addc(b, 'e');
  tbuf_addc(b, exp < 0 ? '-' : '+');
  tbuf_addf(b, "%0*d", min_exp_digits, exp < 0 ? -exp : exp);
}

void go_layout_f(struct tbuf *b, const char *d, int nd, int dp) {
  if (dp <= 0) {
    tbuf_adds(b, "0.");
    tbuf_repeat(b, '0', (size_t)-dp);
    tbuf_add(b, d, (size_t)nd);
  } else if (dp >= nd) {
    tbuf_add(b, d, (size_t)nd);
    tbuf_repeat(b, '0', (size_t)(dp - nd));
  } else {
    tbuf_add(b, d, (size_t)dp);
    tbuf_addc(b, '.');
    tbuf_add(b, d + dp, (size_t)(nd - dp));
  }
}

/* strconv.FormatFloat(f, 'g', -1, 64), the form of %v. */
static void float_shortest_g(struct tbuf *b, double f) {
  if (isnan(f)) {
    tbuf_adds(b, "NaN");
    return;
  }
  if (isinf(f)) {
    tbuf_adds(b, f > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (signbit(f))
    tbuf_addc(b, '-');
  f = fabs(f);
  if (f == 0) {
    tbuf_addc(b, '0');
    return;
  }
  char d[32];
  int nd, dp;
  go_float_digits(f, d, &nd, &dp);
  /* with the shortest digits Go switches to %e at exponents below -4 or
   * from 6 on, whatever the number of digits: 1e+06, 1.234567e+06, 123456 */
  int exp = dp - 1;
  if (exp < -4 || exp >= 6)
    go_layout_e(b, d, nd, dp, 2);
  else
    go_layout_f(b, d, nd, dp);
}

/* ---- fmt ---- */

struct fmtf {
  bool minus, plus, sharp, space, zero;
  bool wid_present, prec_present;
  int wid, prec;
  bool plus_v, sharp_v;
};

static void write_padding(struct tbuf *b, const struct fmtf *f, int n) {
  if (n > 0)
    tbuf_repeat(b, f->zero ? '0' : ' ', (size_t)n);
}

/* fmt's pad: width counts runes; zero pads on the left only. */
static void pad(struct tbuf *b, const struct fmtf *f, const char *s, size_t n) {
  if (!f->wid_present || f->wid == 0) {
    tbuf_add(b, s, n);
    return;
  }
  int width = (int)utf8_count(s, n);
  int fill = f->wid - width;
  if (!f->minus) {
    write_padding(b, f, fill);
    tbuf_add(b, s, n);
  } else {
    tbuf_add(b, s, n);
    struct fmtf sp = *f;
    sp.zero = false;
    write_padding(b, &sp, fill);
  }
}

static void pads(struct tbuf *b, const struct fmtf *f, const char *s) {
  pad(b, f, s, strlen(s));
}

static void print_value(struct tbuf *b, struct fmtf *f, const json_t *j, int verb, int depth);

static void bad_verb(struct tbuf *b, struct fmtf *f, const json_t *j, int verb) {
  char enc[4];
  tbuf_adds(b, "%!");
  tbuf_add(b, enc, (size_t)tmpl_utf8_encode(verb, enc));
  tbuf_addc(b, '(');
  if (j == NULL || json_is_null(j)) {
    tbuf_adds(b, "<nil>");
  } else {
    tbuf_adds(b, go_type_name(j));
    tbuf_addc(b, '=');
    print_value(b, f, j, 'v', 0);
  }
  tbuf_addc(b, ')');
}

static void fmt_integer(struct tbuf *b, struct fmtf *f, long long v, int base, int verb,
                        bool upper) {
  const char *digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
  bool negative = v < 0;
  unsigned long long u = negative ? 0 - (unsigned long long)v : (unsigned long long)v;
  int prec = 0;
  if (f->prec_present) {
    prec = f->prec;
    if (prec == 0 && u == 0) {
      struct fmtf sp = *f;
      sp.zero = false;
      write_padding(b, &sp, f->wid);
      return;
    }
  } else if (f->zero && f->wid_present) {
    prec = f->wid;
    if (negative || f->plus || f->space)
      prec--;
  }
  char buf[160];
  int i = (int)sizeof(buf);
  do {
    buf[--i] = digits[u % (unsigned)base];
    u /= (unsigned)base;
  } while (u > 0 && i > 0);
  if (prec > (int)sizeof(buf) - 8)
    prec = (int)sizeof(buf) - 8;
  while (i > 4 && prec > (int)sizeof(buf) - i)
    buf[--i] = '0';
  if (f->sharp) {
    if (base == 2) {
      buf[--i] = 'b';
      buf[--i] = '0';
    } else if (base == 8 && buf[i] != '0') {
      buf[--i] = '0';
    } else if (base == 16) {
      buf[--i] = digits[16];
      buf[--i] = '0';
    }
  }
  if (verb == 'O') {
    buf[--i] = 'o';
    buf[--i] = '0';
  }
  if (negative)
    buf[--i] = '-';
  else if (f->plus)
    buf[--i] = '+';
  else if (f->space)
    buf[--i] = ' ';
  struct fmtf sp = *f;
  sp.zero = false;
  pad(b, &sp, buf + i, sizeof(buf) - (size_t)i);
}

/* fmtFloat after the number text exists: signs, zero padding, Inf/NaN. */
static void fmt_float_text(struct tbuf *b, struct fmtf *f, const char *num_in) {
  char num[400];
  if (num_in[0] == '-' || num_in[0] == '+')
    snprintf(num, sizeof(num), "%s", num_in);
  else
    snprintf(num, sizeof(num), "+%s", num_in);
  if (f->space && num[0] == '+' && !f->plus)
    num[0] = ' ';
  size_t len = strlen(num);
  if (num[1] == 'I' || num[1] == 'N') {
    struct fmtf sp = *f;
    sp.zero = false;
    const char *s = num;
    if (num[1] == 'N' && !f->space && !f->plus)
      s++;
    pads(b, &sp, s);
    return;
  }
  if (f->plus || num[0] != '+') {
    if (f->zero && f->wid_present && f->wid > (int)len) {
      tbuf_addc(b, num[0]);
      write_padding(b, f, f->wid - (int)len);
      tbuf_add(b, num + 1, len - 1);
      return;
    }
    pad(b, f, num, len);
    return;
  }
  pad(b, f, num + 1, len - 1);
}

static void fmt_float(struct tbuf *b, struct fmtf *f, double v, int verb) {
  char num[400];
  if (isnan(v) || isinf(v)) {
    snprintf(num, sizeof(num), "%s", isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
    fmt_float_text(b, f, num);
    return;
  }
  bool shortest = !f->prec_present && (verb == 'v' || verb == 'g' || verb == 'G');
  if (shortest) {
    struct tbuf t = {0};
    float_shortest_g(&t, v);
    if (verb == 'G')
      for (size_t i = 0; i < t.len; i++)
        if (t.s[i] == 'e')
          t.s[i] = 'E';
    fmt_float_text(b, f, t.s);
    tbuf_free(&t);
    return;
  }
  int prec = f->prec_present ? f->prec : 6;
  if (prec > 300)
    prec = 300;
  int c = verb == 'v' ? 'g' : verb == 'F' ? 'f' : verb == 'x' ? 'a' : verb == 'X' ? 'A' : verb;
  if (verb == 'x' || verb == 'X') {
    if (f->prec_present)
      snprintf(num, sizeof(num), c == 'a' ? "%.*a" : "%.*A", prec, v);
    else if (c == 'a')
      snprintf(num, sizeof(num), "%a", v);
    else
      snprintf(num, sizeof(num), "%A", v);
    /* Go writes at least two exponent digits: 0x1p+00 */
    char *p = strpbrk(num, "pP");
    if (p && (p[1] == '+' || p[1] == '-') && p[2] && p[3] == '\0') {
      p[4] = '\0';
      p[3] = p[2];
      p[2] = '0';
    }
  } else {
    /* literal formats only: -Wformat-nonliteral */
    switch (c) {
      case 'e': snprintf(num, sizeof(num), f->sharp ? "%#.*e" : "%.*e", prec, v); break;
      case 'E': snprintf(num, sizeof(num), f->sharp ? "%#.*E" : "%.*E", prec, v); break;
      case 'f': snprintf(num, sizeof(num), f->sharp ? "%#.*f" : "%.*f", prec, v); break;
      case 'G': snprintf(num, sizeof(num), f->sharp ? "%#.*G" : "%.*G", prec, v); break;
      default: snprintf(num, sizeof(num), f->sharp ? "%#.*g" : "%.*g", prec, v); break;
    }
  }
  fmt_float_text(b, f, num);
}

static void fmt_string(struct tbuf *b, struct fmtf *f, const char *s, size_t n, int verb) {
  if (f->prec_present && (verb == 's' || verb == 'v' || verb == 'q')) {
    size_t i = 0;
    for (int k = 0; k < f->prec && i < n; k++) {
      int w;
      utf8_decode(s + i, n - i, &w);
      i += (size_t)w;
    }
    n = i;
  }
  if (verb == 'q' || (verb == 'v' && f->sharp_v)) {
    bool back = f->sharp && verb == 'q';
    for (size_t i = 0; back && i < n; i++) {
      unsigned char c = (unsigned char)s[i];
      if (c == '`' || c == 0x7F || (c < ' ' && c != '\t'))
        back = false;
    }
    struct tbuf t = {0};
    if (back) {
      tbuf_addc(&t, '`');
      tbuf_add(&t, s, n);
      tbuf_addc(&t, '`');
    } else {
      go_quote(&t, s, n, f->plus);
    }
    pad(b, f, t.s, t.len);
    tbuf_free(&t);
    return;
  }
  if (verb == 'x' || verb == 'X') {
    const char *digits = verb == 'x' ? "0123456789abcdefx" : "0123456789ABCDEFX";
    size_t length = n;
    if (f->prec_present && (size_t)f->prec < length)
      length = (size_t)f->prec;
    int width = 2 * (int)length;
    if (width == 0) {
      if (f->wid_present)
        write_padding(b, f, f->wid);
      return;
    }
    if (f->space) {
      if (f->sharp)
        width *= 2;
      width += (int)length - 1;
    } else if (f->sharp) {
      width += 2;
    }
    if (f->wid_present && f->wid > width && !f->minus)
      write_padding(b, f, f->wid - width);
    if (f->sharp) {
      tbuf_addc(b, '0');
      tbuf_addc(b, digits[16]);
    }
    for (size_t i = 0; i < length; i++) {
      if (f->space && i > 0) {
        tbuf_addc(b, ' ');
        if (f->sharp) {
          tbuf_addc(b, '0');
          tbuf_addc(b, digits[16]);
        }
      }
      unsigned char c = (unsigned char)s[i];
      tbuf_addc(b, digits[c >> 4]);
      tbuf_addc(b, digits[c & 15]);
    }
    if (f->wid_present && f->wid > width && f->minus) {
      struct fmtf sp = *f;
      sp.zero = false;
      write_padding(b, &sp, f->wid - width);
    }
    return;
  }
  pad(b, f, s, n);
}

static void print_go_syntax(struct tbuf *b, struct fmtf *f, const json_t *j, int depth);

/* The keys of an object in Go's map printing order (sorted bytewise). */
static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char **sorted_keys(const json_t *obj, size_t *n) {
  *n = json_object_size(obj);
  const char **keys = xmalloc((*n ? *n : 1) * sizeof(*keys));
  size_t i = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)obj, k, v) {
    keys[i++] = k;
  }
  qsort(keys, *n, sizeof(*keys), cmp_keys);
  return keys;
}

/* printArg / printValue: one value under one verb.  Containers apply the
 * verb to each element, and a nil inside a container prints <nil>. */
static void print_value(struct tbuf *b, struct fmtf *f, const json_t *j, int verb, int depth) {
  if (j == NULL || json_is_null(j)) {
    if (depth > 0 || verb == 'v' || verb == 'T') {
      if (verb == 'v' && f->sharp_v && depth > 0)
        tbuf_adds(b, "interface {}(nil)");
      else
        pads(b, f, "<nil>");
    } else {
      bad_verb(b, f, j, verb);
    }
    return;
  }
  if (verb == 'T') {
    pads(b, f, go_type_name(j));
    return;
  }
  if (verb == 'v' && f->sharp_v) {
    print_go_syntax(b, f, j, depth);
    return;
  }
  switch (json_typeof(j)) {
    case JSON_TRUE:
    case JSON_FALSE:
      if (verb == 't' || verb == 'v')
        pads(b, f, json_is_true(j) ? "true" : "false");
      else
        bad_verb(b, f, j, verb);
      return;
    case JSON_INTEGER: {
      long long v = json_integer_value(j);
      switch (verb) {
        case 'v':
        case 'd': fmt_integer(b, f, v, 10, verb, false); return;
        case 'b': fmt_integer(b, f, v, 2, verb, false); return;
        case 'o':
        case 'O': fmt_integer(b, f, v, 8, verb, false); return;
        case 'x': fmt_integer(b, f, v, 16, verb, false); return;
        case 'X': fmt_integer(b, f, v, 16, verb, true); return;
        case 'c':
        case 'q': {
          int32_t r = (v < 0 || v > 0x10FFFF) ? 0xFFFD : (int32_t)v;
          char enc[4];
          int w = tmpl_utf8_encode(r, enc);
          struct tbuf t = {0};
          if (verb == 'c')
            tbuf_add(&t, enc, (size_t)w);
          else
            go_quote_char(&t, enc, (size_t)w, '\'', f->plus);
          pad(b, f, t.s, t.len);
          tbuf_free(&t);
          return;
        }
        case 'U': {
          struct tbuf t = {0};
          unsigned long long u = (unsigned long long)v;
          int prec = f->prec_present && f->prec > 4 ? f->prec : 4;
          tbuf_addf(&t, "U+%0*llX", prec, u);
          if (f->sharp && u <= 0x10FFFF && go_isprint((int32_t)u)) {
            char enc[4];
            tbuf_adds(&t, " '");
            tbuf_add(&t, enc, (size_t)tmpl_utf8_encode((int32_t)u, enc));
            tbuf_addc(&t, '\'');
          }
          struct fmtf sp = *f;
          sp.zero = false;
          pad(b, &sp, t.s, t.len);
          tbuf_free(&t);
          return;
        }
        default: bad_verb(b, f, j, verb); return;
      }
    }
    case JSON_REAL:
      switch (verb) {
        case 'v':
        case 'g':
        case 'G':
        case 'x':
        case 'X':
        case 'f':
        case 'F':
        case 'e':
        case 'E': fmt_float(b, f, json_real_value(j), verb); return;
        default: bad_verb(b, f, j, verb); return;
      }
    case JSON_STRING:
      switch (verb) {
        case 'v':
        case 's':
        case 'x':
        case 'X':
        case 'q': fmt_string(b, f, json_string_value(j), json_string_length(j), verb); return;
        default: bad_verb(b, f, j, verb); return;
      }
    case JSON_OBJECT: {
      size_t n;
      const char **keys = sorted_keys(j, &n);
      tbuf_adds(b, "map[");
      for (size_t i = 0; i < n; i++) {
        if (i)
          tbuf_addc(b, ' ');
        json_t *k = json_string(keys[i]);
        print_value(b, f, k, verb, depth + 1);
        json_decref(k);
        tbuf_addc(b, ':');
        print_value(b, f, json_object_get(j, keys[i]), verb, depth + 1);
      }
      tbuf_addc(b, ']');
      free(keys);
      return;
    }
    case JSON_ARRAY:
      tbuf_addc(b, '[');
      for (size_t i = 0; i < json_array_size(j); i++) {
        if (i)
          tbuf_addc(b, ' ');
        print_value(b, f, json_array_get(j, i), verb, depth + 1);
      }
      tbuf_addc(b, ']');
      return;
    case JSON_NULL: return;
  }
}

/* %#v: Go syntax, for completeness. */
static void print_go_syntax(struct tbuf *b, struct fmtf *f, const json_t *j, int depth) {
  switch (json_typeof(j)) {
    case JSON_OBJECT: {
      size_t n;
      const char **keys = sorted_keys(j, &n);
      tbuf_adds(b, "map[string]interface {}{");
      for (size_t i = 0; i < n; i++) {
        if (i)
          tbuf_adds(b, ", ");
        go_quote(b, keys[i], strlen(keys[i]), false);
        tbuf_addc(b, ':');
        print_value(b, f, json_object_get(j, keys[i]), 'v', depth + 1);
      }
      tbuf_addc(b, '}');
      free(keys);
      return;
    }
    case JSON_ARRAY:
      tbuf_adds(b, "[]interface {}{");
      for (size_t i = 0; i < json_array_size(j); i++) {
        if (i)
          tbuf_adds(b, ", ");
        print_value(b, f, json_array_get(j, i), 'v', depth + 1);
      }
      tbuf_addc(b, '}');
      return;
    default: {
      struct fmtf plain = *f;
      plain.sharp_v = false;
      print_value(b, &plain, j, json_is_string(j) ? 'q' : 'v', depth);
    }
  }
}

void go_print(struct tbuf *b, const json_t *j) {
  struct fmtf f = {0};
  print_value(b, &f, j, 'v', 0);
}

void go_sprint(struct tbuf *b, json_t *const *args, size_t n) {
  bool prev_string = false;
  for (size_t i = 0; i < n; i++) {
    bool is_string = args[i] && json_is_string(args[i]);
    if (i > 0 && !is_string && !prev_string)
      tbuf_addc(b, ' ');
    go_print(b, args[i]);
    prev_string = is_string;
  }
}

void go_sprintln(struct tbuf *b, json_t *const *args, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      tbuf_addc(b, ' ');
    go_print(b, args[i]);
  }
  tbuf_addc(b, '\n');
}

/* fmt's parsenum: digits at s[*i..end), at most 1e6. */
static bool parsenum(const char *s, size_t *i, size_t end, int *num) {
  bool ok = false;
  *num = 0;
  while (*i < end && s[*i] >= '0' && s[*i] <= '9') {
    if (*num > 1000000)
      return false; /* Go: too large, not ok */
    *num = *num * 10 + (s[*i] - '0');
    ok = true;
    (*i)++;
  }
  return ok;
}

struct pf {
  const char *s;
  size_t end;
  json_t *const *args;
  size_t nargs;
  bool reordered, good_argnum;
};

/* An explicit argument index "[n]" at s[*i]. */
static size_t arg_number(struct pf *p, size_t argnum, size_t *i, bool *found) {
  *found = false;
  if (*i >= p->end || p->s[*i] != '[')
    return argnum;
  p->reordered = true;
  size_t j = *i + 1;
  while (j < p->end && p->s[j] != ']')
    j++;
  if (p->end - *i < 3 || j >= p->end) {
    (*i)++;
    p->good_argnum = false;
    return argnum;
  }
  size_t k = *i + 1;
  int n;
  bool ok = parsenum(p->s, &k, j, &n) && k == j;
  *i = j + 1;
  if (ok && n >= 1 && (size_t)(n - 1) < p->nargs) {
    *found = true;
    return (size_t)(n - 1);
  }
  p->good_argnum = false;
  *found = ok;
  return argnum;
}

/* intFromArg: a '*' width or precision. */
static bool int_from_arg(struct pf *p, size_t *argnum, int *out) {
  bool ok = false;
  *out = 0;
  if (*argnum < p->nargs) {
    json_t *a = p->args[*argnum];
    if (a && json_is_integer(a)) {
      long long v = json_integer_value(a);
      if (v >= -1000000 && v <= 1000000) {
        *out = (int)v;
        ok = true;
      }
    }
    (*argnum)++;
  }
  return ok;
}

void go_sprintf(struct tbuf *b, const char *format, size_t flen, json_t *const *args, size_t n) {
  struct pf p = {.s = format, .end = flen, .args = args, .nargs = n};
  size_t argnum = 0;
  for (size_t i = 0; i < flen;) {
    p.good_argnum = true;
    size_t lasti = i;
    while (i < flen && format[i] != '%')
      i++;
    if (i > lasti)
      tbuf_add(b, format + lasti, i - lasti);
    if (i >= flen)
      break;
    i++;
    struct fmtf f = {0};
    for (; i < flen; i++) {
      char c = format[i];
      if (c == '#')
        f.sharp = true;
      else if (c == '0')
        f.zero = !f.minus;
      else if (c == '+')
        f.plus = true;
      else if (c == '-')
        f.minus = true, f.zero = false;
      else if (c == ' ')
        f.space = true;
      else
        break;
    }
    bool after;
    argnum = arg_number(&p, argnum, &i, &after);
    if (i < flen && format[i] == '*') {
      i++;
      f.wid_present = int_from_arg(&p, &argnum, &f.wid);
      if (!f.wid_present)
        tbuf_adds(b, "%!(BADWIDTH)");
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;
      }
      after = false;
    } else {
      f.wid_present = parsenum(format, &i, flen, &f.wid);
      if (after && f.wid_present)
        p.good_argnum = false;
    }
    if (i + 1 < flen && format[i] == '.') {
      i++;
      if (after)
        p.good_argnum = false;
      argnum = arg_number(&p, argnum, &i, &after);
      if (i < flen && format[i] == '*') {
        i++;
        f.prec_present = int_from_arg(&p, &argnum, &f.prec);
        if (f.prec < 0) {
          f.prec = 0;
          f.prec_present = false;
        }
        if (!f.prec_present)
          tbuf_adds(b, "%!(BADPREC)");
        after = false;
      } else {
        f.prec_present = parsenum(format, &i, flen, &f.prec);
        if (!f.prec_present) {
          f.prec = 0;
          f.prec_present = true;
        }
      }
    }
    if (!after)
      argnum = arg_number(&p, argnum, &i, &after);
    if (i >= flen) {
      tbuf_adds(b, "%!(NOVERB)");
      break;
    }
    int w;
    int32_t verb = utf8_decode(format + i, flen - i, &w);
    i += (size_t)w;
    char enc[4];
    if (verb == '%') {
      tbuf_addc(b, '%');
    } else if (!p.good_argnum) {
      tbuf_adds(b, "%!");
      tbuf_add(b, enc, (size_t)tmpl_utf8_encode(verb, enc));
      tbuf_adds(b, "(BADINDEX)");
    } else if (argnum >= n) {
      tbuf_adds(b, "%!");
      tbuf_add(b, enc, (size_t)tmpl_utf8_encode(verb, enc));
      tbuf_adds(b, "(MISSING)");
    } else {
      if (verb == 'v') {
        f.sharp_v = f.sharp;
        f.sharp = false;
        f.plus_v = f.plus;
        f.plus = false;
      }
      print_value(b, &f, args[argnum], verb, 0);
      argnum++;
    }
  }
  if (!p.reordered && argnum < n) {
    tbuf_adds(b, "%!(EXTRA ");
    for (size_t i = argnum; i < n; i++) {
      if (i > argnum)
        tbuf_adds(b, ", ");
      if (args[i] == NULL || json_is_null(args[i])) {
        tbuf_adds(b, "<nil>");
      } else {
        tbuf_adds(b, go_type_name(args[i]));
        tbuf_addc(b, '=');
        go_print(b, args[i]);
      }
    }
    tbuf_addc(b, ')');
  }
}
