/* plugins.h — cairn's CNI plugins as values: each executable's main() hands
 * one to cni_plugin_main(), and cairn-net runs them in its own process with
 * cni_plugin_call() (cni.h) when a network names them, which saves a
 * process start per plugin and per ADD or DEL. */
#ifndef CAIRN_NETPLUG_PLUGINS_H
#define CAIRN_NETPLUG_PLUGINS_H

#include "cni.h"

extern const struct cni_plugin cni_plugin_bridge;
extern const struct cni_plugin cni_plugin_ipam;
extern const struct cni_plugin cni_plugin_loopback;
extern const struct cni_plugin cni_plugin_portmap;

#endif
