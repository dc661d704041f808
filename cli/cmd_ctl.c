/* cmd_ctl.c — stop, kill, restart, rm, wait, rename, port, prune.
 *
 * None of these holds a container's lock while it waits for the shim:
 * the shim's on-exit cleanup takes that lock, so waiting with it held
 * would never end.  `rm -f` racing `stop` is safe: both ask the shim to
 * stop, both wait for it to be gone, and removal is under the lock. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "lock.h"
#include "mem.h"
#include "runopts.h"

/* Report one container's failure and go on with the others, as docker. */
static int report(struct err **e) {
  err_show(*e);
  err_free(e);
  return 1;
}

/* The usual flag loop for these small commands; returns the index of the
 * first operand, or -1 (usage error) / -2 (help printed). */
static int flags(int argc, char **argv, const char *shortopts, const struct option *opts,
                 const char *help, int (*each)(int ch, const char *arg, void *ctx, struct err **e),
                 void *ctx, struct err **e) {
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
    if (ch == 'H') {
      usage_print(help);
      return -2;
    }
    if (ch == '?' || ch == ':' || each(ch, optarg, ctx, e) < 0) {
      if (*e == NULL)
        err_usage(e, "unknown flag: %s (see 'cairn %s --help')", argv[optind - 1], argv[0]);
      return -1;
    }
  }
  return optind;
}

#define HELP_OPT \
  { "help", no_argument, NULL, 'H' }

struct stop_ctx {
  long timeout;
  char *signal;
};

static int stop_flag(int ch, const char *arg, void *p, struct err **e) {
  struct stop_ctx *s = p;
  if (ch == 't') {
    if (parse_int(arg, -1, 1L << 30, &s->timeout) < 0)
      return err_usage(e, "invalid argument \"%s\" for \"-t, --time\" flag", arg);
    return 0;
  }
  if (ch == 's') {
    free(s->signal);
    s->signal = signal_normalize(arg, e);
    return s->signal ? 0 : -1;
  }
  return -1;
}

static const char stop_help[] = "Usage: cairn stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                                "Stop one or more running containers.\n\n"
                                "Options:\n"
                                "  -s, --signal SIG   signal to send (default: the stop signal)\n"
                                "  -t, --time N       seconds to wait before killing it\n";

int cmd_stop(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"time", required_argument, NULL, 't'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"signal", required_argument, NULL, 's'},
                                       HELP_OPT,
                                       {NULL, 0, NULL, 0}};
  struct stop_ctx s = {.timeout = -1};
  int first = flags(argc, argv, "+t:s:", opts, stop_help, stop_flag, &s, e);
  cleanup_free char *sig = s.signal;
  if (first < 0)
    return first == -2 ? 0 : -1;
  if (first >= argc)
    return err_usage(e, "'cairn stop' requires at least 1 argument");
  int rc = 0;
  for (int i = first; i < argc; i++) {
    cleanup_free char *id = NULL;
    struct err *ce = NULL;
    if (ctr_resolve(argv[i], &id, &ce) < 0) {
      rc = report(&ce);
      continue;
    }
    if (sig != NULL && shim_alive(id)) {
      /* docker's stop --signal: that signal, then SIGKILL after the timeout */
      cleanup_free char *cmd = xasprintf("stop %lds %s", s.timeout >= 0 ? s.timeout : 10, sig);
      if (shim_ctl(id, cmd, &ce) < 0 && ce->code != ERR_NOTFOUND) {
        rc = report(&ce);
        continue;
      }
      err_free(&ce);
    }
    if (ctr_stop(id, (int)s.timeout, &ce) < 0) {
      rc = report(&ce);
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}

static const char kill_help[] = "Usage: cairn kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                                "Kill one or more running containers.\n\n"
                                "Options:\n"
                                "  -s, --signal SIG   signal to send (default \"KILL\")\n";

/* docker's kill event names the signal by number: "9" for KILL, SIGKILL, 9. */
static char *signal_attr(const char *sig) {
  const char *s = strncasecmp(sig, "SIG", 3) == 0 ? sig + 3 : sig;
  for (int n = 1; n < NSIG; n++) {
    const char *abbrev = sigabbrev_np(n);
    if (abbrev != NULL && strcasecmp(abbrev, s) == 0)
      return xasprintf("%d", n);
  }
  return xstrdup(sig);
}

int cmd_kill(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"signal", required_argument, NULL, 's'}, HELP_OPT, {NULL, 0, NULL, 0}};
  struct stop_ctx s = {.timeout = -1};
  int first = flags(argc, argv, "+s:", opts, kill_help, stop_flag, &s, e);
  cleanup_free char *sig = s.signal ? s.signal : xstrdup("SIGKILL");
  if (first < 0)
    return first == -2 ? 0 : -1;
  if (first >= argc)
    return err_usage(e, "'cairn kill' requires at least 1 argument");
  int rc = 0;
  for (int i = first; i < argc; i++) {
    cleanup_free char *id = NULL;
    struct err *ce = NULL;
    if (ctr_resolve(argv[i], &id, &ce) < 0) {
      rc = report(&ce);
      continue;
    }
    cleanup_free char *cmd = xasprintf("kill %s", sig);
    if (!shim_alive(id) || shim_ctl(id, cmd, &ce) < 0) {
      err_free(&ce);
      err_set(&ce, 0, "cannot kill container: %s: container %.12s is not running", argv[i], id);
      rc = report(&ce);
      continue;
    }
    cleanup_free char *num = signal_attr(sig);
    event_ctr_id(id, "kill", json_pack("{s:s}", "signal", num));
    if (strcmp(sig, "SIGKILL") == 0 || strcmp(sig, "9") == 0) {
      /* a killed container is stopped when kill returns, unless its
       * restart policy brings it back */
      cleanup_json json_t *c = ctr_load(id, &ce);
      const char *pol = json_get_str(json_get_obj(c, "restartPolicy"), "name");
      err_free(&ce);
      if (pol == NULL || strcmp(pol, "no") == 0)
        shim_wait(id, 5000);
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}

int cmd_restart(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"time", required_argument, NULL, 't'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"signal", required_argument, NULL, 's'},
                                       HELP_OPT,
                                       {NULL, 0, NULL, 0}};
  struct stop_ctx s = {.timeout = -1};
  int first = flags(argc, argv, "+t:s:", opts,
                    "Usage: cairn restart [-t N] CONTAINER [CONTAINER...]\n\n"
                    "Restart one or more containers.\n",
                    stop_flag, &s, e);
  free(s.signal);
  if (first < 0)
    return first == -2 ? 0 : -1;
  if (first >= argc)
    return err_usage(e, "'cairn restart' requires at least 1 argument");
  int rc = 0;
  for (int i = first; i < argc; i++) {
    cleanup_free char *id = NULL;
    struct err *ce = NULL;
    if (ctr_resolve(argv[i], &id, &ce) < 0 || ctr_stop(id, (int)s.timeout, &ce) < 0 ||
        ctr_start(id, NULL, &ce) < 0) {
      rc = report(&ce);
      continue;
    }
    event_ctr_id(id, "restart", NULL); /* docker's, after stop and start */
    printf("%s\n", argv[i]);
  }
  return rc;
}

struct rm_ctx {
  bool force, volumes;
};

static int rm_flag(int ch, const char *arg, void *p, struct err **e) {
  (void)arg;
  (void)e;
  struct rm_ctx *r = p;
  if (ch == 'f')
    r->force = true;
  else if (ch == 'v')
    r->volumes = true;
  else if (ch != 'l')
    return -1;
  return 0;
}

static const char rm_help[] =
    "Usage: cairn rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
    "Remove one or more containers.\n\n"
    "Options:\n"
    "  -f, --force     force the removal of a running container (SIGKILL)\n"
    "  -v, --volumes   remove anonymous volumes of the container\n";

int cmd_rm(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"volumes", no_argument, NULL, 'v'},
                                       {"link", no_argument, NULL, 'l'},
                                       HELP_OPT,
                                       {NULL, 0, NULL, 0}};
  struct rm_ctx r = {0};
  int first = flags(argc, argv, "+fvl", opts, rm_help, rm_flag, &r, e);
  if (first < 0)
    return first == -2 ? 0 : -1;
  if (first >= argc)
    return err_usage(e, "'cairn rm' requires at least 1 argument");
  int rc = 0;
  for (int i = first; i < argc; i++) {
    cleanup_free char *id = NULL;
    struct err *ce = NULL;
    if (ctr_resolve(argv[i], &id, &ce) < 0) {
      rc = report(&ce);
      continue;
    }
    if (r.force && shim_alive(id)) {
      if (shim_ctl(id, "stop 0s SIGKILL", &ce) < 0)
        err_free(&ce); /* it stopped meanwhile */
      shim_wait(id, -1);
    }
    if (ctr_remove(id, r.volumes, &ce) < 0) {
      if (ce->code == ERR_NOTFOUND && r.force) { /* --rm got there first */
        err_free(&ce);
      } else {
        rc = report(&ce);
        continue;
      }
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}

int cmd_wait(int argc, char **argv, struct err **e) {
  if (argc >= 2 && strcmp(argv[1], "--help") == 0)
    return usage_print("Usage: cairn wait CONTAINER [CONTAINER...]\n\n"
                       "Block until one or more containers stop, then print their exit codes.\n");
  if (argc < 2)
    return err_usage(e, "'cairn wait' requires at least 1 argument");
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    cleanup_free char *id = NULL;
    struct err *ce = NULL;
    if (ctr_resolve(argv[i], &id, &ce) < 0) {
      rc = report(&ce);
      continue;
    }
    shim_wait(id, -1);
    cleanup_json json_t *c = ctr_load(id, &ce);
    if (c == NULL) { /* a --rm container is gone: its code went with it */
      err_free(&ce);
      printf("0\n");
      continue;
    }
    struct ctr_state st;
    ctr_state_get(c, &st);
    printf("%d\n", st.exit_code);
    ctr_state_free(&st);
  }
  return rc;
}

int cmd_rename(int argc, char **argv, struct err **e) {
  if (argc >= 2 && strcmp(argv[1], "--help") == 0)
    return usage_print("Usage: cairn rename CONTAINER NEW_NAME\n\nRename a container.\n");
  if (argc != 3)
    return err_usage(e, "\"cairn rename\" requires exactly 2 arguments");
  const char *newname = argv[2][0] == '/' ? argv[2] + 1 : argv[2];
  if (!name_valid(newname))
    return err_usage(e, "invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                     newname);
  cleanup_free char *id = NULL;
  if (ctr_resolve(argv[1], &id, e) < 0)
    return -1;
  int lk = ctr_lock(id, e);
  if (lk < 0)
    return -1;
  int rc = -1;
  cleanup_json json_t *c = ctr_load(id, e);
  if (c != NULL && name_reserve(newname, id, e) == 0) {
    cleanup_free char *old = xstrdup(json_get_str(c, "name"));
    json_object_set_new(c, "name", json_string(newname));
    if (ctr_save(c, e) == 0) {
      name_release(old, id);
      event_ctr(c, "rename", json_pack("{s:s}", "oldName", old));
      /* a running shim writes events under the new name from now on (an
       * old shim without the command answers an error: nothing to do) */
      if (shim_alive(id)) {
        cleanup_free char *cmd = xasprintf("name %s", newname);
        struct err *w = NULL;
        if (shim_ctl(id, cmd, &w) < 0)
          err_free(&w);
      }
      rc = 0;
    } else {
      name_release(newname, id);
    }
  }
  lock_release(lk);
  return rc;
}

int cmd_port(int argc, char **argv, struct err **e) {
  if (argc >= 2 && strcmp(argv[1], "--help") == 0)
    return usage_print("Usage: cairn port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
                       "List port mappings or a specific mapping for the container.\n");
  if (argc < 2 || argc > 3)
    return err_usage(e, "\"cairn port\" requires 1 or 2 arguments");
  cleanup_json json_t *c = ctr_find(argv[1], e);
  if (c == NULL)
    return -1;
  struct ctr_state st;
  ctr_state_get(c, &st);
  bool running = st.status == ST_RUNNING || st.status == ST_PAUSED;
  ctr_state_free(&st);
  long want = 0;
  const char *wproto = NULL;
  if (argc == 3) {
    cleanup_free char *p = xstrdup(argv[2]);
    char *slash = strchr(p, '/');
    wproto = slash ? argv[2] + (slash - p) + 1 : "tcp";
    if (slash)
      *slash = '\0';
    if (parse_int(p, 1, 65535, &want) < 0)
      return err_usage(e, "invalid port: %s", argv[2]);
  }
  size_t i, found = 0;
  json_t *m;
  json_array_foreach(running ? json_get_arr(c, "ports") : NULL, i, m) {
    long cp = (long)json_integer_value(json_object_get(m, "containerPort"));
    const char *proto = json_get_str(m, "protocol");
    if (want && (cp != want || strcmp(proto, wproto) != 0))
      continue;
    const char *ip = json_get_str(m, "hostIP");
    long hp = (long)json_integer_value(json_object_get(m, "hostPort"));
    if (want)
      printf("%s:%ld\n", ip && *ip ? ip : "0.0.0.0", hp);
    else
      printf("%ld/%s -> %s:%ld\n", cp, proto, ip && *ip ? ip : "0.0.0.0", hp);
    found++;
  }
  if (want && found == 0)
    return err_set(e, 0, "no public port '%s' published for %s", argv[2], argv[1]);
  return 0;
}

int cmd_prune(int argc, char **argv, struct err **e) {
  struct prune_opts po __attribute__((cleanup(prune_opts_free))) = {0};
  int r = prune_args(argc, argv, 0,
                     "Usage: cairn container prune [OPTIONS]\n\nRemove all stopped containers.\n\n"
                     "Options:\n"
                     "      --filter K=V   until=TIME, label=K[=V], label!=K[=V]\n"
                     "  -f, --force        do not ask\n",
                     NULL, &po, e);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (!prune_confirm("WARNING! This will remove all stopped containers.\n", po.force))
    return 0;
  struct prune_filter *fp = &po.f;
  cleanup_strv char **ids = ctr_list_ids();
  bool header = false;
  for (size_t i = 0; ids[i] != NULL; i++) {
    struct err *ce = NULL;
    cleanup_json json_t *c = ctr_load(ids[i], &ce);
    if (c == NULL) {
      err_free(&ce);
      continue;
    }
    struct ctr_state st;
    ctr_state_get(c, &st);
    bool stopped = st.status == ST_EXITED || st.status == ST_CREATED || st.status == ST_DEAD;
    ctr_state_free(&st);
    if (!stopped || shim_alive(ids[i]) ||
        !prune_filter_match(fp, json_get_obj(c, "labels"), json_get_str(c, "created")))
      continue;
    if (ctr_remove(ids[i], false, &ce) < 0) {
      report(&ce);
      continue;
    }
    if (!header)
      printf("Deleted Containers:\n");
    header = true;
    printf("%s\n", ids[i]);
  }
  printf("%sTotal reclaimed space: 0B\n", header ? "\n" : "");
  return 0;
}
