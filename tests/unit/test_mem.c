#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "unit.h"

TEST(format) {
  cleanup_free char *s = xasprintf("%s-%d", "a", 42);
  CHECK_STR(s, "a-42");
  cleanup_free char *n = xstrndup("abcdef", 3);
  CHECK_STR(n, "abc");
  /* size 0 still gives a pointer that can be freed */
  cleanup_free void *z = xmalloc(0);
  CHECK(z != NULL);
}

TEST(strv) {
  cleanup_strv char **v = NULL;
  CHECK(strv_len(v) == 0);
  strv_push(&v, "one");
  strv_push(&v, "two");
  CHECK(strv_len(v) == 2);
  CHECK_STR(v[0], "one");
  CHECK_STR(v[1], "two");
  CHECK(v[2] == NULL);
}

static int cleaned_fd = -1;

static void scope_with_fd(void) {
  cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  cleaned_fd = fd;
}

static int scope_steal(void) {
  cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return steal_fd(&fd);
}

TEST(cleanup_close_and_steal) {
  scope_with_fd();
  CHECK(cleaned_fd >= 0);
  /* closed when its scope ended */
  CHECK(fcntl(cleaned_fd, F_GETFD) == -1 && errno == EBADF);
  int fd = scope_steal();
  CHECK(fd >= 0 && fcntl(fd, F_GETFD) >= 0); /* stolen: still open */
  close(fd);
  errno = 1234;
  {
    cleanup_close int x = open("/dev/null", O_RDONLY | O_CLOEXEC);
    (void)x;
  }
  CHECK(errno == 1234); /* cleanup keeps errno for the error path */
}

static char *scope_steal_ptr(void) {
  cleanup_free char *s = xstrdup("kept");
  return steal_ptr(&s);
}

TEST(steal_ptr) {
  char *s = scope_steal_ptr();
  CHECK_STR(s, "kept");
  free(s);
  char *p = xstrdup("x");
  char *q = steal_ptr(&p);
  CHECK(p == NULL);
  free(q);
}

int main(void) {
  RUN(format);
  RUN(strv);
  RUN(cleanup_close_and_steal);
  RUN(steal_ptr);
  return UNIT_DONE();
}
