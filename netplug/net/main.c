/* cairn-net — runs CNI plugin chains for containers and manages the
 * network configs (conflists) they come from. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detach.h"
#include "journal.h"
#include "mem.h"
#include "net.h"

static const struct {
  const char *name;
  int (*fn)(struct netctx *, int, char **, struct err **);
  const char *summary;
} cmds[] = {
    {"add", cmd_add,
     "NETWORK CONTAINERID NETNS [--ifname IF] [--port [IP:]HOST:CTR[/PROTO]]… [--ip IP]… [--args "
     "K=V;…]: attach"},
    {"del", cmd_del,
     "NETWORK CONTAINERID NETNS [--ifname IF]: detach (succeeds when already detached)"},
    {"check", cmd_check, "NETWORK CONTAINERID NETNS [--ifname IF]: verify an attachment"},
    {"create", cmd_create,
     "NAME [--subnet CIDR [--subnet CIDR6]] [--gateway IP] [--ip-range CIDR] [--internal] "
     "[--bridge NAME] "
     "[--mtu N] [--aux-address IP]… [--id ID]: add a network (aux addresses are never handed "
     "out; ID: its docker id in events, 64 hex digits)"},
    {"ls", cmd_ls, "[--format json] [-q]: list networks"},
    {"inspect", cmd_inspect, "NAME…: print networks' configs as JSON"},
    {"rm", cmd_rm, "NAME… [--force]: remove networks"},
};

static void usage(FILE *f) {
  fprintf(f, "Usage: cairn-net [--root DIR] [--config-dir DIR] [--cache-dir DIR] COMMAND …\n\n"
             "Runs CNI plugin chains (conflists in $CAIRN_ROOT/net.d) for containers.\n\n");
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
    fprintf(f, "  %-7s %s\n", cmds[i].name, cmds[i].summary);
  fprintf(f,
          "\nEnvironment: CAIRN_ROOT (/var/lib/cairn), CAIRN_RUN (/run/cairn), CNI_PATH\n"
          "(default: next to cairn-net, ../libexec/cairn/cni, /usr/lib/cni, /opt/cni/bin),\n"
          "CAIRN_EVENTS (the event journal; default $CAIRN_ROOT/events.jsonl, empty: none).\n"
          "The network \"cairn\" (bridge cairn0, 10.88.0.0/16, port mapping) exists by default.\n");
}

/* Our plugins sit next to us in a build tree and in ../libexec/cairn/cni
 * once installed; the reference plugins' usual homes come after. */
static char *default_cni_path(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0)
    return xstrdup("/usr/local/libexec/cairn/cni:/usr/lib/cni:/opt/cni/bin");
  exe[n] = '\0';
  char *dir = dirname(exe);
  return xasprintf("%s:%s/../libexec/cairn/cni:/usr/lib/cni:/opt/cni/bin", dir, dir);
}

static const char *env_or(const char *k, const char *def) {
  const char *v = getenv(k);
  return v != NULL && *v != '\0' ? v : def;
}

int main(int argc, char **argv) {
  detach_args(argc, argv);
  static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
                                       {"config-dir", required_argument, NULL, 'c'},
                                       {"cache-dir", required_argument, NULL, 'C'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *root = env_or("CAIRN_ROOT", "/var/lib/cairn");
  const char *run = env_or("CAIRN_RUN", "/run/cairn");
  const char *config_dir = NULL, *cache_dir = NULL;
  int o;
  /* "+": stop at the command; its own options are its business. */
  while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (o) {
      case 'r': root = optarg; break;
      case 'c': config_dir = optarg; break;
      case 'C': cache_dir = optarg; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[optind];
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    if (strcmp(cmd, cmds[i].name) != 0)
      continue;
    for (int k = optind + 1; k < argc; k++)
      if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
        printf("Usage: cairn-net %s %s\n", cmds[i].name, cmds[i].summary);
        return 0;
      }
    struct netctx c = {
        .config_dir = config_dir ? xstrdup(config_dir) : xasprintf("%s/net.d", root),
        .cache_dir = cache_dir ? xstrdup(cache_dir) : xasprintf("%s/net/results", run),
        .run_dir = xstrdup(run),
        .cni_path = getenv("CNI_PATH") && *getenv("CNI_PATH") ? xstrdup(getenv("CNI_PATH"))
                                                              : default_cni_path(),
        .events = journal_path(root),
    };
    struct err *e = NULL;
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0; /* 0: GNU getopt starts over (state of the "+" scan included) */
    int rc = cmds[i].fn(&c, sub_argc, sub_argv, &e);
    free(c.config_dir);
    free(c.cache_dir);
    free(c.run_dir);
    free(c.cni_path);
    free(c.events);
    if (rc < 0) {
      err_print(e, "cairn-net");
      rc = err_exit_code(e);
      err_free(&e);
      return rc;
    }
    return 0;
  }
  fprintf(stderr, "cairn-net: unknown command '%s' (see cairn-net --help)\n", cmd);
  return 2;
}
