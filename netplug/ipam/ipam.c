/* cairn-ipam's ADD, DEL and CHECK: host-local's semantics — one address
 * from each range set, handed out round-robin after the last one reserved,
 * recorded on disk under a lock, released on DEL by container id and
 * interface name.  cairn-bridge calls these directly for "cairn-ipam"
 * (the same code the plugin runs, without a process). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"
#include "ipam.h"
#include "json.h"
#include "mem.h"
#include "plugins.h"

/* The DNS settings of a resolv.conf file, as the result's "dns". */
static json_t *parse_resolv_conf(const char *path, struct err **e) {
  cleanup_fclose FILE *f = fopen(path, "re");
  if (f == NULL) {
    cni_err(e, CNI_ERR_IO, errno, "ipam: open resolvConf '%s'", path);
    return NULL;
  }
  json_t *dns = json_object();
  json_t *ns = json_array(), *search = json_array(), *opts = json_array();
  char line[1024];
  while (fgets(line, sizeof(line), f) != NULL) {
    char *save = NULL;
    char *key = strtok_r(line, " \t\r\n", &save);
    if (key == NULL || key[0] == '#' || key[0] == ';')
      continue;
    json_t *dst = strcmp(key, "nameserver") == 0 ? ns
                  : strcmp(key, "search") == 0   ? search
                  : strcmp(key, "options") == 0  ? opts
                                                 : NULL;
    for (char *v; (v = strtok_r(NULL, " \t\r\n", &save)) != NULL;) {
      if (strcmp(key, "domain") == 0)
        json_object_set_new(dns, "domain", json_string(v));
      else if (dst != NULL)
        json_array_append_new(dst, json_string(v));
    }
  }
  if (json_array_size(ns))
    json_object_set(dns, "nameservers", ns);
  if (json_array_size(search))
    json_object_set(dns, "search", search);
  if (json_array_size(opts))
    json_object_set(dns, "options", opts);
  json_decref(ns);
  json_decref(search);
  json_decref(opts);
  return dns;
}

static json_t *ip_json(const struct range *r, const struct ipaddr *a) {
  char addr[IPNET_STRLEN], gw[IPNET_STRLEN];
  struct ipnet n = {*a, r->subnet.prefix};
  return json_pack("{s:s,s:s}", "address", ipnet_fmt(&n, addr), "gateway", ip_fmt(&r->gw, gw));
}

/* The next candidate after a in set s: the following address, or the start
 * of the next range (wrapping) after a range's end. */
static struct ipaddr next_candidate(const struct rangeset *s, const struct ipaddr *a) {
  for (size_t i = 0; i < s->n; i++) {
    if (ip_cmp(a, &s->r[i].start) >= 0 && ip_cmp(a, &s->r[i].end) < 0) {
      struct ipaddr n = *a;
      ip_next(&n);
      return n;
    }
    if (ip_equal(a, &s->r[i].end))
      return s->r[(i + 1) % s->n].start;
  }
  return s->r[0].start;
}

static bool excluded(const struct ipam_conf *c, const struct ipaddr *a) {
  for (size_t i = 0; i < c->nexcl; i++)
    if (ip_equal(&c->excl[i], a))
      return true;
  return false;
}

/* Allocate one address of set for id/ifname; *got and *range are filled. */
static int allocate(struct store *st, const struct ipam_conf *c, size_t set, const char *id,
                    const char *ifname, bool *used_req, struct ipaddr *got,
                    const struct range **range, struct err **e) {
  const struct rangeset *s = &c->sets[set];
  /* An address asked for wins, and must be free. */
  for (size_t i = 0; i < c->nreq; i++) {
    const struct range *r = rangeset_find(s, &c->req[i]);
    if (r == NULL)
      continue;
    char a[IPNET_STRLEN];
    ip_fmt(&c->req[i], a);
    if (ip_equal(&c->req[i], &r->gw))
      return cni_err(e, CNI_ERR_CONFIG, 0, "requested address %s is the subnet's gateway", a);
    if (excluded(c, &c->req[i]))
      return cni_err(e, CNI_ERR_CONFIG, 0,
                     "requested address %s is reserved (an auxiliary address)", a);
    int rv = store_reserve(st, &c->req[i], id, ifname, set, e);
    if (rv < 0)
      return -1;
    if (rv == 0) {
      cleanup_free char *rs = rangeset_fmt(s);
      return cni_err(e, CNI_ERR_EXHAUSTED, 0,
                     "requested address %s is not available in range set %s", a, rs);
    }
    used_req[i] = true;
    *got = c->req[i];
    *range = r;
    return 0;
  }
  /* Round-robin: start after the last address reserved in this set, go
   * once around every range, skip gateways. */
  struct ipaddr last = store_last_reserved(st, set);
  struct ipaddr start = last.family != 0 && rangeset_find(s, &last) != NULL
                            ? next_candidate(s, &last)
                            : s->r[0].start;
  struct ipaddr cur = start;
  do {
    const struct range *r = rangeset_find(s, &cur);
    if (r != NULL && !ip_equal(&cur, &r->gw) && !excluded(c, &cur)) {
      int rv = store_reserve(st, &cur, id, ifname, set, e);
      if (rv < 0)
        return -1;
      if (rv == 1) {
        *got = cur;
        *range = r;
        return 0;
      }
    }
    cur = next_candidate(s, &cur);
  } while (!ip_equal(&cur, &start));
  cleanup_free char *rs = rangeset_fmt(s);
  return cni_err(e, CNI_ERR_EXHAUSTED, 0, "no IP addresses available in range set: %s", rs);
}

int ipam_cmd_add(struct cni_req *r, json_t **result, struct err **e) {
  struct ipam_conf c;
  if (ipam_conf_parse(r->conf, r->args, &c, e) < 0) {
    ipam_conf_free(&c);
    return -1;
  }
  int rc = 0;
  cleanup_json json_t *res = json_pack("{s:[],s:O}", "ips", "routes", c.routes);
  if (c.resolv_conf != NULL) {
    json_t *dns = parse_resolv_conf(c.resolv_conf, e);
    if (dns == NULL)
      rc = -1;
    else
      json_object_set_new(res, "dns", dns);
  }
  struct store st = {0};
  if (rc == 0)
    rc = store_open(&st, c.data_dir, c.name, e);
  if (rc < 0) {
    ipam_conf_free(&c);
    return -1;
  }
  cleanup_free bool *used_req = xcalloc(c.nreq + 1, sizeof(bool));
  /* An ADD again for the same container and interface (a runtime retrying,
   * a crash before DEL) gets the addresses it holds back. */
  cleanup_free struct ipaddr *held = NULL;
  size_t nheld = 0;
  rc = store_find(&st, r->containerid, r->ifname, &held, &nheld, e);
  json_t *ips = json_object_get(res, "ips");
  for (size_t set = 0; rc == 0 && set < c.nsets; set++) {
    const struct range *rg = NULL;
    struct ipaddr got = {0};
    for (size_t i = 0; i < nheld && rg == NULL; i++)
      if ((rg = rangeset_find(&c.sets[set], &held[i])) != NULL)
        got = held[i];
    if (rg == NULL)
      rc = allocate(&st, &c, set, r->containerid, r->ifname, used_req, &got, &rg, e);
    if (rc == 0)
      json_array_append_new(ips, ip_json(rg, &got));
  }
  for (size_t i = 0; rc == 0 && i < c.nreq; i++) {
    if (used_req[i])
      continue;
    char a[IPNET_STRLEN];
    rc = cni_err(e, CNI_ERR_CONFIG, 0, "requested address %s is in none of the ranges",
                 ip_fmt(&c.req[i], a));
  }
  if (rc < 0) /* nothing half-allocated stays behind */
    store_release(&st, r->containerid, r->ifname, NULL);
  store_close(&st);
  ipam_conf_free(&c);
  if (rc < 0)
    return -1;
  *result = steal_ptr(&res);
  return 0;
}

int ipam_cmd_del(struct cni_req *r, struct err **e) {
  struct ipam_conf c;
  if (ipam_conf_parse(r->conf, r->args, &c, e) < 0) {
    ipam_conf_free(&c);
    return -1;
  }
  struct store st = {0};
  int rc = store_open(&st, c.data_dir, c.name, e);
  if (rc == 0) {
    rc = store_release(&st, r->containerid, r->ifname, e);
    store_close(&st);
  }
  ipam_conf_free(&c);
  return rc;
}

int ipam_cmd_check(struct cni_req *r, struct err **e) {
  struct ipam_conf c;
  if (ipam_conf_parse(r->conf, r->args, &c, e) < 0) {
    ipam_conf_free(&c);
    return -1;
  }
  struct store st = {0};
  cleanup_free struct ipaddr *held = NULL;
  size_t n = 0;
  int rc = store_open(&st, c.data_dir, c.name, e);
  if (rc == 0) {
    rc = store_find(&st, r->containerid, r->ifname, &held, &n, e);
    store_close(&st);
  }
  ipam_conf_free(&c);
  if (rc == 0 && n == 0)
    return cni_err(e, CNI_ERR_INTERNAL, 0, "no address is allocated to container '%s' on '%s'",
                   r->containerid, r->ifname);
  return rc;
}

const struct cni_plugin cni_plugin_ipam = {"cairn-ipam", ipam_cmd_add, ipam_cmd_del,
                                           ipam_cmd_check};
