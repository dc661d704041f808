/* builder/words.c: docker's shell-word processing.  Cases from the
 * Dockerfile reference ("Environment replacement") and the behaviour of
 * buildkit's shell lexer, which docker build uses. */
#include <string.h>

#include "../../builder/dockerfile.h"
#include "mem.h"
#include "unit.h"

static const char *const vars[][2] = {
    {"PWD", "/home"},
    {"SHELL", "bash"},
    {"KOREAN", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"},
    {"NULL", ""},
    {"FOO", "a b"},
    {"SPACES", "  x   y  "},
    {"STAR", "*"},
    {"FILE", "archive.tar.gz"},
    {"PATHV", "/usr/local/bin"},
    {"1", "one"},
    {"leading", "  ab c"},
    {"trailing", "ab c   "},
    {NULL, NULL},
};

static const char *long_lookup(void *ctx, const char *name) {
  return strcmp(name, "LONG") == 0 ? ctx : NULL;
}

static const char *lookup(void *ctx, const char *name) {
  (void)ctx;
  for (size_t i = 0; vars[i][0]; i++)
    if (strcmp(vars[i][0], name) == 0)
      return vars[i][1];
  return NULL;
}

/* want == NULL: an error whose message holds errsub */
static const struct {
  const char *in, *want, *errsub;
} cases[] = {
    {"hello", "hello", NULL},
    {"he'll'o", "hello", NULL},
    {"he'llo", NULL, "matching single-quote"},
    {"he\\'llo", "he'llo", NULL},
    {"he\\\\'llo", NULL, "matching single-quote"},
    {"abc\\tdef", "abctdef", NULL},
    {"\"abc\\tdef\"", "abc\\tdef", NULL},
    {"\"abc\\\\tdef\"", "abc\\tdef", NULL},
    {"'abc\\tdef'", "abc\\tdef", NULL},
    {"hello\\", "hello", NULL},
    {"hello\\\\", "hello\\", NULL},
    {"\"hello", NULL, "matching double-quote"},
    {"\"hello\\\"", NULL, "matching double-quote"},
    {"\"hel'lo\"", "hel'lo", NULL},
    {"'hello", NULL, "matching single-quote"},
    {"'hello\\'", "hello\\", NULL},
    {"'hello\\there'", "hello\\there", NULL},
    {"'hello\\\\there'", "hello\\\\there", NULL},
    {"\"''\"", "''", NULL},
    {"$.", "$.", NULL},
    {"$", "$", NULL},
    {"a$ b", "a$ b", NULL},
    {"he$1x", "heonex", NULL},
    {"he$.x", "he$.x", NULL},
    {"he$pwd.", "he.", NULL},
    {"he$PWD", "he/home", NULL},
    {"he\\$PWD", "he$PWD", NULL},
    {"he\\\\$PWD", "he\\/home", NULL},
    {"\"he\\$PWD\"", "he$PWD", NULL},
    {"\"he\\\\$PWD\"", "he\\/home", NULL},
    {"\\${}", "${}", NULL},
    {"\\${}aaa", "${}aaa", NULL},
    {"he\\${}", "he${}", NULL},
    {"he\\${}xx", "he${}xx", NULL},
    {"${}", NULL, "bad substitution"},
    {"${}xx", NULL, "bad substitution"},
    {"he${}", NULL, "bad substitution"},
    {"he${:-x}", NULL, "bad substitution"},
    {"he${{x}", NULL, "bad substitution"},
    {"he${hi}", "he", NULL},
    {"he${hi}xx", "hexx", NULL},
    {"he${PWD}", "he/home", NULL},
    {"he${.}", NULL, "unsupported modifier (.) in substitution"},
    {"he${XXX:-000}xx", "he000xx", NULL},
    {"he${PWD:-000}xx", "he/homexx", NULL},
    {"he${XXX:-$PWD}xx", "he/homexx", NULL},
    {"he${XXX:-${PWD:-yyy}}xx", "he/homexx", NULL},
    {"he${XXX:-${YYY:-yyy}}xx", "heyyyxx", NULL},
    {"he${NULL:-def}", "hedef", NULL},
    {"he${NULL-def}", "he", NULL},
    {"he${XXX-def}", "hedef", NULL},
    {"he${XXX:YYY}", NULL, "unsupported modifier (:Y) in substitution"},
    {"he${XXX YYY}", NULL, "unsupported modifier ( ) in substitution"},
    {"he${XXX?}", NULL, "XXX: is not allowed to be unset"},
    {"he${XXX:?}", NULL, "XXX: is not allowed to be unset"},
    {"he${XXX:?must be set}", NULL, "XXX: must be set"},
    {"he${PWD?}", "he/home", NULL},
    {"he${PWD:?}", "he/home", NULL},
    {"he${NULL?}", "he", NULL},
    {"he${NULL:?}", NULL, "NULL: is not allowed to be empty"},
    {"he${XXX:+${PWD}}xx", "hexx", NULL},
    {"he${PWD:+${XXX}}xx", "hexx", NULL},
    {"he${PWD:+${SHELL}}xx", "hebashxx", NULL},
    {"he${XXX:+000}xx", "hexx", NULL},
    {"he${PWD:+000}xx", "he000xx", NULL},
    {"he${NULL:+000}xx", "hexx", NULL},
    {"he${NULL+000}xx", "he000xx", NULL},
    {"he${XXX+000}xx", "hexx", NULL},
    {"'he${XX}'", "he${XX}", NULL},
    {"\"he${PWD}\"", "he/home", NULL},
    {"\"he'$PWD'\"", "he'/home'", NULL},
    {"\"$PWD\"", "/home", NULL},
    {"'$PWD'", "$PWD", NULL},
    {"'\\$PWD'", "\\$PWD", NULL},
    {"'\"hello\"'", "\"hello\"", NULL},
    {"he${PWD", NULL, "missing '}'"},
    {"he${", NULL, "missing '}'"},
    {"he${PWD:-x", NULL, "missing '}'"},
    {"he${PWD:-\"x}", NULL, "missing '}'"},
    {"he${PWD:=000}xx", NULL, "unsupported modifier (:=) in substitution"},
    {"he${PWD:#x}", NULL, "unsupported modifier (:#) in substitution"},
    {"he${PWD:%x}", NULL, "unsupported modifier (:%) in substitution"},
    {"${aaa}}", "}", NULL},
    {"${aaa:-bbb}}", "bbb}", NULL},
    {"${aaa:-bbb {foo}", "bbb {foo", NULL},
    {"${aaa:-bbb ${foo}", NULL, "missing '}'"},
    {"${aaa:-${bbb:-ccc}}", "ccc", NULL},
    {"${:}", NULL, "bad substitution"},
    {"${:+bbb}", NULL, "bad substitution"},
    {"${999:-bbb}aaa", "bbbaaa", NULL},
    {"$999aaa", "aaa", NULL},
    {"$001aaa", "aaa", NULL},
    {"${001:+bbb}aaa", "aaa", NULL},
    {"$@@@", "@@", NULL},
    {"${@:-bbb}aaa", "bbbaaa", NULL},
    {"${$:-bbb}", "bbb", NULL},
    {"\xec\x95\x88'\xeb\x85\x95", NULL, "matching single-quote"},
    {"\xec\x95\x88\xeb\x85\x95\\t", "\xec\x95\x88\xeb\x85\x95t", NULL},
    {"\xec\x95\x88\xeb\x85\x95${XXX:-${PWD:-yyy}}xx", "\xec\x95\x88\xeb\x85\x95/homexx", NULL},
    {"${FILE%.*}", "archive.tar", NULL},
    {"${FILE#*}", "archive.tar.gz", NULL},
    {"${FILE##*}", "", NULL},
    {"${FILE%%*}", "", NULL},
    {"${FILE#ar?h}", "ive.tar.gz", NULL},
    {"${FILE#[a]}", "archive.tar.gz", NULL},
    {"${STAR#\\*}", "", NULL},
    {"${FILE#\\a}", NULL, "invalid pattern (\\a) in substitution: invalid escape '\\a'"},
    {"${XXX#a}", "", NULL},
    {"${FILE%.gz", NULL, "missing '}'"},
    {"${PATHV/local}", NULL, "missing '/' in ${}"},
    {"${PATHV/*/x}", "x", NULL},
    {"${PATHV//?/x}", "xxxxxxxxxxxxxx", NULL},
    {"${PATHV/usr/}", "//local/bin", NULL},
    {"${PATHV/bin/$SHELL}", "/usr/local/bash", NULL},
    {"${PATHV/nope/x}", "/usr/local/bin", NULL},
    {"${XXX/a/b}", "", NULL},
    {"he${PWD:+${PWD}:}xx", "he/home:xx", NULL},
    {"he${XXX:-\\$PWD:}xx", "he$PWD:xx", NULL},
    {"he${XXX:-\\${PWD}z}xx", "he${PWDz}xx", NULL},
    {"he${XXX:-\"a}b\"}", "hea}b", NULL},
    {"\xec\x95\x88\xeb\x85\x95\\$PWD", "\xec\x95\x88\xeb\x85\x95$PWD", NULL},
    {"$KOREAN", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", NULL},
    {"\"a\\b\"", "a\\b", NULL},
    {"\"a\\\"b\"", "a\"b", NULL},
    {"a\"\"b", "ab", NULL},
    {"$FOO", "a b", NULL},
    {"${FILE%.gz}", "archive.tar", NULL},
    {"${FILE%%.*}", "archive", NULL},
    {"${FILE#*.}", "tar.gz", NULL},
    {"${FILE##*.}", "gz", NULL},
    {"${PATHV/local/opt}", "/usr/opt/bin", NULL},
    {"${PATHV//\\//:}", ":usr:local:bin", NULL},
    {"${STAR}", "*", NULL},
    {"$$", "", NULL},
    {"x$@y", "xy", NULL},
};

TEST(expand_table) {
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct err *e = NULL;
    char *got = df_expand(cases[i].in, '\\', lookup, NULL, &e);
    if (cases[i].want) {
      if (!got)
        fprintf(stderr, "  input %s: %s\n", cases[i].in, e ? e->msg : "?");
      CHECK_STR(got, cases[i].want);
    } else {
      if (got)
        fprintf(stderr, "  input %s: got \"%s\", want an error\n", cases[i].in, got);
      CHECK(got == NULL && e != NULL && e->code == ERR_USAGE);
      if (e && !strstr(e->msg, cases[i].errsub))
        fprintf(stderr, "  input %s: error \"%s\" lacks \"%s\"\n", cases[i].in, e->msg,
                cases[i].errsub);
      CHECK(e != NULL && strstr(e->msg, cases[i].errsub) != NULL);
    }
    free(got);
    err_free(&e);
  }
}

/* The escape directive's backtick: backslashes are plain characters. */
TEST(backtick_escape) {
  struct err *e = NULL;
  char *s = df_expand("C:\\Windows\\$PWD", '`', lookup, NULL, &e);
  CHECK_STR(s, "C:\\Windows\\/home");
  free(s);
  s = df_expand("he`$PWD", '`', lookup, NULL, &e);
  CHECK_STR(s, "he$PWD");
  free(s);
  s = df_expand("\"a`\"b\"", '`', lookup, NULL, &e);
  CHECK_STR(s, "a\"b");
  free(s);
  s = df_expand("\"a\\\"", '`', lookup, NULL, &e);
  CHECK_STR(s, "a\\");
  free(s);
  s = df_expand("a` b", '`', lookup, NULL, &e);
  CHECK_STR(s, "a b");
  free(s);
  CHECK(e == NULL);
}

/* No lookup function: every variable is unset. */
TEST(no_lookup) {
  struct err *e = NULL;
  char *s = df_expand("a${X:-d}$Y'$Z'", '\\', NULL, NULL, &e);
  CHECK_STR(s, "ad$Z");
  free(s);
}

static char *joined(char **v) {
  char *s = xstrdup("");
  for (size_t i = 0; v && v[i]; i++) {
    char *t = xasprintf("%s[%s]", s, v[i]);
    free(s);
    s = t;
  }
  return s;
}

static const struct {
  const char *in, *want; /* words as [w1][w2]…; NULL: error */
} wcases[] = {
    {"hello", "[hello]"},
    {"hello world", "[hello][world]"},
    {"  hello \t  world  ", "[hello][world]"},
    {"'hello world'", "[hello world]"},
    {"\"hello world\"", "[hello world]"},
    {"hello\\ world", "[hello world]"},
    {"hello'world'", "[helloworld]"},
    {"$FOO", "[a][b]"},
    {"\"$FOO\"", "[a b]"},
    {"x$FOO", "[xa][b]"},
    {"$SPACES", "[x][y]"},
    {"\"$SPACES\"", "[  x   y  ]"},
    {"${XXX:-a b}", "[a][b]"},
    {"\"\"", ""},
    {"a \"\" b", "[a][b]"},
    {"${NULL}", ""},
    {"", ""},
    {"80/tcp 443/udp ${PORT:-8080}", "[80/tcp][443/udp][8080]"},
    {"/data \"/my dir\"", "[/data][/my dir]"},
    {"hello${leading}def", "[hello][ab][cdef]"},
    {"hello\"${leading}\" def", "[hello  ab c][def]"},
    {"hello${trailing}d", "[helloab][c][d]"},
    {"hello\"${trailing}\"d", "[helloab c   d]"},
    {"hello\\\" there", "[hello\"][there]"},
    {"hello\"\\\\there\"", "[hello\\there]"},
    {"hello'\\\\there'", "[hello\\\\there]"},
    {"cat << EOF", "[cat][<< EOF]"},
    {"'unterminated", NULL},
    {"${oops", NULL},
};

TEST(expand_words) {
  for (size_t i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
    struct err *e = NULL;
    char **w = df_expand_words(wcases[i].in, '\\', lookup, NULL, &e);
    if (!wcases[i].want) {
      CHECK(w == NULL && e != NULL && e->code == ERR_USAGE);
    } else {
      char *j = joined(w);
      CHECK(w != NULL);
      if (strcmp(j, wcases[i].want) != 0)
        fprintf(stderr, "  words of %s\n", wcases[i].in);
      CHECK_STR(j, wcases[i].want);
      free(j);
    }
    strv_free(w);
    err_free(&e);
  }
}

/* Garbage must give a string or an error, never a crash (run under
 * SANITIZE=1). */
TEST(robust) {
  static const char alphabet[] = "$${}:-+?#%/\\'\"` ab\t";
  unsigned seed = 12345;
  int ok = 0, bad = 0, inconsistent = 0;
  char buf[64];
  for (int round = 0; round < 20000; round++) {
    size_t n = (seed = seed * 1103515245 + 12345) % 40;
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1103515245 + 12345;
      buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
    }
    buf[n] = '\0';
    struct err *e = NULL;
    char *s = df_expand(buf, round % 2 ? '`' : '\\', lookup, NULL, &e);
    struct err *e2 = NULL;
    char **w = df_expand_words(buf, '\\', lookup, NULL, &e2);
    inconsistent += (w == NULL) != (e2 != NULL);
    err_free(&e2);
    if (s)
      ok++;
    else
      bad++;
    free(s);
    strv_free(w);
    err_free(&e);
  }
  CHECK(ok > 0 && bad > 0 && inconsistent == 0);
  /* nesting deep enough to exhaust a stack is refused, not followed */
  char *deep = xcalloc(1, 5 * 100000 + 1);
  for (int i = 0; i < 100000; i++)
    memcpy(deep + i * 5, "${a:-", 5);
  struct err *e = NULL;
  char *s = df_expand(deep, '\\', lookup, NULL, &e);
  CHECK(s == NULL && e != NULL);
  free(s);
  err_free(&e);
  free(deep);
}

/* Stars against long values: a table, not backtracking (this would not
 * finish otherwise). */
TEST(pattern_cost) {
  char *val = xmalloc(3001);
  memset(val, 'a', 3000);
  val[3000] = '\0';
  struct err *e = NULL;
  char *word = xasprintf("${LONG#*a*a*a*a*a*a*a*a*a*a*a*a*b}");
  char *s = df_expand(word, '\\', long_lookup, val, &e);
  CHECK(s != NULL && strlen(s) == 3000);
  free(s);
  free(word);
  s = df_expand("${LONG%%a*a*a*a*a*a*a*a*a*a*a*a}", '\\', long_lookup, val, &e);
  CHECK_STR(s, "");
  free(s);
  s = df_expand("${LONG//a*a/b}", '\\', long_lookup, val, &e);
  CHECK_STR(s, "b");
  free(s);
  CHECK(e == NULL);
  free(val);
}

/* An unquoted COPY heredoc's body: a shell's here-document expansion. */
TEST(heredoc_body) {
  struct err *e = NULL;
  static const struct {
    const char *in, *out;
  } hd[] = {
      {"hi $SHELL\n", "hi bash\n"},
      {"${PWD}/x ${NONE:-dflt} ${SHELL:+set}\n", "/home/x dflt set\n"},
      {"don't \"$SHELL\" '$SHELL'\n", "don't \"bash\" 'bash'\n"},
      {"\\$SHELL \\\\ \\n \\`x\n", "$SHELL \\ \\n `x\n"},
      {"joined \\\nline\n", "joined line\n"},
      {"cost $5 and $ alone\n", "cost  and $ alone\n"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof(hd) / sizeof(hd[0]); i++) {
    char *s = df_expand_heredoc(hd[i].in, lookup, NULL, &e);
    CHECK_STR(s, hd[i].out);
    free(s);
  }
  CHECK(df_expand_heredoc("${SHELL", lookup, NULL, &e) == NULL);
  CHECK(e != NULL && e->code == ERR_USAGE);
  err_free(&e);
}

int main(void) {
  RUN(heredoc_body);
  RUN(expand_table);
  RUN(backtick_escape);
  RUN(no_lookup);
  RUN(expand_words);
  RUN(robust);
  RUN(pattern_cost);
  return UNIT_DONE();
}
