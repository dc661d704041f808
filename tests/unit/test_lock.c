#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "lock.h"
#include "mem.h"
#include "unit.h"

static char tmpdir[] = "/tmp/cairn-unit-lock.XXXXXX";
static char *lockpath;

/* In a forked child: lock_try(shared) and report 0 (got it), 1 (held by
 * someone: ERR_EXISTS), 2 (another error). */
static int try_in_child(int shared) {
  pid_t pid = fork();
  if (pid == 0) {
    struct err *e = NULL;
    int fd = lock_try(lockpath, shared, &e);
    if (fd >= 0)
      _exit(0);
    _exit(e != NULL && e->code == ERR_EXISTS && strstr(e->msg, "held by another") ? 1 : 2);
  }
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
}

TEST(exclusive_blocks_try) {
  struct err *e = NULL;
  int fd = lock_acquire(lockpath, 0, &e);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(stat(lockpath, &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  CHECK(try_in_child(0) == 1);
  CHECK(try_in_child(1) == 1);
  lock_release(fd);
  CHECK(try_in_child(0) == 0);
  err_free(&e);
}

TEST(shared_allows_shared) {
  struct err *e = NULL;
  int fd = lock_acquire(lockpath, 1, &e);
  CHECK(fd >= 0);
  CHECK(try_in_child(1) == 0);
  CHECK(try_in_child(0) == 1);
  lock_release(fd);
  err_free(&e);
}

TEST(acquire_waits_for_release) {
  struct err *e = NULL;
  int fd = lock_acquire(lockpath, 0, &e);
  CHECK(fd >= 0);
  int p[2];
  CHECK(pipe2(p, O_CLOEXEC) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    close(fd); /* our copy of the parent's lock fd would hold its lock */
    struct err *ce = NULL;
    int cfd = lock_acquire(lockpath, 0, &ce);
    if (cfd >= 0 && write(p[1], "x", 1) == 1)
      _exit(0);
    _exit(1);
  }
  close(p[1]);
  struct pollfd pf = {p[0], POLLIN, 0};
  CHECK(poll(&pf, 1, 300) == 0); /* still waiting while we hold it */
  lock_release(fd);
  CHECK(poll(&pf, 1, 5000) == 1); /* and gets it once we let go */
  char c = 0;
  if (pf.revents & POLLIN)
    CHECK(read(p[0], &c, 1) == 1);
  else
    kill(pid, SIGKILL); /* never hang the suite */
  close(p[0]);
  int st;
  waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  err_free(&e);
}

TEST(errors) {
  struct err *e = NULL;
  /* parent dirs are created */
  cleanup_free char *deep = xasprintf("%s/a/b/c.lock", tmpdir);
  int fd = lock_acquire(deep, 0, &e);
  CHECK(fd >= 0);
  lock_release(fd);
  /* a lock file that is a symlink is refused, not followed */
  cleanup_free char *link = xasprintf("%s/link.lock", tmpdir);
  CHECK(symlink(lockpath, link) == 0);
  CHECK(lock_acquire(link, 0, &e) == -1);
  CHECK(e != NULL && e->errnum == ELOOP);
  err_free(&e);
  CHECK(lock_try("/proc/version/x.lock", 0, &e) == -1);
  CHECK(e != NULL && strstr(e->msg, "/proc/version") != NULL);
  err_free(&e);
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL)
    return 2;
  lockpath = xasprintf("%s/state/x.lock", tmpdir);
  RUN(exclusive_blocks_try);
  RUN(shared_allows_shared);
  RUN(acquire_waits_for_release);
  RUN(errors);
  struct err *e = NULL;
  rm_rf(tmpdir, &e);
  err_free(&e);
  free(lockpath);
  return UNIT_DONE();
}
