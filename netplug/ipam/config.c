/* cairn-ipam's config: host-local's "ranges" (or the older top-level
 * "subnet"), "routes", "dataDir", "resolvConf", and the addresses a runtime
 * asks for. */
#include <stdlib.h>
#include <string.h>

#include "cni.h"
#include "ipam.h"
#include "json.h"
#include "mem.h"

#define DEFAULT_DATA_DIR "/var/lib/cni/networks"

/* Fill in a range's defaults and check it, as host-local does: the subnet
 * is a network address big enough to allocate from, the gateway defaults to
 * its first address, start and end default to the first and last usable
 * addresses and lie inside it. */
static int range_parse(json_t *j, const char *where, struct range *r, struct err **e) {
  if (!json_is_object(j))
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s is not an object", where);
  const char *subnet = json_get_str(j, "subnet");
  if (subnet == NULL)
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s has no \"subnet\"", where);
  if (ipnet_parse(subnet, &r->subnet) < 0)
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s: invalid subnet '%s'", where, subnet);
  struct ipaddr net = ipnet_network(&r->subnet);
  if (!ip_equal(&net, &r->subnet.ip))
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s: subnet '%s' has host bits set", where, subnet);
  int bits = ip_len(net.family) * 8;
  if (r->subnet.prefix > bits - 2)
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s: subnet '%s' is too small to allocate from",
                   where, subnet);
  struct ipaddr last = ipnet_last(&r->subnet);

  r->start = net;
  ip_next(&r->start);
  r->end = last;
  if (net.family == AF_INET)
    ip_prev(&r->end); /* the broadcast address */
  r->gw = r->start;

  static const char *keys[] = {"gateway", "rangeStart", "rangeEnd"};
  struct ipaddr *dst[] = {&r->gw, &r->start, &r->end};
  for (int i = 0; i < 3; i++) {
    json_t *v = json_object_get(j, keys[i]);
    if (v == NULL || (json_is_string(v) && *json_string_value(v) == '\0'))
      continue;
    const char *s = json_string_value(v);
    if (s == NULL || ip_parse(s, dst[i]) < 0)
      return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s: invalid %s", where, keys[i]);
    if (i > 0 && !ipnet_contains(&r->subnet, dst[i]))
      return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s: %s %s is outside subnet %s", where, keys[i],
                     s, subnet);
  }
  if (ip_cmp(&r->start, &r->end) > 0)
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: %s: rangeStart is after rangeEnd", where);
  return 0;
}

static bool ranges_overlap(const struct range *a, const struct range *b) {
  if (a->start.family != b->start.family)
    return false;
  return ip_cmp(&a->start, &b->end) <= 0 && ip_cmp(&b->start, &a->end) <= 0;
}

char *rangeset_fmt(const struct rangeset *s) {
  char *out = xstrdup("");
  for (size_t i = 0; i < s->n; i++) {
    char a[IPNET_STRLEN], b[IPNET_STRLEN];
    char *n = xasprintf("%s%s%s-%s", out, i ? "," : "", ip_fmt(&s->r[i].start, a),
                        ip_fmt(&s->r[i].end, b));
    free(out);
    out = n;
  }
  return out;
}

const struct range *rangeset_find(const struct rangeset *s, const struct ipaddr *a) {
  for (size_t i = 0; i < s->n; i++)
    if (ip_cmp(a, &s->r[i].start) >= 0 && ip_cmp(a, &s->r[i].end) <= 0)
      return &s->r[i];
  return NULL;
}

static int parse_sets(json_t *ipam, struct ipam_conf *c, struct err **e) {
  json_t *ranges = json_object_get(ipam, "ranges");
  cleanup_json json_t *legacy = NULL;
  if (ranges == NULL && json_object_get(ipam, "subnet") != NULL) {
    /* The old form: one range given at the top of "ipam". */
    legacy = json_pack("[[O]]", ipam);
    ranges = legacy;
  }
  if (!json_is_array(ranges) || json_array_size(ranges) == 0)
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: no IP ranges specified");
  c->nsets = json_array_size(ranges);
  c->sets = xcalloc(c->nsets, sizeof(*c->sets));
  for (size_t i = 0; i < c->nsets; i++) {
    json_t *set = json_array_get(ranges, i);
    if (!json_is_array(set) || json_array_size(set) == 0)
      return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: ranges[%zu] is not a non-empty array", i);
    struct rangeset *s = &c->sets[i];
    s->r = xcalloc(json_array_size(set), sizeof(*s->r));
    for (size_t k = 0; k < json_array_size(set); k++) {
      char where[64];
      snprintf(where, sizeof(where), "ranges[%zu][%zu]", i, k);
      if (range_parse(json_array_get(set, k), where, &s->r[k], e) < 0)
        return -1;
      s->n++;
    }
  }
  /* No address may belong to two ranges, within a set or across sets. */
  for (size_t i = 0; i < c->nsets; i++)
    for (size_t k = 0; k < c->sets[i].n; k++)
      for (size_t j = i; j < c->nsets; j++)
        for (size_t l = (j == i ? k + 1 : 0); l < c->sets[j].n; l++)
          if (ranges_overlap(&c->sets[i].r[k], &c->sets[j].r[l]))
            return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: ranges[%zu][%zu] overlaps ranges[%zu][%zu]",
                           i, k, j, l);
  return 0;
}

static int parse_routes(json_t *ipam, struct ipam_conf *c, struct err **e) {
  json_t *routes = json_object_get(ipam, "routes");
  c->routes = json_array();
  if (routes == NULL)
    return 0;
  if (!json_is_array(routes))
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: \"routes\" is not an array");
  size_t i;
  json_t *rt;
  json_array_foreach(routes, i, rt) {
    const char *dst = json_get_str(rt, "dst");
    struct ipnet n;
    if (dst == NULL || ipnet_parse(dst, &n) < 0)
      return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: routes[%zu]: invalid \"dst\"", i);
    json_t *gw = json_object_get(rt, "gw");
    struct ipaddr g;
    if (gw != NULL && (!json_is_string(gw) || ip_parse(json_string_value(gw), &g) < 0))
      return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: routes[%zu]: invalid \"gw\"", i);
    json_array_append(c->routes, rt);
  }
  return 0;
}

/* "10.0.0.5" or "10.0.0.5/24" (the prefix is ignored, as host-local does). */
static int add_req(struct ipam_conf *c, const char *s, const char *from, struct err **e) {
  char buf[IPNET_STRLEN];
  snprintf(buf, sizeof(buf), "%s", s);
  char *slash = strchr(buf, '/');
  if (slash != NULL)
    *slash = '\0';
  struct ipaddr a;
  if (ip_parse(buf, &a) < 0)
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: invalid address '%s' in %s", s, from);
  c->req = xrealloc(c->req, (c->nreq + 1) * sizeof(*c->req));
  c->req[c->nreq++] = a;
  return 0;
}

static int parse_requests(const json_t *conf, const char *cni_args, struct ipam_conf *c,
                          struct err **e) {
  json_t *lists[] = {json_object_get(json_object_get(json_object_get(conf, "args"), "cni"), "ips"),
                     json_object_get(json_object_get(conf, "runtimeConfig"), "ips")};
  const char *names[] = {"args.cni.ips", "runtimeConfig.ips"};
  for (int k = 0; k < 2; k++) {
    if (lists[k] == NULL)
      continue;
    size_t i;
    json_t *v;
    json_array_foreach(lists[k], i, v) {
      if (!json_is_string(v) || add_req(c, json_string_value(v), names[k], e) < 0)
        return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: invalid address in %s", names[k]);
    }
  }
  cleanup_free char *ip = cni_args_get(cni_args, "IP");
  for (char *p = ip, *tok; p != NULL; p = tok) {
    tok = strchr(p, ',');
    if (tok != NULL)
      *tok++ = '\0';
    if (*p != '\0' && add_req(c, p, "CNI_ARGS", e) < 0)
      return -1;
  }
  return 0;
}

/* cairn's own key, "exclude": ["IP", …], addresses no container gets
 * (docker's auxiliary addresses).  host-local ignores it. */
static int parse_exclude(const json_t *ipam, struct ipam_conf *c, struct err **e) {
  json_t *ex = json_object_get(ipam, "exclude");
  if (ex == NULL)
    return 0;
  if (!json_is_array(ex))
    return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: \"exclude\" is not an array");
  c->excl = xcalloc(json_array_size(ex) + 1, sizeof *c->excl);
  size_t i;
  json_t *v;
  json_array_foreach(ex, i, v) {
    const char *s = json_string_value(v);
    if (s == NULL || ip_parse(s, &c->excl[c->nexcl]) < 0)
      return cni_err(e, CNI_ERR_CONFIG, 0, "ipam: exclude[%zu] is not an IP address", i);
    c->nexcl++;
  }
  return 0;
}

int ipam_conf_parse(const json_t *conf, const char *cni_args, struct ipam_conf *c, struct err **e) {
  memset(c, 0, sizeof(*c));
  json_t *ipam = json_object_get(conf, "ipam");
  if (!json_is_object(ipam))
    return cni_err(e, CNI_ERR_CONFIG, 0, "network config has no \"ipam\" object");
  const char *name = json_get_str(conf, "name");
  if (name == NULL || *name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
      strcmp(name, "..") == 0)
    return cni_err(e, CNI_ERR_CONFIG, 0, "network config needs a \"name\" usable as a directory");
  c->name = xstrdup(name);
  const char *dd = json_get_str(ipam, "dataDir");
  c->data_dir = xstrdup(dd != NULL && *dd != '\0' ? dd : DEFAULT_DATA_DIR);
  const char *rc = json_get_str(ipam, "resolvConf");
  c->resolv_conf = rc != NULL && *rc != '\0' ? xstrdup(rc) : NULL;
  if (parse_sets(ipam, c, e) < 0 || parse_routes(ipam, c, e) < 0 || parse_exclude(ipam, c, e) < 0 ||
      parse_requests(conf, cni_args, c, e) < 0)
    return -1;
  return 0;
}

void ipam_conf_free(struct ipam_conf *c) {
  for (size_t i = 0; i < c->nsets; i++)
    free(c->sets[i].r);
  free(c->sets);
  json_decref(c->routes);
  free(c->name);
  free(c->data_dir);
  free(c->resolv_conf);
  free(c->req);
  free(c->excl);
  memset(c, 0, sizeof(*c));
}
