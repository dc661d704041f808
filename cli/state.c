/* state.c — a container's live state, without a daemon.
 *
 * container.json says what cairn last did (created, started, recorded an
 * exit).  While the container runs, the truth is the shim's: it holds
 * STATE/shim.lock for its whole life and keeps status.json, exit.json and
 * health.json current.  A container that container.json calls running but
 * whose shim is gone (killed, or /run lost in a reboot) is shown as
 * exited, as docker shows containers after a daemon crash. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

static const char *const names[] = {"created", "running", "restarting", "paused", "exited", "dead"};

const char *ctr_status_name(enum ctr_status s) {
  return names[s];
}

bool shim_alive(const char *id) {
  cleanup_free char *p = ctr_run_file(id, "shim.lock");
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return false;
  if (flock(fd, LOCK_SH | LOCK_NB) < 0)
    return errno == EWOULDBLOCK;
  return false;
}

int shim_wait(const char *id, int timeout_ms) {
  cleanup_free char *p = ctr_run_file(id, "shim.lock");
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;
  if (timeout_ms < 0) {
    while (flock(fd, LOCK_SH) < 0)
      if (errno != EINTR)
        return 0;
    return 0;
  }
  for (int waited = 0;; waited += 10) {
    if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
      return 0;
    if (waited >= timeout_ms)
      return -1;
    poll(NULL, 0, 10);
  }
}

int unix_connect(const char *dir, const char *name, struct err **e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  cleanup_close int dfd = -1;
  if (strlen(dir) + strlen(name) + 2 > sizeof sa.sun_path) {
    dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
      return err_set(e, errno, "open '%s'", dir);
    snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dfd, name);
  } else {
    size_t dl = strlen(dir), nl = strlen(name);
    memcpy(sa.sun_path, dir, dl);
    sa.sun_path[dl] = '/';
    memcpy(sa.sun_path + dl + 1, name, nl + 1);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_set(e, errno, "socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int saved = errno;
    close(fd);
    return err_set(e, saved, "connect '%s/%s'", dir, name);
  }
  return fd;
}

int shim_ctl(const char *id, const char *cmd, struct err **e) {
  cleanup_free char *dir = ctr_run_dir(id);
  struct err *ce = NULL;
  cleanup_close int fd = unix_connect(dir, "ctl.sock", &ce);
  if (fd < 0) {
    int en = ce->errnum;
    err_free(&ce);
    if (en == ENOENT || en == ECONNREFUSED)
      return err_setc(e, ERR_NOTFOUND, 0, "container %.12s is not running", id);
    return err_set(e, en, "connect to the shim of %.12s", id);
  }
  cleanup_free char *line = xasprintf("%s\n", cmd);
  if (write_all(fd, line, strlen(line)) < 0)
    return err_set(e, errno, "send '%s' to the shim", cmd);
  char reply[600];
  size_t n = 0;
  while (n < sizeof reply - 1) {
    ssize_t r = read(fd, reply + n, sizeof reply - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    n += (size_t)r;
  }
  reply[n] = '\0';
  char *nl = strchr(reply, '\n');
  if (nl != NULL)
    *nl = '\0';
  if (strcmp(reply, "ok") == 0)
    return 0;
  if (strncmp(reply, "error: ", 7) == 0)
    return err_set(e, 0, "%s", reply + 7);
  return err_set(e, 0, "the shim of %.12s did not answer '%s'", id, cmd);
}

static json_t *load_run_json(const char *id, const char *name) {
  cleanup_free char *p = ctr_run_file(id, name);
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct err *e = NULL;
  json_t *j = json_load_fd_named(fd, p, &e);
  err_free(&e);
  return j;
}

static void set_str(char **dst, const char *s) {
  free(*dst);
  *dst = s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* The shim is gone and nobody recorded how the container ended. */
static void lost_exit(const char *id, struct ctr_state *st) {
  st->status = ST_EXITED;
  st->pid = 0;
  cleanup_json json_t *ex = load_run_json(id, "exit.json");
  if (ex != NULL) {
    st->exit_code = (int)json_integer_value(json_object_get(ex, "exitCode"));
    st->oom_killed = json_is_true(json_object_get(ex, "oomKilled"));
    set_str(&st->finished_at, json_get_str(ex, "finishedAt"));
    return;
  }
  st->exit_code = 255;
  if (st->finished_at == NULL)
    set_str(&st->finished_at, st->started_at);
}

void ctr_state_get(const json_t *c, struct ctr_state *st) {
  memset(st, 0, sizeof *st);
  const char *id = json_get_str(c, "id");
  json_t *s = json_get_obj(c, "state");
  const char *status = json_get_str(s, "status");
  st->status = ST_CREATED;
  for (size_t i = 0; status != NULL && i < sizeof names / sizeof names[0]; i++)
    if (strcmp(status, names[i]) == 0)
      st->status = (enum ctr_status)i;
  st->pid = (int)json_integer_value(json_object_get(s, "pid"));
  st->exit_code = (int)json_integer_value(json_object_get(s, "exitCode"));
  st->oom_killed = json_is_true(json_object_get(s, "oomKilled"));
  st->restart_count = (int)json_integer_value(json_object_get(s, "restartCount"));
  set_str(&st->started_at, json_get_str(s, "startedAt"));
  set_str(&st->finished_at, json_get_str(s, "finishedAt"));
  if (st->status == ST_CREATED && shim_alive(id))
    st->status = ST_RUNNING; /* a start whose cairn was killed before it wrote "running" */
  if (st->status != ST_RUNNING && st->status != ST_RESTARTING && st->status != ST_PAUSED)
    return;
  st->shim_alive = shim_alive(id);
  if (!st->shim_alive) {
    lost_exit(id, st);
    return;
  }
  cleanup_json json_t *sj = load_run_json(id, "status.json");
  const char *live = json_get_str(sj, "status");
  if (live != NULL && strcmp(live, "restarting") == 0)
    st->status = ST_RESTARTING;
  if (sj != NULL) {
    st->pid = (int)json_integer_value(json_object_get(sj, "pid"));
    st->restart_count = (int)json_integer_value(json_object_get(sj, "restartCount"));
    set_str(&st->started_at, json_get_str(sj, "startedAt"));
  }
  if (live != NULL && strcmp(live, "exited") == 0) {
    /* the shim is finishing (its on-exit command runs) */
    lost_exit(id, st);
    return;
  }
  if (st->status == ST_RESTARTING) {
    cleanup_json json_t *ex = load_run_json(id, "exit.json");
    if (ex != NULL) {
      st->exit_code = (int)json_integer_value(json_object_get(ex, "exitCode"));
      set_str(&st->finished_at, json_get_str(ex, "finishedAt"));
    }
  }
  cleanup_json json_t *h = load_run_json(id, "health.json");
  set_str(&st->health, json_get_str(h, "Status"));
}

void ctr_state_free(struct ctr_state *st) {
  free(st->started_at);
  free(st->finished_at);
  free(st->health);
  st->started_at = st->finished_at = st->health = NULL;
}

static char *ago(const char *t) {
  struct timespec ts;
  struct err *e = NULL;
  if (t == NULL || parse_rfc3339(t, &ts, &e) < 0) {
    err_free(&e);
    return xstrdup("");
  }
  return fmt_ago(&ts);
}

char *ctr_status_text(const struct ctr_state *st) {
  switch (st->status) {
    case ST_CREATED: return xstrdup("Created");
    case ST_RUNNING:
    case ST_PAUSED: {
      struct timespec ts, now;
      struct err *e = NULL;
      double d = 0;
      if (st->started_at != NULL && parse_rfc3339(st->started_at, &ts, &e) == 0) {
        clock_gettime(CLOCK_REALTIME, &now);
        d = (double)(now.tv_sec - ts.tv_sec) + (double)(now.tv_nsec - ts.tv_nsec) / 1e9;
      }
      err_free(&e);
      cleanup_free char *dur = fmt_duration(d);
      const char *health = "";
      if (st->health != NULL && strcmp(st->health, "healthy") == 0)
        health = " (healthy)";
      else if (st->health != NULL && strcmp(st->health, "unhealthy") == 0)
        health = " (unhealthy)";
      else if (st->health != NULL && strcmp(st->health, "starting") == 0)
        health = " (health: starting)";
      return xasprintf("Up %s%s%s", dur, st->status == ST_PAUSED ? " (Paused)" : "", health);
    }
    case ST_RESTARTING: {
      cleanup_free char *a = ago(st->finished_at);
      return xasprintf("Restarting (%d) %s", st->exit_code, a);
    }
    case ST_EXITED: {
      cleanup_free char *a = ago(st->finished_at);
      return xasprintf("Exited (%d) %s", st->exit_code, a);
    }
    case ST_DEAD: return xstrdup("Dead");
  }
  return xstrdup("");
}
