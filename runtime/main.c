/* cairn-runtime — an OCI runtime with runc's command line.
 *
 * main() is the dispatch table: global flags, find the command, run it,
 * print its error once (and to --log), return its exit code. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "runtime.h"

static const struct command {
  const char *name;
  rt_cmd_fn fn;
  int selfexe; /* enters a container: see rt_protect (CVE-2019-5736) */
  const char *summary;
} commands[] = {
    {"create", cmd_create, 1, "create a container"},
    {"start", cmd_start, 0, "start the process of a created container"},
    {"run", cmd_run, 1, "create and start a container"},
    {"state", cmd_state, 0, "print the state of a container as JSON"},
    {"kill", cmd_kill, 0, "send a signal to the container's init process (or all of them)"},
    {"delete", cmd_delete, 0, "delete a container and what the runtime made for it"},
    {"exec", cmd_exec, 1, "run a new process in a running container"},
    {"list", cmd_list, 0, "list containers"},
    {"ps", cmd_ps, 0, "list the processes of a container"},
    {"pause", cmd_pause, 0, "freeze every process of a container"},
    {"resume", cmd_resume, 0, "thaw a paused container"},
    {"update", cmd_update, 0, "change the resource limits of a container"},
    {"events", cmd_events, 0, "print container statistics (--stats)"},
    {"spec", cmd_spec, 0, "write a default config.json"},
    {"features", cmd_features, 0, "print what this runtime supports, as JSON"},
};

static void usage(FILE *f) {
  fprintf(f, "Usage: " RT_NAME " [global flags] COMMAND [flags] [ID] [args]\n\n"
             "An OCI runtime (runtime-spec " RT_OCI_VERSION ") with runc's command line.\n\n"
             "Commands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nGlobal flags:\n"
             "  --root DIR          state directory (default " RT_DEFAULT_ROOT ")\n"
             "  --log FILE          also write errors (and --debug lines) to FILE\n"
             "  --log-format FMT    text (default) or json, one object per line, as runc\n"
             "  --debug             log what the runtime does\n"
             "  --systemd-cgroup    read linux.cgroupsPath as \"slice:prefix:name\" and use the\n"
             "                      cgroupfs path /slice/prefix-name.scope (no systemd calls)\n"
             "  --rootless VALUE    accepted for runc compatibility; ignored\n"
             "  -v, --version       print the version\n"
             "  -h, --help          this help\n\n"
             "Run '" RT_NAME " COMMAND --help' for a command's flags.\n");
}

int main(int argc, char **argv) {
  struct rt_opts g = {.root = RT_DEFAULT_ROOT};
  static const struct option longopts[] = {{"root", required_argument, NULL, 'r'},
                                           {"log", required_argument, NULL, 'l'},
                                           {"log-format", required_argument, NULL, 'f'},
                                           {"debug", no_argument, NULL, 'd'},
                                           {"systemd-cgroup", no_argument, NULL, 's'},
                                           {"rootless", required_argument, NULL, 'R'},
                                           {"criu", required_argument, NULL, 'C'},
                                           {"version", no_argument, NULL, 'v'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  opterr = 0;
  int c;
  while ((c = getopt_long_only(argc, argv, "+vh", longopts, NULL)) != -1) {
    switch (c) {
      case 'r': g.root = optarg; break;
      case 'l': g.log_path = optarg; break;
      case 'f':
        if (strcmp(optarg, "json") == 0)
          g.log_json = 1;
        else if (strcmp(optarg, "text") != 0) {
          fprintf(stderr, RT_NAME ": --log-format: expected text or json, got '%s'\n", optarg);
          return 2;
        }
        break;
      case 'd': g.debug = 1; break;
      case 's': g.systemd_cgroup = 1; break;
      case 'R':
      case 'C': break;
      case 'v': printf(RT_NAME " version " RT_VERSION "\nspec: " RT_OCI_VERSION "\n"); return 0;
      case 'h': usage(stdout); return 0;
      default: fprintf(stderr, RT_NAME ": unknown global flag '%s'\n", argv[optind - 1]); return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[optind];
  const struct command *cmd = NULL;
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(commands[i].name, name) == 0)
      cmd = &commands[i];
  if (cmd == NULL) {
    fprintf(stderr, RT_NAME ": unknown command '%s' (see --help)\n", name);
    return 2;
  }
  log_open(&g);
  log_debug("%s: start", name);
  struct err *e = NULL;
  if (cmd->selfexe) {
    /* Until the container's program runs, no process of the container
     * may open our /proc files, exe among them (CVE-2019-5736): the
     * children we clone into its namespaces inherit this. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    g.argv = argv;
    g.exe_protected = selfexe_protected();
  }
  /* commands parse their own flags, with their name as argv[0] */
  int first = optind;
  optind = 0;
  int rc = cmd->fn(&g, argc - first, argv + first, &e);
  if (rc < 0) {
    log_error(e ? e->msg : "unknown error");
    err_print(e, RT_NAME);
    rc = err_exit_code(e);
    err_free(&e);
  }
  return rc;
}
