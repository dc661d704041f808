/* net.h — cairn-net: a CNI driver (what libcni and cnitool do) plus the
 * management of the network configs it runs. */
#ifndef CAIRN_NETPLUG_NET_H
#define CAIRN_NETPLUG_NET_H

#include <jansson.h>

#include "err.h"

struct netctx {
  char *config_dir; /* conflists: $CAIRN_ROOT/net.d */
  char *cache_dir;  /* ADD results: $CAIRN_RUN/net/results */
  char *run_dir;    /* $CAIRN_RUN */
  char *cni_path;   /* where plugins are looked up */
  char *events;     /* the event journal ($CAIRN_EVENTS, else ROOT/events.jsonl); NULL: none */
};

/* events.c: docker's network events in the journal. */
#define NET_ID_KEY "cairn.networkId" /* a conflist's docker network id (64 hex) */
int net_id_valid(const char *id);
/* The network's docker id: NET_ID_KEY, else derived from its name. */
char *net_docker_id(const json_t *list, const char *name);
/* action on network name (its conflist list, may be NULL); container for
 * connect and disconnect. */
void net_event(const struct netctx *c, const char *action, const json_t *list, const char *name,
               const char *container);

/* A usable network name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64. */
int net_name_valid(const char *name);
/* The conflist of network name (the default network "cairn" is written on
 * first use); errors name the file.  ENOENT (code ERR_NOTFOUND) when there is
 * no such network. */
json_t *net_load(struct netctx *c, const char *name, struct err **e);
/* Check a conflist document's shape. */
int net_validate(const json_t *list, const char *where, struct err **e);

int cmd_create(struct netctx *c, int argc, char **argv, struct err **e);
int cmd_ls(struct netctx *c, int argc, char **argv, struct err **e);
int cmd_inspect(struct netctx *c, int argc, char **argv, struct err **e);
int cmd_rm(struct netctx *c, int argc, char **argv, struct err **e);
int cmd_add(struct netctx *c, int argc, char **argv, struct err **e);
int cmd_del(struct netctx *c, int argc, char **argv, struct err **e);
int cmd_check(struct netctx *c, int argc, char **argv, struct err **e);

/* The cache file of one attachment. */
char *cache_path(const struct netctx *c, const char *net, const char *cid, const char *ifname);

#endif
