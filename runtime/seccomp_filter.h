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

#include "err.h"

/* Build the filter (an scmp_filter_ctx) from the linux.seccomp object. */
void *filter_build(json_t *spec, struct err **e);
/* Load it into the calling process. */
int filter_load(void *ctx, struct err **e);
void filter_free(void *ctx);
/* The "seccomp" object of `features`. */
json_t *filter_features(void);

#endif
