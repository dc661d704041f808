/* invoke.h — run a CNI plugin as a driver does: find it on CNI_PATH, give it
 * the config on stdin and CNI_* in its environment, read its result or its
 * error document.  Used by cairn-bridge for IPAM and by cairn-net. */
#ifndef CAIRN_NETPLUG_INVOKE_H
#define CAIRN_NETPLUG_INVOKE_H

#include <jansson.h>
#include <stddef.h>

#include "cni.h"
#include "err.h"

/* The executable for plugin type in the ':'-separated dirs of cni_path;
 * ENOENT when none has it.  A type with a '/' is refused. */
char *cni_find_plugin(const char *type, const char *cni_path, struct err **e);

/* Run plugin type.  On ADD (and VERSION) *result gets what it printed,
 * ADD results in the 1.0 form; result may be NULL for DEL and CHECK.  When
 * the plugin fails, *e carries its code and message as it gave them. */
int cni_exec_plugin(const char *type, const struct cni_exec *x, const char *conf, size_t len,
                    json_t **result, struct err **e);

#endif
