/* cmd_ps.c — `cairn ps`: docker's columns, status texts and filters.
 *
 *   CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS                  NAMES
 *   6f6ba1d3f285   nginx     "nginx -g 'daemon of…"   2 minutes ago   Up 2 minutes   0.0.0.0:8001->80/tcp   web
 */
#include <dirent.h>
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
#include "runopts.h"
#include "table.h"
#include "template.h"

static const char ps_help[] =
    "Usage: cairn ps [OPTIONS]\n\n"
    "List containers.\n\n"
    "Options:\n"
    "  -a, --all             show all containers (default shows just running)\n"
    "  -f, --filter K=V      status=, name=, label=K[=V], ancestor=, id=, exited=N, network=,\n"
    "                        before=, since=, health=, volume=, publish=, expose=, is-task=\n"
    "      --format STRING   a Go template ({{.ID}}, {{.Names}}, …), 'table …' or 'json'\n"
    "  -n, --last N          show the N last created containers (all states)\n"
    "  -l, --latest          show the latest created container (all states)\n"
    "      --no-trunc        don't truncate output\n"
    "  -q, --quiet           only display container IDs\n"
    "  -s, --size            display total file sizes\n";

/* docker's API Command: the path and the args, args with blanks quoted. */
static char *command_text(const json_t *cmd) {
  char *out = xstrdup("");
  size_t i;
  json_t *a;
  json_array_foreach(cmd, i, a) {
    const char *s = json_string_value(a);
    bool q = i > 0 && strchr(s, ' ') != NULL;
    char *n = xasprintf("%s%s%s%s%s", out, i ? " " : "", q ? "'" : "", s, q ? "'" : "");
    free(out);
    out = n;
  }
  return out;
}

/* docker's Ellipsis: at most max runes, the last one "…". */
static char *ellipsis(const char *s, size_t max) {
  size_t runes = 0;
  const char *p = s;
  for (; *p; p++)
    if (((unsigned char)*p & 0xc0) != 0x80)
      runes++;
  if (runes <= max)
    return xstrdup(s);
  size_t n = 0;
  for (p = s; *p; p++) {
    if (((unsigned char)*p & 0xc0) != 0x80 && ++n == max)
      break;
  }
  return xasprintf("%.*s…", (int)(p - s), s);
}

static long long dir_size(const char *path) {
  long long total = 0;
  cleanup_dir DIR *d = opendir(path);
  if (d == NULL)
    return 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      cleanup_free char *sub = xasprintf("%s/%s", path, de->d_name);
      total += dir_size(sub);
    } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
      total += st.st_size;
    }
  }
  return total;
}

static long long image_size(const char *image_id) {
  const char *argv[] = {"cairn-image", "inspect", image_id, NULL};
  struct tool_out o = {0};
  struct err *e = NULL;
  if (tool_run(argv, NULL, 0, &o, 0, &e) < 0) {
    err_free(&e);
    return 0;
  }
  json_t *j = json_loads(o.out, 0, NULL);
  tool_out_free(&o);
  long long s = (long long)json_integer_value(json_object_get(json_array_get(j, 0), "Size"));
  json_decref(j);
  return s;
}

/* The row as --format sees it: docker's field names. */
static json_t *row_of(const json_t *c, const struct ctr_state *st, bool trunc, bool size) {
  const char *id = json_get_str(c, "id");
  cleanup_free char *cmd = command_text(json_get_arr(c, "command"));
  cleanup_free char *cmdt = trunc ? ellipsis(cmd, 20) : xstrdup(cmd);
  cleanup_free char *cmdq = tmpl_go_quote(cmdt, strlen(cmdt));
  struct timespec ts = {0};
  struct err *e = NULL;
  if (parse_rfc3339(json_get_str(c, "created"), &ts, &e) < 0)
    err_free(&e);
  cleanup_free char *ago = fmt_ago(&ts);
  char created[64];
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  strftime(created, sizeof created, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  cleanup_free char *status = ctr_status_text(st);
  bool running = st->status == ST_RUNNING || st->status == ST_PAUSED;
  cleanup_free char *ports =
      running ? ports_text(json_get_arr(c, "ports"),
                           json_get_obj(json_get_obj(c, "config"), "ExposedPorts"))
              : xstrdup("");
  char *labels = xstrdup("");
  const char *k;
  json_t *v;
  json_object_foreach(json_get_obj(c, "labels"), k, v) {
    char *n = xasprintf("%s%s%s=%s", labels, *labels ? "," : "", k, json_string_value(v));
    free(labels);
    labels = n;
  }
  cleanup_free char *sizes = NULL;
  if (size) {
    cleanup_free char *upper = ctr_file(id, "bundle/upper");
    long long rw = dir_size(upper);
    long long virt = rw + image_size(json_get_str(c, "imageId"));
    cleanup_free char *a = fmt_size((double)rw);
    cleanup_free char *b = fmt_size((double)virt);
    sizes = xasprintf("%s (virtual %s)", a, b);
  }
  char *mounts = xstrdup("");
  size_t i;
  json_array_foreach(json_get_arr(c, "mounts"), i, v) {
    const char *n = strcmp(json_get_str(v, "Type"), "volume") == 0 ? json_get_str(v, "Name")
                                                                   : json_get_str(v, "Source");
    cleanup_free char *nt = trunc ? ellipsis(n, 15) : xstrdup(n);
    char *m2 = xasprintf("%s%s%s", mounts, *mounts ? "," : "", nt);
    free(mounts);
    mounts = m2;
  }
  const char *net = json_get_str(c, "network");
  int local = 0;
  json_array_foreach(json_get_arr(c, "mounts"), i, v) local +=
      strcmp(json_get_str(v, "Type"), "volume") == 0;
  char nlocal[16];
  snprintf(nlocal, sizeof nlocal, "%d", local);
  /* keys in the order docker's `--format json` prints them */
  json_t *row = json_object();
  json_object_set_new(row, "Command", json_string(cmdq));
  json_object_set_new(row, "CreatedAt", json_string(created));
  json_object_set_new(row, "ID", json_stringn(id, trunc ? 12 : 64));
  json_object_set_new(row, "Image", json_string(json_get_str(c, "image")));
  json_object_set_new(row, "Labels", json_string(labels));
  json_object_set_new(row, "LocalVolumes", json_string(nlocal));
  json_object_set_new(row, "Mounts", json_string(mounts));
  json_object_set_new(row, "Names", json_string(json_get_str(c, "name")));
  json_object_set_new(row, "Networks", json_string(net ? net : ""));
  json_object_set_new(row, "Ports", json_string(ports));
  json_object_set_new(row, "RunningFor", json_string(ago));
  json_object_set_new(row, "Size", json_string(sizes ? sizes : ""));
  json_object_set_new(row, "State", json_string(ctr_status_name(st->status)));
  json_object_set_new(row, "Status", json_string(status));
  free(labels);
  free(mounts);
  return row;
}

/* {{.Label "key"}}: one label of the row (docker's ps method). */
static json_t *label_method(void *ud, json_t *recv, json_t *const *args, size_t nargs,
                            struct err **e) {
  (void)ud;
  (void)nargs;
  (void)e;
  const char *want = json_string_value(args[0]);
  const char *all = json_get_str(recv, "Labels");
  if (want == NULL || all == NULL)
    return json_string("");
  size_t wl = strlen(want);
  for (const char *p = all; *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n > wl && strncmp(p, want, wl) == 0 && p[wl] == '=')
      return json_stringn(p + wl + 1, n - wl - 1);
    p += n + (comma != NULL);
  }
  return json_string("");
}

struct entry {
  json_t *c;
  struct timespec created;
};

static int by_created(const void *a, const void *b) {
  const struct entry *x = a, *y = b;
  if (x->created.tv_sec != y->created.tv_sec)
    return x->created.tv_sec < y->created.tv_sec ? 1 : -1;
  if (x->created.tv_nsec != y->created.tv_nsec)
    return x->created.tv_nsec < y->created.tv_nsec ? 1 : -1;
  return 0;
}

/* One -f KEY=VALUE; before/since hold the named container's creation. */
struct pfilter {
  char *key, *val;
  struct timespec ref;
  long lo, hi;   /* publish/expose: the port range */
  char proto[8]; /* publish/expose */
};

static int ts_cmp(const struct timespec *a, const struct timespec *b) {
  if (a->tv_sec != b->tv_sec)
    return a->tv_sec < b->tv_sec ? -1 : 1;
  return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

static bool port_in(const struct pfilter *f, long port, const char *proto) {
  return port >= f->lo && port <= f->hi && strcmp(proto ? proto : "tcp", f->proto) == 0;
}

static bool match_filter(const json_t *c, const struct ctr_state *st,
                         const struct timespec *created, const struct pfilter *pf) {
  const char *k = pf->key, *v = pf->val;
  size_t i;
  json_t *m;
  if (strcmp(k, "status") == 0)
    return strcmp(ctr_status_name(st->status), v) == 0;
  if (strcmp(k, "name") == 0)
    return strstr(json_get_str(c, "name"), v[0] == '/' ? v + 1 : v) != NULL;
  if (strcmp(k, "id") == 0)
    return strncmp(json_get_str(c, "id"), v, strlen(v)) == 0;
  if (strcmp(k, "exited") == 0)
    return st->status == ST_EXITED && st->exit_code == atoi(v);
  if (strcmp(k, "network") == 0)
    return json_get_str(c, "network") && strcmp(json_get_str(c, "network"), v) == 0;
  if (strcmp(k, "before") == 0)
    return ts_cmp(created, &pf->ref) < 0;
  if (strcmp(k, "since") == 0)
    return ts_cmp(created, &pf->ref) > 0;
  if (strcmp(k, "health") == 0)
    return strcmp(st->health ? st->health : "none", v) == 0;
  if (strcmp(k, "is-task") == 0)
    return strcmp(v, "false") == 0; /* no swarm: no container is a task */
  if (strcmp(k, "volume") == 0) {
    json_array_foreach(json_get_arr(c, "mounts"), i, m) {
      const char *n = json_get_str(m, "Name"), *d = json_get_str(m, "Destination");
      if ((n && strcmp(n, v) == 0) || (d && strcmp(d, v) == 0))
        return true;
    }
    return false;
  }
  if (strcmp(k, "publish") == 0) {
    if (st->status != ST_RUNNING && st->status != ST_PAUSED)
      return false;
    json_array_foreach(json_get_arr(c, "ports"), i, m) {
      if (port_in(pf, (long)json_integer_value(json_object_get(m, "hostPort")),
                  json_get_str(m, "protocol")))
        return true;
    }
    return false;
  }
  if (strcmp(k, "expose") == 0) {
    const char *pk;
    json_object_foreach(json_get_obj(json_get_obj(c, "config"), "ExposedPorts"), pk, m) {
      const char *slash = strchr(pk, '/');
      if (port_in(pf, atol(pk), slash ? slash + 1 : "tcp"))
        return true;
    }
    json_array_foreach(json_get_arr(c, "portSpecs"), i, m) {
      if (port_in(pf, (long)json_integer_value(json_object_get(m, "containerPort")),
                  json_get_str(m, "protocol")))
        return true;
    }
    return false;
  }
  if (strcmp(k, "ancestor") == 0) {
    const char *img = json_get_str(c, "image"), *iid = json_get_str(c, "imageId");
    const char *hex = iid && strncmp(iid, "sha256:", 7) == 0 ? iid + 7 : iid;
    const char *vh = strncmp(v, "sha256:", 7) == 0 ? v + 7 : v;
    if (strcmp(img, v) == 0 || (hex && strlen(vh) >= 3 && strncmp(hex, vh, strlen(vh)) == 0))
      return true;
    cleanup_free char *a = xasprintf("%s:latest", v);
    return strcmp(img, a) == 0 ||
           (json_get_str(c, "imageRef") && strstr(json_get_str(c, "imageRef"), v));
  }
  if (strcmp(k, "label") == 0) {
    const char *leq = strchr(v, '=');
    cleanup_free char *lk = leq ? xstrndup(v, (size_t)(leq - v)) : xstrdup(v);
    const char *have = json_get_str(json_get_obj(c, "labels"), lk);
    return have != NULL && (leq == NULL || strcmp(have, leq + 1) == 0);
  }
  return true; /* isolation: Windows only */
}

/* docker ORs the values of one key and ANDs the keys. */
static bool match_filters(const json_t *c, const struct ctr_state *st,
                          const struct timespec *created, const struct pfilter *pf, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bool first = true, any = false;
    for (size_t j = 0; j < n; j++) {
      if (strcmp(pf[j].key, pf[i].key) != 0)
        continue;
      if (j < i) {
        first = false;
        break;
      }
      any = any || match_filter(c, st, created, &pf[j]);
    }
    if (first && !any)
      return false;
  }
  return true;
}

static bool one_of(const char *v, const char *const *set) {
  for (size_t i = 0; set[i]; i++)
    if (strcmp(v, set[i]) == 0)
      return true;
  return false;
}

/* Check one -f value and fill pf; errors read as docker's. */
static int parse_filter(const char *f, struct pfilter *pf, struct err **e) {
  static const char *const keys[] = {
      "status", "name",   "id",     "exited",  "network", "ancestor", "label",     "before",
      "since",  "health", "volume", "publish", "expose",  "is-task",  "isolation", NULL};
  static const char *const statuses[] = {"created", "restarting", "running", "removing",
                                         "paused",  "exited",     "dead",    NULL};
  static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};
  const char *eq = strchr(f, '=');
  if (eq == NULL)
    return err_usage(e, "bad format of filter (expected name=value)");
  pf->key = xstrndup(f, (size_t)(eq - f));
  pf->val = xstrdup(eq + 1);
  const char *k = pf->key, *v = pf->val;
  if (!one_of(k, keys))
    return err_usage(e, "invalid filter '%s'", k);
  if (strcmp(k, "status") == 0 && !one_of(v, statuses))
    return err_usage(e, "invalid filter 'status=%s'", v);
  if (strcmp(k, "health") == 0 && !one_of(v, healths))
    return err_usage(e, "unrecognised filter value for health: %s", v);
  long n;
  if (strcmp(k, "exited") == 0 && parse_int(v, 0, 255, &n) < 0)
    return err_usage(e, "invalid filter 'exited=%s'", v);
  if (strcmp(k, "is-task") == 0 && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
    return err_usage(e, "invalid filter 'is-task=%s'", v);
  if (strcmp(k, "before") == 0 || strcmp(k, "since") == 0) {
    cleanup_json json_t *rc = ctr_find(v, e);
    if (rc == NULL)
      return -1;
    struct err *te = NULL;
    if (parse_rfc3339(json_get_str(rc, "created"), &pf->ref, &te) < 0)
      err_free(&te);
  }
  if (strcmp(k, "publish") == 0 || strcmp(k, "expose") == 0) {
    const char *slash = strchr(v, '/');
    cleanup_free char *num = slash ? xstrndup(v, (size_t)(slash - v)) : xstrdup(v);
    snprintf(pf->proto, sizeof pf->proto, "%s", slash ? slash + 1 : "tcp");
    char *dash = strchr(num, '-');
    if (dash != NULL)
      *dash = '\0';
    if (parse_int(num, 1, 65535, &pf->lo) < 0 ||
        parse_int(dash ? dash + 1 : num, pf->lo, 65535, &pf->hi) < 0 ||
        (strcmp(pf->proto, "tcp") != 0 && strcmp(pf->proto, "udp") != 0 &&
         strcmp(pf->proto, "sctp") != 0))
      return err_usage(e, "invalid filter '%s=%s': want PORT[-PORT][/PROTO]", k, v);
  }
  return 0;
}

struct pflist {
  struct pfilter *v;
  size_t n;
};

static void pflist_free(struct pflist *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].key);
    free(l->v[i].val);
  }
  free(l->v);
}

int cmd_ps(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
      {"latest", no_argument, NULL, 'l'},       {"last", required_argument, NULL, 'n'},
      {"no-trunc", no_argument, NULL, 'T'},     {"size", no_argument, NULL, 's'},
      {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
      {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0}};
  bool all = false, quiet = false, trunc = true, size = false;
  long last = -1;
  const char *format = NULL;
  __attribute__((cleanup(pflist_free))) struct pflist fl = {0};
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "aqln:sf:", opts, NULL)) != -1) {
    switch (ch) {
      case 'a': all = true; break;
      case 'q': quiet = true; break;
      case 'l': last = 1; break;
      case 'n':
        if (parse_int(optarg, -1, 1L << 30, &last) < 0)
          return err_usage(e, "invalid argument \"%s\" for \"-n, --last\" flag", optarg);
        break;
      case 'T': trunc = false; break;
      case 's': size = true; break;
      case 'f':
        fl.v = xrealloc(fl.v, (fl.n + 1) * sizeof *fl.v);
        memset(&fl.v[fl.n], 0, sizeof *fl.v);
        if (parse_filter(optarg, &fl.v[fl.n++], e) < 0)
          return -1;
        break;
      case 'F': format = optarg; break;
      case 'H': return usage_print(ps_help);
      default: return err_usage(e, "unknown flag: %s (see 'cairn ps --help')", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return err_usage(e, "\"cairn ps\" accepts no arguments");
  if (last > 0)
    all = true;

  cleanup_strv char **ids = ctr_list_ids();
  size_t n = strv_len(ids), k = 0;
  cleanup_free struct entry *ents = xcalloc(n + 1, sizeof *ents);
  for (size_t i = 0; i < n; i++) {
    struct err *le = NULL;
    json_t *c = ctr_load(ids[i], &le);
    if (c == NULL) {
      err_free(&le); /* removed meanwhile, or half-made by a killed create */
      continue;
    }
    ents[k].c = c;
    if (parse_rfc3339(json_get_str(c, "created"), &ents[k].created, &le) < 0)
      err_free(&le);
    k++;
  }
  qsort(ents, k, sizeof *ents, by_created);

  static const char dflt[] = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                             "{{.Status}}\t{{.Ports}}\t{{.Names}}";
  static const char dflt_size[] = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                                  "{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}";
  if (format == NULL || strcmp(format, "table") == 0)
    format = size ? dflt_size : dflt;
  cleanup_json json_t *rows = json_array();
  long shown = 0;
  for (size_t i = 0; i < k; i++) {
    json_t *c = ents[i].c;
    struct ctr_state st;
    ctr_state_get(c, &st);
    bool show =
        all || st.status == ST_RUNNING || st.status == ST_PAUSED || st.status == ST_RESTARTING;
    show = show && match_filters(c, &st, &ents[i].created, fl.v, fl.n);
    if (show && last >= 0 && shown >= last)
      show = false;
    if (show) {
      shown++;
      json_t *row = row_of(c, &st, trunc, size && !quiet);
      if (quiet)
        printf("%s\n", json_get_str(row, "ID"));
      json_array_append_new(rows, row);
    }
    ctr_state_free(&st);
  }
  for (size_t i = 0; i < k; i++)
    json_decref(ents[i].c);
  if (quiet)
    return 0;
  static const struct table_col cols[] = {{"ID", "CONTAINER ID"},
                                          {"Image", "IMAGE"},
                                          {"Command", "COMMAND"},
                                          {"CreatedAt", "CREATED AT"},
                                          {"RunningFor", "CREATED"},
                                          {"Ports", "PORTS"},
                                          {"State", "STATE"},
                                          {"Status", "STATUS"},
                                          {"Size", "SIZE"},
                                          {"Names", "NAMES"},
                                          {"Labels", "LABELS"},
                                          {"Mounts", "MOUNTS"},
                                          {"Networks", "NETWORKS"},
                                          {"LocalVolumes", "LOCAL VOLUMES"},
                                          {NULL, NULL}};
  static const struct tmpl_method methods[] = {{"Label", 1, label_method}, {NULL, 0, NULL}};
  struct tmpl_opts to = {.methods = methods};
  cleanup_free char *out = NULL;
  size_t len = 0;
  if (table_format(format, rows, cols, &to, &out, &len, e) < 0)
    return -1;
  fwrite(out, 1, len, stdout);
  return 0;
}
