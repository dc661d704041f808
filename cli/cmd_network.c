/* cmd_network.c — `cairn network`: create, ls, inspect, rm, prune, connect
 * and disconnect, in docker's words and shapes.
 *
 * cairn-net makes and removes the CNI configs and wires interfaces; this
 * file adds docker's facts (ids, labels, the containers on a network: see
 * networks.c) and its checks: a network in use is not removed, host and
 * none are docker's built-in names, a running container is connected by a
 * second interface in its netns (eth1, eth2, …) and its peers' /etc/hosts
 * learn its name and aliases. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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
#include "mem.h"
#include "table.h"

static const char network_help[] =
    "Usage: cairn network COMMAND\n\n"
    "Manage networks.\n\n"
    "Commands:\n"
    "  connect     connect a container to a network\n"
    "  create      create a network\n"
    "  disconnect  disconnect a container from a network\n"
    "  inspect     display detailed information on networks\n"
    "  ls          list networks\n"
    "  prune       remove all unused networks\n"
    "  rm          remove networks\n\n"
    "Run 'cairn network COMMAND --help' for more information on a command.\n";

static const char create_help[] =
    "Usage: cairn network create [OPTIONS] NETWORK\n\n"
    "Create a network.\n\n"
    "Options:\n"
    "  -d, --driver NAME     driver (only \"bridge\")\n"
    "      --subnet CIDR     the network's IPv4 subnet (default: a free 10.89.N.0/24)\n"
    "      --gateway IP      the bridge's address (default: the subnet's first)\n"
    "      --ip-range CIDR   give containers addresses from this part of the subnet only\n"
    "      --aux-address NAME=IP  an address of the subnet no container gets (repeatable)\n"
    "      --ipv6            dual stack: also give containers an address of the IPv6\n"
    "                        --subnet (both --subnet flags are given)\n"
    "      --internal        no route out of the network\n"
    "      --label K=V       set metadata (repeatable)\n"
    "  -o, --opt K=V         driver options: com.docker.network.bridge.name,\n"
    "                        com.docker.network.driver.mtu\n"
    "      --attachable      accepted for compatibility\n"
    "      --bridge NAME     the host bridge's name (cairn's own flag)\n"
    "      --nft-table NAME  the nftables table of its rules (cairn's own flag)\n";

static const char ls_help[] =
    "Usage: cairn network ls [OPTIONS]\n\n"
    "List networks.\n\n"
    "Options:\n"
    "  -f, --filter K=V   driver=, id=, label=K[=V], name=, scope=, type=custom|builtin,\n"
    "                     dangling=true|false\n"
    "      --format STR   a Go template, \"table …\" or \"json\"\n"
    "      --no-trunc     do not truncate ids\n"
    "  -q, --quiet        only ids\n";

static const char connect_help[] =
    "Usage: cairn network connect [OPTIONS] NETWORK CONTAINER\n\n"
    "Connect a container to a network (at once when it runs, else when it starts).\n\n"
    "Options:\n"
    "      --alias NAME   another name of the container on this network (repeatable)\n"
    "      --ip IP        its IPv4 address on this network\n";

#define PREDEF(n) (strcmp(n, "host") == 0 || strcmp(n, "none") == 0 || strcmp(n, C.network) == 0)

static char *when_of(const char *path) {
  struct stat st;
  struct timespec ts = {0};
  if (stat(path, &st) == 0)
    ts = st.st_mtim;
  return fmt_rfc3339nano(&ts);
}

/* docker's network inspect object (no Containers yet) from a conflist. */
static json_t *net_object(const char *name, const json_t *conf) {
  cleanup_json json_t *meta = net_meta_load(name);
  cleanup_free char *id = net_id(name);
  const char *driver = strcmp(name, "host") == 0 ? "host" : strcmp(name, "none") == 0 ? "null" : "";
  const char *bridge = NULL, *subnet = NULL, *gw = NULL, *subnet6 = NULL, *gw6 = NULL;
  bool masq = true, routes = true;
  size_t i;
  json_t *p;
  json_array_foreach(json_get_arr(conf, "plugins"), i, p) {
    if (json_get_str(p, "bridge") == NULL)
      continue;
    bridge = json_get_str(p, "bridge");
    masq = json_is_true(json_object_get(p, "ipMasq"));
    json_t *ipam = json_get_obj(p, "ipam");
    json_t *r0 = json_array_get(json_array_get(json_get_arr(ipam, "ranges"), 0), 0);
    subnet = json_get_str(r0, "subnet");
    gw = json_get_str(r0, "gateway");
    json_t *r1 = json_array_get(json_array_get(json_get_arr(ipam, "ranges"), 1), 0);
    if (json_get_str(r1, "subnet") != NULL && strchr(json_get_str(r1, "subnet"), ':') != NULL) {
      subnet6 = json_get_str(r1, "subnet");
      gw6 = json_get_str(r1, "gateway");
    }
    routes = json_array_size(json_get_arr(ipam, "routes")) > 0;
  }
  if (*driver == '\0')
    driver = bridge ? "bridge" : "cni";
  json_t *cfg = json_array();
  if (subnet != NULL) {
    cleanup_free char *g = gw ? xstrdup(gw) : net_first_host(subnet);
    json_t *one = json_pack("{s:s}", "Subnet", subnet);
    if (json_get_str(meta, "ipRange") != NULL)
      json_object_set(one, "IPRange", json_object_get(meta, "ipRange"));
    json_object_set_new(one, "Gateway", json_string(g));
    if (json_object_size(json_get_obj(meta, "auxAddresses")) > 0)
      json_object_set(one, "AuxiliaryAddresses", json_get_obj(meta, "auxAddresses"));
    json_array_append_new(cfg, one);
  }
  if (subnet6 != NULL) {
    cleanup_free char *g6 = gw6 ? xstrdup(gw6) : net_first_host6(subnet6);
    json_array_append_new(cfg, json_pack("{s:s,s:s}", "Subnet", subnet6, "Gateway", g6));
  }
  cleanup_free char *cpath = xasprintf("%s/net.d/%s.conflist", C.root, name);
  cleanup_free char *created = json_get_str(meta, "created")
                                   ? xstrdup(json_get_str(meta, "created"))
                                   : when_of(conf ? cpath : C.root);
  json_t *opts =
      json_get_obj(meta, "options") ? json_deep_copy(json_get_obj(meta, "options")) : json_object();
  if (bridge != NULL)
    json_object_set_new(opts, "com.docker.network.bridge.name", json_string(bridge));
  json_t *labels =
      json_get_obj(meta, "labels") ? json_deep_copy(json_get_obj(meta, "labels")) : json_object();
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:{},s:o},s:b,s:b,s:b,s:{s:s},s:b,s:{},s:o,"
                   "s:o}",
                   "Name", name, "Id", id, "Created", created, "Scope", "local", "Driver", driver,
                   "EnableIPv6", subnet6 != NULL, "IPAM", "Driver", "default", "Options", "Config",
                   cfg, "Internal", bridge != NULL && !masq && !routes, "Attachable", 0, "Ingress",
                   0, "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers", "Options", opts,
                   "Labels", labels);
}

static int by_name(const void *a, const void *b) {
  return strcmp(json_get_str(*(json_t *const *)a, "Name"),
                json_get_str(*(json_t *const *)b, "Name"));
}

/* Every network, sorted by name: cairn-net's and docker's host and none. */
static json_t *net_list(struct err **e) {
  const char *lsv[] = {"cairn-net", "ls", "-q", NULL};
  struct tool_out o = {0};
  if (tool_run(lsv, NULL, 0, &o, 0, e) < 0)
    return NULL;
  cleanup_strv char **av = NULL;
  strv_push(&av, "cairn-net");
  strv_push(&av, "inspect");
  char *save = NULL;
  for (char *l = strtok_r(o.out, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
    strv_push(&av, l);
  tool_out_free(&o);
  json_t *all = json_array();
  if (strv_len(av) > 2) {
    if (tool_run((const char *const *)av, NULL, 0, &o, 0, e) < 0) {
      json_decref(all);
      return NULL;
    }
    cleanup_json json_t *confs = json_load_str(o.out, "cairn-net inspect", e);
    tool_out_free(&o);
    if (confs == NULL) {
      json_decref(all);
      return NULL;
    }
    size_t i;
    json_t *c;
    json_array_foreach(confs, i, c) {
      json_array_append_new(all, net_object(json_get_str(c, "name"), c));
    }
  }
  json_array_append_new(all, net_object("host", NULL));
  json_array_append_new(all, net_object("none", NULL));
  size_t n = json_array_size(all);
  json_t **v = xcalloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_incref(json_array_get(all, i));
  qsort(v, n, sizeof *v, by_name);
  json_array_clear(all);
  for (size_t i = 0; i < n; i++)
    json_array_append_new(all, v[i]);
  free(v);
  return all;
}

/* A network by name, full id or unique id prefix (borrowed from all). */
static json_t *net_find(json_t *all, const char *ref, struct err **e) {
  size_t i;
  json_t *n, *hit = NULL;
  json_array_foreach(all, i, n) {
    if (strcmp(json_get_str(n, "Name"), ref) == 0 || strcmp(json_get_str(n, "Id"), ref) == 0)
      return n;
  }
  size_t l = strlen(ref);
  json_array_foreach(all, i, n) {
    if (l == 0 || strncmp(json_get_str(n, "Id"), ref, l) != 0)
      continue;
    if (hit != NULL) {
      err_setc(e, ERR_NOTFOUND, 0, "network %s is ambiguous (%zu matches found)", ref, (size_t)2);
      return NULL;
    }
    hit = n;
  }
  if (hit == NULL)
    err_setc(e, ERR_NOTFOUND, 0, "network %s not found", ref);
  return hit;
}

/* docker's Containers of network net: the running containers on it. */
static json_t *net_containers(const char *net) {
  json_t *out = json_object();
  cleanup_strv char **ids = ctr_list_ids();
  for (size_t i = 0; ids[i] != NULL; i++) {
    struct err *le = NULL;
    cleanup_json json_t *c = ctr_load(ids[i], &le);
    err_free(&le);
    if (c == NULL || !ctr_on_network(c, net) || !shim_alive(ids[i]))
      continue;
    cleanup_json json_t *nets = ctr_networks(c);
    size_t k;
    json_t *m;
    json_array_foreach(nets, k, m) {
      if (strcmp(json_get_str(m, "name"), net) != 0)
        continue;
      cleanup_free char *v4 = xasprintf("%s/%d", json_get_str(m, "IPAddress"),
                                        (int)json_integer_value(json_object_get(m, "IPPrefixLen")));
      cleanup_free char *seed = xasprintf("%s %s", ids[i], net);
      char eid[80];
      sha256_buf(seed, strlen(seed), eid);
      const char *mac = json_get_str(m, "MacAddress");
      json_object_set_new(out, ids[i],
                          json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name", json_get_str(c, "name"),
                                    "EndpointID", eid + 7, "MacAddress", mac ? mac : "",
                                    "IPv4Address", v4, "IPv6Address", ""));
    }
  }
  return out;
}

/* Whether any container (running or not) is configured for net. */
static bool net_referenced(const char *net) {
  cleanup_strv char **ids = ctr_list_ids();
  for (size_t i = 0; ids[i] != NULL; i++) {
    struct err *le = NULL;
    cleanup_json json_t *c = ctr_load(ids[i], &le);
    err_free(&le);
    if (c != NULL && ctr_on_network(c, net))
      return true;
  }
  return false;
}

static int kv_check(const char *s, const char *what, struct err **e) {
  if (*s == '\0' || *s == '=')
    return err_usage(e, "invalid %s '%s': expected KEY=VALUE", what, s);
  return 0;
}

static void kv_set(json_t *obj, const char *s) {
  const char *eq = strchr(s, '=');
  cleanup_free char *k = eq ? xstrndup(s, (size_t)(eq - s)) : xstrdup(s);
  json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
}

static int net_create(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"driver", required_argument, NULL, 'd'},
                                       {"subnet", required_argument, NULL, 's'},
                                       {"gateway", required_argument, NULL, 'g'},
                                       {"ip-range", required_argument, NULL, 'r'},
                                       {"internal", no_argument, NULL, 'i'},
                                       {"label", required_argument, NULL, 'l'},
                                       {"opt", required_argument, NULL, 'o'},
                                       {"attachable", no_argument, NULL, 'a'},
                                       {"bridge", required_argument, NULL, 'b'},
                                       {"nft-table", required_argument, NULL, 't'},
                                       {"aux-address", required_argument, NULL, 'x'},
                                       {"ipv6", no_argument, NULL, '6'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  cleanup_json json_t *aux = json_object();
  const char *subnet = NULL, *gw = NULL, *range = NULL, *bridge = NULL, *table = NULL, *mtu = NULL;
  const char *subnet6 = NULL;
  bool internal = false, ipv6 = false;
  cleanup_json json_t *labels = json_object();
  cleanup_json json_t *options = json_object();
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "d:o:", opts, NULL)) != -1) {
    switch (ch) {
      case 'd':
        if (strcmp(optarg, "bridge") != 0)
          return err_usage(e, "network driver \"%s\" is not supported (only \"bridge\")", optarg);
        break;
      case 's':
        if (strchr(optarg, ':') != NULL)
          subnet6 = optarg;
        else
          subnet = optarg;
        break;
      case '6': ipv6 = true; break;
      case 'g': gw = optarg; break;
      case 'r': range = optarg; break;
      case 'i': internal = true; break;
      case 'a': break;
      case 'b': bridge = optarg; break;
      case 't': table = optarg; break;
      case 'x': {
        const char *eq = strchr(optarg, '=');
        if (eq == NULL || eq == optarg)
          return err_usage(e, "invalid argument \"%s\" for \"--aux-address\" flag: want NAME=IP",
                           optarg);
        struct in_addr tmp;
        if (inet_pton(AF_INET, eq + 1, &tmp) != 1)
          return err_usage(e, "invalid auxiliary address %s: not an IPv4 address", eq + 1);
        kv_set(aux, optarg);
        break;
      }
      case 'l':
        if (kv_check(optarg, "label", e) < 0)
          return -1;
        kv_set(labels, optarg);
        break;
      case 'o':
        if (kv_check(optarg, "option", e) < 0)
          return -1;
        if (strncmp(optarg, "com.docker.network.bridge.name=", 31) == 0)
          bridge = optarg + 31;
        else if (strncmp(optarg, "com.docker.network.driver.mtu=", 30) == 0)
          mtu = optarg + 30;
        else
          kv_set(options, optarg);
        break;
      case 'H': return usage_print(create_help);
      default:
        return err_usage(e, "unknown flag: %s (see 'cairn network create --help')",
                         argv[optind - 1]);
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "\"cairn network create\" requires exactly 1 argument");
  if (subnet6 != NULL && !ipv6)
    return err_usage(e, "an IPv6 subnet (%s) needs --ipv6", subnet6);
  if (ipv6 && subnet6 == NULL)
    return err_usage(e, "--ipv6 needs an IPv6 --subnet (cairn has no default IPv6 pool)");
  const char *name = argv[optind];
  if (strcmp(name, "host") == 0 || strcmp(name, "none") == 0 || strcmp(name, "bridge") == 0 ||
      strncmp(name, "container:", 10) == 0)
    return err_usage(e, "network name \"%s\" is reserved", name);
  /* the id goes into the conflist too: cairn-net journals the network's
   * events (create, connect, …) under it */
  char id[65];
  random_id(id);
  cleanup_strv char **av = NULL;
  const char *head[] = {"cairn-net", "create", name, "--id", id};
  for (size_t i = 0; i < 5; i++)
    strv_push(&av, head[i]);
  const char *flags[][2] = {{"--subnet", subnet}, {"--gateway", gw},      {"--ip-range", range},
                            {"--bridge", bridge}, {"--nft-table", table}, {"--mtu", mtu}};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    if (flags[i][1] != NULL) {
      strv_push(&av, flags[i][0]);
      strv_push(&av, flags[i][1]);
    }
  }
  if (internal)
    strv_push(&av, "--internal");
  if (subnet6 != NULL) {
    strv_push(&av, "--subnet");
    strv_push(&av, subnet6);
  }
  const char *an;
  json_t *aip;
  json_object_foreach(aux, an, aip) {
    /* docker's daemon: every aux address belongs to a given subnet */
    if (subnet == NULL || !net_in_subnet(subnet, json_string_value(aip)))
      return err_usage(e, "no matching subnet for aux-address %s", json_string_value(aip));
    strv_push(&av, "--aux-address");
    strv_push(&av, json_string_value(aip));
  }
  struct tool_out o = {0};
  if (tool_run((const char *const *)av, NULL, 0, &o, 0, e) < 0)
    return -1;
  tool_out_free(&o);
  /* docker's facts; without them the network is not made */
  cleanup_free char *now = fmt_now();
  cleanup_json json_t *meta = json_pack("{s:s,s:s,s:s,s:O,s:O}", "name", name, "id", id, "created",
                                        now, "labels", labels, "options", options);
  if (range != NULL)
    json_object_set_new(meta, "ipRange", json_string(range));
  if (json_object_size(aux) > 0)
    json_object_set(meta, "auxAddresses", aux);
  cleanup_free char *dir = xasprintf("%s/networks", C.root);
  cleanup_free char *path = net_meta_path(name);
  if (mkdir_p(dir, 0700, e) < 0 || json_write_file(meta, path, e) < 0) {
    const char *rm[] = {"cairn-net", "rm", name, NULL};
    struct err *re = NULL;
    if (tool_run(rm, NULL, 0, NULL, 0, &re) < 0)
      err_free(&re);
    return -1;
  }
  printf("%s\n", id);
  return 0;
}

static bool filter_match(const json_t *n, const char *f) {
  const char *eq = strchr(f, '=');
  const char *v = eq + 1;
  size_t kl = (size_t)(eq - f);
  const char *name = json_get_str(n, "Name");
#define KEY(s) (kl == strlen(s) && strncmp(f, s, kl) == 0)
  if (KEY("name"))
    return strstr(name, v) != NULL;
  if (KEY("id"))
    return strncmp(json_get_str(n, "Id"), v, strlen(v)) == 0;
  if (KEY("driver"))
    return strcmp(json_get_str(n, "Driver"), v) == 0;
  if (KEY("scope"))
    return strcmp(v, "local") == 0;
  if (KEY("label"))
    return labels_match(json_get_obj(n, "Labels"), v);
  if (KEY("type"))
    return (strcmp(v, "builtin") == 0) == (bool)PREDEF(name);
  if (KEY("dangling"))
    return (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) ==
           (!PREDEF(name) && !net_referenced(name));
#undef KEY
  return false;
}

static int filter_check(const char *f, struct err **e) {
  static const char *const keys[] = {"name", "id", "driver", "scope", "label", "type", "dangling"};
  const char *eq = strchr(f, '=');
  if (eq == NULL || eq == f)
    return err_usage(e, "bad format of filter (expected name=value)");
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strlen(keys[i]) == (size_t)(eq - f) && strncmp(f, keys[i], (size_t)(eq - f)) == 0) {
      if (strcmp(keys[i], "type") == 0 && strcmp(eq + 1, "custom") != 0 &&
          strcmp(eq + 1, "builtin") != 0)
        return err_usage(e, "invalid filter: 'type'='%s'", eq + 1);
      return 0;
    }
  return err_usage(e, "invalid filter '%.*s'", (int)(eq - f), f);
}

static char *labels_text(const json_t *labels) {
  char *out = xstrdup("");
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)labels, k, v) {
    char *n = xasprintf("%s%s%s=%s", out, *out ? "," : "", k, json_string_value(v));
    free(out);
    out = n;
  }
  return out;
}

static json_t *label_method(void *ud, json_t *recv, json_t *const *args, size_t nargs,
                            struct err **e) {
  (void)ud, (void)nargs, (void)e;
  const char *want = json_string_value(args[0]);
  const char *v = json_get_str(json_get_obj(recv, "_labels"), want ? want : "");
  return json_string(v ? v : "");
}

static int net_ls(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
      {"no-trunc", no_argument, NULL, 'n'},     {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0}};
  const char *format = NULL;
  bool quiet = false, trunc = true;
  cleanup_strv char **filters = NULL;
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "f:q", opts, NULL)) != -1) {
    switch (ch) {
      case 'f':
        if (filter_check(optarg, e) < 0)
          return -1;
        strv_push(&filters, optarg);
        break;
      case 'F': format = optarg; break;
      case 'n': trunc = false; break;
      case 'q': quiet = true; break;
      case 'H': return usage_print(ls_help);
      default:
        return err_usage(e, "unknown flag: %s (see 'cairn network ls --help')", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return err_usage(e, "\"cairn network ls\" accepts no arguments");
  cleanup_json json_t *all = net_list(e);
  if (all == NULL)
    return -1;
  cleanup_json json_t *rows = json_array();
  size_t i;
  json_t *n;
  json_array_foreach(all, i, n) {
    bool show = true;
    for (size_t f = 0; show && filters && filters[f]; f++)
      show = filter_match(n, filters[f]);
    if (!show)
      continue;
    const char *id = json_get_str(n, "Id");
    cleanup_free char *shown = trunc ? xstrndup(id, 12) : xstrdup(id);
    if (quiet) {
      printf("%s\n", shown);
      continue;
    }
    cleanup_free char *labels = labels_text(json_get_obj(n, "Labels"));
    json_array_append_new(rows,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:O}", "ID", shown, "Name",
                                    json_get_str(n, "Name"), "Driver", json_get_str(n, "Driver"),
                                    "Scope", "local", "IPv6", "false", "Internal",
                                    json_is_true(json_object_get(n, "Internal")) ? "true" : "false",
                                    "Labels", labels, "CreatedAt", json_get_str(n, "Created"),
                                    "_labels", json_object_get(n, "Labels")));
  }
  if (quiet)
    return 0;
  if (format == NULL || *format == '\0' || strcmp(format, "table") == 0)
    format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
  /* "json" prints the row without cairn's own helper field */
  if (strcmp(format, "json") == 0) {
    json_array_foreach(rows, i, n) json_object_del(n, "_labels");
  }
  static const struct table_col cols[] = {{"ID", "NETWORK ID"}, {"Name", "NAME"},
                                          {"Driver", "DRIVER"}, {"Scope", "SCOPE"},
                                          {"IPv6", "IPV6"},     {"Internal", "INTERNAL"},
                                          {"Labels", "LABELS"}, {"CreatedAt", "CREATED AT"},
                                          {NULL, NULL}};
  static const struct tmpl_method methods[] = {{"Label", 1, label_method}, {NULL, 0, NULL}};
  struct tmpl_opts to = {.methods = methods};
  cleanup_free char *out = NULL;
  size_t len = 0;
  if (table_format(format, rows, cols, &to, &out, &len, e) < 0)
    return -1;
  fwrite(out, 1, len, stdout);
  return 0;
}

json_t *network_inspect_json(const char *ref, struct err **e) {
  cleanup_json json_t *all = net_list(e);
  if (all == NULL)
    return NULL;
  json_t *n = net_find(all, ref, e);
  if (n == NULL)
    return NULL;
  json_object_set_new(n, "Containers", net_containers(json_get_str(n, "Name")));
  return json_incref(n);
}

static int net_inspect(int argc, char **argv, struct err **e) {
  return inspect_command(argc, argv, "network", network_inspect_json, e);
}

/* The running containers on net, as "name, name". */
static char *active_on(const char *net) {
  cleanup_json json_t *cs = net_containers(net);
  char *out = NULL;
  const char *k;
  json_t *v;
  json_object_foreach(cs, k, v) {
    char *n = xasprintf("%s%s%s", out ? out : "", out ? ", " : "", json_get_str(v, "Name"));
    free(out);
    out = n;
  }
  return out;
}

static int net_remove(const json_t *n, struct err **e) {
  const char *name = json_get_str(n, "Name");
  if (PREDEF(name))
    return err_usage(e, "%s is a pre-defined network and cannot be removed", name);
  cleanup_free char *users = active_on(name);
  if (users != NULL)
    return err_set(e, 0,
                   "error while removing network: network %s id %.12s has active endpoints (%s)",
                   name, json_get_str(n, "Id"), users);
  const char *av[] = {"cairn-net", "rm", name, NULL};
  struct tool_out o = {0};
  if (tool_run(av, NULL, 0, &o, 0, e) < 0)
    return -1;
  tool_out_free(&o);
  cleanup_free char *meta = net_meta_path(name);
  if (unlink(meta) < 0 && errno != ENOENT)
    return err_set(e, errno, "remove '%s'", meta);
  return 0; /* cairn-net journals the destroy */
}

static int net_rm(int argc, char **argv, struct err **e) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-'; first++) {
    if (strcmp(argv[first], "--help") == 0)
      return usage_print("Usage: cairn network rm NETWORK [NETWORK...]\n\nRemove networks.\n");
    if (strcmp(argv[first], "-f") != 0 && strcmp(argv[first], "--force") != 0)
      return err_usage(e, "unknown flag: %s (see 'cairn network rm --help')", argv[first]);
  }
  if (first >= argc)
    return err_usage(e, "\"cairn network rm\" requires at least 1 argument");
  cleanup_json json_t *all = net_list(e);
  if (all == NULL)
    return -1;
  int rc = 0;
  for (int i = first; i < argc; i++) {
    struct err *re = NULL;
    json_t *n = net_find(all, argv[i], &re);
    if (n == NULL || net_remove(n, &re) < 0) {
      err_show(re);
      err_free(&re);
      rc = 1;
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}

static int net_prune(int argc, char **argv, struct err **e) {
  struct prune_opts po __attribute__((cleanup(prune_opts_free))) = {0};
  int r = prune_args(argc, argv, 0,
                     "Usage: cairn network prune [OPTIONS]\n\n"
                     "Remove all networks no container uses.\n\n"
                     "Options:\n  -f, --force          do not ask\n"
                     "      --filter K=V     until=TIME, label=K[=V], label!=K[=V]\n",
                     "network", &po, e);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (!prune_confirm("WARNING! This will remove all custom networks not used by at least one "
                     "container.\n",
                     po.force))
    return 0;
  struct prune_filter *fp = &po.f;
  cleanup_json json_t *all = net_list(e);
  if (all == NULL)
    return -1;
  int rc = 0;
  bool header = false;
  size_t i;
  json_t *n;
  json_array_foreach(all, i, n) {
    const char *name = json_get_str(n, "Name");
    bool pick = !PREDEF(name) && !net_referenced(name) &&
                prune_filter_match(fp, json_get_obj(n, "Labels"), json_get_str(n, "Created"));
    if (!pick)
      continue;
    struct err *re = NULL;
    if (net_remove(n, &re) < 0) {
      err_show(re);
      err_free(&re);
      rc = 1;
      continue;
    }
    if (!header)
      printf("Deleted Networks:\n");
    header = true;
    printf("%s\n", name);
  }
  return rc;
}

/* connect and disconnect: argv NETWORK CONTAINER after the flags. */
static int net_connect(int argc, char **argv, bool connect, struct err **e) {
  static const struct option opts[] = {{"alias", required_argument, NULL, 'a'},
                                       {"ip", required_argument, NULL, 'i'},
                                       {"force", no_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  const char *ip = NULL;
  cleanup_json json_t *aliases = json_array();
  const char *verb = connect ? "connect" : "disconnect";
  int ch;
  optind = 0; /* 0: glibc starts afresh (main parsed with "+") and permutes */
  opterr = 0;
  while ((ch = getopt_long(argc, argv, connect ? "" : "f", opts, NULL)) != -1) {
    if (ch == 'a' && connect && *optarg != '\0')
      json_array_append_new(aliases, json_string(optarg));
    else if (ch == 'i' && connect)
      ip = optarg;
    else if (ch == 'f' && !connect)
      continue;
    else if (ch == 'H')
      return usage_print(connect ? connect_help
                                 : "Usage: cairn network disconnect [OPTIONS] NETWORK CONTAINER\n\n"
                                   "Disconnect a container from a network.\n");
    else
      return err_usage(e, "unknown flag: %s (see 'cairn network %s --help')", argv[optind - 1],
                       verb);
  }
  if (argc - optind != 2)
    return err_usage(e, "\"cairn network %s\" requires exactly 2 arguments", verb);
  struct in_addr tmp;
  if (ip != NULL && inet_pton(AF_INET, ip, &tmp) != 1)
    return err_usage(e, "invalid IPv4 address: %s", ip);
  cleanup_json json_t *all = net_list(e);
  if (all == NULL)
    return -1;
  json_t *n = net_find(all, argv[optind], e);
  cleanup_json json_t *gone = NULL;
  if (n == NULL && !connect) {
    /* a network removed while a stopped container kept it: disconnect by
     * the name it has in container.json */
    err_free(e);
    n = gone = json_pack("{s:s,s:s,s:s}", "Name", argv[optind], "Id", "", "Driver", "bridge");
  }
  if (n == NULL)
    return -1;
  const char *net = json_get_str(n, "Name");
  if (strcmp(net, "host") == 0 || strcmp(net, "none") == 0)
    return err_usage(e, "a container cannot be %s the %s network",
                     connect ? "connected to" : "disconnected from", net);
  cleanup_free char *id = NULL;
  if (ctr_resolve(argv[optind + 1], &id, e) < 0)
    return -1;
  /* cairn-net journals connect and disconnect (also on each start and stop) */
  return connect ? ctr_net_connect(id, net, aliases, ip, e) : ctr_net_disconnect(id, net, e);
}

int cmd_network(int argc, char **argv, struct err **e) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fputs(network_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? err_usage(e, "\"cairn network\" requires a command") : 0;
  }
  const char *sub = argv[1];
  argc--, argv++;
  if (strcmp(sub, "create") == 0)
    return net_create(argc, argv, e);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
    return net_ls(argc, argv, e);
  if (strcmp(sub, "inspect") == 0)
    return net_inspect(argc, argv, e);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
    return net_rm(argc, argv, e);
  if (strcmp(sub, "prune") == 0)
    return net_prune(argc, argv, e);
  if (strcmp(sub, "connect") == 0 || strcmp(sub, "disconnect") == 0)
    return net_connect(argc, argv, sub[0] == 'c', e);
  return err_usage(e, "'network %s' is not a cairn command (see 'cairn network --help')", sub);
}
