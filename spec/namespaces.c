/* namespaces.c — linux.namespaces, the hostname and the annotations.
 *
 * Docker's modes: each of pid, ipc and uts is private unless "host"; the
 * network namespace is new (loopback only) unless "host", or the one at
 * --netns PATH (which cairn creates and wires with CNI before calling us).
 * A path given to --pid/--ipc/--uts joins that namespace. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fmt.h"
#include "json.h"
#include "mem.h"
#include "spec.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* mode: NULL/""/"private"(/"shareable" for ipc) -> new namespace (returns 0),
 * "host" -> none (returns 1), "/path" -> join it. */
static int add_ns(json_t *nss, const char *type, const char *flag, const char *mode,
                  struct err **e) {
  if (mode == NULL || *mode == '\0' || strcmp(mode, "private") == 0 ||
      (strcmp(type, "ipc") == 0 && strcmp(mode, "shareable") == 0)) {
    json_array_append_new(nss, json_pack("{s:s}", "type", type));
    return 0;
  }
  if (strcmp(mode, "host") == 0)
    return 1;
  if (mode[0] == '/') {
    json_array_append_new(nss, json_pack("{s:s, s:s}", "type", type, "path", mode));
    return 0;
  }
  return err_usage(e, "%s: invalid mode '%s' (want host, private or a namespace path)", flag, mode);
}

/* RFC 1123 host name, as docker checks it: labels of letters, digits and
 * '-', not starting or ending with '-', at most 63 chars each. */
static int valid_hostname(const char *h) {
  size_t n = strlen(h);
  if (n == 0 || n > 253)
    return 0;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = h[i];
    if (ch == '.') {
      if (label == 0 || h[i - 1] == '-')
        return 0;
      label = 0;
      continue;
    }
    if (!isalnum((unsigned char)ch) && ch != '-')
      return 0;
    if (ch == '-' && label == 0)
      return 0;
    if (++label > 63)
      return 0;
  }
  return h[n - 1] != '-' && h[n - 1] != '.';
}

static int cgroup_v2_only(void) {
  struct statfs sf;
  return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int build_namespaces(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  json_t *nss = json_array();
  json_object_set_new(json_object_get(c->config, "linux"), "namespaces", nss);
  int r;

  if ((r = add_ns(nss, "pid", "--pid", o->pid, e)) < 0)
    return -1;
  c->host_pid = r;

  const char *net = o->network;
  if (net != NULL && strncmp(net, "container:", 10) == 0)
    return err_usage(e, "--network %s: join another container's network with --netns PATH", net);
  if (net != NULL && *net && strcmp(net, "host") != 0 && strcmp(net, "none") != 0 &&
      strcmp(net, "bridge") != 0 && strcmp(net, "default") != 0 && strcmp(net, "private") != 0)
    return err_usage(e, "--network: invalid mode '%s' (want host, none, bridge or --netns PATH)",
                     net);
  if (net != NULL && strcmp(net, "host") == 0) {
    if (o->netns != NULL)
      return err_usage(e, "--netns conflicts with --network host");
    c->host_net = 1;
  } else if (o->netns != NULL) {
    if (o->netns[0] != '/')
      return err_usage(e, "--netns '%s': want an absolute path", o->netns);
    add_ns(nss, "network", "--netns", o->netns, e);
  } else {
    add_ns(nss, "network", "--network", NULL, e);
  }

  if ((r = add_ns(nss, "ipc", "--ipc", o->ipc, e)) < 0)
    return -1;
  c->host_ipc = r;
  if ((r = add_ns(nss, "uts", "--uts", o->uts, e)) < 0)
    return -1;
  c->host_uts = r;
  add_ns(nss, "mount", NULL, NULL, e);

  /* docker's default: a private cgroup namespace on a pure cgroup v2 host,
   * the host's on v1 and hybrid hosts. */
  const char *cg = o->cgroupns;
  if (cg != NULL && strcmp(cg, "host") != 0 && strcmp(cg, "private") != 0)
    return err_usage(e, "--cgroupns: invalid mode '%s' (want host or private)", cg);
  if (cg != NULL ? strcmp(cg, "private") == 0 : cgroup_v2_only())
    add_ns(nss, "cgroup", NULL, NULL, e);

  /* The hostname: --hostname, else the host's with --network host (as
   * docker), else a random 12-hex name like a short container id. */
  if (c->host_uts) {
    if (o->hostname != NULL)
      return err_usage(e, "--hostname conflicts with --uts host");
    return 0;
  }
  if (o->hostname != NULL) {
    if (!valid_hostname(o->hostname))
      return err_usage(e, "--hostname '%s': invalid hostname", o->hostname);
    c->hostname = xstrdup(o->hostname);
  } else if (c->host_net) {
    char h[256] = "";
    if (gethostname(h, sizeof(h) - 1) < 0 || h[0] == '\0')
      snprintf(h, sizeof(h), "localhost");
    c->hostname = xstrdup(h);
  } else {
    char id[65];
    random_id(id);
    c->hostname = xstrndup(id, 12);
  }
  json_object_set_new(c->config, "hostname", json_string(c->hostname));
  return 0;
}

/* "SIGTERM", "TERM", "term" or "15" -> "SIGTERM" ("RTMIN+3" kept as
 * SIGRTMIN+3; numbers without a name stay numbers). */
static char *parse_signal(const char *s, struct err **e) {
  if (s[0] == '\0') {
    err_usage(e, "--stop-signal: empty signal");
    return NULL;
  }
  char *end;
  long n = strtol(s, &end, 10);
  if (*end == '\0') {
    if (n < 1 || n > SIGRTMAX) {
      err_usage(e, "--stop-signal: invalid signal '%s'", s);
      return NULL;
    }
    const char *abbr = n < SIGRTMIN ? sigabbrev_np((int)n) : NULL;
    return abbr ? xasprintf("SIG%s", abbr) : xasprintf("%ld", n);
  }
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (int i = 1; i < SIGRTMIN; i++) {
    const char *abbr = sigabbrev_np(i);
    if (abbr != NULL && strcasecmp(abbr, name) == 0)
      return xasprintf("SIG%s", abbr);
  }
  if (strncasecmp(name, "RTMIN+", 6) == 0 || strncasecmp(name, "RTMAX-", 6) == 0) {
    long k = strtol(name + 6, &end, 10);
    if (*end == '\0' && end != name + 6 && k >= 0 && k <= SIGRTMAX - SIGRTMIN)
      return xasprintf("SIGRT%s%c%ld", strncasecmp(name, "RTMIN", 5) == 0 ? "MIN" : "MAX", name[5],
                       k);
  }
  err_usage(e, "--stop-signal: invalid signal '%s'", s);
  return NULL;
}

int build_annotations(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  json_t *ann = json_object();
  for (size_t i = 0; o->labels != NULL && o->labels[i] != NULL; i++) {
    const char *val;
    cleanup_free char *key = split_kv(o->labels[i], &val);
    if (key[0] == '\0') {
      json_decref(ann);
      return err_usage(e, "--label '%s': empty key", o->labels[i]);
    }
    json_object_set_new(ann, key, json_string(val ? val : ""));
  }
  const char *sig = o->stop_signal ? o->stop_signal : c->img.stop_signal;
  if (sig != NULL) {
    cleanup_free char *norm = parse_signal(sig, e);
    if (norm == NULL) {
      json_decref(ann);
      if (o->stop_signal == NULL)
        return err_wrap(e, "image config StopSignal");
      return -1;
    }
    json_object_set_new(ann, "org.opencontainers.image.stopSignal", json_string(norm));
  }
  if (json_object_size(ann) > 0)
    json_object_set_new(c->config, "annotations", ann);
  else
    json_decref(ann);
  return 0;
}
