/* cni.h — the CNI 1.0 plugin protocol (configs 0.3.x and 0.4.0 too).
 *
 * A plugin reads its network config on stdin and CNI_* variables, and prints
 * a result (ADD), nothing (DEL, CHECK) or its versions (VERSION) on stdout.
 * Failures are the spec's error document on stdout with a non-zero exit:
 * {"cniVersion","code","msg","details"}.
 *
 * Errors keep the CNI code inside struct err: cni_err() stores 1000 + code
 * in err->code, and cni_plugin_main() turns it back; any other error is
 * reported as 999 (internal), a usage error as 7 (invalid config). */
#ifndef CAIRN_NETPLUG_CNI_H
#define CAIRN_NETPLUG_CNI_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Error codes of the spec, and ours (100 and up are plugin-specific). */
enum cni_code {
  CNI_ERR_VERSION = 1,       /* incompatible CNI version */
  CNI_ERR_FIELD = 2,         /* unsupported field in network config */
  CNI_ERR_CONTAINER = 3,     /* container unknown or does not exist */
  CNI_ERR_ENV = 4,           /* invalid necessary environment variables */
  CNI_ERR_IO = 5,            /* I/O failure */
  CNI_ERR_DECODE = 6,        /* failed to decode content */
  CNI_ERR_CONFIG = 7,        /* invalid network config */
  CNI_ERR_TRY_LATER = 11,    /* try again later */
  CNI_ERR_EXHAUSTED = 100,   /* cairn-ipam: no address left in the range */
  CNI_ERR_PORT_IN_USE = 101, /* cairn-portmap: the host port is mapped already */
  CNI_ERR_INTERNAL = 999,
};

#define CNI_ERR_BASE 1000
/* err_set with a CNI code; returns -1. */
int cni_err(struct err **e, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The CNI code an err carries (999 when it has none, 7 for usage errors). */
int cni_code_of(const struct err *e);

/* The versions we speak; NULL-terminated, oldest first. */
extern const char *const cni_versions[];
#define CNI_VERSION "1.0.0"
/* 1 when v is one of cni_versions. */
int cni_version_supported(const char *v);
/* strcmp for "a.b.c" versions. */
int cni_version_cmp(const char *a, const char *b);

/* One invocation of a plugin, as its environment and stdin describe it. */
struct cni_req {
  const char *command; /* ADD DEL CHECK VERSION */
  const char *containerid;
  const char *netns; /* may be empty on DEL */
  const char *ifname;
  const char *args; /* CNI_ARGS, "K=V;K=V" */
  const char *path; /* CNI_PATH */
  char *raw;        /* stdin as read, passed on to delegated plugins */
  size_t raw_len;
  json_t *conf;        /* the parsed config */
  const char *version; /* its cniVersion */
  const char *name;    /* its name */
  json_t *prev;        /* prevResult in 1.0 form, or NULL */
};

struct cni_plugin {
  const char *name; /* "cairn-bridge", for messages */
  /* ADD fills *result (a 1.0 result); DEL and CHECK return 0 or -1. */
  int (*add)(struct cni_req *r, json_t **result, struct err **e);
  int (*del)(struct cni_req *r, struct err **e);
  int (*check)(struct cni_req *r, struct err **e);
};

/* Run one plugin invocation from the environment and stdin; returns the
 * exit code.  This is all a plugin's main() does. */
int cni_plugin_main(const struct cni_plugin *p, int argc, char **argv);

/* One invocation as a driver makes it (invoke.h); a plugin run in the
 * caller's process by cni_plugin_call gets the same, and gives back what its
 * executable would: ADD's result in the 1.0 form, or the error with its
 * code and message. */
struct cni_exec {
  const char *command; /* ADD DEL CHECK */
  const char *containerid;
  const char *netns;
  const char *ifname;
  const char *args; /* CNI_ARGS, may be NULL */
  const char *path; /* CNI_PATH: where plugins are looked up */
};
int cni_plugin_call(const struct cni_plugin *p, const struct cni_exec *x, const char *conf,
                    size_t len, json_t **result, struct err **e);

/* The value of key in CNI_ARGS ("IgnoreUnknown=1;IP=10.0.0.5"), malloc'd,
 * or NULL when absent. */
char *cni_args_get(const char *args, const char *key);

/* Convert a result of any supported version into the 1.0 form (ips without
 * "version") in place; -1 with a decode error when it is not a result. */
int cni_result_upgrade(json_t *result, struct err **e);
/* A copy of a 1.0 result in the form of version v (0.3.x/0.4.0 add
 * "version" to each ip). */
json_t *cni_result_for_version(const json_t *result, const char *v);
/* The spec's error document for e. */
json_t *cni_error_json(const struct err *e, const char *version);

/* Results are built from these. */
json_t *cni_iface_json(const char *name, const char *mac, const char *sandbox);

#endif
