/* instr.c — one Dockerfile instruction: its keyword, leading --flags and
 * arguments, checked the way buildkit's parser and instructions package
 * check them, with their error texts. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "df_int.h"

enum flag_type { FL_BOOL, FL_STRING, FL_STRINGS };
struct flag_spec {
  const char *name;
  enum flag_type type;
};

static const struct flag_spec from_flags[] = {{"platform", FL_STRING}, {NULL, 0}};
static const struct flag_spec run_flags[] = {{"mount", FL_STRINGS},
                                             {"network", FL_STRING},
                                             {"security", FL_STRING},
                                             {"device", FL_STRINGS},
                                             {NULL, 0}};
static const struct flag_spec copy_flags[] = {{"from", FL_STRING},
                                              {"chown", FL_STRING},
                                              {"chmod", FL_STRING},
                                              {"link", FL_BOOL},
                                              {"parents", FL_BOOL},
                                              {"exclude", FL_STRINGS},
                                              {NULL, 0}};
static const struct flag_spec add_flags[] = {
    {"chown", FL_STRING},      {"chmod", FL_STRING},    {"link", FL_BOOL}, {"checksum", FL_STRING},
    {"keep-git-dir", FL_BOOL}, {"exclude", FL_STRINGS}, {NULL, 0}};
static const struct flag_spec health_flags[] = {
    {"interval", FL_STRING},       {"timeout", FL_STRING}, {"start-period", FL_STRING},
    {"start-interval", FL_STRING}, {"retries", FL_STRING}, {NULL, 0}};
static const struct flag_spec no_flags[] = {{NULL, 0}};

static const struct {
  const char *name;
  enum df_kind kind;
  const struct flag_spec *flags;
} keywords[] = {
    {"from", DF_FROM, from_flags},
    {"run", DF_RUN, run_flags},
    {"cmd", DF_CMD, no_flags},
    {"entrypoint", DF_ENTRYPOINT, no_flags},
    {"env", DF_ENV, no_flags},
    {"arg", DF_ARG, no_flags},
    {"workdir", DF_WORKDIR, no_flags},
    {"user", DF_USER, no_flags},
    {"label", DF_LABEL, no_flags},
    {"expose", DF_EXPOSE, no_flags},
    {"volume", DF_VOLUME, no_flags},
    {"copy", DF_COPY, copy_flags},
    {"add", DF_ADD, add_flags},
    {"shell", DF_SHELL, no_flags},
    {"stopsignal", DF_STOPSIGNAL, no_flags},
    {"healthcheck", DF_HEALTHCHECK, health_flags},
    {"onbuild", DF_ONBUILD, no_flags},
    {"maintainer", DF_MAINTAINER, no_flags},
};

static const char *kind_name(enum df_kind k) {
  static const char *const names[] = {
      [DF_FROM] = "FROM",
      [DF_RUN] = "RUN",
      [DF_CMD] = "CMD",
      [DF_ENTRYPOINT] = "ENTRYPOINT",
      [DF_ENV] = "ENV",
      [DF_ARG] = "ARG",
      [DF_WORKDIR] = "WORKDIR",
      [DF_USER] = "USER",
      [DF_LABEL] = "LABEL",
      [DF_EXPOSE] = "EXPOSE",
      [DF_VOLUME] = "VOLUME",
      [DF_COPY] = "COPY",
      [DF_ADD] = "ADD",
      [DF_SHELL] = "SHELL",
      [DF_STOPSIGNAL] = "STOPSIGNAL",
      [DF_HEALTHCHECK] = "HEALTHCHECK",
      [DF_ONBUILD] = "ONBUILD",
      [DF_MAINTAINER] = "MAINTAINER",
  };
  return names[k];
}

void df_kv_free(struct df_kv *kv, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(kv[i].key);
    free(kv[i].value);
  }
  free(kv);
}

void df_instr_clear(struct df_instr *in) {
  free(in->text);
  for (size_t i = 0; i < in->nflags; i++) {
    free(in->flags[i].name);
    free(in->flags[i].value);
  }
  free(in->flags);
  for (size_t i = 0; i < in->nargs; i++)
    free(in->args[i]);
  free(in->args);
  df_kv_free(in->kv, in->nkv);
  for (size_t i = 0; i < in->nheredocs; i++) {
    free(in->heredocs[i].name);
    free(in->heredocs[i].body);
  }
  free(in->heredocs);
  if (in->sub) {
    df_instr_clear(in->sub);
    free(in->sub);
  }
  memset(in, 0, sizeof(*in));
}

static void push_arg(struct df_instr *in, const char *s, size_t n) {
  in->args = xrealloc(in->args, (in->nargs + 1) * sizeof(char *));
  in->args[in->nargs++] = xstrndup(s, n);
}

static void push_kv(struct df_instr *in, const char *k, size_t kn, const char *v, bool has_value) {
  in->kv = xrealloc(in->kv, (in->nkv + 1) * sizeof(*in->kv));
  in->kv[in->nkv++] = (struct df_kv){
      .key = xstrndup(k, kn), .value = xstrdup(has_value ? v : ""), .has_value = has_value};
}

/* buildkit's extractBuilderFlags: the leading words that start with "--"
 * (quotes removed, backslash escapes), up to a word that does not or a
 * lone "--".  Returns where the arguments begin. */
static const char *extract_flags(const char *s, char escape, char ***words) {
  size_t i = 0;
  for (;;) {
    while (df_isspace((unsigned char)s[i]))
      i++;
    if (s[i] != '-' || s[i + 1] != '-')
      return s + i;
    struct dbuf w = {0};
    bool blank_ok = false;
    int quote = 0;
    dbuf_adds(&w, "");
    for (; s[i]; i++) {
      char c = s[i];
      if (quote) {
        if (c == quote) {
          quote = 0;
          continue;
        }
        if (c == escape) {
          if (!s[i + 1]) {
            quote = 0;
            continue;
          }
          c = s[++i];
        }
        dbuf_addc(&w, c);
        continue;
      }
      if (df_isspace((unsigned char)c))
        break;
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
        continue;
      }
      if (c == escape) {
        if (!s[i + 1])
          continue;
        c = s[++i];
      }
      dbuf_addc(&w, c);
    }
    if (strcmp(w.p, "--") == 0) {
      free(w.p);
      return s + i;
    }
    if (blank_ok || w.len > 0)
      strv_push(words, w.p);
    free(w.p);
    if (!s[i])
      return s + i;
  }
}

/* Levenshtein distance, for the "did you mean" of unknown names. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t *row = xcalloc(lb + 1, sizeof(size_t));
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  size_t d = row[lb];
  free(row);
  return d;
}

/* buildkit's suggest.Search: the closest name under distance 3. */
static const char *closest(const char *val, const char *const *names, size_t n) {
  const char *best = NULL;
  size_t min = 3;
  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(val, names[i]);
    if (d < min) {
      min = d;
      best = names[i];
    }
  }
  return best;
}

/* buildkit's BFlags.Parse: every flag known to the instruction, values
 * where they need one, no repeats except for the list flags.  Up to a
 * lone "--". */
static int parse_flags(struct df_instr *in, char **words, const struct flag_spec *spec,
                       struct err **e) {
  for (size_t i = 0; words && words[i]; i++) {
    if (strcmp(words[i], "--") == 0)
      return 0;
    const char *arg = words[i] + 2;
    const char *eq = strchr(arg, '=');
    int nlen = (int)(eq ? (size_t)(eq - arg) : strlen(arg));
    const struct flag_spec *f = NULL;
    for (const struct flag_spec *s = spec; s->name; s++)
      if (strlen(s->name) == (size_t)nlen && strncmp(s->name, arg, (size_t)nlen) == 0)
        f = s;
    if (!f) {
      const char *names[16];
      size_t n = 0;
      for (const struct flag_spec *s = spec; s->name && n < 16; s++)
        names[n++] = s->name;
      cleanup_free char *name = xstrndup(arg, (size_t)nlen);
      const char *hint = closest(name, names, n);
      if (hint)
        return err_usage(e, "unknown flag: --%s (did you mean %s?)", name, hint);
      return err_usage(e, "unknown flag: --%s", name);
    }
    if (f->type != FL_STRINGS)
      for (size_t j = 0; j < in->nflags; j++)
        if (strcmp(in->flags[j].name, f->name) == 0)
          return err_usage(e, "duplicate flag specified: --%s", f->name);
    if (f->type == FL_BOOL) {
      if (eq && !eq[1])
        return err_usage(e, "missing a value on flag: --%s", f->name);
      if (eq && strcasecmp(eq + 1, "true") != 0 && strcasecmp(eq + 1, "false") != 0)
        return err_usage(e, "expecting boolean value for flag --%s, not: %s", f->name, eq + 1);
    } else if (!eq) {
      return err_usage(e, "missing a value on flag: --%s", f->name);
    }
    in->flags = xrealloc(in->flags, (in->nflags + 1) * sizeof(*in->flags));
    in->flags[in->nflags++] =
        (struct df_flag){.name = xstrdup(f->name), .value = eq ? xstrdup(eq + 1) : NULL};
  }
  return 0;
}

/* ARG and STOPSIGNAL never look at their flags in docker: kept as given. */
static void keep_flags(struct df_instr *in, char **words) {
  for (size_t i = 0; words && words[i] && strcmp(words[i], "--") != 0; i++) {
    const char *arg = words[i] + 2;
    const char *eq = strchr(arg, '=');
    in->flags = xrealloc(in->flags, (in->nflags + 1) * sizeof(*in->flags));
    in->flags[in->nflags++] =
        (struct df_flag){.name = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg),
                         .value = eq ? xstrdup(eq + 1) : NULL};
  }
}

/* A JSON array of strings: 1 (args filled), 0 (not JSON: shell form) or
 * -1 (JSON, but not all strings: an error, as docker has it). */
static int parse_json_array(struct df_instr *in, const char *rest, struct err **e) {
  while (df_isspace((unsigned char)*rest))
    rest++;
  if (*rest != '[')
    return 0;
  json_error_t jerr;
  cleanup_json json_t *j = json_loads(rest, JSON_ALLOW_NUL, &jerr);
  if (!j || !json_is_array(j))
    return 0;
  size_t i;
  json_t *v;
  json_array_foreach(j, i, v) {
    if (!json_is_string(v))
      return err_usage(e, "when using JSON array syntax, arrays must be comprised of strings only");
  }
  json_array_foreach(j, i, v) push_arg(in, json_string_value(v), json_string_length(v));
  in->json = true;
  return 1;
}

/* parseMaybeJSON: RUN CMD ENTRYPOINT SHELL and HEALTHCHECK CMD. */
static int maybe_json(struct df_instr *in, const char *rest, struct err **e) {
  if (!*rest)
    return 0;
  int r = parse_json_array(in, rest, e);
  if (r < 0)
    return -1;
  if (r == 0)
    push_arg(in, rest, strlen(rest));
  return 0;
}

/* Whitespace-separated words, no quote processing (FROM, EXPOSE, and
 * the shell forms of COPY ADD VOLUME). */
static void split_ws(struct df_instr *in, const char *rest) {
  const char *p = rest;
  for (;;) {
    while (*p && df_isspace((unsigned char)*p))
      p++;
    if (!*p)
      return;
    const char *start = p;
    while (*p && !df_isspace((unsigned char)*p))
      p++;
    push_arg(in, start, (size_t)(p - start));
  }
}

static int maybe_json_list(struct df_instr *in, const char *rest, struct err **e) {
  int r = parse_json_array(in, rest, e);
  if (r < 0)
    return -1;
  if (r == 0)
    split_ws(in, rest);
  return 0;
}

/* buildkit's parseWords: words split on unquoted whitespace, quotes and
 * escapes kept in them. */
static char **parse_words(const char *s, char escape) {
  char **words = NULL;
  struct dbuf w = {0};
  bool in_word = false, blank_ok = false;
  int quote = 0;
  dbuf_adds(&w, "");
  for (size_t i = 0;; i++) {
    char c = s[i];
    if (!c) {
      if (in_word && (blank_ok || w.len > 0))
        strv_push(&words, w.p);
      break;
    }
    if (!in_word) {
      if (df_isspace((unsigned char)c))
        continue;
      in_word = true;
    }
    if (!quote) {
      if (df_isspace((unsigned char)c)) {
        if (blank_ok || w.len > 0)
          strv_push(&words, w.p);
        w.len = 0;
        w.p[0] = '\0';
        blank_ok = false;
        in_word = false;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
      } else if (c == escape) {
        if (!s[i + 1])
          continue;
        dbuf_addc(&w, c);
        c = s[++i];
      }
      dbuf_addc(&w, c);
      continue;
    }
    if (c == quote)
      quote = 0;
    else if (c == escape && quote != '\'') {
      if (!s[i + 1]) {
        quote = 0;
        continue;
      }
      dbuf_addc(&w, c);
      c = s[++i];
    }
    dbuf_addc(&w, c);
  }
  free(w.p);
  if (!words)
    words = xcalloc(1, sizeof(char *));
  return words;
}

/* ENV and LABEL: `KEY name=value ...`, or the old `KEY name value` where
 * the value is the rest of the line.  The first word decides. */
static int parse_name_val(struct df_instr *in, const char *rest, char escape, const char *what,
                          struct err **e) {
  cleanup_strv char **words = parse_words(rest, escape);
  if (!words[0])
    return err_usage(e, "%s requires at least one argument", what);
  if (!strchr(words[0], '=')) {
    const char *p = rest;
    while (*p && !df_isspace((unsigned char)*p))
      p++;
    size_t klen = (size_t)(p - rest);
    while (df_isspace((unsigned char)*p))
      p++;
    if (!*p)
      return err_usage(e, "%s must have two arguments", what);
    push_kv(in, rest, klen, p, true);
    return 0;
  }
  for (size_t i = 0; words[i]; i++) {
    const char *eq = strchr(words[i], '=');
    if (!eq)
      return err_usage(e, "Syntax error - can't find = in \"%s\". Must be of the form: name=value",
                       words[i]);
    if (eq == words[i])
      return err_usage(e, "%s names can not be blank", what);
    push_kv(in, words[i], (size_t)(eq - words[i]), eq + 1, true);
  }
  return 0;
}

static int parse_arg(struct df_instr *in, const char *rest, char escape, struct err **e) {
  cleanup_strv char **words = parse_words(rest, escape);
  if (!words[0])
    return err_usage(e, "ARG requires at least one argument");
  for (size_t i = 0; words[i]; i++) {
    const char *eq = strchr(words[i], '=');
    if (eq == words[i])
      return err_usage(e, "ARG names can not be blank");
    if (eq)
      push_kv(in, words[i], (size_t)(eq - words[i]), eq + 1, true);
    else
      push_kv(in, words[i], strlen(words[i]), NULL, false);
  }
  return 0;
}

/* Go's time.ParseDuration, for HEALTHCHECK's options: a sequence of
 * decimal numbers with units ns us µs ms s m h, optionally signed.  On
 * error, the message Go gives. */
static int parse_go_duration(const char *s, double *out, struct err **e) {
  static const struct {
    const char *u;
    double ns;
  } units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
               {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
  const char *p = s;
  double sign = 1, total = 0;
  if (*p == '-' || *p == '+')
    sign = *p++ == '-' ? -1 : 1;
  if (strcmp(p, "0") == 0) {
    *out = 0;
    return 0;
  }
  if (!*p)
    return err_usage(e, "time: invalid duration \"%s\"", s);
  while (*p) {
    const char *start = p;
    while (*p >= '0' && *p <= '9')
      p++;
    bool pre = p > start;
    if (*p == '.') {
      p++;
      const char *frac = p;
      while (*p >= '0' && *p <= '9')
        p++;
      if (!pre && p == frac)
        return err_usage(e, "time: invalid duration \"%s\"", s);
    } else if (!pre) {
      return err_usage(e, "time: invalid duration \"%s\"", s);
    }
    double v = strtod(start, NULL);
    const char *u = p;
    while (*p && *p != '.' && !(*p >= '0' && *p <= '9'))
      p++;
    if (u == p)
      return err_usage(e, "time: missing unit in duration \"%s\"", s);
    double mult = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
      if (strlen(units[i].u) == (size_t)(p - u) && strncmp(u, units[i].u, (size_t)(p - u)) == 0)
        mult = units[i].ns;
    if (mult == 0)
      return err_usage(e, "time: unknown unit \"%.*s\" in duration \"%s\"", (int)(p - u), u, s);
    total += v * mult;
  }
  *out = sign * total;
  return 0;
}

static int check_health_flags(const struct df_instr *in, struct err **e) {
  for (size_t i = 0; i < in->nflags; i++) {
    const char *n = in->flags[i].name, *v = in->flags[i].value;
    if (!v || !*v)
      continue;
    if (strcmp(n, "retries") == 0) {
      char *end;
      errno = 0;
      long long r = strtoll(v, &end, 10);
      if (*end || errno || r > 2147483647LL || r < -2147483648LL)
        return err_usage(e, "strconv.ParseInt: parsing \"%s\": %s", v,
                         *end ? "invalid syntax" : "value out of range");
      if (r < 0)
        return err_usage(e, "--retries cannot be negative (%lld)", r);
      continue;
    }
    double d = 0;
    if (parse_go_duration(v, &d, e) < 0)
      return -1;
    if (d != 0 && d < 1e6)
      return err_usage(e, "Interval \"%s\" cannot be less than 1ms", n);
  }
  return 0;
}

static int parse_healthcheck(struct df_instr *in, const char *rest, struct err **e) {
  const char *p = rest;
  while (*p && !df_isspace((unsigned char)*p))
    p++;
  if (p == rest)
    return err_usage(e, "HEALTHCHECK requires at least one argument");
  cleanup_free char *typ = xstrndup(rest, (size_t)(p - rest));
  for (char *c = typ; *c; c++)
    *c = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
  while (df_isspace((unsigned char)*p))
    p++;
  if (strcmp(typ, "NONE") == 0) {
    if (*p)
      return err_usage(e, "HEALTHCHECK NONE takes no arguments");
    push_arg(in, "NONE", 4);
    return 0;
  }
  if (strcmp(typ, "CMD") != 0)
    return err_usage(e, "Unknown type \"%s\" in HEALTHCHECK (try CMD)", typ);
  if (maybe_json(in, p, e) < 0)
    return -1;
  if (in->nargs == 0)
    return err_usage(e, "Missing command after HEALTHCHECK CMD");
  return 0;
}

static bool valid_stage_name(const char *s) {
  if (!(*s >= 'a' && *s <= 'z'))
    return false;
  for (s++; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
          *s == '.'))
      return false;
  return true;
}

static int parse_from(struct df_instr *in, const char *rest, struct err **e) {
  split_ws(in, rest);
  if (in->nargs == 3 && strcasecmp(in->args[1], "as") == 0) {
    cleanup_free char *lower = xstrdup(in->args[2]);
    for (char *c = lower; *c; c++)
      *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
    if (!valid_stage_name(lower))
      return err_usage(e,
                       "invalid name for build stage: \"%s\", name can't start with a number or "
                       "contain symbols",
                       in->args[2]);
    return 0;
  }
  if (in->nargs != 1)
    return err_usage(e, "FROM requires either one or three arguments");
  return 0;
}

/* A source or destination of COPY/ADD written as a heredoc marker. */
static bool is_heredoc_word(const char *w) {
  while (*w >= '0' && *w <= '9')
    w++;
  if (w[0] != '<' || w[1] != '<')
    return false;
  w += 2;
  if (*w == '-')
    w++;
  while (df_isspace((unsigned char)*w))
    w++;
  return *w && !strchr(w, '<');
}

static int parse_copy(struct df_instr *in, const char *rest, struct err **e) {
  const char *what = kind_name(in->kind);
  if (maybe_json_list(in, rest, e) < 0)
    return -1;
  if (in->nargs < 2)
    return err_usage(e,
                     "%s requires at least two arguments, but only one was provided. Destination "
                     "could not be determined",
                     what);
  if (!in->json && is_heredoc_word(in->args[in->nargs - 1]))
    return err_usage(e, "%s cannot accept a heredoc as a destination", what);
  /* A heredoc source is named by its delimiter, as in heredocs[].name. */
  for (size_t i = 0; !in->json && i + 1 < in->nargs; i++) {
    struct df_heredoc h = {0};
    bool chomp;
    int r = df_heredoc_word(in->args[i], &h, &chomp, e);
    if (r < 0)
      return -1;
    if (r > 0) {
      free(in->args[i]);
      in->args[i] = h.name;
    }
  }
  return 0;
}

static const char *skip_ws(const char *p) {
  while (df_isspace((unsigned char)*p))
    p++;
  return p;
}

/* "unknown instruction: RUNN (did you mean RUN?)", the hint in the case
 * the word was written in, as buildkit gives it. */
static int unknown_instruction(const char *kw, size_t kwlen, struct err **e) {
  cleanup_free char *word = xstrndup(kw, kwlen);
  cleanup_free char *lower = xstrdup(word);
  bool all_lower = true, all_upper = true;
  for (char *c = lower; *c; c++) {
    all_lower &= !(*c >= 'A' && *c <= 'Z');
    all_upper &= !(*c >= 'a' && *c <= 'z');
    *c = (char)tolower((unsigned char)*c);
  }
  const char *names[sizeof(keywords) / sizeof(keywords[0])];
  for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
    names[i] = keywords[i].name;
  const char *hint = closest(lower, names, sizeof(names) / sizeof(names[0]));
  if (!hint)
    return err_usage(e, "unknown instruction: %s", word);
  cleanup_free char *h = xstrdup(hint);
  if (all_upper && !all_lower)
    for (char *c = h; *c; c++)
      *c = (char)toupper((unsigned char)*c);
  return err_usage(e, "unknown instruction: %s (did you mean %s?)", word, h);
}

/* The arguments of an instruction, by kind. */
static int parse_args(struct df_instr *in, const char *rest, char escape, struct err **e) {
  const char *what = kind_name(in->kind);
  switch (in->kind) {
    case DF_FROM: return parse_from(in, rest, e);
    case DF_RUN:
      if (maybe_json(in, rest, e) < 0)
        return -1;
      if (in->nargs == 0 && !in->json)
        return err_usage(e, "RUN requires at least one argument");
      return 0;
    case DF_CMD:
    case DF_ENTRYPOINT: return maybe_json(in, rest, e);
    case DF_SHELL:
      if (maybe_json(in, rest, e) < 0)
        return -1;
      if (in->nargs == 0)
        return err_usage(e, "SHELL requires at least one argument");
      if (!in->json)
        return err_usage(e, "SHELL requires the arguments to be in JSON form");
      return 0;
    case DF_ENV: return parse_name_val(in, rest, escape, "ENV", e);
    case DF_LABEL: return parse_name_val(in, rest, escape, "LABEL", e);
    case DF_ARG: return parse_arg(in, rest, escape, e);
    case DF_WORKDIR:
    case DF_USER:
    case DF_STOPSIGNAL:
    case DF_MAINTAINER:
      if (!*rest)
        return err_usage(e, "%s requires exactly one argument", what);
      push_arg(in, rest, strlen(rest));
      return 0;
    case DF_EXPOSE:
      split_ws(in, rest);
      if (in->nargs == 0)
        return err_usage(e, "EXPOSE requires at least one argument");
      return 0;
    case DF_VOLUME:
      if (maybe_json_list(in, rest, e) < 0)
        return -1;
      if (in->nargs == 0)
        return err_usage(e, "VOLUME requires at least one argument");
      for (size_t i = 0; i < in->nargs; i++) {
        char *v = in->args[i], *b = v;
        while (df_isspace((unsigned char)*b))
          b++;
        size_t n = strlen(b);
        while (n > 0 && df_isspace((unsigned char)b[n - 1]))
          n--;
        memmove(v, b, n);
        v[n] = '\0';
        if (!*v)
          return err_usage(e, "VOLUME specified can not be an empty string");
      }
      return 0;
    case DF_COPY:
    case DF_ADD: return parse_copy(in, rest, e);
    case DF_HEALTHCHECK: return parse_healthcheck(in, rest, e);
    case DF_ONBUILD: {
      if (!*rest)
        return err_usage(e, "ONBUILD requires at least one argument");
      const char *q = rest;
      while (*q && !df_isspace((unsigned char)*q))
        q++;
      size_t tlen = (size_t)(q - rest);
      if (tlen == 7 && strncasecmp(rest, "onbuild", 7) == 0)
        return err_usage(e, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if ((tlen == 4 && strncasecmp(rest, "from", 4) == 0) ||
          (tlen == 10 && strncasecmp(rest, "maintainer", 10) == 0)) {
        cleanup_free char *up = xstrndup(rest, tlen);
        for (char *c = up; *c; c++)
          *c = (char)toupper((unsigned char)*c);
        return err_usage(e, "%s isn't allowed as an ONBUILD trigger", up);
      }
      /* docker checks the trigger only when an image is built FROM this
     * one; checking it now reports the mistake where it was made */
      in->sub = xcalloc(1, sizeof(*in->sub));
      in->sub->line = in->line;
      in->sub->text = xstrdup(rest);
      return df_instr_parse(in->sub, rest, escape, e);
    }
  }
  return 0;
}

int df_instr_parse(struct df_instr *in, const char *line, char escape, struct err **e) {
  const char *p = skip_ws(line);
  const char *kw = p;
  while (*p && !df_isspace((unsigned char)*p))
    p++;
  size_t kwlen = (size_t)(p - kw);
  size_t k = 0, nk = sizeof(keywords) / sizeof(keywords[0]);
  while (k < nk &&
         !(strlen(keywords[k].name) == kwlen && strncasecmp(keywords[k].name, kw, kwlen) == 0))
    k++;
  if (k == nk)
    return unknown_instruction(kw, kwlen, e);
  in->kind = keywords[k].kind;

  cleanup_strv char **flagwords = NULL;
  cleanup_free char *rest = xstrdup(skip_ws(extract_flags(p, escape, &flagwords)));
  /* The line was trimmed: so are the arguments. */
  size_t n = strlen(rest);
  while (n > 0 && df_isspace((unsigned char)rest[n - 1]))
    rest[--n] = '\0';

  switch (in->kind) {
    case DF_ARG:
    case DF_STOPSIGNAL: keep_flags(in, flagwords); return parse_args(in, rest, escape, e);
    case DF_FROM:
    case DF_COPY:
    case DF_ADD:
    case DF_WORKDIR:
    case DF_MAINTAINER:
    case DF_USER:
    case DF_EXPOSE:
    case DF_VOLUME:
    case DF_ONBUILD:
    case DF_HEALTHCHECK:
      /* these check their arguments before their flags */
      if (parse_args(in, rest, escape, e) < 0 ||
          parse_flags(in, flagwords, keywords[k].flags, e) < 0)
        return -1;
      if (in->kind == DF_HEALTHCHECK &&
          !(in->nargs == 1 && strcmp(in->args[0], "NONE") == 0 && !in->json))
        return check_health_flags(in, e);
      return 0;
    default:
      if (parse_flags(in, flagwords, keywords[k].flags, e) < 0)
        return -1;
      return parse_args(in, rest, escape, e);
  }
}

bool df_instr_takes_heredocs(const struct df_instr *in) {
  if (in->kind == DF_ONBUILD && in->sub)
    in = in->sub;
  return (in->kind == DF_RUN || in->kind == DF_COPY || in->kind == DF_ADD) && !in->json;
}
