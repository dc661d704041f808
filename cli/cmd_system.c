/* cmd_system.c — what the object commands share for inspect output, and
 * the system-wide commands. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "runopts.h"
#include "table.h"
#include "template.h"

int inspect_command(int argc, char **argv, const char *what, inspect_fn fn, struct err **e) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  const char *format = NULL;
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "f:v", opts, NULL)) != -1) {
    if (ch == 'f') {
      format = optarg;
    } else if (ch == 'H') {
      cleanup_free char *upper = xstrdup(what);
      for (char *p = upper; *p; p++)
        *p = (char)toupper((unsigned char)*p);
      printf("Usage: cairn %s inspect [OPTIONS] %s [%s...]\n\n"
             "Display detailed information on %ss.\n\n"
             "Options:\n  -f, --format STRING   a Go template\n",
             what, upper, upper, what);
      return 0;
    } else if (ch != 'v' || strcmp(what, "network") != 0) {
      return err_usage(e, "unknown flag: %s (see 'cairn %s inspect --help')", argv[optind - 1],
                       what);
    }
  }
  if (optind >= argc)
    return err_usage(e, "\"cairn %s inspect\" requires at least 1 argument", what);
  return inspect_print(format, argc - optind, argv + optind, fn, e);
}

int inspect_print(const char *format, int n, char **refs, inspect_fn fn, struct err **e) {
  /* docker: -f json is the JSON of each object, one per line */
  struct tmpl *tmpl = NULL;
  if (format != NULL) {
    cleanup_free char *src = tmpl_preformat(format, NULL);
    tmpl = tmpl_parse(src, e);
    if (tmpl == NULL)
      return err_wrap(e, "template parsing error");
  }
  cleanup_json json_t *all = json_array();
  int rc = 0;
  for (int i = 0; i < n; i++) {
    struct err *ie = NULL;
    json_t *obj = fn(refs[i], &ie);
    if (obj == NULL) {
      err_show(ie);
      err_free(&ie);
      rc = 1;
      continue;
    }
    if (tmpl != NULL) {
      cleanup_free char *line = NULL;
      int r = tmpl_exec(tmpl, obj, &line, NULL, e);
      json_decref(obj);
      if (r < 0) {
        tmpl_free(tmpl);
        return -1;
      }
      printf("%s\n", line);
    } else {
      json_array_append_new(all, obj);
    }
  }
  if (tmpl == NULL) {
    cleanup_free char *s = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
  }
  tmpl_free(tmpl);
  return rc;
}

/* ---- sizes ---- */

static long long du_total;
static int du_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
  (void)p, (void)f;
  if (flag == FTW_F && S_ISREG(st->st_mode))
    du_total += st->st_size;
  return 0;
}

/* Apparent size of the regular files under path (0 when absent). */
static long long du(const char *path) {
  du_total = 0;
  nftw(path, du_one, 16, FTW_PHYS);
  return du_total;
}

/* cairn-image ls --json: [{Id, Ref, Repository, Tag, Digest, Created, Size}] */
static json_t *images_json(struct err **e) {
  const char *av[] = {"cairn-image", "ls", "--json", NULL};
  struct tool_out o = {0};
  if (tool_run(av, NULL, 0, &o, 0, e) < 0)
    return NULL;
  json_t *j = json_load_str(o.out, "cairn-image ls", e);
  tool_out_free(&o);
  return j;
}

static json_t *all_containers(void) {
  json_t *out = json_array();
  cleanup_strv char **ids = ctr_list_ids();
  for (size_t i = 0; ids[i] != NULL; i++) {
    struct err *le = NULL;
    json_t *c = ctr_load(ids[i], &le);
    err_free(&le);
    if (c != NULL)
      json_array_append_new(out, c);
  }
  return out;
}

static char **volume_list(void) {
  char **v = xcalloc(1, sizeof *v);
  cleanup_free char *dir = xasprintf("%s/volumes", C.root);
  cleanup_dir DIR *d = opendir(dir);
  struct dirent *de;
  while (d != NULL && (de = readdir(d)) != NULL) {
    cleanup_free char *data = volume_dir(de->d_name);
    if (de->d_name[0] != '.' && access(data, F_OK) == 0)
      strv_push(&v, de->d_name);
  }
  return v;
}

static long count_users(const json_t *ctrs, const char *image_id, const char *volume) {
  long n = 0;
  size_t i, k;
  json_t *c, *m;
  json_array_foreach(ctrs, i, c) {
    if (image_id != NULL) {
      const char *id = json_get_str(c, "imageId");
      n += id != NULL && (strcmp(id, image_id) == 0 ||
                          (strncmp(image_id, "sha256:", 7) == 0 && strcmp(id, image_id + 7) == 0));
      continue;
    }
    json_array_foreach(json_get_arr(c, "mounts"), k, m) {
      const char *nm = json_get_str(m, "Name");
      if (nm != NULL && strcmp(nm, volume) == 0) {
        n++;
        break;
      }
    }
  }
  return n;
}

/* "2 years ago" from an RFC 3339 time ("" when it does not parse). */
static char *ago(const char *when) {
  struct timespec ts;
  struct err *e = NULL;
  if (when == NULL || parse_rfc3339(when, &ts, &e) < 0) {
    err_free(&e);
    return xstrdup("");
  }
  return fmt_ago(&ts);
}

static char *pct(long long part, long long total, bool with) {
  cleanup_free char *s = fmt_size((double)part);
  if (!with)
    return xstrdup(s);
  return xasprintf("%s (%d%%)", s, total > 0 ? (int)(part * 100 / total) : 0);
}

/* docker system df: the summary rows (and the details with -v). */
static json_t *df_rows(json_t *imgs, json_t *ctrs, char **vols, json_t **detail) {
  json_t *rows = json_array();
  /* images: one per id (several tags share one) */
  long long isz = 0, ireclaim = 0;
  long itotal = 0, iactive = 0;
  json_t *seen = json_object();
  json_t *dimg = json_array(), *dctr = json_array(), *dvol = json_array();
  size_t i;
  json_t *im;
  /* docker's SHARED SIZE: the layers an image has in common with other
   * images (counted once per image id); UNIQUE SIZE: the rest */
  cleanup_json json_t *layer_users = json_object(), *counted = json_object();
  json_array_foreach(imgs, i, im) {
    const char *id = json_get_str(im, "Id");
    if (id == NULL || json_object_get(counted, id) != NULL)
      continue;
    json_object_set_new(counted, id, json_true());
    const char *diffid;
    json_t *lsz;
    json_object_foreach(json_get_obj(im, "Layers"), diffid, lsz) {
      json_int_t n = json_integer_value(json_object_get(layer_users, diffid));
      json_object_set_new(layer_users, diffid, json_integer(n + 1));
    }
  }
  json_array_foreach(imgs, i, im) {
    const char *id = json_get_str(im, "Id");
    long long sz = json_integer_value(json_object_get(im, "Size"));
    long users = count_users(ctrs, id, NULL);
    if (id != NULL && json_object_get(seen, id) == NULL) {
      json_object_set_new(seen, id, json_true());
      itotal++;
      isz += sz;
      if (users > 0)
        iactive++;
      else
        ireclaim += sz;
    }
    const char *hex = id && strncmp(id, "sha256:", 7) == 0 ? id + 7 : id ? id : "";
    cleanup_free char *shortid = xstrndup(hex, 12);
    cleanup_free char *szs = fmt_size((double)sz);
    cleanup_free char *created = ago(json_get_str(im, "Created"));
    long long shared = 0;
    const char *diffid;
    json_t *lsz;
    json_object_foreach(json_get_obj(im, "Layers"), diffid, lsz) {
      if (json_integer_value(json_object_get(layer_users, diffid)) > 1)
        shared += json_integer_value(lsz);
    }
    cleanup_free char *shs = fmt_size((double)shared);
    cleanup_free char *uqs = fmt_size((double)(sz > shared ? sz - shared : 0));
    json_array_append_new(dimg, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "Repository",
                                          json_get_str(im, "Repository") ?: "<none>", "Tag",
                                          json_get_str(im, "Tag") ?: "<none>", "ID", shortid,
                                          "CreatedAt", created, "Size", szs, "SharedSize", shs,
                                          "UniqueSize", uqs, "Containers", (json_int_t)users));
  }
  json_decref(seen);
  cleanup_free char *a = fmt_size((double)isz);
  cleanup_free char *b = pct(ireclaim, isz, true);
  json_array_append_new(rows, json_pack("{s:s,s:I,s:I,s:s,s:s}", "Type", "Images", "TotalCount",
                                        (json_int_t)itotal, "Active", (json_int_t)iactive, "Size",
                                        a, "Reclaimable", b));
  long long csz = 0, creclaim = 0;
  long cactive = 0;
  json_t *c;
  json_array_foreach(ctrs, i, c) {
    const char *id = json_get_str(c, "id");
    cleanup_free char *upper = ctr_file(id, "bundle/upper");
    long long sz = du(upper);
    bool running = shim_alive(id);
    csz += sz;
    if (running)
      cactive++;
    else
      creclaim += sz;
    struct ctr_state st;
    ctr_state_get(c, &st);
    cleanup_free char *status = ctr_status_text(&st);
    ctr_state_free(&st);
    cleanup_free char *shortid = xstrndup(id, 12);
    cleanup_free char *szs = fmt_size((double)sz);
    cleanup_free char *created = ago(json_get_str(c, "created"));
    json_array_append_new(dctr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "ID", shortid, "Image",
                                          json_get_str(c, "image") ?: "", "Size", szs, "CreatedAt",
                                          created, "Status", status, "Names",
                                          json_get_str(c, "name") ?: ""));
  }
  cleanup_free char *ca = fmt_size((double)csz);
  cleanup_free char *cb = pct(creclaim, csz, true);
  json_array_append_new(rows, json_pack("{s:s,s:I,s:I,s:s,s:s}", "Type", "Containers", "TotalCount",
                                        (json_int_t)json_array_size(ctrs), "Active",
                                        (json_int_t)cactive, "Size", ca, "Reclaimable", cb));
  long long vsz = 0, vreclaim = 0;
  long vactive = 0;
  for (size_t k = 0; vols[k] != NULL; k++) {
    cleanup_free char *data = volume_dir(vols[k]);
    long long sz = du(data);
    long links = count_users(ctrs, NULL, vols[k]);
    vsz += sz;
    if (links > 0)
      vactive++;
    else
      vreclaim += sz;
    cleanup_free char *szs = fmt_size((double)sz);
    json_array_append_new(
        dvol, json_pack("{s:s,s:I,s:s}", "Name", vols[k], "Links", (json_int_t)links, "Size", szs));
  }
  cleanup_free char *va = fmt_size((double)vsz);
  cleanup_free char *vb = pct(vreclaim, vsz, true);
  json_array_append_new(rows, json_pack("{s:s,s:I,s:I,s:s,s:s}", "Type", "Local Volumes",
                                        "TotalCount", (json_int_t)strv_len(vols), "Active",
                                        (json_int_t)vactive, "Size", va, "Reclaimable", vb));
  json_array_append_new(rows,
                        json_pack("{s:s,s:i,s:i,s:s,s:s}", "Type", "Build Cache", "TotalCount", 0,
                                  "Active", 0, "Size", "0B", "Reclaimable", "0B"));
  *detail = json_pack("{s:o,s:o,s:o}", "Images", dimg, "Containers", dctr, "Volumes", dvol);
  return rows;
}

static int print_table(const char *format, json_t *rows, const struct table_col *cols,
                       struct err **e) {
  cleanup_free char *out = NULL;
  size_t len = 0;
  if (table_format(format, rows, cols, NULL, &out, &len, e) < 0)
    return -1;
  fwrite(out, 1, len, stdout);
  return 0;
}

static int system_df(int argc, char **argv, struct err **e) {
  bool verbose = false;
  const char *format = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
      verbose = true;
    else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
      format = argv[++i];
    else if (strncmp(argv[i], "--format=", 9) == 0)
      format = argv[i] + 9;
    else if (strcmp(argv[i], "--help") == 0)
      return usage_print("Usage: cairn system df [OPTIONS]\n\n"
                         "Show disk usage of images, containers and volumes.\n\n"
                         "Options:\n"
                         "      --format STR   a Go template, \"table …\" or \"json\"\n"
                         "  -v, --verbose      the usage of each object\n");
    else
      return err_usage(e, "unknown flag: %s (see 'cairn system df --help')", argv[i]);
  }
  cleanup_json json_t *imgs = images_json(e);
  if (imgs == NULL)
    return -1;
  cleanup_json json_t *ctrs = all_containers();
  cleanup_strv char **vols = volume_list();
  cleanup_json json_t *detail = NULL;
  cleanup_json json_t *rows = df_rows(imgs, ctrs, vols, &detail);
  if (!verbose) {
    static const struct table_col cols[] = {
        {"Type", "TYPE"}, {"TotalCount", "TOTAL"},        {"Active", "ACTIVE"},
        {"Size", "SIZE"}, {"Reclaimable", "RECLAIMABLE"}, {NULL, NULL}};
    if (format == NULL || *format == '\0' || strcmp(format, "table") == 0)
      format = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
    return print_table(format, rows, cols, e);
  }
  static const struct table_col icols[] = {{"Repository", "REPOSITORY"},
                                           {"Tag", "TAG"},
                                           {"ID", "IMAGE ID"},
                                           {"CreatedAt", "CREATED"},
                                           {"Size", "SIZE"},
                                           {"SharedSize", "SHARED SIZE"},
                                           {"UniqueSize", "UNIQUE SIZE"},
                                           {"Containers", "CONTAINERS"},
                                           {NULL, NULL}};
  static const struct table_col ccols[] = {
      {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Size", "SIZE"}, {"CreatedAt", "CREATED"},
      {"Status", "STATUS"},   {"Names", "NAMES"}, {NULL, NULL}};
  static const struct table_col vcols[] = {
      {"Name", "VOLUME NAME"}, {"Links", "LINKS"}, {"Size", "SIZE"}, {NULL, NULL}};
  printf("Images space usage:\n\n");
  if (print_table("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedAt}}\t{{.Size}}\t"
                  "{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
                  json_object_get(detail, "Images"), icols, e) < 0)
    return -1;
  printf("\nContainers space usage:\n\n");
  if (print_table("table {{.ID}}\t{{.Image}}\t{{.Size}}\t{{.CreatedAt}}\t{{.Status}}\t{{.Names}}",
                  json_object_get(detail, "Containers"), ccols, e) < 0)
    return -1;
  printf("\nLocal Volumes space usage:\n\n");
  if (print_table("table {{.Name}}\t{{.Links}}\t{{.Size}}", json_object_get(detail, "Volumes"),
                  vcols, e) < 0)
    return -1;
  printf("\nBuild cache usage: 0B\n");
  return 0;
}

/* Bytes of images, containers' layers and volumes: what prune frees. */
static long long usage_bytes(void) {
  struct err *e = NULL;
  cleanup_json json_t *imgs = images_json(&e);
  err_free(&e);
  long long total = 0;
  cleanup_json json_t *seen = json_object();
  size_t i;
  json_t *im;
  json_array_foreach(imgs, i, im) {
    const char *id = json_get_str(im, "Id");
    if (id != NULL && json_object_get(seen, id) == NULL) {
      json_object_set_new(seen, id, json_true());
      total += json_integer_value(json_object_get(im, "Size"));
    }
  }
  cleanup_strv char **ids = ctr_list_ids();
  for (size_t k = 0; ids[k] != NULL; k++) {
    cleanup_free char *upper = ctr_file(ids[k], "bundle/upper");
    total += du(upper);
  }
  cleanup_strv char **vols = volume_list();
  for (size_t k = 0; vols[k] != NULL; k++) {
    cleanup_free char *data = volume_dir(vols[k]);
    total += du(data);
  }
  return total;
}

/* Run argv, print its output without its "Total reclaimed space" line. */
static int prune_step(const char *const *argv, struct err **e) {
  struct tool_out o = {0};
  if (tool_run(argv, NULL, 0, &o, 0, e) < 0)
    return -1;
  char *save = NULL;
  bool any = false;
  for (char *l = strtok_r(o.out, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
    if (strncmp(l, "Total reclaimed space", 21) == 0)
      continue;
    printf("%s\n", l);
    any = true;
  }
  if (any)
    printf("\n");
  tool_out_free(&o);
  return 0;
}

static int system_prune(int argc, char **argv, struct err **e) {
  struct prune_opts po __attribute__((cleanup(prune_opts_free))) = {0};
  int r = prune_args(argc, argv, PRUNE_ALL | PRUNE_VOLUMES,
                     "Usage: cairn system prune [OPTIONS]\n\n"
                     "Remove stopped containers, unused networks and dangling images.\n\n"
                     "Options:\n"
                     "  -a, --all       every image no container uses, not only dangling ones\n"
                     "      --filter K=V  until=TIME, label=K[=V], label!=K[=V]\n"
                     "  -f, --force     do not ask\n"
                     "      --volumes   also volumes no container uses\n",
                     "system", &po, e);
  if (r != 0)
    return r < 0 ? -1 : 0;
  bool all = po.all, vols = po.volumes, force = po.force;
  const struct prune_filter *f = &po.f;
  if (vols && f->has_until)
    return err_usage(e, "The \"until\" filter is not supported with \"--volumes\"");
  cleanup_free char *warning = xasprintf(
      "WARNING! This will remove:\n  - all stopped containers\n"
      "  - all networks not used by at least one container\n%s  - %s\n  - all build cache\n",
      vols ? "  - all anonymous and named volumes not used by at least one container\n" : "",
      all ? "all images without at least one container associated to them" : "all dangling images");
  if (!prune_confirm(warning, force))
    return 0;
  long long before = usage_bytes();
  cleanup_strv char **ctr = NULL, **net = NULL, **vol = NULL, **img = NULL;
  const char *ctr0[] = {C.self_exe, "container", "prune", "-f"};
  const char *net0[] = {C.self_exe, "network", "prune", "-f"};
  const char *vol0[] = {C.self_exe, "volume", "prune", "-f"};
  for (size_t i = 0; i < 4; i++) {
    strv_push(&ctr, ctr0[i]);
    strv_push(&net, net0[i]);
    strv_push(&vol, vol0[i]);
  }
  strv_push(&img, "cairn-image");
  strv_push(&img, "prune");
  if (all)
    strv_push(&img, "-a");
  prune_filter_argv(f, true, &ctr);
  prune_filter_argv(f, true, &net);
  prune_filter_argv(f, false, &vol);
  prune_filter_argv(f, true, &img);
  /* the build cache has no labels or creation times docker's filters see */
  bool filtered = f->has_until || f->labels || f->not_labels;
  const char *bld[] = {"cairn-build", "prune", "-f", "-q", NULL};
  if (prune_step((const char *const *)ctr, e) < 0 || prune_step((const char *const *)net, e) < 0 ||
      (vols && prune_step((const char *const *)vol, e) < 0) ||
      prune_step((const char *const *)img, e) < 0 || (!filtered && prune_step(bld, e) < 0))
    return -1;
  long long after = usage_bytes();
  cleanup_free char *sz = fmt_size((double)(before > after ? before - after : 0));
  printf("Total reclaimed space: %s\n", sz);
  return 0;
}

int cmd_image_prune(int argc, char **argv, struct err **e) {
  struct prune_opts po __attribute__((cleanup(prune_opts_free))) = {0};
  int r = prune_args(argc, argv, PRUNE_ALL,
                     "Usage: cairn image prune [OPTIONS]\n\n"
                     "Remove dangling images (with -a: every image no container uses).\n\n"
                     "Options:\n"
                     "  -a, --all          every image no container uses\n"
                     "      --filter K=V   until=TIME, label=K[=V], label!=K[=V]\n"
                     "  -f, --force        do not ask\n",
                     "image", &po, e);
  if (r != 0)
    return r < 0 ? -1 : 0;
  bool all = po.all, force = po.force;
  if (!prune_confirm(all ? "WARNING! This will remove all images without at least one container "
                           "associated to them.\n"
                         : "WARNING! This will remove all dangling images.\n",
                     force))
    return 0;
  cleanup_strv char **img = NULL;
  strv_push(&img, "cairn-image");
  strv_push(&img, "prune");
  if (all)
    strv_push(&img, "-a");
  prune_filter_argv(&po.f, true, &img);
  fflush(stdout);
  return tool_run((const char *const *)img, NULL, 0, NULL, 0, e);
}

/* ---- version and info ---- */

#define CAIRN_VERSION "0.1"

static const char *go_arch(void) {
  static struct utsname u;
  if (uname(&u) < 0)
    return "unknown";
  if (strcmp(u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp(u.machine, "aarch64") == 0)
    return "arm64";
  return u.machine;
}

/* The version a tool reports with --version ("… version X …" on its
 * first line), or "" when it has no such flag. */
static char *tool_version(const char *path) {
  const char *av[] = {path, "--version", NULL};
  struct tool_out o = {0};
  struct err *e = NULL;
  if (tool_run(av, NULL, 0, &o, 0, &e) < 0) {
    err_free(&e);
    tool_out_free(&o);
    return xstrdup("");
  }
  char *v = NULL;
  char *nl = strchr(o.out, '\n');
  if (nl != NULL)
    *nl = '\0';
  char *p = strstr(o.out, "version ");
  if (p != NULL) {
    p += 8;
    v = xstrndup(p, strcspn(p, " ,\t"));
  }
  tool_out_free(&o);
  return v ? v : xstrdup("");
}

static json_t *version_json(void) {
  json_t *tools = json_array();
  static const char *const names[] = {"cairn-image", "cairn-spec", "cairn-net", "cairn-shim",
                                      "cairn-build"};
  for (size_t i = 0; i <= sizeof names / sizeof names[0]; i++) {
    bool rt = i == sizeof names / sizeof names[0];
    struct err *e = NULL;
    cleanup_free char *path = rt ? runtime_path(C.runtime, &e) : tool_path(names[i], &e);
    err_free(&e);
    cleanup_free char *v = path ? tool_version(path) : xstrdup("");
    /* the tools next to cairn's binary are of its build (tools.c) */
    if (path != NULL && *v == '\0' && C.self_dir != NULL &&
        strncmp(path, C.self_dir, strlen(C.self_dir)) == 0 && path[strlen(C.self_dir)] == '/' &&
        strchr(path + strlen(C.self_dir) + 1, '/') == NULL) {
      free(v);
      v = xstrdup(CAIRN_VERSION);
    }
    json_array_append_new(tools, json_pack("{s:s,s:s,s:s}", "Name", rt ? C.runtime : names[i],
                                           "Path", path ? path : "", "Version", v));
  }
  return json_pack("{s:{s:{s:s},s:s,s:s,s:s,s:s},s:o}", "Client", "Platform", "Name", "cairn",
                   "Version", CAIRN_VERSION, "Os", "linux", "Arch", go_arch(), "Root", C.root,
                   "Tools", tools);
}

static int cmd_version_impl(const char *format, struct err **e) {
  cleanup_json json_t *v = version_json();
  if (format != NULL) {
    cleanup_json json_t *rows = json_pack("[O]", v);
    cleanup_free char *src = tmpl_preformat(format, NULL);
    struct tmpl *t = tmpl_parse(src, e);
    if (t == NULL)
      return err_wrap(e, "template parsing error");
    cleanup_free char *out = NULL;
    int r = tmpl_exec(t, v, &out, NULL, e);
    tmpl_free(t);
    if (r < 0)
      return -1;
    printf("%s\n", out);
    return 0;
  }
  json_t *c = json_object_get(v, "Client");
  printf("Client: cairn\n Version:    %s\n OS/Arch:    %s/%s\n\nTools:\n",
         json_get_str(c, "Version"), json_get_str(c, "Os"), json_get_str(c, "Arch"));
  size_t i;
  json_t *t;
  json_array_foreach(json_get_arr(v, "Tools"), i, t) {
    const char *path = json_get_str(t, "Path"), *ver = json_get_str(t, "Version");
    cleanup_free char *label = xasprintf("%s:", json_get_str(t, "Name"));
    if (*path == '\0')
      printf(" %-15s not found\n", label);
    else
      printf(" %-15s %-9s %s\n", label, *ver ? ver : "unknown", path);
  }
  return 0;
}

/* The flags of version and info: -f/--format T and --help.  Returns 1
 * when the help was printed, 0 with *format set (or NULL), -1 on error. */
static int format_flag(int argc, char **argv, const char *help, const char **format,
                       struct err **e) {
  *format = NULL;
  for (int i = 1; i < argc; i++) {
    if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--format") == 0) && i + 1 < argc)
      *format = argv[++i];
    else if (strncmp(argv[i], "--format=", 9) == 0)
      *format = argv[i] + 9;
    else if (strcmp(argv[i], "--help") == 0)
      return usage_print(help) < 0 ? -1 : 1;
    else
      return err_usage(e, "unknown flag: %s (see 'cairn %s --help')", argv[i], argv[0]);
  }
  return 0;
}

int cmd_version(int argc, char **argv, struct err **e) {
  const char *format;
  int r = format_flag(argc, argv,
                      "Usage: cairn version [OPTIONS]\n\n"
                      "Show the version of cairn and of each tool it runs.\n\n"
                      "Options:\n  -f, --format STR   a Go template ({{.Client.Version}})\n",
                      &format, e);
  return r != 0 ? (r > 0 ? 0 : -1) : cmd_version_impl(format, e);
}

static char *os_name(void) {
  cleanup_free char *t = read_file("/etc/os-release", 1 << 16, NULL, NULL);
  char *p = t ? strstr(t, "PRETTY_NAME=") : NULL;
  if (p == NULL)
    return xstrdup("Linux");
  p += 12;
  if (*p == '"')
    p++;
  return xstrndup(p, strcspn(p, "\"\n"));
}

static json_t *info_json(struct err **e) {
  cleanup_json json_t *imgs = images_json(e);
  if (imgs == NULL)
    return NULL;
  cleanup_json json_t *ids = json_object();
  size_t i;
  json_t *im;
  json_array_foreach(imgs, i, im) {
    if (json_get_str(im, "Id") != NULL)
      json_object_set_new(ids, json_get_str(im, "Id"), json_true());
  }
  cleanup_json json_t *ctrs = all_containers();
  long running = 0, paused = 0, stopped = 0;
  json_t *c;
  json_array_foreach(ctrs, i, c) {
    struct ctr_state st;
    ctr_state_get(c, &st);
    if (st.status == ST_RUNNING || st.status == ST_RESTARTING)
      running++;
    else if (st.status == ST_PAUSED)
      paused++;
    else
      stopped++;
    ctr_state_free(&st);
  }
  struct utsname u;
  uname(&u);
  struct statfs sf;
  int cgv = statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  cleanup_free char *os = os_name();
  json_t *runtimes = json_object();
  json_object_set_new(runtimes, "cairn-runtime", json_pack("{s:s}", "path", "cairn-runtime"));
  json_object_set_new(runtimes, "runc", json_pack("{s:s}", "path", "runc"));
  json_object_set_new(runtimes, "crun", json_pack("{s:s}", "path", "crun"));
  const char *k;
  json_t *v;
  json_object_foreach(json_get_obj(C.conf, "runtimes"), k, v) {
    if (json_is_string(v))
      json_object_set_new(runtimes, k, json_pack("{s:O}", "path", v));
  }
  return json_pack(
      "{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,"
      "s:s,s:b}",
      "Containers", (json_int_t)json_array_size(ctrs), "ContainersRunning", (json_int_t)running,
      "ContainersPaused", (json_int_t)paused, "ContainersStopped", (json_int_t)stopped, "Images",
      (json_int_t)json_object_size(ids), "ServerVersion", CAIRN_VERSION, "Driver", "overlay",
      "LoggingDriver", "json-file", "CgroupDriver", "cgroupfs", "CgroupVersion",
      cgv == 2 ? "2" : "1", "NEventsListener", 0, "Runtimes", runtimes, "DefaultRuntime", C.runtime,
      "KernelVersion", u.release, "OperatingSystem", os, "OSType", "linux", "Architecture",
      u.machine, "NCPU", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
      (json_int_t)pages * psz, "Name", u.nodename, "DockerRootDir", C.root, "CairnRunDir", C.run,
      "Debug", C.debug != 0);
}

int cmd_info(int argc, char **argv, struct err **e) {
  const char *format;
  int fr = format_flag(argc, argv,
                       "Usage: cairn info [OPTIONS]\n\n"
                       "Display system-wide information.\n\n"
                       "Options:\n  -f, --format STR   a Go template ({{.Containers}})\n",
                       &format, e);
  if (fr != 0)
    return fr > 0 ? 0 : -1;
  cleanup_json json_t *j = info_json(e);
  if (j == NULL)
    return -1;
  if (format != NULL) {
    cleanup_free char *src = tmpl_preformat(format, NULL);
    struct tmpl *t = tmpl_parse(src, e);
    if (t == NULL)
      return err_wrap(e, "template parsing error");
    cleanup_free char *out = NULL;
    int r = tmpl_exec(t, j, &out, NULL, e);
    tmpl_free(t);
    if (r < 0)
      return -1;
    printf("%s\n", out);
    return 0;
  }
  cleanup_free char *mem =
      fmt_bytes_binary((double)json_integer_value(json_object_get(j, "MemTotal")));
  printf("Client: cairn\n Version:    %s\n Debug Mode: %s\n\n", CAIRN_VERSION,
         C.debug ? "true" : "false");
  printf("Server:\n Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n"
         " Images: %lld\n Server Version: %s (no daemon)\n Storage Driver: overlay\n"
         " Logging Driver: json-file\n Cgroup Driver: cgroupfs\n Cgroup Version: %s\n"
         " Plugins:\n  Volume: local\n  Network: bridge host null\n Runtimes:",
         (long long)json_integer_value(json_object_get(j, "Containers")),
         (long long)json_integer_value(json_object_get(j, "ContainersRunning")),
         (long long)json_integer_value(json_object_get(j, "ContainersPaused")),
         (long long)json_integer_value(json_object_get(j, "ContainersStopped")),
         (long long)json_integer_value(json_object_get(j, "Images")), CAIRN_VERSION,
         json_get_str(j, "CgroupVersion"));
  const char *k;
  json_t *v;
  json_object_foreach(json_get_obj(j, "Runtimes"), k, v) printf(" %s", k);
  printf("\n Default Runtime: %s\n Kernel Version: %s\n Operating System: %s\n OSType: linux\n"
         " Architecture: %s\n CPUs: %lld\n Total Memory: %s\n Name: %s\n"
         " Cairn Root Dir: %s\n Cairn Run Dir: %s\n",
         json_get_str(j, "DefaultRuntime"), json_get_str(j, "KernelVersion"),
         json_get_str(j, "OperatingSystem"), json_get_str(j, "Architecture"),
         (long long)json_integer_value(json_object_get(j, "NCPU")), mem, json_get_str(j, "Name"),
         C.root, C.run);
  return 0;
}

int cmd_system(int argc, char **argv, struct err **e) {
  static const char help[] = "Usage: cairn system COMMAND\n\n"
                             "Manage cairn.\n\n"
                             "Commands:\n"
                             "  df          show disk usage\n"
                             "  events      get real time events\n"
                             "  info        display system-wide information\n"
                             "  prune       remove unused data\n";
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fputs(help, argc < 2 ? stderr : stdout);
    return argc < 2 ? err_usage(e, "\"cairn system\" requires a command") : 0;
  }
  const char *sub = argv[1];
  argc--, argv++;
  if (strcmp(sub, "df") == 0)
    return system_df(argc, argv, e);
  if (strcmp(sub, "prune") == 0)
    return system_prune(argc, argv, e);
  if (strcmp(sub, "info") == 0)
    return cmd_info(argc, argv, e);
  if (strcmp(sub, "events") == 0)
    return cmd_events(argc, argv, e);
  return err_usage(e, "'system %s' is not a cairn command (see 'cairn system --help')", sub);
}
