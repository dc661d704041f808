/* cairn-net add, del, check: run a conflist's plugins for one container
 * interface, as libcni does — in order for ADD (each result the next one's
 * prevResult), in reverse for DEL — and keep each ADD's result in a cache
 * file for DEL and CHECK. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cni.h"
#include "fs.h"
#include "invoke.h"
#include "json.h"
#include "mem.h"
#include "net.h"
#include "plugins.h"

struct attach {
  const char *net, *cid, *netns;
  const char *ifname;
  const char *args;
  json_t *caps; /* capability arguments: portMappings, ips */
};

char *cache_path(const struct netctx *c, const char *net, const char *cid, const char *ifname) {
  return xasprintf("%s/%s-%s-%s.json", c->cache_dir, net, cid, ifname);
}

/* "[IP:]HOST:CTR[/PROTO]" as docker's -p takes it (one port each). */
static json_t *parse_port(const char *spec, struct err **e) {
  char buf[128];
  if (strlen(spec) >= sizeof(buf)) {
    err_usage(e, "invalid --port '%s'", spec);
    return NULL;
  }
  snprintf(buf, sizeof(buf), "%s", spec);
  const char *proto = "tcp";
  char *slash = strchr(buf, '/');
  if (slash != NULL) {
    *slash = '\0';
    proto = slash + 1;
  }
  if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0) {
    err_usage(e, "invalid --port '%s': protocol must be tcp, udp or sctp", spec);
    return NULL;
  }
  char *last = strrchr(buf, ':');
  if (last == NULL) {
    err_usage(e, "invalid --port '%s': expected [IP:]HOSTPORT:CONTAINERPORT[/PROTO]", spec);
    return NULL;
  }
  *last = '\0';
  const char *ctr = last + 1;
  char *host = strrchr(buf, ':');
  const char *hip = "";
  if (host != NULL) {
    *host = '\0';
    hip = buf;
    host++;
  } else {
    host = buf;
  }
  long hp, cp;
  char *end1, *end2;
  hp = strtol(host, &end1, 10);
  cp = strtol(ctr, &end2, 10);
  if (*host == '\0' || *ctr == '\0' || *end1 != '\0' || *end2 != '\0' || hp < 1 || hp > 65535 ||
      cp < 1 || cp > 65535) {
    err_usage(e, "invalid --port '%s': ports must be 1 to 65535", spec);
    return NULL;
  }
  struct ipaddr a;
  if (*hip != '\0' && ip_parse(hip, &a) < 0) {
    err_usage(e, "invalid --port '%s': '%s' is not an IP address", spec, hip);
    return NULL;
  }
  return json_pack("{s:i,s:i,s:s,s:s}", "hostPort", (int)hp, "containerPort", (int)cp, "protocol",
                   proto, "hostIP", hip);
}

static int parse_attach(int argc, char **argv, struct attach *a, bool with_caps, struct err **e) {
  static const struct option opts[] = {{"ifname", required_argument, NULL, 'i'},
                                       {"port", required_argument, NULL, 'p'},
                                       {"ip", required_argument, NULL, 'a'},
                                       {"args", required_argument, NULL, 'A'},
                                       {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof(*a));
  a->ifname = "eth0";
  a->caps = json_object();
  int o;
  while ((o = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
    switch (o) {
      case 'i': a->ifname = optarg; break;
      case 'A': a->args = optarg; break;
      case 'p': {
        if (!with_caps)
          return err_usage(e, "%s: --port is for add (and del)", argv[0]);
        json_t *pm = parse_port(optarg, e);
        if (pm == NULL)
          return -1;
        json_array_append_new(json_arr_ensure(a->caps, "portMappings"), pm);
        break;
      }
      case 'a': {
        struct ipaddr ip;
        if (!with_caps || ip_parse(optarg, &ip) < 0)
          return err_usage(e, "%s: invalid --ip '%s'", argv[0], optarg);
        json_array_append_new(json_arr_ensure(a->caps, "ips"), json_string(optarg));
        break;
      }
      default:
        return err_usage(e, "%s: unknown option (see cairn-net %s --help)", argv[0], argv[0]);
    }
  }
  if (argc - optind != 3)
    return err_usage(e, "%s: expected NETWORK CONTAINERID NETNS", argv[0]);
  a->net = argv[optind];
  a->cid = argv[optind + 1];
  a->netns = argv[optind + 2];
  if (*a->cid == '\0' || strchr(a->cid, '/') != NULL)
    return err_usage(e, "%s: invalid container id '%s'", argv[0], a->cid);
  if (*a->ifname == '\0' || strlen(a->ifname) > 15 || strchr(a->ifname, '/') != NULL)
    return err_usage(e, "%s: invalid --ifname '%s'", argv[0], a->ifname);
  return 0;
}

/* The config one plugin gets: its entry of the list, with the list's name
 * and version, the previous result, and the capability arguments it asks
 * for in runtimeConfig (as libcni builds it). */
static char *plugin_conf(const json_t *list, const json_t *plugin, const json_t *prev,
                         const json_t *caps) {
  cleanup_json json_t *c = json_deep_copy(plugin);
  const char *ver = json_get_str(list, "cniVersion");
  json_object_set_new(c, "cniVersion", json_string(ver));
  json_object_set_new(c, "name", json_string(json_get_str(list, "name")));
  if (prev != NULL)
    json_object_set_new(c, "prevResult", cni_result_for_version(prev, ver));
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(plugin, "capabilities"), k, v) {
    json_t *arg = json_object_get(caps, k);
    if (json_is_true(v) && arg != NULL)
      json_object_set(json_obj_ensure(c, "runtimeConfig"), k, arg);
  }
  return json_dump_compact(c);
}

/* Whether exe sits where this build keeps its plugins: next to cairn-net
 * (the build tree) or in ../libexec/cairn/cni from it (an install). */
static bool is_ours(const char *exe) {
  char self[PATH_MAX], dir[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0 || realpath(exe, dir) == NULL)
    return false;
  self[n] = '\0';
  *strrchr(dir, '/') = '\0';
  char *slash = strrchr(self, '/');
  if (slash == NULL)
    return false;
  *slash = '\0';
  if (strcmp(dir, self) == 0)
    return true;
  char lib[PATH_MAX + 32], real[PATH_MAX];
  snprintf(lib, sizeof(lib), "%s/../libexec/cairn/cni", self);
  return realpath(lib, real) != NULL && strcmp(real, dir) == 0;
}

/* Our own plugins, run in this process when CNI_PATH leads to them: the
 * same code their executables run, without a process start each (the
 * larger part of an ADD's cost).  CAIRN_NET_EXEC=1 execs them anyway. */
static const struct cni_plugin *builtin(const char *type, const char *cni_path) {
  static const struct cni_plugin *const ours[] = {&cni_plugin_bridge, &cni_plugin_ipam,
                                                  &cni_plugin_loopback, &cni_plugin_portmap};
  const char *force = getenv("CAIRN_NET_EXEC");
  if (force != NULL && strcmp(force, "1") == 0)
    return NULL;
  for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
    if (strcmp(type, ours[i]->name) != 0)
      continue;
    /* Found where exec would find it, and not something else by that name. */
    cleanup_free char *exe = cni_find_plugin(type, cni_path, NULL);
    return exe != NULL && is_ours(exe) ? ours[i] : NULL;
  }
  return NULL;
}

static int run_plugin(const struct netctx *c, const struct attach *a, const char *cmd,
                      const json_t *list, const json_t *plugin, const json_t *prev, json_t **result,
                      struct err **e) {
  cleanup_free char *conf = plugin_conf(list, plugin, prev, a->caps);
  struct cni_exec x = {cmd, a->cid, a->netns, a->ifname, a->args ? a->args : "", c->cni_path};
  const char *type = json_get_str(plugin, "type");
  const struct cni_plugin *p = builtin(type, c->cni_path);
  int rc = p != NULL ? cni_plugin_call(p, &x, conf, strlen(conf), result, e)
                     : cni_exec_plugin(type, &x, conf, strlen(conf), result, e);
  if (rc < 0)
    return err_wrap(e, "%s", type);
  return 0;
}

/* DEL the first n plugins of the list, last first; with keep_going errors
 * are passed over (undoing a failed ADD), else the first one is returned. */
static int del_chain(const struct netctx *c, const struct attach *a, const json_t *list, size_t n,
                     const json_t *prev, bool keep_going, struct err **e) {
  json_t *plugins = json_object_get(list, "plugins");
  for (size_t i = n; i-- > 0;) {
    struct err *pe = NULL;
    if (run_plugin(c, a, "DEL", list, json_array_get(plugins, i), prev, NULL, &pe) < 0) {
      if (!keep_going) {
        *e = pe;
        return -1;
      }
      err_free(&pe);
    }
  }
  return 0;
}

/* Written aside and renamed, so DEL never reads half a file; not fsync'd:
 * the cache lives in $CAIRN_RUN, which a reboot empties anyway, and the
 * sync would cost more than the rest of an ADD. */
static int write_cache(const json_t *j, const char *path, struct err **e) {
  cleanup_free char *s = json_dump_compact(j);
  cleanup_free char *tmp = xasprintf("%s.tmp", path);
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, s, strlen(s)) < 0 || rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    return err_set(e, saved, "write '%s'", path);
  }
  return 0;
}

int cmd_add(struct netctx *c, int argc, char **argv, struct err **e) {
  struct attach a;
  int rc = parse_attach(argc, argv, &a, true, e);
  cleanup_json json_t *caps = a.caps;
  if (rc < 0)
    return -1;
  cleanup_json json_t *list = net_load(c, a.net, e);
  if (list == NULL)
    return -1;
  cleanup_free char *cpath = cache_path(c, a.net, a.cid, a.ifname);
  if (access(cpath, F_OK) == 0)
    return err_setc(e, ERR_EXISTS, 0,
                    "container '%s' is attached to network '%s' on '%s' already (del it first)",
                    a.cid, a.net, a.ifname);
  json_t *prev = NULL;
  size_t i;
  json_t *plugin;
  json_array_foreach(json_object_get(list, "plugins"), i, plugin) {
    json_t *res = NULL;
    if (run_plugin(c, &a, "ADD", list, plugin, prev, &res, e) < 0) {
      /* Leave nothing half-made: the plugins that succeeded undo their
       * part (the one that failed cleaned up after itself; a DEL of it could
       * remove what made it fail, such as an interface already there). */
      del_chain(c, &a, list, i, prev, true, NULL);
      json_decref(prev);
      return err_wrap(e, "add '%s' to network '%s'", a.cid, a.net);
    }
    json_decref(prev);
    prev = res;
  }
  cleanup_json json_t *result = cni_result_for_version(prev, json_get_str(list, "cniVersion"));
  json_decref(prev);
  cleanup_json json_t *cache =
      json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:O,s:O}", "kind", "cniCacheV1", "containerId", a.cid,
                "ifName", a.ifname, "networkName", a.net, "netns", a.netns, "config", list,
                "cniArgs", a.args ? a.args : "", "capabilityArgs", caps, "result", result);
  if (mkdir_p(c->cache_dir, 0700, e) < 0 || write_cache(cache, cpath, e) < 0) {
    del_chain(c, &a, list, json_array_size(json_object_get(list, "plugins")), result, true, NULL);
    return err_wrap(e, "add '%s' to network '%s'", a.cid, a.net);
  }
  net_event(c, "connect", list, a.net, a.cid);
  return json_write_line(result, stdout, e);
}

/* The cached attachment, or NULL when there is none. */
static json_t *load_cache(const char *path, struct err **e) {
  if (access(path, F_OK) < 0)
    return NULL;
  json_t *j = json_load_path(path, e);
  if (j == NULL)
    err_wrap(e, "result cache");
  return j;
}

int cmd_del(struct netctx *c, int argc, char **argv, struct err **e) {
  struct attach a;
  int rc = parse_attach(argc, argv, &a, true, e);
  cleanup_json json_t *caps = a.caps;
  if (rc < 0)
    return -1;
  cleanup_free char *cpath = cache_path(c, a.net, a.cid, a.ifname);
  struct err *ce = NULL;
  cleanup_json json_t *cache = load_cache(cpath, &ce);
  if (ce != NULL) {
    *e = ce;
    return -1;
  }
  /* The network as it was attached when it is gone since, and the port
   * mappings of the ADD unless the caller gives them again. */
  struct err *le = NULL;
  cleanup_json json_t *list = net_load(c, a.net, &le);
  if (list == NULL && cache != NULL && json_is_object(json_object_get(cache, "config"))) {
    err_free(&le);
    list = json_incref(json_object_get(cache, "config"));
  }
  if (list == NULL) {
    *e = le;
    return -1;
  }
  err_free(&le);
  json_t *cached_caps = json_object_get(cache, "capabilityArgs");
  if (json_object_size(caps) == 0 && json_is_object(cached_caps))
    json_object_update(caps, cached_caps);
  if (a.args == NULL)
    a.args = json_get_str(cache, "cniArgs");
  json_t *prev = json_object_get(cache, "result");
  if (prev != NULL) {
    prev = json_deep_copy(prev);
    if (cni_result_upgrade(prev, NULL) < 0) {
      json_decref(prev);
      prev = NULL;
    }
  }
  rc = del_chain(c, &a, list, json_array_size(json_object_get(list, "plugins")), prev, false, e);
  json_decref(prev);
  if (rc < 0)
    return err_wrap(e, "del '%s' from network '%s'", a.cid, a.net);
  if (unlink(cpath) < 0 && errno != ENOENT)
    return err_set(e, errno, "remove '%s'", cpath);
  if (cache != NULL) /* it was attached: not a repeated del */
    net_event(c, "disconnect", list, a.net, a.cid);
  return 0;
}

int cmd_check(struct netctx *c, int argc, char **argv, struct err **e) {
  struct attach a;
  int rc = parse_attach(argc, argv, &a, false, e);
  cleanup_json json_t *caps = a.caps;
  if (rc < 0)
    return -1;
  cleanup_json json_t *list = net_load(c, a.net, e);
  if (list == NULL)
    return -1;
  cleanup_free char *cpath = cache_path(c, a.net, a.cid, a.ifname);
  cleanup_json json_t *cache = load_cache(cpath, e);
  if (cache == NULL) {
    if (e != NULL && *e != NULL)
      return -1;
    return err_setc(e, ERR_NOTFOUND, 0, "container '%s' is not attached to network '%s' on '%s'",
                    a.cid, a.net, a.ifname);
  }
  if (json_is_object(json_object_get(cache, "capabilityArgs")))
    json_object_update(caps, json_object_get(cache, "capabilityArgs"));
  a.caps = caps;
  if (a.args == NULL)
    a.args = json_get_str(cache, "cniArgs");
  cleanup_json json_t *prev = json_deep_copy(json_object_get(cache, "result"));
  if (prev == NULL || cni_result_upgrade(prev, e) < 0)
    return err_wrap(e, "result cache '%s'", cpath);
  size_t i;
  json_t *plugin;
  json_array_foreach(json_object_get(list, "plugins"), i, plugin) {
    if (run_plugin(c, &a, "CHECK", list, plugin, prev, NULL, e) < 0)
      return err_wrap(e, "check '%s' on network '%s'", a.cid, a.net);
  }
  return 0;
}
