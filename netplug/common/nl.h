/* nl.h — the rtnetlink requests the plugins need, through libmnl: links
 * (bridge, veth pair with its peer made directly in another namespace),
 * addresses and routes.  One request, one acknowledgement: each change costs
 * one round trip to the kernel.
 *
 * An nl handle talks to the namespace it was opened in (see netns.h).
 * Failures carry the kernel's errno in err->errnum, so callers can tell
 * "already exists" (EEXIST) and "no such device" (ENODEV) apart. */
#ifndef CAIRN_NETPLUG_NL_H
#define CAIRN_NETPLUG_NL_H

#include <net/if.h>
#include <stddef.h>

#include "addr.h"
#include "err.h"

struct mnl_socket;

/* IF_OPER_UP of <linux/if.h>, which cannot be included with <net/if.h>. */
#define NL_OPER_UP 6

struct nl {
  struct mnl_socket *sk;
  unsigned int portid;
  unsigned int seq;
};

struct nl_link {
  int index;
  char name[IF_NAMESIZE];
  char kind[32];  /* "bridge", "veth", … or "" */
  unsigned flags; /* IFF_UP, … */
  unsigned mtu;
  int master; /* ifindex of the bridge it is attached to, or 0 */
  int link;   /* a veth's peer ifindex (in its own namespace), or 0 */
  unsigned char mac[6];
  char mac_str[18];
  unsigned char operstate; /* IF_OPER_*: NL_OPER_UP when up */
};

/* Open an rtnetlink socket in the current network namespace. */
int nl_open(struct nl *nl, struct err **e);
void nl_close(struct nl *nl);

/* Look a link up by name or index; ENODEV when there is none. */
int nl_link_get(struct nl *nl, const char *name, struct nl_link *out, struct err **e);
int nl_link_get_index(struct nl *nl, int index, struct nl_link *out, struct err **e);

/* Create a bridge that is up (EEXIST when the name is taken). */
int nl_bridge_add(struct nl *nl, const char *name, unsigned mtu, struct err **e);
/* Create a veth pair: name here, up, attached to master (when not 0), and
 * its peer peer_name created directly inside the namespace peer_nsfd, down
 * (the kernel cannot bring it up in the same request).
 * mtu 0 keeps the kernel's default. */
int nl_veth_add(struct nl *nl, const char *name, const char *peer_name, int peer_nsfd, unsigned mtu,
                int master, struct err **e);
/* Set IFF_UP on or off. */
int nl_link_set_up(struct nl *nl, int index, int up, struct err **e);
/* Set IFF_UP and the link's IPv4 arp_notify (a gratuitous ARP for its
 * addresses) in one request. */
int nl_link_set_up_notify(struct nl *nl, int index, struct err **e);
int nl_link_set_promisc(struct nl *nl, int index, struct err **e);
/* Set the link's MAC address (pins a bridge's address to itself). */
int nl_link_set_mac(struct nl *nl, int index, const unsigned char mac[6], struct err **e);
/* Hairpin mode of a bridge port. */
int nl_brport_set_hairpin(struct nl *nl, int index, int on, struct err **e);
int nl_link_del(struct nl *nl, int index, struct err **e);
/* Delete a link and return as soon as the kernel has taken it (and, when
 * peer is given, peer_index on that socket: a veth's other end) out of
 * every listing, with its addresses and routes — the RTM_DELLINK
 * notifications — instead of when the deleting call returns, 10-20 ms of
 * RCU waits later.  A child (detach.h) makes that call.  A link that is
 * gone already is fine. */
int nl_link_del_unlisted(struct nl *nl, int index, struct nl *peer, int peer_index, struct err **e);
/* How many links have master as their master (a bridge's ports). */
int nl_count_ports(struct nl *nl, int master, struct err **e);

/* Addresses of a link (family AF_INET, AF_INET6 or 0 for both). *out is
 * malloc'd. */
int nl_addr_list(struct nl *nl, int index, int family, struct ipnet **out, size_t *n,
                 struct err **e);
/* Add an address (EEXIST when it is there), or delete one.  IPv6 ones are
 * added without duplicate address detection: usable at once. */
int nl_addr_add(struct nl *nl, int index, const struct ipnet *a, struct err **e);
int nl_addr_del(struct nl *nl, int index, const struct ipnet *a, struct err **e);
/* Add a route to dst through gw (NULL: directly on the link). */
int nl_route_add(struct nl *nl, int index, const struct ipnet *dst, const struct ipaddr *gw,
                 struct err **e);

struct nl_route {
  struct ipnet dst;
  struct ipaddr gw; /* family 0 when there is none */
  int oif;
};
/* Routes of the main table for a family. *out is malloc'd. */
int nl_route_list(struct nl *nl, int family, struct nl_route **out, size_t *n, struct err **e);

/* The interface the kernel would send a packet to dst through. */
int nl_route_get(struct nl *nl, const struct ipaddr *dst, int *oif, struct err **e);

/* "aa:bb:…" into out (at least 18 bytes). */
void mac_fmt(const unsigned char mac[6], char *out);

#endif
