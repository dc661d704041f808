#include <errno.h>

#include "err.h"
#include "unit.h"

static int inner(struct err **e) {
  return err_set(e, ENOENT, "open '%s'", "x");
}

static int outer(struct err **e) {
  if (inner(e) < 0)
    return err_wrap(e, "image config '%s'", "x");
  return 0;
}

TEST(context_chain) {
  struct err *e = NULL;
  CHECK(outer(&e) == -1);
  CHECK(e != NULL);
  CHECK_STR(e->msg, "image config 'x': open 'x': No such file or directory");
  CHECK(e->errnum == ENOENT);
  CHECK(err_exit_code(e) == 1);
  err_free(&e);
  CHECK(e == NULL);
}

TEST(usage_code) {
  struct err *e = NULL;
  CHECK(err_usage(&e, "unknown flag: %s", "--x") == -1);
  CHECK_STR(e->msg, "unknown flag: --x");
  CHECK(err_exit_code(e) == 2);
  err_free(&e);
}

TEST(wrap_without_cause) {
  struct err *e = NULL;
  err_wrap(&e, "step");
  CHECK_STR(e->msg, "step: unknown error");
  err_free(&e);
}

int main(void) {
  RUN(context_chain);
  RUN(usage_code);
  RUN(wrap_without_cause);
  return UNIT_DONE();
}
