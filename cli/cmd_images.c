/* cmd_images.c — `cairn images` / `cairn image ls`: cairn-image lists the
 * store as JSON; cairn filters and formats it as docker does (--format
 * templates, -f dangling=|reference=|label=|before=|since=, --digests). */
#include <dirent.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "fmt.h"
#include "json.h"
#include "mem.h"
#include "table.h"

static const char images_help[] =
    "Usage: cairn images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
    "List images.\n\n"
    "Options:\n"
    "  -a, --all          also the intermediate images of builds (one per step)\n"
    "      --digests      show digests\n"
    "  -f, --filter K=V   dangling=true|false, reference=PATTERN, label=K[=V],\n"
    "                     before=IMAGE, since=IMAGE\n"
    "      --format STR   a Go template, \"table …\" or \"json\"\n"
    "      --no-trunc     full image ids\n"
    "  -q, --quiet        only image ids\n";

static const char *const keys[] = {"dangling", "reference", "label", "before", "since"};

static int check_filter(const char *f, struct err **e) {
  const char *eq = strchr(f, '=');
  if (eq == NULL || eq == f)
    return err_usage(e, "bad format of filter (expected name=value)");
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (strlen(keys[i]) != (size_t)(eq - f) || strncmp(f, keys[i], (size_t)(eq - f)) != 0)
      continue;
    if (i == 0 && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0)
      return err_usage(e, "invalid filter 'dangling=%s'", eq + 1);
    return 0;
  }
  return err_usage(e, "invalid filter '%.*s'", (int)(eq - f), f);
}

static bool dangling(const json_t *im) {
  const char *r = json_get_str(im, "Repository");
  return r == NULL || strcmp(r, "<none>") == 0 || *r == '\0';
}

/* docker's reference filter: a glob on "repo" or "repo:tag", with the
 * familiar name (busybox) and the full one (docker.io/library/busybox). */
static bool ref_match(const json_t *im, const char *pat) {
  const char *repo = json_get_str(im, "Repository"), *tag = json_get_str(im, "Tag"),
             *full = json_get_str(im, "Ref");
  if (repo == NULL || dangling(im))
    return false;
  cleanup_free char *rt = xasprintf("%s:%s", repo, tag ? tag : "");
  bool has_tag = strrchr(pat, ':') != NULL && strchr(strrchr(pat, ':'), '/') == NULL;
  if (has_tag)
    return fnmatch(pat, rt, FNM_PATHNAME) == 0 || (full && fnmatch(pat, full, FNM_PATHNAME) == 0);
  cleanup_free char *fr = full ? xstrndup(full, strcspn(full, "@")) : NULL;
  if (fr != NULL && strrchr(fr, ':') > strrchr(fr, '/'))
    *strrchr(fr, ':') = '\0';
  return fnmatch(pat, repo, FNM_PATHNAME) == 0 || (fr && fnmatch(pat, fr, FNM_PATHNAME) == 0);
}

json_t *image_list_json(const char *repo, struct err **e) {
  const char *av[] = {"cairn-image", "ls", "--json", repo, NULL};
  struct tool_out o = {0};
  if (tool_run(av, NULL, 0, &o, 0, e) < 0)
    return NULL;
  json_t *all = json_load_str(o.out, "cairn-image ls", e);
  tool_out_free(&o);
  return all;
}

static bool label_match(const json_t *im, const char *want) {
  cleanup_json json_t *j = image_inspect_json(json_get_str(im, "Id"), NULL);
  return labels_match(json_get_obj(json_get_obj(j, "Config"), "Labels"), want);
}

/* The Created of the image a before=/since= filter names (NULL: none). */
static const char *created_of(const json_t *all, const char *ref) {
  size_t i;
  json_t *im;
  json_array_foreach(all, i, im) {
    const char *id = json_get_str(im, "Id");
    const char *hex = id && strncmp(id, "sha256:", 7) == 0 ? id + 7 : id ? id : "";
    cleanup_free char *rt =
        xasprintf("%s:%s", json_get_str(im, "Repository") ?: "", json_get_str(im, "Tag") ?: "");
    if (strcmp(rt, ref) == 0 || strcmp(json_get_str(im, "Repository") ?: "", ref) == 0 ||
        (strlen(ref) >= 4 && strncmp(hex, ref, strlen(ref)) == 0) || (id && strcmp(id, ref) == 0) ||
        strcmp(json_get_str(im, "Ref") ?: "", ref) == 0)
      return json_get_str(im, "Created");
  }
  return NULL;
}

/* The ids of the images cairn-build's cache holds, one per Dockerfile
 * step: docker's intermediate images, which `images` lists only with -a and
 * which are never dangling. */
static json_t *build_step_ids(void) {
  json_t *ids = json_object();
  cleanup_free char *dir = xasprintf("%s/build-cache/steps", C.root);
  DIR *d = opendir(dir);
  if (d == NULL)
    return ids;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    cleanup_free char *p = xasprintf("%s/%s", dir, de->d_name);
    struct err *ig = NULL;
    cleanup_json json_t *j = json_load_path(p, &ig);
    err_free(&ig);
    const char *id = json_get_str(j, "id");
    if (id != NULL)
      json_object_set_new(ids, id, json_true());
  }
  closedir(d);
  return ids;
}

static bool keep(const json_t *all, const json_t *im, char **filters, const char *arg) {
  if (arg != NULL && !ref_match(im, arg))
    return false;
  for (size_t i = 0; filters && filters[i]; i++) {
    const char *f = filters[i], *v = strchr(f, '=') + 1;
    if (strncmp(f, "dangling=", 9) == 0 && dangling(im) != (strcmp(v, "true") == 0))
      return false;
    if (strncmp(f, "reference=", 10) == 0 && !ref_match(im, v))
      return false;
    if (strncmp(f, "label=", 6) == 0 && !label_match(im, v))
      return false;
    if (strncmp(f, "before=", 7) == 0 || strncmp(f, "since=", 6) == 0) {
      const char *at = created_of(all, v);
      const char *mine = json_get_str(im, "Created") ?: "";
      /* RFC 3339 in UTC compares as text */
      if (at == NULL)
        return false;
      int c = strcmp(mine, at);
      if (f[0] == 'b' ? c >= 0 : c <= 0)
        return false;
    }
  }
  return true;
}

int cmd_images(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'},          {"digests", no_argument, NULL, 'd'},
      {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
      {"no-trunc", no_argument, NULL, 'n'},     {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0}};
  bool digests = false, trunc = true, quiet = false, show_all = false;
  const char *format = NULL;
  cleanup_strv char **filters = NULL;
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "af:q", opts, NULL)) != -1) {
    switch (ch) {
      case 'a': show_all = true; break;
      case 'd': digests = true; break;
      case 'f':
        if (check_filter(optarg, e) < 0)
          return -1;
        strv_push(&filters, optarg);
        break;
      case 'F': format = optarg; break;
      case 'n': trunc = false; break;
      case 'q': quiet = true; break;
      case 'H': return usage_print(images_help);
      default:
        return err_usage(e, "unknown flag: %s (see 'cairn images --help')", argv[optind - 1]);
    }
  }
  if (argc - optind > 1)
    return err_usage(e, "\"cairn images\" accepts at most 1 argument");
  const char *arg = optind < argc ? argv[optind] : NULL;
  cleanup_json json_t *all = image_list_json(NULL, e);
  if (all == NULL)
    return -1;
  cleanup_json json_t *rows = json_array();
  cleanup_json json_t *seen = json_object();
  size_t i;
  json_t *im;
  cleanup_json json_t *steps = build_step_ids();
  bool want_dangling = false;
  for (size_t k = 0; filters && filters[k]; k++)
    want_dangling = want_dangling || strcmp(filters[k], "dangling=true") == 0;
  json_array_foreach(all, i, im) {
    const char *id = json_get_str(im, "Id") ?: "";
    bool step = dangling(im) && json_object_get(steps, id) != NULL;
    if ((step && (!show_all || want_dangling)) || !keep(all, im, filters, arg))
      continue;
    const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
    cleanup_free char *shown = trunc ? xstrndup(hex, 12) : xstrdup(id);
    if (quiet) {
      /* one line per image, however many names it has */
      if (json_object_get(seen, id) == NULL)
        printf("%s\n", shown);
      json_object_set_new(seen, id, json_true());
      continue;
    }
    struct timespec ts = {0};
    struct err *pe = NULL;
    const char *created = json_get_str(im, "Created") ?: "";
    cleanup_free char *since = parse_rfc3339(created, &ts, &pe) == 0 ? fmt_ago(&ts) : xstrdup("");
    err_free(&pe);
    cleanup_free char *size = fmt_size((double)json_integer_value(json_object_get(im, "Size")));
    const char *dg = json_get_str(im, "Digest");
    json_array_append_new(rows,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Containers",
                                    "N/A", "CreatedAt", created, "CreatedSince", since, "Digest",
                                    dg && *dg ? dg : "<none>", "ID", shown, "Repository",
                                    json_get_str(im, "Repository") ?: "<none>", "SharedSize", "N/A",
                                    "Size", size, "Tag", json_get_str(im, "Tag") ?: "<none>",
                                    "UniqueSize", "N/A", "VirtualSize", size));
  }
  if (quiet)
    return 0;
  if (format == NULL || *format == '\0' || strcmp(format, "table") == 0)
    format = digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t"
                       "{{.Size}}"
                     : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  static const struct table_col cols[] = {{"Repository", "REPOSITORY"},
                                          {"Tag", "TAG"},
                                          {"Digest", "DIGEST"},
                                          {"ID", "IMAGE ID"},
                                          {"CreatedSince", "CREATED"},
                                          {"CreatedAt", "CREATED AT"},
                                          {"Size", "SIZE"},
                                          {"SharedSize", "SHARED SIZE"},
                                          {"UniqueSize", "UNIQUE SIZE"},
                                          {"VirtualSize", "VIRTUAL SIZE"},
                                          {"Containers", "CONTAINERS"},
                                          {NULL, NULL}};
  cleanup_free char *out = NULL;
  size_t len = 0;
  if (table_format(format, rows, cols, NULL, &out, &len, e) < 0)
    return -1;
  fwrite(out, 1, len, stdout);
  return 0;
}
