/* dockerfile.c — a Dockerfile into stages of instructions: the lines,
 * parser directives, comments, continuations and heredoc bodies, as
 * buildkit's parser reads them; instr.c parses each instruction. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "df_int.h"

struct reader {
  const char *buf;
  size_t len, pos;
  int lineno;
};

/* The next line.  Instruction lines lose their line end ("\r\n" and
 * any run of them, as buildkit trims); heredoc body lines keep it, as
 * buildkit copies them verbatim.  NULL at the end. */
static char *next_line_raw(struct reader *r, bool keep_end) {
  if (r->pos >= r->len)
    return NULL;
  const char *s = r->buf + r->pos;
  const char *nl = memchr(s, '\n', r->len - r->pos);
  size_t n = nl ? (size_t)(nl - s) + 1 : r->len - r->pos;
  r->pos += n;
  if (r->lineno == 0 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
    s += 3;
    n -= 3;
  }
  r->lineno++;
  if (!keep_end)
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
      n--;
  /* A NUL byte ends the line's text: nothing in a Dockerfile needs one. */
  return xstrndup(s, n);
}

static char *next_line(struct reader *r) {
  return next_line_raw(r, false);
}

static const char *lskip(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f' || *s == '\r' || *s == '\n')
    s++;
  return s;
}

static bool is_comment(const char *line) {
  return *lskip(line) == '#';
}

/* Parser directives: `# name = value` lines at the very top.  The first
 * line that is not one (a comment, a blank line, an instruction, an
 * unknown directive) ends them, as in docker. */
struct directives {
  bool done, seen_escape, seen_syntax, seen_check;
  char escape;
  char *syntax;
};

static int directive_line(struct directives *d, const char *line, struct err **e) {
  if (d->done)
    return 0;
  const char *p = lskip(line);
  if (*p != '#') {
    d->done = true;
    return 0;
  }
  p++;
  while (df_isspace((unsigned char)*p))
    p++;
  const char *name = p;
  if (!isalpha((unsigned char)*p)) {
    d->done = true;
    return 0;
  }
  while (isalnum((unsigned char)*p))
    p++;
  size_t nlen = (size_t)(p - name);
  while (df_isspace((unsigned char)*p))
    p++;
  if (*p != '=') {
    d->done = true;
    return 0;
  }
  p++;
  while (df_isspace((unsigned char)*p))
    p++;
  size_t vlen = strlen(p);
  while (vlen > 0 && df_isspace((unsigned char)p[vlen - 1]))
    vlen--;
  if (vlen == 0) {
    d->done = true;
    return 0;
  }
  bool *seen;
  const char *key;
  if (nlen == 6 && strncasecmp(name, "escape", 6) == 0) {
    seen = &d->seen_escape;
    key = "escape";
  } else if (nlen == 6 && strncasecmp(name, "syntax", 6) == 0) {
    seen = &d->seen_syntax;
    key = "syntax";
  } else if (nlen == 5 && strncasecmp(name, "check", 5) == 0) {
    seen = &d->seen_check;
    key = "check";
  } else {
    d->done = true;
    return 0;
  }
  if (*seen)
    return err_usage(e, "only one %s parser directive can be used", key);
  *seen = true;
  if (strcmp(key, "escape") == 0) {
    if (vlen != 1 || (*p != '\\' && *p != '`'))
      return err_usage(e, "invalid escape token '%.*s' does not match ` or \\", (int)vlen, p);
    d->escape = *p;
  } else if (strcmp(key, "syntax") == 0) {
    d->syntax = xstrndup(p, vlen);
  }
  return 0;
}

/* The escape character and blanks at the end of a line continue it,
 * unless the escape is itself escaped (buildkit's `([^\\])\\[ \t]*$`):
 * returns true when the line ends the instruction, and cuts the escape. */
static bool trim_continuation(char *line, char escape) {
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
    n--;
  if (n == 0 || line[n - 1] != escape || (n >= 2 && line[n - 2] == escape))
    return true;
  line[n - 1] = '\0';
  return false;
}

static int fail_at(struct err **e, const char *name, int line, struct err *cause) {
  err_usage(e, "%s:%d: %s", name, line, cause ? cause->msg : "unknown error");
  err_free(&cause);
  return -1;
}

/* buildkit's ParseHeredoc on one word of the line: [fd]<<[-]WORD, WORD a
 * single shell word; quoting any part of it turns expansion off. */
int df_heredoc_word(const char *word, struct df_heredoc *h, bool *chomp, struct err **e) {
  const char *p = word;
  while (*p >= '0' && *p <= '9')
    p++;
  if (p[0] != '<' || p[1] != '<')
    return 0;
  p += 2;
  bool ch = *p == '-';
  if (ch)
    p++;
  while (df_isspace((unsigned char)*p))
    p++;
  if (!*p || strchr(p, '<'))
    return 0;
  struct df_lex_opts o = {.escape = '\\', .skip_unset = true};
  cleanup_strv char **words = NULL, **raw = NULL;
  cleanup_free char *s1 = df_lex(p, &o, &words, e);
  if (!s1)
    return -1;
  if (strv_len(words) != 1)
    return 0;
  o.raw_quotes = true;
  cleanup_free char *s2 = df_lex(p, &o, &raw, e);
  if (!s2)
    return -1;
  if (strv_len(raw) != 1)
    return err_usage(e, "internal lexing of heredoc produced inconsistent results: %s", p);
  size_t q1 = 0, q2 = 0;
  for (const char *c = words[0]; *c; c++)
    q1 += *c == '\'' || *c == '"';
  for (const char *c = raw[0]; *c; c++)
    q2 += *c == '\'' || *c == '"';
  h->name = xstrdup(words[0]);
  h->expand = q1 == q2;
  *chomp = ch;
  return 1;
}

int df_heredoc_markers(const char *line, struct df_heredoc **out, size_t *n, bool **chomp,
                       struct err **e) {
  *out = NULL;
  *n = 0;
  *chomp = NULL;
  struct df_lex_opts o = {
      .escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true};
  cleanup_strv char **words = NULL;
  struct err *ignored = NULL;
  cleanup_free char *s = df_lex(line, &o, &words, &ignored);
  if (!s) {
    /* docker finds no heredoc in a line its lexer cannot read */
    err_free(&ignored);
    return 0;
  }
  for (size_t i = 0; words[i]; i++) {
    struct df_heredoc h = {0};
    bool c = false;
    int r = df_heredoc_word(words[i], &h, &c, e);
    if (r < 0) {
      for (size_t j = 0; j < *n; j++)
        free((*out)[j].name);
      free(*out);
      free(*chomp);
      *out = NULL;
      *chomp = NULL;
      *n = 0;
      return -1;
    }
    if (r == 0)
      continue;
    *out = xrealloc(*out, (*n + 1) * sizeof(**out));
    *chomp = xrealloc(*chomp, (*n + 1) * sizeof(bool));
    (*out)[*n] = h;
    (*chomp)[*n] = c;
    (*n)++;
  }
  return 0;
}

/* Bodies of the heredocs of an instruction: the lines that follow it, up
 * to each delimiter alone on a line (after its leading tabs with <<-). */
static int read_heredocs(struct reader *r, struct df_instr *in, const char *name, struct err **e) {
  struct df_instr *target = in->kind == DF_ONBUILD && in->sub ? in->sub : in;
  struct df_heredoc *hs;
  size_t n;
  cleanup_free bool *chomp = NULL;
  struct err *cause = NULL;
  if (df_heredoc_markers(in->text, &hs, &n, &chomp, &cause) < 0)
    return fail_at(e, name, in->line, cause);
  target->heredocs = hs;
  target->nheredocs = n;
  for (size_t i = 0; i < n; i++) {
    struct dbuf body = {0};
    bool done = false;
    char *l;
    while ((l = next_line_raw(r, true)) != NULL) {
      size_t end = strlen(l);
      while (end > 0 && (l[end - 1] == '\n' || l[end - 1] == '\r'))
        end--;
      const char *cand = l;
      if (chomp[i])
        while (*cand == '\t')
          cand++;
      size_t clen = cand - l <= (ptrdiff_t)end ? end - (size_t)(cand - l) : 0;
      if (cand - l <= (ptrdiff_t)end && strlen(hs[i].name) == clen &&
          strncmp(cand, hs[i].name, clen) == 0) {
        free(l);
        done = true;
        break;
      }
      /* <<- strips leading tabs from the body too (buildkit does it when
       * the instruction uses the body) */
      dbuf_adds(&body, chomp[i] ? cand : l);
      if (!l[0] || l[strlen(l) - 1] != '\n')
        dbuf_addc(&body, '\n');
      free(l);
    }
    hs[i].body = dbuf_steal(&body);
    if (!done)
      return err_usage(e, "%s:%d: unterminated heredoc", name, in->line);
  }
  return 0;
}

/* The next instruction: its logical line (continuations joined; comments
 * and blank lines inside a continuation skipped) parsed into *in, and its
 * heredoc bodies.  Returns 1, 0 at the end, -1 on error. */
static int next_instr(struct reader *r, struct directives *d, struct df_instr *in, const char *name,
                      struct err **e) {
  for (;;) {
    cleanup_free char *raw = next_line(r);
    if (!raw)
      return 0;
    struct err *cause = NULL;
    if (directive_line(d, raw, &cause) < 0)
      return fail_at(e, name, r->lineno, cause);
    if (is_comment(raw))
      continue;
    int start = r->lineno;
    cleanup_free char *first = xstrdup(lskip(raw));
    bool end = trim_continuation(first, d->escape);
    if (end && *lskip(first) == '\0')
      continue;
    struct dbuf line = {0};
    dbuf_adds(&line, first);
    while (!end) {
      cleanup_free char *more = next_line(r);
      if (!more)
        break;
      if (is_comment(more) || *lskip(more) == '\0')
        continue;
      end = trim_continuation(more, d->escape);
      dbuf_adds(&line, more);
    }
    char *text = dbuf_steal(&line);
    size_t tl = strlen(text);
    while (tl > 0 && df_isspace((unsigned char)text[tl - 1]))
      text[--tl] = '\0';
    if (!*lskip(text)) {
      free(text);
      continue; /* only continuations of nothing */
    }
    in->line = start;
    in->text = text;
    if (df_instr_parse(in, text, d->escape, &cause) < 0)
      return fail_at(e, name, start, cause);
    in->line = start;
    if (df_instr_takes_heredocs(in) && strstr(text, "<<") && read_heredocs(r, in, name, e) < 0)
      return -1;
    return 1;
  }
}

static const char *base_name(const char *name) {
  const char *s = strrchr(name, '/');
  return s && s[1] ? s + 1 : name;
}

static void stage_free(struct df_stage *s) {
  for (size_t i = 0; i < s->ninstrs; i++)
    df_instr_clear(&s->instrs[i]);
  free(s->instrs);
  free(s->base);
  free(s->name);
  free(s->platform);
}

void df_free(struct df_file *f) {
  if (!f)
    return;
  free(f->syntax);
  df_kv_free(f->global_args, f->nglobal_args);
  for (size_t i = 0; i < f->nstages; i++)
    stage_free(&f->stages[i]);
  free(f->stages);
  free(f);
}

static void stage_add(struct df_stage *s, struct df_instr *in) {
  s->instrs = xrealloc(s->instrs, (s->ninstrs + 1) * sizeof(*s->instrs));
  s->instrs[s->ninstrs++] = *in;
  memset(in, 0, sizeof(*in));
}

static int new_stage(struct df_file *f, struct df_instr *in, const char *name, struct err **e) {
  cleanup_free char *sname = NULL;
  if (in->nargs == 3) {
    sname = xstrdup(in->args[2]);
    for (char *c = sname; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    for (size_t i = 0; i < f->nstages; i++)
      if (f->stages[i].name && strcmp(f->stages[i].name, sname) == 0)
        return err_usage(e, "%s:%d: duplicate stage name \"%s\"", name, in->line, sname);
  }
  f->stages = xrealloc(f->stages, (f->nstages + 1) * sizeof(*f->stages));
  struct df_stage *s = &f->stages[f->nstages];
  memset(s, 0, sizeof(*s));
  s->index = f->nstages++;
  s->base = xstrdup(in->args[0]);
  s->name = steal_ptr(&sname);
  for (size_t i = 0; i < in->nflags; i++)
    if (strcmp(in->flags[i].name, "platform") == 0) {
      free(s->platform);
      s->platform = xstrdup(in->flags[i].value ? in->flags[i].value : "");
    }
  stage_add(s, in);
  return 0;
}

/* docker reads lines with a 64 KiB buffer and refuses longer ones. */
#define MAX_LINE 65535

static int check_line_lengths(const char *buf, size_t len, const char *name, struct err **e) {
  int line = 1;
  for (size_t pos = 0; pos < len; line++) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
    if (n > MAX_LINE)
      return err_usage(e, "%s:%d: dockerfile line greater than max allowed size of %d", name, line,
                       MAX_LINE);
    pos += n + 1;
  }
  return 0;
}

struct df_file *df_parse(const char *buf, size_t len, const char *name, struct err **e) {
  name = base_name(name && *name ? name : "Dockerfile");
  if (buf && check_line_lengths(buf, len, name, e) < 0)
    return NULL;
  struct reader r = {.buf = buf ? buf : "", .len = buf ? len : 0};
  struct directives d = {.escape = '\\'};
  struct df_file *f = xcalloc(1, sizeof(*f));
  size_t ninstrs = 0;
  for (;;) {
    struct df_instr in = {0};
    int got = next_instr(&r, &d, &in, name, e);
    if (got <= 0) {
      df_instr_clear(&in);
      if (got < 0)
        goto fail;
      break;
    }
    ninstrs++;
    if (in.kind == DF_FROM) {
      if (new_stage(f, &in, name, e) < 0) {
        df_instr_clear(&in);
        goto fail;
      }
      continue;
    }
    if (f->nstages == 0) {
      if (in.kind != DF_ARG) {
        err_usage(e, "%s:%d: no build stage in current context", name, in.line);
        df_instr_clear(&in);
        goto fail;
      }
      f->global_args =
          xrealloc(f->global_args, (f->nglobal_args + in.nkv) * sizeof(*f->global_args));
      memcpy(f->global_args + f->nglobal_args, in.kv, in.nkv * sizeof(*in.kv));
      f->nglobal_args += in.nkv;
      free(in.kv);
      in.kv = NULL;
      in.nkv = 0;
      df_instr_clear(&in);
      continue;
    }
    stage_add(&f->stages[f->nstages - 1], &in);
  }
  if (ninstrs == 0) {
    err_usage(e, "%s: file with no instructions", name);
    goto fail;
  }
  if (f->nstages == 0) {
    err_usage(e, "%s: dockerfile contains no stages to build", name);
    goto fail;
  }
  f->escape = d.escape;
  f->syntax = d.syntax;
  return f;
fail:
  free(d.syntax);
  df_free(f);
  return NULL;
}

struct df_stage *df_stage_find(struct df_file *f, const char *name_or_index) {
  if (!f || !name_or_index || !*name_or_index)
    return NULL;
  for (size_t i = 0; i < f->nstages; i++)
    if (f->stages[i].name && strcasecmp(f->stages[i].name, name_or_index) == 0)
      return &f->stages[i];
  size_t idx = 0;
  for (const char *p = name_or_index; *p; p++) {
    if (*p < '0' || *p > '9' || idx > f->nstages)
      return NULL;
    idx = idx * 10 + (size_t)(*p - '0');
  }
  return idx < f->nstages ? &f->stages[idx] : NULL;
}
