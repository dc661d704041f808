/* words.c — docker's shell-word processing (buildkit's shell.Lex): quote
 * removal, the escape character and ${…} substitution, and the split into
 * words that EXPOSE, VOLUME and COPY/ADD sources get.
 *
 * Not a shell: no command substitution, no globbing, no arithmetic.  What
 * it does follow are docker's own quirks: a variable's value is split into
 * words too (ProcessWords splits it unless quoted), an empty quoted word
 * vanishes from a word list, "$" before a non-name character stays "$",
 * and in double quotes only `"`, `$` and the escape character are escaped
 * (a backslash before anything else stays). */
#include <stdio.h>

#include "df_int.h"

/* Deep enough for any real Dockerfile, shallow enough that hostile input
 * cannot exhaust the stack. */
#define MAX_DEPTH 64

struct lexer {
  const char *s;
  size_t pos;
  const struct df_lex_opts *o;
  int depth;
  bool raw_escapes; /* the option, or true while reading a pattern */
  struct err **e;
};

/* The words being gathered: characters from the text split on whitespace,
 * quoted and escaped ones ("raw") never do. */
struct wacc {
  struct dbuf w;
  bool in_word;
  char **words;
};

static int peek(const struct lexer *lx) {
  return lx->s[lx->pos] ? (unsigned char)lx->s[lx->pos] : -1;
}
static int next(struct lexer *lx) {
  int c = peek(lx);
  if (c >= 0)
    lx->pos++;
  return c;
}

static void wacc_raw(struct wacc *wa, const char *s, size_t n) {
  if (!wa)
    return;
  dbuf_addn(&wa->w, s, n);
  wa->in_word = true;
}
static void wacc_char(struct wacc *wa, char c) {
  if (!wa)
    return;
  if (df_isspace((unsigned char)c)) {
    if (wa->in_word && wa->w.len > 0) {
      strv_push(&wa->words, wa->w.p);
      wa->w.len = 0;
      wa->w.p[0] = '\0';
      wa->in_word = false;
    }
  } else {
    wacc_raw(wa, &c, 1);
  }
}
static void wacc_end(struct wacc *wa) {
  if (wa->w.len > 0)
    strv_push(&wa->words, wa->w.p);
  free(wa->w.p);
  wa->w = (struct dbuf){0};
  if (!wa->words)
    wa->words = xcalloc(1, sizeof(char *));
}

static const char *getvar(const struct lexer *lx, const char *name) {
  return lx->o->lookup ? lx->o->lookup(lx->o->ctx, name) : NULL;
}

static int stop_on(struct lexer *lx, int stop1, int stop2, struct dbuf *out, struct wacc *wa,
                   int *stopped);

static int single_quote(struct lexer *lx, struct dbuf *out) {
  int c = next(lx);
  if (lx->o->raw_quotes)
    dbuf_addc(out, (char)c);
  for (;;) {
    c = next(lx);
    if (c < 0)
      return err_usage(lx->e,
                       "unexpected end of statement while looking for matching single-quote");
    if (c == '\'') {
      if (lx->o->raw_quotes)
        dbuf_addc(out, (char)c);
      return 0;
    }
    dbuf_addc(out, (char)c);
  }
}

static int dollar(struct lexer *lx, struct dbuf *out);

static int double_quote(struct lexer *lx, struct dbuf *out) {
  int c = next(lx);
  if (lx->o->raw_quotes)
    dbuf_addc(out, (char)c);
  for (;;) {
    c = peek(lx);
    if (c < 0)
      return err_usage(lx->e,
                       "unexpected end of statement while looking for matching double-quote");
    if (c == '"') {
      next(lx);
      if (lx->o->raw_quotes)
        dbuf_addc(out, '"');
      return 0;
    }
    if (c == '$') {
      if (dollar(lx, out) < 0)
        return -1;
      continue;
    }
    next(lx);
    if (c == (unsigned char)lx->o->escape) {
      if (lx->raw_escapes)
        dbuf_addc(out, (char)c);
      int p = peek(lx);
      if (p < 0)
        continue; /* a lone escape at the end is dropped */
      /* (with raw escapes an escape before anything else is kept twice,
       * as buildkit does) */
      if (p == '"' || p == '$' || p == (unsigned char)lx->o->escape)
        c = next(lx);
    }
    dbuf_addc(out, (char)c);
  }
}

/* Letters, digits and '_'; bytes of multibyte UTF-8 characters count as
 * letters (Go's unicode.IsLetter accepts most of them). */
static bool is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}
static bool is_special_param(int c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
         c == '0';
}

/* A name after '$': letters, digits, '_'; all digits when it starts with
 * one; or a single special parameter. */
static char *process_name(struct lexer *lx) {
  struct dbuf n = {0};
  int c = peek(lx);
  if (c >= '0' && c <= '9') {
    while ((c = peek(lx)) >= '0' && c <= '9')
      dbuf_addc(&n, (char)next(lx));
    return dbuf_steal(&n);
  }
  if (c >= 0 && is_special_param(c)) {
    dbuf_addc(&n, (char)next(lx));
    return dbuf_steal(&n);
  }
  while ((c = peek(lx)) >= 0 && is_name_char(c))
    dbuf_addc(&n, (char)next(lx));
  return dbuf_steal(&n);
}

/* The word after a modifier, up to the stop character, expanded; raw
 * keeps the escape characters (patterns need them). */
static int modifier_word(struct lexer *lx, int stop, bool raw, char **word, const char *missing) {
  struct dbuf w = {0};
  int st = 0;
  bool saved = lx->raw_escapes;
  lx->raw_escapes = raw;
  int r = stop_on(lx, stop, -1, &w, NULL, &st);
  lx->raw_escapes = saved;
  if (r < 0) {
    free(w.p);
    if (peek(lx) < 0) {
      err_free(lx->e);
      return err_usage(lx->e, "%s", missing);
    }
    return -1;
  }
  *word = dbuf_steal(&w);
  return 0;
}

/* A pattern of ${v#p} ${v%p} ${v/p/r} as buildkit reads it: `*` any
 * string, `?` any character, '\' escapes `*` `?` '\' (and is dropped
 * before `}` and `/`); no bracket classes. */
struct pat_tok {
  char c;
  enum { P_LIT, P_ANY1, P_STAR } type;
};

static int compile_pattern(struct lexer *lx, const char *pat, struct pat_tok **out, size_t *n) {
  size_t len = strlen(pat), k = 0;
  struct pat_tok *t = xcalloc(len + 1, sizeof(*t));
  for (size_t i = 0; i < len; i++) {
    char c = pat[i];
    if (c == '*') {
      t[k++].type = P_STAR;
    } else if (c == '?') {
      t[k++].type = P_ANY1;
    } else if (c == '\\') {
      char nx = pat[i + 1];
      if (nx == '}' || nx == '/')
        continue;
      if (nx != '*' && nx != '?' && nx != '\\') {
        free(t);
        return err_usage(lx->e, "invalid pattern (%s) in substitution: invalid escape '\\%c'", pat,
                         nx ? nx : '?');
      }
      t[k].type = P_LIT;
      t[k++].c = nx;
      i++;
    } else {
      t[k].type = P_LIT;
      t[k++].c = c;
    }
  }
  *out = t;
  *n = k;
  return 0;
}

/* Which prefixes of s[0..len) the tokens match: r[j] for s[0..j).  A
 * table over the string, one token at a time: no backtracking, no
 * recursion, whatever the stars. */
static bool *pat_prefixes(const struct pat_tok *t, size_t n, const char *s, size_t len) {
  bool *dp = xcalloc(len + 1, sizeof(bool)), *nx = xcalloc(len + 1, sizeof(bool));
  dp[0] = true;
  for (size_t i = 0; i < n; i++) {
    bool any = false;
    for (size_t j = 0; j <= len; j++) {
      if (t[i].type == P_STAR) {
        any |= dp[j];
        nx[j] = any;
      } else {
        nx[j] = j > 0 && dp[j - 1] && (t[i].type == P_ANY1 ? s[j - 1] != '\n' : s[j - 1] == t[i].c);
      }
    }
    bool *tmp = dp;
    dp = nx;
    nx = tmp;
  }
  free(nx);
  return dp;
}

static char *reverse(const char *s) {
  size_t n = strlen(s);
  char *r = xmalloc(n + 1);
  for (size_t i = 0; i < n; i++)
    r[i] = s[n - 1 - i];
  r[n] = '\0';
  return r;
}

/* ${v#p} ${v##p} ${v%p} ${v%%p}: the shortest (or, greedy, longest)
 * prefix or suffix that the pattern matches, removed. */
static int trim_pattern(struct lexer *lx, const char *value, const char *pat, bool suffix,
                        bool greedy, struct dbuf *out) {
  struct pat_tok *t;
  size_t nt;
  if (compile_pattern(lx, pat, &t, &nt) < 0)
    return -1;
  if (suffix) {
    /* as buildkit does: reverse both, then it is a prefix */
    for (size_t i = 0, j = nt; i < j--; i++) {
      struct pat_tok tmp = t[i];
      t[i] = t[j];
      t[j] = tmp;
    }
  }
  cleanup_free char *v = suffix ? reverse(value) : xstrdup(value);
  size_t n = strlen(v), cut = 0;
  bool *ends = pat_prefixes(t, nt, v, n);
  for (size_t k = 0; k <= n; k++) {
    size_t len = greedy ? n - k : k;
    if (ends[len]) {
      cut = len;
      break;
    }
  }
  free(ends);
  free(t);
  if (suffix) {
    cleanup_free char *rest = reverse(v + cut);
    dbuf_adds(out, rest);
  } else {
    dbuf_adds(out, v + cut);
  }
  return 0;
}

/* ${v/p/r} ${v//p/r}: the first (or every) leftmost longest match
 * replaced; an empty match next to the previous match does not count. */
static int replace_pattern(struct lexer *lx, const char *value, const char *pat, const char *rep,
                           bool all, struct dbuf *out) {
  struct pat_tok *t;
  size_t nt;
  if (compile_pattern(lx, pat, &t, &nt) < 0)
    return -1;
  size_t n = strlen(value), i = 0;
  bool done = false, after_match = false;
  dbuf_adds(out, "");
  while (i <= n) {
    size_t len = 0;
    bool found = false;
    if (!done) {
      bool *ends = pat_prefixes(t, nt, value + i, n - i);
      for (size_t j = n - i + 1; j-- > 0;) {
        if (ends[j]) {
          len = j;
          found = !(len == 0 && after_match);
          break;
        }
      }
      free(ends);
    }
    if (found) {
      dbuf_adds(out, rep);
      done = !all;
      after_match = len > 0;
      if (len > 0) {
        i += len;
        continue;
      }
    } else {
      after_match = false;
    }
    if (i < n)
      dbuf_addc(out, value[i]);
    i++;
  }
  free(t);
  return 0;
}

static int dollar_braced(struct lexer *lx, struct dbuf *out) {
  next(lx); /* '{' */
  int c = peek(lx);
  if (c < 0)
    return err_usage(lx->e, "syntax error: missing '}'");
  if (c == '{' || c == '}' || c == ':')
    return err_usage(lx->e, "syntax error: bad substitution");
  cleanup_free char *name = process_name(lx);
  const char *value = getvar(lx, name);
  bool set = value != NULL;
  if (!value)
    value = "";
  int ch = next(lx);
  char chs[3] = {(char)ch, 0, 0};
  cleanup_free char *word = NULL;
  if (ch < 0)
    return err_usage(lx->e, "syntax error: missing '}'");
  if (ch == '}') {
    if (!set && lx->o->skip_unset) {
      dbuf_adds(out, "${");
      dbuf_adds(out, name);
      dbuf_adds(out, "}");
    } else {
      dbuf_adds(out, value);
    }
    return 0;
  }
  if (ch == '/') {
    bool all = peek(lx) == '/';
    if (all)
      next(lx);
    cleanup_free char *rep = NULL;
    if (modifier_word(lx, '/', true, &word, "syntax error: missing '/' in ${}") < 0 ||
        modifier_word(lx, '}', true, &rep, "syntax error: missing '}'") < 0)
      return -1;
    if (!set && lx->o->skip_unset) {
      cleanup_free char *s = xasprintf("${%s/%s/%s}", name, word, rep);
      dbuf_adds(out, s);
      return 0;
    }
    return replace_pattern(lx, value, word, rep, all, out);
  }
  bool null_unset = false;
  if (ch == ':') {
    null_unset = true;
    ch = next(lx);
    if (ch < 0)
      return err_usage(lx->e, "syntax error: missing '}'");
    chs[1] = (char)ch;
  }
  if (ch != '+' && ch != '-' && ch != '?' && ch != '#' && ch != '%') {
    if (!null_unset)
      return err_usage(lx->e, "unsupported modifier (%s) in substitution", chs);
    /* buildkit reads the word first, then refuses the modifier */
    if (modifier_word(lx, '}', false, &word, "syntax error: missing '}'") < 0)
      return -1;
    return err_usage(lx->e, "unsupported modifier (%s) in substitution", chs);
  }
  bool pattern = ch == '#' || ch == '%';
  if (null_unset && pattern)
    return err_usage(lx->e, "unsupported modifier (%s) in substitution", chs);
  if (modifier_word(lx, '}', pattern, &word, "syntax error: missing '}'") < 0)
    return -1;
  if (!set && lx->o->skip_unset) {
    cleanup_free char *s = xasprintf("${%s%s%s}", name, chs, word);
    dbuf_adds(out, s);
    return 0;
  }
  bool unset = !set || (null_unset && !*value);
  switch (ch) {
    case '-': dbuf_adds(out, unset ? word : value); return 0;
    case '+': dbuf_adds(out, unset ? "" : word); return 0;
    case '?':
      if (!set)
        return err_usage(lx->e, "%s: %s", name, *word ? word : "is not allowed to be unset");
      if (unset)
        return err_usage(lx->e, "%s: %s", name, *word ? word : "is not allowed to be empty");
      dbuf_adds(out, value);
      return 0;
    default: {
      const char *pat = word;
      bool greedy = *pat == ch;
      if (greedy)
        pat++;
      return trim_pattern(lx, value, pat, ch == '%', greedy, out);
    }
  }
}

static int dollar(struct lexer *lx, struct dbuf *out) {
  next(lx); /* '$' */
  if (peek(lx) == '{') {
    if (++lx->depth > MAX_DEPTH)
      return err_usage(lx->e, "syntax error: substitutions nested too deeply");
    int r = dollar_braced(lx, out);
    lx->depth--;
    return r;
  }
  cleanup_free char *name = process_name(lx);
  if (!*name) {
    dbuf_addc(out, '$');
    return 0;
  }
  const char *value = getvar(lx, name);
  if (!value && lx->o->skip_unset) {
    dbuf_addc(out, '$');
    dbuf_adds(out, name);
  } else if (value) {
    dbuf_adds(out, value);
  }
  return 0;
}

/* buildkit's processStopOn: the text up to stop1 or stop2 (-1: the end),
 * with quotes, escapes and substitutions processed.  *stopped says which
 * stop character ended it. */
static int stop_on(struct lexer *lx, int stop1, int stop2, struct dbuf *out, struct wacc *wa,
                   int *stopped) {
  int c;
  while ((c = peek(lx)) >= 0) {
    if (stop1 >= 0 && (c == stop1 || c == stop2)) {
      next(lx);
      *stopped = c;
      return 0;
    }
    if (c == '<' && lx->s[lx->pos + 1] == '<') {
      /* "<<" and the blanks after it stay in one word: `<< EOF` is a
       * heredoc marker too */
      size_t start = lx->pos;
      lx->pos += 2;
      while (lx->s[lx->pos] == ' ' || lx->s[lx->pos] == '\t' || lx->s[lx->pos] == '\r')
        lx->pos++;
      dbuf_addn(out, lx->s + start, lx->pos - start);
      wacc_raw(wa, lx->s + start, lx->pos - start);
      continue;
    }
    if (c == '\'' || c == '"' || c == '$') {
      struct dbuf tmp = {0};
      int r = c == '\''  ? single_quote(lx, &tmp)
              : c == '"' ? double_quote(lx, &tmp)
                         : dollar(lx, &tmp);
      if (r < 0) {
        free(tmp.p);
        return -1;
      }
      if (tmp.len)
        dbuf_addn(out, tmp.p, tmp.len);
      if (c == '$') {
        for (size_t i = 0; i < tmp.len; i++)
          wacc_char(wa, tmp.p[i]);
      } else {
        wacc_raw(wa, tmp.p ? tmp.p : "", tmp.len);
      }
      free(tmp.p);
      continue;
    }
    next(lx);
    if (c == (unsigned char)lx->o->escape) {
      if (lx->raw_escapes) {
        wacc_raw(wa, (const char *)&lx->s[lx->pos - 1], 1);
        dbuf_addc(out, (char)c);
      }
      c = next(lx);
      if (c < 0)
        break; /* an escape at the very end is dropped */
      char ch = (char)c;
      wacc_raw(wa, &ch, 1);
    } else {
      wacc_char(wa, (char)c);
    }
    dbuf_addc(out, (char)c);
  }
  if (stop1 >= 0)
    return err_usage(lx->e, "unexpected end of statement while looking for matching %c", stop1);
  return 0;
}

char *df_lex(const char *text, const struct df_lex_opts *o, char ***words, struct err **e) {
  struct lexer lx = {.s = text, .o = o, .raw_escapes = o->raw_escapes, .e = e};
  struct dbuf out = {0};
  struct wacc wa = {0};
  int stopped = 0;
  if (stop_on(&lx, -1, -1, &out, words ? &wa : NULL, &stopped) < 0) {
    free(out.p);
    free(wa.w.p);
    strv_free(wa.words);
    return NULL;
  }
  if (words) {
    wacc_end(&wa);
    *words = wa.words;
  }
  return dbuf_steal(&out);
}

char *df_expand(const char *word, char escape, df_lookup_fn lookup, void *ctx, struct err **e) {
  struct df_lex_opts o = {.escape = escape, .lookup = lookup, .ctx = ctx};
  return df_lex(word, &o, NULL, e);
}

char **df_expand_words(const char *text, char escape, df_lookup_fn lookup, void *ctx,
                       struct err **e) {
  struct df_lex_opts o = {.escape = escape, .lookup = lookup, .ctx = ctx};
  char **words = NULL;
  cleanup_free char *s = df_lex(text, &o, &words, e);
  if (!s)
    return NULL;
  return words;
}

/* The body of an unquoted heredoc, as a POSIX shell reads one: $v and
 * ${…} are substituted, a backslash before '$', '`', '\' or a newline
 * escapes it, and quotes are ordinary characters (an apostrophe in
 * "don't" starts nothing). */
char *df_expand_heredoc(const char *body, df_lookup_fn lookup, void *ctx, struct err **e) {
  struct df_lex_opts o = {.escape = '\\', .lookup = lookup, .ctx = ctx};
  struct lexer lx = {.s = body, .o = &o, .e = e};
  struct dbuf out = {0};
  int c;
  while ((c = peek(&lx)) >= 0) {
    if (c == '$') {
      if (dollar(&lx, &out) < 0) {
        free(out.p);
        return NULL;
      }
      continue;
    }
    next(&lx);
    if (c == '\\') {
      int d = peek(&lx);
      if (d == '$' || d == '`' || d == '\\') {
        dbuf_addc(&out, (char)next(&lx));
        continue;
      }
      if (d == '\n') {
        next(&lx);
        continue;
      }
    }
    dbuf_addc(&out, (char)c);
  }
  if (out.p == NULL)
    return xstrdup("");
  return dbuf_steal(&out);
}
