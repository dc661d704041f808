/* cmd_run.c — `cairn run`, `cairn create`, `cairn start`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "runopts.h"

/* docker's codes for a command that could not run: 127 not found, 126
 * found but not runnable.  The runtime says which in its exec error
 * (runc, crun and cairn-runtime all print `exec: "CMD": …`). */
static int start_exit_code(const struct err *e) {
  if (e == NULL || strstr(e->msg, "exec: \"") == NULL)
    return EXIT_CAIRN;
  if (strcasestr(e->msg, "executable file not found") != NULL ||
      strcasestr(e->msg, "no such file or directory") != NULL)
    return EXIT_NOT_FOUND;
  return EXIT_CANNOT_INVOKE;
}

/* Print e as main would, and return code. */
static int fail_with(struct err **e, int code) {
  err_show(*e);
  err_free(e);
  return code;
}

static void remove_quietly(const char *id) {
  struct err *e = NULL;
  if (ctr_remove(id, true, &e) < 0) {
    err_print(e, "cairn: remove the failed container");
    err_free(&e);
  }
}

/* The container's exit code once its shim is gone (no attach stream). */
static int recorded_exit(const char *id) {
  struct err *e = NULL;
  cleanup_json json_t *c = ctr_load(id, &e);
  err_free(&e);
  if (c == NULL)
    return 0;
  struct ctr_state st;
  ctr_state_get(c, &st);
  int code = st.exit_code;
  ctr_state_free(&st);
  return code;
}

/* Attached to a started container until it ends; returns its exit code. */
static int follow(const char *id, struct attach *at, bool sig_proxy) {
  struct err *e = NULL;
  if (attach_run(at, id, sig_proxy, &e) < 0) {
    /* the shim is gone already: the container ended before we could attach */
    err_free(&e);
    shim_wait(id, -1);
    return recorded_exit(id);
  }
  if (at->detached)
    return 0;
  /* The shim finishes after its on-exit cleanup (network, mounts, --rm):
   * docker returns once that is done too. */
  shim_wait(id, -1);
  return at->exit_code >= 0 ? at->exit_code : recorded_exit(id);
}

int cmd_run(int argc, char **argv, struct err **e) {
  struct run_opts o;
  int r = run_opts_parse(argc, argv, "run", &o, e);
  if (r != 0) {
    run_opts_free(&o);
    return r > 0 ? usage_print(run_help) : -1;
  }
  if (o.interactive && o.tty && !o.detach && !isatty(0)) {
    run_opts_free(&o);
    fprintf(stderr, "cairn: the input device is not a TTY\n");
    return 1; /* docker's code for this one */
  }
  cleanup_json json_t *c = ctr_create(&o, e);
  if (c == NULL) {
    run_opts_free(&o);
    return -1;
  }
  cleanup_free char *id = xstrdup(json_get_str(c, "id"));
  struct attach at = {.fd = -1, .in = o.interactive, .tty = o.tty, .exit_code = -1};
  bool detach = o.detach, sig_proxy = o.sig_proxy;
  cleanup_free char *cidfile = o.cidfile ? xstrdup(o.cidfile) : NULL;
  run_opts_free(&o);
  if (ctr_start(id, detach ? NULL : &at, e) < 0) {
    if (at.fd >= 0)
      close(at.fd);
    int code = start_exit_code(*e);
    code = fail_with(e, code);
    remove_quietly(id);
    if (cidfile != NULL)
      unlink(cidfile);
    return code;
  }
  if (detach) {
    printf("%s\n", id);
    return 0;
  }
  return follow(id, &at, sig_proxy);
}

int cmd_create(int argc, char **argv, struct err **e) {
  struct run_opts o;
  int r = run_opts_parse(argc, argv, "create", &o, e);
  if (r != 0) {
    run_opts_free(&o);
    return r > 0 ? usage_print(run_help) : -1;
  }
  cleanup_json json_t *c = ctr_create(&o, e);
  run_opts_free(&o);
  if (c == NULL)
    return -1;
  const char *id = json_get_str(c, "id");
  /* mounted again at start: a created container holds no mount */
  cleanup_free char *bundle = ctr_file(id, "bundle");
  const char *um[] = {"cairn-image", "umount", bundle, NULL};
  struct err *w = NULL;
  if (tool_run(um, NULL, 0, NULL, 0, &w) < 0) {
    err_print(w, "cairn: warning");
    err_free(&w);
  }
  printf("%s\n", id);
  return 0;
}

static const char start_help[] = "Usage: cairn start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                                 "Start one or more stopped containers.\n\n"
                                 "Options:\n"
                                 "  -a, --attach        attach STDOUT/STDERR and forward signals\n"
                                 "  -i, --interactive   attach the container's STDIN\n";

int cmd_start(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
                                       {"interactive", no_argument, NULL, 'i'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  bool attach = false, interactive = false;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+ai", opts, NULL)) != -1) {
    if (ch == 'a')
      attach = true;
    else if (ch == 'i')
      interactive = true;
    else if (ch == 'H')
      return usage_print(start_help);
    else
      return err_usage(e, "unknown flag: %s (see 'cairn start --help')", argv[optind - 1]);
  }
  if (optind >= argc)
    return err_usage(e, "'cairn start' requires at least 1 argument");
  if ((attach || interactive) && argc - optind > 1)
    return err_usage(e, "you cannot start and attach multiple containers at once");
  int rc = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_free char *id = NULL;
    struct err *se = NULL;
    if (ctr_resolve(argv[i], &id, &se) < 0) {
      rc = fail_with(&se, 1);
      continue;
    }
    if (attach || interactive) {
      cleanup_json json_t *c = ctr_load(id, e);
      if (c == NULL)
        return -1;
      struct attach at = {.fd = -1,
                          .in = interactive && json_is_true(json_object_get(c, "interactive")),
                          .tty = json_is_true(json_object_get(c, "tty")),
                          .exit_code = -1};
      int r = ctr_start(id, &at, e);
      if (r < 0) {
        if (at.fd >= 0)
          close(at.fd);
        return fail_with(e, start_exit_code(*e));
      }
      return follow(id, &at, true);
    }
    if (ctr_start(id, NULL, &se) < 0) {
      rc = fail_with(&se, 1);
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}
