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
#include <fnmatch.h>
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
      if (lx->o->raw_escapes)
        dbuf_addc(out, (char)c);
      int p = peek(lx);
      if (p < 0)
        continue; /* a lone escape at the end is dropped */
      if (p == '"' || p == '$' || p == (unsigned char)lx->o->escape) {
        c = next(lx);
      } else if (lx->o->raw_escapes) {
        continue; /* already kept */
      }
    }
    dbuf_addc(out, (char)c);
  }
}

static bool is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
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

/* The word after a modifier, up to the closing '}' (or the '/' of
 * ${v/pat/rep}), expanded. */
static int modifier_word(struct lexer *lx, int stop2, char **word, int *stopped) {
  struct dbuf w = {0};
  int st = 0;
  if (stop_on(lx, '}', stop2, &w, NULL, &st) < 0) {
    free(w.p);
    if (peek(lx) < 0) {
      err_free(lx->e);
      return err_usage(lx->e, "syntax error: missing '}'");
    }
    return -1;
  }
  *word = dbuf_steal(&w);
  if (stopped)
    *stopped = st;
  return 0;
}

/* ${v#pat} ${v##pat} ${v%pat} ${v%%pat}: the shortest or longest match of
 * a shell pattern removed from the start or the end. */
static char *trim_pattern(const char *value, const char *pat, bool suffix, bool longest) {
  size_t n = strlen(value);
  cleanup_free char *tmp = NULL;
  for (size_t k = 0; k <= n; k++) {
    size_t len = longest ? n - k : k;
    if (suffix) {
      if (fnmatch(pat, value + n - len, 0) == 0)
        return xstrndup(value, n - len);
    } else {
      free(tmp);
      tmp = xstrndup(value, len);
      if (fnmatch(pat, tmp, 0) == 0)
        return xstrdup(value + len);
    }
  }
  return xstrdup(value);
}

/* ${v/pat/rep} ${v//pat/rep}: the longest match at the leftmost place. */
static char *replace_pattern(const char *value, const char *pat, const char *rep, bool all) {
  struct dbuf out = {0};
  size_t n = strlen(value), i = 0;
  bool done = false;
  dbuf_adds(&out, "");
  while (i < n) {
    size_t best = 0;
    bool found = false;
    if (!done && *pat) {
      for (size_t j = n; j > i; j--) {
        cleanup_free char *cand = xstrndup(value + i, j - i);
        if (fnmatch(pat, cand, 0) == 0) {
          best = j - i;
          found = true;
          break;
        }
      }
    }
    if (found) {
      dbuf_adds(&out, rep);
      i += best;
      done = !all;
    } else {
      dbuf_addc(&out, value[i++]);
    }
  }
  return dbuf_steal(&out);
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
  cleanup_free char *word = NULL;
  switch (ch) {
    case -1: return err_usage(lx->e, "syntax error: missing '}'");
    case '}':
      if (!set && lx->o->skip_unset) {
        dbuf_adds(out, "${");
        dbuf_adds(out, name);
        dbuf_adds(out, "}");
      } else {
        dbuf_adds(out, value);
      }
      return 0;
    case ':':
    case '-':
    case '+':
    case '?': {
      int mod = ch;
      bool colon = ch == ':';
      if (colon) {
        mod = next(lx);
        if (mod < 0)
          return err_usage(lx->e, "syntax error: missing '}'");
      }
      if (modifier_word(lx, -1, &word, NULL) < 0)
        return -1;
      if (!set && lx->o->skip_unset) {
        cleanup_free char *s = xasprintf("${%s%s%c%s}", name, colon ? ":" : "", mod, word);
        dbuf_adds(out, s);
        return 0;
      }
      /* With ':' an empty value counts as unset, as in sh. */
      bool present = colon ? *value != '\0' : set;
      switch (mod) {
        case '-': dbuf_adds(out, present ? value : word); return 0;
        case '+': dbuf_adds(out, present ? word : ""); return 0;
        case '?':
          if (!set)
            return err_usage(lx->e, "%s: %s", name, *word ? word : "is not allowed to be unset");
          if (!present)
            return err_usage(lx->e, "%s: %s", name, *word ? word : "is not allowed to be empty");
          dbuf_adds(out, value);
          return 0;
        default: return err_usage(lx->e, "unsupported modifier (%c) in substitution", mod);
      }
    }
    case '#':
    case '%': {
      bool longest = peek(lx) == ch;
      if (longest)
        next(lx);
      if (modifier_word(lx, -1, &word, NULL) < 0)
        return -1;
      if (!set && lx->o->skip_unset) {
        cleanup_free char *s =
            xasprintf("${%s%c%s%s}", name, ch, longest ? (ch == '#' ? "#" : "%") : "", word);
        dbuf_adds(out, s);
        return 0;
      }
      cleanup_free char *r = trim_pattern(value, word, ch == '%', longest);
      dbuf_adds(out, r);
      return 0;
    }
    case '/': {
      bool all = peek(lx) == '/';
      if (all)
        next(lx);
      int stopped = 0;
      if (modifier_word(lx, '/', &word, &stopped) < 0)
        return -1;
      cleanup_free char *rep = NULL;
      if (stopped == '/') {
        if (modifier_word(lx, -1, &rep, NULL) < 0)
          return -1;
      } else {
        rep = xstrdup("");
      }
      if (!set && lx->o->skip_unset) {
        cleanup_free char *s = xasprintf("${%s/%s%s/%s}", name, all ? "/" : "", word, rep);
        dbuf_adds(out, s);
        return 0;
      }
      cleanup_free char *r = replace_pattern(value, word, rep, all);
      dbuf_adds(out, r);
      return 0;
    }
    default: return err_usage(lx->e, "unsupported modifier (%c) in substitution", ch);
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
      if (lx->o->raw_escapes) {
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
  struct lexer lx = {.s = text, .o = o, .e = e};
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
