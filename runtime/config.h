/* config.h — the OCI runtime config (config.json, runtime-spec 1.1) parsed
 * once, in the parent, into plain C structs that the container's first
 * process inherits through clone(): nothing is parsed after the fork.
 *
 * Parsing validates shapes and values and reports the first problem as one
 * line naming the field: "config.json: process.args: expected an array of
 * strings", "config.json: linux.namespaces[2]: unknown namespace type
 * \"foo\"".  It touches nothing on the system except reading the file and
 * checking that the rootfs exists. */
#ifndef CAIRN_RT_CONFIG_H
#define CAIRN_RT_CONFIG_H

#include <jansson.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "err.h"

/* Namespaces, in the order they are joined (user first, as runc does). */
enum ns_kind { NS_USER, NS_MNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, NS_TIME, NS_COUNT };

struct ns_spec {
  int present; /* listed in linux.namespaces */
  char *path;  /* join this one; NULL: create a new one */
};

/* Name in config.json ("network"), in /proc/PID/ns ("net"), CLONE_NEW* flag. */
const char *ns_config_name(enum ns_kind k);
const char *ns_proc_name(enum ns_kind k);
int ns_clone_flag(enum ns_kind k);

struct id_map {
  uint32_t container, host, size;
};

struct rt_mount {
  char *dest;                  /* absolute, cleaned, inside the container */
  char *type;                  /* may be NULL (bind) */
  char *source;                /* for binds: absolute host path */
  unsigned long flags;         /* MS_* to set */
  unsigned long clear;         /* MS_* explicitly cleared (rw, suid, dev, exec…) */
  unsigned long propagation;   /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (+MS_REC) */
  uint64_t rec_set, rec_clear; /* MOUNT_ATTR_* for the recursive (rro, rnosuid…) forms */
  int bind, rbind;
  int tmpcopyup;
  char *data; /* filesystem options, comma-joined; NULL if none */
};

struct rt_device {
  char *path;
  char type; /* 'c', 'b', 'u' (= c), 'p' */
  int64_t major, minor;
  mode_t mode; /* permission bits; 0666 when absent */
  uid_t uid;
  gid_t gid;
};

struct rt_rlimit {
  int resource;
  struct rlimit lim;
};

enum cap_set {
  CAP_BOUNDING,
  CAP_EFFECTIVE,
  CAP_INHERITABLE,
  CAP_PERMITTED,
  CAP_AMBIENT,
  CAP_NSETS
};

struct rt_process {
  int terminal;
  unsigned short cons_rows, cons_cols; /* consoleSize (0: leave as is) */
  uid_t uid;
  gid_t gid;
  gid_t *gids;
  size_t ngids;
  int has_umask;
  mode_t umask;
  char **args;
  char **env;
  char *cwd;
  int has_caps;             /* capabilities object present */
  uint64_t caps[CAP_NSETS]; /* bit n = capability n */
  int nnp;
  int has_oom;
  int oom_score_adj;
  struct rt_rlimit *rlimits;
  size_t nrlimits;
  char *apparmor;
  char *selinux;
  int has_ioprio;
  int ioprio; /* IOPRIO_PRIO_VALUE(class, data) */
  int has_sched;
  int sched_policy;
  int sched_nice;
  int sched_priority;
  uint64_t sched_flags;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

enum hook_kind {
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
  HOOK_NKINDS
};

struct rt_hook {
  char *path;
  char **args; /* NULL: argv = { path } */
  char **env;  /* NULL: empty environment */
  int timeout; /* seconds; 0 = none */
};

struct rt_hooks {
  struct rt_hook *list[HOOK_NKINDS];
  size_t n[HOOK_NKINDS];
};

struct rt_config {
  json_t *json; /* the whole document (kept: resources, annotations) */
  char *bundle; /* absolute */
  char *rootfs; /* absolute, as given (symlinks not resolved) */
  int root_ro;
  int has_process;
  struct rt_process proc;
  char *hostname;
  char *domainname;
  struct rt_mount *mounts;
  size_t nmounts;
  struct ns_spec ns[NS_COUNT];
  struct id_map *uid_maps, *gid_maps;
  size_t nuid_maps, ngid_maps;
  json_t *resources;  /* linux.resources (borrowed from json) or NULL */
  char *cgroups_path; /* NULL: default */
  char **sysctl_keys, **sysctl_vals;
  size_t nsysctl;
  char **masked, **readonly;
  size_t nmasked, nreadonly;
  unsigned long rootfs_propagation; /* 0: default (rslave) */
  struct rt_device *devices;
  size_t ndevices;
  json_t *seccomp; /* linux.seccomp (borrowed) or NULL */
  int has_personality;
  unsigned long personality;
  int has_time_offsets;
  int64_t boot_secs, mono_secs;
  uint32_t boot_nsecs, mono_nsecs;
  char *mount_label;
  struct rt_hooks hooks;
  json_t *annotations; /* borrowed or NULL */
};

/* Parse BUNDLE/config.json.  raw/raw_len (optional) receive the file's
 * bytes, which the state dir keeps for later exec. */
struct rt_config *config_load(const char *bundle, char **raw, size_t *raw_len, struct err **e);
/* Parse a config document already loaded; bundle is its directory.
 * Takes a reference on json.  check_root: fail when the rootfs is missing
 * (off for later commands, which must work after the rootfs is gone). */
struct rt_config *config_parse(json_t *json, const char *bundle, const char *name, int check_root,
                               struct err **e);
void config_free(struct rt_config *c);

/* Parse one process object (config.json's process or exec --process). */
int config_parse_process(json_t *p, struct rt_process *out, const char *name, struct err **e);
void config_process_free(struct rt_process *p);

/* Capability name ("CAP_SYS_ADMIN") to number, -1 if unknown. */
int cap_from_name(const char *name);
/* Highest capability the running kernel knows. */
int cap_last(void);

#endif
