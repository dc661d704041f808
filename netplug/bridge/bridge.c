/* cairn-bridge — the CNI bridge plugin: a Linux bridge on the host (created
 * when absent), a veth pair per container with one end on the bridge and the
 * other in the container's namespace, addresses and routes from the IPAM
 * plugin, the gateway address on the bridge, and masquerading (nftables)
 * when ipMasq says so.  Config keys are the reference plugin's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../ipam/ipam.h"
#include "bridge.h"
#include "invoke.h"
#include "json.h"
#include "mem.h"
#include "netns.h"
#include "nft.h"
#include "nftel.h"
#include "plugins.h"

static bool get_bool(const json_t *o, const char *k) {
  return json_is_true(json_object_get(o, k));
}

int bridge_conf_parse(const struct cni_req *r, struct bridge_conf *c, struct err **e) {
  memset(c, 0, sizeof(*c));
  const json_t *j = r->conf;
  json_t *br = json_object_get(j, "bridge");
  if (br != NULL && !json_is_string(br))
    return cni_err(e, CNI_ERR_CONFIG, 0, "\"bridge\" is not a string");
  c->bridge = br ? json_string_value(br) : "cni0";
  if (*c->bridge == '\0' || strlen(c->bridge) > 15 || strchr(c->bridge, '/') ||
      strchr(c->bridge, ' '))
    return cni_err(e, CNI_ERR_CONFIG, 0, "invalid bridge name '%s'", c->bridge);
  c->is_default_gw = get_bool(j, "isDefaultGateway");
  c->is_gw = get_bool(j, "isGateway") || c->is_default_gw;
  c->force_address = get_bool(j, "forceAddress");
  c->ip_masq = get_bool(j, "ipMasq");
  c->hairpin = get_bool(j, "hairpinMode");
  c->promisc = get_bool(j, "promiscMode");
  if (c->hairpin && c->promisc)
    return cni_err(e, CNI_ERR_CONFIG, 0,
                   "cannot set hairpin mode and promiscuous mode at the same time");
  json_t *mtu = json_object_get(j, "mtu");
  if (mtu != NULL &&
      (!json_is_integer(mtu) || json_integer_value(mtu) < 0 || json_integer_value(mtu) > 65535))
    return cni_err(e, CNI_ERR_CONFIG, 0, "invalid \"mtu\"");
  c->mtu = mtu ? (unsigned)json_integer_value(mtu) : 0;
  if (c->mtu != 0 && c->mtu < 68)
    return cni_err(e, CNI_ERR_CONFIG, 0, "\"mtu\" %u is below the minimum of 68", c->mtu);
  json_t *ipam = json_object_get(j, "ipam");
  c->ipam_type = json_get_str(ipam, "type");
  if (c->ipam_type != NULL && *c->ipam_type == '\0')
    c->ipam_type = NULL;
  c->table = json_get_str(j, "nftTable");
  if (c->table == NULL)
    c->table = NFT_DEFAULT_TABLE;
  if (!nftx_table_valid(c->table))
    return cni_err(e, CNI_ERR_CONFIG, 0, "invalid \"nftTable\" '%s'", c->table);
  json_t *dns = json_object_get(j, "dns");
  if (json_is_object(dns) && json_object_size(dns) > 0)
    c->dns = dns;
  return 0;
}

int sides_open(struct sides *s, const char *netns, struct err **e) {
  memset(s, 0, sizeof(*s));
  s->nsfd = -1;
  if (nl_open(&s->host, e) < 0)
    return -1;
  s->nsfd = netns_open(netns, e);
  if (s->nsfd < 0)
    return -1;
  int saved = -1;
  if (netns_enter(s->nsfd, &saved, e) < 0)
    return -1;
  int rc = nl_open(&s->ctr, e);
  if (netns_leave(&saved, rc < 0 ? NULL : e) < 0)
    return -1;
  return rc;
}

void sides_close(struct sides *s) {
  nl_close(&s->host);
  nl_close(&s->ctr);
  if (s->nsfd >= 0)
    close(s->nsfd);
  s->nsfd = -1;
}

/* The bridge, created (up, its MAC pinned so that ports joining do not
 * change it) when absent. */
static int ensure_bridge(struct nl *nl, const struct bridge_conf *c, struct nl_link *br,
                         bool *created, struct err **e) {
  struct err *ge = NULL;
  *created = false;
  if (nl_link_get(nl, c->bridge, br, &ge) < 0) {
    if (ge->errnum != ENODEV) {
      *e = ge;
      return -1;
    }
    err_free(&ge);
    struct err *ce = NULL;
    if (nl_bridge_add(nl, c->bridge, c->mtu, &ce) < 0) {
      if (ce->errnum != EEXIST) { /* else someone made it just now */
        *e = ce;
        return -1;
      }
      err_free(&ce);
    } else {
      *created = true;
    }
    if (nl_link_get(nl, c->bridge, br, e) < 0)
      return -1;
    if (strcmp(br->kind, "bridge") == 0 && nl_link_set_mac(nl, br->index, br->mac, e) < 0)
      return -1;
  }
  if (strcmp(br->kind, "bridge") != 0)
    return cni_err(e, CNI_ERR_CONFIG, 0, "'%s' already exists but is not a bridge", c->bridge);
  if (!(br->flags & IFF_UP) && nl_link_set_up(nl, br->index, 1, e) < 0)
    return -1;
  if (c->promisc && !(br->flags & IFF_PROMISC) && nl_link_set_promisc(nl, br->index, e) < 0)
    return -1;
  return 0;
}

/* An interface named ifname in the container left by an ADD that never got
 * its DEL: a veth whose host end is on our bridge goes, anything else is an
 * error. */
static int clear_stale(struct sides *s, const char *ifname, const struct nl_link *br,
                       struct err **e) {
  struct nl_link old, peer;
  struct err *ge = NULL;
  if (nl_link_get(&s->ctr, ifname, &old, &ge) < 0) {
    int gone = ge->errnum == ENODEV;
    if (gone)
      err_free(&ge);
    else
      *e = ge;
    return gone ? 0 : -1;
  }
  /* IFLA_LINK is an index in the peer's namespace: the host link found
   * there must point back at this one and sit on our bridge. */
  bool ours = strcmp(old.kind, "veth") == 0 && old.link > 0 &&
              nl_link_get_index(&s->host, old.link, &peer, NULL) == 0 &&
              strcmp(peer.kind, "veth") == 0 && peer.link == old.index && peer.master == br->index;
  if (!ours)
    return cni_err(e, CNI_ERR_CONFIG, 0, "container interface '%s' already exists", ifname);
  return nl_link_del(&s->ctr, old.index, e);
}

static int make_veth(struct sides *s, const struct bridge_conf *c, const char *ifname,
                     const struct nl_link *br, struct nl_link *host, struct nl_link *ctr,
                     struct err **e) {
  for (int attempt = 0;; attempt++) {
    unsigned char rnd[4];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
      return err_set(e, errno, "getrandom");
    char name[IF_NAMESIZE];
    snprintf(name, sizeof(name), "veth%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    struct err *ve = NULL;
    if (nl_veth_add(&s->host, name, ifname, s->nsfd, c->mtu, br->index, &ve) == 0) {
      err_free(&ve);
      break;
    }
    if (ve->errnum != EEXIST || attempt == 3) {
      *e = ve;
      return -1;
    }
    err_free(&ve); /* a host name taken: draw another */
    struct nl_link there;
    if (nl_link_get(&s->ctr, ifname, &there, NULL) == 0)
      return cni_err(e, CNI_ERR_CONFIG, 0, "container interface '%s' already exists", ifname);
  }
  /* Up with arp_notify, which announces the address it gets. */
  if (nl_link_get(&s->ctr, ifname, ctr, e) < 0 ||
      nl_link_set_up_notify(&s->ctr, ctr->index, e) < 0 ||
      nl_link_get_index(&s->host, ctr->link, host, e) < 0)
    return -1;
  if (c->hairpin && nl_brport_set_hairpin(&s->host, host->index, 1, e) < 0)
    return -1;
  return 0;
}

/* The kernel turns the host end's operstate up asynchronously (the
 * bridge forwards to the port once it is): wait for it, briefly, at the
 * end of ADD so that the rest of the work hides the wait. */
static int wait_port_up(struct sides *s, struct nl_link *host, struct err **e) {
  if (nl_link_get_index(&s->host, host->index, host, e) < 0)
    return -1;
  for (int i = 0; host->operstate != NL_OPER_UP && i < 40; i++) {
    struct timespec ts = {0, (long)(100000L << (i < 10 ? i : 10))};
    if (i > 12)
      ts = (struct timespec){0, 50000000L};
    nanosleep(&ts, NULL);
    if (nl_link_get_index(&s->host, host->index, host, e) < 0)
      return -1;
  }
  if (host->operstate != NL_OPER_UP)
    return cni_err(e, CNI_ERR_INTERNAL, 0, "bridge port '%s' did not come up", host->name);
  return 0;
}

/* The first address of the gateway's family among ips: its gateway. */
static int ip_gateway(json_t *ip, struct ipnet *addr, struct ipaddr *gw, bool is_gw) {
  if (ipnet_parse(json_get_str(ip, "address") ? json_get_str(ip, "address") : "", addr) < 0)
    return -1;
  const char *g = json_get_str(ip, "gateway");
  if (g != NULL && ip_parse(g, gw) == 0)
    return 0;
  if (!is_gw) {
    memset(gw, 0, sizeof(*gw));
    return 0;
  }
  /* No gateway from IPAM: the subnet's first address, as the reference
   * plugin picks it. */
  *gw = ipnet_network(addr);
  ip_next(gw);
  char s[IPNET_STRLEN];
  json_object_set_new(ip, "gateway", json_string(ip_fmt(gw, s)));
  return 0;
}

/* Addresses, gateways and routes into the result (and the default route
 * when isDefaultGateway asks for one). */
static int fill_ips(json_t *res, const struct bridge_conf *c, struct err **e) {
  json_t *ips = json_object_get(res, "ips");
  json_t *routes = json_arr_ensure(res, "routes");
  if (json_array_size(ips) == 0)
    return cni_err(e, CNI_ERR_INTERNAL, 0, "IPAM plugin returned no address");
  bool def4 = false, def6 = false;
  size_t i;
  json_t *rt, *ip;
  json_array_foreach(routes, i, rt) {
    const char *d = json_get_str(rt, "dst");
    if (d && json_get_str(rt, "gw") && strcmp(d, "0.0.0.0/0") == 0)
      def4 = true;
    if (d && json_get_str(rt, "gw") && strcmp(d, "::/0") == 0)
      def6 = true;
  }
  json_array_foreach(ips, i, ip) {
    struct ipnet a;
    struct ipaddr gw;
    if (ip_gateway(ip, &a, &gw, c->is_gw) < 0)
      return cni_err(e, CNI_ERR_DECODE, 0, "IPAM result: invalid address in ips[%zu]", i);
    json_object_set_new(ip, "interface", json_integer(2));
    bool *def = a.ip.family == AF_INET ? &def4 : &def6;
    if (c->is_default_gw && !*def && gw.family != 0) {
      char s[IPNET_STRLEN];
      json_array_append_new(routes, json_pack("{s:s,s:s}", "dst",
                                              a.ip.family == AF_INET ? "0.0.0.0/0" : "::/0", "gw",
                                              ip_fmt(&gw, s)));
      *def = true;
    }
  }
  return 0;
}

/* Addresses and routes onto the container's interface. */
static int configure_ctr(struct sides *s, const struct nl_link *ctr, json_t *res, struct err **e) {
  size_t i;
  json_t *ip, *rt;
  struct ipaddr gw4 = {0}, gw6 = {0};
  json_array_foreach(json_object_get(res, "ips"), i, ip) {
    struct ipnet a;
    ipnet_parse(json_get_str(ip, "address"), &a);
    const char *g = json_get_str(ip, "gateway");
    struct ipaddr *gw = a.ip.family == AF_INET ? &gw4 : &gw6;
    if (g != NULL && gw->family == 0)
      ip_parse(g, gw);
  }
  json_array_foreach(json_object_get(res, "ips"), i, ip) {
    struct ipnet a;
    ipnet_parse(json_get_str(ip, "address"), &a);
    if (nl_addr_add(&s->ctr, ctr->index, &a, e) < 0)
      return -1;
  }
  json_array_foreach(json_object_get(res, "routes"), i, rt) {
    struct ipnet dst;
    struct ipaddr gw;
    if (ipnet_parse(json_get_str(rt, "dst") ? json_get_str(rt, "dst") : "", &dst) < 0)
      return cni_err(e, CNI_ERR_DECODE, 0, "invalid route dst in routes[%zu]", i);
    const char *g = json_get_str(rt, "gw");
    if (g != NULL) {
      if (ip_parse(g, &gw) < 0)
        return cni_err(e, CNI_ERR_DECODE, 0, "invalid route gw in routes[%zu]", i);
    } else {
      gw = dst.ip.family == AF_INET ? gw4 : gw6;
    }
    struct err *re = NULL;
    if (nl_route_add(&s->ctr, ctr->index, &dst, gw.family ? &gw : NULL, &re) < 0) {
      if (re->errnum != EEXIST) { /* the same route twice in the result is fine */
        *e = re;
        return -1;
      }
      err_free(&re);
    }
  }
  return 0;
}

/* The gateway address of each family on the bridge, and forwarding on. */
static int setup_gateway(struct sides *s, const struct bridge_conf *c, const struct nl_link *br,
                         json_t *res, struct err **e) {
  size_t i;
  json_t *ip;
  bool fwd4 = false, fwd6 = false;
  json_array_foreach(json_object_get(res, "ips"), i, ip) {
    struct ipnet a, gwn;
    struct ipaddr gw;
    ipnet_parse(json_get_str(ip, "address"), &a);
    if (json_get_str(ip, "gateway") == NULL || ip_parse(json_get_str(ip, "gateway"), &gw) < 0)
      continue;
    gwn.ip = gw;
    gwn.prefix = a.prefix;
    cleanup_free struct ipnet *have = NULL;
    size_t n = 0;
    if (nl_addr_list(&s->host, br->index, gw.family, &have, &n, e) < 0)
      return -1;
    bool present = false;
    for (size_t k = 0; k < n && !present; k++) {
      if (ip_equal(&have[k].ip, &gw) && have[k].prefix == gwn.prefix) {
        present = true;
        continue;
      }
      /* IPv4 allows one address on the bridge; IPv6 one per subnet. */
      if (gw.family == AF_INET || ipnet_contains(&have[k], &gw) ||
          ipnet_contains(&gwn, &have[k].ip)) {
        char hs[IPNET_STRLEN], ws[IPNET_STRLEN];
        if (!c->force_address)
          return cni_err(e, CNI_ERR_CONFIG, 0,
                         "'%s' already has an IP address %s different from %s", c->bridge,
                         ipnet_fmt(&have[k], hs), ipnet_fmt(&gwn, ws));
        if (nl_addr_del(&s->host, br->index, &have[k], e) < 0)
          return -1;
      }
    }
    struct err *ae = NULL;
    if (!present && nl_addr_add(&s->host, br->index, &gwn, &ae) < 0) {
      if (ae->errnum != EEXIST) {
        *e = ae;
        return -1;
      }
      err_free(&ae);
    }
    if (gw.family == AF_INET)
      fwd4 = true;
    else
      fwd6 = true;
  }
  if (fwd4 && sysctl_set("net/ipv4/ip_forward", "1", e) < 0)
    return -1;
  if (fwd6 && sysctl_set("net/ipv6/conf/all/forwarding", "1", e) < 0)
    return -1;
  return 0;
}

/* The masquerade elements of each IPv4 address (see nft.h); with del,
 * each added then removed, which makes removing a gone one succeed. */
static bool link_local6(const struct ipaddr *a) {
  return a->family == AF_INET6 && a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/* Run v (for the families in fam[]); on a missing table, make it (ADD) or
 * pass it over (DEL: nothing of ours is in a table that is not there). */
static int masq_run(const struct bridge_conf *c, struct nftel *v, size_t k, const bool fam[2],
                    bool del, struct err **e) {
  struct err *me = NULL;
  if (nftel_run(c->table, v, k, &me) == 0)
    return 0;
  if (me->errnum != ENOENT) {
    *e = me;
    return -1;
  }
  err_free(&me);
  if (del) {
    /* Which table is missing: each family alone. */
    if (!fam[0] || !fam[1])
      return 0;
    for (int f = 0; f < 2; f++) {
      cleanup_free struct nftel *one = xcalloc(k + 1, sizeof(*one));
      size_t m = 0;
      for (size_t i = 0; i < k; i++)
        if (v[i].v6 == (f == 1))
          one[m++] = v[i];
      bool only[2] = {f == 0, f == 1};
      if (masq_run(c, one, m, only, true, e) < 0)
        return -1;
    }
    return 0;
  }
  for (int f = 0; f < 2; f++) {
    if (!fam[f])
      continue;
    struct nftx nft = {0};
    int rc = nftx_open(&nft, c->table, e);
    nft.v6 = f == 1;
    if (rc == 0)
      rc = nftx_ensure(&nft, e);
    nftx_close(&nft);
    if (rc < 0)
      return -1;
  }
  return nftel_run(c->table, v, k, e);
}

/* The masquerade elements of each address (see nft.h), IPv4 ones in the ip
 * table, IPv6 ones (link-local ones aside) in the ip6 one; with del, each
 * added then removed, which makes removing a gone one succeed. */
static int masq(const struct bridge_conf *c, const char *owner, const struct ipnet *a, size_t n,
                bool del, struct err **e) {
  cleanup_free struct nftel *v = xcalloc(n * 4 + 1, sizeof(*v));
  size_t k = 0;
  bool fam[2] = {false, false};
  for (size_t i = 0; i < n; i++) {
    if (link_local6(&a[i].ip))
      continue;
    bool v6 = a[i].ip.family == AF_INET6;
    fam[v6] = true;
    struct ipaddr first = ipnet_network(&a[i]), last = ipnet_last(&a[i]);
    struct nftel src = {.set = "masq", .comment = owner, .v6 = v6};
    src.klen = nftel_put_ip(src.key, 0, &a[i].ip);
    struct nftel skip = {.set = "masq_skip", .comment = owner, .v6 = v6};
    skip.klen = nftel_put_ip(skip.key, nftel_put_ip(skip.key, 0, &a[i].ip), &first);
    skip.kelen = nftel_put_ip(skip.key_end, nftel_put_ip(skip.key_end, 0, &a[i].ip), &last);
    v[k++] = src;
    v[k++] = skip;
    if (del) {
      src.del = skip.del = true;
      v[k++] = src;
      v[k++] = skip;
    }
  }
  return k == 0 ? 0 : masq_run(c, v, k, fam, del, e);
}

static struct ipnet *result_addrs(const json_t *res, size_t *n) {
  json_t *ips = json_object_get(res, "ips");
  struct ipnet *v = xcalloc(json_array_size(ips) + 1, sizeof(*v));
  *n = 0;
  size_t i;
  json_t *ip;
  json_array_foreach(ips, i, ip) {
    const char *a = json_get_str(ip, "address");
    if (a != NULL && ipnet_parse(a, &v[*n]) == 0)
      (*n)++;
  }
  return v;
}

static struct cni_exec exec_of(const struct cni_req *r, const char *cmd) {
  return (struct cni_exec){cmd, r->containerid, r->netns, r->ifname, r->args, r->path};
}

/* Run the IPAM plugin: our own in this process (its code is linked in, the
 * same as the cairn-ipam executable runs), any other as CNI says, by exec. */
int ipam_run(const struct cni_req *r, const char *type, const char *cmd, json_t **result,
             struct err **e) {
  if (strcmp(type, "cairn-ipam") == 0) {
    struct cni_req sub = *r;
    sub.command = cmd;
    if (strcmp(cmd, "ADD") == 0)
      return ipam_cmd_add(&sub, result, e);
    if (strcmp(cmd, "DEL") == 0)
      return ipam_cmd_del(&sub, e);
    return ipam_cmd_check(&sub, e);
  }
  struct cni_exec x = exec_of(r, cmd);
  return cni_exec_plugin(type, &x, r->raw, r->raw_len, result, e);
}

/* A bridge this ADD made goes again when the ADD fails, unless another
 * container joined it meanwhile. */
static void undo_bridge(struct sides *s, const struct nl_link *br, bool created) {
  if (created && br->index > 0 && nl_count_ports(&s->host, br->index, NULL) == 0)
    nl_link_del(&s->host, br->index, NULL);
}

static int cmd_add(struct cni_req *r, json_t **result, struct err **e) {
  struct bridge_conf c;
  if (bridge_conf_parse(r, &c, e) < 0)
    return -1;
  struct sides s;
  struct nl_link br = {0}, host, ctr = {0};
  bool br_created = false;
  int rc = sides_open(&s, r->netns, e);
  if (rc == 0)
    rc = ensure_bridge(&s.host, &c, &br, &br_created, e);
  if (rc == 0)
    rc = clear_stale(&s, r->ifname, &br, e);
  if (rc == 0)
    rc = make_veth(&s, &c, r->ifname, &br, &host, &ctr, e);
  if (rc < 0) {
    if (ctr.index > 0)
      nl_link_del(&s.ctr, ctr.index, NULL);
    undo_bridge(&s, &br, br_created);
    sides_close(&s);
    return -1;
  }
  /* From here on a failure undoes the veth (and the allocation). */
  bool allocated = false;
  cleanup_json json_t *res = json_object();
  json_t *ifs = json_array();
  json_object_set_new(res, "interfaces", ifs);
  if (c.ipam_type != NULL) {
    json_t *ipres = NULL;
    rc = ipam_run(r, c.ipam_type, "ADD", &ipres, e);
    if (rc == 0) {
      allocated = true;
      json_object_set(res, "ips",
                      json_object_get(ipres, "ips") ? json_object_get(ipres, "ips") : json_array());
      json_object_set(res, "routes",
                      json_object_get(ipres, "routes") ? json_object_get(ipres, "routes")
                                                       : json_array());
      if (json_object_get(ipres, "dns") != NULL)
        json_object_set(res, "dns", json_object_get(ipres, "dns"));
      json_decref(ipres);
      rc = fill_ips(res, &c, e);
    }
    if (rc == 0)
      rc = configure_ctr(&s, &ctr, res, e);
    if (rc == 0 && c.is_gw)
      rc = setup_gateway(&s, &c, &br, res, e);
    if (rc == 0 && c.ip_masq) {
      size_t n;
      cleanup_free struct ipnet *addrs = result_addrs(res, &n);
      cleanup_free char *owner = nftx_owner(r->containerid, r->ifname);
      rc = masq(&c, owner, addrs, n, false, e);
    }
  }
  if (rc == 0)
    rc = wait_port_up(&s, &host, e);
  /* The bridge's MAC as it is now that the port joined. */
  if (rc == 0)
    rc = nl_link_get_index(&s.host, br.index, &br, e);
  if (rc < 0) {
    nl_link_del(&s.ctr, ctr.index, NULL);
    undo_bridge(&s, &br, br_created);
    if (allocated)
      ipam_run(r, c.ipam_type, "DEL", NULL, NULL);
    sides_close(&s);
    return -1;
  }
  json_array_append_new(ifs, cni_iface_json(br.name, br.mac_str, NULL));
  json_array_append_new(ifs, cni_iface_json(host.name, host.mac_str, NULL));
  json_array_append_new(ifs, cni_iface_json(ctr.name, ctr.mac_str, r->netns));
  if (c.dns != NULL)
    json_object_set(res, "dns", c.dns);
  sides_close(&s);
  *result = steal_ptr(&res);
  return 0;
}

static int cmd_del(struct cni_req *r, struct err **e) {
  struct bridge_conf c;
  if (bridge_conf_parse(r, &c, e) < 0)
    return -1;
  /* The container's addresses, read before its interface goes: they name
   * the masquerade elements to remove. */
  cleanup_free struct ipnet *addrs = NULL;
  size_t n = 0;
  if (*r->netns != '\0') {
    struct sides s;
    struct err *oe = NULL;
    if (sides_open(&s, r->netns, &oe) == 0) {
      struct nl_link ctr, host;
      if (nl_link_get(&s.ctr, r->ifname, &ctr, &oe) == 0) {
        /* Wait for the host end too when it is the veth's other end. */
        bool pair = ctr.link > 0 && nl_link_get_index(&s.host, ctr.link, &host, NULL) == 0 &&
                    strcmp(host.kind, "veth") == 0 && host.link == ctr.index;
        if (nl_addr_list(&s.ctr, ctr.index, AF_UNSPEC, &addrs, &n, &oe) == 0)
          nl_link_del_unlisted(&s.ctr, ctr.index, pair ? &s.host : NULL, pair ? host.index : 0,
                               &oe);
      } else if (oe->errnum == ENODEV) {
        err_free(&oe); /* gone already: DEL again is fine */
      }
    } else if (oe != NULL && oe->errnum == ENOENT) {
      err_free(&oe); /* the namespace is gone, and with it the veth */
    }
    sides_close(&s);
    if (oe != NULL) {
      *e = oe;
      return err_wrap(e, "remove '%s' from '%s'", r->ifname, r->netns);
    }
  }
  if (c.ipam_type != NULL && ipam_run(r, c.ipam_type, "DEL", NULL, e) < 0)
    return -1;
  if (!c.ip_masq)
    return 0;
  cleanup_free char *owner = nftx_owner(r->containerid, r->ifname);
  size_t kept = 0; /* link-local addresses have no elements */
  for (size_t i = 0; i < n; i++)
    if (!link_local6(&addrs[i].ip))
      addrs[kept++] = addrs[i];
  n = kept;
  if (n == 0 && r->prev != NULL) {
    free(addrs);
    addrs = result_addrs(r->prev, &n);
  }
  if (n > 0)
    return masq(&c, owner, addrs, n, true, e);
  /* Nothing says which addresses it had: find its elements by owner. */
  for (int v6 = 0; v6 < 2; v6++) {
    struct nftx nft = {0};
    if (nftx_open(&nft, c.table, e) < 0)
      return -1;
    nft.v6 = v6;
    int rc = nftx_delete_owned(&nft, "masq", owner, e);
    if (rc == 0)
      rc = nftx_delete_owned(&nft, "masq_skip", owner, e);
    nftx_close(&nft);
    if (rc < 0)
      return -1;
  }
  return 0;
}

const struct cni_plugin cni_plugin_bridge = {"cairn-bridge", cmd_add, cmd_del, bridge_cmd_check};
