/* cairn-loopback — the CNI loopback plugin: brings "lo" of the container's
 * network namespace up on ADD and down on DEL, whatever CNI_IFNAME says.
 * In a chain it passes the previous result through unchanged. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "addr.h"
#include "cni.h"
#include "mem.h"
#include "netns.h"
#include "nl.h"
#include "plugins.h"

/* Run fn on "lo" inside r's namespace. */
static int with_lo(struct cni_req *r, int (*fn)(struct nl *, struct nl_link *, void *), void *data,
                   struct err **e) {
  cleanup_close int nsfd = netns_open(r->netns, e);
  if (nsfd < 0)
    return -1;
  int saved = -1;
  if (netns_enter(nsfd, &saved, e) < 0)
    return -1;
  struct nl nl = {0};
  int rc = nl_open(&nl, e);
  netns_leave(&saved, rc < 0 ? NULL : e);
  if (rc < 0)
    return -1;
  struct nl_link lo;
  rc = nl_link_get(&nl, "lo", &lo, e);
  if (rc == 0)
    rc = fn(&nl, &lo, data);
  nl_close(&nl);
  return rc;
}

struct add_state {
  json_t *ips;
  struct err **e;
};

static int lo_up(struct nl *nl, struct nl_link *lo, void *data) {
  struct add_state *st = data;
  if (nl_link_set_up(nl, lo->index, 1, st->e) < 0)
    return -1;
  cleanup_free struct ipnet *a = NULL;
  size_t n = 0;
  if (nl_addr_list(nl, lo->index, AF_UNSPEC, &a, &n, st->e) < 0)
    return -1;
  /* The first address of each family, as the reference plugin reports. */
  int seen4 = 0, seen6 = 0;
  for (size_t i = 0; i < n; i++) {
    int *seen = a[i].ip.family == AF_INET ? &seen4 : &seen6;
    if (*seen)
      continue;
    *seen = 1;
    char s[IPNET_STRLEN];
    json_array_append_new(st->ips,
                          json_pack("{s:i,s:s}", "interface", 0, "address", ipnet_fmt(&a[i], s)));
  }
  return 0;
}

static int cmd_add(struct cni_req *r, json_t **result, struct err **e) {
  cleanup_json json_t *ips = json_array();
  struct add_state st = {ips, e};
  if (with_lo(r, lo_up, &st, e) < 0)
    return err_wrap(e, "bring up lo in '%s'", r->netns);
  if (r->prev != NULL) {
    *result = json_incref(r->prev);
    return 0;
  }
  json_t *res = json_object();
  json_object_set_new(res, "interfaces",
                      json_pack("[o]", cni_iface_json("lo", "00:00:00:00:00:00", r->netns)));
  json_object_set(res, "ips", ips);
  *result = res;
  return 0;
}

static int lo_down(struct nl *nl, struct nl_link *lo, void *data) {
  return nl_link_set_up(nl, lo->index, 0, data);
}

static int cmd_del(struct cni_req *r, struct err **e) {
  if (*r->netns == '\0')
    return 0;
  struct err *le = NULL;
  if (with_lo(r, lo_down, &le, &le) < 0) {
    /* DEL succeeds when the namespace is gone already. */
    if (le->errnum == ENOENT) {
      err_free(&le);
      return 0;
    }
    *e = le;
    return err_wrap(e, "bring down lo in '%s'", r->netns);
  }
  return 0;
}

static int lo_is_up(struct nl *nl, struct nl_link *lo, void *data) {
  (void)nl;
  if (lo->flags & IFF_UP)
    return 0;
  return cni_err(data, CNI_ERR_INTERNAL, 0, "loopback interface is down");
}

static int cmd_check(struct cni_req *r, struct err **e) {
  return with_lo(r, lo_is_up, e, e);
}

const struct cni_plugin cni_plugin_loopback = {"cairn-loopback", cmd_add, cmd_del, cmd_check};
