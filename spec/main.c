/* main.c — cairn-spec: the command line into struct spec_opts, the config
 * built by config.c, written to stdout or atomically to -o FILE.  The only
 * place that prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "spec.h"

static const char usage[] =
    "Usage: cairn-spec [--image-config FILE|-] [FLAGS] [--] [COMMAND [ARG...]] > config.json\n"
    "       cairn-spec --default\n"
    "\n"
    "Writes an OCI runtime config.json (runtime-spec 1.1) for an image config\n"
    "(`cairn-image config REF` or `skopeo inspect --config`) and docker-run-like\n"
    "flags, with docker's defaults: 14 capabilities, masked and read-only /proc\n"
    "paths, default seccomp profile, default mounts and device rules.\n"
    "\n"
    "Input and output:\n"
    "  --image-config FILE|-   image config JSON (\"-\": stdin)\n"
    "  --rootfs DIR            root.path, and where -u names are resolved\n"
    "  -o, --output FILE       write FILE atomically instead of stdout\n"
    "  --default               a default config (command sh), like `runc spec`\n"
    "  --help                  this text\n"
    "Process:\n"
    "  --entrypoint CMD        replace the image's Entrypoint (and drop its Cmd)\n"
    "  -e, --env K=V|K         set (or pass through) a variable; --env-file FILE\n"
    "  -w, --workdir DIR       working directory (default: image's, or /)\n"
    "  -u, --user U[:G]        user and group, names or numbers; --group-add G\n"
    "  -t, --tty               allocate a terminal (and TERM=xterm)\n"
    "  --ulimit NAME=S[:H]     rlimits (none given: the caller's limits apply)\n"
    "  --oom-score-adj N       -1000..1000\n"
    "  --init                  run cairn-init as pid 1 (--init-path PATH; default:\n"
    "                          cairn-init beside this binary), bound at /dev/init\n"
    "Mounts:\n"
    "  -v, --volume SRC:DST[:OPTS]  bind a host path or named volume (ro, rw,\n"
    "                          [r]private, [r]shared, [r]slave)\n"
    "  --tmpfs DST[:OPTS]      a tmpfs (noexec,nosuid,nodev unless told)\n"
    "  --mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,…]\n"
    "  --read-only             read-only root filesystem\n"
    "  --shm-size SIZE         /dev/shm size (default 64m)\n"
    "  --root DIR              CAIRN_ROOT, where named volumes live\n"
    "Security:\n"
    "  --cap-add CAP, --cap-drop CAP   (ALL allowed)\n"
    "  --privileged            all capabilities and devices, no seccomp, no masks\n"
    "  --security-opt OPT      seccomp=FILE|unconfined, no-new-privileges,\n"
    "                          systempaths=unconfined, apparmor=PROFILE\n"
    "Resources:\n"
    "  -m, --memory SIZE, --memory-swap SIZE|-1, --memory-reservation SIZE\n"
    "  --cpus N, --cpu-shares N, --cpu-period US, --cpu-quota US,\n"
    "  --cpuset-cpus LIST, --cpuset-mems LIST, --pids-limit N\n"
    "  --device HOST[:CTR][:rwm], --sysctl K=V, --cgroups-path PATH\n"
    "Namespaces and metadata:\n"
    "  -h, --hostname NAME     (default: random 12 hex, or the host's with\n"
    "                          --network host)\n"
    "  --netns PATH            join this network namespace\n"
    "  --network host|none     (default: a new, empty network namespace)\n"
    "  --ipc, --pid, --uts host|private|PATH;  --cgroupns host|private\n"
    "  -l, --label K=V         an annotation\n"
    "  --stop-signal SIG       annotation org.opencontainers.image.stopSignal\n";

enum {
  O_IMAGE = 256,
  O_ROOTFS,
  O_DEFAULT,
  O_HELP,
  O_ENTRYPOINT,
  O_ENV_FILE,
  O_GROUP_ADD,
  O_ULIMIT,
  O_OOM,
  O_INIT,
  O_INIT_PATH,
  O_TMPFS,
  O_MOUNT,
  O_READ_ONLY,
  O_SHM,
  O_ROOT,
  O_CAP_ADD,
  O_CAP_DROP,
  O_PRIV,
  O_SECOPT,
  O_SWAP,
  O_RESV,
  O_CPUS,
  O_CPU_SHARES,
  O_CPU_PERIOD,
  O_CPU_QUOTA,
  O_CPUSET,
  O_CPUSET_MEMS,
  O_PIDS,
  O_DEVICE,
  O_SYSCTL,
  O_CGPATH,
  O_NETNS,
  O_NETWORK,
  O_IPC,
  O_PID,
  O_UTS,
  O_CGNS,
  O_STOPSIG,
};

static const struct option longopts[] = {
    {"image-config", required_argument, NULL, O_IMAGE},
    {"rootfs", required_argument, NULL, O_ROOTFS},
    {"output", required_argument, NULL, 'o'},
    {"default", no_argument, NULL, O_DEFAULT},
    {"help", no_argument, NULL, O_HELP},
    {"entrypoint", required_argument, NULL, O_ENTRYPOINT},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, O_ENV_FILE},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"group-add", required_argument, NULL, O_GROUP_ADD},
    {"tty", no_argument, NULL, 't'},
    {"ulimit", required_argument, NULL, O_ULIMIT},
    {"oom-score-adj", required_argument, NULL, O_OOM},
    {"init", no_argument, NULL, O_INIT},
    {"init-path", required_argument, NULL, O_INIT_PATH},
    {"volume", required_argument, NULL, 'v'},
    {"tmpfs", required_argument, NULL, O_TMPFS},
    {"mount", required_argument, NULL, O_MOUNT},
    {"read-only", no_argument, NULL, O_READ_ONLY},
    {"shm-size", required_argument, NULL, O_SHM},
    {"root", required_argument, NULL, O_ROOT},
    {"cap-add", required_argument, NULL, O_CAP_ADD},
    {"cap-drop", required_argument, NULL, O_CAP_DROP},
    {"privileged", no_argument, NULL, O_PRIV},
    {"security-opt", required_argument, NULL, O_SECOPT},
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, O_SWAP},
    {"memory-reservation", required_argument, NULL, O_RESV},
    {"cpus", required_argument, NULL, O_CPUS},
    {"cpu-shares", required_argument, NULL, O_CPU_SHARES},
    {"cpu-period", required_argument, NULL, O_CPU_PERIOD},
    {"cpu-quota", required_argument, NULL, O_CPU_QUOTA},
    {"cpuset-cpus", required_argument, NULL, O_CPUSET},
    {"cpuset-mems", required_argument, NULL, O_CPUSET_MEMS},
    {"pids-limit", required_argument, NULL, O_PIDS},
    {"device", required_argument, NULL, O_DEVICE},
    {"sysctl", required_argument, NULL, O_SYSCTL},
    {"cgroups-path", required_argument, NULL, O_CGPATH},
    {"hostname", required_argument, NULL, 'h'},
    {"netns", required_argument, NULL, O_NETNS},
    {"network", required_argument, NULL, O_NETWORK},
    {"net", required_argument, NULL, O_NETWORK},
    {"ipc", required_argument, NULL, O_IPC},
    {"pid", required_argument, NULL, O_PID},
    {"uts", required_argument, NULL, O_UTS},
    {"cgroupns", required_argument, NULL, O_CGNS},
    {"label", required_argument, NULL, 'l'},
    {"stop-signal", required_argument, NULL, O_STOPSIG},
    {NULL, 0, NULL, 0},
};

static void free_opts(struct spec_opts *o) {
  char ***lists[] = {&o->cmd,           &o->env,     &o->env_files, &o->group_add, &o->ulimits,
                     &o->volumes,       &o->tmpfs,   &o->mounts,    &o->cap_add,   &o->cap_drop,
                     &o->security_opts, &o->devices, &o->sysctls,   &o->labels};
  for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
    strv_free(*lists[i]);
}

/* Returns 0, or -1 with e set; *help set for --help. */
static int parse_args(int argc, char **argv, struct spec_opts *o, int *help, struct err **e) {
  opterr = 0;
  int ch, idx;
  /* '+': stop at the first word that is not a flag, which starts the
   * command; ':' first: report a missing value apart from unknown flags. */
  while ((ch = getopt_long(argc, argv, "+:o:e:w:u:tv:m:h:l:", longopts, &idx)) != -1) {
    const char *a = optarg;
    switch (ch) {
      case O_IMAGE: o->image_config = a; break;
      case O_ROOTFS: o->rootfs = a; break;
      case 'o': o->output = a; break;
      case O_DEFAULT: o->is_default = 1; break;
      case O_HELP: *help = 1; return 0;
      case O_ENTRYPOINT:
        o->entrypoint = a;
        o->entrypoint_set = 1;
        break;
      case 'e': strv_push(&o->env, a); break;
      case O_ENV_FILE: strv_push(&o->env_files, a); break;
      case 'w': o->workdir = a; break;
      case 'u': o->user = a; break;
      case O_GROUP_ADD: strv_push(&o->group_add, a); break;
      case 't': o->tty = 1; break;
      case O_ULIMIT: strv_push(&o->ulimits, a); break;
      case O_OOM: o->oom_score_adj = a; break;
      case O_INIT: o->init = 1; break;
      case O_INIT_PATH: o->init_path = a; break;
      case 'v': strv_push(&o->volumes, a); break;
      case O_TMPFS: strv_push(&o->tmpfs, a); break;
      case O_MOUNT: strv_push(&o->mounts, a); break;
      case O_READ_ONLY: o->read_only = 1; break;
      case O_SHM: o->shm_size = a; break;
      case O_ROOT: o->volume_root = a; break;
      case O_CAP_ADD: strv_push(&o->cap_add, a); break;
      case O_CAP_DROP: strv_push(&o->cap_drop, a); break;
      case O_PRIV: o->privileged = 1; break;
      case O_SECOPT: strv_push(&o->security_opts, a); break;
      case 'm': o->memory = a; break;
      case O_SWAP: o->memory_swap = a; break;
      case O_RESV: o->memory_reservation = a; break;
      case O_CPUS: o->cpus = a; break;
      case O_CPU_SHARES: o->cpu_shares = a; break;
      case O_CPU_PERIOD: o->cpu_period = a; break;
      case O_CPU_QUOTA: o->cpu_quota = a; break;
      case O_CPUSET: o->cpuset_cpus = a; break;
      case O_CPUSET_MEMS: o->cpuset_mems = a; break;
      case O_PIDS: o->pids_limit = a; break;
      case O_DEVICE: strv_push(&o->devices, a); break;
      case O_SYSCTL: strv_push(&o->sysctls, a); break;
      case O_CGPATH: o->cgroups_path = a; break;
      case 'h': o->hostname = a; break;
      case O_NETNS: o->netns = a; break;
      case O_NETWORK: o->network = a; break;
      case O_IPC: o->ipc = a; break;
      case O_PID: o->pid = a; break;
      case O_UTS: o->uts = a; break;
      case O_CGNS: o->cgroupns = a; break;
      case 'l': strv_push(&o->labels, a); break;
      case O_STOPSIG: o->stop_signal = a; break;
      case ':': return err_usage(e, "flag '%s' needs a value", argv[optind - 1]);
      default:
        if (optopt != 0)
          return err_usage(e, "unknown flag '-%c' (see --help)", optopt);
        return err_usage(e, "unknown flag '%s' (see --help)", argv[optind - 1]);
    }
  }
  for (int i = optind; i < argc; i++)
    strv_push(&o->cmd, argv[i]);
  if (o->is_default && o->cmd == NULL && o->image_config == NULL)
    strv_push(&o->cmd, "sh");
  for (int i = 1; i < argc; i++) {
    json_t *t = json_string(argv[i]);
    if (t == NULL)
      return err_usage(e, "argument %d is not valid UTF-8", i);
    json_decref(t);
  }
  return 0;
}

/* The same text as lib's json_dump_pretty (indented, sorted keys, final
 * newline), dumped straight into one buffer: a config is ~25 kB, and
 * jansson's growing string buffer plus a copy cost a tenth of our run. */
static char *dump(const json_t *config, size_t *len) {
  size_t cap = 64 * 1024;
  char *buf = xmalloc(cap);
  for (;;) {
    size_t n = json_dumpb(config, buf, cap - 1, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (n < cap - 1) {
      buf[n] = '\n';
      *len = n + 1;
      return buf;
    }
    cap = n + 2;
    buf = xrealloc(buf, cap);
  }
}

static int emit(const json_t *config, const char *output, struct err **e) {
  size_t len;
  cleanup_free char *text = dump(config, &len);
  if (output != NULL)
    return write_file_atomic(output, text, len, 0644, e);
  if (write_all(STDOUT_FILENO, text, len) < 0)
    return err_set(e, errno, "write stdout");
  return 0;
}

int main(int argc, char **argv) {
  struct spec_opts o = {0};
  struct err *e = NULL;
  int help = 0, rc = 0;
  cleanup_json json_t *config = NULL;
  if (parse_args(argc, argv, &o, &help, &e) < 0)
    goto fail;
  if (help) {
    fputs(usage, stdout);
    goto out;
  }
  config = spec_build(&o, &e);
  if (config == NULL || emit(config, o.output, &e) < 0)
    goto fail;
  goto out;
fail:
  err_print(e, "cairn-spec");
  rc = err_exit_code(e);
  err_free(&e);
out:
  free_opts(&o);
  return rc;
}
