/* cmd_inspect.c — `cairn inspect` (containers, then images) and the image
 * commands, which are cairn-image's: images, pull, rmi, tag, load, … */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"
#include "template.h"

static const char inspect_help[] = "Usage: cairn inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
                                   "Return low-level information on cairn objects.\n\n"
                                   "Options:\n"
                                   "  -f, --format STRING   format the output using a Go template\n"
                                   "      --type TYPE       container, image, volume or network\n"
                                   "  -s, --size            (accepted for compatibility)\n";

json_t *image_inspect_json(const char *ref, struct err **e) {
  const char *argv[] = {"cairn-image", "inspect", ref, NULL};
  struct tool_out o = {0};
  if (tool_run(argv, NULL, 0, &o, 0, e) < 0)
    return NULL;
  json_t *j = json_load_str(o.out, "cairn-image inspect", e);
  tool_out_free(&o);
  if (j == NULL)
    return NULL;
  json_t *first = json_incref(json_array_get(j, 0));
  json_decref(j);
  if (first == NULL)
    err_setc(e, ERR_NOTFOUND, 0, "no such image: %s", ref);
  return first;
}

static json_t *container_inspect_json(const char *ref, struct err **e) {
  cleanup_json json_t *c = ctr_find(ref, e);
  return c ? ctr_inspect_json(c) : NULL;
}

/* docker looks for a container, an image, a volume, then a network. */
static const struct {
  const char *type;
  inspect_fn fn;
} kinds[] = {{"container", container_inspect_json},
             {"image", image_inspect_json},
             {"volume", volume_inspect_json},
             {"network", network_inspect_json}};

static const char *inspect_type;

static json_t *any_inspect_json(const char *ref, struct err **e) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (inspect_type != NULL && strcmp(inspect_type, kinds[i].type) != 0)
      continue;
    struct err *ie = NULL;
    json_t *j = kinds[i].fn(ref, &ie);
    if (j != NULL)
      return j;
    err_free(&ie);
  }
  err_setc(e, ERR_NOTFOUND, 0, "no such object: %s", ref);
  return NULL;
}

int cmd_inspect(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"type", required_argument, NULL, 'T'},
                                       {"size", no_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  const char *format = NULL, *type = NULL;
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "f:s", opts, NULL)) != -1) {
    switch (ch) {
      case 'f': format = optarg; break;
      case 'T': type = optarg; break;
      case 's': break;
      case 'H': return usage_print(inspect_help);
      default:
        return err_usage(e, "unknown flag: %s (see 'cairn inspect --help')", argv[optind - 1]);
    }
  }
  bool known = type == NULL;
  for (size_t i = 0; !known && i < sizeof kinds / sizeof kinds[0]; i++)
    known = strcmp(type, kinds[i].type) == 0;
  if (!known)
    return err_usage(e, "\"%s\" is not a valid value for --type", type);
  if (optind >= argc)
    return err_usage(e, "'cairn inspect' requires at least 1 argument");
  inspect_type = type;
  return inspect_print(format, argc - optind, argv + optind, any_inspect_json, e);
}

/* Replace this process with cairn-image SUB ARGS…: its output, progress
 * and exit code are the user's, unchanged. */
static int exec_image(const char *sub, int argc, char **argv, struct err **e) {
  cleanup_free char *path = tool_path("cairn-image", e);
  if (path == NULL)
    return -1;
  char **av = xcalloc((size_t)argc + 2, sizeof *av);
  av[0] = path;
  av[1] = (char *)sub;
  for (int i = 1; i < argc; i++)
    av[i + 1] = argv[i];
  const char *shown[] = {"cairn-image", sub, NULL};
  if (C.debug) {
    debug_cmd(shown); /* the arguments follow as given */
  }
  fflush(stdout);
  execv(path, av);
  int saved = errno;
  free(av);
  return err_set(e, saved, "exec '%s'", path);
}

int cmd_image_pass(int argc, char **argv, struct err **e) {
  const char *sub = argv[0];
  if (strcmp(sub, "rmi") == 0 || strcmp(sub, "remove") == 0)
    sub = "rm";
  return exec_image(sub, argc, argv, e);
}

static const char pull_help[] = "Usage: cairn pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
                                "Download an image from a registry.\n\n"
                                "Options:\n"
                                "  -a, --all-tags   every tag of the repository\n"
                                "  -q, --quiet      suppress verbose output\n";

static int pull_one(const char *ref, bool quiet, struct err **e) {
  const char *av[] = {"cairn-image", "pull", ref, quiet ? "-q" : NULL, NULL};
  struct tool_out o = {0};
  if (tool_run(av, NULL, 0, &o, 1, e) < 0)
    return -1;
  cleanup_json json_t *r = json_loads(o.out, 0, NULL);
  tool_out_free(&o);
  /* the progress, Digest: and Status: lines were cairn-image's (stderr);
   * docker ends with the full reference */
  const char *name = json_get_str(r, "ref");
  printf("%s\n", name ? name : ref); /* cairn-image journals the pull */
  return 0;
}

int cmd_pull(int argc, char **argv, struct err **e) {
  bool quiet = false, all = false;
  const char *ref = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0)
      return usage_print(pull_help);
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
      quiet = true;
    else if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all-tags") == 0)
      all = true;
    else if (argv[i][0] == '-')
      return err_usage(e, "unknown flag: %s (see 'cairn pull --help')", argv[i]);
    else if (ref == NULL)
      ref = argv[i];
    else
      return err_usage(e, "\"cairn pull\" requires exactly 1 argument");
  }
  if (ref == NULL)
    return err_usage(e, "\"cairn pull\" requires exactly 1 argument");
  if (!all)
    return pull_one(ref, quiet, e);
  /* -a: every tag of the repository, as the registry lists them */
  const char *slash = strrchr(ref, '/');
  if (strchr(ref, '@') != NULL || strchr(slash ? slash : ref, ':') != NULL)
    return err_usage(e, "tag can't be used with --all-tags/-a");
  const char *tv[] = {"cairn-image", "tags", ref, NULL};
  struct tool_out o = {0};
  if (tool_run(tv, NULL, 0, &o, 0, e) < 0)
    return -1;
  int rc = 0;
  char *save = NULL;
  for (char *t = strtok_r(o.out, "\n", &save); t != NULL && rc == 0;
       t = strtok_r(NULL, "\n", &save)) {
    cleanup_free char *one = xasprintf("%s:%s", ref, t);
    rc = pull_one(one, quiet, e);
  }
  tool_out_free(&o);
  return rc;
}
