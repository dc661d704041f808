/* cmd_exec.c — `cairn exec`: a process in a running container's
 * namespaces, through the runtime's own `exec` (runc's command line):
 *
 *   RUNTIME --root $RUN/runtime exec [--tty] [--detach] [--cwd D]
 *           [--env K=V]… [--user UID:GID] ID CMD…
 *
 * The runtime takes the rest of the process (environment, capabilities,
 * working directory) from the container's config.json.  cairn waits for
 * the runtime (the terminal is the process's own, signals to cairn are
 * passed on) to journal exec_die with the exit code, which it returns;
 * with -d it replaces itself with the runtime.  Before that it checks that the command exists in the
 * container, for docker's 127 and a clear message. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

static const char exec_help[] = "Usage: cairn exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
                                "Run a command in a running container.\n\n"
                                "Options:\n"
                                "  -d, --detach          run the command in the background\n"
                                "  -e, --env K=V         set an environment variable\n"
                                "  -i, --interactive     keep STDIN open\n"
                                "  -t, --tty             allocate a pseudo-TTY\n"
                                "  -u, --user U[:G]      user name or uid, and group\n"
                                "  -w, --workdir DIR     working directory\n";

/* NAME or NUMBER in a passwd/group file of the rootfs: field 3 (and 4). */
static int lookup(const char *rootfs, const char *file, const char *who, long *id, long *gid) {
  struct err *e = NULL;
  cleanup_free char *p = path_in_root(rootfs, file, &e);
  err_free(&e);
  cleanup_free char *text = p ? read_file(p, 1 << 22, NULL, NULL) : NULL;
  char *save = NULL;
  for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
    char *f[5] = {NULL};
    char *s2 = NULL;
    int n = 0;
    for (char *t = strtok_r(l, ":", &s2); t && n < 5; t = strtok_r(NULL, ":", &s2))
      f[n++] = t;
    if (n < 3 || strcmp(f[0], who) != 0)
      continue;
    *id = atol(f[2]);
    if (gid != NULL)
      *gid = n >= 4 ? atol(f[3]) : 0;
    return 0;
  }
  return -1;
}

static char *user_arg(const char *rootfs, const char *spec, struct err **e) {
  cleanup_free char *u = xstrdup(spec);
  char *colon = strchr(u, ':');
  const char *g = NULL;
  if (colon != NULL) {
    *colon = '\0';
    g = colon + 1;
  }
  long uid, gid = 0;
  if (parse_int(u, 0, 0xffffffffL, &uid) < 0 && lookup(rootfs, "/etc/passwd", u, &uid, &gid) < 0) {
    err_set(e, 0, "unable to find user %s: no matching entries in passwd file", u);
    return NULL;
  }
  if (g != NULL && parse_int(g, 0, 0xffffffffL, &gid) < 0 &&
      lookup(rootfs, "/etc/group", g, &gid, NULL) < 0) {
    err_set(e, 0, "unable to find group %s: no matching entries in group file", g);
    return NULL;
  }
  return xasprintf("%ld:%ld", uid, gid);
}

/* Whether cmd resolves to an executable in the container (its PATH). */
static int check_cmd(const char *rootfs, const char *cmd, const json_t *env, struct err **e) {
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s != NULL && strncmp(s, "PATH=", 5) == 0)
      path = s + 5;
  }
  struct err *pe = NULL;
  if (strchr(cmd, '/') != NULL) {
    cleanup_free char *p = path_in_root(rootfs, cmd, &pe);
    err_free(&pe);
    struct stat st;
    if (p == NULL || stat(p, &st) < 0)
      return err_setc(e, ERR_NOTFOUND, 0, "exec: \"%s\": stat %s: no such file or directory", cmd,
                      cmd);
    if (S_ISDIR(st.st_mode) || access(p, X_OK) < 0)
      return err_set(e, 0, "exec: \"%s\": permission denied", cmd);
    return 0;
  }
  cleanup_free char *dirs = xstrdup(path);
  char *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    cleanup_free char *full = xasprintf("%s/%s", d, cmd);
    cleanup_free char *p = path_in_root(rootfs, full, &pe);
    err_free(&pe);
    struct stat st;
    if (p != NULL && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
      return 0;
  }
  return err_setc(e, ERR_NOTFOUND, 0, "exec: \"%s\": executable file not found in $PATH", cmd);
}

/* ARGS joined by spaces, as docker prints them in the action. */
static char *join_args(char *const *args) {
  cleanup_free char *out = xstrdup("");
  for (size_t i = 0; args[i] != NULL; i++) {
    char *n = xasprintf("%s%s%s", out, i ? " " : "", args[i]);
    free(out);
    out = n;
  }
  return steal_ptr(&out);
}

/* Run av in the foreground and return its status as a shell has it (code,
 * or 128 + signal).  While it runs, the keyboard's SIGINT and SIGQUIT (sent
 * to the whole process group) are its business, and SIGTERM and SIGHUP sent
 * to cairn are passed on, so cairn stays to journal the exit. */
static int run_waiting(char *const *av, struct err **e) {
  pid_t pid = fork();
  if (pid < 0)
    return err_set(e, errno, "fork");
  if (pid == 0) {
    execv(av[0], av);
    fprintf(stderr, "cairn: exec '%s': %s\n", av[0], strerror(errno));
    _exit(EXIT_CANNOT_INVOKE);
  }
  static const int pass[] = {SIGTERM, SIGHUP};
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < 2; i++)
    sigaddset(&set, pass[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oquit;
  sigaction(SIGINT, &ign, &oint);
  sigaction(SIGQUIT, &ign, &oquit);
  int status = 0;
  for (;;) {
    struct timespec tick = {0, 100 * 1000 * 1000};
    siginfo_t si;
    int sig = sigtimedwait(&set, &si, &tick);
    if (sig > 0)
      kill(pid, sig);
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid)
      break;
    if (w < 0 && errno != EINTR) {
      status = 0;
      break;
    }
  }
  sigaction(SIGINT, &oint, NULL);
  sigaction(SIGQUIT, &oquit, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int cmd_exec(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"detach", no_argument, NULL, 'd'},
                                       {"interactive", no_argument, NULL, 'i'},
                                       {"tty", no_argument, NULL, 't'},
                                       {"env", required_argument, NULL, 'e'},
                                       {"workdir", required_argument, NULL, 'w'},
                                       {"user", required_argument, NULL, 'u'},
                                       {"privileged", no_argument, NULL, 'P'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  bool detach = false, interactive = false, tty = false;
  const char *workdir = NULL, *user = NULL;
  cleanup_strv char **env = NULL;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+dite:w:u:", opts, NULL)) != -1) {
    switch (ch) {
      case 'd': detach = true; break;
      case 'i': interactive = true; break;
      case 't': tty = true; break;
      case 'e': strv_push(&env, optarg); break;
      case 'w': workdir = optarg; break;
      case 'u': user = optarg; break;
      case 'P': break;
      case 'H': return usage_print(exec_help);
      default: return err_usage(e, "unknown flag: %s (see 'cairn exec --help')", argv[optind - 1]);
    }
  }
  if (argc - optind < 2)
    return err_usage(e, "\"cairn exec\" requires at least 2 arguments");
  cleanup_json json_t *c = ctr_find(argv[optind], e);
  if (c == NULL)
    return -1;
  const char *id = json_get_str(c, "id");
  struct ctr_state st;
  ctr_state_get(c, &st);
  bool running = st.status == ST_RUNNING;
  ctr_state_free(&st);
  if (!running)
    return err_set(e, 0, "container %.12s is not running", id);
  cleanup_free char *rootfs = ctr_file(id, "bundle/rootfs");
  if (check_cmd(rootfs, argv[optind + 1], json_get_arr(json_get_obj(c, "config"), "Env"), e) < 0) {
    fprintf(stderr, "cairn: %s\n", (*e)->msg);
    int code = (*e)->code == ERR_NOTFOUND ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
    err_free(e);
    return code;
  }
  cleanup_free char *uid = NULL;
  if (user != NULL && (uid = user_arg(rootfs, user, e)) == NULL)
    return -1;
  cleanup_free char *rt = runtime_path(json_get_str(c, "runtime"), e);
  if (rt == NULL)
    return -1;
  cleanup_free char *root = runtime_root();
  cleanup_strv char **av = NULL;
  const char *head[] = {rt, "--root", root, "exec"};
  for (size_t i = 0; i < 4; i++)
    strv_push(&av, head[i]);
  if (tty)
    strv_push(&av, "--tty");
  if (detach)
    strv_push(&av, "--detach");
  if (workdir != NULL) {
    strv_push(&av, "--cwd");
    strv_push(&av, workdir);
  }
  for (size_t i = 0; env && env[i]; i++) {
    strv_push(&av, "--env");
    if (strchr(env[i], '=') == NULL) { /* -e K: the caller's value */
      const char *v = getenv(env[i]);
      if (v == NULL)
        continue;
      cleanup_free char *kv = xasprintf("%s=%s", env[i], v);
      strv_push(&av, kv);
    } else {
      strv_push(&av, env[i]);
    }
  }
  if (uid != NULL) {
    strv_push(&av, "--user");
    strv_push(&av, uid);
  }
  strv_push(&av, id);
  for (int i = optind + 1; i < argc; i++)
    strv_push(&av, argv[i]);
  debug_cmd((const char *const *)av);
  if (!interactive) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0 && null != 0) {
      dup2(null, 0);
      close(null);
    }
  }
  /* docker's exec events: "exec_create: CMD ARGS", "exec_start: …" and,
   * once the process has ended, exec_die with its exit code */
  char exec_id[65];
  random_id(exec_id);
  cleanup_free char *what = xstrdup(argv[optind + 1]);
  cleanup_free char *args = join_args(argv + optind + 2);
  cleanup_free char *created = xasprintf("exec_create: %s %s", what, args);
  cleanup_free char *started = xasprintf("exec_start: %s %s", what, args);
  event_ctr(c, created, json_pack("{s:s}", "execID", exec_id));
  event_ctr(c, started, json_pack("{s:s}", "execID", exec_id));
  fflush(stdout);
  if (detach) { /* the runtime returns once the process runs: no exit to wait for */
    execv(av[0], av);
    return err_set(e, errno, "exec '%s'", av[0]);
  }
  int code = run_waiting(av, e);
  if (code < 0)
    return -1;
  cleanup_free char *num = xasprintf("%d", code);
  event_ctr(c, "exec_die", json_pack("{s:s,s:s}", "execID", exec_id, "exitCode", num));
  return code;
}
