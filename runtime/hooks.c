/* hooks.c — run OCI hooks: the state JSON on stdin, the hook's own args and
 * env (nothing inherited), a timeout after which it is killed.  Output is
 * captured and quoted in the error when a hook fails. */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"

static const char *const kind_names[HOOK_NKINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};

const char *hook_kind_name(enum hook_kind k) {
  return kind_names[k];
}

char *hook_state(const char *id, const char *status, pid_t pid, const char *bundle,
                 json_t *annotations) {
  cleanup_json json_t *s = json_pack("{s:s,s:s,s:s,s:s}", "ociVersion", "1.1.0", "id", id, "status",
                                     status, "bundle", bundle);
  if (pid > 0)
    json_object_set_new(s, "pid", json_integer(pid));
  if (annotations != NULL && json_object_size(annotations) > 0)
    json_object_set(s, "annotations", annotations);
  return json_dump_compact(s);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_one(const struct rt_hook *h, const char *state, const char *kind, struct err **e) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return err_set(e, errno, "%s hook '%s': pipe", kind, h->path);
  if (pipe2(out, O_CLOEXEC) < 0) {
    close(in[0]);
    close(in[1]);
    return err_set(e, errno, "%s hook '%s': pipe", kind, h->path);
  }
  static char *const empty[] = {NULL};
  char *argv0[] = {h->path, NULL};
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    return err_set(e, err, "%s hook '%s': fork", kind, h->path);
  }
  if (pid == 0) {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
      _exit(127);
    syscall(SYS_close_range, 3, ~0u, 0);
    execve(h->path, h->args ? h->args : argv0, h->env ? h->env : empty);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  /* the state is small: one write fits the pipe buffer, the hook may not read it */
  signal(SIGPIPE, SIG_IGN);
  (void)!write(in[1], state, strlen(state));
  close(in[1]);
  char buf[4096];
  size_t n = 0;
  long deadline = h->timeout > 0 ? now_ms() + h->timeout * 1000L : -1;
  int timed_out = 0;
  for (;;) {
    struct pollfd p = {out[0], POLLIN, 0};
    int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());
    if (deadline >= 0 && wait <= 0) {
      timed_out = 1;
      break;
    }
    int r = poll(&p, 1, wait);
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0) {
      timed_out = 1;
      break;
    }
    char tmp[1024];
    ssize_t got = read(out[0], tmp, sizeof(tmp));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    size_t take = (size_t)got < sizeof(buf) - 1 - n ? (size_t)got : sizeof(buf) - 1 - n;
    memcpy(buf + n, tmp, take);
    n += take;
  }
  close(out[0]);
  if (timed_out)
    kill(pid, SIGKILL);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  if (timed_out)
    return err_set(e, 0, "%s hook '%s' timed out after %d s", kind, h->path, h->timeout);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    return 0;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && n == 0)
    return err_set(e, 0, "%s hook '%s': cannot execute it", kind, h->path);
  cleanup_free char *how = WIFEXITED(st) ? xasprintf("exited with status %d", WEXITSTATUS(st))
                                         : xasprintf("was killed by signal %d", WTERMSIG(st));
  if (n > 0)
    return err_set(e, 0, "%s hook '%s' %s: %s", kind, h->path, how, buf);
  return err_set(e, 0, "%s hook '%s' %s", kind, h->path, how);
}

int hooks_run(const struct rt_hooks *hooks, enum hook_kind k, const char *state, struct err **e) {
  for (size_t i = 0; i < hooks->n[k]; i++)
    if (run_one(&hooks->list[k][i], state, kind_names[k], e) < 0)
      return -1;
  return 0;
}
