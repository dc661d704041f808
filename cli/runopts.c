/* runopts.c — docker run's flags.
 *
 * One table says, for every flag, whether cairn keeps it (a field of
 * struct run_opts), forwards it to cairn-spec, or both.  getopt_long runs
 * in "+" mode: flags end at the first word that is not one (the image), as
 * docker's do, so `cairn run img sh -c 'x'` leaves -c to the command. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "mem.h"
#include "runopts.h"

enum kind { K_BOOL, K_STR, K_LIST, K_LONG, K_SPEC };
#define FWD 0x100 /* also forward to cairn-spec */

struct flag {
  const char *lng;
  char shrt;
  int kind;   /* enum kind, maybe | FWD */
  size_t off; /* offset in struct run_opts */
};

#define F(field) offsetof(struct run_opts, field)
static const struct flag flags[] = {
    {"detach", 'd', K_BOOL, F(detach)},
    {"interactive", 'i', K_BOOL, F(interactive)},
    {"tty", 't', K_BOOL | FWD, F(tty)},
    {"rm", 0, K_BOOL, F(rm)},
    {"name", 0, K_STR, F(name)},
    {"publish", 'p', K_LIST, F(ports)},
    {"publish-all", 'P', K_BOOL, F(publish_all)},
    {"env", 'e', K_LIST | FWD, F(env)},
    {"env-file", 0, K_SPEC, 0},
    {"volume", 'v', K_LIST, F(volumes)},
    {"mount", 0, K_LIST, F(mounts)},
    {"workdir", 'w', K_STR | FWD, F(workdir)},
    {"user", 'u', K_STR | FWD, F(user)},
    {"entrypoint", 0, K_STR, F(entrypoint)},
    {"network", 0, K_STR, F(network)},
    {"net", 0, K_STR, F(network)},
    {"network-alias", 0, K_LIST, F(aliases)},
    {"hostname", 'h', K_STR, F(hostname)},
    {"add-host", 0, K_LIST, F(add_hosts)},
    {"dns", 0, K_LIST, F(dns)},
    {"dns-search", 0, K_LIST, F(dns_search)},
    {"dns-option", 0, K_LIST, F(dns_opts)},
    {"link", 0, K_LIST, F(links)},
    {"restart", 0, K_STR, F(restart)},
    {"memory", 'm', K_SPEC, 0},
    {"memory-swap", 0, K_SPEC, 0},
    {"memory-reservation", 0, K_SPEC, 0},
    {"cpus", 0, K_SPEC, 0},
    {"cpu-shares", 'c', K_SPEC, 0},
    {"cpu-period", 0, K_SPEC, 0},
    {"cpu-quota", 0, K_SPEC, 0},
    {"cpuset-cpus", 0, K_SPEC, 0},
    {"cpuset-mems", 0, K_SPEC, 0},
    {"pids-limit", 0, K_SPEC, 0},
    {"read-only", 0, K_BOOL | FWD, F(read_only)},
    {"cap-add", 0, K_SPEC, 0},
    {"cap-drop", 0, K_SPEC, 0},
    {"privileged", 0, K_BOOL | FWD, F(privileged)},
    {"security-opt", 0, K_SPEC, 0},
    {"init", 0, K_BOOL | FWD, F(init)},
    {"label", 'l', K_LIST | FWD, F(labels)},
    {"volumes-from", 0, K_LIST, F(volumes_from)},
    {"ulimit", 0, K_SPEC, 0},
    {"tmpfs", 0, K_SPEC, 0},
    {"device", 0, K_SPEC, 0},
    {"sysctl", 0, K_SPEC, 0},
    {"shm-size", 0, K_SPEC, 0},
    {"group-add", 0, K_SPEC, 0},
    {"oom-score-adj", 0, K_SPEC, 0},
    {"ipc", 0, K_SPEC, 0},
    {"pid", 0, K_SPEC, 0},
    {"uts", 0, K_SPEC, 0},
    {"cgroupns", 0, K_SPEC, 0},
    {"log-opt", 0, K_LIST, 0}, /* handled by name below */
    {"health-cmd", 0, K_STR, F(health_cmd)},
    {"health-interval", 0, K_STR, F(health_interval)},
    {"health-timeout", 0, K_STR, F(health_timeout)},
    {"health-start-period", 0, K_STR, F(health_start_period)},
    {"health-retries", 0, K_LONG, F(health_retries)},
    {"no-healthcheck", 0, K_BOOL, F(no_healthcheck)},
    {"stop-signal", 0, K_STR | FWD, F(stop_signal)},
    {"stop-timeout", 0, K_LONG, F(stop_timeout)},
    {"runtime", 0, K_STR, F(runtime)},
    {"pull", 0, K_STR, F(pull)},
    {"platform", 0, K_STR, F(platform)},
    {"cidfile", 0, K_STR, F(cidfile)},
    {"detach-keys", 0, K_STR, F(detach_keys)},
    {"sig-proxy", 0, K_BOOL, F(sig_proxy)},
    {"attach", 'a', K_LIST, 0}, /* docker attaches all streams anyway */
};
#define NFLAGS (sizeof flags / sizeof flags[0])

const char run_help[] =
    "Usage: cairn run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
    "       cairn create [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
    "\n"
    "Create and run a new container from an image.\n"
    "\n"
    "Options:\n"
    "  -d, --detach             run in the background and print the container ID\n"
    "  -i, --interactive        keep STDIN open\n"
    "  -t, --tty                allocate a pseudo-TTY\n"
    "      --rm                 remove the container when it exits\n"
    "      --name NAME          assign a name\n"
    "  -p, --publish LIST       publish ports: [IP:][HOST:]CTR[/PROTO], ranges\n"
    "  -P, --publish-all        publish every exposed port to a random port\n"
    "  -e, --env K=V            set an environment variable; --env-file FILE\n"
    "  -v, --volume SRC:DST[:ro] bind a host path (absolute) or a named volume\n"
    "      --mount SPEC         type=bind|volume|tmpfs,source=…,target=…\n"
    "  -w, --workdir DIR        working directory\n"
    "  -u, --user U[:G]         user (name or uid) and group\n"
    "      --entrypoint CMD     replace the image's entrypoint\n"
    "      --network NET        bridge (default), host, none, container:X, NAME\n"
    "      --network-alias A    another name on the network\n"
    "  -h, --hostname NAME      the container's host name\n"
    "      --add-host H:IP      an /etc/hosts entry; --dns IP, --dns-search D\n"
    "      --link NAME:ALIAS    reach another container by ALIAS\n"
    "      --restart POLICY     no, always, unless-stopped, on-failure[:N]\n"
    "  -m, --memory SIZE        memory limit; --cpus N, --pids-limit N, …\n"
    "      --read-only          read-only root filesystem\n"
    "      --cap-add/--cap-drop CAP, --privileged, --security-opt OPT\n"
    "      --init               run an init process as pid 1\n"
    "  -l, --label K=V          a label\n"
    "      --ulimit, --tmpfs, --device, --sysctl, --shm-size, --group-add\n"
    "      --log-opt max-size=SIZE,max-file=N\n"
    "      --health-cmd CMD     and --health-interval/-timeout/-retries/-start-period,\n"
    "                           --no-healthcheck\n"
    "      --stop-signal SIG, --stop-timeout N\n"
    "      --runtime NAME|PATH  the OCI runtime (runc, crun, cairn-runtime)\n"
    "      --pull POLICY        always, missing (default), never\n"
    "      --cidfile FILE       write the container ID to FILE\n"
    "      --detach-keys KEYS   detach sequence (default ctrl-p,ctrl-q)\n";

static bool parse_bool(const char *v, bool *out) {
  if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
    *out = true;
    return true;
  }
  if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
    *out = false;
    return true;
  }
  return false;
}

/* --log-opt max-size=10m / max-file=3 (one pair per flag, or comma-separated). */
static int log_opt(struct run_opts *o, const char *v, struct err **e) {
  cleanup_free char *copy = xstrdup(v);
  char *save = NULL;
  for (char *kv = strtok_r(copy, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    if (eq == NULL)
      return err_usage(e, "invalid --log-opt '%s': expected KEY=VALUE", v);
    *eq = '\0';
    if (strcmp(kv, "max-size") == 0) {
      free(o->log_max_size);
      o->log_max_size = xstrdup(eq + 1);
    } else if (strcmp(kv, "max-file") == 0) {
      free(o->log_max_file);
      o->log_max_file = xstrdup(eq + 1);
    } else {
      return err_usage(e, "unknown log opt '%s' for json-file log driver", kv);
    }
  }
  return 0;
}

int run_opts_parse(int argc, char **argv, const char *cmdname, struct run_opts *o, struct err **e) {
  memset(o, 0, sizeof *o);
  o->stop_timeout = -1;
  o->health_retries = -1;
  o->sig_proxy = true;
  struct option lopts[NFLAGS + 2];
  char sopts[3 * NFLAGS + 4];
  size_t ns = 0;
  sopts[ns++] = '+';
  sopts[ns++] = ':';
  for (size_t i = 0; i < NFLAGS; i++) {
    int k = flags[i].kind & 0xff;
    lopts[i] = (struct option){flags[i].lng, k == K_BOOL ? optional_argument : required_argument,
                               NULL, (int)(1000 + i)};
    if (flags[i].shrt) {
      sopts[ns++] = flags[i].shrt;
      if (k != K_BOOL)
        sopts[ns++] = ':';
    }
  }
  lopts[NFLAGS] = (struct option){"help", no_argument, NULL, 'H'};
  lopts[NFLAGS + 1] = (struct option){NULL, 0, NULL, 0};
  sopts[ns] = '\0';

  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
    if (c == 'H')
      return 1;
    if (c == '?' || c == ':') {
      const char *bad = argv[optind - 1];
      if (c == ':')
        return err_usage(e, "flag needs an argument: '%s' (see 'cairn %s --help')", bad, cmdname);
      if (optopt)
        return err_usage(e, "unknown shorthand flag: '%c' in -%c (see 'cairn %s --help')", optopt,
                         optopt, cmdname);
      return err_usage(e, "unknown flag: %s (see 'cairn %s --help')", bad, cmdname);
    }
    const struct flag *f = NULL;
    if (c >= 1000)
      f = &flags[c - 1000];
    else
      for (size_t i = 0; i < NFLAGS && f == NULL; i++)
        if (flags[i].shrt == c)
          f = &flags[i];
    if (f == NULL)
      return err_usage(e, "unknown flag (see 'cairn %s --help')", cmdname);
    int k = f->kind & 0xff;
    void *field = (char *)o + f->off;
    if (strcmp(f->lng, "log-opt") == 0) {
      if (log_opt(o, optarg, e) < 0)
        return -1;
      continue;
    }
    if (strcmp(f->lng, "attach") == 0)
      continue;
    switch (k) {
      case K_BOOL: {
        bool v;
        if (!parse_bool(optarg, &v))
          return err_usage(e, "invalid argument \"%s\" for \"--%s\" flag: want true or false",
                           optarg, f->lng);
        *(bool *)field = v;
        if ((f->kind & FWD) && v) {
          cleanup_free char *fl = xasprintf("--%s", f->lng);
          strv_push(&o->spec_args, fl);
        }
        continue;
      }
      case K_STR:
        free(*(char **)field);
        *(char **)field = xstrdup(optarg);
        if (strcmp(f->lng, "entrypoint") == 0)
          o->entrypoint_set = true;
        break;
      case K_LIST: strv_push((char ***)field, optarg); break;
      case K_LONG: {
        long v;
        if (parse_int(optarg, -1, 1L << 30, &v) < 0)
          return err_usage(e, "invalid argument \"%s\" for \"--%s\" flag", optarg, f->lng);
        *(long *)field = v;
        break;
      }
      case K_SPEC: break;
    }
    if (k == K_SPEC || (f->kind & FWD)) {
      /* strv_push copies: push "--flag" and the value as two words */
      cleanup_free char *fl = xasprintf("--%s", f->lng);
      strv_push(&o->spec_args, fl);
      strv_push(&o->spec_args, optarg);
    }
  }
  if (optind >= argc)
    return err_usage(e, "'cairn %s' requires at least 1 argument (see 'cairn %s --help')", cmdname,
                     cmdname);
  o->image = argv[optind];
  for (int i = optind + 1; i < argc; i++)
    strv_push(&o->cmd, argv[i]);

  if (o->rm && o->restart != NULL && strcmp(o->restart, "no") != 0)
    return err_usage(e, "conflicting options: cannot specify both --restart and --rm");
  if (o->name != NULL && !name_valid(o->name))
    return err_usage(e, "invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                     o->name);
  if (o->pull != NULL && strcmp(o->pull, "always") != 0 && strcmp(o->pull, "missing") != 0 &&
      strcmp(o->pull, "never") != 0)
    return err_usage(e,
                     "invalid pull option: '%s': must be one of \"always\", \"missing\" or "
                     "\"never\"",
                     o->pull);
  if (o->restart != NULL) {
    const char *r = o->restart;
    bool ok = strcmp(r, "no") == 0 || strcmp(r, "always") == 0 ||
              strcmp(r, "unless-stopped") == 0 || strcmp(r, "on-failure") == 0;
    if (!ok && strncmp(r, "on-failure:", 11) == 0) {
      long n;
      ok = parse_int(r + 11, 0, 1L << 30, &n) == 0;
      if (!ok)
        return err_usage(e,
                         "invalid restart policy '%s': maximum retry count must be a "
                         "non-negative integer",
                         r);
    }
    if (!ok)
      return err_usage(e,
                       "invalid restart policy '%s': want no, always, unless-stopped or "
                       "on-failure[:N]",
                       r);
  }
  if (o->platform != NULL && strcmp(o->platform, "linux/amd64") != 0 &&
      strcmp(o->platform, "linux") != 0 && strcmp(o->platform, "amd64") != 0)
    return err_usage(e, "platform '%s' is not supported on this host (linux/amd64)", o->platform);
  return 0;
}

void run_opts_free(struct run_opts *o) {
  char **strs[] = {&o->name,
                   &o->network,
                   &o->hostname,
                   &o->restart,
                   &o->runtime,
                   &o->pull,
                   &o->platform,
                   &o->workdir,
                   &o->user,
                   &o->entrypoint,
                   &o->stop_signal,
                   &o->cidfile,
                   &o->detach_keys,
                   &o->log_max_size,
                   &o->log_max_file,
                   &o->health_cmd,
                   &o->health_interval,
                   &o->health_timeout,
                   &o->health_start_period};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    free(*strs[i]);
    *strs[i] = NULL;
  }
  char ***lists[] = {&o->spec_args, &o->ports,        &o->volumes,    &o->mounts,   &o->labels,
                     &o->add_hosts, &o->dns,          &o->dns_search, &o->dns_opts, &o->aliases,
                     &o->links,     &o->volumes_from, &o->env,        &o->cmd};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
    strv_free(*lists[i]);
    *lists[i] = NULL;
  }
}
