#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "spawn.h"
#include "unit.h"

static char tmpdir[] = "/tmp/cairn-unit-spawn.XXXXXX";

/* Run argv with stdin bytes, capturing both streams. */
static int run(const char *const *argv, const void *in, size_t in_len, struct spawn_result *r,
               struct err **e) {
  struct spawn_opts o = {
      .argv = argv, .stdin_buf = in, .stdin_len = in_len, .capture_stdout = 1, .capture_stderr = 1};
  return spawn_run(&o, r, e);
}

#define SH(script) ((const char *const[]){"sh", "-c", script, NULL})

TEST(exit_code) {
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run(SH("exit 3"), NULL, 0, &r, &e) == 0);
  CHECK(r.exited == 1 && r.code == 3 && r.signal == 0);
  CHECK(spawn_status(&r) == 3);
  CHECK(r.out != NULL && r.out_len == 0 && r.out[0] == '\0');
  spawn_result_free(&r);
  CHECK(run(SH("exit 0"), NULL, 0, &r, &e) == 0);
  CHECK(r.exited && r.code == 0);
  spawn_result_free(&r);
}

TEST(signal) {
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run(SH("kill -TERM $$; sleep 5"), NULL, 0, &r, &e) == 0);
  CHECK(r.exited == 0 && r.signal == SIGTERM);
  CHECK(spawn_status(&r) == 128 + SIGTERM);
  spawn_result_free(&r);
}

TEST(stdin_to_stdout_1mib) {
  size_t n = 1 << 20;
  unsigned char *in = xmalloc(n);
  unsigned int seed = 42;
  for (size_t i = 0; i < n; i++)
    in[i] = (unsigned char)(rand_r(&seed) & 0xff); /* NULs included */
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run((const char *const[]){"cat", NULL}, in, n, &r, &e) == 0);
  CHECK(r.exited && r.code == 0);
  CHECK(r.out_len == n && memcmp(r.out, in, n) == 0);
  CHECK(r.err_len == 0);
  spawn_result_free(&r);
  /* Output on both streams while input is still coming: a loop that did one
   * thing at a time would deadlock here. */
  CHECK(run(SH("tee /dev/stderr"), in, n, &r, &e) == 0);
  CHECK(r.exited && r.code == 0);
  CHECK(r.out_len == n && memcmp(r.out, in, n) == 0);
  CHECK(r.err_len == n && memcmp(r.err, in, n) == 0);
  spawn_result_free(&r);
  free(in);
}

TEST(stderr_capture) {
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run(SH("echo out; echo oops >&2; exit 1"), NULL, 0, &r, &e) == 0);
  CHECK_STR(r.out, "out\n");
  CHECK_STR(r.err, "oops\n");
  CHECK(r.code == 1);
  spawn_result_free(&r);
  /* without capture nothing is collected */
  struct spawn_opts o = {.argv = SH("true")};
  CHECK(spawn_run(&o, &r, &e) == 0);
  CHECK(r.out == NULL && r.err == NULL && r.exited && r.code == 0);
  spawn_result_free(&r);
}

TEST(stdin_default_is_dev_null) {
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run(SH("readlink /proc/self/fd/0; cat"), NULL, 0, &r, &e) == 0);
  CHECK_STR(r.out, "/dev/null\n");
  spawn_result_free(&r);
}

TEST(child_ignoring_stdin) {
  /* The child exits without reading: our writes get EPIPE, and we must
   * neither die of SIGPIPE nor report an error. */
  size_t n = 4 << 20;
  char *in = xcalloc(1, n);
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run((const char *const[]){"true", NULL}, in, n, &r, &e) == 0);
  CHECK(r.exited && r.code == 0);
  spawn_result_free(&r);
  sigset_t pending;
  sigpending(&pending);
  CHECK(!sigismember(&pending, SIGPIPE));
  free(in);
}

struct seen {
  char buf[256];
  size_t len;
  int fds;
  volatile pid_t *pidp;
  pid_t during;
};

static void collect_output(void *arg, int fd, const char *buf, size_t len) {
  struct seen *s = arg;
  s->fds |= 1 << fd;
  s->during = *s->pidp;
  if (s->len + len < sizeof(s->buf)) {
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
  }
}

/* on_output sees the output as it comes (and it is still captured);
 * running_pid names the child while it runs only. */
TEST(live_output_and_pid) {
  volatile pid_t pid = -1;
  struct seen seen = {.pidp = &pid};
  struct spawn_opts o = {.argv = SH("echo out; echo err >&2"),
                         .capture_stdout = 1,
                         .capture_stderr = 1,
                         .on_output = collect_output,
                         .on_output_arg = &seen,
                         .running_pid = &pid};
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(spawn_run(&o, &r, &e) == 0);
  CHECK(r.exited && r.code == 0);
  CHECK_STR(r.out, "out\n");
  CHECK_STR(r.err, "err\n");
  seen.buf[seen.len] = '\0';
  CHECK(seen.len == 8);
  CHECK(strstr(seen.buf, "out\n") != NULL && strstr(seen.buf, "err\n") != NULL);
  CHECK(seen.fds == ((1 << 1) | (1 << 2)));
  CHECK(seen.during > 0);
  CHECK(pid == 0);
  spawn_result_free(&r);
}

TEST(missing_program) {
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run((const char *const[]){"cairn-no-such-program", NULL}, NULL, 0, &r, &e) == -1);
  if (e)
    CHECK_STR(e->msg, "exec 'cairn-no-such-program': No such file or directory");
  CHECK(e != NULL && e->errnum == ENOENT && e->code == ERR_NOTFOUND);
  err_free(&e);
  CHECK(run((const char *const[]){"/nonexistent/prog", NULL}, NULL, 0, &r, &e) == -1);
  if (e)
    CHECK_STR(e->msg, "exec '/nonexistent/prog': No such file or directory");
  err_free(&e);
  /* a file that is not executable */
  cleanup_free char *p = path_join(tmpdir, "notexec");
  CHECK(write_file_atomic(p, "#!/bin/sh\n", 10, 0644, &e) == 0);
  CHECK(run((const char *const[]){p, NULL}, NULL, 0, &r, &e) == -1);
  CHECK(e != NULL && e->errnum == EACCES);
  err_free(&e);
  CHECK(run((const char *const[]){NULL}, NULL, 0, &r, &e) == -1);
  CHECK(e != NULL && e->code == ERR_USAGE);
  err_free(&e);
}

TEST(only_stdio_reaches_child) {
  /* An fd the caller forgot to mark O_CLOEXEC, at a high number too. */
  int leak = open("/dev/null", O_RDONLY);
  int high = dup2(leak, 200);
  CHECK(leak >= 3 && high == 200);
  struct spawn_result r;
  struct err *e = NULL;
  /* ls lists the fds of the shell ($$), which waits for it with nothing
   * else open: no pipeline, whose pipe the shell would hold for a moment. */
  CHECK(run(SH("ls /proc/$$/fd"), "x", 1, &r, &e) == 0);
  CHECK_STR(r.out, "0\n1\n2\n");
  spawn_result_free(&r);
  close(leak);
  close(high);
}

TEST(cwd_and_env) {
  struct spawn_result r;
  struct err *e = NULL;
  const char *const env[] = {"FOO=bar baz", NULL};
  struct spawn_opts o = {.argv = SH("pwd; echo \"$FOO\"; env | grep -c ."),
                         .envp = env,
                         .cwd = tmpdir,
                         .capture_stdout = 1};
  CHECK(spawn_run(&o, &r, &e) == 0);
  cleanup_free char *want = xasprintf("%s\nbar baz\n", tmpdir);
  CHECK(r.out != NULL && strncmp(r.out, want, strlen(want)) == 0);
  spawn_result_free(&r);
  o.cwd = "/nonexistent/dir";
  CHECK(spawn_run(&o, &r, &e) == -1);
  if (e)
    CHECK_STR(e->msg, "exec 'sh': chdir '/nonexistent/dir': No such file or directory");
  err_free(&e);
}

TEST(signals_reset_in_child) {
  /* The caller ignores SIGINT and blocks SIGTERM; the child must get neither
   * (a shell cannot undo an inherited SIG_IGN by itself). */
  struct sigaction old_int, ign = {.sa_handler = SIG_IGN};
  sigaction(SIGINT, &ign, &old_int);
  sigset_t term, oldmask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &oldmask);
  struct spawn_result r;
  struct err *e = NULL;
  CHECK(run(SH("kill -INT $$; sleep 5; exit 0"), NULL, 0, &r, &e) == 0);
  CHECK(r.exited == 0 && r.signal == SIGINT);
  spawn_result_free(&r);
  CHECK(run(SH("kill -TERM $$; sleep 5; exit 0"), NULL, 0, &r, &e) == 0);
  CHECK(r.exited == 0 && r.signal == SIGTERM);
  spawn_result_free(&r);
  /* and the caller's own settings are as they were */
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  CHECK(sigismember(&now, SIGTERM) && !sigismember(&now, SIGPIPE));
  struct sigaction cur;
  sigaction(SIGINT, NULL, &cur);
  CHECK(cur.sa_handler == SIG_IGN);
  sigprocmask(SIG_SETMASK, &oldmask, NULL);
  sigaction(SIGINT, &old_int, NULL);
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL)
    return 2;
  RUN(exit_code);
  RUN(live_output_and_pid);
  RUN(signal);
  RUN(stdin_to_stdout_1mib);
  RUN(stderr_capture);
  RUN(stdin_default_is_dev_null);
  RUN(child_ignoring_stdin);
  RUN(missing_program);
  RUN(only_stdio_reaches_child);
  RUN(cwd_and_env);
  RUN(signals_reset_in_child);
  struct err *e = NULL;
  rm_rf(tmpdir, &e);
  err_free(&e);
  return UNIT_DONE();
}
