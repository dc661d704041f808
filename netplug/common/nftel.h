/* nftel.h — adding and removing elements of our table's sets and maps (see
 * nft.h) in one nf_tables transaction, straight over netlink with libnftnl:
 * no ruleset cache to fetch and no parser, so a container's port mappings
 * cost one round trip.  The table itself, listings and anything rare go
 * through libnftables (nft.h).
 *
 * Keys and values are in nftables' register layout: the fields of a
 * concatenation each padded to 4 bytes (an IPv4 address 4, an IPv6 one 16,
 * a protocol 1+3, a port 2+2 in network order).  Elements carry their owner as the same
 * comment nft prints. */
#ifndef CAIRN_NETPLUG_NFTEL_H
#define CAIRN_NETPLUG_NFTEL_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "err.h"

struct nftel {
  const char *set;
  bool v6; /* in the table of family ip6 rather than ip */
  unsigned char key[40], key_end[40], data[40];
  unsigned klen, kelen, dlen; /* kelen: 0 unless an interval; dlen: 0 for a set */
  const char *comment;
  bool del; /* remove instead of add */
};

/* Field appenders: each returns the new length. */
unsigned nftel_put_ip(unsigned char *buf, unsigned len, const struct ipaddr *a);
unsigned nftel_put_proto(unsigned char *buf, unsigned len, const char *proto);
unsigned nftel_put_port(unsigned char *buf, unsigned len, unsigned port);

/* Apply v[0..n) in order as one transaction in table (of family ip, or
 * ip6 for the elements that say so): all or nothing.  Failure carries the kernel's errno: ENOENT (no such table or
 * set, or deleting an element that is not there), EEXIST (a map key that
 * holds another value). */
int nftel_run(const char *table, const struct nftel *v, size_t n, struct err **e);

#endif
