/* cmd_registry.c — the image commands that write events or reshape
 * cairn-image's output: push, search, tag, rmi (cairn-image talks to the
 * registry and the store; cairn prints what docker prints and journals
 * pull/push/tag/untag/delete).  login and logout are cairn-image's own,
 * passed through. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"
#include "spawn.h"
#include "table.h"

static const char push_help[] = "Usage: cairn push [OPTIONS] NAME[:TAG]\n\n"
                                "Upload an image to a registry.\n\n"
                                "Options:\n"
                                "  -a, --all-tags   push every tag of the repository\n"
                                "  -q, --quiet      suppress the progress output\n";

static int push_one(const char *name, bool quiet, struct err **e) {
  const char *av[] = {"cairn-image", "push", name, quiet ? "-q" : NULL, NULL};
  struct tool_out o = {0};
  if (tool_run(av, NULL, 0, &o, 1, e) < 0)
    return -1;
  cleanup_json json_t *r = json_loads(o.out, 0, NULL);
  tool_out_free(&o);
  /* the progress and "TAG: digest: … size: …" went to stderr; -q leaves
   * the reference, as docker does; cairn-image journals the push */
  const char *ref = json_get_str(r, "ref");
  if (quiet)
    printf("%s\n", ref ? ref : name);
  return 0;
}

/* A tag or digest written after the repository's last path component. */
static bool has_tag(const char *name) {
  const char *slash = strrchr(name, '/');
  const char *last = slash ? slash + 1 : name;
  return strchr(last, ':') != NULL || strchr(name, '@') != NULL;
}

static int by_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool strv_has(char *const *v, const char *s) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

/* push -a: every local tag of the repository, in tag order. */
static int push_all(const char *repo, bool quiet, struct err **e) {
  if (has_tag(repo))
    return err_usage(e, "tag can't be used with --all-tags/-a");
  cleanup_json json_t *all = image_list_json(repo, e);
  if (all == NULL)
    return -1;
  cleanup_strv char **refs = NULL;
  size_t i;
  json_t *im;
  json_array_foreach(all, i, im) {
    const char *ref = json_get_str(im, "Ref"), *tag = json_get_str(im, "Tag");
    if (ref != NULL && tag != NULL && strcmp(tag, "<none>") != 0 && strchr(ref, '@') == NULL &&
        !strv_has(refs, ref))
      strv_push(&refs, ref);
  }
  if (refs == NULL)
    return err_setc(e, ERR_NOTFOUND, 0, "An image does not exist locally with the tag: %s", repo);
  qsort(refs, strv_len(refs), sizeof *refs, by_str);
  for (size_t k = 0; refs[k] != NULL; k++)
    if (push_one(refs[k], quiet, e) < 0)
      return -1;
  return 0;
}

int cmd_push(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"all-tags", no_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'H'},
                                       {"disable-content-trust", no_argument, NULL, 'T'},
                                       {NULL, 0, NULL, 0}};
  bool quiet = false, all = false;
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "qa", opts, NULL)) != -1) {
    switch (ch) {
      case 'q': quiet = true; break;
      case 'a': all = true; break;
      case 'T': break;
      case 'H': return usage_print(push_help);
      default: return err_usage(e, "unknown flag: %s (see 'cairn push --help')", argv[optind - 1]);
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "\"cairn push\" requires exactly 1 argument");
  return all ? push_all(argv[optind], quiet, e) : push_one(argv[optind], quiet, e);
}

static const char search_help[] =
    "Usage: cairn search [OPTIONS] REGISTRY/TERM\n\n"
    "Search a registry's catalog for repositories whose name contains TERM\n"
    "(registries that serve GET /v2/_catalog; Docker Hub does not).\n\n"
    "Options:\n"
    "  -f, --filter K=V   stars=N, is-official=true|false, is-automated=true|false\n"
    "      --format STR   a Go template, \"table …\" or \"json\"\n"
    "      --limit N      at most N results (default 25)\n"
    "      --no-trunc     accepted (descriptions are empty)\n";

static bool search_filter_ok(const char *f, struct err **e) {
  long n;
  if (strncmp(f, "stars=", 6) == 0) {
    if (parse_int(f + 6, 0, 1L << 30, &n) < 0)
      return err_usage(e, "invalid filter 'stars=%s'", f + 6), false;
    return true;
  }
  if (strncmp(f, "is-official=", 12) == 0 || strncmp(f, "is-automated=", 13) == 0) {
    const char *v = strchr(f, '=') + 1;
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
      return err_usage(e, "invalid filter '%s'", f), false;
    return true;
  }
  return err_usage(e, "invalid filter '%.*s'", (int)strcspn(f, "="), f), false;
}

/* A catalog entry has no stars and is neither official nor automated. */
static bool search_keep(char **filters) {
  for (size_t i = 0; filters && filters[i]; i++) {
    const char *f = filters[i];
    if (strncmp(f, "stars=", 6) == 0 && atol(f + 6) > 0)
      return false;
    if (strcmp(strchr(f, '=') + 1, "true") == 0)
      return false;
  }
  return true;
}

int cmd_search(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
      {"limit", required_argument, NULL, 'l'},  {"no-trunc", no_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0}};
  const char *format = NULL;
  long limit = 25;
  cleanup_strv char **filters = NULL;
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
    switch (ch) {
      case 'f':
        if (!search_filter_ok(optarg, e))
          return -1;
        strv_push(&filters, optarg);
        break;
      case 'F': format = optarg; break;
      case 'l':
        if (parse_int(optarg, 1, 100, &limit) < 0)
          return err_usage(e, "limit %s is outside the range of [1, 100]", optarg);
        break;
      case 'n': break;
      case 'H': return usage_print(search_help);
      default:
        return err_usage(e, "unknown flag: %s (see 'cairn search --help')", argv[optind - 1]);
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "\"cairn search\" requires exactly 1 argument");
  const char *arg = argv[optind];
  const char *slash = strchr(arg, '/');
  /* docker: the part before the first '/' is a registry when it looks
   * like a host (a '.' or ':' in it, or localhost) */
  cleanup_free char *host = NULL;
  const char *term = arg;
  if (slash != NULL) {
    cleanup_free char *first = xstrndup(arg, (size_t)(slash - arg));
    if (strchr(first, '.') || strchr(first, ':') || strcmp(first, "localhost") == 0) {
      host = xstrdup(first);
      term = slash + 1;
    }
  }
  if (host == NULL)
    return err_usage(e, "search needs a registry that serves a catalog: give REGISTRY/TERM "
                        "(Docker Hub's search is not available)");
  const char *av[] = {"cairn-image", "catalog", host, NULL};
  struct tool_out o = {0};
  if (tool_run(av, NULL, 0, &o, 0, e) < 0)
    return -1;
  cleanup_json json_t *rows = json_array();
  char *save = NULL;
  for (char *l = strtok_r(o.out, "\n", &save); l != NULL && (long)json_array_size(rows) < limit;
       l = strtok_r(NULL, "\n", &save)) {
    if (strstr(l, term) == NULL || !search_keep(filters))
      continue;
    cleanup_free char *name = xasprintf("%s/%s", host, l);
    json_array_append_new(rows, json_pack("{s:s,s:s,s:i,s:s,s:s}", "Name", name, "Description", "",
                                          "StarCount", 0, "IsOfficial", "", "IsAutomated", ""));
  }
  tool_out_free(&o);
  if (format == NULL || *format == '\0' || strcmp(format, "table") == 0)
    format = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}";
  static const struct table_col cols[] = {
      {"Name", "NAME"},           {"Description", "DESCRIPTION"}, {"StarCount", "STARS"},
      {"IsOfficial", "OFFICIAL"}, {"IsAutomated", "AUTOMATED"},   {NULL, NULL}};
  cleanup_free char *out = NULL;
  size_t len = 0;
  if (table_format(format, rows, cols, NULL, &out, &len, e) < 0)
    return -1;
  fwrite(out, 1, len, stdout);
  return 0;
}

/* Run cairn-image SUB ARGS… with its stdout captured (and printed as it
 * is) and its stderr the user's; returns its exit status (>= 0), or -1
 * when it could not run.  *out keeps the output even when it failed. */
/* cairn-image SUB ARGS…, its stdout captured in *out and, with echo, also
 * passed on; returns its exit status. */
static int image_tool(const char *sub, int argc, char **argv, bool echo, char **out,
                      struct err **e) {
  cleanup_free char *path = tool_path("cairn-image", e);
  if (path == NULL)
    return -1;
  cleanup_free const char **av = xcalloc((size_t)argc + 2, sizeof *av);
  av[0] = path;
  av[1] = sub;
  for (int i = 1; i < argc; i++)
    av[i + 1] = argv[i];
  const char *shown[] = {"cairn-image", sub, NULL};
  debug_cmd(shown);
  struct spawn_opts so = {.argv = av, .capture_stdout = 1};
  struct spawn_result r = {0};
  if (spawn_run(&so, &r, e) < 0)
    return err_wrap(e, "run 'cairn-image'");
  int status = spawn_status(&r);
  if (echo && r.out != NULL)
    fwrite(r.out, 1, r.out_len, stdout);
  *out = r.out ? r.out : xstrdup("");
  r.out = NULL;
  spawn_result_free(&r);
  return status;
}

/* Exit with the tool's status: its own message was on stderr already. */
static int status_of(int st, struct err **e) {
  if (st < 0)
    return -1;
  if (st == 0)
    return 0;
  err_setc(e, ERR_CALLEE, 0, "%s", "");
  return -1;
}

int cmd_rmi(int argc, char **argv, struct err **e) {
  cleanup_free char *out = NULL;
  int st = image_tool("rm", argc, argv, true, &out, e); /* it journals untag, delete */
  return status_of(st, e);
}

int cmd_tag(int argc, char **argv, struct err **e) {
  cleanup_free char *out = NULL;
  int st = image_tool("tag", argc, argv, true, &out, e); /* it journals the tag */
  return status_of(st, e);
}

/* docker import prints the new image's id; cairn-image prints its JSON. */
int cmd_import(int argc, char **argv, struct err **e) {
  cleanup_free char *out = NULL;
  bool help = false;
  for (int i = 1; i < argc; i++)
    help = help || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
  int st = image_tool("import", argc, argv, help, &out, e);
  if (st != 0 || help)
    return status_of(st, e);
  cleanup_json json_t *r = json_loads(out, 0, NULL);
  const char *id = json_get_str(r, "id");
  if (id == NULL)
    return err_set(e, 0, "cairn-image import printed no image id");
  printf("%s\n", id); /* cairn-image journals the import */
  return 0;
}
