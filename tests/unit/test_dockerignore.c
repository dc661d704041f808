/* builder/ignore.c: .dockerignore as docker reads it — moby's
 * patternmatcher cases and the examples of the Dockerfile reference's
 * ".dockerignore file" section. */
#include <string.h>

#include "../../builder/dockerfile.h"
#include "mem.h"
#include "unit.h"

static struct df_ignore *parse(const char *text) {
  struct err *e = NULL;
  struct df_ignore *ig = df_ignore_parse(text, strlen(text), &e);
  if (!ig)
    fprintf(stderr, "  parse: %s\n", e ? e->msg : "?");
  err_free(&e);
  return ig;
}

/* One pattern against one path: patternmatcher's table. */
static const struct {
  const char *pattern, *path;
  bool want;
} one[] = {
    {"**", "file", true},
    {"**", "file/", true},
    {"**/", "file", true},
    {"**/", "file/", true},
    {"**", "/", true},
    {"**/", "/", true},
    {"**", "dir/file", true},
    {"**/", "dir/file", true},
    {"**", "dir/file/", true},
    {"**/**", "dir/file", true},
    {"**/**", "dir/file/", true},
    {"dir/**", "dir/file", true},
    {"dir/**", "dir/file/", true},
    {"dir/**", "dir/dir2/file", true},
    {"dir/**", "dir/dir2/file/", true},
    {"**/dir", "dir", true},
    {"**/dir", "dir/file", true},
    {"**/dir2/*", "dir/dir2/file", true},
    {"**/dir2/*", "dir/dir2/file/", true},
    {"**/dir2/**", "dir/dir2/dir3/file", true},
    {"**/dir2/**", "dir/dir2/dir3/file/", true},
    {"**file", "file", true},
    {"**file", "dir/file", true},
    {"**/file", "dir/file", true},
    {"**file", "dir/dir/file", true},
    {"**/file", "dir/dir/file", true},
    {"**/file*", "dir/dir/file", true},
    {"**/file*", "dir/dir/file.txt", true},
    {"**/file*txt", "dir/dir/file.txt", true},
    {"**/file*.txt", "dir/dir/file.txt", true},
    {"**/file*.txt*", "dir/dir/file.txt", true},
    {"**/**/*.txt", "dir/dir/file.txt", true},
    {"**/**/*.txt2", "dir/dir/file.txt", false},
    {"**/*.txt", "file.txt", true},
    {"**/**/*.txt", "file.txt", true},
    {"a**/*.txt", "a/file.txt", true},
    {"a**/*.txt", "a/dir/file.txt", true},
    {"a**/*.txt", "a/dir/dir/file.txt", true},
    {"a/*.txt", "a/dir/file.txt", false},
    {"a/*.txt", "a/file.txt", true},
    {"a/*.txt**", "a/file.txt", true},
    {"a[b-d]e", "ae", false},
    {"a[b-d]e", "ace", true},
    {"a[b-d]e", "aae", false},
    {"a[^b-d]e", "aze", true},
    {".*", ".foo", true},
    {".*", "foo", false},
    {"abc.def", "abcdef", false},
    {"abc.def", "abc.def", true},
    {"abc.def", "abcZdef", false},
    {"abc?def", "abcZdef", true},
    {"abc?def", "abcdef", false},
    {"abc?def", "abc/def", false},
    {"a\\\\", "a\\", true},
    {"a\\*b", "a*b", true},
    {"a\\*b", "axb", false},
    {"**/foo/bar", "foo/bar", true},
    {"**/foo/bar", "dir/foo/bar", true},
    {"**/foo/bar", "dir/dir2/foo/bar", true},
    {"abc/**", "abc", false},
    {"abc/**", "abc/def", true},
    {"abc/**", "abc/def/ghi", true},
    {"**/.foo", ".foo", true},
    {"**/.foo", "bar.foo", false},
    {"a(b)c/def", "a(b)c/def", true},
    {"a(b)c/def", "a(b)c/xyz", false},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    /* a parent directory's match covers what is under it */
    {"docs", "docs/README.md", true},
    {"docs", "docsx", false},
    {"*.go", "dir/file.go", false},
    {"*/*.go", "dir/file.go", true},
    {"dir/*", "dir/sub/deep/file", true},
    /* cleaned: leading '/', "./", trailing '/', "..", trailing blanks */
    {"/foo", "foo", true},
    {"./foo", "foo", true},
    {"foo/", "foo/x", true},
    {"foo/../bar", "bar", true},
    {"foo/../bar", "foo/bar", false},
    {"foo   ", "foo", true},
    {"  foo", "foo", true},
    {"a//b", "a/b", true},
    /* the reference's example */
    {"*/temp*", "somedir/temporary.txt", true},
    {"*/temp*", "somedir/temp", true},
    {"*/temp*", "temporary.txt", false},
    {"*/*/temp*", "somedir/subdir/temporary.txt", true},
    {"*/*/temp*", "somedir/temporary.txt", false},
    {"temp?", "tempa", true},
    {"temp?", "tempab", false},
    {"temp?", "temp", false},
    {"**/*.go", "a/b/c.go", true},
    {"**/*.go", "c.go", true},
    {"**/*.go", "c.golang", false},
    /* not a comment unless '#' is the first character */
    {" #x", "#x", true},
};

TEST(single_patterns) {
  for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
    struct df_ignore *ig = parse(one[i].pattern);
    bool got = ig && df_ignore_match(ig, one[i].path);
    if (got != one[i].want)
      fprintf(stderr, "  pattern \"%s\" path \"%s\": got %d\n", one[i].pattern, one[i].path, got);
    CHECK(ig != NULL && got == one[i].want);
    df_ignore_free(ig);
  }
}

TEST(comments_and_blanks) {
  struct df_ignore *ig = parse("# comment\n\n   \n#*.txt\nbuild\r\n\xef\xbb\xbfnot-a-bom\n");
  CHECK(ig != NULL);
  CHECK(!df_ignore_match(ig, "a.txt"));
  CHECK(!df_ignore_match(ig, "# comment"));
  CHECK(df_ignore_match(ig, "build"));
  CHECK(df_ignore_match(ig, "build/out.o"));
  df_ignore_free(ig);
  /* a byte-order mark is dropped from the first line only */
  ig = parse("\xef\xbb\xbf"
             "first\n");
  CHECK(df_ignore_match(ig, "first"));
  df_ignore_free(ig);
  /* nothing at all: nothing ignored */
  struct err *e = NULL;
  ig = df_ignore_parse(NULL, 0, &e);
  CHECK(ig != NULL && !df_ignore_match(ig, "x") && !df_ignore_may_reinclude(ig, "x"));
  df_ignore_free(ig);
}

/* The reference's exception examples: the last matching line wins. */
TEST(exceptions) {
  struct df_ignore *ig = parse("*.md\n!README.md\n");
  CHECK(df_ignore_match(ig, "CHANGES.md"));
  CHECK(!df_ignore_match(ig, "README.md"));
  CHECK(!df_ignore_match(ig, "main.c"));
  df_ignore_free(ig);

  ig = parse("*.md\n!README*.md\nREADME-secret.md\n");
  CHECK(df_ignore_match(ig, "CHANGES.md"));
  CHECK(!df_ignore_match(ig, "README-public.md"));
  CHECK(df_ignore_match(ig, "README-secret.md"));
  df_ignore_free(ig);

  ig = parse("*.md\nREADME-secret.md\n!README*.md\n");
  CHECK(!df_ignore_match(ig, "README-secret.md"));
  CHECK(!df_ignore_match(ig, "README.md"));
  CHECK(df_ignore_match(ig, "other.md"));
  df_ignore_free(ig);

  ig = parse("docs\n!docs/README.md\n");
  CHECK(df_ignore_match(ig, "docs"));
  CHECK(df_ignore_match(ig, "docs/other.md"));
  CHECK(!df_ignore_match(ig, "docs/README.md"));
  CHECK(df_ignore_may_reinclude(ig, "docs"));
  CHECK(!df_ignore_may_reinclude(ig, "src"));
  df_ignore_free(ig);

  /* everything but one tree */
  ig = parse("*\n!src\n");
  CHECK(df_ignore_match(ig, "Makefile"));
  CHECK(!df_ignore_match(ig, "src"));
  CHECK(!df_ignore_match(ig, "src/main.c"));
  CHECK(!df_ignore_match(ig, "src/a/b/c.h"));
  df_ignore_free(ig);

  /* the Dockerfile and .dockerignore can be excluded like any file */
  ig = parse("Dockerfile\n.dockerignore\n");
  CHECK(df_ignore_match(ig, "Dockerfile"));
  CHECK(df_ignore_match(ig, ".dockerignore"));
  CHECK(!df_ignore_match(ig, "sub/Dockerfile"));
  df_ignore_free(ig);

  /* "! pattern": blanks after the '!' are trimmed */
  ig = parse("*.log\n!  keep.log\n");
  CHECK(!df_ignore_match(ig, "keep.log"));
  CHECK(df_ignore_match(ig, "other.log"));
  df_ignore_free(ig);
}

TEST(may_reinclude) {
  struct df_ignore *ig = parse("node_modules\n");
  CHECK(!df_ignore_may_reinclude(ig, "node_modules"));
  df_ignore_free(ig);

  ig = parse("*\n!a/b\n");
  CHECK(!df_ignore_may_reinclude(ig, "c"));
  CHECK(df_ignore_may_reinclude(ig, "a"));
  CHECK(df_ignore_may_reinclude(ig, "a/b"));
  CHECK(df_ignore_may_reinclude(ig, "a/b/c"));
  CHECK(!df_ignore_may_reinclude(ig, "a/c"));
  CHECK(df_ignore_match(ig, "a"));
  CHECK(df_ignore_match(ig, "a/c"));
  CHECK(!df_ignore_match(ig, "a/b/c"));
  df_ignore_free(ig);

  ig = parse("*\n!src/**/keep\n");
  CHECK(df_ignore_may_reinclude(ig, "src"));
  CHECK(!df_ignore_match(ig, "src/x/y/keep"));
  CHECK(df_ignore_match(ig, "src/x/y/drop"));
  df_ignore_free(ig);

  ig = parse("*\n!*/keep\n");
  CHECK(df_ignore_may_reinclude(ig, "anything"));
  CHECK(!df_ignore_may_reinclude(ig, "anything/deeper"));
  df_ignore_free(ig);
}

TEST(errors) {
  static const struct {
    const char *text, *msg;
  } bad[] = {
      {"!\n", ".dockerignore:1: illegal exclusion pattern: \"!\""},
      {"ok\n!   \n", ".dockerignore:2: illegal exclusion pattern: \"!\""},
      {"[\n", ".dockerignore:1: syntax error in pattern: \"[\""},
      {"a\n\nfoo[a-\n", ".dockerignore:3: syntax error in pattern: \"foo[a-\""},
      {"[]a]\n", ".dockerignore:1: syntax error in pattern: \"[]a]\""},
      {"x[a\n", ".dockerignore:1: syntax error in pattern: \"x[a\""},
      {"foo\\\n", ".dockerignore:1: syntax error in pattern: \"foo\\\""},
      {"!x[\n", ".dockerignore:1: syntax error in pattern: \"x[\""},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct err *e = NULL;
    struct df_ignore *ig = df_ignore_parse(bad[i].text, strlen(bad[i].text), &e);
    CHECK(ig == NULL && e != NULL && e->code == ERR_USAGE);
    CHECK_STR(e ? e->msg : NULL, bad[i].msg);
    err_free(&e);
    df_ignore_free(ig);
  }
  /* well-formed classes are fine */
  struct df_ignore *ig = parse("[a-c]x\n[\\]]y\n");
  CHECK(ig != NULL && df_ignore_match(ig, "bx") && df_ignore_match(ig, "]y"));
  df_ignore_free(ig);
}

/* Random patterns and paths: no crash, no leak (SANITIZE=1). */
TEST(robust) {
  static const char alphabet[] = "ab/*?[]^-!\\.#\n ";
  unsigned seed = 42;
  char pat[48], path[48];
  int parsed = 0, failed = 0;
  for (int round = 0; round < 20000; round++) {
    size_t n = (seed = seed * 1103515245 + 12345) % 40, m = (seed >> 8) % 30;
    for (size_t i = 0; i < n; i++)
      pat[i] = alphabet[((seed = seed * 1103515245 + 12345) >> 16) % (sizeof(alphabet) - 1)];
    pat[n] = '\0';
    for (size_t i = 0; i < m; i++)
      path[i] = "ab/."[((seed = seed * 1103515245 + 12345) >> 16) % 4];
    path[m] = '\0';
    struct err *e = NULL;
    struct df_ignore *ig = df_ignore_parse(pat, n, &e);
    if (ig) {
      parsed++;
      (void)df_ignore_match(ig, path);
      (void)df_ignore_may_reinclude(ig, path);
    } else {
      failed += e != NULL;
    }
    err_free(&e);
    df_ignore_free(ig);
  }
  CHECK(parsed > 0 && failed > 0);
}

/* Stars against long paths: a table, not backtracking (this would not
 * finish otherwise). */
TEST(pattern_cost) {
  char *path = xmalloc(4001);
  memset(path, 'a', 4000);
  path[4000] = '\0';
  struct df_ignore *ig = parse("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/**/c\n");
  CHECK(ig && !df_ignore_match(ig, path));
  for (int i = 1; i < 4000; i += 7)
    path[i] = '/';
  CHECK(ig && !df_ignore_match(ig, path));
  path[3999] = 'c';
  path[3998] = '/';
  CHECK(ig && df_ignore_match(ig, path));
  df_ignore_free(ig);
  free(path);
}

int main(void) {
  RUN(single_patterns);
  RUN(comments_and_blanks);
  RUN(exceptions);
  RUN(may_reinclude);
  RUN(errors);
  RUN(robust);
  RUN(pattern_cost);
  return UNIT_DONE();
}
