/* cairn-portmap — the CNI portmap plugin on nftables: each of
 * runtimeConfig.portMappings becomes a DNAT element in our table (see
 * nft.h), so a host port answers on every local address, 127.0.0.1
 * included, and on a given hostIP only when one is named.  Chained after a
 * plugin that gave the container an address (prevResult).
 *
 * Config: "snat" (default true: masquerade the hairpin and localhost
 * cases, and set route_localnet on the interface that leads to the
 * container), "nftTable" (default "cairn").  A container with an IPv6
 * address gets the same mappings in the ip6 table: on the host's IPv6
 * addresses, ::1 excepted (the kernel keeps it on the host). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cni.h"
#include "conntrack.h"
#include "json.h"
#include "mem.h"
#include "netns.h"
#include "nft.h"
#include "nftel.h"
#include "nl.h"
#include "plugins.h"

struct mapping {
  unsigned host_port, ctr_port;
  char proto[8];
  struct ipaddr host_ip; /* family 0: every local address */
};

struct pm_conf {
  struct mapping *m;
  size_t n;
  bool snat;
  const char *table;
  struct ipnet ctr4, ctr6; /* the container's first address of each family; family 0 if none */
};

static int port_of(json_t *v, unsigned *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
    return -1;
  *out = (unsigned)json_integer_value(v);
  return 0;
}

static int parse_mappings(json_t *list, struct pm_conf *c, struct err **e) {
  if (list == NULL)
    return 0;
  if (!json_is_array(list))
    return cni_err(e, CNI_ERR_CONFIG, 0, "runtimeConfig.portMappings is not an array");
  c->m = xcalloc(json_array_size(list) + 1, sizeof(*c->m));
  size_t i;
  json_t *pm;
  json_array_foreach(list, i, pm) {
    struct mapping *m = &c->m[c->n];
    if (!json_is_object(pm) || port_of(json_object_get(pm, "hostPort"), &m->host_port) < 0 ||
        port_of(json_object_get(pm, "containerPort"), &m->ctr_port) < 0)
      return cni_err(e, CNI_ERR_CONFIG, 0,
                     "portMappings[%zu]: hostPort and containerPort must be 1 to 65535", i);
    const char *proto = json_get_str(pm, "protocol");
    snprintf(m->proto, sizeof(m->proto), "%s", proto && *proto ? proto : "tcp");
    for (char *p = m->proto; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    if (strcmp(m->proto, "tcp") != 0 && strcmp(m->proto, "udp") != 0 &&
        strcmp(m->proto, "sctp") != 0)
      return cni_err(e, CNI_ERR_CONFIG, 0, "portMappings[%zu]: unknown protocol '%s'", i, proto);
    const char *hip = json_get_str(pm, "hostIP");
    if (hip != NULL && *hip != '\0') {
      if (ip_parse(hip, &m->host_ip) < 0)
        return cni_err(e, CNI_ERR_CONFIG, 0, "portMappings[%zu]: invalid hostIP '%s'", i, hip);
      if (ip_is_zero(&m->host_ip))
        m->host_ip.family = 0;
    }
    for (size_t k = 0; k < c->n; k++)
      if (c->m[k].host_port == m->host_port && strcmp(c->m[k].proto, m->proto) == 0 &&
          c->m[k].host_ip.family == m->host_ip.family &&
          (m->host_ip.family == 0 || ip_equal(&c->m[k].host_ip, &m->host_ip)))
        return cni_err(e, CNI_ERR_CONFIG, 0, "portMappings: host port %u/%s is given twice",
                       m->host_port, m->proto);
    c->n++;
  }
  return 0;
}

static int parse_conf(const struct cni_req *r, struct pm_conf *c, struct err **e) {
  memset(c, 0, sizeof(*c));
  json_t *snat = json_object_get(r->conf, "snat");
  c->snat = snat == NULL || json_is_true(snat);
  c->table = json_get_str(r->conf, "nftTable");
  if (c->table == NULL)
    c->table = NFT_DEFAULT_TABLE;
  if (!nftx_table_valid(c->table))
    return cni_err(e, CNI_ERR_CONFIG, 0, "invalid \"nftTable\" '%s'", c->table);
  if (parse_mappings(json_object_get(json_object_get(r->conf, "runtimeConfig"), "portMappings"), c,
                     e) < 0)
    return -1;
  /* The container's addresses: the first of each family on an interface
   * inside the sandbox (or not tied to any interface). */
  json_t *ifs = json_object_get(r->prev, "interfaces");
  size_t i;
  json_t *ip;
  json_array_foreach(json_object_get(r->prev, "ips"), i, ip) {
    struct ipnet a;
    if (ipnet_parse(json_get_str(ip, "address") ? json_get_str(ip, "address") : "", &a) < 0)
      continue;
    json_t *idx = json_object_get(ip, "interface");
    if (json_is_integer(idx)) {
      json_t *iface = json_array_get(ifs, (size_t)json_integer_value(idx));
      const char *sb = json_get_str(iface, "sandbox");
      if (iface != NULL && (sb == NULL || *sb == '\0'))
        continue;
    }
    struct ipnet *slot = a.ip.family == AF_INET ? &c->ctr4 : &c->ctr6;
    if (slot->ip.family == 0)
      *slot = a;
  }
  return 0;
}

static char *ip_str(const struct ipaddr *a, char *buf) {
  return ip_fmt(a, buf);
}

/* The container's address of a family, or NULL. */
static const struct ipnet *ctr_of(const struct pm_conf *c, int family) {
  const struct ipnet *a = family == AF_INET ? &c->ctr4 : &c->ctr6;
  return a->ip.family != 0 ? a : NULL;
}

/* The elements of a container's mappings (and its hairpin elements), in
 * the table of each family it has an address of (a mapping for one host
 * address only in that one's); with del, each is added and then removed:
 * the add makes removing an element that is gone already succeed, and
 * fails (EEXIST) when the key holds another container's value, which then
 * stays.  *n gets the count. */
static struct nftel *elements(const struct pm_conf *c, const char *owner, bool del, size_t *n) {
  size_t per = del ? 2 : 1;
  struct nftel *v = xcalloc((c->n + 1) * 2 * per, sizeof(*v));
  size_t k = 0;
  static const int fams[2] = {AF_INET, AF_INET6};
  for (int f = 0; f < 2; f++) {
    const struct ipnet *ctr = ctr_of(c, fams[f]);
    if (ctr == NULL)
      continue;
    for (size_t i = 0; i <= c->n; i++) {
      struct nftel x = {.comment = owner, .v6 = fams[f] == AF_INET6};
      if (i < c->n) {
        const struct mapping *m = &c->m[i];
        if (m->host_ip.family != 0 && m->host_ip.family != fams[f])
          continue;
        x.set = m->host_ip.family ? "portmap_ip" : "portmap";
        if (m->host_ip.family)
          x.klen = nftel_put_ip(x.key, x.klen, &m->host_ip);
        x.klen = nftel_put_proto(x.key, x.klen, m->proto);
        x.klen = nftel_put_port(x.key, x.klen, m->host_port);
        x.dlen = nftel_put_ip(x.data, x.dlen, &ctr->ip);
        x.dlen = nftel_put_port(x.data, x.dlen, m->ctr_port);
      } else if (c->snat) {
        /* container ip . its subnet, as a range of the second field */
        struct ipaddr first = ipnet_network(ctr), last = ipnet_last(ctr);
        x.set = "hairpin";
        x.klen = nftel_put_ip(x.key, nftel_put_ip(x.key, 0, &ctr->ip), &first);
        x.kelen = nftel_put_ip(x.key_end, nftel_put_ip(x.key_end, 0, &ctr->ip), &last);
      } else {
        continue;
      }
      v[k++] = x;
      if (del) {
        x.del = true;
        v[k++] = x;
      }
    }
  }
  *n = k;
  return v;
}

/* How many port mapping elements (not hairpin ones) v holds. */
static size_t mapping_count(const struct nftel *v, size_t n) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    m += strcmp(v[i].set, "hairpin") != 0;
  return m;
}

/* Forget the UDP conntrack entries of the mappings (see conntrack.h): on
 * ADD every one for the host port, made before the mapping led anywhere;
 * on DEL those DNATed to this container.  Best effort, as the reference
 * plugin does it: a failure leaves entries that time out by themselves. */
static void flush_udp(const struct pm_conf *c, bool del) {
  static const int fams[2] = {AF_INET, AF_INET6};
  for (int f = 0; f < 2; f++) {
    const struct ipnet *ctr = ctr_of(c, fams[f]);
    if (ctr == NULL)
      continue;
    cleanup_free struct ct_match *m = xcalloc(c->n + 1, sizeof(*m));
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
      const struct mapping *p = &c->m[i];
      if (strcmp(p->proto, "udp") != 0 || (p->host_ip.family && p->host_ip.family != fams[f]))
        continue;
      m[k] = (struct ct_match){
          .family = fams[f], .proto = IPPROTO_UDP, .dport = p->host_port, .dst = p->host_ip};
      if (del) {
        m[k].reply = ctr->ip;
        m[k].reply_port = p->ctr_port;
      }
      k++;
    }
    ct_flush(m, k, NULL);
  }
}

/* 127.0.0.1 may be DNATed out of the interface that leads to the container
 * only with route_localnet on that interface (and only there). */
static int enable_route_localnet(const struct ipaddr *ctr, struct err **e) {
  struct nl nl = {0};
  if (nl_open(&nl, e) < 0)
    return -1;
  int oif = 0;
  struct nl_link l;
  int rc = nl_route_get(&nl, ctr, &oif, e);
  if (rc == 0)
    rc = nl_link_get_index(&nl, oif, &l, e);
  nl_close(&nl);
  if (rc < 0)
    return -1;
  char key[64];
  snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", l.name);
  return sysctl_set(key, "1", e);
}

/* Which mapping is taken, for the message: each element alone, added and
 * removed in one batch, fails (EEXIST) when its key leads elsewhere. */
static int conflict(const struct pm_conf *c, const struct nftel *v, size_t n, struct err **e) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(v[i].set, "hairpin") == 0)
      continue;
    struct nftel pair[2] = {v[i], v[i]};
    pair[1].del = true;
    struct err *pe = NULL;
    if (nftel_run(c->table, pair, 2, &pe) == 0 || pe->errnum != EEXIST) {
      err_free(&pe);
      continue;
    }
    err_free(&pe);
    /* v[i] is the mapping's element in v[i].v6's table: find which one. */
    for (size_t k = 0; k < c->n; k++) {
      const struct mapping *m = &c->m[k];
      struct ipaddr hip = m->host_ip;
      unsigned char key[40];
      unsigned kl = 0;
      if (hip.family)
        kl = nftel_put_ip(key, kl, &hip);
      kl = nftel_put_proto(key, kl, m->proto);
      kl = nftel_put_port(key, kl, m->host_port);
      if (kl != v[i].klen || memcmp(key, v[i].key, kl) != 0)
        continue;
      char hs[IPNET_STRLEN];
      bool br = hip.family == AF_INET6;
      return cni_err(e, CNI_ERR_PORT_IN_USE, 0, "host port %s%s%s%s%u/%s is already mapped",
                     br ? "[" : "", hip.family ? ip_str(&hip, hs) : "", br ? "]" : "",
                     hip.family ? ":" : "", m->host_port, m->proto);
    }
  }
  return cni_err(e, CNI_ERR_PORT_IN_USE, 0, "a host port is already mapped");
}

/* Create the tables the elements go to. */
static int ensure_tables(const struct pm_conf *c, struct err **e) {
  for (int v6 = 0; v6 < 2; v6++) {
    if (ctr_of(c, v6 ? AF_INET6 : AF_INET) == NULL)
      continue;
    struct nftx nft = {0};
    int rc = nftx_open(&nft, c->table, e);
    nft.v6 = v6;
    if (rc == 0)
      rc = nftx_ensure(&nft, e);
    nftx_close(&nft);
    if (rc < 0)
      return -1;
  }
  return 0;
}

static int cmd_add(struct cni_req *r, json_t **result, struct err **e) {
  if (r->prev == NULL)
    return cni_err(e, CNI_ERR_CONFIG, 0,
                   "cairn-portmap must be chained after a plugin that "
                   "gives the container an address (no prevResult)");
  struct pm_conf c;
  int rc = parse_conf(r, &c, e);
  cleanup_free struct mapping *maps = c.m;
  if (rc < 0)
    return -1;
  cleanup_free char *owner = nftx_owner(r->containerid, r->ifname);
  size_t n;
  cleanup_free struct nftel *els = elements(&c, owner, false, &n);
  if (c.n > 0 && n > 0) {
    struct err *ae = NULL;
    rc = nftel_run(c.table, els, n, &ae);
    if (rc < 0 && ae->errnum == ENOENT) {
      /* a table is not there yet: make them, then again */
      err_free(&ae);
      if (ensure_tables(&c, e) < 0)
        return -1;
      rc = nftel_run(c.table, els, n, &ae);
    }
    if (rc < 0 && ae->errnum == EEXIST) {
      err_free(&ae);
      return conflict(&c, els, n, e);
    }
    if (rc < 0) {
      *e = ae;
      return -1;
    }
    if (c.snat && c.ctr4.ip.family == AF_INET && enable_route_localnet(&c.ctr4.ip, e) < 0)
      return -1;
    flush_udp(&c, false);
  }
  *result = json_incref(r->prev);
  return 0;
}

static int del_owned(const struct pm_conf *c, const char *owner, struct err **e) {
  const char *names[] = {"portmap", "portmap_ip", "hairpin"};
  for (int v6 = 0; v6 < 2; v6++) {
    struct nftx nft = {0};
    if (nftx_open(&nft, c->table, e) < 0)
      return -1;
    nft.v6 = v6;
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
      rc = nftx_delete_owned(&nft, names[i], owner, e);
    nftx_close(&nft);
    if (rc < 0)
      return -1;
  }
  return 0;
}

static int cmd_del(struct cni_req *r, struct err **e) {
  struct pm_conf c;
  int rc = parse_conf(r, &c, e);
  cleanup_free struct mapping *maps = c.m;
  if (rc < 0)
    return -1;
  cleanup_free char *owner = nftx_owner(r->containerid, r->ifname);
  size_t n;
  cleanup_free struct nftel *els = elements(&c, owner, true, &n);
  if (c.n == 0 || n == 0)
    return del_owned(&c, owner, e); /* nothing says what it mapped: find it */
  flush_udp(&c, true);
  struct err *de = NULL;
  if (nftel_run(c.table, els, n, &de) == 0)
    return 0;
  err_free(&de);
  /* A table missing (nothing to remove there), or an element of another
   * container's: remove ours one by one. */
  return del_owned(&c, owner, e);
}

static int cmd_check(struct cni_req *r, struct err **e) {
  if (r->prev == NULL)
    return cni_err(e, CNI_ERR_CONFIG, 0, "CHECK needs a prevResult");
  struct pm_conf c;
  int rc = parse_conf(r, &c, e);
  cleanup_free struct mapping *maps = c.m;
  if (rc < 0 || c.n == 0)
    return rc;
  cleanup_free char *owner = nftx_owner(r->containerid, r->ifname);
  size_t n;
  cleanup_free struct nftel *els = elements(&c, owner, false, &n);
  size_t want = mapping_count(els, n), have = 0;
  for (int v6 = 0; v6 < 2 && want > 0; v6++) {
    struct nftx nft = {0};
    if (nftx_open(&nft, c.table, e) < 0)
      return -1;
    nft.v6 = v6;
    cleanup_json json_t *any = nftx_owned(&nft, "portmap", owner, e);
    cleanup_json json_t *ip = any ? nftx_owned(&nft, "portmap_ip", owner, e) : NULL;
    nftx_close(&nft);
    if (ip == NULL)
      return -1;
    have += json_array_size(any) + json_array_size(ip);
  }
  if (have != want)
    return cni_err(e, CNI_ERR_INTERNAL, 0, "%zu of %zu port mappings are in table '%s'", have, want,
                   c.table);
  return 0;
}

const struct cni_plugin cni_plugin_portmap = {"cairn-portmap", cmd_add, cmd_del, cmd_check};
