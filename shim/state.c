/* state.c — the documents the shim leaves in its state dir for others to
 * read (status.json, exit.json), and the memory cgroup it watches for OOM
 * kills.  All written atomically (temp file + rename). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "shim.h"

char *shim_error_json(const struct err *e) {
  const char *code = "failed";
  if (e->code == ERR_USAGE)
    code = "usage";
  else if (e->code == ERR_NOTFOUND)
    code = "notfound";
  else if (e->code == ERR_EXISTS)
    code = "exists";
  cleanup_json json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "msg", e->msg);
  return json_dump_compact(j);
}

/* Not durable (write_file_replace): the files here describe a live
 * process (shim.pid, status.json) or one that just ended (exit.json, which
 * the CLI reads at once and records in the container's own dir), and all of
 * them live in the run dir, which a reboot empties.  An fsync would cost
 * milliseconds on the path of every start and exit. */
int state_write_volatile(struct shim *s, const char *name, const char *buf, size_t len,
                         struct err **e) {
  cleanup_free char *p = shim_path(s, name);
  return write_file_replace(p, buf, len, 0644, e);
}

static json_t *time_json(const struct timespec *ts) {
  char buf[40];
  fmt_time(buf, ts);
  return json_string(buf);
}

int state_write_status(struct shim *s, const char *status, struct err **e) {
  cleanup_json json_t *j = json_pack("{s:s,s:i,s:i,s:o,s:i}", "status", status, "pid", (int)s->pid,
                                     "shimPid", (int)getpid(), "startedAt", time_json(&s->started),
                                     "restartCount", s->restart_count);
  cleanup_free char *text = json_dump_pretty(j);
  return state_write_volatile(s, "status.json", text, strlen(text), e);
}

char *state_exit_json(struct shim *s, int status, int oom, struct err **e) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  cleanup_json json_t *j = json_pack("{s:i,s:i,s:o,s:b}", "exitCode", status_code(status), "signal",
                                     sig, "finishedAt", time_json(&now), "oomKilled", oom);
  cleanup_free char *text = json_dump_pretty(j);
  if (state_write_volatile(s, "exit.json", text, strlen(text), e) < 0)
    return NULL;
  return json_dump_compact(j);
}

/* "oom_kill N" from memory.oom_control (v1) or memory.events (v2). */
static uint64_t read_oom_kills(const char *dir) {
  static const char *const files[] = {"memory.oom_control", "memory.events"};
  for (size_t i = 0; i < 2; i++) {
    cleanup_free char *p = path_join(dir, files[i]);
    cleanup_free char *text = read_file(p, 4096, NULL, NULL);
    if (text == NULL)
      continue;
    for (char *l = text; l != NULL && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
      unsigned long long v;
      if (sscanf(l, "oom_kill %llu", &v) == 1)
        return v;
    }
  }
  return 0;
}

/* The container's memory cgroup from /proc/PID/cgroup: the v1 "memory"
 * hierarchy when there is one, else the v2 one when it has the memory
 * controller.  Read while the container runs; the runtime removes the
 * cgroup at delete, so the counter is read again before that. */
int state_find_memcg(struct shim *s) {
  free(s->memcg);
  s->memcg = NULL;
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/cgroup", (int)s->pid);
  cleanup_free char *text = read_file(p, 1 << 16, NULL, NULL);
  if (text == NULL)
    return -1;
  char *save = NULL;
  for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(l, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c2 = '\0';
    const char *ctrls = c1 + 1, *path = c2 + 1;
    char *dir = NULL;
    if (*ctrls == '\0') {
      cleanup_free char *ctl = read_file("/sys/fs/cgroup/cgroup.controllers", 4096, NULL, NULL);
      if (ctl != NULL && strstr(ctl, "memory") != NULL)
        dir = path_join("/sys/fs/cgroup", path);
    } else {
      cleanup_free char *list = xasprintf(",%s,", ctrls);
      if (strstr(list, ",memory,") != NULL)
        dir = path_join("/sys/fs/cgroup/memory", path);
    }
    if (dir != NULL) {
      free(s->memcg);
      s->memcg = dir;
      if (*ctrls != '\0')
        break; /* v1 wins on hybrid hosts: that is where limits apply */
    }
  }
  if (s->memcg != NULL)
    s->oom_before = read_oom_kills(s->memcg);
  return s->memcg != NULL ? 0 : -1;
}

int state_oom_killed(struct shim *s) {
  if (s->memcg == NULL)
    return 0;
  return read_oom_kills(s->memcg) > s->oom_before;
}
