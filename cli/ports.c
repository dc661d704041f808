/* ports.c — docker's -p syntax, host port allocation, and the PORTS text.
 *
 *   -p 80                  container 80/tcp on a free host port
 *   -p 8080:80             host 8080
 *   -p 127.0.0.1:8080:80   only on that address;  127.0.0.1::80 a free port there
 *   -p 8080-8081:80-81     ranges of the same length
 *   -p 53:53/udp           tcp (default), udp, sctp
 *
 * Mappings are DNAT rules (cairn-portmap): nothing listens on the host.  So
 * a host port is checked by binding it for a moment: a port some program
 * holds is refused as docker refuses it ("port is already allocated")
 * instead of silently stealing that program's traffic. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"
#include "runopts.h"

/* "N" or "N-M" into lo..hi; 0 allowed only when zero_ok. */
static int range(const char *s, long *lo, long *hi, bool zero_ok) {
  cleanup_free char *c = xstrdup(s);
  char *dash = strchr(c, '-');
  if (dash != NULL)
    *dash = '\0';
  if (parse_int(c, zero_ok ? 0 : 1, 65535, lo) < 0)
    return -1;
  *hi = *lo;
  if (dash != NULL && (parse_int(dash + 1, 1, 65535, hi) < 0 || *hi < *lo))
    return -1;
  return 0;
}

int ports_parse(const char *spec, json_t *out, struct err **e) {
  cleanup_free char *s = xstrdup(spec);
  const char *proto = "tcp";
  char *slash = strrchr(s, '/');
  if (slash != NULL) {
    *slash = '\0';
    proto = slash + 1;
    if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
      return err_usage(e, "invalid proto: %s", proto);
  }
  const char *ip = "", *host = "", *ctr = s;
  char *rest = s;
  if (*rest == '[') { /* [IPv6]:HOST:CTR */
    char *close = strchr(rest, ']');
    if (close == NULL || close[1] != ':')
      return err_usage(e, "invalid port specification: \"%s\"", spec);
    *close = '\0';
    ip = rest + 1;
    rest = close + 2;
  }
  char *c2 = strrchr(rest, ':');
  if (c2 != NULL) {
    *c2 = '\0';
    ctr = c2 + 1;
    char *c1 = strrchr(rest, ':');
    if (c1 != NULL) {
      if (*ip != '\0')
        return err_usage(e, "invalid port specification: \"%s\"", spec);
      *c1 = '\0';
      ip = rest;
      host = c1 + 1;
    } else {
      host = rest;
    }
  } else if (*ip != '\0') {
    return err_usage(e, "invalid port specification: \"%s\"", spec);
  }
  if (*ip != '\0') {
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) != 1 && inet_pton(AF_INET6, ip, &a6) != 1)
      return err_usage(e, "invalid IP address: %s", ip);
    if (strchr(ip, ':') != NULL)
      return err_usage(e, "invalid IP address: %s: IPv6 port mappings are not supported", ip);
  }
  long clo, chi, hlo = 0, hhi = 0;
  if (*ctr == '\0' || range(ctr, &clo, &chi, false) < 0)
    return err_usage(e, "invalid containerPort: %s", ctr);
  if (*host != '\0' && range(host, &hlo, &hhi, true) < 0)
    return err_usage(e, "invalid hostPort: %s", host);
  if (*host != '\0' && hhi - hlo != chi - clo)
    return err_usage(e, "invalid ranges specified for container and host ports: %s", spec);
  for (long p = clo; p <= chi; p++) {
    long hp = *host != '\0' && hlo != 0 ? hlo + (p - clo) : 0;
    json_array_append_new(out, json_pack("{s:s,s:i,s:i,s:s}", "hostIP", ip, "hostPort", (int)hp,
                                         "containerPort", (int)p, "protocol", proto));
  }
  return 0;
}

/* Bind ip:port (port 0: any free one) for a moment; returns the port. */
static int probe(const char *ip, int port, const char *proto, struct err **e) {
  int type = strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
  cleanup_close int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_set(e, errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (*ip != '\0' && inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
    return err_usage(e, "invalid IP address: %s", ip);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    if (errno == EADDRINUSE)
      return err_setc(e, ERR_EXISTS, 0, "bind for %s:%d failed: port is already allocated",
                      *ip ? ip : "0.0.0.0", port);
    return err_set(e, errno, "bind %s:%d/%s", *ip ? ip : "0.0.0.0", port, proto);
  }
  socklen_t len = sizeof sa;
  if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
    return err_set(e, errno, "getsockname");
  return ntohs(sa.sin_port);
}

int ports_allocate(json_t *ports, struct err **e) {
  size_t i;
  json_t *m;
  json_array_foreach(ports, i, m) {
    const char *ip = json_get_str(m, "hostIP");
    const char *proto = json_get_str(m, "protocol");
    int hp = (int)json_integer_value(json_object_get(m, "hostPort"));
    for (size_t j = 0; j < i && hp != 0; j++) {
      json_t *o = json_array_get(ports, j);
      if (json_integer_value(json_object_get(o, "hostPort")) == hp &&
          strcmp(json_get_str(o, "protocol"), proto) == 0)
        return err_setc(e, ERR_EXISTS, 0, "bind for %s:%d failed: port is already allocated",
                        *ip ? ip : "0.0.0.0", hp);
    }
    if (strcmp(proto, "sctp") == 0) {
      if (hp == 0)
        return err_usage(e, "a random host port for sctp is not supported: give one");
      continue;
    }
    int got = probe(ip ? ip : "", hp, proto, e);
    if (got < 0)
      return -1;
    json_object_set_new(m, "hostPort", json_integer(got));
  }
  return 0;
}

struct pm {
  const char *ip, *proto;
  int hp, cp;
};

static int pm_cmp(const void *a, const void *b) {
  const struct pm *x = a, *y = b;
  int r = strcmp(x->proto, y->proto);
  if (r != 0)
    return r;
  if (x->cp != y->cp)
    return x->cp - y->cp;
  return x->hp - y->hp;
}

char *ports_text(const json_t *ports, const json_t *exposed) {
  size_t n = json_array_size(ports) + json_object_size(exposed);
  cleanup_free struct pm *v = xcalloc(n + 1, sizeof *v);
  size_t k = 0, i;
  json_t *m;
  json_array_foreach(ports, i, m) {
    const char *ip = json_get_str(m, "hostIP");
    v[k++] = (struct pm){ip && *ip ? ip : "0.0.0.0", json_get_str(m, "protocol"),
                         (int)json_integer_value(json_object_get(m, "hostPort")),
                         (int)json_integer_value(json_object_get(m, "containerPort"))};
  }
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)exposed, key, val) {
    int cp = atoi(key);
    const char *slash = strchr(key, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    bool published = false;
    for (size_t j = 0; j < k && !published; j++)
      published = v[j].hp != 0 && v[j].cp == cp && strcmp(v[j].proto, proto) == 0;
    if (!published && cp > 0)
      v[k++] = (struct pm){NULL, proto, 0, cp};
  }
  qsort(v, k, sizeof *v, pm_cmp);
  char *out = xstrdup("");
  for (i = 0; i < k;) {
    /* a run of consecutive ports on both sides becomes one range */
    size_t j = i;
    while (j + 1 < k && v[j + 1].cp == v[j].cp + 1 && strcmp(v[j + 1].proto, v[i].proto) == 0 &&
           (v[i].ip == NULL) == (v[j + 1].ip == NULL) &&
           (v[i].ip == NULL || (strcmp(v[j + 1].ip, v[i].ip) == 0 && v[j + 1].hp == v[j].hp + 1)))
      j++;
    char cr[16], hr[16];
    if (j > i) {
      snprintf(cr, sizeof cr, "%d-%d", v[i].cp, v[j].cp);
      snprintf(hr, sizeof hr, "%d-%d", v[i].hp, v[j].hp);
    } else {
      snprintf(cr, sizeof cr, "%d", v[i].cp);
      snprintf(hr, sizeof hr, "%d", v[i].hp);
    }
    char *next;
    if (v[i].ip == NULL)
      next = xasprintf("%s%s%s/%s", out, *out ? ", " : "", cr, v[i].proto);
    else
      next = xasprintf("%s%s%s:%s->%s/%s", out, *out ? ", " : "", v[i].ip, hr, cr, v[i].proto);
    free(out);
    out = next;
    i = j + 1;
  }
  return out;
}
