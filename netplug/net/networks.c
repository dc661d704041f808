/* cairn-net create, ls, inspect, rm: network configs (conflists) in the
 * config dir, one "<name>.conflist" each, written atomically under a lock
 * so that two creates cannot both take a subnet.  The default network
 * "cairn" is written the first time anything asks for it. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cni.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"
#include "net.h"
#include "nl.h"

#define DEFAULT_NET "cairn"
#define DEFAULT_BRIDGE "cairn0"
#define DEFAULT_SUBNET "10.88.0.0/16"

int net_name_valid(const char *s) {
  if (s == NULL || !isalnum((unsigned char)*s) || strlen(s) > 64)
    return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
      return 0;
  return 1;
}

static char *conf_path(const struct netctx *c, const char *name) {
  return xasprintf("%s/%s.conflist", c->config_dir, name);
}

int net_validate(const json_t *list, const char *where, struct err **e) {
  const char *v = json_get_str(list, "cniVersion");
  if (!json_is_object(list))
    return err_usage(e, "%s: not a JSON object", where);
  if (!cni_version_supported(v))
    return err_usage(e, "%s: unsupported cniVersion '%s'", where, v ? v : "");
  if (!net_name_valid(json_get_str(list, "name")))
    return err_usage(e, "%s: missing or invalid \"name\"", where);
  json_t *plugins = json_object_get(list, "plugins");
  if (!json_is_array(plugins) || json_array_size(plugins) == 0)
    return err_usage(e, "%s: \"plugins\" must be a non-empty array", where);
  size_t i;
  json_t *p;
  json_array_foreach(plugins, i, p) {
    const char *t = json_get_str(p, "type");
    if (t == NULL || *t == '\0' || strchr(t, '/') != NULL)
      return err_usage(e, "%s: plugins[%zu] has no valid \"type\"", where, i);
  }
  return 0;
}

static json_t *load_file(const char *path, const char *name, struct err **e) {
  if (access(path, F_OK) < 0) {
    err_setc(e, ERR_NOTFOUND, 0, "network '%s' not found", name);
    return NULL;
  }
  json_t *j = json_load_path(path, e);
  if (j == NULL)
    return NULL;
  if (net_validate(j, path, e) < 0) {
    json_decref(j);
    return NULL;
  }
  if (strcmp(json_get_str(j, "name"), name) != 0) {
    err_usage(e, "%s: \"name\" is '%s', not '%s'", path, json_get_str(j, "name"), name);
    json_decref(j);
    return NULL;
  }
  return j;
}

/* The subnets of a conflist's IPAM ranges (and the old top-level form). */
static size_t net_subnets(const json_t *list, struct ipnet *out, size_t max) {
  size_t n = 0, i, k, l;
  json_t *p, *set, *r;
  json_array_foreach(json_object_get(list, "plugins"), i, p) {
    json_t *ipam = json_object_get(p, "ipam");
    const char *s = json_get_str(ipam, "subnet");
    if (s != NULL && n < max && ipnet_parse(s, &out[n]) == 0)
      n++;
    json_array_foreach(json_object_get(ipam, "ranges"), k, set) {
      json_array_foreach(set, l, r) {
        s = json_get_str(r, "subnet");
        if (s != NULL && n < max && ipnet_parse(s, &out[n]) == 0)
          n++;
      }
    }
  }
  return n;
}

static const char *net_bridge(const json_t *list) {
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(list, "plugins"), i, p) {
    const char *b = json_get_str(p, "bridge");
    if (b != NULL)
      return b;
  }
  return NULL;
}

/* Every conflist in the dir, as {name: document}; unreadable ones are
 * skipped (ls shows what it can). */
static json_t *load_all(const struct netctx *c) {
  json_t *all = json_object();
  cleanup_dir DIR *d = opendir(c->config_dir);
  if (d == NULL)
    return all;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l <= 9 || strcmp(de->d_name + l - 9, ".conflist") != 0 || de->d_name[0] == '.')
      continue;
    cleanup_free char *name = xstrndup(de->d_name, l - 9);
    cleanup_free char *path = conf_path(c, name);
    struct err *le = NULL;
    json_t *j = load_file(path, name, &le);
    err_free(&le);
    if (j != NULL)
      json_object_set_new(all, name, j);
  }
  return all;
}

/* The addresses of ip-range r that the ipam may hand out in subnet sn:
 * r without its first and last addresses (an x.x.x.0 or x.x.x.255 confuses
 * people and some software), a /31 or /32 whole unless its addresses are
 * sn's network or broadcast address. */
static void range_bounds(const struct ipnet *sn, const struct ipnet *r, char *start, char *end) {
  struct ipaddr a = ipnet_network(r), b = ipnet_last(r);
  struct ipaddr sa = ipnet_network(sn), sb = ipnet_last(sn);
  if (r->prefix <= 30 || ip_equal(&a, &sa))
    ip_next(&a);
  if (r->prefix <= 30 || ip_equal(&b, &sb))
    ip_prev(&b);
  ip_fmt(&a, start);
  ip_fmt(&b, end);
}

static json_t *make_conflist(const struct netctx *c, const char *name, const char *bridge,
                             const char *subnet, const char *gateway, const struct ipnet *iprange,
                             bool internal, int mtu, const char *table) {
  json_t *range = json_pack("{s:s}", "subnet", subnet);
  if (gateway != NULL)
    json_object_set_new(range, "gateway", json_string(gateway));
  if (iprange != NULL && iprange->ip.family != 0) {
    struct ipnet sn;
    char a[IPNET_STRLEN], b[IPNET_STRLEN];
    ipnet_parse(subnet, &sn);
    range_bounds(&sn, iprange, a, b);
    json_object_set_new(range, "rangeStart", json_string(a));
    json_object_set_new(range, "rangeEnd", json_string(b));
  }
  cleanup_free char *data_dir = xasprintf("%s/ipam", c->run_dir);
  json_t *ipam =
      json_pack("{s:s,s:[[o]],s:s}", "type", "cairn-ipam", "ranges", range, "dataDir", data_dir);
  /* An internal network has no way out: no default route, no masquerade. */
  json_object_set_new(ipam, "routes",
                      internal ? json_array() : json_pack("[{s:s}]", "dst", "0.0.0.0/0"));
  json_t *br = json_pack("{s:s,s:s,s:b,s:b,s:b,s:{s:b},s:o}", "type", "cairn-bridge", "bridge",
                         bridge, "isGateway", 1, "ipMasq", !internal, "hairpinMode", 1,
                         "capabilities", "ips", 1, "ipam", ipam);
  if (mtu > 0)
    json_object_set_new(br, "mtu", json_integer(mtu));
  json_t *pm =
      json_pack("{s:s,s:{s:b}}", "type", "cairn-portmap", "capabilities", "portMappings", 1);
  if (table != NULL) {
    json_object_set_new(br, "nftTable", json_string(table));
    json_object_set_new(pm, "nftTable", json_string(table));
  }
  json_t *lo = json_pack("{s:s}", "type", "cairn-loopback");
  return json_pack("{s:s,s:s,s:[ooo]}", "cniVersion", CNI_VERSION, "name", name, "plugins", br, pm,
                   lo);
}

static int lock_dir(const struct netctx *c, struct err **e) {
  if (mkdir_p(c->config_dir, 0755, e) < 0)
    return -1;
  cleanup_free char *lock = xasprintf("%s/.lock", c->config_dir);
  return lock_acquire(lock, 0, e);
}

/* Write the default network unless it exists; call with the lock held. */
static int write_default(const struct netctx *c, struct err **e) {
  cleanup_free char *path = conf_path(c, DEFAULT_NET);
  if (access(path, F_OK) == 0)
    return 0;
  cleanup_json json_t *j =
      make_conflist(c, DEFAULT_NET, DEFAULT_BRIDGE, DEFAULT_SUBNET, NULL, NULL, false, 0, NULL);
  return json_write_file(j, path, e);
}

json_t *net_load(struct netctx *c, const char *name, struct err **e) {
  if (!net_name_valid(name)) {
    err_usage(e, "invalid network name '%s'", name);
    return NULL;
  }
  cleanup_free char *path = conf_path(c, name);
  if (strcmp(name, DEFAULT_NET) == 0 && access(path, F_OK) < 0) {
    int fd = lock_dir(c, e);
    if (fd < 0)
      return NULL;
    int rc = write_default(c, e);
    lock_release(fd);
    if (rc < 0)
      return NULL;
  }
  return load_file(path, name, e);
}

/* A host interface other than ours that has an address in n. */
static const char *host_conflict(const struct ipnet *n, char *ifname) {
  struct ifaddrs *ifa = NULL;
  if (getifaddrs(&ifa) < 0)
    return NULL;
  const char *hit = NULL;
  for (struct ifaddrs *i = ifa; i != NULL && hit == NULL; i = i->ifa_next) {
    if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
      continue;
    struct ipaddr a = {AF_INET, {0}};
    memcpy(a.b, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
    if (ipnet_contains(n, &a)) {
      snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
      hit = ifname;
    }
  }
  freeifaddrs(ifa);
  return hit;
}

int cmd_create(struct netctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"subnet", required_argument, NULL, 's'},      {"gateway", required_argument, NULL, 'g'},
      {"internal", no_argument, NULL, 'i'},          {"bridge", required_argument, NULL, 'b'},
      {"mtu", required_argument, NULL, 'm'},         {"nft-table", required_argument, NULL, 't'},
      {"ip-range", required_argument, NULL, 'r'},    {"id", required_argument, NULL, 'I'},
      {"aux-address", required_argument, NULL, 'x'}, {NULL, 0, NULL, 0}};
  cleanup_json json_t *aux = json_array();
  const char *subnet = NULL, *gateway = NULL, *bridge = NULL, *table = NULL, *iprange = NULL;
  const char *netid = NULL, *subnet6 = NULL;
  bool internal = false;
  int mtu = 0, o;
  while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (o) {
      case 's':
        /* one IPv4 subnet and, for a dual-stack network, one IPv6 one */
        if (strchr(optarg, ':') != NULL) {
          if (subnet6 != NULL)
            return err_usage(e, "create: only one IPv6 --subnet");
          subnet6 = optarg;
        } else {
          if (subnet != NULL)
            return err_usage(e, "create: only one IPv4 --subnet");
          subnet = optarg;
        }
        break;
      case 'g': gateway = optarg; break;
      case 'i': internal = true; break;
      case 'b': bridge = optarg; break;
      case 't': table = optarg; break;
      case 'r': iprange = optarg; break;
      case 'x': json_array_append_new(aux, json_string(optarg)); break;
      case 'I':
        if (!net_id_valid(optarg))
          return err_usage(e, "create: invalid --id '%s' (64 lowercase hex digits)", optarg);
        netid = optarg;
        break;
      case 'm': {
        char *end;
        long v = strtol(optarg, &end, 10);
        if (*end != '\0' || v < 68 || v > 65535)
          return err_usage(e, "create: invalid --mtu '%s' (68 to 65535)", optarg);
        mtu = (int)v;
        break;
      }
      default: return err_usage(e, "create: unknown option (see cairn-net create --help)");
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "create: expected one NAME");
  const char *name = argv[optind];
  if (!net_name_valid(name))
    return err_usage(e, "create: invalid network name '%s'", name);
  struct ipnet sn = {0};
  if (subnet != NULL) {
    if (ipnet_parse(subnet, &sn) < 0 || sn.ip.family != AF_INET)
      return err_usage(e, "create: invalid --subnet '%s' (an IPv4 CIDR such as 10.89.1.0/24)",
                       subnet);
    struct ipaddr net = ipnet_network(&sn);
    if (!ip_equal(&net, &sn.ip) || sn.prefix > 30)
      return err_usage(e,
                       "create: --subnet '%s' must be a network address with a prefix of "
                       "at most /30",
                       subnet);
  }
  struct ipnet sn6 = {0};
  if (subnet6 != NULL) {
    bool ok6 = ipnet_parse(subnet6, &sn6) == 0 && sn6.ip.family == AF_INET6 && sn6.prefix <= 124;
    struct ipaddr net6 = ok6 ? ipnet_network(&sn6) : (struct ipaddr){0};
    if (!ok6 || !ip_equal(&net6, &sn6.ip))
      return err_usage(e,
                       "create: invalid --subnet '%s' (an IPv6 network such as fd00:1::/64, "
                       "prefix at most /124)",
                       subnet6);
  }
  struct ipaddr gw;
  if (gateway != NULL && (ip_parse(gateway, &gw) < 0 || (subnet && !ipnet_contains(&sn, &gw))))
    return err_usage(e, "create: --gateway '%s' is not an address in the subnet", gateway);
  if (gateway != NULL && subnet == NULL)
    return err_usage(e, "create: --gateway needs --subnet");
  struct ipnet rn = {0};
  if (iprange != NULL) {
    if (subnet == NULL)
      return err_usage(e, "create: --ip-range needs --subnet");
    struct ipaddr first, last;
    if (ipnet_parse(iprange, &rn) < 0 || rn.ip.family != AF_INET)
      return err_usage(e, "create: invalid --ip-range '%s' (an IPv4 CIDR)", iprange);
    first = ipnet_network(&rn);
    last = ipnet_last(&rn);
    if (!ip_equal(&first, &rn.ip) || !ipnet_contains(&sn, &first) || !ipnet_contains(&sn, &last) ||
        rn.prefix < sn.prefix)
      return err_usage(e, "create: --ip-range '%s' is not a network inside the subnet %s", iprange,
                       subnet);
    char a[IPNET_STRLEN], b[IPNET_STRLEN];
    range_bounds(&sn, &rn, a, b);
    struct ipaddr pa, pb;
    ip_parse(a, &pa);
    ip_parse(b, &pb);
    if (ip_cmp(&pa, &pb) > 0)
      return err_usage(e, "create: --ip-range '%s' holds no usable address", iprange);
  }
  size_t ai;
  json_t *av;
  json_array_foreach(aux, ai, av) {
    struct ipaddr a;
    const char *s = json_string_value(av);
    if (subnet == NULL)
      return err_usage(e, "create: --aux-address needs --subnet");
    if (ip_parse(s, &a) < 0 || !ipnet_contains(&sn, &a))
      return err_usage(e, "create: --aux-address '%s' is not an address in the subnet %s", s,
                       subnet);
  }
  if (bridge != NULL && (strlen(bridge) > 15 || strchr(bridge, '/') || *bridge == '\0'))
    return err_usage(e, "create: invalid --bridge '%s'", bridge);
  if (table != NULL && (strlen(table) > 32 || !isalpha((unsigned char)*table)))
    return err_usage(e, "create: invalid --nft-table '%s'", table);

  int lk = lock_dir(c, e);
  if (lk < 0)
    return -1;
  int rc = write_default(c, e);
  cleanup_free char *path = conf_path(c, name);
  if (rc == 0 && access(path, F_OK) == 0)
    rc = err_setc(e, ERR_EXISTS, 0, "create: network '%s' already exists", name);
  cleanup_json json_t *all = rc == 0 ? load_all(c) : NULL;
  /* Subnets of two networks may not overlap; without --subnet take the
   * first free 10.89.N.0/24 (as podman does). */
  for (int n = 0; rc == 0 && subnet == NULL && n < 256; n++) {
    char cand[32];
    snprintf(cand, sizeof(cand), "10.89.%d.0/24", n);
    struct ipnet t;
    ipnet_parse(cand, &t);
    bool taken = false;
    const char *k;
    json_t *v;
    json_object_foreach(all, k, v) {
      struct ipnet s[16];
      size_t m = net_subnets(v, s, 16);
      for (size_t i = 0; i < m; i++)
        taken |= ipnet_overlaps(&s[i], &t);
    }
    char ifn[IF_NAMESIZE];
    if (!taken && host_conflict(&t, ifn) == NULL)
      sn = t;
    if (sn.ip.family != 0)
      break;
  }
  if (rc == 0 && sn.ip.family == 0)
    rc = err_set(e, 0, "create: no free subnet in 10.89.0.0/16; give one with --subnet");
  const char *k;
  json_t *v;
  json_object_foreach(all, k, v) {
    struct ipnet s[16];
    size_t m = net_subnets(v, s, 16);
    for (size_t i = 0; rc == 0 && i < m; i++) {
      const struct ipnet *mine = ipnet_overlaps(&s[i], &sn)                       ? &sn
                                 : subnet6 != NULL && ipnet_overlaps(&s[i], &sn6) ? &sn6
                                                                                  : NULL;
      if (mine == NULL)
        continue;
      char a[IPNET_STRLEN], b[IPNET_STRLEN];
      rc = err_usage(e, "create: subnet %s overlaps network '%s' (%s)", ipnet_fmt(mine, a), k,
                     ipnet_fmt(&s[i], b));
    }
    const char *b = net_bridge(v);
    if (rc == 0 && bridge != NULL && b != NULL && strcmp(b, bridge) == 0)
      rc = err_usage(e, "create: bridge '%s' is used by network '%s'", bridge, k);
  }
  /* A bridge name: cairn1, cairn2, … the first no network and no host
   * interface has. */
  char brname[IF_NAMESIZE];
  for (int n = 1; rc == 0 && bridge == NULL && n < 10000; n++) {
    snprintf(brname, sizeof(brname), "cairn%d", n);
    bool taken = if_nametoindex(brname) != 0;
    json_object_foreach(all, k, v) {
      const char *b = net_bridge(v);
      taken |= b != NULL && strcmp(b, brname) == 0;
    }
    if (!taken)
      bridge = brname;
  }
  if (rc == 0) {
    char sns[IPNET_STRLEN];
    cleanup_json json_t *j =
        make_conflist(c, name, bridge, ipnet_fmt(&sn, sns), gateway, &rn, internal, mtu, table);
    if (netid != NULL)
      json_object_set_new(j, NET_ID_KEY, json_string(netid));
    if (subnet6 != NULL) { /* a second range set: each container gets one of each */
      json_t *ipam = json_object_get(json_array_get(json_object_get(j, "plugins"), 0), "ipam");
      char s6[IPNET_STRLEN];
      json_array_append_new(json_object_get(ipam, "ranges"),
                            json_pack("[{s:s}]", "subnet", ipnet_fmt(&sn6, s6)));
      if (!internal)
        json_array_append_new(json_object_get(ipam, "routes"), json_pack("{s:s}", "dst", "::/0"));
    }
    if (json_array_size(aux) > 0) /* the bridge plugin's ipam */
      json_object_set(json_object_get(json_array_get(json_object_get(j, "plugins"), 0), "ipam"),
                      "exclude", aux);
    rc = json_write_file(j, path, e);
    if (rc == 0)
      net_event(c, "create", j, name, NULL);
  }
  lock_release(lk);
  if (rc == 0)
    printf("%s\n", name);
  return rc;
}

static int strcmp_ptr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cmd_ls(struct netctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {NULL, 0, NULL, 0}};
  const char *format = NULL;
  bool quiet = false;
  int o;
  while ((o = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
    if (o == 'f')
      format = optarg;
    else if (o == 'q')
      quiet = true;
    else
      return err_usage(e, "ls: unknown option");
  }
  if (optind != argc)
    return err_usage(e, "ls: takes no arguments");
  if (format != NULL && strcmp(format, "json") != 0)
    return err_usage(e, "ls: --format takes only 'json'");
  cleanup_json json_t *def = net_load(c, DEFAULT_NET, e);
  if (def == NULL)
    return -1;
  cleanup_json json_t *all = load_all(c);
  if (!quiet && format == NULL)
    printf("%-20s %-10s %-18s %-15s\n", "NAME", "DRIVER", "SUBNET", "BRIDGE");
  const char *k;
  json_t *v;
  /* Sorted by name, as people scan lists. */
  cleanup_free const char **names = xcalloc(json_object_size(all) + 1, sizeof(char *));
  size_t n = 0;
  json_object_foreach(all, k, v) names[n++] = k;
  qsort(names, n, sizeof(*names), strcmp_ptr);
  for (size_t i = 0; i < n; i++) {
    v = json_object_get(all, names[i]);
    struct ipnet s[4];
    char sns[IPNET_STRLEN] = "";
    if (net_subnets(v, s, 4) > 0)
      ipnet_fmt(&s[0], sns);
    const char *br = net_bridge(v);
    if (quiet) {
      printf("%s\n", names[i]);
    } else if (format != NULL) {
      cleanup_json json_t *row =
          json_pack("{s:s,s:s,s:s,s:s}", "Name", names[i], "Driver", br ? "bridge" : "cni",
                    "Subnet", sns, "Bridge", br ? br : "");
      json_write_line(row, stdout, NULL);
    } else {
      printf("%-20s %-10s %-18s %-15s\n", names[i], br ? "bridge" : "cni", sns, br ? br : "");
    }
  }
  return 0;
}

int cmd_inspect(struct netctx *c, int argc, char **argv, struct err **e) {
  if (argc < 2)
    return err_usage(e, "inspect: expected NAME…");
  cleanup_json json_t *out = json_array();
  for (int i = 1; i < argc; i++) {
    json_t *j = net_load(c, argv[i], e);
    if (j == NULL)
      return -1;
    json_array_append_new(out, j);
  }
  cleanup_free char *s = json_dump_pretty(out);
  fputs(s, stdout);
  return 0;
}

/* Whether any cached attachment of network name exists. */
static bool in_use(const struct netctx *c, const char *name) {
  cleanup_dir DIR *d = opendir(c->cache_dir);
  if (d == NULL)
    return false;
  cleanup_free char *prefix = xasprintf("%s-", name);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
      continue;
    cleanup_free char *path = xasprintf("%s/%s", c->cache_dir, de->d_name);
    cleanup_json json_t *j = json_load_path(path, NULL);
    const char *n = json_get_str(j, "networkName");
    if (n != NULL && strcmp(n, name) == 0)
      return true;
  }
  return false;
}

/* docker's `network rm` takes the network's bridge away with it.  The
 * bridge plugins of the conflist name it; it goes only when it is a bridge
 * with no port left (after `rm --force` with containers still attached, it
 * stays until they are gone: their veths hang on it). */
static int bridges_remove(const json_t *list, struct err **e) {
  struct nl nl;
  if (nl_open(&nl, e) < 0)
    return -1;
  int rc = 0;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(list, "plugins"), i, p) {
    const char *type = json_get_str(p, "type");
    const char *br = json_get_str(p, "bridge");
    if (br == NULL || type == NULL ||
        (strcmp(type, "cairn-bridge") != 0 && strcmp(type, "bridge") != 0))
      continue;
    struct nl_link l;
    struct err *ge = NULL;
    if (nl_link_get(&nl, br, &l, &ge) < 0) {
      if (ge->errnum == ENODEV) {
        err_free(&ge);
        continue;
      }
      *e = ge;
      rc = -1;
      break;
    }
    if (strcmp(l.kind, "bridge") != 0)
      continue;
    int ports = nl_count_ports(&nl, l.index, e);
    if (ports < 0 || (ports == 0 && nl_link_del(&nl, l.index, e) < 0)) {
      rc = err_wrap(e, "remove bridge '%s'", br);
      break;
    }
  }
  nl_close(&nl);
  return rc;
}

int cmd_rm(struct netctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
  bool force = false;
  int o;
  while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
    if (o != 'f')
      return err_usage(e, "rm: unknown option");
    force = true;
  }
  if (optind >= argc)
    return err_usage(e, "rm: expected NAME…");
  for (int i = optind; i < argc; i++) {
    const char *name = argv[i];
    if (!net_name_valid(name))
      return err_usage(e, "rm: invalid network name '%s'", name);
    if (strcmp(name, DEFAULT_NET) == 0)
      return err_usage(e, "rm: '%s' is the default network and cannot be removed", name);
    cleanup_free char *path = conf_path(c, name);
    if (access(path, F_OK) < 0)
      return err_setc(e, ERR_NOTFOUND, 0, "rm: network '%s' not found", name);
    if (!force && in_use(c, name))
      return err_set(e, 0, "rm: network '%s' has containers attached (detach them or use --force)",
                     name);
    int lk = lock_dir(c, e);
    if (lk < 0)
      return -1;
    cleanup_json json_t *list = load_file(path, name, e);
    int rc = list == NULL ? -1 : 0;
    if (rc == 0 && unlink(path) < 0 && errno != ENOENT)
      rc = err_set(e, errno, "rm: remove '%s'", path);
    lock_release(lk);
    if (rc < 0)
      return -1;
    net_event(c, "destroy", list, name, NULL);
    if (bridges_remove(list, e) < 0)
      return -1;
    printf("%s\n", name);
  }
  return 0;
}
