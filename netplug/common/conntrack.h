/* conntrack.h — removing connection tracking entries of a port mapping
 * (ctnetlink through libmnl), as the reference portmap plugin does for UDP.
 *
 * A UDP "connection" lives as long as packets keep coming: a client that
 * keeps sending to a host port keeps its entry, and with it the DNAT to
 * whatever address the port led to when the entry was made — a container
 * that is gone, or nothing at all when the mapping did not exist yet. */
#ifndef CAIRN_NETPLUG_CONNTRACK_H
#define CAIRN_NETPLUG_CONNTRACK_H

#include <stddef.h>

#include "addr.h"
#include "err.h"

struct ct_match {
  int family;          /* AF_INET or AF_INET6 */
  unsigned char proto; /* IPPROTO_UDP, … */
  unsigned dport;      /* the original destination port: the host port */
  struct ipaddr dst;   /* the original destination (family 0: any) */
  struct ipaddr reply; /* the reply's source: where it was DNATed to (family 0: any) */
  unsigned reply_port; /* and its port (with reply) */
};

/* Delete every entry of the current network namespace that matches one of
 * m[0..n) (all of one family): one dump, then the deletes in one send.
 * None is fine.  Returns how many went, or -1. */
int ct_flush(const struct ct_match *m, size_t n, struct err **e);

#endif
