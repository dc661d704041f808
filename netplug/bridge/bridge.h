/* bridge.h — cairn-bridge's config and the steps ADD, DEL and CHECK share. */
#ifndef CAIRN_NETPLUG_BRIDGE_H
#define CAIRN_NETPLUG_BRIDGE_H

#include <jansson.h>
#include <stdbool.h>

#include "addr.h"
#include "cni.h"
#include "nl.h"

/* The reference bridge plugin's keys, and "nftTable" (default "cairn"):
 * the nftables table ipMasq uses. */
struct bridge_conf {
  const char *bridge;
  bool is_gw, is_default_gw, force_address, ip_masq, hairpin, promisc;
  unsigned mtu;
  const char *ipam_type; /* NULL: layer 2 only */
  const char *table;
  json_t *dns; /* "dns" of the config when it says anything */
};

int bridge_conf_parse(const struct cni_req *r, struct bridge_conf *c, struct err **e);

/* Namespace handles for one invocation. */
struct sides {
  struct nl host;
  struct nl ctr; /* a socket in the container's namespace */
  int nsfd;
};
/* Open the container's namespace and a netlink socket in each. */
int sides_open(struct sides *s, const char *netns, struct err **e);
void sides_close(struct sides *s);

int bridge_cmd_check(struct cni_req *r, struct err **e);
/* Run the IPAM plugin type with command cmd for r (see main.c). */
int ipam_run(const struct cni_req *r, const char *type, const char *cmd, json_t **result,
             struct err **e);

#endif
