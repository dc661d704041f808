/* spec.h — cairn-spec's pieces: the parsed command line, the image config,
 * and one builder per concern, each filling its part of the OCI runtime
 * config (runtime-spec 1.1) being assembled.
 *
 * Flow (config.c): image config -> namespaces and hostname -> process (user,
 * args, env, cwd, rlimits) -> capabilities and seccomp -> mounts ->
 * resources and devices -> annotations.  Every builder validates its own
 * flags and fails with an ERR_USAGE err naming the flag and the bad value. */
#ifndef CAIRN_SPEC_H
#define CAIRN_SPEC_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

/* The command line, as given: strings are parsed by the builders. */
struct spec_opts {
  const char *image_config; /* path, "-" or NULL */
  const char *rootfs;       /* --rootfs: root.path and where users resolve */
  const char *output;       /* -o FILE */
  int is_default;           /* --default */

  /* process */
  char **cmd; /* after "--" (or positional) */
  const char *entrypoint;
  int entrypoint_set;
  char **env, **env_files;
  const char *workdir;
  const char *user;
  char **group_add;
  int tty;
  char **ulimits;
  const char *oom_score_adj;
  int init;
  const char *init_path;

  /* mounts */
  char **volumes, **tmpfs, **mounts;
  int read_only;
  const char *shm_size;
  const char *volume_root; /* --root / CAIRN_ROOT: named volumes live under it */

  /* security */
  char **cap_add, **cap_drop;
  int privileged;
  char **security_opts;

  /* resources */
  const char *memory, *memory_swap, *memory_reservation;
  const char *cpus, *cpu_shares, *cpu_period, *cpu_quota, *cpuset_cpus, *cpuset_mems;
  const char *pids_limit;
  char **devices, **sysctls;
  const char *cgroups_path;

  /* namespaces and metadata */
  const char *hostname;
  const char *netns, *network, *ipc, *pid, *uts, *cgroupns;
  char **labels;
  const char *stop_signal;
};

/* The parts of an OCI image config ("config" object) cairn-spec uses. */
struct image {
  json_t *doc;        /* the whole document, owned */
  json_t *env;        /* array of strings or NULL (borrowed from doc) */
  json_t *cmd;        /* array of strings or NULL */
  json_t *entrypoint; /* array of strings or NULL */
  const char *workdir;
  const char *user;
  const char *stop_signal;
};

/* Options resolved across concerns while building. */
struct build_ctx {
  const struct spec_opts *o;
  struct image img;
  json_t *config; /* the document being built */
  char *hostname; /* NULL when the UTS namespace is the host's */
  int host_net, host_ipc, host_pid, host_uts;
  int seccomp_off; /* unconfined or privileged */
  char *seccomp_file;
  int no_new_privs;
  int systempaths_unconfined;
  char **caps; /* final capability set, "CAP_…" */
};

/* image.c: load the image config (a file or "-"); NULL path gives an empty
 * image.  Accepts the full OCI image config or a bare "config" object. */
int image_load(const char *path, struct image *img, struct err **e);
void image_free(struct image *img);

/* config.c: the whole config.json for these options. */
json_t *spec_build(const struct spec_opts *o, struct err **e);

/* namespaces.c: linux.namespaces, hostname, annotations. */
int build_namespaces(struct build_ctx *c, struct err **e);
int build_annotations(struct build_ctx *c, struct err **e);

/* process.c: process.{args,env,cwd,terminal,rlimits,oomScoreAdj}. */
int build_process(struct build_ctx *c, struct err **e);

/* user.c: resolve "user[:group]" (names need rootfs) into process.user. */
int resolve_user(const char *rootfs, const char *spec, const char *what, char **group_add,
                 json_t *user_out, struct err **e);

/* security.c: capabilities, masked/readonly paths, security-opts, privileged
 * devices; calls seccomp_build for linux.seccomp. */
int parse_security_opts(struct build_ctx *c, struct err **e);
int build_security(struct build_ctx *c, struct err **e);
/* Capability names: "CAP_CHOWN" … ; index = capability number. */
int cap_from_name(const char *name, char **canon);

/* seccomp.c: docker's profile format resolved for a capability set. */
json_t *seccomp_build(const char *profile_path, char **caps, struct err **e);

/* mounts.c: default mounts, -v, --tmpfs, --mount, --read-only, --init. */
int build_mounts(struct build_ctx *c, struct err **e);

/* resources.c: linux.resources, devices, sysctl, cgroupsPath. */
int build_resources(struct build_ctx *c, struct err **e);
/* Add host device(s) at path (a device node or a directory of them). */
int add_host_devices(json_t *devices, json_t *rules, const char *host, const char *ctr,
                     const char *access, struct err **e);

/* The embedded copy of spec/seccomp.json (seccomp_data.c). */
extern const char cairn_seccomp_json[];

/* Small helpers shared by the builders (config.c). */
json_t *strv_to_json(char *const *v);
/* json_string(s) that frees s. */
json_t *json_string_own(char *s);
/* "k=v" split: *key is malloc'd, *val points into s (NULL when no '='). */
char *split_kv(const char *s, const char **val);

#endif
