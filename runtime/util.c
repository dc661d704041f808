/* util.c — ids, flag parsing and logging shared by the commands. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "runtime.h"

int rt_check_id(const char *id, struct err **e) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024)
    return err_set(e, 0, "invalid container id '%s': must be 1 to 1024 characters", id);
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             (i > 0 && (c == '_' || c == '.' || c == '+' || c == '-'));
    if (!ok)
      return err_set(e, 0,
                     "invalid container id '%s': only letters, digits and _.+- (not first) are "
                     "allowed",
                     id);
  }
  return 0;
}

int rt_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
              const char *cmd, struct err **e) {
  opterr = 0;
  int c = getopt_long_only(argc, argv, shortopts, longopts, NULL);
  if (c == '?' || c == ':') {
    const char *bad = argv[optind - 1];
    if (c == ':' || (optopt != 0 && strchr(shortopts, optopt) != NULL))
      err_usage(e, "%s: flag '%s' needs a value", cmd, bad);
    else
      err_usage(e, "%s: unknown flag '%s' (see '%s --help')", cmd, bad, cmd);
    return '?';
  }
  return c;
}

const char *rt_arg_id(int argc, char **argv, const char *cmd, struct err **e) {
  if (optind >= argc) {
    err_usage(e, "%s: a container ID is required", cmd);
    return NULL;
  }
  if (rt_check_id(argv[optind], e) < 0)
    return NULL;
  return argv[optind];
}

void rt_help(const char *usage, const char *text) {
  printf("Usage: " RT_NAME " %s\n\n%s", usage, text);
}

static int logfd = -1;
static int logjson;
static int logdebug;

int log_fd(void) {
  return logfd;
}

void log_open(const struct rt_opts *g) {
  logjson = g->log_json;
  logdebug = g->debug;
  if (g->log_path != NULL && *g->log_path != '\0')
    logfd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void log_line(const char *level, const char *msg, int to_stderr) {
  cleanup_free char *line = NULL;
  cleanup_free char *now = fmt_now();
  if (logjson) {
    cleanup_json json_t *j = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", now);
    cleanup_free char *s = json_dump_compact(j);
    line = xasprintf("%s\n", s);
  } else {
    /* logrus text: msg quoted with \" and \\ escaped */
    size_t n = strlen(msg);
    cleanup_free char *q = xmalloc(2 * n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
      if (msg[i] == '"' || msg[i] == '\\')
        q[o++] = '\\';
      q[o++] = msg[i] == '\n' ? ' ' : msg[i];
    }
    q[o] = '\0';
    line = xasprintf("time=\"%s\" level=%s msg=\"%s\"\n", now, level, q);
  }
  if (logfd >= 0)
    (void)write_all(logfd, line, strlen(line));
  else if (to_stderr)
    (void)write_all(2, line, strlen(line));
}

void log_error(const char *msg) {
  if (logfd >= 0)
    log_line("error", msg, 0);
}

void log_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  log_line("warning", msg, 1);
}

/* Debug lines carry the CPU time this process has used so far: the wall
 * clock of the timestamps says when, the CPU time says how much work a step
 * was (on a busy machine the two differ by the time spent waiting for a
 * CPU).  bench/runtime.sh's numbers are explained with these. */
void log_debug(const char *fmt, ...) {
  if (!logdebug)
    return;
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  struct timespec cpu = {0};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  cleanup_free char *line = xasprintf("%s [pid %d, cpu %.3f ms]", msg, (int)getpid(),
                                      (double)cpu.tv_sec * 1e3 + (double)cpu.tv_nsec / 1e6);
  log_line("debug", line, 1);
}
