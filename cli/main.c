/* cairn — a docker-compatible CLI with no daemon.
 *
 * main() reads the global flags and cairn.json, looks the command up in
 * a table (docker's `container X` and `image X` forms included), runs it,
 * prints its error once and picks the exit code. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"

struct cairn C;

struct command {
  const char *name;
  cmd_fn fn;
  const char *summary;
  int failure_code; /* exit code when the command fails */
};

/* Containers: `cairn X` and `cairn container X`. */
static const struct command container_cmds[] = {
    {"run", cmd_run, "create and run a new container from an image", EXIT_CAIRN},
    {"create", cmd_create, "create a new container", EXIT_CAIRN},
    {"start", cmd_start, "start one or more stopped containers", 1},
    {"ps", cmd_ps, "list containers", 1},
    {"ls", cmd_ps, NULL, 1},
    {"list", cmd_ps, NULL, 1},
    {"logs", cmd_logs, "fetch the logs of a container", 1},
    {"stop", cmd_stop, "stop one or more running containers", 1},
    {"kill", cmd_kill, "kill one or more running containers", 1},
    {"restart", cmd_restart, "restart one or more containers", 1},
    {"rm", cmd_rm, "remove one or more containers", 1},
    {"remove", cmd_rm, NULL, 1},
    {"wait", cmd_wait, "block until containers stop, then print their exit codes", 1},
    {"inspect", cmd_inspect, "display detailed information on containers", 1},
    {"exec", cmd_exec, "run a command in a running container", 1},
    {"port", cmd_port, "list port mappings of a container", 1},
    {"attach", cmd_attach, "attach to a running container's streams", 1},
    {"pause", cmd_pause, "pause all processes within containers", 1},
    {"unpause", cmd_unpause, "unpause all processes within containers", 1},
    {"top", cmd_top, "display the running processes of a container", 1},
    {"cp", cmd_cp, "copy files between a container and the local filesystem", 1},
    {"export", cmd_export, "export a container's filesystem as a tar archive", 1},
    {"rename", cmd_rename, "rename a container", 1},
    {"prune", cmd_prune, "remove all stopped containers", 1},
    {"cleanup", cmd_cleanup, NULL, 1},
    {"commit", cmd_commit, "create a new image from a container's changes", 1},
    {"diff", cmd_diff, "inspect changes to files on a container's filesystem", 1},
    {"update", cmd_update, "update configuration of one or more containers", 1},
    {"stats", cmd_stats, "display a live stream of containers' resource usage", 1},
};

/* Images: handed to cairn-image. */
static const struct command image_cmds[] = {
    {"ls", cmd_images, "list images", 1},
    {"list", cmd_images, NULL, 1},
    {"pull", cmd_pull, "download an image from a registry", 1},
    {"push", cmd_push, "upload an image to a registry", 1},
    {"rm", cmd_rmi, "remove one or more images", 1},
    {"remove", cmd_rmi, NULL, 1},
    {"inspect", cmd_image_pass, "display detailed information on images", 1},
    {"tag", cmd_tag, "create a tag that refers to an image", 1},
    {"history", cmd_image_pass, "show the history of an image", 1},
    {"prune", cmd_image_prune, "remove unused images", 1},
    {"load", cmd_image_pass, "load images from a tar archive", 1},
    {"save", cmd_image_pass, "save images to a tar archive", 1},
    {"import", cmd_import, "make an image from a rootfs tarball", 1},
    {"build", cmd_build, "build an image from a Dockerfile", 1},
};

/* Top-level names that are not `container X` ones. */
static const struct command top_cmds[] = {
    {"images", cmd_images, "list images", 1},
    {"pull", cmd_pull, "download an image from a registry", 1},
    {"push", cmd_push, "upload an image to a registry", 1},
    {"rmi", cmd_rmi, "remove one or more images", 1},
    {"tag", cmd_tag, "create a tag that refers to an image", 1},
    {"history", cmd_image_pass, "show the history of an image", 1},
    {"load", cmd_image_pass, "load images from a tar archive", 1},
    {"save", cmd_image_pass, "save images to a tar archive", 1},
    {"import", cmd_import, "make an image from a rootfs tarball", 1},
    {"build", cmd_build, "build an image from a Dockerfile", 1},
    {"builder", cmd_builder, NULL, 1},
    {"login", cmd_image_pass, "log in to a registry", 1},
    {"logout", cmd_image_pass, "log out from a registry", 1},
    {"search", cmd_search, "search a registry's catalog for images", 1},
    {"inspect", cmd_inspect, "low-level information on cairn objects", 1},
    {"info", cmd_info, "display system-wide information", 1},
    {"version", cmd_version, "show the version of cairn and its tools", 1},
    {"events", cmd_events, "get real time events", 1},
    {"volume", cmd_volume, NULL, 1},
    {"network", cmd_network, NULL, 1},
    {"system", cmd_system, NULL, 1},
};

#define N(a) (sizeof a / sizeof a[0])

static void usage(FILE *f) {
  fprintf(f, "Usage: cairn [OPTIONS] COMMAND [ARG...]\n\n"
             "A docker-compatible container tool with no daemon.\n\n"
             "Options:\n"
             "  --root DIR        persistent state (default $CAIRN_ROOT or /var/lib/cairn)\n"
             "  --run DIR         runtime state (default $CAIRN_RUN or /run/cairn)\n"
             "  --config FILE     cairn.json (default $CAIRN_CONFIG or /etc/cairn/cairn.json)\n"
             "  --runtime NAME    default OCI runtime (runc, crun, cairn-runtime or a path)\n"
             "  --cni-path DIRS   where CNI plugins are looked up\n"
             "  -D, --debug       print every tool command cairn runs\n\n"
             "Commands:\n");
  for (size_t i = 0; i < N(container_cmds); i++)
    if (container_cmds[i].summary != NULL && strcmp(container_cmds[i].name, "prune") != 0)
      fprintf(f, "  %-9s %s\n", container_cmds[i].name, container_cmds[i].summary);
  for (size_t i = 0; i < N(top_cmds); i++)
    if (top_cmds[i].summary != NULL)
      fprintf(f, "  %-9s %s\n", top_cmds[i].name, top_cmds[i].summary);
  fprintf(f, "\nManagement commands:\n"
             "  container  manage containers (ls, run, rm, prune, …)\n"
             "  image      manage images (ls, pull, rm, …)\n"
             "  network    manage networks (create, ls, inspect, rm, prune, connect, …)\n"
             "  system     manage cairn (df, events, info, prune)\n"
             "  volume     manage volumes (create, ls, inspect, rm, prune)\n\n"
             "Run 'cairn COMMAND --help' for more information on a command.\n");
}

static const struct command *find(const struct command *t, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0)
      return &t[i];
  return NULL;
}

int usage_print(const char *text) {
  fputs(text, stdout);
  return 0;
}

int parse_int(const char *s, long lo, long hi, long *out) {
  if (s == NULL || *s == '\0')
    return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

char *signal_normalize(const char *s, struct err **e) {
  long n;
  if (parse_int(s, 1, 64, &n) == 0)
    return xasprintf("%ld", n);
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (int sig = 1; sig < NSIG; sig++) {
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev != NULL && strcasecmp(abbrev, name) == 0)
      return xasprintf("SIG%s", abbrev);
  }
  err_usage(e, "invalid signal: %s", s);
  return NULL;
}

static int setup(const char *root, const char *run, const char *conf, const char *runtime,
                 const char *cni, struct err **e) {
  C.conf_path = conf ? conf : getenv("CAIRN_CONFIG");
  if (C.conf_path == NULL || *C.conf_path == '\0')
    C.conf_path = "/etc/cairn/cairn.json";
  if (access(C.conf_path, F_OK) == 0) {
    C.conf = json_load_path(C.conf_path, e);
    if (C.conf == NULL)
      return -1;
    if (!json_is_object(C.conf))
      return err_usage(e, "%s: not a JSON object", C.conf_path);
  } else {
    C.conf = json_object();
  }
  const char *croot = json_get_str(C.conf, "root"), *crun = json_get_str(C.conf, "run");
  C.root = root                                            ? root
           : getenv("CAIRN_ROOT") && *getenv("CAIRN_ROOT") ? getenv("CAIRN_ROOT")
           : croot                                         ? croot
                                                           : "/var/lib/cairn";
  C.run = run                                           ? run
          : getenv("CAIRN_RUN") && *getenv("CAIRN_RUN") ? getenv("CAIRN_RUN")
          : crun                                        ? crun
                                                        : "/run/cairn";
  if (C.root[0] != '/' || C.run[0] != '/')
    return err_usage(e, "--root and --run take absolute paths");
  C.runtime = runtime ? runtime : json_get_str(C.conf, "runtime");
  if (C.runtime == NULL)
    C.runtime = "cairn-runtime";
  C.cgroup_parent = json_get_str(C.conf, "cgroupParent");
  if (C.cgroup_parent == NULL)
    C.cgroup_parent = "/cairn";
  C.network = json_get_str(C.conf, "network");
  if (C.network == NULL)
    C.network = "cairn";
  if (cni == NULL)
    cni = json_get_str(C.conf, "cniPath");
  /* every tool cairn runs sees the same roots */
  setenv("CAIRN_ROOT", C.root, 1);
  setenv("CAIRN_RUN", C.run, 1);
  setenv("CAIRN_CONFIG", C.conf_path, 1);
  if (cni != NULL)
    setenv("CNI_PATH", cni, 1);
  /* the journal's cap for every writer: cairn, the shim and the tools */
  json_t *cap = json_object_get(C.conf, "eventsMaxSize");
  if (json_is_integer(cap) && json_integer_value(cap) > 0) {
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(cap));
    setenv("CAIRN_EVENTS_MAX_SIZE", num, 1);
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    C.self_exe = xstrdup(self);
    C.self_dir = xstrdup(dirname(self));
  } else {
    C.self_exe = xstrdup("cairn");
  }
  return 0;
}

static int run_command(const struct command *cmd, int argc, char **argv) {
  struct err *e = NULL;
  int r = cmd->fn(argc, argv, &e);
  if (r >= 0)
    return r;
  if (e == NULL)
    return cmd->failure_code;
  err_show(e);
  int code = e->code == ERR_USAGE ? EXIT_CAIRN : cmd->failure_code;
  err_free(&e);
  return code;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
                                       {"run", required_argument, NULL, 'R'},
                                       {"config", required_argument, NULL, 'c'},
                                       {"runtime", required_argument, NULL, 't'},
                                       {"cni-path", required_argument, NULL, 'n'},
                                       {"debug", no_argument, NULL, 'D'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"version", no_argument, NULL, 'v'},
                                       {NULL, 0, NULL, 0}};
  const char *root = NULL, *run = NULL, *conf = NULL, *runtime = NULL, *cni = NULL;
  int ch;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+Dhv", opts, NULL)) != -1) {
    switch (ch) {
      case 'r': root = optarg; break;
      case 'R': run = optarg; break;
      case 'c': conf = optarg; break;
      case 't': runtime = optarg; break;
      case 'n': cni = optarg; break;
      case 'D': C.debug = 1; break;
      case 'h': usage(stdout); return 0;
      case 'v': printf("cairn version 0.1\n"); return 0;
      default:
        fprintf(stderr, "cairn: unknown flag: %s\nSee 'cairn --help'.\n", argv[optind - 1]);
        return EXIT_CAIRN;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return EXIT_CAIRN;
  }
  struct err *e = NULL;
  if (setup(root, run, conf, runtime, cni, &e) < 0) {
    err_print(e, "cairn");
    err_free(&e);
    return EXIT_CAIRN;
  }
  int nargc = argc - optind;
  char **nargv = argv + optind;
  const char *name = nargv[0];
  const struct command *cmd = NULL;
  if (strcmp(name, "container") == 0 || strcmp(name, "image") == 0) {
    bool img = name[0] == 'i';
    if (nargc < 2 || strcmp(nargv[1], "--help") == 0) {
      const struct command *t = img ? image_cmds : container_cmds;
      size_t n = img ? N(image_cmds) : N(container_cmds);
      printf("Usage: cairn %s COMMAND\n\nCommands:\n", name);
      for (size_t i = 0; i < n; i++)
        if (t[i].summary != NULL)
          printf("  %-9s %s\n", t[i].name, t[i].summary);
      return nargc < 2 ? EXIT_CAIRN : 0;
    }
    cmd = img ? find(image_cmds, N(image_cmds), nargv[1])
              : find(container_cmds, N(container_cmds), nargv[1]);
    if (cmd == NULL) {
      fprintf(stderr, "cairn: '%s %s' is not a cairn command\nSee 'cairn %s --help'.\n", name,
              nargv[1], name);
      return EXIT_CAIRN;
    }
    nargc--;
    nargv++;
  } else {
    cmd = find(top_cmds, N(top_cmds), name);
    if (cmd == NULL && strcmp(name, "prune") != 0)
      cmd = find(container_cmds, N(container_cmds), name);
  }
  if (cmd == NULL) {
    fprintf(stderr, "cairn: '%s' is not a cairn command\nSee 'cairn --help'.\n", name);
    return EXIT_CAIRN;
  }
  int code = run_command(cmd, nargc, nargv);
  if (fflush(stdout) == EOF && code == 0)
    code = 1;
  return code;
}
