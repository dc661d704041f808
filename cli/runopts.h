/* runopts.h — `cairn run` / `cairn create` options.
 *
 * Flags that only shape the OCI config are forwarded to cairn-spec as they
 * came (spec_args); the others are cairn's own: the network, ports,
 * volumes, the shim's options, the container's name and record. */
#ifndef CAIRN_CLI_RUNOPTS_H
#define CAIRN_CLI_RUNOPTS_H

#include <stdbool.h>

#include "err.h"

struct run_opts {
  bool detach, interactive, tty, rm, publish_all, no_healthcheck, init, read_only, privileged;
  bool entrypoint_set, sig_proxy;
  char *name, *network, *hostname, *restart, *runtime, *pull, *platform;
  char *workdir, *user, *entrypoint, *stop_signal, *cidfile, *detach_keys;
  long stop_timeout; /* -1: not given */
  char *log_max_size, *log_max_file;
  char *health_cmd, *health_interval, *health_timeout, *health_start_period;
  long health_retries; /* -1: not given */
  char **spec_args;    /* forwarded to cairn-spec */
  char **ports, **volumes, **mounts, **labels, **add_hosts, **dns, **dns_search, **dns_opts;
  char **aliases, **links, **volumes_from, **env;
  const char *image;
  char **cmd; /* may be NULL */
};

/* Parse argv (argv[0] is the command name) up to IMAGE; the rest is the
 * command.  `create` takes the same flags; -d, --rm and -i/-t mean the
 * same when the container starts later. */
int run_opts_parse(int argc, char **argv, const char *cmdname, struct run_opts *o, struct err **e);
void run_opts_free(struct run_opts *o);
extern const char run_help[];

/* ports.c: docker's -p syntax.  Each spec expands to one or more
 * {hostIP, hostPort, containerPort, protocol} objects (hostPort 0: pick a
 * free one at start). */
#include <jansson.h>
int ports_parse(const char *spec, json_t *out, struct err **e);
/* Give every 0 host port a free one, and check that the explicit ones are
 * free on the host (bind test): docker's "port is already allocated". */
int ports_allocate(json_t *ports, struct err **e);
/* "0.0.0.0:8080->80/tcp, 53/udp" as docker ps prints (sorted). */
char *ports_text(const json_t *ports, const json_t *exposed);

/* volumes.c: -v and --mount handling before cairn-spec sees them. */
/* Turn one -v spec into what cairn-spec takes, creating missing bind
 * sources and named/anonymous volumes (seeded from the image's content at
 * the destination).  Appends the mount record to mounts. */
int volume_prepare(const char *spec, const char *rootfs, json_t *mounts, char **out,
                   struct err **e);
int volume_name_valid(const char *name);
char *volume_dir(const char *name); /* $ROOT/volumes/NAME/_data */
/* $ROOT/volumes/NAME/opts.json, what `volume create` was given:
 * {"Labels":{…},"Options":{"type":…,"device":…,"o":…}}; NULL for a volume
 * made on first use. */
json_t *volume_meta(const char *name);
/* A volume created with -o type=…: its filesystem mounted on _data, once
 * (it stays mounted until the volume is removed), as docker's local
 * driver does when a container first uses it. */
int volume_mount(const char *name, struct err **e);
/* Before removal: never rm -rf through a mount (through a bind, the
 * host's files would go with it). */
int volume_unmount(const char *name, struct err **e);
/* The docker local driver's options, checked: type, device, o. */
int volume_opts_check(const json_t *opts, struct err **e);

#endif
