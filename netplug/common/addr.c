#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ip_len(int family) {
  return family == AF_INET ? 4 : 16;
}

int ip_parse(const char *s, struct ipaddr *out) {
  memset(out, 0, sizeof(*out));
  if (strchr(s, ':') != NULL) {
    out->family = AF_INET6;
    return inet_pton(AF_INET6, s, out->b) == 1 ? 0 : -1;
  }
  out->family = AF_INET;
  return inet_pton(AF_INET, s, out->b) == 1 ? 0 : -1;
}

int ipnet_parse(const char *s, struct ipnet *out) {
  const char *slash = strchr(s, '/');
  if (slash == NULL || slash == s || slash - s >= INET6_ADDRSTRLEN)
    return -1;
  char host[INET6_ADDRSTRLEN];
  memcpy(host, s, (size_t)(slash - s));
  host[slash - s] = '\0';
  if (ip_parse(host, &out->ip) < 0)
    return -1;
  const char *p = slash + 1;
  if (*p < '0' || *p > '9' || strlen(p) > 3)
    return -1;
  char *end;
  long n = strtol(p, &end, 10);
  if (*end != '\0' || n > ip_len(out->ip.family) * 8 || (p[0] == '0' && p[1] != '\0'))
    return -1;
  out->prefix = (int)n;
  return 0;
}

char *ip_fmt(const struct ipaddr *a, char *buf) {
  if (inet_ntop(a->family, a->b, buf, INET6_ADDRSTRLEN) == NULL)
    memcpy(buf, "?", 2); /* unreachable for a well-formed family */
  return buf;
}

char *ipnet_fmt(const struct ipnet *n, char *buf) {
  ip_fmt(&n->ip, buf);
  size_t l = strlen(buf);
  snprintf(buf + l, IPNET_STRLEN - l, "/%d", n->prefix);
  return buf;
}

bool ip_equal(const struct ipaddr *a, const struct ipaddr *b) {
  return a->family == b->family && memcmp(a->b, b->b, (size_t)ip_len(a->family)) == 0;
}

int ip_cmp(const struct ipaddr *a, const struct ipaddr *b) {
  if (a->family != b->family)
    return a->family == AF_INET ? -1 : 1;
  return memcmp(a->b, b->b, (size_t)ip_len(a->family));
}

void ip_next(struct ipaddr *a) {
  for (int i = ip_len(a->family) - 1; i >= 0; i--)
    if (++a->b[i] != 0)
      return;
}

void ip_prev(struct ipaddr *a) {
  for (int i = ip_len(a->family) - 1; i >= 0; i--)
    if (a->b[i]-- != 0)
      return;
}

bool ip_is_zero(const struct ipaddr *a) {
  for (int i = 0; i < ip_len(a->family); i++)
    if (a->b[i] != 0)
      return false;
  return true;
}

/* Byte i of the mask of a prefix. */
static unsigned char mask_byte(int prefix, int i) {
  int bits = prefix - i * 8;
  if (bits >= 8)
    return 0xff;
  if (bits <= 0)
    return 0;
  return (unsigned char)(0xff << (8 - bits));
}

struct ipaddr ipnet_network(const struct ipnet *n) {
  struct ipaddr r = n->ip;
  for (int i = 0; i < ip_len(r.family); i++)
    r.b[i] &= mask_byte(n->prefix, i);
  return r;
}

struct ipaddr ipnet_last(const struct ipnet *n) {
  struct ipaddr r = n->ip;
  for (int i = 0; i < ip_len(r.family); i++)
    r.b[i] |= (unsigned char)~mask_byte(n->prefix, i);
  return r;
}

struct ipnet ipnet_canonical(const struct ipnet *n) {
  struct ipnet r = {ipnet_network(n), n->prefix};
  return r;
}

bool ipnet_contains(const struct ipnet *n, const struct ipaddr *a) {
  if (a->family != n->ip.family)
    return false;
  for (int i = 0; i < ip_len(a->family); i++) {
    unsigned char m = mask_byte(n->prefix, i);
    if ((a->b[i] & m) != (n->ip.b[i] & m))
      return false;
  }
  return true;
}

bool ipnet_overlaps(const struct ipnet *a, const struct ipnet *b) {
  if (a->ip.family != b->ip.family)
    return false;
  /* Two prefixes overlap exactly when the shorter one contains the other. */
  const struct ipnet *wide = a->prefix <= b->prefix ? a : b;
  const struct ipnet *narrow = wide == a ? b : a;
  return ipnet_contains(wide, &narrow->ip);
}
