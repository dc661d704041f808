#include "cni.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "json.h"
#include "mem.h"

const char *const cni_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", NULL};

int cni_err(struct err **e, int code, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vset(e, CNI_ERR_BASE + code, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int cni_code_of(const struct err *e) {
  if (e == NULL)
    return CNI_ERR_INTERNAL;
  if (e->code > CNI_ERR_BASE)
    return e->code - CNI_ERR_BASE;
  if (e->code == ERR_USAGE)
    return CNI_ERR_CONFIG;
  return CNI_ERR_INTERNAL;
}

int cni_version_supported(const char *v) {
  for (size_t i = 0; cni_versions[i] != NULL; i++)
    if (v != NULL && strcmp(v, cni_versions[i]) == 0)
      return 1;
  return 0;
}

int cni_version_cmp(const char *a, const char *b) {
  for (;;) {
    long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
    if (x != y)
      return x < y ? -1 : 1;
    if (*a != '.' || *b != '.')
      return (*a == '.') - (*b == '.');
    a++;
    b++;
  }
}

char *cni_args_get(const char *args, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = args; p != NULL && *p != '\0';) {
    const char *end = strchr(p, ';');
    size_t l = end ? (size_t)(end - p) : strlen(p);
    if (l > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')
      return xstrndup(p + kl + 1, l - kl - 1);
    p = end ? end + 1 : NULL;
  }
  return NULL;
}

json_t *cni_iface_json(const char *name, const char *mac, const char *sandbox) {
  json_t *j = json_pack("{s:s}", "name", name);
  if (mac != NULL && *mac != '\0')
    json_object_set_new(j, "mac", json_string(mac));
  if (sandbox != NULL && *sandbox != '\0')
    json_object_set_new(j, "sandbox", json_string(sandbox));
  return j;
}

int cni_result_upgrade(json_t *result, struct err **e) {
  if (!json_is_object(result))
    return cni_err(e, CNI_ERR_DECODE, 0, "result is not a JSON object");
  json_t *ips = json_object_get(result, "ips");
  if (ips != NULL && !json_is_array(ips))
    return cni_err(e, CNI_ERR_DECODE, 0, "result: \"ips\" is not an array");
  size_t i;
  json_t *ip;
  json_array_foreach(ips, i, ip) {
    if (!json_is_object(ip) || json_get_str(ip, "address") == NULL)
      return cni_err(e, CNI_ERR_DECODE, 0, "result: ips[%zu] has no \"address\"", i);
    json_object_del(ip, "version");
  }
  json_t *ifs = json_object_get(result, "interfaces");
  if (ifs != NULL && !json_is_array(ifs))
    return cni_err(e, CNI_ERR_DECODE, 0, "result: \"interfaces\" is not an array");
  json_t *routes = json_object_get(result, "routes");
  if (routes != NULL && !json_is_array(routes))
    return cni_err(e, CNI_ERR_DECODE, 0, "result: \"routes\" is not an array");
  return 0;
}

json_t *cni_result_for_version(const json_t *result, const char *v) {
  /* cniVersion first, as people read results top-down. */
  json_t *r = json_pack("{s:s}", "cniVersion", v);
  const char *k;
  json_t *x;
  json_object_foreach((json_t *)result, k, x) {
    if (strcmp(k, "cniVersion") != 0)
      json_object_set_new(r, k, json_deep_copy(x));
  }
  if (json_object_get(r, "dns") == NULL)
    json_object_set_new(r, "dns", json_object());
  if (cni_version_cmp(v, "1.0.0") < 0) {
    size_t i;
    json_t *ip;
    json_array_foreach(json_object_get(r, "ips"), i, ip) {
      const char *a = json_get_str(ip, "address");
      json_object_set_new(ip, "version", json_string(a && strchr(a, ':') ? "6" : "4"));
    }
  }
  return r;
}

json_t *cni_error_json(const struct err *e, const char *version) {
  json_t *j = json_pack("{s:s,s:i,s:s}", "cniVersion", version ? version : CNI_VERSION, "code",
                        cni_code_of(e), "msg", e && e->msg ? e->msg : "unknown error");
  return j;
}

/* The spec's rules for an interface name, as the kernel enforces them. */
static int ifname_valid(const char *s) {
  size_t l = strlen(s);
  if (l == 0 || l > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return 0;
  for (; *s; s++)
    if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
      return 0;
  return 1;
}

static int containerid_valid(const char *s) {
  if (!isalnum((unsigned char)*s))
    return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
      return 0;
  return 1;
}

/* CNI_* variables the spec requires for cmd; missing ones are named in one
 * message, as the reference skeleton does.  get(name, data) gives a
 * variable's value or NULL. */
static int read_env(struct cni_req *r, const char *(*get)(const char *, const void *),
                    const void *data, struct err **e) {
  static const struct {
    const char *var;
    const char *cmds;
  } req[] = {
      {"CNI_CONTAINERID", "ADD DEL CHECK"},
      {"CNI_NETNS", "ADD CHECK"},
      {"CNI_IFNAME", "ADD DEL CHECK"},
      {"CNI_PATH", "ADD DEL CHECK"},
  };
  char missing[128] = "";
  for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
    const char *v = get(req[i].var, data);
    if ((v == NULL || *v == '\0') && strstr(req[i].cmds, r->command) != NULL) {
      size_t l = strlen(missing);
      snprintf(missing + l, sizeof(missing) - l, "%s%s", l ? " " : "", req[i].var);
    }
  }
  if (*missing)
    return cni_err(e, CNI_ERR_ENV, 0, "required environment variables missing: %s", missing);
  const char *v;
  r->containerid = (v = get("CNI_CONTAINERID", data)) ? v : "";
  r->netns = (v = get("CNI_NETNS", data)) ? v : "";
  r->ifname = (v = get("CNI_IFNAME", data)) ? v : "";
  r->args = (v = get("CNI_ARGS", data)) ? v : "";
  r->path = (v = get("CNI_PATH", data)) ? v : "";
  if (!containerid_valid(r->containerid))
    return cni_err(e, CNI_ERR_ENV, 0, "invalid CNI_CONTAINERID '%s'", r->containerid);
  if (!ifname_valid(r->ifname))
    return cni_err(e, CNI_ERR_ENV, 0, "invalid CNI_IFNAME '%s'", r->ifname);
  return 0;
}

static const char *from_environ(const char *k, const void *data) {
  (void)data;
  return getenv(k);
}

static int parse_conf(struct cni_req *r, struct err **e) {
  r->conf = json_loadb(r->raw, r->raw_len, JSON_REJECT_DUPLICATES, NULL);
  if (r->conf == NULL) {
    json_error_t je;
    json_decref(json_loadb(r->raw, r->raw_len, JSON_REJECT_DUPLICATES, &je));
    return cni_err(e, CNI_ERR_DECODE, 0, "network config on stdin:%d:%d: %s", je.line, je.column,
                   je.text);
  }
  if (!json_is_object(r->conf))
    return cni_err(e, CNI_ERR_DECODE, 0, "network config on stdin is not a JSON object");
  json_t *v = json_object_get(r->conf, "cniVersion");
  if (v != NULL && !json_is_string(v))
    return cni_err(e, CNI_ERR_DECODE, 0, "network config: \"cniVersion\" is not a string");
  r->version = v ? json_string_value(v) : "0.1.0";
  if (!cni_version_supported(r->version))
    return cni_err(e, CNI_ERR_VERSION, 0,
                   "incompatible CNI versions: config is \"%s\", plugin supports 0.3.0 0.3.1 "
                   "0.4.0 1.0.0",
                   r->version);
  json_t *n = json_object_get(r->conf, "name");
  if (n != NULL && !json_is_string(n))
    return cni_err(e, CNI_ERR_DECODE, 0, "network config: \"name\" is not a string");
  r->name = n ? json_string_value(n) : "";
  json_t *prev = json_object_get(r->conf, "prevResult");
  if (prev != NULL && !json_is_null(prev)) {
    r->prev = json_deep_copy(prev);
    if (cni_result_upgrade(r->prev, e) < 0)
      return err_wrap(e, "prevResult");
  }
  return 0;
}

static int print_json(json_t *j) {
  cleanup_free char *s = json_dump_compact(j);
  printf("%s\n", s);
  return fflush(stdout) == 0 ? 0 : -1;
}

/* ADD, DEL or CHECK of a parsed request; *out gets ADD's result in the
 * config's version. */
static int dispatch(const struct cni_plugin *p, struct cni_req *r, json_t **out, struct err **e) {
  *out = NULL;
  if (strcmp(r->command, "ADD") == 0) {
    cleanup_json json_t *result = NULL;
    if (p->add(r, &result, e) < 0)
      return -1;
    *out = cni_result_for_version(result, r->version);
    return 0;
  }
  if (strcmp(r->command, "DEL") == 0)
    return p->del(r, e);
  if (strcmp(r->command, "CHECK") != 0)
    return cni_err(e, CNI_ERR_ENV, 0, "unknown CNI_COMMAND '%s'", r->command);
  if (cni_version_cmp(r->version, "0.4.0") < 0)
    return cni_err(e, CNI_ERR_VERSION, 0, "config version \"%s\" does not allow CHECK", r->version);
  return p->check(r, e);
}

static int run(const struct cni_plugin *p, struct cni_req *r, struct err **e) {
  r->command = getenv("CNI_COMMAND");
  if (r->command == NULL || *r->command == '\0')
    return cni_err(e, CNI_ERR_ENV, 0, "required environment variables missing: CNI_COMMAND");
  if (strcmp(r->command, "VERSION") != 0 && strcmp(r->command, "ADD") != 0 &&
      strcmp(r->command, "DEL") != 0 && strcmp(r->command, "CHECK") != 0)
    return cni_err(e, CNI_ERR_ENV, 0, "unknown CNI_COMMAND '%s'", r->command);
  r->raw = read_fd(0, "stdin", 1 << 20, &r->raw_len, e);
  if (r->raw == NULL)
    return cni_err(e, CNI_ERR_IO, 0, "read network config from stdin");
  if (strcmp(r->command, "VERSION") == 0) {
    /* VERSION answers whatever the config says, as long as it is JSON. */
    cleanup_json json_t *conf = json_loadb(r->raw, r->raw_len, 0, NULL);
    const char *v = json_get_str(conf, "cniVersion");
    cleanup_json json_t *vers = json_array();
    for (size_t i = 0; cni_versions[i] != NULL; i++)
      json_array_append_new(vers, json_string(cni_versions[i]));
    cleanup_json json_t *out =
        json_pack("{s:s,s:O}", "cniVersion", cni_version_supported(v) ? v : CNI_VERSION,
                  "supportedVersions", vers);
    return print_json(out);
  }
  if (read_env(r, from_environ, NULL, e) < 0 || parse_conf(r, e) < 0)
    return -1;
  cleanup_json json_t *out = NULL;
  if (dispatch(p, r, &out, e) < 0)
    return -1;
  return out != NULL ? print_json(out) : 0;
}

int cni_plugin_main(const struct cni_plugin *p, int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("%s: a CNI plugin (spec 0.3.0 to 1.0.0).\n"
           "Run by a CNI driver: CNI_COMMAND=ADD|DEL|CHECK|VERSION, CNI_CONTAINERID,\n"
           "CNI_NETNS, CNI_IFNAME, CNI_ARGS and CNI_PATH in the environment, the network\n"
           "config on stdin; prints the result or an error as JSON on stdout.\n",
           p->name);
    return 0;
  }
  struct cni_req r = {0};
  struct err *e = NULL;
  int rc = run(p, &r, &e);
  if (rc < 0) {
    cleanup_json json_t *j =
        cni_error_json(e, cni_version_supported(r.version) ? r.version : CNI_VERSION);
    print_json(j);
    err_free(&e);
  }
  json_decref(r.conf);
  json_decref(r.prev);
  free(r.raw);
  return rc < 0 ? 1 : 0;
}

static const char *from_exec(const char *k, const void *data) {
  const struct cni_exec *x = data;
  return strcmp(k, "CNI_CONTAINERID") == 0 ? x->containerid
         : strcmp(k, "CNI_NETNS") == 0     ? x->netns
         : strcmp(k, "CNI_IFNAME") == 0    ? x->ifname
         : strcmp(k, "CNI_ARGS") == 0      ? x->args
         : strcmp(k, "CNI_PATH") == 0      ? x->path
                                           : NULL;
}

int cni_plugin_call(const struct cni_plugin *p, const struct cni_exec *x, const char *conf,
                    size_t len, json_t **result, struct err **e) {
  struct cni_req r = {.command = x->command};
  r.raw = xmalloc(len + 1);
  memcpy(r.raw, conf, len);
  r.raw[len] = '\0';
  r.raw_len = len;
  cleanup_json json_t *out = NULL;
  int rc = read_env(&r, from_exec, x, e);
  if (rc == 0)
    rc = parse_conf(&r, e);
  if (rc == 0)
    rc = dispatch(p, &r, &out, e);
  /* What a driver gets from the executable: ADD's result read back into
   * the 1.0 form. */
  if (rc == 0 && result != NULL) {
    *result = NULL;
    if (out != NULL) {
      if (cni_result_upgrade(out, e) < 0)
        rc = -1;
      else
        *result = steal_ptr(&out);
    }
  }
  json_decref(r.conf);
  json_decref(r.prev);
  free(r.raw);
  return rc;
}
