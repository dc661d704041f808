/* hooks.h — OCI lifecycle hooks. */
#ifndef CAIRN_RT_HOOKS_H
#define CAIRN_RT_HOOKS_H

#include <jansson.h>
#include <sys/types.h>

#include "config.h"
#include "err.h"

/* The state JSON a hook reads on stdin (compact); pid 0 omits "pid". */
char *hook_state(const char *id, const char *status, pid_t pid, const char *bundle,
                 json_t *annotations);
/* Run every hook of kind k in order; stop at the first failure. */
int hooks_run(const struct rt_hooks *hooks, enum hook_kind k, const char *state, struct err **e);
const char *hook_kind_name(enum hook_kind k);

#endif
