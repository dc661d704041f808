/* networks.c — what cairn knows of networks beyond cairn-net's conflists,
 * and a container's attachments to more than one network.
 *
 * cairn-net owns the CNI configs ($CAIRN_ROOT/net.d); cairn keeps docker's
 * extra facts about a network it created (id, created time, labels,
 * ip-range, options) in $CAIRN_ROOT/networks/NAME.json.  A network made
 * another way (the default "cairn", or `cairn-net create`) has an id
 * derived from its name, so it is stable without a file.
 *
 * A container's first network is container.json "network" (wired by
 * start.c as eth0).  `cairn network connect` adds entries to
 * "extraNetworks": {"name", "aliases", "ip" (asked for), "ifname"
 * (eth1, eth2, …), "settings" (IPAddress, IPPrefixLen, Gateway,
 * MacAddress while attached)}; each is `cairn-net add NET ID NETNS
 * --ifname IF` on start and `cairn-net del …` on cleanup. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn.h"
#include "digest.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

char *net_meta_path(const char *name) {
  return xasprintf("%s/networks/%s.json", C.root, name);
}

json_t *net_meta_load(const char *name) {
  cleanup_free char *p = net_meta_path(name);
  if (access(p, F_OK) < 0)
    return NULL;
  struct err *e = NULL;
  json_t *j = json_load_path(p, &e);
  err_free(&e);
  const char *n = json_get_str(j, "name");
  if (!json_is_object(j) || n == NULL || strcmp(n, name) != 0) {
    json_decref(j);
    return NULL;
  }
  return j;
}

char *net_id(const char *name) {
  cleanup_json json_t *m = net_meta_load(name);
  const char *id = json_get_str(m, "id");
  if (id != NULL && strlen(id) == 64)
    return xstrdup(id);
  /* host and none are docker's names too; any other without a file */
  return network_default_id(name);
}

static bool net_mode_own(const char *net) {
  return net != NULL && strcmp(net, "host") != 0 && strcmp(net, "none") != 0 &&
         strncmp(net, "container:", 10) != 0;
}

json_t *ctr_networks(const json_t *c) {
  json_t *out = json_array();
  const char *net = json_get_str(c, "network");
  json_t *ns = json_get_obj(c, "networkSettings");
  const char *ip = json_get_str(ns, "IPAddress");
  if (net_mode_own(net) && ip != NULL && *ip != '\0') {
    json_t *a = json_get_arr(c, "aliases");
    json_array_append_new(out, json_pack("{s:s,s:o,s:O,s:O,s:O,s:O,s:b}", "name", net, "aliases",
                                         a ? json_deep_copy(a) : json_array(), "IPAddress",
                                         json_object_get(ns, "IPAddress"), "IPPrefixLen",
                                         json_object_get(ns, "IPPrefixLen"), "Gateway",
                                         json_object_get(ns, "Gateway"), "MacAddress",
                                         json_object_get(ns, "MacAddress"), "primary", 1));
  }
  size_t i;
  json_t *x;
  json_array_foreach(json_get_arr(c, "extraNetworks"), i, x) {
    json_t *s = json_get_obj(x, "settings");
    const char *xip = json_get_str(s, "IPAddress");
    if (xip == NULL || *xip == '\0')
      continue;
    json_t *m = json_deep_copy(s);
    json_object_set(m, "name", json_object_get(x, "name"));
    json_object_set_new(m, "aliases",
                        json_get_arr(x, "aliases") ? json_deep_copy(json_get_arr(x, "aliases"))
                                                   : json_array());
    json_object_set_new(m, "primary", json_false());
    json_array_append_new(out, m);
  }
  return out;
}

bool ctr_on_network(const json_t *c, const char *net) {
  if (strcmp(json_get_str(c, "network") ? json_get_str(c, "network") : "", net) == 0)
    return true;
  size_t i;
  json_t *x;
  json_array_foreach(json_get_arr(c, "extraNetworks"), i, x) {
    if (strcmp(json_get_str(x, "name"), net) == 0)
      return true;
  }
  return false;
}

/* The settings cairn-net add's CNI result gives the interface. */
json_t *net_settings_of(const json_t *r) {
  json_t *ns = json_object();
  json_t *ip0 = json_array_get(json_get_arr(r, "ips"), 0);
  const char *addr = json_get_str(ip0, "address");
  cleanup_free char *a = xstrdup(addr ? addr : "");
  char *slash = strchr(a, '/');
  int prefix = 0;
  if (slash != NULL) {
    *slash = '\0';
    prefix = atoi(slash + 1);
  }
  json_object_set_new(ns, "IPAddress", json_string(a));
  json_object_set_new(ns, "IPPrefixLen", json_integer(prefix));
  const char *gw = json_get_str(ip0, "gateway");
  json_object_set_new(ns, "Gateway", json_string(gw ? gw : ""));
  json_t *ifidx = json_object_get(ip0, "interface");
  json_t *iface = json_is_integer(ifidx) ? json_array_get(json_get_arr(r, "interfaces"),
                                                          (size_t)json_integer_value(ifidx))
                                         : NULL;
  const char *mac = json_get_str(iface, "mac");
  json_object_set_new(ns, "MacAddress", json_string(mac ? mac : ""));
  /* a dual-stack network's second address (docker's Global IPv6 fields) */
  size_t i;
  json_t *ip;
  json_array_foreach(json_get_arr(r, "ips"), i, ip) {
    const char *a6 = json_get_str(ip, "address");
    if (i == 0 || a6 == NULL || strchr(a6, ':') == NULL)
      continue;
    cleanup_free char *v6 = xstrdup(a6);
    char *sl = strchr(v6, '/');
    int p6 = 0;
    if (sl != NULL) {
      *sl = '\0';
      p6 = atoi(sl + 1);
    }
    const char *g6 = json_get_str(ip, "gateway");
    json_object_set_new(ns, "GlobalIPv6Address", json_string(v6));
    json_object_set_new(ns, "GlobalIPv6PrefixLen", json_integer(p6));
    json_object_set_new(ns, "IPv6Gateway", json_string(g6 ? g6 : ""));
    break;
  }
  return ns;
}

int net_extra_add(const json_t *c, json_t *x, const char *nspath, struct err **e) {
  cleanup_strv char **argv = NULL;
  const char *head[] = {"cairn-net", "add",      json_get_str(x, "name"),  json_get_str(c, "id"),
                        nspath,      "--ifname", json_get_str(x, "ifname")};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
    strv_push(&argv, head[i]);
  if (json_get_str(x, "ip") != NULL) {
    strv_push(&argv, "--ip");
    strv_push(&argv, json_get_str(x, "ip"));
  }
  struct tool_out o = {0};
  if (tool_run((const char *const *)argv, NULL, 0, &o, 0, e) < 0)
    return -1;
  cleanup_json json_t *r = json_load_str(o.out, "cairn-net add result", e);
  tool_out_free(&o);
  if (r == NULL) {
    struct err *de = NULL;
    net_extra_del(c, x, nspath, &de);
    err_free(&de);
    return -1;
  }
  json_object_set_new(x, "settings", net_settings_of(r));
  return 0;
}

int net_extra_del(const json_t *c, json_t *x, const char *nspath, struct err **e) {
  const char *argv[] = {"cairn-net", "del",      json_get_str(x, "name"),   json_get_str(c, "id"),
                        nspath,      "--ifname", json_get_str(x, "ifname"), NULL};
  struct tool_out o = {0};
  int rc = tool_run(argv, NULL, 0, &o, 0, e);
  tool_out_free(&o);
  if (rc == 0)
    json_object_del(x, "settings");
  return rc;
}

int net_extra_attach(json_t *c, const char *nspath, struct err **e) {
  json_t *xs = json_get_arr(c, "extraNetworks");
  for (size_t i = 0; i < json_array_size(xs); i++) {
    if (net_extra_add(c, json_array_get(xs, i), nspath, e) < 0) {
      while (i-- > 0) {
        struct err *de = NULL;
        if (net_extra_del(c, json_array_get(xs, i), nspath, &de) < 0)
          err_free(&de);
      }
      return err_wrap(e, "connect to network '%s'", json_get_str(json_array_get(xs, i), "name"));
    }
  }
  return 0;
}

int net_extra_detach(json_t *c, const char *nspath, struct err **e) {
  int rc = 0;
  size_t i;
  json_t *x;
  json_array_foreach(json_get_arr(c, "extraNetworks"), i, x) {
    struct err *de = NULL;
    if (net_extra_del(c, x, nspath, &de) < 0) {
      if (rc == 0)
        *e = de;
      else
        err_free(&de);
      rc = -1;
    }
  }
  /* their peers forget this container */
  json_array_foreach(json_get_arr(c, "extraNetworks"), i, x) {
    struct err *he = NULL;
    if (hosts_sync(json_get_str(x, "name"), c, &he) < 0)
      err_free(&he);
  }
  return rc;
}

void net_inspect_extras(const json_t *c, json_t *networks) {
  cleanup_free char *shortid = xstrndup(json_get_str(c, "id"), 12);
  size_t i;
  json_t *x;
  json_array_foreach(json_get_arr(c, "extraNetworks"), i, x) {
    const char *name = json_get_str(x, "name");
    json_t *s = json_get_obj(x, "settings");
    json_t *aliases =
        json_get_arr(x, "aliases") ? json_deep_copy(json_get_arr(x, "aliases")) : json_array();
    json_array_append_new(aliases, json_string(shortid));
    cleanup_free char *nid = net_id(name);
    const char *ip = json_get_str(s, "IPAddress"), *gw = json_get_str(s, "Gateway"),
               *mac = json_get_str(s, "MacAddress");
    char eid[DIGEST_STR_LEN + 1] = "";
    if (s != NULL) {
      cleanup_free char *seed = xasprintf("%s %s", json_get_str(c, "id"), name);
      sha256_buf(seed, strlen(seed), eid);
    }
    json_object_set_new(networks, name,
                        json_pack("{s:o,s:s,s:s,s:s,s:I,s:s,s:s}", "Aliases", aliases, "NetworkID",
                                  nid, "EndpointID", s ? digest_hex(eid) : "", "Gateway",
                                  gw ? gw : "", "IPPrefixLen",
                                  (json_int_t)json_integer_value(json_object_get(s, "IPPrefixLen")),
                                  "IPAddress", ip ? ip : "", "MacAddress", mac ? mac : ""));
  }
}

/* The first of eth1, eth2, … no extra network of c uses. */
static char *free_ifname(const json_t *c) {
  for (int n = 1;; n++) {
    char *name = xasprintf("eth%d", n);
    bool used = false;
    size_t i;
    json_t *x;
    json_array_foreach(json_get_arr(c, "extraNetworks"), i, x) {
      used |= strcmp(json_get_str(x, "ifname"), name) == 0;
    }
    if (!used)
      return name;
    free(name);
  }
}

static int connect_locked(json_t *c, const char *net, json_t *aliases, const char *ip,
                          struct err **e) {
  const char *id = json_get_str(c, "id");
  const char *mode = json_get_str(c, "network");
  if (!net_mode_own(mode))
    return err_usage(e, "container %s uses network mode '%s' and cannot be connected to networks",
                     json_get_str(c, "name"), mode ? mode : "");
  if (ctr_on_network(c, net))
    return err_setc(e, ERR_EXISTS, 0, "endpoint with name %s already exists in network %s",
                    json_get_str(c, "name"), net);
  cleanup_free char *ifname = free_ifname(c);
  json_t *x = json_pack("{s:s,s:O,s:s}", "name", net, "aliases", aliases, "ifname", ifname);
  if (ip != NULL)
    json_object_set_new(x, "ip", json_string(ip));
  json_t *xs = json_arr_ensure(c, "extraNetworks");
  json_array_append_new(xs, x);
  const char *nspath = json_get_str(json_get_obj(c, "attached"), "netns");
  if (!shim_alive(id) || nspath == NULL)
    return ctr_save(c, e); /* attached when it starts */
  /* recorded first: a cairn killed during the add leaves what cleanup
   * detaches */
  if (ctr_save(c, e) < 0 || net_extra_add(c, x, nspath, e) < 0) {
    json_array_remove(xs, json_array_size(xs) - 1);
    struct err *se = NULL;
    if (ctr_save(c, &se) < 0)
      err_free(&se);
    return -1;
  }
  if (ctr_save(c, e) < 0) {
    struct err *de = NULL;
    if (net_extra_del(c, x, nspath, &de) < 0)
      err_free(&de);
    return -1;
  }
  return hosts_sync(net, c, e);
}

int ctr_net_connect(const char *id, const char *net, json_t *aliases, const char *ip,
                    struct err **e) {
  int lk = ctr_lock(id, e);
  if (lk < 0)
    return -1;
  json_t *c = ctr_load(id, e);
  int rc = c ? connect_locked(c, net, aliases, ip, e) : -1;
  json_decref(c);
  lock_release(lk);
  return rc;
}

static int disconnect_locked(json_t *c, const char *net, struct err **e) {
  const char *id = json_get_str(c, "id");
  const char *mode = json_get_str(c, "network");
  if (mode != NULL && strcmp(mode, net) == 0)
    return err_usage(e,
                     "container %s cannot be disconnected from network %s: it is its first "
                     "network (cairn keeps that one for the container's life)",
                     json_get_str(c, "name"), net);
  json_t *xs = json_get_arr(c, "extraNetworks");
  size_t i;
  json_t *x = NULL;
  for (i = 0; i < json_array_size(xs); i++) {
    x = json_array_get(xs, i);
    if (strcmp(json_get_str(x, "name"), net) == 0)
      break;
  }
  if (i >= json_array_size(xs))
    return err_set(e, 0, "container %.12s is not connected to network %s", id, net);
  const char *nspath = json_get_str(json_get_obj(c, "attached"), "netns");
  if (nspath != NULL && net_extra_del(c, x, nspath, e) < 0)
    return -1;
  json_array_remove(xs, i);
  if (ctr_save(c, e) < 0)
    return -1;
  return shim_alive(id) ? hosts_sync(net, c, e) : 0;
}

int ctr_net_disconnect(const char *id, const char *net, struct err **e) {
  int lk = ctr_lock(id, e);
  if (lk < 0)
    return -1;
  json_t *c = ctr_load(id, e);
  int rc = c ? disconnect_locked(c, net, e) : -1;
  json_decref(c);
  lock_release(lk);
  return rc;
}

/* The first address of an IPv6 network (its default gateway). */
char *net_first_host6(const char *cidr) {
  cleanup_free char *a = xstrdup(cidr);
  char *slash = strchr(a, '/');
  if (slash != NULL)
    *slash = '\0';
  struct in6_addr in;
  if (inet_pton(AF_INET6, a, &in) != 1)
    return xstrdup("");
  for (int i = 15; i >= 0 && ++in.s6_addr[i] == 0; i--) {
  }
  char out[INET6_ADDRSTRLEN];
  return xstrdup(inet_ntop(AF_INET6, &in, out, sizeof out));
}

/* Whether the IPv4 address ip lies in cidr (which cairn-net checks in full). */
bool net_in_subnet(const char *cidr, const char *ip) {
  cleanup_free char *a = xstrdup(cidr);
  char *slash = strchr(a, '/');
  if (slash == NULL)
    return false;
  *slash = '\0';
  int prefix = atoi(slash + 1);
  struct in_addr n, h;
  if (inet_pton(AF_INET, a, &n) != 1 || inet_pton(AF_INET, ip, &h) != 1 || prefix < 0 ||
      prefix > 32)
    return false;
  uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  return (ntohl(n.s_addr) & mask) == (ntohl(h.s_addr) & mask);
}

/* An IPv4 address plus one: the default gateway of a subnet. */
char *net_first_host(const char *cidr) {
  cleanup_free char *a = xstrdup(cidr);
  char *slash = strchr(a, '/');
  if (slash != NULL)
    *slash = '\0';
  struct in_addr in;
  if (inet_pton(AF_INET, a, &in) != 1)
    return xstrdup("");
  in.s_addr = htonl(ntohl(in.s_addr) + 1);
  char out[INET_ADDRSTRLEN];
  return xstrdup(inet_ntop(AF_INET, &in, out, sizeof out));
}
