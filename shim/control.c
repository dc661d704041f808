/* control.c — STATE/ctl.sock: one text command per connection, one reply.
 *
 *   stop [TIMEOUT [SIGNAL]]  no more restarts; send SIGNAL (default TERM) to
 *                            the container, SIGKILL after TIMEOUT (a Go
 *                            duration, default 10s)
 *   kill SIGNAL              send SIGNAL, restart policy untouched
 *   restart POLICY           a new restart policy from now on (cairn update)
 *   name NAME                the container's name in the events we write
 *                            from now on (cairn rename)
 *
 * The reply is "ok\n" or "error: MESSAGE\n".  A client has a second to send
 * its line; the socket is 0600, so only root (or the owner) talks to it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"

static int listen_fd = -1;

int control_listen(struct shim *s, struct err **e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/ctl.sock", s->dirfd);
  unlink(sa.sun_path);
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd < 0)
    return err_set(e, errno, "control socket");
  mode_t old = umask(0077);
  int r = bind(listen_fd, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (r == 0)
    r = chmod(sa.sun_path, 0600);
  if (r < 0 || listen(listen_fd, 4) < 0)
    return err_set(e, errno, "control socket '%s/ctl.sock'", s->o->state_dir);
  shim_watch(s, listen_fd, EPOLLIN, EV_CTL_LISTEN, 0);
  return 0;
}

static int command(struct shim *s, char *line, struct err **e) {
  char *save = NULL;
  char *verb = strtok_r(line, " \t", &save);
  char *a1 = strtok_r(NULL, " \t", &save);
  char *a2 = strtok_r(NULL, " \t", &save);
  if (verb == NULL)
    return err_usage(e, "empty command");
  if (strtok_r(NULL, " \t", &save) != NULL)
    return err_usage(e, "too many arguments");
  int sig = SIGTERM;
  if (strcmp(verb, "stop") == 0) {
    int64_t timeout = 10 * NSEC_PER_SEC;
    if (a1 != NULL && parse_duration(a1, &timeout, e) < 0)
      return -1;
    if (a2 != NULL && parse_signal(a2, &sig) < 0)
      return err_usage(e, "unknown signal '%s'", a2);
    return shim_stop(s, sig, timeout, e);
  }
  if (strcmp(verb, "kill") == 0) {
    if (a1 == NULL || a2 != NULL)
      return err_usage(e, "usage: kill SIGNAL");
    if (parse_signal(a1, &sig) < 0)
      return err_usage(e, "unknown signal '%s'", a1);
    if (s->pid <= 0)
      return err_set(e, 0, "the container is not running");
    if (kill(s->pid, sig) < 0)
      return err_set(e, errno, "signal container init %d", (int)s->pid);
    return 0;
  }
  if (strcmp(verb, "restart") == 0) {
    struct restart_policy p;
    if (a1 == NULL || a2 != NULL)
      return err_usage(e, "usage: restart POLICY");
    if (restart_parse(a1, &p, e) < 0)
      return -1;
    s->o->restart = p;
    return 0;
  }
  if (strcmp(verb, "name") == 0) {
    if (a1 == NULL || a2 != NULL)
      return err_usage(e, "usage: name NAME");
    shim_event_rename(s, a1);
    return 0;
  }
  return err_usage(e, "unknown command '%s' (want stop, kill, restart or name)", verb);
}

void control_accept(struct shim *s) {
  int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  struct timeval tv = {.tv_sec = 1};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char line[256];
  size_t n = 0;
  while (n < sizeof line - 1) {
    ssize_t r = read(fd, line + n, sizeof line - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    n += (size_t)r;
    if (memchr(line, '\n', n) != NULL)
      break;
  }
  line[n] = '\0';
  char *nl = strchr(line, '\n');
  if (nl != NULL)
    *nl = '\0';
  struct err *e = NULL;
  char reply[512];
  if (command(s, line, &e) < 0) {
    snprintf(reply, sizeof reply, "error: %s\n", e->msg);
    err_free(&e);
  } else {
    snprintf(reply, sizeof reply, "ok\n");
  }
  (void)!send(fd, reply, strlen(reply), MSG_NOSIGNAL);
  close(fd);
}

void control_close(struct shim *s) {
  if (listen_fd < 0)
    return;
  shim_unwatch(s, listen_fd);
  close(listen_fd);
  listen_fd = -1;
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d/ctl.sock", s->dirfd);
  unlink(p);
}
