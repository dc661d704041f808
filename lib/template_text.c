/* template_text.c — UTF-8 and the string forms of templates: Go's
 * strings.ToLower/ToUpper/Title, text/template's html, js and urlquery
 * escapers, strconv.Quote, and encoding/json as docker's `json` uses it.
 *
 * Case mapping covers ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic and
 * fullwidth Latin: what names, labels and paths in container data use.
 * Other runes keep their case. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "template_int.h"

int32_t utf8_decode(const char *str, size_t n, int *w) {
  const unsigned char *s = (const unsigned char *)str;
  unsigned c = s[0];
  *w = 1;
  if (c < 0x80)
    return (int32_t)c;
  int len;
  int32_t r, min;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2, r = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3, r = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4, r = c & 0x07, min = 0x10000;
  else
    return 0xFFFD;
  if ((size_t)len > n)
    return 0xFFFD;
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0xFFFD;
    r = (r << 6) | (s[i] & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
    return 0xFFFD;
  *w = len;
  return r;
}

int tmpl_utf8_encode(int32_t r, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
    r = 0xFFFD;
  if (r < 0x80) {
    o[0] = (unsigned char)r;
    return 1;
  }
  if (r < 0x800) {
    o[0] = (unsigned char)(0xC0 | (r >> 6));
    o[1] = (unsigned char)(0x80 | (r & 0x3F));
    return 2;
  }
  if (r < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (r >> 12));
    o[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (r & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (r >> 18));
  o[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (r & 0x3F));
  return 4;
}

size_t utf8_count(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; count++) {
    int w;
    utf8_decode(s + i, n - i, &w);
    i += (size_t)w;
  }
  return count;
}

bool go_isprint(int32_t r) {
  if (r < 0x20 || r == 0x7F)
    return false;
  if (r < 0x7F)
    return true;
  if (r < 0xA1 || r == 0xAD) /* C1 controls, no-break space, soft hyphen */
    return false;
  if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F))
    return false; /* spaces other than U+0020, format characters, separators */
  if (r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0x180E)
    return false;
  if ((r >= 0xD800 && r < 0xE000) || (r >= 0xE000 && r <= 0xF8FF) || r > 0x10FFFF)
    return false;             /* surrogates, private use */
  if ((r & 0xFFFE) == 0xFFFE) /* noncharacters */
    return false;
  return true;
}

/* Simple case mappings (unicode.ToLower / ToUpper) for the ranges above. */
static int32_t rune_lower(int32_t r) {
  if (r < 0x80)
    return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  if ((r >= 0xC0 && r <= 0xDE && r != 0xD7) || (r >= 0x391 && r <= 0x3AB && r != 0x3A2) ||
      (r >= 0x410 && r <= 0x42F) || (r >= 0xFF21 && r <= 0xFF3A))
    return r + 32;
  if (r >= 0x400 && r <= 0x40F)
    return r + 80;
  if (r == 0x178)
    return 0xFF;
  if (r == 0x130)
    return 'i';
  if (r == 0x386)
    return 0x3AC;
  if (r >= 0x388 && r <= 0x38A)
    return r + 37;
  if (r == 0x38C)
    return 0x3CC;
  if (r == 0x38E || r == 0x38F)
    return r + 63;
  if ((r >= 0x100 && r <= 0x12F) || (r >= 0x132 && r <= 0x137) || (r >= 0x14A && r <= 0x177) ||
      (r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF) || (r >= 0x4D0 && r <= 0x52F))
    return r | 1;
  if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E) || (r >= 0x4C1 && r <= 0x4CE))
    return (r & 1) ? r + 1 : r;
  return r;
}

static int32_t rune_upper(int32_t r) {
  if (r < 0x80)
    return (r >= 'a' && r <= 'z') ? r - 32 : r;
  if ((r >= 0xE0 && r <= 0xFE && r != 0xF7) || (r >= 0x3B1 && r <= 0x3CB && r != 0x3C2) ||
      (r >= 0x430 && r <= 0x44F) || (r >= 0xFF41 && r <= 0xFF5A))
    return r - 32;
  if (r >= 0x450 && r <= 0x45F)
    return r - 80;
  if (r == 0xFF)
    return 0x178;
  if (r == 0xB5)
    return 0x39C;
  if (r == 0x131)
    return 'I';
  if (r == 0x17F)
    return 'S';
  if (r == 0x3C2)
    return 0x3A3;
  if (r == 0x3AC)
    return 0x386;
  if (r >= 0x3AD && r <= 0x3AF)
    return r - 37;
  if (r == 0x3CC)
    return 0x38C;
  if (r == 0x3CD || r == 0x3CE)
    return r - 63;
  if ((r >= 0x100 && r <= 0x12F) || (r >= 0x132 && r <= 0x137) || (r >= 0x14A && r <= 0x177) ||
      (r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF) || (r >= 0x4D0 && r <= 0x52F))
    return r & ~1;
  if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E) || (r >= 0x4C1 && r <= 0x4CE))
    return (r & 1) ? r : r - 1;
  return r;
}

static bool all_ascii(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80)
      return false;
  return true;
}

/* strings.Map: invalid UTF-8 comes out as U+FFFD, as Go's does. */
static void map_runes(struct tbuf *b, const char *s, size_t n, int32_t (*f)(int32_t)) {
  if (all_ascii(s, n)) {
    size_t start = b->len;
    tbuf_add(b, s, n);
    for (size_t i = start; i < b->len; i++)
      b->s[i] = (char)f((unsigned char)b->s[i]);
    return;
  }
  for (size_t i = 0; i < n;) {
    int w;
    int32_t r = utf8_decode(s + i, n - i, &w);
    char enc[4];
    tbuf_add(b, enc, (size_t)tmpl_utf8_encode(f(r), enc));
    i += (size_t)w;
  }
}

void text_lower(struct tbuf *b, const char *s, size_t n) {
  map_runes(b, s, n, rune_lower);
}

void text_upper(struct tbuf *b, const char *s, size_t n) {
  map_runes(b, s, n, rune_upper);
}

/* strings.Title's isSeparator. */
static bool is_separator(int32_t r) {
  if (r < 0x80) {
    if ((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_')
      return false;
    return true;
  }
  if (r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 ||
      r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000)
    return true; /* unicode.IsSpace */
  return false;
}

void text_title(struct tbuf *b, const char *s, size_t n) {
  int32_t prev = ' ';
  bool ascii = all_ascii(s, n);
  for (size_t i = 0; i < n;) {
    int w;
    int32_t r = utf8_decode(s + i, n - i, &w);
    int32_t out = is_separator(prev) ? rune_upper(r) : r;
    prev = r;
    if (ascii) {
      tbuf_addc(b, (char)out);
    } else {
      char enc[4];
      tbuf_add(b, enc, (size_t)tmpl_utf8_encode(out, enc));
    }
    i += (size_t)w;
  }
}

void text_html(struct tbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
      case '\0': tbuf_adds(b, "\xEF\xBF\xBD"); break;
      case '"': tbuf_adds(b, "&#34;"); break;
      case '\'': tbuf_adds(b, "&#39;"); break;
      case '&': tbuf_adds(b, "&amp;"); break;
      case '<': tbuf_adds(b, "&lt;"); break;
      case '>': tbuf_adds(b, "&gt;"); break;
      default: tbuf_addc(b, s[i]);
    }
  }
}

void text_js(struct tbuf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      switch (c) {
        case '\\': tbuf_adds(b, "\\\\"); break;
        case '\'': tbuf_adds(b, "\\'"); break;
        case '"': tbuf_adds(b, "\\\""); break;
        case '<': tbuf_adds(b, "\\u003C"); break;
        case '>': tbuf_adds(b, "\\u003E"); break;
        case '&': tbuf_adds(b, "\\u0026"); break;
        case '=': tbuf_adds(b, "\\u003D"); break;
        default:
          if (c < ' ') {
            tbuf_adds(b, "\\u00");
            tbuf_addc(b, hex[c >> 4]);
            tbuf_addc(b, hex[c & 15]);
          } else {
            tbuf_addc(b, (char)c);
          }
      }
      i++;
      continue;
    }
    int w;
    int32_t r = utf8_decode(s + i, n - i, &w);
    if (go_isprint(r))
      tbuf_add(b, s + i, (size_t)w);
    else
      tbuf_addf(b, "\\u%04X", (unsigned)r);
    i += (size_t)w;
  }
}

void text_urlquery(struct tbuf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      tbuf_addc(b, (char)c);
    } else if (c == ' ') {
      tbuf_addc(b, '+');
    } else {
      tbuf_addc(b, '%');
      tbuf_addc(b, hex[c >> 4]);
      tbuf_addc(b, hex[c & 15]);
    }
  }
}

/* ---- strconv quoting ---- */

void go_quote_char(struct tbuf *b, const char *s, size_t n, char q, bool ascii) {
  static const char hex[] = "0123456789abcdef";
  tbuf_addc(b, q);
  for (size_t i = 0; i < n;) {
    int w;
    int32_t r = utf8_decode(s + i, n - i, &w);
    if (r == 0xFFFD && w == 1) {
      tbuf_adds(b, "\\x");
      tbuf_addc(b, hex[(unsigned char)s[i] >> 4]);
      tbuf_addc(b, hex[(unsigned char)s[i] & 15]);
      i++;
      continue;
    }
    i += (size_t)w;
    if (r == q || r == '\\') {
      tbuf_addc(b, '\\');
      tbuf_addc(b, (char)r);
      continue;
    }
    if (ascii ? (r < 0x7F && go_isprint(r)) : go_isprint(r)) {
      char enc[4];
      tbuf_add(b, enc, (size_t)tmpl_utf8_encode(r, enc));
      continue;
    }
    switch (r) {
      case '\a': tbuf_adds(b, "\\a"); break;
      case '\b': tbuf_adds(b, "\\b"); break;
      case '\f': tbuf_adds(b, "\\f"); break;
      case '\n': tbuf_adds(b, "\\n"); break;
      case '\r': tbuf_adds(b, "\\r"); break;
      case '\t': tbuf_adds(b, "\\t"); break;
      case '\v': tbuf_adds(b, "\\v"); break;
      default:
        if (r < ' ' || r == 0x7F)
          tbuf_addf(b, "\\x%c%c", hex[r >> 4], hex[r & 15]);
        else if (r < 0x10000)
          tbuf_addf(b, "\\u%04x", (unsigned)r);
        else
          tbuf_addf(b, "\\U%08x", (unsigned)r);
    }
  }
  tbuf_addc(b, q);
}

void go_quote(struct tbuf *b, const char *s, size_t n, bool ascii) {
  go_quote_char(b, s, n, '"', ascii);
}

char *tmpl_go_quote(const char *s, size_t n) {
  struct tbuf b = {0};
  go_quote(&b, s, n, false);
  return tbuf_steal(&b, NULL);
}

/* ---- json ---- */

static void json_string_out(struct tbuf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  tbuf_addc(b, '"');
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\') {
        tbuf_addc(b, (char)c);
      } else {
        tbuf_addc(b, '\\');
        switch (c) {
          case '"':
          case '\\': tbuf_addc(b, (char)c); break;
          case '\b': tbuf_addc(b, 'b'); break;
          case '\f': tbuf_addc(b, 'f'); break;
          case '\n': tbuf_addc(b, 'n'); break;
          case '\r': tbuf_addc(b, 'r'); break;
          case '\t': tbuf_addc(b, 't'); break;
          default:
            tbuf_adds(b, "u00");
            tbuf_addc(b, hex[c >> 4]);
            tbuf_addc(b, hex[c & 15]);
        }
      }
      i++;
      continue;
    }
    int w;
    int32_t r = utf8_decode(s + i, n - i, &w);
    if (r == 0xFFFD && w == 1)
      tbuf_adds(b, "\\ufffd");
    else if (r == 0x2028 || r == 0x2029)
      tbuf_addf(b, "\\u%04x", (unsigned)r);
    else
      tbuf_add(b, s + i, (size_t)w);
    i += (size_t)w;
  }
  tbuf_addc(b, '"');
}

void go_json(struct tbuf *b, const json_t *j) {
  if (j == NULL) {
    tbuf_adds(b, "null");
    return;
  }
  switch (json_typeof(j)) {
    case JSON_OBJECT: {
      tbuf_addc(b, '{');
      const char *k;
      json_t *v;
      bool first = true;
      json_object_foreach((json_t *)j, k, v) {
        if (!first)
          tbuf_addc(b, ',');
        first = false;
        json_string_out(b, k, strlen(k));
        tbuf_addc(b, ':');
        go_json(b, v);
      }
      tbuf_addc(b, '}');
      break;
    }
    case JSON_ARRAY:
      tbuf_addc(b, '[');
      for (size_t i = 0; i < json_array_size(j); i++) {
        if (i)
          tbuf_addc(b, ',');
        go_json(b, json_array_get(j, i));
      }
      tbuf_addc(b, ']');
      break;
    case JSON_STRING: json_string_out(b, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: tbuf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j)); break;
    case JSON_REAL: {
      /* encoding/json's floatEncoder: 'f' unless the magnitude is below
       * 1e-6 or at least 1e21, then 'e' with e-07 shortened to e-7 */
      double f = json_real_value(j);
      if (signbit(f))
        tbuf_addc(b, '-');
      f = fabs(f);
      if (f == 0) {
        tbuf_addc(b, '0');
        break;
      }
      char d[32];
      int nd, dp;
      go_float_digits(f, d, &nd, &dp);
      if (f < 1e-6 || f >= 1e21)
        go_layout_e(b, d, nd, dp, dp - 1 < 0 ? 1 : 2);
      else
        go_layout_f(b, d, nd, dp);
      break;
    }
    case JSON_TRUE: tbuf_adds(b, "true"); break;
    case JSON_FALSE: tbuf_adds(b, "false"); break;
    case JSON_NULL: tbuf_adds(b, "null"); break;
  }
}

char *tmpl_json(const json_t *j) {
  struct tbuf b = {0};
  go_json(&b, j);
  return tbuf_steal(&b, NULL);
}
