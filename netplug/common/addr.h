/* addr.h — IPv4/IPv6 addresses and prefixes as plain values: parsing,
 * printing and the arithmetic an IPAM needs (next/previous address, network
 * and last address of a prefix, containment, overlap).
 *
 * An address keeps its family; IPv4 lives in b[0..3].  A prefix keeps the
 * host bits it was written with ("10.88.0.5/16" stays that), as CNI results
 * carry an address and its prefix length together. */
#ifndef CAIRN_NETPLUG_ADDR_H
#define CAIRN_NETPLUG_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>

struct ipaddr {
  int family; /* AF_INET or AF_INET6 */
  unsigned char b[16];
};

struct ipnet {
  struct ipaddr ip;
  int prefix;
};

/* Big enough for any address, "/128" and the NUL. */
#define IPNET_STRLEN (INET6_ADDRSTRLEN + 5)

/* Bytes in an address of that family: 4 or 16. */
int ip_len(int family);
/* Parse "10.0.0.1" or "fd00::1"; 0, or -1 when it is not an address. */
int ip_parse(const char *s, struct ipaddr *out);
/* Parse "10.0.0.0/24" (host bits kept); -1 when malformed. */
int ipnet_parse(const char *s, struct ipnet *out);
/* Format into buf (at least IPNET_STRLEN bytes); returns buf. */
char *ip_fmt(const struct ipaddr *a, char *buf);
char *ipnet_fmt(const struct ipnet *n, char *buf);

bool ip_equal(const struct ipaddr *a, const struct ipaddr *b);
/* Order within one family (memcmp of the bytes); families order v4 < v6. */
int ip_cmp(const struct ipaddr *a, const struct ipaddr *b);
/* a + 1 and a - 1, wrapping at the ends of the family's space. */
void ip_next(struct ipaddr *a);
void ip_prev(struct ipaddr *a);
bool ip_is_zero(const struct ipaddr *a);

/* The network address (host bits cleared) and the last address of n. */
struct ipaddr ipnet_network(const struct ipnet *n);
struct ipaddr ipnet_last(const struct ipnet *n);
/* n with its host bits cleared. */
struct ipnet ipnet_canonical(const struct ipnet *n);
bool ipnet_contains(const struct ipnet *n, const struct ipaddr *a);
bool ipnet_overlaps(const struct ipnet *a, const struct ipnet *b);

#endif
