/* devices.h — device nodes and links in the container's /dev. */
#ifndef CAIRN_RT_DEVICES_H
#define CAIRN_RT_DEVICES_H

#include <jansson.h>

#include "config.h"
#include "err.h"

/* Create linux.devices and, when default_devs is set (the config does not
 * bind-mount its own /dev), the default devices, the /dev/fd, stdin,
 * stdout, stderr and core links and /dev/ptmx -> pts/ptmx, inside rootfs.
 * In a user namespace device nodes are bind mounts of the host's. */
int devices_setup(const char *rootfs, const struct rt_config *c, int in_userns, int default_devs,
                  struct err **e);
/* Append the device cgroup rules that let the container use the default
 * devices (and create any device node, as runc allows) to arr. */
void devices_default_rules(json_t *arr);

#endif
