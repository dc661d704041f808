/* cmd_stats.c — `cairn stats`: docker's live resource table.
 *
 *   CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O         BLOCK I/O   PIDS
 *   6f6ba1d3f285   web    0.07%   1.2MiB / 64MiB      1.88%   1.3kB / 648B    0B / 0B     2
 *
 * Each sample is `RUNTIME --root R events --stats ID` (runc's stats JSON,
 * which runc, crun and cairn-runtime all print) plus the interface counters
 * of the container's network namespace (/proc/PID/net/dev).  CPU % needs
 * two samples, as docker computes it: the container's CPU time delta over
 * the host's CPU time delta (/proc/stat), times the online CPUs. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "json.h"
#include "mem.h"
#include "table.h"
#include "template.h"

static const char stats_help[] =
    "Usage: cairn stats [OPTIONS] [CONTAINER...]\n\n"
    "Display a live stream of container(s) resource usage statistics.\n\n"
    "Options:\n"
    "  -a, --all             show all containers (default shows just running)\n"
    "      --format STRING   a Go template ({{.Name}}, {{.CPUPerc}}, …), 'table …' or 'json'\n"
    "      --no-stream       print the first result and exit\n"
    "      --no-trunc        do not truncate output\n";

/* One reading of one container. */
struct sample {
  bool valid;             /* the runtime answered */
  unsigned long long cpu; /* container CPU time, ns */
  unsigned long long sys; /* host CPU time, ns, read right after */
  unsigned long long mem, limit, blk_r, blk_w, net_r, net_w, pids;
};

struct ctr {
  char *id, *name, *shown; /* shown: as the user named it, or the id */
  json_t *c;
  struct sample prev, cur;
};

/* The host's CPU time in ns: the "cpu" line of /proc/stat (user nice
 * system idle iowait irq softirq), as docker sums it. */
static unsigned long long host_cpu_ns(void) {
  FILE *f = fopen("/proc/stat", "re");
  if (f == NULL)
    return 0;
  unsigned long long v[7] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                 &v[5], &v[6]);
  fclose(f);
  if (n != 7)
    return 0;
  unsigned long long t = 0;
  for (int i = 0; i < 7; i++)
    t += v[i];
  long hz = sysconf(_SC_CLK_TCK);
  return t * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
}

static unsigned long long host_mem_total(void) {
  FILE *f = fopen("/proc/meminfo", "re");
  unsigned long long kb = 0;
  if (f != NULL) {
    if (fscanf(f, "MemTotal: %llu kB", &kb) != 1)
      kb = 0;
    fclose(f);
  }
  return kb * 1024;
}

/* Received and sent bytes on every interface but lo of pid's netns. */
static void net_counters(int pid, unsigned long long *rx, unsigned long long *tx) {
  *rx = *tx = 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/net/dev", pid);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return;
  char line[512];
  while (fgets(line, sizeof line, f) != NULL) {
    char *colon = strchr(line, ':');
    if (colon == NULL)
      continue; /* the two header lines */
    *colon = '\0';
    const char *ifname = line + strspn(line, " ");
    unsigned long long r, skip, t;
    if (strcmp(ifname, "lo") == 0 ||
        sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &r, &skip, &skip, &skip,
               &skip, &skip, &skip, &skip, &t) != 9)
      continue;
    *rx += r;
    *tx += t;
  }
  fclose(f);
}

/* o.a.b… by a dotted path ("memory.usage.limit"); NULL when absent. */
static json_t *json_path(const json_t *o, const char *path) {
  json_t *v = (json_t *)o;
  for (const char *p = path; v != NULL && *p;) {
    size_t n = strcspn(p, ".");
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)n, p);
    v = json_object_get(v, key);
    p += n + (p[n] == '.');
  }
  return v;
}

static unsigned long long ju(const json_t *o, const char *path) {
  json_t *v = json_path(o, path);
  return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

/* One reading of c: the runtime's stats, the netns counters.  A container
 * that is not running (or stops meanwhile) reads as zeros. */
static void sample_take(struct ctr *k) {
  struct sample s = {0};
  struct ctr_state st;
  ctr_state_get(k->c, &st);
  bool running = st.status == ST_RUNNING || st.status == ST_PAUSED;
  int pid = st.pid;
  ctr_state_free(&st);
  if (running) {
    struct err *e = NULL;
    cleanup_free char *rt = runtime_path(json_get_str(k->c, "runtime"), &e);
    cleanup_free char *root = runtime_root();
    struct tool_out o = {0};
    const char *argv[] = {rt, "--root", root, "events", "--stats", k->id, NULL};
    json_t *ev = NULL;
    if (rt != NULL && tool_run(argv, NULL, 0, &o, 0, &e) == 0)
      ev = json_loads(o.out, 0, NULL);
    err_free(&e);
    tool_out_free(&o);
    s.sys = host_cpu_ns();
    json_t *d = json_object_get(ev, "data");
    if (d != NULL) {
      s.valid = true;
      s.cpu = ju(d, "cpu.usage.total");
      s.mem = ju(d, "memory.usage.usage");
      /* docker leaves the page cache out: v1's total_inactive_file, v2's
       * inactive_file */
      json_t *raw = json_path(d, "memory.raw");
      unsigned long long inactive = json_object_get(raw, "total_inactive_file")
                                        ? ju(raw, "total_inactive_file")
                                        : ju(raw, "inactive_file");
      if (inactive < s.mem)
        s.mem -= inactive;
      s.limit = ju(d, "memory.usage.limit");
      s.pids = ju(d, "pids.current");
      size_t i;
      json_t *b;
      json_array_foreach(json_path(d, "blkio.ioServiceBytesRecursive"), i, b) {
        const char *op = json_get_str(b, "op");
        if (op != NULL && strcasecmp(op, "read") == 0)
          s.blk_r += ju(b, "value");
        else if (op != NULL && strcasecmp(op, "write") == 0)
          s.blk_w += ju(b, "value");
      }
      const char *net = json_get_str(k->c, "network");
      if (pid > 0 && (net == NULL || strcmp(net, "host") != 0))
        net_counters(pid, &s.net_r, &s.net_w);
    }
    json_decref(ev);
  }
  k->prev = k->cur;
  k->cur = s;
}

static json_t *row_of(const struct ctr *k, unsigned long long memtotal, long ncpu) {
  const struct sample *p = &k->prev, *s = &k->cur;
  double cpu = 0;
  if (s->valid && p->valid && s->cpu > p->cpu && s->sys > p->sys)
    cpu = (double)(s->cpu - p->cpu) / (double)(s->sys - p->sys) * (double)ncpu * 100.0;
  /* no limit reads as the v1 page-counter maximum or 2^64-1: the host's
   * memory is the real one */
  unsigned long long limit = s->limit == 0 || s->limit > memtotal ? memtotal : s->limit;
  if (!s->valid)
    limit = 0;
  double memp = limit ? (double)s->mem / (double)limit * 100.0 : 0;
  cleanup_free char *mu = fmt_bytes_binary((double)s->mem);
  cleanup_free char *ml = fmt_bytes_binary((double)limit);
  cleanup_free char *nr = fmt_size((double)s->net_r);
  cleanup_free char *nw = fmt_size((double)s->net_w);
  cleanup_free char *br = fmt_size((double)s->blk_r);
  cleanup_free char *bw = fmt_size((double)s->blk_w);
  cleanup_free char *cpus = xasprintf("%.2f%%", cpu);
  cleanup_free char *mems = xasprintf("%.2f%%", memp);
  cleanup_free char *musage = xasprintf("%s / %s", mu, ml);
  cleanup_free char *netio = xasprintf("%s / %s", nr, nw);
  cleanup_free char *blkio = xasprintf("%s / %s", br, bw);
  cleanup_free char *pids = xasprintf("%llu", s->pids);
  /* keys sorted, as docker's `--format json` prints them */
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", blkio, "CPUPerc",
                   cpus, "Container", k->shown, "ID", k->id, "MemPerc", mems, "MemUsage", musage,
                   "Name", k->name, "NetIO", netio, "PIDs", pids);
}

static void ctrs_free(struct ctr *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].id);
    free(v[i].name);
    free(v[i].shown);
    json_decref(v[i].c);
  }
  free(v);
}

/* Containers to show when none were named: the running ones (all with
 * -a), those already followed keeping their previous sample. */
static struct ctr *ctrs_refresh(struct ctr *old, size_t nold, bool all, size_t *n) {
  cleanup_strv char **ids = ctr_list_ids();
  size_t cnt = strv_len(ids), k = 0;
  struct ctr *v = xcalloc(cnt + 1, sizeof *v);
  for (size_t i = 0; i < cnt; i++) {
    struct err *e = NULL;
    json_t *c = ctr_load(ids[i], &e);
    if (c == NULL) {
      err_free(&e);
      continue;
    }
    struct ctr_state st;
    ctr_state_get(c, &st);
    bool run = st.status == ST_RUNNING || st.status == ST_PAUSED || st.status == ST_RESTARTING;
    ctr_state_free(&st);
    if (!all && !run) {
      json_decref(c);
      continue;
    }
    v[k].c = c;
    v[k].id = xstrdup(ids[i]);
    v[k].name = xstrdup(json_get_str(c, "name"));
    v[k].shown = xstrndup(ids[i], 12);
    for (size_t j = 0; j < nold; j++)
      if (strcmp(old[j].id, ids[i]) == 0)
        v[k].cur = old[j].cur;
    k++;
  }
  ctrs_free(old, nold);
  *n = k;
  return v;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct ctr *)a)->name, ((const struct ctr *)b)->name);
}

int cmd_stats(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'},      {"no-stream", no_argument, NULL, 's'},
      {"no-trunc", no_argument, NULL, 'T'}, {"format", required_argument, NULL, 'F'},
      {"help", no_argument, NULL, 'H'},     {NULL, 0, NULL, 0}};
  bool all = false, stream = true, trunc = true;
  const char *format = NULL;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
    switch (ch) {
      case 'a': all = true; break;
      case 's': stream = false; break;
      case 'T': trunc = false; break;
      case 'F': format = optarg; break;
      case 'H': return usage_print(stats_help);
      default: return err_usage(e, "unknown flag: %s (see 'cairn stats --help')", argv[optind - 1]);
    }
  }
  static const char dflt[] = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t"
                             "{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
  if (format == NULL || *format == '\0' || strcmp(format, "table") == 0)
    format = dflt;
  /* a bad template fails before any sampling */
  cleanup_free char *src = tmpl_preformat(format, NULL);
  struct tmpl *probe = tmpl_parse(src, e);
  if (probe == NULL)
    return err_wrap(e, "template parsing error");
  tmpl_free(probe);

  bool named = optind < argc;
  size_t n = 0;
  struct ctr *v = NULL;
  if (named) {
    v = xcalloc((size_t)(argc - optind) + 1, sizeof *v);
    for (int i = optind; i < argc; i++) {
      json_t *c = ctr_find(argv[i], e);
      if (c == NULL) {
        ctrs_free(v, n);
        return -1;
      }
      v[n].c = c;
      v[n].id = xstrdup(json_get_str(c, "id"));
      v[n].name = xstrdup(json_get_str(c, "name"));
      v[n].shown = xstrdup(argv[i]);
      n++;
    }
  }
  unsigned long long memtotal = host_mem_total();
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu < 1)
    ncpu = 1;
  static const struct table_col cols[] = {{"Container", "CONTAINER"},
                                          {"ID", "CONTAINER ID"},
                                          {"Name", "NAME"},
                                          {"CPUPerc", "CPU %"},
                                          {"MemUsage", "MEM USAGE / LIMIT"},
                                          {"MemPerc", "MEM %"},
                                          {"NetIO", "NET I/O"},
                                          {"BlockIO", "BLOCK I/O"},
                                          {"PIDs", "PIDS"},
                                          {NULL, NULL}};
  int rc = 0;
  for (bool first = true;; first = false) {
    if (!named) {
      v = ctrs_refresh(v, n, all, &n);
      qsort(v, n, sizeof *v, by_name);
    }
    /* CPU % is a rate: the first round takes a base sample and waits */
    for (int round = first ? 2 : 1; round > 0; round--) {
      for (size_t i = 0; i < n; i++) {
        struct err *le = NULL;
        json_t *fresh = ctr_load(v[i].id, &le);
        err_free(&le);
        if (fresh != NULL) {
          json_decref(v[i].c);
          v[i].c = fresh;
        }
        sample_take(&v[i]);
      }
      if (round > 1)
        usleep(500000);
    }
    cleanup_json json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
      json_t *r = row_of(&v[i], memtotal, ncpu);
      if (trunc)
        json_object_set_new(r, "ID", json_stringn(v[i].id, 12));
      json_array_append_new(rows, r);
    }
    cleanup_free char *out = NULL;
    size_t len = 0;
    if (table_format(format, rows, cols, NULL, &out, &len, e) < 0) {
      rc = -1;
      break;
    }
    if (stream)
      fputs("\033[2J\033[H", stdout); /* docker clears the screen per refresh */
    fwrite(out, 1, len, stdout);
    if (fflush(stdout) == EOF || !stream)
      break;
    sleep(1);
  }
  ctrs_free(v, n);
  return rc;
}
