/* etcfiles.c — the container's /etc/hosts, /etc/resolv.conf and
 * /etc/hostname, kept in its directory and bound into the container (as
 * docker does), so the image's own files are never changed.
 *
 * The files are rewritten in place, not renamed over: a running container
 * has the inode bound, and a rename would leave it with the old one. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

struct sbuf {
  char *p;
  size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = xrealloc(b->p, b->cap);
  }
  memcpy(b->p + b->len, s, n + 1);
  b->len += n;
}

static void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(struct sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *s = xvasprintf(fmt, ap);
  va_end(ap);
  sb_add(b, s);
}

static int write_in_place(const char *path, const char *text, struct err **e) {
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return err_set(e, errno, "open '%s'", path);
  if (write_all(fd, text, strlen(text)) < 0)
    return err_set(e, errno, "write '%s'", path);
  return 0;
}

static bool loopback(const char *ip) {
  return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

static char *resolv_conf(const json_t *hc, bool host_net) {
  /* cairn.json "resolvConf": another file to start from (tests, or hosts
   * whose /etc/resolv.conf points at a local stub only) */
  const char *src = json_get_str(C.conf, "resolvConf");
  cleanup_free char *host = read_file(src ? src : "/etc/resolv.conf", 1 << 20, NULL, NULL);
  json_t *dns = json_get_arr(hc, "Dns"), *search = json_get_arr(hc, "DnsSearch"),
         *opts = json_get_arr(hc, "DnsOptions");
  struct sbuf b = {0};
  sb_add(&b, "");
  int servers = 0;
  char *save = NULL;
  for (char *l = host ? strtok_r(host, "\n", &save) : NULL; l != NULL;
       l = strtok_r(NULL, "\n", &save)) {
    char word[32], val[256];
    if (sscanf(l, "%31s %255s", word, val) == 2) {
      if (strcmp(word, "nameserver") == 0 &&
          (json_array_size(dns) > 0 || (!host_net && loopback(val))))
        continue; /* a loopback resolver of the host is not reachable from a netns */
      if (strcmp(word, "search") == 0 && json_array_size(search) > 0)
        continue;
      if (strcmp(word, "options") == 0 && json_array_size(opts) > 0)
        continue;
      if (strcmp(word, "nameserver") == 0)
        servers++;
    }
    sb_addf(&b, "%s\n", l);
  }
  size_t i;
  json_t *v;
  json_array_foreach(dns, i, v) {
    sb_addf(&b, "nameserver %s\n", json_string_value(v));
    servers++;
  }
  if (servers == 0) /* docker's fallback */
    sb_add(&b, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  if (json_array_size(search) > 0) {
    sb_add(&b, "search");
    json_array_foreach(search, i, v) sb_addf(&b, " %s", json_string_value(v));
    sb_add(&b, "\n");
  }
  if (json_array_size(opts) > 0) {
    sb_add(&b, "options");
    json_array_foreach(opts, i, v) sb_addf(&b, " %s", json_string_value(v));
    sb_add(&b, "\n");
  }
  return b.p;
}

/* Lines for peer p: its address on each network it shares with c (mine:
 * c's networks), with its name, that network's aliases and short id (what
 * docker's embedded DNS answers for). */
static void peer_lines(struct sbuf *b, const json_t *mine, const json_t *p) {
  cleanup_json json_t *theirs = ctr_networks(p);
  const char *id = json_get_str(p, "id");
  size_t i, k;
  json_t *n, *m, *v;
  json_array_foreach(theirs, i, n) {
    bool shared = false;
    json_array_foreach(mine, k, m) {
      shared |= strcmp(json_get_str(m, "name"), json_get_str(n, "name")) == 0;
    }
    if (!shared)
      continue;
    sb_addf(b, "%s\t%s", json_get_str(n, "IPAddress"), json_get_str(p, "name"));
    json_array_foreach(json_get_arr(n, "aliases"), k, v) sb_addf(b, " %s", json_string_value(v));
    sb_addf(b, " %.12s\n", id);
  }
}

static char *hosts(const json_t *c, bool host_net, const json_t *peers) {
  struct sbuf b = {0};
  sb_add(&b, "");
  if (host_net) {
    cleanup_free char *h = read_file("/etc/hosts", 1 << 20, NULL, NULL);
    if (h != NULL) {
      sb_add(&b, h);
      if (b.len > 0 && b.p[b.len - 1] != '\n')
        sb_add(&b, "\n");
    }
  } else {
    sb_add(&b, "127.0.0.1\tlocalhost\n"
               "::1\tlocalhost ip6-localhost ip6-loopback\n"
               "fe00::0\tip6-localnet\n"
               "ff00::0\tip6-mcastprefix\n"
               "ff02::1\tip6-allnodes\n"
               "ff02::2\tip6-allrouters\n");
  }
  json_t *hc = json_get_obj(c, "hostConfig");
  json_t *ns = json_get_obj(c, "networkSettings");
  const char *gw = json_get_str(ns, "Gateway");
  size_t i;
  json_t *v;
  json_array_foreach(json_get_arr(hc, "ExtraHosts"), i, v) {
    /* HOST:IP (IP may hold colons: IPv6) */
    const char *s = json_string_value(v);
    const char *colon = strchr(s, ':');
    if (colon == NULL)
      continue;
    cleanup_free char *host = xstrndup(s, (size_t)(colon - s));
    const char *ip = colon + 1;
    if (strcmp(ip, "host-gateway") == 0)
      ip = gw != NULL ? gw : "127.0.0.1";
    sb_addf(&b, "%s\t%s\n", ip, host);
  }
  json_array_foreach(json_get_arr(c, "linkHosts"), i, v) {
    sb_addf(&b, "%s\t%s\n", json_get_str(v, "ip"), json_get_str(v, "names"));
  }
  const char *ip = json_get_str(ns, "IPAddress");
  const char *hostname = json_get_str(json_get_obj(c, "config"), "Hostname");
  if (ip != NULL && *ip != '\0') {
    sb_addf(&b, "%s\t%s", ip, hostname ? hostname : "");
    const char *name = json_get_str(c, "name");
    if (name != NULL && (hostname == NULL || strcmp(name, hostname) != 0))
      sb_addf(&b, " %s", name);
    json_array_foreach(json_get_arr(c, "aliases"), i, v) sb_addf(&b, " %s", json_string_value(v));
    sb_add(&b, "\n");
  }
  const char *id = json_get_str(c, "id");
  cleanup_json json_t *mine = ctr_networks(c);
  json_array_foreach(peers, i, v) {
    if (strcmp(json_get_str(v, "id"), id) != 0)
      peer_lines(&b, mine, v);
  }
  return b.p;
}

/* The containers attached to some network now (cur stands for its own id). */
static json_t *attached_all(const json_t *cur) {
  json_t *list = json_array();
  const char *cur_id = json_get_str(cur, "id");
  cleanup_strv char **ids = ctr_list_ids();
  for (size_t i = 0; ids[i] != NULL; i++) {
    struct err *le = NULL;
    json_t *c =
        cur_id && strcmp(ids[i], cur_id) == 0 ? json_incref((json_t *)cur) : ctr_load(ids[i], &le);
    err_free(&le);
    if (c == NULL)
      continue;
    json_t *nets = ctr_networks(c);
    if (json_array_size(nets) > 0 && (c == cur || shim_alive(ids[i])))
      json_array_append(list, c);
    json_decref(nets);
    json_decref(c);
  }
  return list;
}

/* Whether p is on net or on one of the networks in nets. */
static bool touches(const json_t *p, const char *net, const json_t *nets) {
  cleanup_json json_t *pn = ctr_networks(p);
  size_t i, k;
  json_t *a, *b;
  json_array_foreach(pn, i, a) {
    const char *n = json_get_str(a, "name");
    if (strcmp(n, net) == 0)
      return true;
    json_array_foreach(nets, k, b) {
      if (strcmp(n, json_get_str(b, "name")) == 0)
        return true;
    }
  }
  return false;
}

int hosts_sync(const char *net, const json_t *cur, struct err **e) {
  if (net == NULL || strcmp(net, "host") == 0 || strcmp(net, "none") == 0 ||
      strncmp(net, "container:", 10) == 0)
    return 0;
  cleanup_free char *lockp = xasprintf("%s/hosts.lock", C.run);
  int lk = lock_acquire(lockp, 0, e);
  if (lk < 0)
    return -1;
  /* everyone on net or on a network cur is on (a container may be on
   * several: each file lists the peers of all of its networks) */
  cleanup_json json_t *peers = attached_all(cur);
  cleanup_json json_t *cur_nets = cur ? ctr_networks(cur) : json_array();
  int rc = 0;
  size_t i;
  json_t *p;
  json_array_foreach(peers, i, p) {
    if (p != cur && !touches(p, net, cur_nets))
      continue;
    cleanup_free char *path = ctr_file(json_get_str(p, "id"), "hosts");
    cleanup_free char *text = hosts(p, false, peers);
    struct err *we = NULL;
    if (write_in_place(path, text, &we) < 0) {
      /* a container removed meanwhile is not an error of ours */
      if (p == cur || json_equal(p, cur))
        rc = -1, *e = we;
      else
        err_free(&we);
    }
  }
  lock_release(lk);
  return rc;
}

int etc_files_write(const json_t *c, struct err **e) {
  const char *id = json_get_str(c, "id");
  json_t *hc = json_get_obj(c, "hostConfig");
  const char *mode = json_get_str(hc, "NetworkMode");
  bool host_net = mode != NULL && strcmp(mode, "host") == 0;
  const char *hostname = json_get_str(json_get_obj(c, "config"), "Hostname");

  cleanup_free char *hp = ctr_file(id, "hosts");
  cleanup_free char *h = hosts(c, host_net, NULL);
  if (write_in_place(hp, h, e) < 0)
    return -1;
  cleanup_free char *rp = ctr_file(id, "resolv.conf");
  cleanup_free char *r = resolv_conf(hc, host_net);
  if (write_in_place(rp, r, e) < 0)
    return -1;
  cleanup_free char *np = ctr_file(id, "hostname");
  cleanup_free char *n = xasprintf("%s\n", hostname ? hostname : "");
  return write_in_place(np, n, e);
}
