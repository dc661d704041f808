/* opts.c — cairn-shim's command line, and the checks that can be made
 * before anything is started. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "shim.h"

void opts_usage(void) {
  fputs("Usage: cairn-shim --runtime PATH --id ID --bundle DIR --state DIR [OPTIONS]\n"
        "\n"
        "Supervise one container: detach, run `RUNTIME create` and `start`, print\n"
        "{\"pid\":N} on stdout and stay behind to keep the container's stdio, write its\n"
        "logs, serve STATE/attach.sock and STATE/ctl.sock, and record STATE/exit.json.\n"
        "\n"
        "Options:\n"
        "  --runtime PATH          runc-compatible runtime (looked up in PATH)\n"
        "  --runtime-root DIR      pass --root DIR to the runtime\n"
        "  --runtime-arg ARG       another global runtime flag (repeatable)\n"
        "  --runtime-timeout D     kill a runtime call (create, start, kill, delete) that\n"
        "                          takes longer than D and fail (default 2m; 0: wait forever)\n"
        "  --id ID                 container id\n"
        "  --bundle DIR            OCI bundle (config.json + rootfs)\n"
        "  --state DIR             the shim's directory (created if missing)\n"
        "  --tty                   give the process a terminal (config.json must say so)\n"
        "  --stdin                 keep stdin open for attached clients\n"
        "  --log FILE              json-file log (default STATE/ctr.log)\n"
        "  --log-max-size SIZE     rotate at SIZE (default 10m; 0: never)\n"
        "  --log-max-files N       files kept, the current one included (default 3)\n"
        "  --restart POLICY        no | always | on-failure[:N] | unless-stopped\n"
        "  --on-exit CMD           run `/bin/sh -c CMD` once the container is done\n"
        "  --health-cmd CMD        healthcheck run with /bin/sh -c in the container\n"
        "  --health-test JSON      healthcheck as the image config's Test array\n"
        "  --health-interval D     (default 30s)\n"
        "  --health-timeout D      (default 30s)\n"
        "  --health-retries N      (default 3)\n"
        "  --health-start-period D (default 0s)\n"
        "  --detach-keys KEYS      detach sequence for attached clients (default ctrl-p,ctrl-q)\n"
        "  --events FILE           append the shim's events (restarts, health, oom) to this\n"
        "                          event journal (docker's event shape, one JSON per line)\n"
        "  --event-attrs JSON      the Actor.Attributes of those events (an object of\n"
        "                          strings: name, image, labels)\n"
        "  --help\n",
        stdout);
}

enum {
  OPT_RUNTIME = 256,
  OPT_RUNTIME_ROOT,
  OPT_RUNTIME_ARG,
  OPT_RUNTIME_TIMEOUT,
  OPT_ID,
  OPT_BUNDLE,
  OPT_STATE,
  OPT_TTY,
  OPT_STDIN,
  OPT_LOG,
  OPT_LOG_MAX_SIZE,
  OPT_LOG_MAX_FILES,
  OPT_RESTART,
  OPT_ON_EXIT,
  OPT_HEALTH_CMD,
  OPT_HEALTH_TEST,
  OPT_HEALTH_INTERVAL,
  OPT_HEALTH_TIMEOUT,
  OPT_HEALTH_RETRIES,
  OPT_HEALTH_START,
  OPT_DETACH_KEYS,
  OPT_EVENTS,
  OPT_EVENT_ATTRS,
  OPT_HELP,
};

static const struct option long_opts[] = {
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT},
    {"runtime-arg", required_argument, NULL, OPT_RUNTIME_ARG},
    {"id", required_argument, NULL, OPT_ID},
    {"bundle", required_argument, NULL, OPT_BUNDLE},
    {"state", required_argument, NULL, OPT_STATE},
    {"tty", no_argument, NULL, OPT_TTY},
    {"stdin", no_argument, NULL, OPT_STDIN},
    {"log", required_argument, NULL, OPT_LOG},
    {"log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE},
    {"log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES},
    {"restart", required_argument, NULL, OPT_RESTART},
    {"runtime-timeout", required_argument, NULL, OPT_RUNTIME_TIMEOUT},
    {"on-exit", required_argument, NULL, OPT_ON_EXIT},
    {"health-cmd", required_argument, NULL, OPT_HEALTH_CMD},
    {"health-test", required_argument, NULL, OPT_HEALTH_TEST},
    {"health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL},
    {"health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT},
    {"health-retries", required_argument, NULL, OPT_HEALTH_RETRIES},
    {"health-start-period", required_argument, NULL, OPT_HEALTH_START},
    {"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"event-attrs", required_argument, NULL, OPT_EVENT_ATTRS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Go's time.ParseDuration, as docker's --health-* flags take it: a sequence
 * of decimal numbers with units ns, us, ms, s, m, h ("1m30s", "1.5s").
 * A bare "0" is allowed; negative durations are not. */
int parse_duration(const char *s, int64_t *ns, struct err **e) {
  static const struct {
    const char *unit;
    double ns;
  } units[] = {
      {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
  };
  if (strcmp(s, "0") == 0) {
    *ns = 0;
    return 0;
  }
  const char *p = s;
  double total = 0;
  if (*p == '\0')
    return err_usage(e, "invalid duration '%s'", s);
  while (*p) {
    if (!isdigit((unsigned char)*p) && *p != '.')
      return err_usage(e, "invalid duration '%s'", s);
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno != 0)
      return err_usage(e, "invalid duration '%s'", s);
    p = end;
    size_t best = 0;
    double mult = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      size_t l = strlen(units[i].unit);
      if (strncmp(p, units[i].unit, l) == 0 && l > best) {
        best = l;
        mult = units[i].ns;
      }
    }
    if (best == 0)
      return err_usage(e, "invalid duration '%s': missing unit (like 30s)", s);
    p += best;
    total += v * mult;
  }
  if (total > 9.2e18)
    return err_usage(e, "invalid duration '%s': too long", s);
  *ns = (int64_t)total;
  return 0;
}

static int parse_int(const char *s, int min, int max, const char *what, int *out, struct err **e) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
    return err_usage(e, "invalid %s '%s': want a number from %d to %d", what, s, min, max);
  *out = (int)v;
  return 0;
}

/* docker's detach-keys syntax: comma-separated "a".."z", "ctrl-a".."ctrl-z",
 * "ctrl-@", "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"; "" disables. */
static int parse_detach_keys(const char *s, struct shim_opts *o, struct err **e) {
  o->n_detach_keys = 0;
  if (*s == '\0')
    return 0;
  cleanup_free char *copy = xstrdup(s);
  char *save = NULL;
  for (char *k = strtok_r(copy, ",", &save); k != NULL; k = strtok_r(NULL, ",", &save)) {
    int c;
    if (strlen(k) == 1) {
      c = (unsigned char)k[0];
    } else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
      c = (unsigned char)k[5];
      if (c >= 'a' && c <= 'z')
        c = c - 'a' + 1;
      else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_')
        c = c - '@';
      else
        return err_usage(e, "invalid detach keys '%s': unknown key '%s'", s, k);
    } else {
      return err_usage(e, "invalid detach keys '%s': unknown key '%s'", s, k);
    }
    if (o->n_detach_keys == sizeof o->detach_keys)
      return err_usage(e, "invalid detach keys '%s': too long", s);
    o->detach_keys[o->n_detach_keys++] = (unsigned char)c;
  }
  return 0;
}

/* The image config's Healthcheck.Test: ["CMD", argv…], ["CMD-SHELL", cmd],
 * or ["NONE"] (no healthcheck). */
static int parse_health_test(const char *s, struct shim_opts *o, struct err **e) {
  cleanup_json json_t *j = json_load_str(s, "--health-test", e);
  if (j == NULL)
    return -1;
  size_t n = json_array_size(j);
  if (!json_is_array(j) || n == 0)
    return err_usage(e, "invalid --health-test: want a JSON array like [\"CMD\",\"true\"]");
  for (size_t i = 0; i < n; i++)
    if (!json_is_string(json_array_get(j, i)))
      return err_usage(e, "invalid --health-test: element %zu is not a string", i);
  const char *kind = json_string_value(json_array_get(j, 0));
  strv_free(o->health.test);
  o->health.test = NULL;
  if (strcmp(kind, "NONE") == 0)
    return 0;
  if (strcmp(kind, "CMD-SHELL") == 0 && n == 2) {
    strv_push(&o->health.test, "/bin/sh");
    strv_push(&o->health.test, "-c");
    strv_push(&o->health.test, json_string_value(json_array_get(j, 1)));
    return 0;
  }
  if (strcmp(kind, "CMD") == 0 && n >= 2) {
    for (size_t i = 1; i < n; i++)
      strv_push(&o->health.test, json_string_value(json_array_get(j, i)));
    return 0;
  }
  return err_usage(
      e, "invalid --health-test: want [\"CMD\", ARG…], [\"CMD-SHELL\", CMD] or [\"NONE\"]");
}

/* An object whose values are strings, kept as compact text. */
static int parse_event_attrs(const char *s, struct shim_opts *o, struct err **e) {
  cleanup_json json_t *j = json_load_str(s, "--event-attrs", e);
  if (j == NULL)
    return -1;
  if (!json_is_object(j))
    return err_usage(e, "invalid --event-attrs: want a JSON object of strings");
  const char *k;
  json_t *v;
  json_object_foreach(j, k, v) {
    if (!json_is_string(v))
      return err_usage(e, "invalid --event-attrs: \"%s\" is not a string", k);
  }
  free(o->event_attrs);
  o->event_attrs = json_dump_compact(j);
  return 0;
}

static char *absolute(const char *p) {
  if (p[0] == '/')
    return path_clean(p);
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL)
    return path_clean(p);
  cleanup_free char *j = path_join(cwd, p);
  return path_clean(j);
}

int opts_parse(int argc, char **argv, struct shim_opts *o, struct err **e) {
  memset(o, 0, sizeof *o);
  o->log_max_size = 10 * 1024 * 1024;
  o->log_max_files = 3;
  o->runtime_timeout_ns = 120 * NSEC_PER_SEC;
  o->health.interval_ns = 30 * NSEC_PER_SEC;
  o->health.timeout_ns = 30 * NSEC_PER_SEC;
  o->health.retries = 3;
  o->detach_keys[0] = 0x10; /* ctrl-p */
  o->detach_keys[1] = 0x11; /* ctrl-q */
  o->n_detach_keys = 2;
  cleanup_strv char **extra = NULL;
  const char *runtime_root = NULL;

  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
    switch (c) {
      case OPT_RUNTIME:
        free(o->runtime);
        o->runtime = xstrdup(optarg);
        break;
      case OPT_RUNTIME_ROOT: runtime_root = optarg; break;
      case OPT_RUNTIME_ARG: strv_push(&extra, optarg); break;
      case OPT_ID:
        free(o->id);
        o->id = xstrdup(optarg);
        break;
      case OPT_BUNDLE:
        free(o->bundle);
        o->bundle = absolute(optarg);
        break;
      case OPT_STATE:
        free(o->state_dir);
        o->state_dir = absolute(optarg);
        break;
      case OPT_TTY: o->tty = 1; break;
      case OPT_STDIN: o->stdin_open = 1; break;
      case OPT_LOG:
        free(o->log_path);
        o->log_path = absolute(optarg);
        break;
      case OPT_LOG_MAX_SIZE:
        if (parse_size(optarg, &o->log_max_size, e) < 0)
          return err_wrap(e, "--log-max-size");
        break;
      case OPT_LOG_MAX_FILES:
        if (parse_int(optarg, 1, 1000, "--log-max-files", &o->log_max_files, e) < 0)
          return -1;
        break;
      case OPT_RUNTIME_TIMEOUT:
        if (parse_duration(optarg, &o->runtime_timeout_ns, e) < 0)
          return err_wrap(e, "--runtime-timeout");
        break;
      case OPT_RESTART:
        if (restart_parse(optarg, &o->restart, e) < 0)
          return -1;
        break;
      case OPT_ON_EXIT:
        free(o->on_exit);
        o->on_exit = xstrdup(optarg);
        break;
      case OPT_HEALTH_CMD:
        strv_free(o->health.test);
        o->health.test = NULL;
        strv_push(&o->health.test, "/bin/sh");
        strv_push(&o->health.test, "-c");
        strv_push(&o->health.test, optarg);
        break;
      case OPT_HEALTH_TEST:
        if (parse_health_test(optarg, o, e) < 0)
          return -1;
        break;
      case OPT_EVENTS:
        free(o->events);
        o->events = absolute(optarg);
        break;
      case OPT_EVENT_ATTRS:
        if (parse_event_attrs(optarg, o, e) < 0)
          return -1;
        break;
      case OPT_HEALTH_INTERVAL:
      case OPT_HEALTH_TIMEOUT:
      case OPT_HEALTH_START: {
        int64_t ns;
        if (parse_duration(optarg, &ns, e) < 0)
          return err_wrap(e, "--%s",
                          c == OPT_HEALTH_INTERVAL  ? "health-interval"
                          : c == OPT_HEALTH_TIMEOUT ? "health-timeout"
                                                    : "health-start-period");
        /* docker: 0 means "use the default"; anything else is at least 1ms. */
        if (ns != 0 && ns < NSEC_PER_MSEC)
          return err_usage(e, "duration '%s' is below the minimum of 1ms", optarg);
        if (c == OPT_HEALTH_INTERVAL)
          o->health.interval_ns = ns ? ns : 30 * NSEC_PER_SEC;
        else if (c == OPT_HEALTH_TIMEOUT)
          o->health.timeout_ns = ns ? ns : 30 * NSEC_PER_SEC;
        else
          o->health.start_period_ns = ns;
        break;
      }
      case OPT_HEALTH_RETRIES:
        if (parse_int(optarg, 0, INT_MAX, "--health-retries", &o->health.retries, e) < 0)
          return -1;
        if (o->health.retries == 0)
          o->health.retries = 3;
        break;
      case OPT_DETACH_KEYS:
        if (parse_detach_keys(optarg, o, e) < 0)
          return -1;
        break;
      case OPT_HELP: o->help = 1; return 0;
      case ':': return err_usage(e, "option '%s' needs a value", argv[optind - 1]);
      default: return err_usage(e, "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return err_usage(e, "unexpected argument '%s'", argv[optind]);
  if (o->runtime == NULL || o->id == NULL || o->bundle == NULL || o->state_dir == NULL)
    return err_usage(e, "--runtime, --id, --bundle and --state are required");
  if (o->id[0] == '\0' || strchr(o->id, '/') != NULL || o->id[0] == '-')
    return err_usage(e, "invalid container id '%s'", o->id);
  if (runtime_root != NULL) {
    strv_push(&o->runtime_globals, "--root");
    strv_push(&o->runtime_globals, runtime_root);
  }
  for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
    strv_push(&o->runtime_globals, extra[i]);
  if (o->log_path == NULL)
    o->log_path = path_join(o->state_dir, "ctr.log");
  return 0;
}

void opts_free(struct shim_opts *o) {
  free(o->runtime);
  strv_free(o->runtime_globals);
  free(o->id);
  free(o->bundle);
  free(o->state_dir);
  free(o->log_path);
  free(o->on_exit);
  free(o->events);
  free(o->event_attrs);
  strv_free(o->health.test);
  memset(o, 0, sizeof *o);
}

/* execvp's lookup, done up front so that "no such runtime" is reported
 * before anything is started. */
static char *find_in_path(const char *name) {
  if (strchr(name, '/') != NULL)
    return access(name, X_OK) == 0 ? absolute(name) : NULL;
  const char *path = getenv("PATH");
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin";
  cleanup_free char *copy = xstrdup(path);
  char *save = NULL;
  for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
    cleanup_free char *p = path_join(*d ? d : ".", name);
    struct stat st;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
      return absolute(p);
  }
  return NULL;
}

int opts_check(struct shim_opts *o, struct err **e) {
  char *rt = find_in_path(o->runtime);
  if (rt == NULL)
    return err_setc(e, ERR_NOTFOUND, 0, "runtime '%s': not found or not executable", o->runtime);
  free(o->runtime);
  o->runtime = rt;

  cleanup_free char *cfg_path = path_join(o->bundle, "config.json");
  struct stat st;
  if (stat(o->bundle, &st) < 0)
    return err_setc(e, ERR_NOTFOUND, errno, "bundle '%s'", o->bundle);
  cleanup_json json_t *cfg = json_load_path(cfg_path, e);
  if (cfg == NULL)
    return err_wrap(e, "bundle '%s'", o->bundle);
  json_t *process = json_get_obj(cfg, "process");
  int terminal = json_is_true(json_object_get(process, "terminal"));
  if (terminal != o->tty)
    return err_usage(e, "bundle '%s': process.terminal is %s but --tty was %s", o->bundle,
                     terminal ? "true" : "false", o->tty ? "given" : "not given");

  cleanup_free char *logdir = xstrdup(o->log_path);
  char *slash = strrchr(logdir, '/');
  if (slash != NULL && slash != logdir)
    *slash = '\0';
  if (strcmp(logdir, o->state_dir) != 0) {
    if (stat(logdir, &st) < 0)
      return err_setc(e, ERR_NOTFOUND, errno, "log dir '%s'", logdir);
    if (!S_ISDIR(st.st_mode))
      return err_setc(e, ERR_NOTFOUND, ENOTDIR, "log dir '%s'", logdir);
  }
  /* last: nothing after this may fail and leave the dir behind */
  o->state_created = stat(o->state_dir, &st) < 0 && errno == ENOENT;
  if (mkdir_p(o->state_dir, 0700, e) < 0)
    return err_wrap(e, "state dir");
  return 0;
}

/* Names as kill(1) and docker take them: "TERM", "SIGTERM", "15". */
int parse_signal(const char *s, int *sig) {
  static const struct {
    const char *name;
    int sig;
  } names[] = {
      {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
      {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
      {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
      {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
      {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
      {"PWR", SIGPWR},       {"SYS", SIGSYS},
  };
  if (isdigit((unsigned char)*s)) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v >= NSIG)
      return -1;
    *sig = (int)v;
    return 0;
  }
  if (strncasecmp(s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcasecmp(s, names[i].name) == 0) {
      *sig = names[i].sig;
      return 0;
    }
  }
  return -1;
}
