/* cmd_proc.c — commands about a running container's processes: attach,
 * pause, unpause, top.  Each talks to the shim's socket or runs the
 * container's runtime (`pause`, `resume`, `ps`), as a person could. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

static const char attach_help[] =
    "Usage: cairn attach [OPTIONS] CONTAINER\n\n"
    "Attach local standard input, output, and error streams to a running container.\n\n"
    "Options:\n"
    "      --no-stdin        do not attach STDIN\n"
    "      --sig-proxy BOOL  proxy received signals to the container (default true)\n";

int cmd_attach(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"no-stdin", no_argument, NULL, 'n'},
                                       {"sig-proxy", optional_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  bool no_stdin = false, proxy = true;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (ch == 'n')
      no_stdin = true;
    else if (ch == 's')
      proxy = optarg == NULL || strcmp(optarg, "false") != 0;
    else if (ch == 'H')
      return usage_print(attach_help);
    else
      return err_usage(e, "unknown flag: %s (see 'cairn attach --help')", argv[optind - 1]);
  }
  if (argc - optind != 1)
    return err_usage(e, "\"cairn attach\" requires exactly 1 argument");
  cleanup_json json_t *c = ctr_find(argv[optind], e);
  if (c == NULL)
    return -1;
  const char *id = json_get_str(c, "id");
  if (!shim_alive(id))
    return err_set(e, 0, "you cannot attach to a stopped container, start it first");
  bool tty = json_is_true(json_object_get(c, "tty"));
  if (tty && !no_stdin && json_is_true(json_object_get(c, "interactive")) && !isatty(0))
    return err_set(e, 0, "the input device is not a TTY");
  struct attach at = {.fd = -1,
                      .in = !no_stdin && json_is_true(json_object_get(c, "interactive")),
                      .tty = tty,
                      .exit_code = -1};
  if (attach_run(&at, id, proxy, e) < 0)
    return -1;
  if (at.detached)
    return 0;
  shim_wait(id, -1);
  return at.exit_code >= 0 ? at.exit_code : 0;
}

/* The runtime of container c run as `RUNTIME --root R SUB ID`. */
static int runtime_do(const json_t *c, const char *sub, struct tool_out *out, struct err **e) {
  cleanup_free char *rt = runtime_path(json_get_str(c, "runtime"), e);
  if (rt == NULL)
    return -1;
  cleanup_free char *root = runtime_root();
  const char *argv[] = {rt, "--root", root, sub, json_get_str(c, "id"), NULL};
  if (out != NULL && strcmp(sub, "ps") == 0) {
    const char *pargv[] = {rt,  "--root", root, "ps", "--format", "json", json_get_str(c, "id"),
                           NULL};
    return tool_run(pargv, NULL, 0, out, 0, e);
  }
  return tool_run(argv, NULL, 0, out, 0, e);
}

/* pause / unpause: the runtime freezes the cgroup; container.json says so
 * (the shim does not know), so ps shows "Up … (Paused)". */
static int set_paused(int argc, char **argv, bool pause, struct err **e) {
  const char *name = pause ? "pause" : "unpause";
  if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
    printf("Usage: cairn %s CONTAINER [CONTAINER...]\n\n%s all processes within one or more "
           "containers.\n",
           name, pause ? "Pause" : "Unpause");
    return 0;
  }
  if (argc < 2)
    return err_usage(e, "'cairn %s' requires at least 1 argument", name);
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    struct err *ce = NULL;
    cleanup_free char *id = NULL;
    int lk = -1;
    cleanup_json json_t *c = NULL;
    if (ctr_resolve(argv[i], &id, &ce) < 0 || (lk = ctr_lock(id, &ce)) < 0 ||
        (c = ctr_load(id, &ce)) == NULL)
      goto next;
    struct ctr_state st;
    ctr_state_get(c, &st);
    enum ctr_status s = st.status;
    ctr_state_free(&st);
    if (pause && s != ST_RUNNING) {
      err_set(&ce, 0, "container %s is not running", argv[i]);
      goto next;
    }
    if (!pause && s != ST_PAUSED) {
      err_set(&ce, 0, "container %s is not paused", argv[i]);
      goto next;
    }
    if (runtime_do(c, pause ? "pause" : "resume", NULL, &ce) < 0)
      goto next;
    json_object_set_new(json_object_get(c, "state"), "status",
                        json_string(pause ? "paused" : "running"));
    if (ctr_save_state(c, &ce) < 0)
      goto next;
    event_ctr(c, pause ? "pause" : "unpause", NULL);
    printf("%s\n", argv[i]);
  next:
    if (lk >= 0)
      lock_release(lk);
    if (ce != NULL) {
      err_show(ce);
      err_free(&ce);
      rc = 1;
    }
  }
  return rc;
}

int cmd_pause(int argc, char **argv, struct err **e) {
  return set_paused(argc, argv, true, e);
}
int cmd_unpause(int argc, char **argv, struct err **e) {
  return set_paused(argc, argv, false, e);
}

/* top: the container's pids from the runtime, shown by the host's ps. */
int cmd_top(int argc, char **argv, struct err **e) {
  if (argc >= 2 && strcmp(argv[1], "--help") == 0)
    return usage_print("Usage: cairn top CONTAINER [ps OPTIONS]\n\n"
                       "Display the running processes of a container.\n");
  if (argc < 2)
    return err_usage(e, "\"cairn top\" requires at least 1 argument");
  cleanup_json json_t *c = ctr_find(argv[1], e);
  if (c == NULL)
    return -1;
  if (!shim_alive(json_get_str(c, "id")))
    return err_set(e, 0, "container %s is not running", argv[1]);
  struct tool_out o = {0};
  if (runtime_do(c, "ps", &o, e) < 0)
    return -1;
  cleanup_json json_t *pids = json_load_str(o.out, "runtime ps", e);
  tool_out_free(&o);
  if (pids == NULL)
    return -1;
  char *list = xstrdup("");
  size_t i;
  json_t *p;
  json_array_foreach(pids, i, p) {
    char *n = xasprintf("%s%s%lld", list, i ? "," : "", (long long)json_integer_value(p));
    free(list);
    list = n;
  }
  cleanup_strv char **av = NULL;
  strv_push(&av, "ps");
  if (argc > 2) {
    for (int k = 2; k < argc; k++)
      strv_push(&av, argv[k]);
  } else {
    strv_push(&av, "-f"); /* docker's default: UID PID PPID C STIME TTY TIME CMD */
  }
  strv_push(&av, "-p");
  strv_push(&av, list);
  free(list);
  if (tool_run((const char *const *)av, NULL, 0, NULL, 0, e) < 0)
    return -1;
  event_ctr(c, "top", NULL);
  return 0;
}
