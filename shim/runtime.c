/* runtime.c — the runtime's command line (runc's): create, start, kill,
 * delete, and turning its failures into one message with the real cause.
 *
 * Every call passes `--log STATE/runtime.log --log-format json`: runc and
 * crun then write their diagnostics there instead of to stderr, which under
 * `create` is the container's own stderr (the container inherits the
 * runtime's stdio), so warnings cannot leak into the container's log.  On
 * failure the last error entry of that file is the cause we report. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "shim.h"

char **runtime_argv(const struct shim_opts *o, const char *sub, const char *const *args) {
  char **v = NULL;
  strv_push(&v, o->runtime);
  for (size_t i = 0; o->runtime_globals != NULL && o->runtime_globals[i] != NULL; i++)
    strv_push(&v, o->runtime_globals[i]);
  cleanup_free char *log = path_join(o->state_dir, "runtime.log");
  strv_push(&v, "--log");
  strv_push(&v, log);
  strv_push(&v, "--log-format");
  strv_push(&v, "json");
  strv_push(&v, sub);
  for (size_t i = 0; args != NULL && args[i] != NULL; i++)
    strv_push(&v, args[i]);
  return v;
}

static off_t log_size(struct shim *s) {
  cleanup_free char *p = shim_path(s, "runtime.log");
  struct stat st;
  return stat(p, &st) == 0 ? st.st_size : 0;
}

/* The cause of a failed runtime call: the last "error"/"fatal" entry the
 * runtime logged since offset, else the last line of what it printed. */
static int runtime_error(struct shim *s, off_t since, const char *printed, const char *sub,
                         int status, struct err **e) {
  cleanup_free char *p = shim_path(s, "runtime.log");
  cleanup_free char *msg = NULL;
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && lseek(fd, since, SEEK_SET) == since) {
    cleanup_free char *text = read_fd(fd, p, 1 << 20, NULL, NULL);
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
      cleanup_json json_t *j = json_loads(line, 0, NULL);
      const char *level = json_get_str(j, "level");
      const char *m = json_get_str(j, "msg");
      if (m != NULL && level != NULL &&
          (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0)) {
        free(msg);
        msg = xstrdup(m);
      }
    }
  }
  if (msg == NULL && printed != NULL) {
    /* the last non-empty line */
    cleanup_free char *copy = xstrdup(printed);
    size_t n = strlen(copy);
    while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == ' '))
      copy[--n] = '\0';
    char *last = strrchr(copy, '\n');
    if (n > 0)
      msg = xstrdup(last ? last + 1 : copy);
  }
  if (msg != NULL)
    return err_set(e, 0, "%s '%s': %s", sub, s->o->id, msg);
  return err_set(e, 0, "%s '%s': runtime exited with status %d", sub, s->o->id,
                 status_code(status));
}

static int timeout_error(struct shim *s, const char *sub, struct err **e) {
  return err_set(e, ETIMEDOUT, "%s '%s': the runtime %s did not finish within %.3gs (killed it)",
                 sub, s->o->id, s->o->runtime, (double)s->o->runtime_timeout_ns / 1e9);
}

/* A runtime call with the shim's timeout: the wait status, or -1. */
static int runtime_call(struct shim *s, char **argv, const char *sub, char *printed, size_t cap,
                        struct err **e) {
  int timed_out;
  int status = proc_run_timeout(argv, -1, printed, cap, s->o->runtime_timeout_ns, &timed_out, e);
  if (status < 0)
    return err_wrap(e, "%s '%s'", sub, s->o->id);
  if (timed_out)
    return timeout_error(s, sub, e);
  return status;
}

/* runc hands the pty master over the console socket with SCM_RIGHTS. */
static int recv_console(int lfd, struct err **e) {
  cleanup_close int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return err_set(e, errno, "accept on console socket");
  char name[256];
  int fd;
  if (fd_recv(c, name, sizeof name, &fd) < 0)
    return err_set(e, errno, "receive the terminal from the runtime");
  if (fd < 0)
    return err_set(e, 0, "the runtime sent no terminal on the console socket");
  return fd;
}

static int console_listen(struct shim *s, char *path, size_t pathlen, struct err **e) {
  /* A short path through /proc/self/fd: state dirs can be longer than
   * sun_path's 108 bytes, and the runtime connects by path. */
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/%d/fd/%d/console.sock", (int)getpid(), s->dirfd);
  snprintf(path, pathlen, "%s", sa.sun_path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_set(e, errno, "console socket");
  mode_t old = umask(0077);
  int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (r < 0 || listen(fd, 1) < 0) {
    int saved = errno;
    close(fd);
    return err_set(e, saved, "console socket '%s'", path);
  }
  return fd;
}

int runtime_create(struct shim *s, int in, int out, int err, int errpipe, struct err **e) {
  const struct shim_opts *o = s->o;
  cleanup_free char *pidfile = shim_path(s, "pid");
  unlink(pidfile);
  char sockpath[128];
  cleanup_close int lfd = -1;
  cleanup_close int capture_r = -1;
  cleanup_close int capture_w = -1;
  if (o->tty) {
    lfd = console_listen(s, sockpath, sizeof sockpath, e);
    if (lfd < 0)
      return -1;
    /* under --tty the runtime's own stderr is not the container's */
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
      return err_set(e, errno, "pipe");
    capture_r = p[0];
    capture_w = p[1];
    err = capture_w;
    errpipe = capture_r;
  }
  const char *args[8];
  size_t n = 0;
  args[n++] = "--bundle";
  args[n++] = o->bundle;
  args[n++] = "--pid-file";
  args[n++] = pidfile;
  if (o->tty) {
    args[n++] = "--console-socket";
    args[n++] = sockpath;
  }
  args[n++] = o->id;
  args[n] = NULL;
  cleanup_strv char **argv = runtime_argv(o, "create", args);
  off_t since = log_size(s);
  pid_t pid = proc_spawn(argv, in, out, err, e);
  if (pid < 0)
    return err_wrap(e, "create '%s'", o->id);
  if (capture_w >= 0)
    close(steal_fd(&capture_w));
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int pty = -1, timed_out = 0;
  struct err *cerr = NULL;
  int64_t deadline = proc_deadline(o->runtime_timeout_ns);
  while (pfd >= 0) {
    struct pollfd fds[2] = {{.fd = pfd, .events = POLLIN}, {.fd = lfd, .events = POLLIN}};
    int left = proc_ms_left(deadline);
    int r = left == 0 ? 0 : poll(fds, lfd >= 0 ? 2 : 1, left);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (r == 0) {
      timed_out = 1;
      kill(pid, SIGKILL);
      break;
    }
    if (lfd >= 0 && fds[1].revents) {
      pty = recv_console(lfd, &cerr);
      close(steal_fd(&lfd));
      continue;
    }
    if (fds[0].revents)
      break;
  }
  if (pfd >= 0)
    close(pfd);
  int status = proc_wait(pid);
  if (o->tty) {
    char path[128];
    snprintf(path, sizeof path, "/proc/self/fd/%d/console.sock", s->dirfd);
    unlink(path);
  }
  if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (pty >= 0)
      close(pty);
    err_free(&cerr);
    if (timed_out)
      return timeout_error(s, "create", e);
    char printed[4096] = "";
    if (errpipe >= 0) {
      ssize_t r = read(errpipe, printed, sizeof printed - 1);
      printed[r > 0 ? r : 0] = '\0';
    }
    return runtime_error(s, since, printed, "create", status, e);
  }
  if (o->tty && pty < 0) {
    if (cerr != NULL) {
      *e = cerr;
      return err_wrap(e, "create '%s'", o->id);
    }
    return err_set(e, 0, "create '%s': the runtime sent no terminal", o->id);
  }
  size_t len;
  cleanup_free char *pidtext = read_file(pidfile, 64, &len, e);
  if (pidtext == NULL)
    return err_wrap(e, "create '%s': pid file", o->id);
  long v = strtol(pidtext, NULL, 10);
  if (v <= 1) {
    if (pty >= 0)
      close(pty);
    return err_set(e, 0, "create '%s': bad pid file '%s'", o->id, pidfile);
  }
  s->pid = (pid_t)v;
  if (o->tty) {
    s->out_fd = pty;
    s->stdin_fd = o->stdin_open ? pty : -1;
  }
  return 0;
}

int runtime_start(struct shim *s, struct err **e) {
  const char *args[] = {s->o->id, NULL};
  cleanup_strv char **argv = runtime_argv(s->o, "start", args);
  off_t since = log_size(s);
  char printed[4096];
  int status = runtime_call(s, argv, "start", printed, sizeof printed, e);
  if (status < 0)
    return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return runtime_error(s, since, printed, "start", status, e);
  return 0;
}

int runtime_kill(struct shim *s, int sig, struct err **e) {
  char num[16];
  snprintf(num, sizeof num, "%d", sig);
  const char *args[] = {s->o->id, num, NULL};
  cleanup_strv char **argv = runtime_argv(s->o, "kill", args);
  off_t since = log_size(s);
  char printed[4096];
  int status = runtime_call(s, argv, "kill", printed, sizeof printed, e);
  if (status < 0)
    return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return runtime_error(s, since, printed, "kill", status, e);
  return 0;
}

void runtime_delete(struct shim *s) {
  const char *args[] = {"--force", s->o->id, NULL};
  cleanup_strv char **argv = runtime_argv(s->o, "delete", args);
  off_t since = log_size(s);
  char printed[4096];
  struct err *e = NULL;
  int status = runtime_call(s, argv, "delete", printed, sizeof printed, &e);
  if (status >= 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
    runtime_error(s, since, printed, "delete", status, &e);
  if (e != NULL)
    shim_warn(&e);
}
