/* cmd_events.c — `cairn events`: the journal events.c appends to, read
 * back with docker's filters and formats, then followed until --until
 * passes or the user interrupts.
 *
 * Without --since only new events print (as docker's); --since prints the
 * journal from then on (events.jsonl.1, then events.jsonl) before
 * following.  Following polls the file: a daemonless journal has no one
 * to push, and a short sleep costs nothing while nothing happens. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "json.h"
#include "mem.h"
#include "template.h"

static const char events_help[] =
    "Usage: cairn events [OPTIONS]\n\n"
    "Get real time events of containers, images, volumes and networks.\n\n"
    "Options:\n"
    "  -f, --filter K=V   type=, event=, container=, image=, volume=, network=,\n"
    "                     label=K[=V] (the same key twice: either matches)\n"
    "      --format STR   a Go template, or \"json\"\n"
    "      --since TIME   show events since TIME (RFC 3339, a Unix time, or a\n"
    "                     duration such as 10m before now)\n"
    "      --until TIME   stop at TIME (the same forms)\n";

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A Go duration: "1h30m", "10m", "45s", "500ms". */
static int parse_duration(const char *s, int64_t *ns) {
  int64_t total = 0;
  if (*s == '\0')
    return -1;
  while (*s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || v < 0)
      return -1;
    int64_t unit;
    if (strncmp(end, "ms", 2) == 0)
      unit = 1000000, end += 2;
    else if (strncmp(end, "us", 2) == 0)
      unit = 1000, end += 2;
    else if (strncmp(end, "ns", 2) == 0)
      unit = 1, end += 2;
    else if (*end == 'h')
      unit = 3600000000000LL, end++;
    else if (*end == 'm')
      unit = 60000000000LL, end++;
    else if (*end == 's')
      unit = 1000000000LL, end++;
    else
      return -1;
    total += (int64_t)(v * (double)unit);
    s = end;
  }
  *ns = total;
  return 0;
}

/* docker's time forms for --since/--until, as nanoseconds since 1970. */
int events_parse_when(const char *s, int64_t *ns, struct err **e) {
  /* a Unix time, "SECONDS[.FRACTION]", read exactly to the nanosecond */
  size_t ip = strspn(s, "0123456789");
  if (ip > 0 && ip <= 12 && (s[ip] == '\0' || (s[ip] == '.' && s[ip + 1] != '\0'))) {
    const char *frac = s[ip] == '.' ? s + ip + 1 : "";
    size_t fl = strspn(frac, "0123456789");
    if (frac[fl] == '\0' && fl <= 9) {
      int64_t sec = strtoll(s, NULL, 10), nsec = 0;
      for (size_t i = 0; i < 9; i++)
        nsec = nsec * 10 + (i < fl ? frac[i] - '0' : 0);
      *ns = sec * 1000000000 + nsec;
      return 0;
    }
  }
  int64_t d;
  if (parse_duration(s, &d) == 0) {
    *ns = now_ns() - d;
    return 0;
  }
  struct timespec ts;
  struct err *pe = NULL;
  if (parse_rfc3339(s, &ts, &pe) == 0) {
    *ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    return 0;
  }
  err_free(&pe);
  struct tm tm = {0};
  const char *rest = strptime(s, "%Y-%m-%d", &tm);
  if (rest != NULL && *rest == '\0') {
    *ns = (int64_t)timegm(&tm) * 1000000000;
    return 0;
  }
  return err_usage(e, "invalid time '%s': use RFC 3339, a Unix time or a duration such as 10m", s);
}

static const char *const filter_keys[] = {"type",   "event",   "container", "image",
                                          "volume", "network", "label"};

static bool filter_one(const json_t *ev, const char *key, const char *v) {
  const char *type = json_get_str(ev, "Type") ?: "";
  json_t *actor = json_get_obj(ev, "Actor");
  const char *id = json_get_str(actor, "ID") ?: "";
  json_t *attrs = json_get_obj(actor, "Attributes");
  const char *name = json_get_str(attrs, "name");
  bool by_id = strcmp(id, v) == 0 || (strlen(v) >= 12 && strncmp(id, v, strlen(v)) == 0) ||
               (name != NULL && strcmp(name, v) == 0);
  if (strcmp(key, "type") == 0)
    return strcmp(type, v) == 0;
  if (strcmp(key, "event") == 0) {
    /* as docker: these three carry a suffix ("exec_start: sh -c …",
     * "health_status: healthy"), so the bare name matches them all */
    const char *act = json_get_str(ev, "Action") ?: "";
    size_t vl = strlen(v);
    bool fuzzy = strcmp(v, "health_status") == 0 || strcmp(v, "exec_create") == 0 ||
                 strcmp(v, "exec_start") == 0;
    return strcmp(act, v) == 0 || (fuzzy && strncmp(act, v, vl) == 0 && act[vl] == ':');
  }
  if (strcmp(key, "container") == 0 || strcmp(key, "volume") == 0 || strcmp(key, "network") == 0)
    return strcmp(type, key) == 0 && by_id;
  if (strcmp(key, "image") == 0) {
    const char *img = json_get_str(attrs, "image");
    return (strcmp(type, "image") == 0 && by_id) || (img != NULL && strcmp(img, v) == 0);
  }
  /* label=K or label=K=V */
  const char *eq = strchr(v, '=');
  cleanup_free char *k = eq ? xstrndup(v, (size_t)(eq - v)) : xstrdup(v);
  const char *have = json_get_str(attrs, k);
  return have != NULL && (eq == NULL || strcmp(have, eq + 1) == 0);
}

/* Filters of different keys must all match; values of one key any. */
static bool filters_match(const json_t *ev, char **filters) {
  for (size_t k = 0; k < sizeof filter_keys / sizeof filter_keys[0]; k++) {
    const char *key = filter_keys[k];
    size_t kl = strlen(key);
    bool seen = false, ok = false;
    for (size_t i = 0; filters && filters[i]; i++) {
      if (strncmp(filters[i], key, kl) != 0 || filters[i][kl] != '=')
        continue;
      seen = true;
      ok |= filter_one(ev, key, filters[i] + kl + 1);
    }
    if (seen && !ok)
      return false;
  }
  return true;
}

static int by_key(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* docker's line: TIME TYPE ACTION ID (k=v, …), the time in local time. */
static void print_plain(const json_t *ev) {
  int64_t ns = json_integer_value(json_object_get(ev, "timeNano"));
  time_t sec = (time_t)(ns / 1000000000);
  struct tm tm;
  localtime_r(&sec, &tm);
  char date[64], zone[48];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  if (off == 0)
    snprintf(zone, sizeof zone, "Z");
  else
    snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
             labs(off) % 3600 / 60);
  json_t *actor = json_get_obj(ev, "Actor");
  json_t *attrs = json_get_obj(actor, "Attributes");
  printf("%s.%09lld%s %s %s %s", date, (long long)(ns % 1000000000), zone,
         json_get_str(ev, "Type") ?: "", json_get_str(ev, "Action") ?: "",
         json_get_str(actor, "ID") ?: "");
  size_t n = json_object_size(attrs);
  if (n > 0) {
    const char **keys = xcalloc(n, sizeof *keys);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, by_key);
    printf(" (");
    for (i = 0; i < n; i++)
      printf("%s%s=%s", i ? ", " : "", keys[i], json_get_str(attrs, keys[i]) ?: "");
    printf(")");
    free(keys);
  }
  printf("\n");
}

struct reader {
  int64_t since, until;
  char **filters;
  struct tmpl *tmpl;
  char *partial; /* an unfinished last line */
};

/* Print the events of one line; 1 once an event is past --until. */
static int handle_line(struct reader *r, const char *line, struct err **e) {
  cleanup_json json_t *ev = json_loads(line, 0, NULL);
  if (!json_is_object(ev))
    return 0; /* a torn or foreign line is skipped */
  int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
  if (t < r->since)
    return 0;
  if (r->until > 0 && t > r->until)
    return 1;
  if (!filters_match(ev, r->filters))
    return 0;
  if (r->tmpl != NULL) {
    cleanup_free char *out = NULL;
    if (tmpl_exec(r->tmpl, ev, &out, NULL, e) < 0)
      return -1;
    printf("%s\n", out);
  } else {
    print_plain(ev);
  }
  fflush(stdout);
  return 0;
}

/* Read what fd has from its offset on, line by line. */
static int drain(struct reader *r, int fd, struct err **e) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return 0;
    buf[n] = '\0';
    char *text = xasprintf("%s%s", r->partial ? r->partial : "", buf);
    free(r->partial);
    r->partial = NULL;
    char *p = text;
    for (char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
      *nl = '\0';
      int rc = handle_line(r, p, e);
      if (rc != 0) {
        free(text);
        return rc;
      }
    }
    if (*p != '\0')
      r->partial = xstrdup(p);
    free(text);
  }
}

static int follow(struct reader *r, bool past, struct err **e) {
  cleanup_free char *path = events_path();
  cleanup_free char *old = xasprintf("%s.1", path);
  int rc = 0;
  if (past) {
    int ofd = open(old, O_RDONLY | O_CLOEXEC);
    if (ofd >= 0) {
      rc = drain(r, ofd, e);
      close(ofd);
      free(r->partial);
      r->partial = NULL;
    }
  }
  int fd = -1;
  struct stat st;
  while (rc == 0) {
    if (fd < 0) {
      fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && !past)
        lseek(fd, 0, SEEK_END);
      past = true; /* a journal made or rotated later is read whole */
    }
    if (fd >= 0)
      rc = drain(r, fd, e);
    if (rc != 0)
      break;
    if (r->until > 0 && now_ns() > r->until)
      break;
    /* rotated: finish the old file (done above), then take the new one */
    struct stat fst;
    if (fd >= 0 && (stat(path, &st) < 0 || fstat(fd, &fst) < 0 || st.st_ino != fst.st_ino)) {
      rc = drain(r, fd, e);
      close(fd);
      fd = -1;
      continue;
    }
    usleep(100 * 1000);
  }
  if (fd >= 0)
    close(fd);
  return rc < 0 ? -1 : 0;
}

int cmd_events(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
      {"since", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
      {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0}};
  struct reader r = {0};
  const char *format = NULL;
  bool since_set = false;
  cleanup_strv char **filters = NULL;
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
    switch (ch) {
      case 'f': {
        const char *eq = strchr(optarg, '=');
        bool ok = false;
        for (size_t k = 0; eq && k < sizeof filter_keys / sizeof filter_keys[0]; k++)
          ok |= strlen(filter_keys[k]) == (size_t)(eq - optarg) &&
                strncmp(optarg, filter_keys[k], (size_t)(eq - optarg)) == 0;
        if (eq == NULL)
          return err_usage(e, "bad format of filter (expected name=value)");
        if (!ok)
          return err_usage(e, "invalid filter '%.*s'", (int)(eq - optarg), optarg);
        strv_push(&filters, optarg);
        break;
      }
      case 'F': format = optarg; break;
      case 's':
        if (events_parse_when(optarg, &r.since, e) < 0)
          return -1;
        since_set = true;
        break;
      case 'u':
        if (events_parse_when(optarg, &r.until, e) < 0)
          return -1;
        break;
      case 'H': return usage_print(events_help);
      default:
        return err_usage(e, "unknown flag: %s (see 'cairn events --help')", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return err_usage(e, "\"cairn events\" accepts no arguments");
  if (since_set && r.until > 0 && r.until < r.since)
    return err_usage(e, "--until is before --since");
  if (format != NULL) {
    cleanup_free char *src = tmpl_preformat(format, NULL);
    r.tmpl = tmpl_parse(src, e);
    if (r.tmpl == NULL)
      return err_wrap(e, "template parsing error");
  }
  r.filters = filters;
  /* --until alone: everything before it */
  int rc = follow(&r, since_set || r.until > 0, e);
  tmpl_free(r.tmpl);
  free(r.partial);
  return rc;
}
