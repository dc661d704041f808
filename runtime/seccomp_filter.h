/* seccomp_filter.h — linux.seccomp through libseccomp.
 *
 * Names of syscalls this architecture does not have are skipped (the same
 * profile serves every architecture); rules whose action is the default
 * one are dropped; conditions that repeat an argument index become one
 * rule each.  SCMP_ACT_NOTIFY / listenerPath are refused with a clear
 * error. */
#ifndef CAIRN_RT_SECCOMP_FILTER_H
#define CAIRN_RT_SECCOMP_FILTER_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdint.h>

#include "err.h"

/* The filter's BPF program (a struct seccomp_prog) for the linux.seccomp
 * object: from the cache in cache_dir when it holds this profile, else
 * built with libseccomp and stored there (cache_dir NULL: no cache). */
void *filter_build(json_t *spec, const char *cache_dir, struct err **e);
/* Load it into the calling process (seccomp(2), with the profile's flags;
 * needs no_new_privs or CAP_SYS_ADMIN, as libseccomp's load would). */
int filter_load(void *prog, struct err **e);
void filter_free(void *prog);
/* Whether the program lets syscall nr with these arguments through
 * (SECCOMP_RET_ALLOW or _LOG) on arch; the instruction pointer reads as 0.
 * Anything it cannot evaluate counts as not allowed. */
int filter_allows(const void *prog, uint32_t arch, int nr, const uint64_t args[6]);
/* The "seccomp" object of `features`. */
json_t *filter_features(void);

/* ---- internal: the program and its cache (seccomp_cache.c) ---- */
#define SECCOMP_PROG_MAX 4096 /* BPF_MAXINSNS */
struct seccomp_prog {
  uint32_t flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  uint32_t n;
  struct sock_filter *insns;
};
/* The program stored for (key, canonical profile JSON) in dir, or NULL. */
struct seccomp_prog *seccomp_cache_get(const char *dir, const char *key, const char *json);
/* Store it (best effort: a cache that cannot be written is no error). */
void seccomp_cache_put(const char *dir, const char *key, const char *json,
                       const struct seccomp_prog *p);

#endif
