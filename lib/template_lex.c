/* template_lex.c — the lexer of Go's text/template.
 *
 * It follows Go's state machine (text, left delimiter, comment, inside an
 * action, right delimiter) and produces every token before parsing starts.
 * A lexing error becomes the last token, so the parser reports it exactly
 * when Go's parser would meet it, with Go's text ("bad character U+007D
 * '}'", "unclosed action", ...). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

struct lexer {
  const char *in;
  size_t n;
  size_t pos, start;
  int line, start_line;
  int paren_depth;
  bool at_eof;
  struct tok *toks;
  size_t ntoks, cap;
  struct arena **arena;
};

enum lstate { L_TEXT, L_LEFT, L_COMMENT, L_RIGHT, L_INSIDE, L_DONE };

#define LEOF (-1)

static int32_t lnext(struct lexer *l) {
  if (l->pos >= l->n) {
    l->at_eof = true;
    return LEOF;
  }
  int w;
  int32_t r = utf8_decode(l->in + l->pos, l->n - l->pos, &w);
  l->pos += (size_t)w;
  if (r == '\n')
    l->line++;
  return r;
}

static void lbackup(struct lexer *l) {
  if (l->at_eof || l->pos == 0)
    return;
  /* step back over one rune: continuation bytes are 10xxxxxx */
  size_t p = l->pos - 1;
  size_t lim = l->pos >= 4 ? l->pos - 4 : 0;
  while (p > lim && ((unsigned char)l->in[p] & 0xC0) == 0x80)
    p--;
  int w;
  utf8_decode(l->in + p, l->n - p, &w);
  if (p + (size_t)w != l->pos)
    p = l->pos - 1; /* an invalid byte was read as one rune */
  if (l->in[p] == '\n')
    l->line--;
  l->pos = p;
}

static int32_t lpeek(struct lexer *l) {
  int32_t r = lnext(l);
  lbackup(l);
  return r;
}

static void lpush(struct lexer *l, enum tok_type typ, size_t pos, const char *val, size_t len,
                  int line) {
  if (l->ntoks == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->toks = xrealloc(l->toks, l->cap * sizeof(*l->toks));
  }
  l->toks[l->ntoks++] = (struct tok){typ, pos, val, len, line};
}

static void lemit(struct lexer *l, enum tok_type typ) {
  lpush(l, typ, l->start, l->in + l->start, l->pos - l->start, l->start_line);
  l->start = l->pos;
  l->start_line = l->line;
}

static void lignore(struct lexer *l) {
  for (size_t i = l->start; i < l->pos; i++)
    if (l->in[i] == '\n')
      l->line++;
  l->start = l->pos;
  l->start_line = l->line;
}

static enum lstate lerrorf(struct lexer *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum lstate lerrorf(struct lexer *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *m = xvasprintf(fmt, ap);
  va_end(ap);
  char *v = arena_strndup(l->arena, m, strlen(m));
  lpush(l, T_ERROR, l->start, v, strlen(v), l->start_line);
  free(m);
  return L_DONE;
}

static bool is_space(int32_t r) {
  return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

/* Go's unicode.IsLetter || IsDigit, approximated: ASCII exactly; above it
 * every printable rune except the symbol and punctuation blocks. */
static bool is_alnum(int32_t r) {
  if (r < 0)
    return false;
  if (r < 0x80)
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
  if (r < 0xC0) /* Latin-1 punctuation and symbols, but for ª µ º */
    return r == 0xAA || r == 0xB5 || r == 0xBA;
  if (r == 0xD7 || r == 0xF7 || (r >= 0x2000 && r <= 0x2BFF) || (r >= 0x3000 && r <= 0x303F) ||
      (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF0F) ||
      (r >= 0x1F000 && r <= 0x1FAFF))
    return false;
  return r != 0xFFFD && go_isprint(r);
}

static bool has_left_trim(const char *s, size_t n) {
  return n >= 2 && s[0] == '-' && is_space((unsigned char)s[1]);
}

static bool has_right_trim(const char *s, size_t n) {
  return n >= 2 && is_space((unsigned char)s[0]) && s[1] == '-';
}

static bool has_prefix(const char *s, size_t n, const char *p) {
  size_t pl = strlen(p);
  return n >= pl && memcmp(s, p, pl) == 0;
}

/* Go's %#U: U+007D '}' (the quoted rune only when printable). */
static void fmt_rune_u(char *out, size_t sz, int32_t r) {
  if (go_isprint(r)) {
    char enc[5] = {0};
    enc[tmpl_utf8_encode(r, enc)] = '\0';
    snprintf(out, sz, "U+%04X '%s'", (unsigned)r, enc);
  } else {
    snprintf(out, sz, "U+%04X", (unsigned)r);
  }
}

static enum lstate lex_text(struct lexer *l) {
  const char *found = memmem(l->in + l->pos, l->n - l->pos, "{{", 2);
  if (found) {
    l->pos = (size_t)(found - l->in);
    size_t trim = 0;
    if (has_left_trim(l->in + l->pos + 2, l->n - l->pos - 2)) {
      size_t s = l->pos;
      while (s > l->start && is_space((unsigned char)l->in[s - 1]))
        s--;
      trim = l->pos - s;
    }
    l->pos -= trim;
    if (l->pos > l->start) {
      for (size_t i = l->start; i < l->pos; i++)
        if (l->in[i] == '\n')
          l->line++;
      lemit(l, T_TEXT);
    }
    l->pos += trim;
    lignore(l);
    return L_LEFT;
  }
  l->pos = l->n;
  if (l->pos > l->start) {
    for (size_t i = l->start; i < l->pos; i++)
      if (l->in[i] == '\n')
        l->line++;
    lemit(l, T_TEXT);
  }
  lemit(l, T_EOF);
  return L_DONE;
}

static bool at_right_delim(struct lexer *l, bool *trim) {
  const char *s = l->in + l->pos;
  size_t n = l->n - l->pos;
  if (has_right_trim(s, n) && has_prefix(s + 2, n - 2, "}}")) {
    *trim = true;
    return true;
  }
  *trim = false;
  return has_prefix(s, n, "}}");
}

static enum lstate lex_left(struct lexer *l) {
  l->pos += 2;
  bool trim = has_left_trim(l->in + l->pos, l->n - l->pos);
  size_t after = trim ? 2 : 0;
  if (has_prefix(l->in + l->pos + after, l->n - l->pos - after, "/*")) {
    l->pos += after;
    lignore(l);
    return L_COMMENT;
  }
  lemit(l, T_LDELIM);
  l->pos += after;
  lignore(l);
  l->paren_depth = 0;
  return L_INSIDE;
}

static enum lstate lex_comment(struct lexer *l) {
  l->pos += 2;
  const char *end = memmem(l->in + l->pos, l->n - l->pos, "*/", 2);
  if (end == NULL)
    return lerrorf(l, "unclosed comment");
  l->pos = (size_t)(end - l->in) + 2;
  bool trim;
  if (!at_right_delim(l, &trim))
    return lerrorf(l, "comment ends before closing delimiter");
  if (trim)
    l->pos += 2;
  l->pos += 2;
  if (trim)
    while (l->pos < l->n && is_space((unsigned char)l->in[l->pos]))
      l->pos++;
  lignore(l);
  return L_TEXT;
}

static enum lstate lex_right(struct lexer *l) {
  bool trim = has_right_trim(l->in + l->pos, l->n - l->pos);
  if (trim) {
    l->pos += 2;
    lignore(l);
  }
  l->pos += 2;
  lemit(l, T_RDELIM);
  if (trim) {
    while (l->pos < l->n && is_space((unsigned char)l->in[l->pos]))
      l->pos++;
    lignore(l);
  }
  return L_TEXT;
}

static bool at_terminator(struct lexer *l) {
  int32_t r = lpeek(l);
  if (is_space(r))
    return true;
  switch (r) {
    case LEOF:
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(': return true;
  }
  return has_prefix(l->in + l->pos, l->n - l->pos, "}}");
}

static enum lstate lex_space(struct lexer *l) {
  int spaces = 0;
  while (is_space(lpeek(l))) {
    lnext(l);
    spaces++;
  }
  const char *s = l->in + l->pos - 1;
  size_t n = l->n - l->pos + 1;
  if (has_right_trim(s, n) && has_prefix(s + 2, n - 2, "}}")) {
    lbackup(l);
    if (spaces == 1)
      return L_RIGHT;
  }
  lemit(l, T_SPACE);
  return L_INSIDE;
}

static const struct {
  const char *word;
  enum tok_type typ;
} keywords[] = {
    {".", T_DOT},         {"block", T_BLOCK}, {"break", T_BREAK},       {"continue", T_CONTINUE},
    {"define", T_DEFINE}, {"else", T_ELSE},   {"end", T_END},           {"if", T_IF},
    {"range", T_RANGE},   {"nil", T_NIL},     {"template", T_TEMPLATE}, {"with", T_WITH},
};

static enum lstate lex_identifier(struct lexer *l) {
  int32_t r;
  while (is_alnum(r = lnext(l)))
    ;
  lbackup(l);
  if (!at_terminator(l)) {
    char u[32];
    fmt_rune_u(u, sizeof(u), r);
    return lerrorf(l, "bad character %s", u);
  }
  const char *w = l->in + l->start;
  size_t wl = l->pos - l->start;
  for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
    if (strlen(keywords[i].word) == wl && memcmp(keywords[i].word, w, wl) == 0) {
      lemit(l, keywords[i].typ);
      return L_INSIDE;
    }
  if (w[0] == '.')
    lemit(l, T_FIELD);
  else if ((wl == 4 && memcmp(w, "true", 4) == 0) || (wl == 5 && memcmp(w, "false", 5) == 0))
    lemit(l, T_BOOL);
  else
    lemit(l, T_IDENT);
  return L_INSIDE;
}

static enum lstate lex_field_or_var(struct lexer *l, enum tok_type typ) {
  if (at_terminator(l)) {
    lemit(l, typ == T_VARIABLE ? T_VARIABLE : T_DOT);
    return L_INSIDE;
  }
  int32_t r;
  while (is_alnum(r = lnext(l)))
    ;
  lbackup(l);
  if (!at_terminator(l)) {
    char u[32];
    fmt_rune_u(u, sizeof(u), r);
    return lerrorf(l, "bad character %s", u);
  }
  lemit(l, typ);
  return L_INSIDE;
}

static bool accept(struct lexer *l, const char *valid) {
  int32_t r = lnext(l);
  if (r > 0 && r < 0x80 && strchr(valid, (int)r))
    return true;
  lbackup(l);
  return false;
}

static void accept_run(struct lexer *l, const char *valid) {
  while (accept(l, valid))
    ;
}

static bool scan_number(struct lexer *l) {
  accept(l, "+-");
  const char *digits = "0123456789_";
  if (accept(l, "0")) {
    if (accept(l, "xX"))
      digits = "0123456789abcdefABCDEF_";
    else if (accept(l, "oO"))
      digits = "01234567_";
    else if (accept(l, "bB"))
      digits = "01_";
  }
  accept_run(l, digits);
  if (accept(l, "."))
    accept_run(l, digits);
  if (strlen(digits) == 11 && accept(l, "eE")) {
    accept(l, "+-");
    accept_run(l, "0123456789_");
  }
  if (strlen(digits) == 23 && accept(l, "pP")) {
    accept(l, "+-");
    accept_run(l, "0123456789_");
  }
  accept(l, "i");
  if (is_alnum(lpeek(l))) {
    lnext(l);
    return false;
  }
  return true;
}

static enum lstate lex_bad_number(struct lexer *l) {
  struct tbuf q = {0};
  go_quote(&q, l->in + l->start, l->pos - l->start, false);
  enum lstate s = lerrorf(l, "bad number syntax: %s", q.s);
  tbuf_free(&q);
  return s;
}

static enum lstate lex_number(struct lexer *l) {
  if (!scan_number(l))
    return lex_bad_number(l);
  int32_t sign = lpeek(l);
  if (sign == '+' || sign == '-') {
    if (!scan_number(l) || l->in[l->pos - 1] != 'i')
      return lex_bad_number(l);
    lemit(l, T_COMPLEX);
  } else {
    lemit(l, T_NUMBER);
  }
  return L_INSIDE;
}

static enum lstate lex_quote(struct lexer *l, int32_t q, enum tok_type typ, const char *what) {
  for (;;) {
    int32_t r = lnext(l);
    if (r == '\\') {
      r = lnext(l);
      if (r != LEOF && r != '\n')
        continue;
    }
    if (r == LEOF || r == '\n')
      return lerrorf(l, "unterminated %s", what);
    if (r == q)
      break;
  }
  lemit(l, typ);
  return L_INSIDE;
}

static enum lstate lex_raw_quote(struct lexer *l) {
  for (;;) {
    int32_t r = lnext(l);
    if (r == LEOF)
      return lerrorf(l, "unterminated raw quoted string");
    if (r == '`')
      break;
  }
  lemit(l, T_RAWSTRING);
  return L_INSIDE;
}

static enum lstate lex_inside(struct lexer *l) {
  bool trim;
  if (at_right_delim(l, &trim)) {
    if (l->paren_depth == 0)
      return L_RIGHT;
    return lerrorf(l, "unclosed left paren");
  }
  int32_t r = lnext(l);
  if (r == LEOF)
    return lerrorf(l, "unclosed action");
  if (is_space(r)) {
    lbackup(l);
    return lex_space(l);
  }
  switch (r) {
    case '=': lemit(l, T_ASSIGN); return L_INSIDE;
    case ':':
      if (lnext(l) != '=')
        return lerrorf(l, "expected :=");
      lemit(l, T_DECLARE);
      return L_INSIDE;
    case '|': lemit(l, T_PIPE); return L_INSIDE;
    case '"': return lex_quote(l, '"', T_STRING, "quoted string");
    case '`': return lex_raw_quote(l);
    case '$':
      return at_terminator(l) ? (lemit(l, T_VARIABLE), L_INSIDE) : lex_field_or_var(l, T_VARIABLE);
    case '\'': return lex_quote(l, '\'', T_CHARCONST, "character constant");
    case '(':
      lemit(l, T_LPAREN);
      l->paren_depth++;
      return L_INSIDE;
    case ')':
      lemit(l, T_RPAREN);
      l->paren_depth--;
      if (l->paren_depth < 0)
        return lerrorf(l, "unexpected right paren U+0029 ')'");
      return L_INSIDE;
  }
  if (r == '.') {
    if (l->pos < l->n && (l->in[l->pos] < '0' || l->in[l->pos] > '9'))
      return lex_field_or_var(l, T_FIELD);
  }
  if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
    lbackup(l);
    return lex_number(l);
  }
  if (is_alnum(r)) {
    lbackup(l);
    return lex_identifier(l);
  }
  if (r < 0x80 && r >= 0x20 && r < 0x7f) {
    lemit(l, T_CHAR);
    return L_INSIDE;
  }
  char u[32];
  fmt_rune_u(u, sizeof(u), r);
  return lerrorf(l, "unrecognized character in action: %s", u);
}

static void lex_all(struct lexer *l) {
  enum lstate s = L_TEXT;
  while (s != L_DONE) {
    switch (s) {
      case L_TEXT: s = lex_text(l); break;
      case L_LEFT: s = lex_left(l); break;
      case L_COMMENT: s = lex_comment(l); break;
      case L_RIGHT: s = lex_right(l); break;
      case L_INSIDE: s = lex_inside(l); break;
      case L_DONE: break;
    }
  }
}

struct tok *tmpl_lex(const char *src, size_t n, struct arena **arena, size_t *ntoks) {
  struct lexer l = {.in = src, .n = n, .line = 1, .start_line = 1, .arena = arena};
  lex_all(&l);
  *ntoks = l.ntoks;
  return l.toks;
}

/* ---- literals ---- */

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* strconv.UnquoteChar: one possibly escaped rune at *s (before end) in a
 * literal quoted with q.  Returns -1 on bad syntax. */
int32_t tmpl_unquote_char(const char **s, const char *end, char q) {
  const char *c = *s;
  if (c >= end)
    return -1;
  if (*c == q && (q == '\'' || q == '"'))
    return -1;
  if ((unsigned char)*c >= 0x80) {
    int w;
    int32_t r = utf8_decode(c, (size_t)(end - c), &w);
    *s = c + w;
    return r;
  }
  if (*c != '\\') {
    *s = c + 1;
    return (unsigned char)*c;
  }
  if (c + 1 >= end)
    return -1;
  char e = c[1];
  c += 2;
  int32_t r;
  switch (e) {
    case 'a': r = '\a'; break;
    case 'b': r = '\b'; break;
    case 'f': r = '\f'; break;
    case 'n': r = '\n'; break;
    case 'r': r = '\r'; break;
    case 't': r = '\t'; break;
    case 'v': r = '\v'; break;
    case '\\': r = '\\'; break;
    case '\'':
    case '"':
      if (e != q)
        return -1;
      r = e;
      break;
    case 'x':
    case 'u':
    case 'U': {
      int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (end - c < n)
        return -1;
      r = 0;
      for (int k = 0; k < n; k++) {
        int h = hexval(c[k]);
        if (h < 0)
          return -1;
        r = r * 16 + h;
      }
      c += n;
      if (e == 'x') {
        /* a byte, not a rune: marked by a negative value below -1 */
        *s = c;
        return -2 - r;
      }
      if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
        return -1;
      break;
    }
    default:
      if (e >= '0' && e <= '7') {
        if (end - c < 2)
          return -1;
        r = e - '0';
        for (int k = 0; k < 2; k++) {
          if (c[k] < '0' || c[k] > '7')
            return -1;
          r = r * 8 + (c[k] - '0');
        }
        if (r > 255)
          return -1;
        c += 2;
        *s = c;
        return -2 - r;
      }
      return -1;
  }
  *s = c;
  return r;
}

/* strconv.Unquote of a "..." or `...` token into the arena. */
bool tmpl_unquote(const struct tok *t, struct arena **arena, const char **out, size_t *outlen) {
  const char *s = t->val, *end = t->val + t->len;
  if (t->typ == T_RAWSTRING) {
    struct tbuf b = {0};
    for (const char *c = s + 1; c < end - 1; c++)
      if (*c != '\r')
        tbuf_addc(&b, *c);
    *out = arena_strndup(arena, b.s ? b.s : "", b.len);
    *outlen = b.len;
    tbuf_free(&b);
    return true;
  }
  struct tbuf b = {0};
  const char *c = s + 1;
  end--; /* the closing quote */
  while (c < end) {
    int32_t r = tmpl_unquote_char(&c, end, '"');
    if (r == -1) {
      tbuf_free(&b);
      return false;
    }
    if (r <= -2) {
      tbuf_addc(&b, (char)(-2 - r));
    } else {
      char enc[4];
      tbuf_add(&b, enc, (size_t)tmpl_utf8_encode(r, enc));
    }
  }
  *out = arena_strndup(arena, b.s ? b.s : "", b.len);
  *outlen = b.len;
  tbuf_free(&b);
  return true;
}

/* Go's strconv.ParseUint with base 0: prefixes 0x 0o 0b and a leading 0
 * for octal; underscores only between digits (or after a prefix). */
bool tmpl_parse_uint(const char *s, size_t n, unsigned long long *out) {
  int base = 10;
  size_t i = 0;
  if (n >= 2 && s[0] == '0') {
    char c = s[1];
    if (c == 'x' || c == 'X')
      base = 16, i = 2;
    else if (c == 'o' || c == 'O')
      base = 8, i = 2;
    else if (c == 'b' || c == 'B')
      base = 2, i = 2;
    else
      base = 8, i = 1;
  }
  if (n == 0 || (i == 2 && n == 2))
    return false;
  unsigned long long v = 0;
  bool prev_digit = i > 0; /* a prefix counts as a digit for underscores */
  for (; i < n; i++) {
    if (s[i] == '_') {
      if (!prev_digit || i + 1 >= n || s[i + 1] == '_')
        return false;
      prev_digit = false;
      continue;
    }
    int d = hexval(s[i]);
    if (d < 0 || d >= base)
      return false;
    if (v > (~0ULL - (unsigned)d) / (unsigned)base)
      return false;
    v = v * (unsigned)base + (unsigned)d;
    prev_digit = true;
  }
  *out = v;
  return true;
}
