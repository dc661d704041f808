/* cairn-bridge CHECK: the state ADD made is still there — the bridge, the
 * container's veth with the addresses and routes of the previous result,
 * and the IPAM plugin's record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "invoke.h"
#include "json.h"
#include "mem.h"

static int check_addrs(struct sides *s, const struct nl_link *ctr, json_t *prev, struct err **e) {
  cleanup_free struct ipnet *have = NULL;
  size_t n = 0;
  if (nl_addr_list(&s->ctr, ctr->index, AF_UNSPEC, &have, &n, e) < 0)
    return -1;
  size_t i;
  json_t *ip;
  json_array_foreach(json_object_get(prev, "ips"), i, ip) {
    struct ipnet want;
    const char *a = json_get_str(ip, "address");
    if (a == NULL || ipnet_parse(a, &want) < 0)
      return cni_err(e, CNI_ERR_DECODE, 0, "prevResult: invalid ips[%zu]", i);
    bool found = false;
    for (size_t k = 0; k < n && !found; k++)
      found = ip_equal(&have[k].ip, &want.ip) && have[k].prefix == want.prefix;
    if (!found)
      return cni_err(e, CNI_ERR_INTERNAL, 0, "address %s is missing on '%s'", a, ctr->name);
  }
  return 0;
}

static int check_routes(struct sides *s, json_t *prev, struct err **e) {
  cleanup_free struct nl_route *have = NULL;
  size_t n = 0;
  if (nl_route_list(&s->ctr, AF_UNSPEC, &have, &n, e) < 0)
    return -1;
  size_t i;
  json_t *rt;
  json_array_foreach(json_object_get(prev, "routes"), i, rt) {
    struct ipnet dst;
    const char *d = json_get_str(rt, "dst");
    if (d == NULL || ipnet_parse(d, &dst) < 0)
      return cni_err(e, CNI_ERR_DECODE, 0, "prevResult: invalid routes[%zu]", i);
    struct ipnet want = ipnet_canonical(&dst);
    bool found = false;
    for (size_t k = 0; k < n && !found; k++)
      found = have[k].dst.ip.family == want.ip.family && have[k].dst.prefix == want.prefix &&
              ip_equal(&have[k].dst.ip, &want.ip);
    if (!found)
      return cni_err(e, CNI_ERR_INTERNAL, 0, "route to %s is missing", d);
  }
  return 0;
}

int bridge_cmd_check(struct cni_req *r, struct err **e) {
  struct bridge_conf c;
  if (bridge_conf_parse(r, &c, e) < 0)
    return -1;
  if (r->prev == NULL)
    return cni_err(e, CNI_ERR_CONFIG, 0, "CHECK needs a prevResult");
  if (c.ipam_type != NULL && ipam_run(r, c.ipam_type, "CHECK", NULL, e) < 0)
    return -1;
  struct sides s;
  struct nl_link br, ctr, host;
  int rc = sides_open(&s, r->netns, e);
  if (rc == 0 && (rc = nl_link_get(&s.host, c.bridge, &br, e)) == 0 &&
      strcmp(br.kind, "bridge") != 0)
    rc = cni_err(e, CNI_ERR_INTERNAL, 0, "'%s' is not a bridge", c.bridge);
  if (rc == 0)
    rc = nl_link_get(&s.ctr, r->ifname, &ctr, e);
  if (rc == 0 && strcmp(ctr.kind, "veth") != 0)
    rc = cni_err(e, CNI_ERR_INTERNAL, 0, "'%s' is not a veth", r->ifname);
  if (rc == 0 && (nl_link_get_index(&s.host, ctr.link, &host, NULL) < 0 || host.master != br.index))
    rc = cni_err(e, CNI_ERR_INTERNAL, 0, "the peer of '%s' is not on bridge '%s'", r->ifname,
                 c.bridge);
  if (rc == 0)
    rc = check_addrs(&s, &ctr, r->prev, e);
  if (rc == 0)
    rc = check_routes(&s, r->prev, e);
  sides_close(&s);
  return rc;
}
