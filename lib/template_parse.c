/* template_parse.c — the lexer and parser of Go's text/template.
 *
 * The lexer follows Go's state machine (text, left delimiter, inside an
 * action, ...) and produces every token before parsing starts; a lexing
 * error becomes the last token, so it is reported exactly when Go's parser
 * would meet it.  The parser is Go's recursive descent, and its error texts
 * are Go's ("template: :1: unexpected \"}\" in operand").  A syntax error
 * unwinds with longjmp: every allocation of the parse lives in the arena,
 * which tmpl_parse frees, so nothing leaks. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

/* ---- buffers and the arena ---- */

static void tbuf_grow(struct tbuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap * 2 : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->s = xrealloc(b->s, cap);
  b->cap = cap;
}

void tbuf_add(struct tbuf *b, const void *s, size_t n) {
  tbuf_grow(b, n);
  if (n)
    memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void tbuf_adds(struct tbuf *b, const char *s) {
  tbuf_add(b, s, strlen(s));
}

void tbuf_addc(struct tbuf *b, char c) {
  tbuf_grow(b, 1);
  b->s[b->len++] = c;
  b->s[b->len] = '\0';
}

void tbuf_addf(struct tbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[128];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  if (n >= 0 && (size_t)n < sizeof(small)) {
    tbuf_add(b, small, (size_t)n);
  } else if (n >= 0) {
    tbuf_grow(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
  va_end(ap);
}

void tbuf_repeat(struct tbuf *b, char c, size_t n) {
  tbuf_grow(b, n);
  memset(b->s + b->len, c, n);
  b->len += n;
  b->s[b->len] = '\0';
}

char *tbuf_steal(struct tbuf *b, size_t *len) {
  if (b->s == NULL)
    tbuf_grow(b, 0), b->s[0] = '\0';
  char *s = b->s;
  if (len)
    *len = b->len;
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void tbuf_free(struct tbuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

struct arena {
  struct arena *next;
  size_t used, cap;
  max_align_t data[];
};

void *arena_alloc(struct arena **a, size_t n) {
  n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  if (*a == NULL || (*a)->cap - (*a)->used < n) {
    size_t cap = n > 8192 ? n : 8192;
    struct arena *blk = xmalloc(sizeof(*blk) + cap);
    blk->next = *a;
    blk->used = 0;
    blk->cap = cap;
    *a = blk;
  }
  void *p = (char *)(*a)->data + (*a)->used;
  (*a)->used += n;
  memset(p, 0, n);
  return p;
}

char *arena_strndup(struct arena **a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void arena_free(struct arena *a) {
  while (a) {
    struct arena *next = a->next;
    free(a);
    a = next;
  }
}

/* ---- the lexer ---- */

enum tok_type {
  T_ERROR,
  T_BOOL,
  T_CHAR,
  T_CHARCONST,
  T_COMPLEX,
  T_ASSIGN,
  T_DECLARE,
  T_EOF,
  T_FIELD,
  T_IDENT,
  T_LDELIM,
  T_LPAREN,
  T_NUMBER,
  T_PIPE,
  T_RAWSTRING,
  T_RDELIM,
  T_RPAREN,
  T_SPACE,
  T_STRING,
  T_TEXT,
  T_VARIABLE,
  T_KEYWORD, /* the keywords follow */
  T_BLOCK,
  T_BREAK,
  T_CONTINUE,
  T_DOT,
  T_DEFINE,
  T_ELSE,
  T_END,
  T_IF,
  T_NIL,
  T_RANGE,
  T_TEMPLATE,
  T_WITH,
};

struct tok {
  enum tok_type typ;
  size_t pos;
  const char *val; /* into the source, or the message of a T_ERROR */
  size_t len;
  int line;
};

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

/* Go's unicode.IsLetter / IsDigit, with every non-ASCII rune but the
 * replacement character taken as a letter. */
static bool is_alnum(int32_t r) {
  if (r < 0)
    return false;
  if (r < 0x80)
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
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
    enc[utf8_encode(r, enc)] = '\0';
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
    {".", T_DOT},         {"block", T_BLOCK}, {"break", T_BREAK}, {"continue", T_CONTINUE},
    {"define", T_DEFINE}, {"else", T_ELSE},   {"end", T_END},     {"if", T_IF},
    {"range", T_RANGE},   {"nil", T_NIL},     {"template", T_TEMPLATE},
    {"with", T_WITH},
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
    case '$': return at_terminator(l) ? (lemit(l, T_VARIABLE), L_INSIDE)
                                      : lex_field_or_var(l, T_VARIABLE);
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

/* ---- the parser ---- */

struct parser {
  const char *src;
  struct tok *toks;
  size_t ntoks;
  size_t i;  /* next token */
  size_t hi; /* the furthest token read: Go reports its line */
  struct arena **arena;
  const char **vars;
  size_t nvars, capvars;
  int action_line;
  int range_depth;
  jmp_buf jb;
  char *msg;
};

static const struct tok *pnext(struct parser *p) {
  size_t k = p->i < p->ntoks ? p->i : p->ntoks - 1;
  if (p->i < p->ntoks)
    p->i++;
  if (k > p->hi)
    p->hi = k;
  return &p->toks[k];
}

static void pbackup(struct parser *p) {
  p->i--;
}

static const struct tok *ppeek(struct parser *p) {
  const struct tok *t = pnext(p);
  pbackup(p);
  return t;
}

static const struct tok *pnext_nonspace(struct parser *p) {
  const struct tok *t;
  while ((t = pnext(p))->typ == T_SPACE)
    ;
  return t;
}

static const struct tok *ppeek_nonspace(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  pbackup(p);
  return t;
}

static _Noreturn void perrorf(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static _Noreturn void perrorf(struct parser *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *m = xvasprintf(fmt, ap);
  va_end(ap);
  p->msg = xasprintf("template: :%d: %s", p->toks[p->hi].line, m);
  free(m);
  longjmp(p->jb, 1);
}

/* Go's item.String(). */
static void tok_string(struct tbuf *b, const struct tok *t) {
  if (t->typ == T_EOF) {
    tbuf_adds(b, "EOF");
  } else if (t->typ == T_ERROR) {
    tbuf_add(b, t->val, t->len);
  } else if (t->typ > T_KEYWORD) {
    tbuf_addc(b, '<');
    tbuf_add(b, t->val, t->len);
    tbuf_addc(b, '>');
  } else if (t->len > 10) {
    size_t n = 0;
    for (int k = 0; k < 10 && n < t->len; k++) {
      int w;
      utf8_decode(t->val + n, t->len - n, &w);
      n += (size_t)w;
    }
    go_quote(b, t->val, n, false);
    tbuf_adds(b, "...");
  } else {
    go_quote(b, t->val, t->len, false);
  }
}

static _Noreturn void unexpected(struct parser *p, const struct tok *t, const char *context) {
  struct tbuf b = {0};
  if (t->typ != T_ERROR)
    tbuf_adds(&b, "unexpected ");
  tok_string(&b, t);
  if (t->typ == T_ERROR) {
    if (p->action_line != 0 && p->action_line != t->line) {
      bool action = t->len >= 7 && memcmp(t->val + t->len - 7, " action", 7) == 0;
      tbuf_addf(&b, "%s started at :%d", action ? "" : " in action", p->action_line);
    }
  } else {
    tbuf_addf(&b, " in %s", context);
  }
  /* perrorf does not return: keep the text in the arena, not on the heap */
  char *m = arena_strndup(p->arena, b.s, b.len);
  tbuf_free(&b);
  perrorf(p, "%s", m);
}

static const struct tok *expect(struct parser *p, enum tok_type typ, const char *context) {
  const struct tok *t = pnext_nonspace(p);
  if (t->typ != typ)
    unexpected(p, t, context);
  return t;
}

static struct node *new_node(struct parser *p, enum ntype type, size_t pos) {
  struct node *n = arena_alloc(p->arena, sizeof(*n));
  n->type = type;
  n->pos = pos;
  n->fn = -1;
  return n;
}

/* Append to a node's kids, growing in the arena (old arrays are simply
 * abandoned there; templates are small). */
static void add_kid(struct parser *p, struct node *n, struct node *kid) {
  if ((n->nkids & (n->nkids - 1)) == 0) { /* 0, 1, 2, 4, ...: full */
    size_t cap = n->nkids ? n->nkids * 2 : 1;
    struct node **k = arena_alloc(p->arena, cap * sizeof(*k));
    if (n->nkids)
      memcpy(k, n->kids, n->nkids * sizeof(*k));
    n->kids = k;
  }
  n->kids[n->nkids++] = kid;
}

static void add_ident(struct parser *p, struct node *n, const char *s, size_t len) {
  if ((n->nidents & (n->nidents - 1)) == 0) {
    size_t cap = n->nidents ? n->nidents * 2 : 1;
    const char **k = arena_alloc(p->arena, cap * sizeof(*k));
    if (n->nidents)
      memcpy(k, n->idents, n->nidents * sizeof(*k));
    n->idents = k;
  }
  n->idents[n->nidents++] = arena_strndup(p->arena, s, len);
}

static void push_var(struct parser *p, const char *name) {
  if (p->nvars == p->capvars) {
    p->capvars = p->capvars ? p->capvars * 2 : 8;
    const char **v = arena_alloc(p->arena, p->capvars * sizeof(*v));
    if (p->nvars)
      memcpy(v, p->vars, p->nvars * sizeof(*v));
    p->vars = v;
  }
  p->vars[p->nvars++] = name;
}

/* A variable or field token "$x" / ".a" split at dots is one segment each;
 * a variable node keeps "$x" as its first ident. */
static struct node *new_variable(struct parser *p, const struct tok *t) {
  struct node *n = new_node(p, N_VAR, t->pos);
  add_ident(p, n, t->val, t->len);
  return n;
}

static struct node *pipeline(struct parser *p, const char *context, enum tok_type end);
static struct node *item_list(struct parser *p, struct node **next);

static struct node *use_var(struct parser *p, const struct tok *t) {
  struct node *v = new_variable(p, t);
  for (size_t i = 0; i < p->nvars; i++)
    if (strcmp(p->vars[i], v->idents[0]) == 0)
      return v;
  perrorf(p, "undefined variable \"%s\"", v->idents[0]);
}

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
static int32_t unquote_char(const char **s, const char *end, char q) {
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
static bool unquote(struct parser *p, const struct tok *t, const char **out, size_t *outlen) {
  const char *s = t->val, *end = t->val + t->len;
  if (t->typ == T_RAWSTRING) {
    struct tbuf b = {0};
    for (const char *c = s + 1; c < end - 1; c++)
      if (*c != '\r')
        tbuf_addc(&b, *c);
    *out = arena_strndup(p->arena, b.s ? b.s : "", b.len);
    *outlen = b.len;
    tbuf_free(&b);
    return true;
  }
  struct tbuf b = {0};
  const char *c = s + 1;
  end--; /* the closing quote */
  while (c < end) {
    int32_t r = unquote_char(&c, end, '"');
    if (r == -1) {
      tbuf_free(&b);
      return false;
    }
    if (r <= -2) {
      tbuf_addc(&b, (char)(-2 - r));
    } else {
      char enc[4];
      tbuf_add(&b, enc, (size_t)utf8_encode(r, enc));
    }
  }
  *out = arena_strndup(p->arena, b.s ? b.s : "", b.len);
  *outlen = b.len;
  tbuf_free(&b);
  return true;
}

/* Go's strconv.ParseUint with base 0: prefixes 0x 0o 0b and a leading 0
 * for octal; underscores only between digits (or after a prefix). */
static bool parse_uint(const char *s, size_t n, unsigned long long *out) {
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

static struct node *new_number(struct parser *p, const struct tok *t) {
  struct node *n = new_node(p, N_NUMBER, t->pos);
  const char *s = t->val;
  size_t len = t->len;
  n->src = arena_strndup(p->arena, s, len);
  if (t->typ == T_CHARCONST) {
    const char *c = s + 1;
    int32_t r = unquote_char(&c, s + len, '\'');
    if (r <= -2)
      r = -2 - r;
    if (r < 0 || c != s + len - 1)
      perrorf(p, "malformed character constant: %s", n->src);
    n->is_int = n->is_uint = n->is_float = true;
    n->i = r;
    n->u = (unsigned long long)r;
    n->f = r;
    return n;
  }
  if (t->typ == T_COMPLEX || (len > 0 && s[len - 1] == 'i'))
    perrorf(p, "complex numbers are not supported: %s", n->src);
  bool neg = len > 0 && s[0] == '-';
  size_t off = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  unsigned long long u;
  if (parse_uint(s + off, len - off, &u)) {
    if (!neg) {
      n->is_uint = true;
      n->u = u;
    }
    if (neg ? u <= (unsigned long long)LLONG_MAX + 1 : u <= (unsigned long long)LLONG_MAX) {
      n->is_int = true;
      n->i = neg ? (long long)(0 - u) : (long long)u;
      if (n->i == 0) {
        n->is_uint = true;
        n->u = 0;
      }
    }
  }
  if (n->is_int) {
    n->is_float = true;
    n->f = (double)n->i;
  } else if (n->is_uint) {
    n->is_float = true;
    n->f = (double)n->u;
  } else {
    char *clean = arena_alloc(p->arena, len + 1);
    size_t k = 0;
    for (size_t j = 0; j < len; j++)
      if (s[j] != '_')
        clean[k++] = s[j];
    clean[k] = '\0';
    char *endp;
    errno = 0;
    double f = strtod(clean, &endp);
    if (*endp == '\0' && k > 0 && errno == 0) {
      if (strcspn(n->src, ".eEpP") == len)
        perrorf(p, "integer overflow: \"%s\"", n->src);
      n->is_float = true;
      n->f = f;
      if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && (double)(long long)f == f) {
        n->is_int = true;
        n->i = (long long)f;
      }
      if (f >= 0 && f < 18446744073709551616.0 && (double)(unsigned long long)f == f) {
        n->is_uint = true;
        n->u = (unsigned long long)f;
      }
    }
  }
  if (!n->is_int && !n->is_uint && !n->is_float)
    perrorf(p, "illegal number syntax: \"%s\"", n->src);
  return n;
}

static struct node *term(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  switch (t->typ) {
    case T_IDENT: {
      char *name = arena_strndup(p->arena, t->val, t->len);
      int fn = tmpl_func_lookup(name);
      if (fn < 0)
        perrorf(p, "function \"%s\" not defined", name);
      struct node *n = new_node(p, N_IDENT, t->pos);
      n->text = name;
      n->fn = fn;
      return n;
    }
    case T_DOT: return new_node(p, N_DOT, t->pos);
    case T_NIL: return new_node(p, N_NIL, t->pos);
    case T_VARIABLE: return use_var(p, t);
    case T_FIELD: {
      struct node *n = new_node(p, N_FIELD, t->pos);
      add_ident(p, n, t->val + 1, t->len - 1);
      return n;
    }
    case T_BOOL: {
      struct node *n = new_node(p, N_BOOL, t->pos);
      n->b = t->val[0] == 't';
      return n;
    }
    case T_CHARCONST:
    case T_COMPLEX:
    case T_NUMBER: return new_number(p, t);
    case T_LPAREN: return pipeline(p, "parenthesized pipeline", T_RPAREN);
    case T_STRING:
    case T_RAWSTRING: {
      struct node *n = new_node(p, N_STRING, t->pos);
      n->src = arena_strndup(p->arena, t->val, t->len);
      if (!unquote(p, t, &n->text, &n->len))
        perrorf(p, "invalid syntax");
      return n;
    }
    default: pbackup(p); return NULL;
  }
}

static struct node *operand(struct parser *p) {
  struct node *n = term(p);
  if (n == NULL)
    return NULL;
  if (ppeek(p)->typ == T_FIELD) {
    /* Go positions the chain at its first field after the term */
    size_t pos = ppeek(p)->pos;
    struct node *chain = new_node(p, N_CHAIN, pos);
    while (ppeek(p)->typ == T_FIELD) {
      const struct tok *f = pnext(p);
      add_ident(p, chain, f->val + 1, f->len - 1);
    }
    switch (n->type) {
      case N_FIELD:
      case N_VAR:
        for (size_t i = 0; i < chain->nidents; i++)
          add_ident(p, n, chain->idents[i], strlen(chain->idents[i]));
        n->pos = pos;
        return n;
      case N_BOOL:
      case N_STRING:
      case N_NUMBER:
      case N_NIL:
      case N_DOT: {
        struct tbuf b = {0};
        node_string(&b, n);
        char *s = arena_strndup(p->arena, b.s, b.len);
        tbuf_free(&b);
        struct tbuf q = {0};
        go_quote(&q, s, strlen(s), false);
        char *qs = arena_strndup(p->arena, q.s, q.len);
        tbuf_free(&q);
        perrorf(p, "unexpected . after term %s", qs);
      }
      default: chain->pipe = n; return chain;
    }
  }
  return n;
}

static struct node *command(struct parser *p) {
  struct node *cmd = new_node(p, N_CMD, ppeek_nonspace(p)->pos);
  for (;;) {
    ppeek_nonspace(p);
    struct node *op = operand(p);
    if (op)
      add_kid(p, cmd, op);
    const struct tok *t = pnext(p);
    if (t->typ == T_SPACE)
      continue;
    if (t->typ == T_RDELIM || t->typ == T_RPAREN)
      pbackup(p);
    else if (t->typ != T_PIPE)
      unexpected(p, t, "operand");
    break;
  }
  if (cmd->nkids == 0)
    perrorf(p, "empty command");
  return cmd;
}

static void check_pipeline(struct parser *p, struct node *pipe, const char *context) {
  if (pipe->nkids == 0)
    perrorf(p, "missing value for %s", context);
  for (size_t i = 1; i < pipe->nkids; i++) {
    enum ntype t = pipe->kids[i]->kids[0]->type;
    if (t == N_BOOL || t == N_DOT || t == N_NIL || t == N_NUMBER || t == N_STRING)
      perrorf(p, "non executable command in pipeline stage %zu", i + 1);
  }
}

static struct node *pipeline(struct parser *p, const char *context, enum tok_type end) {
  struct node *pipe = new_node(p, N_PIPE, ppeek_nonspace(p)->pos);
  bool is_range = strcmp(context, "range") == 0;
decls:;
  const struct tok *v = ppeek_nonspace(p);
  if (v->typ == T_VARIABLE) {
    size_t vi = p->i; /* where the variable is: Go's backup2/backup3 return here */
    pnext(p);
    const struct tok *next = ppeek_nonspace(p);
    if (next->typ == T_ASSIGN || next->typ == T_DECLARE) {
      pipe->is_assign = next->typ == T_ASSIGN;
      pnext_nonspace(p);
      add_ident(p, pipe, v->val, v->len);
      push_var(p, pipe->idents[pipe->nidents - 1]);
    } else if (next->typ == T_CHAR && next->len == 1 && next->val[0] == ',') {
      pnext_nonspace(p);
      add_ident(p, pipe, v->val, v->len);
      push_var(p, pipe->idents[pipe->nidents - 1]);
      if (is_range && pipe->nidents < 2) {
        enum tok_type pt = ppeek_nonspace(p)->typ;
        if (pt == T_VARIABLE || pt == T_RDELIM || pt == T_RPAREN)
          goto decls;
        perrorf(p, "range can only initialize variables");
      }
      perrorf(p, "too many declarations in %s", context);
    } else {
      p->i = vi;
    }
  }
  for (;;) {
    const struct tok *t = pnext_nonspace(p);
    if (t->typ == end) {
      check_pipeline(p, pipe, context);
      return pipe;
    }
    switch (t->typ) {
      case T_BOOL:
      case T_CHARCONST:
      case T_COMPLEX:
      case T_DOT:
      case T_FIELD:
      case T_IDENT:
      case T_NUMBER:
      case T_NIL:
      case T_RAWSTRING:
      case T_STRING:
      case T_VARIABLE:
      case T_LPAREN:
        pbackup(p);
        add_kid(p, pipe, command(p));
        break;
      default: unexpected(p, t, context);
    }
  }
}

static struct node *if_control(struct parser *p);

/* if, range and with: pipeline, list, optional else list. */
static struct node *parse_control(struct parser *p, enum ntype type, const char *context) {
  size_t saved = p->nvars;
  struct node *n = new_node(p, type, 0);
  n->pipe = pipeline(p, context, T_RDELIM);
  n->pos = n->pipe->pos;
  if (type == N_RANGE)
    p->range_depth++;
  struct node *next;
  n->list = item_list(p, &next);
  if (type == N_RANGE)
    p->range_depth--;
  if (next->type == N_ELSE_MARK) {
    if (type == N_IF && ppeek(p)->typ == T_IF) {
      pnext(p);
      n->elist = new_node(p, N_LIST, next->pos);
      add_kid(p, n->elist, if_control(p));
    } else {
      n->elist = item_list(p, &next);
      if (next->type != N_END_MARK)
        perrorf(p, "expected end; found {{else}}");
    }
  }
  p->nvars = saved;
  return n;
}

static struct node *if_control(struct parser *p) {
  return parse_control(p, N_IF, "if");
}

static struct node *action(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  switch (t->typ) {
    case T_BLOCK:
    case T_TEMPLATE:
    case T_DEFINE: perrorf(p, "{{%.*s}} is not supported", (int)t->len, t->val);
    case T_BREAK:
    case T_CONTINUE: {
      bool brk = t->typ == T_BREAK;
      const struct tok *r = pnext_nonspace(p);
      if (r->typ != T_RDELIM)
        unexpected(p, r, brk ? "{{break}}" : "{{continue}}");
      if (p->range_depth == 0)
        perrorf(p, "{{%s}} outside {{range}}", brk ? "break" : "continue");
      return new_node(p, brk ? N_BREAK : N_CONTINUE, t->pos);
    }
    case T_ELSE: {
      const struct tok *pk = ppeek_nonspace(p);
      if (pk->typ == T_IF)
        return new_node(p, N_ELSE_MARK, pk->pos);
      const struct tok *r = expect(p, T_RDELIM, "else");
      return new_node(p, N_ELSE_MARK, r->pos);
    }
    case T_END: return new_node(p, N_END_MARK, expect(p, T_RDELIM, "end")->pos);
    case T_IF: return if_control(p);
    case T_RANGE: return parse_control(p, N_RANGE, "range");
    case T_WITH: return parse_control(p, N_WITH, "with");
    default: break;
  }
  pbackup(p);
  struct node *n = new_node(p, N_ACTION, ppeek(p)->pos);
  n->pipe = pipeline(p, "command", T_RDELIM);
  return n;
}

static struct node *text_or_action(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  switch (t->typ) {
    case T_TEXT: {
      struct node *n = new_node(p, N_TEXT, t->pos);
      n->text = t->val;
      n->len = t->len;
      return n;
    }
    case T_LDELIM: {
      p->action_line = t->line;
      struct node *n = action(p);
      p->action_line = 0; /* as Go's deferred clearActionLine */
      return n;
    }
    default: unexpected(p, t, "input");
  }
}

static struct node *item_list(struct parser *p, struct node **next) {
  struct node *list = new_node(p, N_LIST, ppeek_nonspace(p)->pos);
  while (ppeek_nonspace(p)->typ != T_EOF) {
    struct node *n = text_or_action(p);
    if (n->type == N_END_MARK || n->type == N_ELSE_MARK) {
      *next = n;
      return list;
    }
    add_kid(p, list, n);
  }
  perrorf(p, "unexpected EOF");
}

static struct node *parse_root(struct parser *p) {
  struct node *root = new_node(p, N_LIST, ppeek(p)->pos);
  while (ppeek(p)->typ != T_EOF) {
    if (ppeek(p)->typ == T_LDELIM) {
      size_t di = p->i;
      pnext(p);
      if (pnext_nonspace(p)->typ == T_DEFINE)
        perrorf(p, "{{define}} is not supported");
      p->i = di;
    }
    struct node *n = text_or_action(p);
    if (n->type == N_END_MARK)
      perrorf(p, "unexpected {{end}}");
    if (n->type == N_ELSE_MARK)
      perrorf(p, "unexpected {{else}}");
    add_kid(p, root, n);
  }
  return root;
}

struct tmpl *tmpl_parse(const char *src, struct err **e) {
  struct tmpl *t = xcalloc(1, sizeof(*t));
  t->src = xstrdup(src);
  struct lexer l = {.in = t->src, .n = strlen(t->src), .line = 1, .start_line = 1};
  l.arena = &t->arena;
  lex_all(&l);
  struct parser p = {.src = t->src, .toks = l.toks, .ntoks = l.ntoks, .arena = &t->arena};
  push_var(&p, "$");
  if (setjmp(p.jb) != 0) {
    err_setc(e, ERR_USAGE, 0, "%s", p.msg);
    free(p.msg);
    free(l.toks);
    tmpl_free(t);
    return NULL;
  }
  t->root = parse_root(&p);
  free(l.toks);
  return t;
}

void tmpl_free(struct tmpl *t) {
  if (t == NULL)
    return;
  arena_free(t->arena);
  free(t->src);
  free(t);
}

/* ---- Go's String() of nodes ---- */

static void list_string(struct tbuf *b, const struct node *n) {
  for (size_t i = 0; n && i < n->nkids; i++)
    node_string(b, n->kids[i]);
}

void node_string(struct tbuf *b, const struct node *n) {
  switch (n->type) {
    case N_LIST: list_string(b, n); break;
    case N_TEXT: tbuf_add(b, n->text, n->len); break;
    case N_ACTION:
      tbuf_adds(b, "{{");
      node_string(b, n->pipe);
      tbuf_adds(b, "}}");
      break;
    case N_IF:
    case N_RANGE:
    case N_WITH:
      tbuf_adds(b, n->type == N_IF ? "{{if " : n->type == N_RANGE ? "{{range " : "{{with ");
      node_string(b, n->pipe);
      tbuf_adds(b, "}}");
      list_string(b, n->list);
      if (n->elist) {
        tbuf_adds(b, "{{else}}");
        list_string(b, n->elist);
      }
      tbuf_adds(b, "{{end}}");
      break;
    case N_BREAK: tbuf_adds(b, "{{break}}"); break;
    case N_CONTINUE: tbuf_adds(b, "{{continue}}"); break;
    case N_PIPE:
      for (size_t i = 0; i < n->nidents; i++) {
        if (i > 0)
          tbuf_adds(b, ", ");
        tbuf_adds(b, n->idents[i]);
      }
      if (n->nidents)
        tbuf_adds(b, n->is_assign ? " = " : " := ");
      for (size_t i = 0; i < n->nkids; i++) {
        if (i > 0)
          tbuf_adds(b, " | ");
        node_string(b, n->kids[i]);
      }
      break;
    case N_CMD:
      for (size_t i = 0; i < n->nkids; i++) {
        if (i > 0)
          tbuf_addc(b, ' ');
        if (n->kids[i]->type == N_PIPE) {
          tbuf_addc(b, '(');
          node_string(b, n->kids[i]);
          tbuf_addc(b, ')');
        } else {
          node_string(b, n->kids[i]);
        }
      }
      break;
    case N_FIELD:
      for (size_t i = 0; i < n->nidents; i++) {
        tbuf_addc(b, '.');
        tbuf_adds(b, n->idents[i]);
      }
      break;
    case N_VAR:
      for (size_t i = 0; i < n->nidents; i++) {
        if (i > 0)
          tbuf_addc(b, '.');
        tbuf_adds(b, n->idents[i]);
      }
      break;
    case N_CHAIN:
      if (n->pipe->type == N_PIPE) {
        tbuf_addc(b, '(');
        node_string(b, n->pipe);
        tbuf_addc(b, ')');
      } else {
        node_string(b, n->pipe);
      }
      for (size_t i = 0; i < n->nidents; i++) {
        tbuf_addc(b, '.');
        tbuf_adds(b, n->idents[i]);
      }
      break;
    case N_IDENT: tbuf_adds(b, n->text); break;
    case N_DOT: tbuf_addc(b, '.'); break;
    case N_NIL: tbuf_adds(b, "nil"); break;
    case N_BOOL: tbuf_adds(b, n->b ? "true" : "false"); break;
    case N_NUMBER:
    case N_STRING: tbuf_adds(b, n->src); break;
    case N_ELSE_MARK: tbuf_adds(b, "{{else}}"); break;
    case N_END_MARK: tbuf_adds(b, "{{end}}"); break;
  }
}

/* ---- docker's format preprocessing ---- */

int tmpl_is_table(const char *format, const char **rest) {
  int table = strncmp(format, "table", 5) == 0;
  if (rest)
    *rest = table ? format + 5 : format;
  return table;
}

char *tmpl_preformat(const char *format, int *is_table) {
  const char *f;
  int table = tmpl_is_table(format, &f);
  if (is_table)
    *is_table = table;
  if (!table && strcmp(format, "json") == 0)
    f = "{{json .}}";
  size_t n = strlen(f);
  while (n > 0 && f[0] == ' ')
    f++, n--;
  while (n > 0 && f[n - 1] == ' ')
    n--;
  struct tbuf b = {0};
  for (size_t i = 0; i < n; i++) {
    if (f[i] == '\\' && i + 1 < n && (f[i + 1] == 't' || f[i + 1] == 'n')) {
      tbuf_addc(&b, f[i + 1] == 't' ? '\t' : '\n');
      i++;
    } else {
      tbuf_addc(&b, f[i]);
    }
  }
  return tbuf_steal(&b, NULL);
}
