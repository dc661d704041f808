/* unit.h — a minimal harness for the C unit tests of lib/.
 *
 * Each test_<module>.c defines tests with TEST(name) { ... } and lists them
 * in main() through RUN(name).  CHECK() records a failure and goes on;
 * the binary exits 1 when any check failed, and prints each failure as
 * "file:line: expression". */
#ifndef CAIRN_UNIT_H
#define CAIRN_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failures;
static int unit_checks;

#define CHECK(cond)                                                            \
  do {                                                                         \
    unit_checks++;                                                             \
    if (!(cond)) {                                                             \
      unit_failures++;                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_STR(got, want)                                                            \
  do {                                                                                  \
    const char *g_ = (got), *w_ = (want);                                               \
    unit_checks++;                                                                      \
    if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) {                    \
      unit_failures++;                                                                  \
      fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                  \
    }                                                                                   \
  } while (0)

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                       \
  do {                                                                  \
    int before_ = unit_failures;                                        \
    test_##name();                                                      \
    printf("%s %s\n", unit_failures == before_ ? "ok" : "FAIL", #name); \
  } while (0)
#define UNIT_DONE() \
  (printf("%d checks, %d failed\n", unit_checks, unit_failures), unit_failures ? 1 : 0)

#endif
