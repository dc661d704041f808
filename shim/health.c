/* health.c — docker's healthchecks, without a daemon: the shim runs the
 * test through `<runtime> exec` every interval and keeps STATE/health.json
 * in the shape docker's inspect shows as State.Health:
 *
 *   {"Status":"healthy","FailingStreak":0,
 *    "Log":[{"Start":…,"End":…,"ExitCode":0,"Output":"…"}]}
 *
 * As docker does: the first probe runs one interval after the start; exit
 * 0 is healthy; a failure while still "starting" inside the start period
 * does not count; `retries` failures in a row make it unhealthy; a probe
 * that outlives the timeout is killed and counts as a failure with exit
 * code -1; the log keeps the last 5 results, output cut at 4096 bytes.
 * Probes run asynchronously so the container's output keeps flowing. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "shim.h"

#define MAX_OUTPUT 4096
#define MAX_LOG 5

struct result {
  struct timespec start, end;
  int exit_code;
  char *output;
};

static struct {
  int timer;         /* next probe */
  int timeout_timer; /* the running probe's deadline */
  pid_t pid;         /* the running `runtime exec`, 0 when none */
  int out_fd;
  char out[MAX_OUTPUT + 1];
  size_t out_len;
  struct timespec start;
  int timed_out;
  const char *status;
  int streak;
  struct result log[MAX_LOG];
  int nlog;
} H = {.timer = -1, .timeout_timer = -1, .out_fd = -1};

static void write_health(struct shim *s) {
  cleanup_json json_t *log = json_array();
  for (int i = 0; i < H.nlog; i++) {
    char st[40], en[40];
    fmt_time(st, &H.log[i].start);
    fmt_time(en, &H.log[i].end);
    json_array_append_new(log, json_pack("{s:s,s:s,s:i,s:s}", "Start", st, "End", en, "ExitCode",
                                         H.log[i].exit_code, "Output", H.log[i].output));
  }
  cleanup_json json_t *j =
      json_pack("{s:s,s:i,s:O}", "Status", H.status, "FailingStreak", H.streak, "Log", log);
  cleanup_free char *p = shim_path(s, "health.json");
  struct err *e = NULL;
  if (json_write_file(j, p, &e) < 0)
    shim_warn(&e);
}

void health_start(struct shim *s) {
  const struct health_cfg *h = &s->o->health;
  if (h->test == NULL)
    return;
  if (H.timer < 0) {
    H.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    H.timeout_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (H.timer < 0 || H.timeout_timer < 0) {
      struct err *e = NULL;
      err_set(&e, errno, "healthcheck timer");
      shim_warn(&e);
      return;
    }
    shim_watch(s, H.timer, EPOLLIN, EV_HEALTH_TIMER, 0);
    shim_watch(s, H.timeout_timer, EPOLLIN, EV_HEALTH_TIMEOUT, 0);
  }
  H.status = "starting";
  H.streak = 0;
  write_health(s);
  timer_arm(H.timer, h->interval_ns);
}

/* Kill the probe: the process inside the container (its host pid is in
 * STATE/health.pid; runc and crun make it a session and process group
 * leader, so its children go with the group) and the runtime's exec
 * waiting for it. */
static void probe_kill(struct shim *s) {
  if (H.pid <= 0)
    return;
  cleanup_free char *p = shim_path(s, "health.pid");
  cleanup_free char *text = read_file(p, 64, NULL, NULL);
  long inner = text ? strtol(text, NULL, 10) : 0;
  if (inner > 1) {
    if (getpgid((pid_t)inner) == (pid_t)inner)
      kill(-(pid_t)inner, SIGKILL);
    kill((pid_t)inner, SIGKILL);
  }
  kill(H.pid, SIGKILL);
}

static void close_out(struct shim *s) {
  if (H.out_fd < 0)
    return;
  shim_unwatch(s, H.out_fd);
  close(H.out_fd);
  H.out_fd = -1;
}

void health_stop(struct shim *s) {
  if (H.timer < 0)
    return;
  timer_arm(H.timer, 0);
  timer_arm(H.timeout_timer, 0);
  probe_kill(s);
  H.pid = 0; /* its exit, reaped later, is no result */
  close_out(s);
}

static void probe_run(struct shim *s) {
  const struct shim_opts *o = s->o;
  int p[2];
  struct err *e = NULL;
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
    err_set(&e, errno, "healthcheck pipe");
    shim_warn(&e);
    return;
  }
  cleanup_free char *pidp = shim_path(s, "health.pid");
  unlink(pidp);
  cleanup_strv char **args = NULL;
  strv_push(&args, "--pid-file");
  strv_push(&args, pidp);
  strv_push(&args, o->id);
  for (size_t i = 0; o->health.test[i] != NULL; i++)
    strv_push(&args, o->health.test[i]);
  cleanup_strv char **argv = runtime_argv(o, "exec", (const char *const *)args);
  clock_gettime(CLOCK_REALTIME, &H.start);
  pid_t pid = proc_spawn(argv, -1, p[1], p[1], &e);
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    err_wrap(&e, "healthcheck");
    shim_warn(&e);
    timer_arm(H.timer, o->health.interval_ns);
    return;
  }
  H.pid = pid;
  H.out_fd = p[0];
  H.out_len = 0;
  H.timed_out = 0;
  shim_watch(s, H.out_fd, EPOLLIN, EV_HEALTH_OUT, 0);
  timer_arm(H.timeout_timer, o->health.timeout_ns);
}

static void read_out(struct shim *s) {
  char tmp[4096];
  for (;;) {
    ssize_t r = read(H.out_fd, tmp, sizeof tmp);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && errno == EAGAIN)
      return;
    if (r <= 0) {
      close_out(s);
      return;
    }
    size_t take = (size_t)r;
    if (take > MAX_OUTPUT - H.out_len)
      take = MAX_OUTPUT - H.out_len;
    memcpy(H.out + H.out_len, tmp, take);
    H.out_len += take;
  }
}

/* Go's Duration.String for the common cases: "30s", "1.5s", "500ms". */
static void fmt_go_duration(char *buf, size_t n, int64_t ns) {
  if (ns % NSEC_PER_SEC == 0)
    snprintf(buf, n, "%llds", (long long)(ns / NSEC_PER_SEC));
  else if (ns >= NSEC_PER_SEC)
    snprintf(buf, n, "%gs", (double)ns / 1e9);
  else
    snprintf(buf, n, "%gms", (double)ns / 1e6);
}

static void record(struct shim *s, int exit_code, const char *output) {
  const struct health_cfg *h = &s->o->health;
  if (H.nlog == MAX_LOG) {
    free(H.log[0].output);
    memmove(H.log, H.log + 1, sizeof H.log[0] * (MAX_LOG - 1));
    H.nlog--;
  }
  struct result *r = &H.log[H.nlog++];
  r->start = H.start;
  clock_gettime(CLOCK_REALTIME, &r->end);
  r->exit_code = exit_code;
  r->output = xstrdup(output);

  const char *was = H.status;
  if (exit_code == 0) {
    H.streak = 0;
    H.status = "healthy";
  } else {
    int counts = 1;
    if (strcmp(H.status, "starting") == 0) {
      int64_t since = (H.start.tv_sec - s->started.tv_sec) * NSEC_PER_SEC +
                      (H.start.tv_nsec - s->started.tv_nsec);
      if (since < h->start_period_ns)
        counts = 0;
    }
    if (counts && ++H.streak >= h->retries)
      H.status = "unhealthy";
  }
  write_health(s);
  /* docker's event, on a change only (not for the reset to "starting") */
  if (strcmp(was, H.status) != 0) {
    cleanup_free char *action = xasprintf("health_status: %s", H.status);
    shim_event(s, action, NULL);
  }
}

int health_reaped(struct shim *s, pid_t pid, int status) {
  if (H.pid <= 0 || pid != H.pid)
    return 0;
  H.pid = 0;
  timer_arm(H.timeout_timer, 0);
  if (H.out_fd >= 0)
    read_out(s);
  close_out(s);
  if (H.timed_out) {
    char d[32], msg[80];
    fmt_go_duration(d, sizeof d, s->o->health.timeout_ns);
    snprintf(msg, sizeof msg, "Health check exceeded timeout (%s)", d);
    record(s, -1, msg);
  } else {
    H.out[H.out_len] = '\0';
    record(s, status_code(status), H.out);
  }
  if (s->pid > 0)
    timer_arm(H.timer, s->o->health.interval_ns);
  return 1;
}

void health_event(struct shim *s, enum ev_tag tag) {
  uint64_t ticks;
  switch (tag) {
    case EV_HEALTH_TIMER:
      if (read(H.timer, &ticks, sizeof ticks) == (ssize_t)sizeof ticks && s->pid > 0 && H.pid == 0)
        probe_run(s);
      break;
    case EV_HEALTH_TIMEOUT:
      if (read(H.timeout_timer, &ticks, sizeof ticks) == (ssize_t)sizeof ticks && H.pid > 0) {
        H.timed_out = 1;
        probe_kill(s);
      }
      break;
    case EV_HEALTH_OUT:
      if (H.out_fd >= 0)
        read_out(s);
      break;
    default: break;
  }
}
