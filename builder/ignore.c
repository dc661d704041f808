/* ignore.c — .dockerignore as docker reads it (moby's ignorefile.ReadAll
 * and patternmatcher): each line a pattern, cleaned like Go's
 * filepath.Clean with a leading '/' dropped; '!' makes an exception; the
 * last pattern that matches a path (or one of its parent directories)
 * decides.  In a pattern `*` and `?` stay within one path element, `**`
 * spans any number of them, `[…]` is a class and '\' escapes.
 *
 * Patterns without any wildcard compare as plain strings, and those that
 * start with `**` followed by plain text match as a suffix: the shortcuts
 * patternmatcher takes, kept because they decide a few odd cases. */
#include <stdio.h>

#include "df_int.h"

struct pattern {
  char *pat;
  bool exclusion;
  bool literal; /* no wildcard at all: a plain comparison */
  bool suffix;  /* "**" then plain text: a suffix comparison */
};

struct df_ignore {
  struct pattern *p;
  size_t n;
  bool exclusions;
};

/* Go's filepath.Clean. */
static char *path_clean_go(const char *path) {
  if (!*path)
    return xstrdup(".");
  bool rooted = path[0] == '/';
  size_t n = strlen(path);
  char *out = xmalloc(n + 2);
  size_t w = 0, dotdot = 0;
  if (rooted) {
    out[w++] = '/';
    dotdot = 1;
  }
  size_t r = rooted ? 1 : 0;
  while (r < n) {
    if (path[r] == '/') {
      r++;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      r++;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        w--;
        while (w > dotdot && out[w] != '/')
          w--;
      } else if (!rooted) {
        if (w > 0)
          out[w++] = '/';
        out[w++] = '.';
        out[w++] = '.';
        dotdot = w;
      }
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0))
        out[w++] = '/';
      for (; r < n && path[r] != '/'; r++)
        out[w++] = path[r];
    }
  }
  if (w == 0)
    out[w++] = '.';
  out[w] = '\0';
  return out;
}

/* Go's unicode.IsSpace over ASCII, as strings.TrimSpace uses it. */
static char *trim_space(const char *s, size_t n) {
  while (n > 0 && df_isspace((unsigned char)*s)) {
    s++;
    n--;
  }
  while (n > 0 && df_isspace((unsigned char)s[n - 1]))
    n--;
  return xstrndup(s, n);
}

/* What filepath.Match rejects: a '\' at the end, an empty or unclosed
 * class, a range with a missing end. */
static bool class_esc(const char **pp) {
  const char *p = *pp;
  if (!*p || *p == '-' || *p == ']')
    return false;
  if (*p == '\\') {
    p++;
    if (!*p)
      return false;
  }
  p++;
  *pp = p;
  return *p != '\0';
}

static bool pattern_valid(const char *p) {
  while (*p) {
    if (*p == '\\') {
      if (!p[1])
        return false;
      p += 2;
    } else if (*p == '[') {
      p++;
      if (*p == '^')
        p++;
      int nrange = 0;
      for (;;) {
        if (*p == ']' && nrange > 0) {
          p++;
          break;
        }
        if (!class_esc(&p))
          return false;
        if (*p == '-') {
          p++;
          if (!class_esc(&p))
            return false;
        }
        nrange++;
      }
    } else {
      p++;
    }
  }
  return true;
}

/* One class at *pp (just after '['), against c; advances *pp past ']'. */
static bool class_match(const char **pp, unsigned char c) {
  const char *p = *pp;
  bool neg = false, match = false;
  if (*p == '^') {
    neg = true;
    p++;
  }
  int nrange = 0;
  while (*p && !(*p == ']' && nrange > 0)) {
    if (*p == '\\' && p[1])
      p++;
    unsigned char lo = (unsigned char)*p++, hi = lo;
    if (*p == '-' && p[1] && p[1] != ']') {
      p++;
      if (*p == '\\' && p[1])
        p++;
      hi = (unsigned char)*p++;
    }
    if (lo <= c && c <= hi)
      match = true;
    nrange++;
  }
  if (*p == ']')
    p++;
  *pp = p;
  return match != neg;
}

/* The pattern as patternmatcher's regular expression reads it, against
 * the whole of s: `*` is any run without '/', `?` one character but '/',
 * a `**` followed by more is "nothing, or anything that ends in '/'", a
 * final `**` is anything, '\\' escapes.  Decided with a table over s,
 * one pattern element at a time: no backtracking, whatever the stars. */
static bool glob(const char *p, const char *s) {
  size_t len = strlen(s);
  bool *dp = xcalloc(len + 1, sizeof(bool)), *nx = xcalloc(len + 1, sizeof(bool));
  dp[0] = true;
  while (*p) {
    bool any = false;
    if (p[0] == '*' && p[1] == '*') {
      p += 2;
      if (*p == '/')
        p++;
      bool final = !*p;
      for (size_t j = 0; j <= len; j++) {
        /* final: any k <= j; else k == j, or k < j with s[j-1] == '/' */
        nx[j] = final ? (any |= dp[j]) : dp[j] || (any && s[j - 1] == '/');
        any |= dp[j];
      }
    } else if (*p == '*') {
      p++;
      for (size_t j = 0; j <= len; j++) {
        if (j > 0 && s[j - 1] == '/')
          any = false;
        any |= dp[j];
        nx[j] = any;
      }
    } else {
      const char *tok = p;
      if (*p == '[') {
        const char *q = p + 1;
        (void)class_match(&q, 0);
        p = q;
      } else {
        p += (*p == '\\' && p[1]) ? 2 : 1;
      }
      for (size_t j = 0; j <= len; j++) {
        bool m = false;
        if (j > 0 && dp[j - 1]) {
          unsigned char c = (unsigned char)s[j - 1];
          if (*tok == '?') {
            m = c != '/';
          } else if (*tok == '[') {
            const char *q = tok + 1;
            m = class_match(&q, c);
          } else {
            m = (unsigned char)(*tok == '\\' && tok[1] ? tok[1] : *tok) == c;
          }
        }
        nx[j] = m;
      }
    }
    bool *tmp = dp;
    dp = nx;
    nx = tmp;
  }
  bool r = dp[len];
  free(dp);
  free(nx);
  return r;
}

static bool pattern_match(const struct pattern *pt, const char *path) {
  if (pt->literal)
    return strcmp(pt->pat, path) == 0;
  if (pt->suffix) {
    const char *suf = pt->pat + 2;
    size_t ls = strlen(suf), lp = strlen(path);
    if (lp >= ls && strcmp(path + lp - ls, suf) == 0)
      return true;
    return suf[0] == '/' && strcmp(path, suf + 1) == 0;
  }
  return glob(pt->pat, path);
}

static void add_pattern(struct df_ignore *ig, char *p, bool exclusion) {
  ig->p = xrealloc(ig->p, (ig->n + 1) * sizeof(*ig->p));
  struct pattern *pt = &ig->p[ig->n++];
  bool wild = strpbrk(p, "*?[]\\") != NULL;
  *pt = (struct pattern){
      .pat = p,
      .exclusion = exclusion,
      .literal = !wild,
      .suffix = p[0] == '*' && p[1] == '*' && !strpbrk(p + 2, "*?[]\\"),
  };
  ig->exclusions |= exclusion;
}

struct df_ignore *df_ignore_parse(const char *buf, size_t len, struct err **e) {
  struct df_ignore *ig = xcalloc(1, sizeof(*ig));
  size_t pos = 0;
  int lineno = 0;
  while (buf && pos < len) {
    const char *s = buf + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - s) : len - pos;
    pos += n + (nl ? 1 : 0);
    if (lineno++ == 0 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
      s += 3;
      n -= 3;
    }
    const char *z = memchr(s, '\0', n);
    if (z)
      n = (size_t)(z - s);
    if (n > 0 && s[0] == '#')
      continue;
    cleanup_free char *line = trim_space(s, n);
    if (!*line)
      continue;
    bool invert = line[0] == '!';
    cleanup_free char *pat = trim_space(line + invert, strlen(line + invert));
    if (*pat) {
      char *c = path_clean_go(pat);
      free(pat);
      pat = c;
      if (strlen(pat) > 1 && pat[0] == '/')
        memmove(pat, pat + 1, strlen(pat));
    }
    /* patternmatcher cleans the whole line, '!' included, once more */
    cleanup_free char *whole = xasprintf("%s%s", invert ? "!" : "", pat);
    char *p = path_clean_go(whole);
    bool exclusion = p[0] == '!';
    if (exclusion) {
      if (!p[1]) {
        free(p);
        df_ignore_free(ig);
        err_usage(e, ".dockerignore:%d: illegal exclusion pattern: \"!\"", lineno);
        return NULL;
      }
      memmove(p, p + 1, strlen(p));
    }
    if (!pattern_valid(p)) {
      err_usage(e, ".dockerignore:%d: syntax error in pattern: \"%s\"", lineno, p);
      free(p);
      df_ignore_free(ig);
      return NULL;
    }
    add_pattern(ig, p, exclusion);
  }
  return ig;
}

bool df_ignore_match(const struct df_ignore *ig, const char *path) {
  if (!ig || !path)
    return false;
  cleanup_free char *file = path_clean_go(path);
  const char *slash = strrchr(file, '/');
  bool matched = false;
  for (size_t i = 0; i < ig->n; i++) {
    const struct pattern *pt = &ig->p[i];
    if (pt->exclusion != matched)
      continue;
    bool m = pattern_match(pt, file);
    /* A pattern that matches a parent directory covers what it holds. */
    for (const char *q = file; !m && slash && q < slash; q++) {
      if (*q != '/')
        continue;
      cleanup_free char *parent = xstrndup(file, (size_t)(q - file));
      m = pattern_match(pt, parent);
    }
    if (!m && slash && slash > file) {
      cleanup_free char *parent = xstrndup(file, (size_t)(slash - file));
      m = pattern_match(pt, parent);
    }
    if (m)
      matched = !pt->exclusion;
  }
  return matched;
}

/* Whether the element pattern [p, pe) can match the element [s, se). */
static bool elem_match(const struct pattern *pt, const char *p, size_t pn, const char *s,
                       size_t sn) {
  cleanup_free char *pp = xstrndup(p, pn);
  cleanup_free char *ss = xstrndup(s, sn);
  if (pt->literal)
    return strcmp(pp, ss) == 0;
  return glob(pp, ss);
}

bool df_ignore_may_reinclude(const struct df_ignore *ig, const char *dir) {
  if (!ig || !ig->exclusions)
    return false;
  cleanup_free char *d = path_clean_go(dir ? dir : ".");
  for (size_t i = 0; i < ig->n; i++) {
    const struct pattern *pt = &ig->p[i];
    if (!pt->exclusion)
      continue;
    if (strstr(pt->pat, "**") || strcmp(d, ".") == 0)
      return true;
    /* Walk both element by element: a pattern that runs out first names
     * an ancestor (it re-includes dir); one that outlasts dir may name
     * something inside it. */
    const char *p = pt->pat, *s = d;
    bool possible = true;
    while (*s) {
      if (!*p)
        break;
      const char *pe = strchr(p, '/'), *se = strchr(s, '/');
      size_t pn = pe ? (size_t)(pe - p) : strlen(p), sn = se ? (size_t)(se - s) : strlen(s);
      if (!elem_match(pt, p, pn, s, sn)) {
        possible = false;
        break;
      }
      p += pn + (pe ? 1 : 0);
      s += sn + (se ? 1 : 0);
    }
    if (possible)
      return true;
  }
  return false;
}

void df_ignore_free(struct df_ignore *ig) {
  if (!ig)
    return;
  for (size_t i = 0; i < ig->n; i++)
    free(ig->p[i].pat);
  free(ig->p);
  free(ig);
}
