/* ipam.h — cairn-ipam's parts: the config (host-local's keys) and the
 * on-disk store (host-local's format, so either plugin can take over a
 * dataDir the other wrote). */
#ifndef CAIRN_NETPLUG_IPAM_H
#define CAIRN_NETPLUG_IPAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "cni.h"
#include "err.h"

/* The plugin's commands, for cni_plugin_main and for cairn-bridge. */
int ipam_cmd_add(struct cni_req *r, json_t **result, struct err **e);
int ipam_cmd_del(struct cni_req *r, struct err **e);
int ipam_cmd_check(struct cni_req *r, struct err **e);

struct range {
  struct ipnet subnet; /* network address / prefix */
  struct ipaddr start, end, gw;
};

/* One address is allocated from each set; its ranges are tried in order. */
struct rangeset {
  struct range *r;
  size_t n;
};

struct ipam_conf {
  char *name; /* the network's name: the store's directory */
  struct rangeset *sets;
  size_t nsets;
  json_t *routes; /* [{dst, gw?}] as given */
  char *data_dir;
  char *resolv_conf;
  struct ipaddr *req; /* addresses asked for (args, runtimeConfig, CNI_ARGS) */
  size_t nreq;
  struct ipaddr *excl; /* "exclude": never handed out (docker's aux addresses) */
  size_t nexcl;
};

/* Read the "ipam" object of conf (and the requested addresses from
 * "args.cni.ips", "runtimeConfig.ips" and CNI_ARGS "IP=").  Errors are CNI
 * "invalid network config" errors. */
int ipam_conf_parse(const json_t *conf, const char *cni_args, struct ipam_conf *c, struct err **e);
void ipam_conf_free(struct ipam_conf *c);
/* "10.0.0.2-10.0.0.254,…" for messages. */
char *rangeset_fmt(const struct rangeset *s);
/* The range of s that holds a, or NULL. */
const struct range *rangeset_find(const struct rangeset *s, const struct ipaddr *a);

/* The store: <dataDir>/<name>/<address> files holding "<id>\r\n<ifname>",
 * last_reserved_ip.<set index>, and the "lock" file every change holds. */
struct store {
  char *dir;
  int lock_fd;
};

int store_open(struct store *s, const char *data_dir, const char *name, struct err **e);
void store_close(struct store *s);
/* Reserve a for id/ifname: 1 when reserved, 0 when taken already. */
int store_reserve(struct store *s, const struct ipaddr *a, const char *id, const char *ifname,
                  size_t set, struct err **e);
/* The last address reserved in set (family 0 when none). */
struct ipaddr store_last_reserved(struct store *s, size_t set);
/* Addresses held by id/ifname (*out malloc'd). */
int store_find(struct store *s, const char *id, const char *ifname, struct ipaddr **out, size_t *n,
               struct err **e);
/* Release every address held by id/ifname; none is fine. */
int store_release(struct store *s, const char *id, const char *ifname, struct err **e);
int store_release_addr(struct store *s, const struct ipaddr *a);

#endif
