/* inspect.c — docker's container JSON (`docker inspect`), from
 * container.json and the live state.  Field names and shapes are
 * docker's, so `jq` lines and --format templates written for docker work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"

static const char zero_time[] = "0001-01-01T00:00:00Z";

static json_t *str_or(const char *s, const char *dflt) {
  return json_string(s ? s : dflt);
}

/* {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]} */
static json_t *port_map(const json_t *ports, bool bindings) {
  json_t *m = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    cleanup_free char *key =
        xasprintf("%lld/%s", (long long)json_integer_value(json_object_get(p, "containerPort")),
                  json_get_str(p, "protocol"));
    json_t *list = json_object_get(m, key);
    if (list == NULL) {
      list = json_array();
      json_object_set_new(m, key, list);
    }
    const char *ip = json_get_str(p, "hostIP");
    long long hp = (long long)json_integer_value(json_object_get(p, "hostPort"));
    cleanup_free char *hps = hp ? xasprintf("%lld", hp) : xstrdup("");
    json_array_append_new(list,
                          json_pack("{s:s,s:s}", "HostIp",
                                    ip && *ip ? ip : (bindings ? "" : "0.0.0.0"), "HostPort", hps));
  }
  return m;
}

json_t *ctr_inspect_json(const json_t *c) {
  const char *id = json_get_str(c, "id");
  struct ctr_state st;
  ctr_state_get(c, &st);
  json_t *cmd = json_get_arr(c, "command");
  json_t *args = json_array();
  for (size_t i = 1; i < json_array_size(cmd); i++)
    json_array_append(args, json_array_get(cmd, i));
  bool running = st.status == ST_RUNNING || st.status == ST_PAUSED;
  json_t *state = json_pack(
      "{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}", "Status", ctr_status_name(st.status),
      "Running", running || st.status == ST_RESTARTING, "Paused", st.status == ST_PAUSED,
      "Restarting", st.status == ST_RESTARTING, "OOMKilled", st.oom_killed, "Dead",
      st.status == ST_DEAD, "Pid", running ? st.pid : 0, "ExitCode", st.exit_code, "Error", "",
      "StartedAt", st.started_at ? st.started_at : zero_time, "FinishedAt",
      st.finished_at && st.status != ST_RUNNING ? st.finished_at : zero_time);
  if (st.health != NULL) {
    cleanup_free char *hp = ctr_run_file(id, "health.json");
    struct err *e = NULL;
    json_t *h = json_load_path(hp, &e);
    err_free(&e);
    if (h != NULL)
      json_object_set_new(state, "Health", h);
  }

  json_t *hc = json_deep_copy(json_get_obj(c, "hostConfig"));
  hostconfig_resources(hc, id);
  json_t *binds = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(json_get_arr(c, "mounts"), i, m) {
    if (json_is_true(json_object_get(m, "Anonymous")))
      continue;
    const char *src = strcmp(json_get_str(m, "Type"), "volume") == 0 ? json_get_str(m, "Name")
                                                                     : json_get_str(m, "Source");
    const char *mode = json_get_str(m, "Mode");
    cleanup_free char *b = xasprintf("%s:%s%s%s", src, json_get_str(m, "Destination"),
                                     mode && *mode ? ":" : "", mode ? mode : "");
    json_array_append_new(binds, json_string(b));
  }
  json_object_set_new(hc, "Binds", binds);
  json_object_set_new(hc, "PortBindings", port_map(json_get_arr(c, "portSpecs"), true));
  json_t *logcfg = json_object();
  json_t *sa = json_get_arr(c, "shimArgs");
  for (i = 0; i + 1 < json_array_size(sa); i++) {
    const char *a = json_string_value(json_array_get(sa, i));
    if (strcmp(a, "--log-max-size") == 0)
      json_object_set(logcfg, "max-size", json_array_get(sa, i + 1));
    if (strcmp(a, "--log-max-files") == 0)
      json_object_set(logcfg, "max-file", json_array_get(sa, i + 1));
  }
  json_object_set_new(hc, "LogConfig",
                      json_pack("{s:s,s:o}", "Type", "json-file", "Config", logcfg));

  json_t *mounts = json_array();
  json_array_foreach(json_get_arr(c, "mounts"), i, m) {
    json_t *copy = json_deep_copy(m);
    json_object_del(copy, "Anonymous");
    json_array_append_new(mounts, copy);
  }

  json_t *ns = json_get_obj(c, "networkSettings");
  const char *ip = json_get_str(ns, "IPAddress"), *gw = json_get_str(ns, "Gateway"),
             *mac = json_get_str(ns, "MacAddress");
  int plen = (int)json_integer_value(json_object_get(ns, "IPPrefixLen"));
  const char *net = json_get_str(c, "network");
  json_t *networks = json_object();
  bool own_net = net && strcmp(net, "host") != 0 && strcmp(net, "none") != 0 &&
                 strncmp(net, "container:", 10) != 0;
  if (net != NULL && strncmp(net, "container:", 10) != 0) {
    json_t *aliases =
        json_get_arr(c, "aliases") ? json_deep_copy(json_get_arr(c, "aliases")) : json_array();
    cleanup_free char *shortid = xstrndup(id, 12);
    if (own_net)
      json_array_append_new(aliases, json_string(shortid));
    json_object_set_new(networks, net,
                        json_pack("{s:o,s:s,s:s,s:s,s:i,s:s}", "Aliases", aliases, "NetworkID", net,
                                  "EndpointID", running && own_net ? id : "", "Gateway",
                                  gw ? gw : "", "IPPrefixLen", plen, "IPAddress", ip ? ip : ""));
    json_object_set_new(json_object_get(networks, net), "MacAddress", str_or(mac, ""));
    /* a dual-stack network's IPv6 address (docker's fields, empty otherwise) */
    json_t *me = json_object_get(networks, net);
    json_object_set_new(me, "IPv6Gateway", str_or(json_get_str(ns, "IPv6Gateway"), ""));
    json_object_set_new(me, "GlobalIPv6Address", str_or(json_get_str(ns, "GlobalIPv6Address"), ""));
    json_object_set_new(
        me, "GlobalIPv6PrefixLen",
        json_integer(json_integer_value(json_object_get(ns, "GlobalIPv6PrefixLen"))));
    if (own_net) {
      char *nid = net_id(net);
      json_object_set_new(json_object_get(networks, net), "NetworkID", json_string(nid));
      free(nid);
    }
  }
  net_inspect_extras(c, networks);
  const char *sk = json_get_str(ns, "SandboxKey");
  json_t *nsj =
      json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:i,s:s,s:o}", "Bridge", "", "SandboxID",
                running && own_net ? id : "", "Ports",
                running ? port_map(json_get_arr(c, "ports"), false) : json_object(), "SandboxKey",
                running && sk ? sk : "", "Gateway", gw ? gw : "", "IPAddress", ip ? ip : "",
                "IPPrefixLen", plen, "MacAddress", mac ? mac : "", "Networks", networks);
  json_object_set_new(nsj, "GlobalIPv6Address", str_or(json_get_str(ns, "GlobalIPv6Address"), ""));
  json_object_set_new(nsj, "IPv6Gateway", str_or(json_get_str(ns, "IPv6Gateway"), ""));

  cleanup_free char *name = xasprintf("/%s", json_get_str(c, "name"));
  cleanup_free char *hosts = ctr_file(id, "hosts");
  cleanup_free char *resolv = ctr_file(id, "resolv.conf");
  cleanup_free char *hostname = ctr_file(id, "hostname");
  json_t *cfg = json_deep_copy(json_get_obj(c, "config"));
  json_t *out = json_pack(
      "{s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:n,s:o,s:o,s:o,s:o}",
      "Id", id, "Created", json_get_str(c, "created"), "Path",
      str_or(json_string_value(json_array_get(cmd, 0)), ""), "Args", args, "State", state, "Image",
      json_get_str(c, "imageId"), "ResolvConfPath", resolv, "HostnamePath", hostname, "HostsPath",
      hosts, "LogPath", json_get_str(c, "logPath") ? json_get_str(c, "logPath") : "", "Name", name,
      "RestartCount", st.restart_count, "Driver", "overlay", "Platform", "linux", "MountLabel", "",
      "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs", "HostConfig", hc, "Mounts", mounts,
      "Config", cfg, "NetworkSettings", nsj);
  ctr_state_free(&st);
  return out;
}
