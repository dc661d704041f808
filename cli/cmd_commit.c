/* cmd_commit.c — `cairn commit` and `cairn diff`: a container's changes.
 *
 * Both read the container's overlay upper dir ($ROOT/containers/ID/bundle/
 * upper, which `cairn-image unpack` made) through cairn-image:
 *
 *   cairn-image commit UPPER --parent IMAGE-ID [--tag REPO:TAG] --config -
 *       [--message M] [--author A] [--change 'CMD …']…   (config: the container's)
 *   cairn-image diff --parent IMAGE-ID UPPER                 (A/C/D lines)
 *
 * commit pauses a running container for the copy (docker's --pause, on
 * by default), so the layer is one instant of its filesystem. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

static const char commit_help[] =
    "Usage: cairn commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\n"
    "Create a new image from a container's changes.\n\n"
    "Options:\n"
    "  -a, --author STRING   author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")\n"
    "  -c, --change LIST     apply a Dockerfile instruction to the image (CMD, ENTRYPOINT,\n"
    "                        ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL)\n"
    "  -m, --message STRING  commit message\n"
    "  -p, --pause BOOL      pause the container during commit (default true)\n";

static const char diff_help[] = "Usage: cairn diff CONTAINER\n\n"
                                "Inspect changes to files or directories on a container's "
                                "filesystem:\n"
                                "  A  a file or directory was added\n"
                                "  C  a file or directory was changed\n"
                                "  D  a file or directory was deleted\n";

/* The container's upper dir; ERR when it has none (a container made by
 * an older cairn, or removed meanwhile). */
static char *upper_dir(const char *id, struct err **e) {
  char *upper = ctr_file(id, "bundle/upper");
  struct stat st;
  if (stat(upper, &st) < 0 || !S_ISDIR(st.st_mode)) {
    err_set(e, 0, "container %.12s has no filesystem layer at %s", id, upper);
    free(upper);
    return NULL;
  }
  return upper;
}

/* The image config fields a container carries over (the OCI image spec's
 * "config" keys), from container.json's docker-shaped Config. */
static json_t *image_config_of(const json_t *c) {
  static const char *const keys[] = {"User",    "ExposedPorts", "Env",    "Entrypoint", "Cmd",
                                     "Volumes", "WorkingDir",   "Labels", "StopSignal", NULL};
  json_t *cfg = json_get_obj(c, "config");
  json_t *out = json_object();
  for (size_t i = 0; keys[i]; i++) {
    json_t *v = json_object_get(cfg, keys[i]);
    bool empty = v == NULL || json_is_null(v) ||
                 (json_is_string(v) && *json_string_value(v) == '\0') ||
                 (json_is_object(v) && json_object_size(v) == 0);
    if (!empty)
      json_object_set(out, keys[i], v);
  }
  return out;
}

static int runtime_sub(const json_t *c, const char *sub, struct err **e) {
  cleanup_free char *rt = runtime_path(json_get_str(c, "runtime"), e);
  if (rt == NULL)
    return -1;
  cleanup_free char *root = runtime_root();
  const char *argv[] = {rt, "--root", root, sub, json_get_str(c, "id"), NULL};
  return tool_run(argv, NULL, 0, NULL, 0, e);
}

static int parse_bool(const char *s, bool *out) {
  if (s == NULL || strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
    *out = true;
  else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

/* cairn-image commit of upper; prints the new image's id. */
static int commit_upper(const json_t *c, const char *upper, const char *cfgtext, const char *tag,
                        const char *message, const char *author, char **changes, struct err **e) {
  cleanup_strv char **av = NULL;
  const char *head[] = {"cairn-image", "commit", upper, "--parent", json_get_str(c, "imageId"),
                        "--config",    "-"};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
    strv_push(&av, head[i]);
  if (tag != NULL) {
    strv_push(&av, "--tag");
    strv_push(&av, tag);
  }
  if (message != NULL) {
    strv_push(&av, "--message");
    strv_push(&av, message);
  }
  if (author != NULL) {
    strv_push(&av, "--author");
    strv_push(&av, author);
  }
  for (size_t i = 0; changes && changes[i]; i++) {
    strv_push(&av, "--change");
    strv_push(&av, changes[i]);
  }
  struct tool_out o = {0};
  if (tool_run((const char *const *)av, cfgtext, strlen(cfgtext), &o, 0, e) < 0)
    return -1;
  cleanup_json json_t *res = json_load_str(o.out, "cairn-image commit", e);
  tool_out_free(&o);
  if (res == NULL)
    return -1;
  const char *img = json_get_str(res, "id");
  printf("%s\n", img ? img : json_get_str(res, "digest"));
  /* docker's: the new image's id and reference, and the message */
  event_ctr(c, "commit",
            json_pack("{s:s,s:s,s:s}", "comment", message ? message : "", "imageID",
                      img ? img : (json_get_str(res, "digest") ?: ""), "imageRef",
                      json_get_str(res, "ref") ?: (tag ? tag : "")));
  return 0;
}

int cmd_commit(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"author", required_argument, NULL, 'a'},  {"change", required_argument, NULL, 'c'},
      {"message", required_argument, NULL, 'm'}, {"pause", optional_argument, NULL, 'P'},
      {"help", no_argument, NULL, 'H'},          {NULL, 0, NULL, 0}};
  const char *author = NULL, *message = NULL;
  bool pause = true;
  cleanup_strv char **changes = NULL;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "a:c:m:p", opts, NULL)) != -1) {
    switch (ch) {
      case 'a': author = optarg; break;
      case 'c': strv_push(&changes, optarg); break;
      case 'm': message = optarg; break;
      case 'p': pause = true; break;
      case 'P':
        if (parse_bool(optarg, &pause) < 0)
          return err_usage(e, "invalid argument \"%s\" for \"-p, --pause\" flag", optarg);
        break;
      case 'H': return usage_print(commit_help);
      default:
        if (optopt != 0 && strchr("acm", optopt) != NULL)
          return err_usage(e, "flag needs an argument: -%c", optopt);
        return err_usage(e, "unknown flag: %s (see 'cairn commit --help')", argv[optind - 1]);
    }
  }
  int nargs = argc - optind;
  if (nargs < 1 || nargs > 2)
    return err_usage(e, "\"cairn commit\" requires at least 1 and at most 2 arguments");
  const char *tag = nargs == 2 ? argv[optind + 1] : NULL;
  cleanup_free char *id = NULL;
  if (ctr_resolve(argv[optind], &id, e) < 0)
    return -1;
  /* the lock keeps rm, start and stop out while the layer is written */
  int lk = ctr_lock(id, e);
  if (lk < 0)
    return -1;
  int rc = -1;
  bool paused = false;
  cleanup_json json_t *c = ctr_load(id, e);
  cleanup_free char *upper = c ? upper_dir(id, e) : NULL;
  cleanup_json json_t *cfg = c ? image_config_of(c) : NULL;
  cleanup_free char *cfgtext = cfg ? json_dump_compact(cfg) : NULL;
  if (upper == NULL)
    goto out;
  struct ctr_state st;
  ctr_state_get(c, &st);
  bool running = st.status == ST_RUNNING;
  ctr_state_free(&st);
  if (pause && running) {
    if (runtime_sub(c, "pause", e) < 0)
      goto out;
    paused = true;
  }
  rc = commit_upper(c, upper, cfgtext, tag, message, author, changes, e);
out:
  if (paused) {
    struct err *re = NULL;
    if (runtime_sub(c, "resume", &re) < 0 && rc == 0) {
      *e = re;
      rc = -1;
    } else {
      err_free(&re);
    }
  }
  lock_release(lk);
  return rc;
}

int cmd_diff(int argc, char **argv, struct err **e) {
  if (argc >= 2 && strcmp(argv[1], "--help") == 0)
    return usage_print(diff_help);
  if (argc != 2)
    return err_usage(e, "\"cairn diff\" requires exactly 1 argument");
  cleanup_json json_t *c = ctr_find(argv[1], e);
  if (c == NULL)
    return -1;
  cleanup_free char *upper = upper_dir(json_get_str(c, "id"), e);
  if (upper == NULL)
    return -1;
  const char *av[] = {"cairn-image", "diff", "--parent", json_get_str(c, "imageId"), upper, NULL};
  struct tool_out o = {0};
  if (tool_run(av, NULL, 0, &o, 0, e) < 0)
    return -1;
  /* The runtime makes the targets of cairn's own bind mounts (hosts,
   * hostname, resolv.conf) in the upper dir when the image lacks them;
   * writes to them land in the container's dir, never there, so they are
   * no change of the container's (docker keeps them in a layer of its own
   * and does not list them either).  /etc itself counts as changed only
   * when something else in it is. */
  static const char *const stubs[] = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", NULL};
  bool etc_other = false;
  cleanup_strv char **keep = NULL;
  char *save = NULL;
  for (char *l = strtok_r(o.out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    const char *path = strlen(l) > 2 ? l + 2 : l;
    bool stub = false;
    for (size_t i = 0; stubs[i]; i++)
      stub = stub || strcmp(path, stubs[i]) == 0;
    if (stub && l[0] != 'D')
      continue;
    if (strncmp(path, "/etc/", 5) == 0)
      etc_other = true;
    strv_push(&keep, l);
  }
  tool_out_free(&o);
  for (size_t i = 0; keep && keep[i]; i++)
    if (strcmp(keep[i], "C /etc") != 0 || etc_other)
      printf("%s\n", keep[i]);
  return 0;
}
