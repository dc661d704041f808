/* nft.h — our nftables table through libnftables.
 *
 * Every rule lives in one table of family ip, "cairn" unless a config names
 * another (tests use one of their own).  Its chains are fixed; what each
 * container adds is elements of maps and sets, each with a comment naming
 * its owner ("<containerid> <ifname>"), so adding or removing a container
 * is one atomic transaction and never touches another's state:
 *
 *   portmap     inet_proto . port -> container ip . port   (any local address)
 *   portmap_ip  host ip . inet_proto . port -> container ip . port
 *   hairpin     container ip . its subnet: DNATed traffic from that subnet to
 *               the container is masqueraded, so replies come back through us
 *   masq        container ips whose traffic leaving the subnet is masqueraded
 *   masq_skip   container ip . its subnet: destinations exempt from that
 *
 * DNAT happens for packets to a local address in prerouting (from outside
 * and from containers) and output (from the host itself, 127.0.0.1
 * included); DNATed packets from 127.0.0.0/8 are masqueraded, which needs
 * route_localnet on the bridge (cairn-portmap sets it on that one).
 *
 * IPv6 has a table of family ip6 by the same name, with the same maps and
 * sets holding IPv6 addresses, and the same chains but for ::1, which the
 * kernel never routes off the host (as with the reference plugin, a port
 * answers on the host's other IPv6 addresses). */
#ifndef CAIRN_NETPLUG_NFT_H
#define CAIRN_NETPLUG_NFT_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

#define NFT_DEFAULT_TABLE "cairn"

struct nft_ctx;

struct nftx {
  struct nft_ctx *ctx;
  char table[33];
  bool v6; /* the table of family ip6 (set after nftx_open) rather than ip */
};

/* A valid table name: a letter, then letters, digits, '_' or '-', at most 32. */
int nftx_table_valid(const char *name);
int nftx_open(struct nftx *n, const char *table, struct err **e);
void nftx_close(struct nftx *n);

/* Run commands (lines of nft syntax) as one transaction.  Failures carry
 * EEXIST or ENOENT in errnum when nft reported those. */
int nftx_run(struct nftx *n, const char *cmds, struct err **e);
/* Run cmds; when the table (or one of its parts) is missing, create it and
 * run them again. */
int nftx_run_ensure(struct nftx *n, const char *cmds, struct err **e);
/* Run a command and return what it printed (text), malloc'd. */
char *nftx_output(struct nftx *n, const char *cmd, struct err **e);
/* Run a list command and return its JSON ({"nftables":[…]}). */
json_t *nftx_list(struct nftx *n, const char *cmd, struct err **e);
/* Create the table, its maps, sets, chains and rules when absent. */
int nftx_ensure(struct nftx *n, struct err **e);

/* The comment that marks a container's elements: "<containerid> <ifname>",
 * any character outside [A-Za-z0-9_.-] of ifname replaced by '_'. */
char *nftx_owner(const char *containerid, const char *ifname);

/* The keys (in nft syntax) of the elements of set or map name whose comment
 * is owner; a missing table or set gives an empty array. */
json_t *nftx_owned(struct nftx *n, const char *name, const char *owner, struct err **e);

/* Delete every element of set or map name whose comment is owner; a missing
 * table is fine. */
int nftx_delete_owned(struct nftx *n, const char *name, const char *owner, struct err **e);

#endif
