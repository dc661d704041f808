/* cmd_logs.c — `cairn logs`: the shim's json-file log, as docker prints it.
 *
 * The log is ctr.log with rotated files ctr.log.1, ctr.log.2, … (older
 * as the number grows).  One JSON object per line, {"log","stream",
 * "time"}; the shim writes whole entries with one write(2), so a reader
 * only ever sees a partial last line, which it keeps until the rest comes.
 * -f follows the file through rotations until the container stops. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

static const char logs_help[] =
    "Usage: cairn logs [OPTIONS] CONTAINER\n\n"
    "Fetch the logs of a container.\n\n"
    "Options:\n"
    "  -f, --follow         follow log output\n"
    "      --since TIME     logs since a timestamp (RFC 3339, unix seconds) or a duration (10m)\n"
    "      --until TIME     logs before a timestamp or duration\n"
    "  -n, --tail N         number of lines to show from the end (default \"all\")\n"
    "  -t, --timestamps     show timestamps\n";

struct logopts {
  bool follow, timestamps;
  long tail; /* -1: all */
  struct timespec since, until;
  bool has_since, has_until;
};

/* RFC 3339, unix seconds ("1700000000[.5]"), or a Go duration before now. */
static int parse_when(const char *s, struct timespec *ts, struct err **e) {
  struct err *pe = NULL;
  if (parse_rfc3339(s, ts, &pe) == 0)
    return 0;
  err_free(&pe);
  char *end;
  double v = strtod(s, &end);
  if (end != s && *end == '\0') {
    ts->tv_sec = (time_t)v;
    ts->tv_nsec = (long)((v - (double)ts->tv_sec) * 1e9);
    return 0;
  }
  double secs = 0;
  const char *p = s;
  while (*p) {
    double n = strtod(p, &end);
    if (end == p)
      return err_usage(e, "invalid time '%s'", s);
    p = end;
    double unit = 0;
    if (strncmp(p, "ms", 2) == 0) {
      unit = 0.001;
      p += 2;
    } else if (*p == 's' || *p == 'm' || *p == 'h') {
      unit = *p == 's' ? 1 : *p == 'm' ? 60 : 3600;
      p++;
    } else {
      return err_usage(e, "invalid time '%s'", s);
    }
    secs += n * unit;
  }
  clock_gettime(CLOCK_REALTIME, ts);
  double t = (double)ts->tv_sec + (double)ts->tv_nsec / 1e9 - secs;
  ts->tv_sec = (time_t)t;
  ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
  return 0;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b) {
  if (a->tv_sec != b->tv_sec)
    return a->tv_sec < b->tv_sec ? -1 : 1;
  return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

/* Print one entry; returns 1 when it is past --until. */
static int emit(const struct logopts *lo, const char *line) {
  json_t *j = json_loads(line, 0, NULL);
  if (j == NULL)
    return 0;
  const char *log = json_get_str(j, "log"), *stream = json_get_str(j, "stream");
  const char *time = json_get_str(j, "time");
  int rc = 0;
  struct timespec ts = {0};
  struct err *e = NULL;
  if ((lo->has_since || lo->has_until) && (time == NULL || parse_rfc3339(time, &ts, &e) < 0))
    err_free(&e);
  if (lo->has_since && ts_cmp(&ts, &lo->since) < 0)
    goto out;
  if (lo->has_until && ts_cmp(&ts, &lo->until) >= 0) {
    rc = 1;
    goto out;
  }
  FILE *f = stream != NULL && strcmp(stream, "stderr") == 0 ? stderr : stdout;
  if (lo->timestamps && time != NULL)
    fprintf(f, "%s ", time);
  if (log != NULL)
    fwrite(log, 1, json_string_length(json_object_get(j, "log")), f);
out:
  json_decref(j);
  return rc;
}

struct lines {
  char **v;
  size_t n, cap;
};

static void lines_add(struct lines *l, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 256;
    l->v = xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = s;
}

/* Whole lines of fd from *off on; a partial last line stays unread. */
static void read_lines(int fd, off_t *off, struct lines *out) {
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (cap - len < 65536) {
      cap = cap ? cap * 2 : 65536;
      buf = xrealloc(buf, cap + 1);
    }
    ssize_t r = pread(fd, buf + len, cap - len, *off + (off_t)len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] != '\n')
      continue;
    lines_add(out, xstrndup(buf + start, i - start));
    start = i + 1;
  }
  *off += (off_t)start;
}

static int follow(const char *id, const char *logp, int fd, off_t off, const struct logopts *lo) {
  cleanup_close int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  cleanup_free char *dir = ctr_dir(id);
  if (ino >= 0)
    inotify_add_watch(ino, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM);
  struct stat cur;
  fstat(fd, &cur);
  for (;;) {
    bool alive = shim_alive(id);
    struct lines l = {0};
    read_lines(fd, &off, &l);
    int stop = 0;
    for (size_t i = 0; i < l.n; i++) {
      if (!stop)
        stop = emit(lo, l.v[i]);
      free(l.v[i]);
    }
    free(l.v);
    fflush(stdout);
    fflush(stderr);
    if (stop)
      return 0;
    /* rotated: the old file is drained above; go on with the new one */
    struct stat now;
    if (stat(logp, &now) == 0 && (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev)) {
      int nfd = open(logp, O_RDONLY | O_CLOEXEC);
      if (nfd >= 0) {
        close(fd);
        fd = nfd;
        off = 0;
        cur = now;
        continue;
      }
    }
    if (!alive)
      break;
    struct pollfd pf = {ino, POLLIN, 0};
    poll(&pf, 1, ino >= 0 ? 1000 : 200);
    char ev[4096];
    while (ino >= 0 && read(ino, ev, sizeof ev) > 0) {
    }
  }
  close(fd);
  return 0;
}

int cmd_logs(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"follow", no_argument, NULL, 'f'},      {"timestamps", no_argument, NULL, 't'},
      {"tail", required_argument, NULL, 'n'},  {"since", required_argument, NULL, 'S'},
      {"until", required_argument, NULL, 'U'}, {"details", no_argument, NULL, 'D'},
      {"help", no_argument, NULL, 'H'},        {NULL, 0, NULL, 0}};
  struct logopts lo = {.tail = -1};
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "ftn:", opts, NULL)) != -1) {
    switch (ch) {
      case 'f': lo.follow = true; break;
      case 't': lo.timestamps = true; break;
      case 'D': break;
      case 'n':
        if (strcmp(optarg, "all") != 0 && parse_int(optarg, -1, 1L << 40, &lo.tail) < 0)
          return err_usage(e, "invalid --tail '%s': a number or \"all\"", optarg);
        break;
      case 'S':
        if (parse_when(optarg, &lo.since, e) < 0)
          return -1;
        lo.has_since = true;
        break;
      case 'U':
        if (parse_when(optarg, &lo.until, e) < 0)
          return -1;
        lo.has_until = true;
        break;
      case 'H': return usage_print(logs_help);
      default: return err_usage(e, "unknown flag: %s (see 'cairn logs --help')", argv[optind - 1]);
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "\"cairn logs\" requires exactly 1 argument");
  cleanup_json json_t *c = ctr_find(argv[optind], e);
  if (c == NULL)
    return -1;
  const char *id = json_get_str(c, "id");
  cleanup_free char *logp = ctr_file(id, "ctr.log");

  /* all entries of the rotated files, oldest first, then the current one */
  struct lines all = {0};
  for (int n = 20; n >= 1; n--) {
    cleanup_free char *p = xasprintf("%s.%d", logp, n);
    cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
    off_t off = 0;
    if (fd >= 0)
      read_lines(fd, &off, &all);
  }
  int fd = open(logp, O_RDONLY | O_CLOEXEC);
  off_t off = 0;
  if (fd >= 0)
    read_lines(fd, &off, &all);
  size_t from = lo.tail >= 0 && (size_t)lo.tail < all.n ? all.n - (size_t)lo.tail : 0;
  int stop = 0;
  for (size_t i = 0; i < all.n; i++) {
    if (i >= from && !stop)
      stop = emit(&lo, all.v[i]);
    free(all.v[i]);
  }
  free(all.v);
  fflush(stdout);
  if (fd < 0)
    return 0;
  if (!lo.follow || stop) {
    close(fd);
    return 0;
  }
  return follow(id, logp, fd, off, &lo);
}
