#include "nft.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"

int nftx_table_valid(const char *s) {
  if (s == NULL || !isalpha((unsigned char)*s) || strlen(s) > 32)
    return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
      return 0;
  return 1;
}

char *nftx_owner(const char *containerid, const char *ifname) {
  char *o = xasprintf("%s %s", containerid, ifname);
  for (char *p = o; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-' &&
        p != o + strlen(containerid))
      *p = '_';
  return o;
}

/* libnftables is loaded when first needed: it (and libxtables, libgmp it
 * pulls in) would cost every plugin start otherwise, and the common paths
 * go through nftel.h.  Calls below go through these pointers. */
static struct {
  __typeof__(nft_ctx_new) *ctx_new;
  __typeof__(nft_ctx_free) *ctx_free;
  __typeof__(nft_ctx_buffer_output) *buffer_output;
  __typeof__(nft_ctx_buffer_error) *buffer_error;
  __typeof__(nft_ctx_get_output_buffer) *get_output;
  __typeof__(nft_ctx_get_error_buffer) *get_error;
  __typeof__(nft_ctx_output_set_flags) *set_flags;
  __typeof__(nft_run_cmd_from_buffer) *run;
} lib;

static int load_lib(struct err **e) {
  if (lib.run != NULL)
    return 0;
  void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return err_set(e, 0, "nftables: cannot load libnftables.so.1: %s", dlerror());
  void *p[8];
  const char *names[8] = {"nft_ctx_new",
                          "nft_ctx_free",
                          "nft_ctx_buffer_output",
                          "nft_ctx_buffer_error",
                          "nft_ctx_get_output_buffer",
                          "nft_ctx_get_error_buffer",
                          "nft_ctx_output_set_flags",
                          "nft_run_cmd_from_buffer"};
  for (int i = 0; i < 8; i++)
    if ((p[i] = dlsym(h, names[i])) == NULL)
      return err_set(e, 0, "nftables: libnftables.so.1 has no %s", names[i]);
  /* (POSIX lets a data pointer from dlsym become a function pointer.) */
  memcpy(&lib.ctx_new, &p[0], sizeof(p[0]));
  memcpy(&lib.ctx_free, &p[1], sizeof(p[1]));
  memcpy(&lib.buffer_output, &p[2], sizeof(p[2]));
  memcpy(&lib.buffer_error, &p[3], sizeof(p[3]));
  memcpy(&lib.get_output, &p[4], sizeof(p[4]));
  memcpy(&lib.get_error, &p[5], sizeof(p[5]));
  memcpy(&lib.set_flags, &p[6], sizeof(p[6]));
  memcpy(&lib.run, &p[7], sizeof(p[7]));
  return 0;
}

int nftx_open(struct nftx *n, const char *table, struct err **e) {
  if (!nftx_table_valid(table))
    return err_usage(e, "invalid nftables table name '%s'", table ? table : "");
  snprintf(n->table, sizeof(n->table), "%s", table);
  if (load_lib(e) < 0)
    return -1;
  n->ctx = lib.ctx_new(NFT_CTX_DEFAULT);
  if (n->ctx == NULL)
    return err_set(e, ENOMEM, "nftables context");
  lib.buffer_output(n->ctx);
  lib.buffer_error(n->ctx);
  return 0;
}

void nftx_close(struct nftx *n) {
  if (n->ctx != NULL)
    lib.ctx_free(n->ctx);
  n->ctx = NULL;
}

/* nft's error text is "Error: WHAT\nCOMMAND\n   ^^^\n"; keep WHAT (and the
 * command, which names the element at fault). */
static int nft_fail(struct nftx *n, struct err **e) {
  const char *txt = lib.get_error(n->ctx);
  if (txt == NULL || *txt == '\0')
    return err_set(e, 0, "nftables: unknown error");
  if (strncmp(txt, "Error: ", 7) == 0)
    txt += 7;
  size_t l1 = strcspn(txt, "\n");
  const char *cmd = txt[l1] ? txt + l1 + 1 : "";
  size_t l2 = strcspn(cmd, "\n");
  int errnum = 0;
  if (memmem(txt, l1, "File exists", 11) != NULL)
    errnum = EEXIST;
  else if (memmem(txt, l1, "No such file or directory", 25) != NULL)
    errnum = ENOENT;
  return err_setc(e, ERR_FAIL, errnum, "nftables: %.*s: %.*s", (int)l1, txt, (int)l2, cmd);
}

int nftx_run(struct nftx *n, const char *cmds, struct err **e) {
  lib.set_flags(n->ctx, 0);
  if (lib.run(n->ctx, cmds) != 0)
    return nft_fail(n, e);
  return 0;
}

int nftx_run_ensure(struct nftx *n, const char *cmds, struct err **e) {
  struct err *first = NULL;
  if (nftx_run(n, cmds, &first) == 0)
    return 0;
  if (first->errnum != ENOENT) {
    if (e != NULL && *e == NULL)
      *e = first;
    else
      err_free(&first);
    return -1;
  }
  err_free(&first);
  if (nftx_ensure(n, e) < 0)
    return -1;
  return nftx_run(n, cmds, e);
}

char *nftx_output(struct nftx *n, const char *cmd, struct err **e) {
  lib.set_flags(n->ctx, 0);
  if (lib.run(n->ctx, cmd) != 0) {
    nft_fail(n, e);
    return NULL;
  }
  return xstrdup(lib.get_output(n->ctx));
}

json_t *nftx_list(struct nftx *n, const char *cmd, struct err **e) {
  lib.set_flags(n->ctx, NFT_CTX_OUTPUT_JSON);
  if (lib.run(n->ctx, cmd) != 0) {
    nft_fail(n, e);
    return NULL;
  }
  return json_load_str(lib.get_output(n->ctx), "nft output", e);
}

/* The table's parts that "add" leaves alone when they exist. */
static char *parts_cmds(const char *f, const char *t, const char *addr) {
  return xasprintf("add table %s %s\n"
                   "add map %s %s portmap { type inet_proto . inet_service : %s . inet_service; }\n"
                   "add map %s %s portmap_ip { type %s . inet_proto . inet_service : "
                   "%s . inet_service; }\n"
                   "add set %s %s hairpin { type %s . %s; flags interval; }\n"
                   "add set %s %s masq { type %s; }\n"
                   "add set %s %s masq_skip { type %s . %s; flags interval; }\n",
                   f, t, f, t, addr, f, t, addr, addr, f, t, addr, addr, f, t, addr, f, t, addr,
                   addr);
}

/* The DNAT rules of chain: a mapping for the packet's own destination
 * address first, then one for any local address. */
static char *dnat_rules(const char *f, const char *t, const char *chain) {
  return xasprintf("add rule %s %s %s fib daddr type local dnat %s to %s daddr . meta l4proto . "
                   "th dport map @portmap_ip\n"
                   "add rule %s %s %s fib daddr type local dnat %s to meta l4proto . th dport map "
                   "@portmap\n",
                   f, t, chain, f, f, f, t, chain, f);
}

/* Its chains and their rules. */
static char *chain_cmds(const char *f, const char *t) {
  bool v6 = strcmp(f, "ip6") == 0;
  cleanup_free char *pre = dnat_rules(f, t, "prerouting");
  cleanup_free char *out = dnat_rules(f, t, "output");
  /* DNATed packets from 127.0.0.0/8 (see route_localnet above). */
  cleanup_free char *lo =
      v6 ? xstrdup("")
         : xasprintf("add rule ip %s postrouting ct status dnat ip saddr 127.0.0.0/8 masquerade\n",
                     t);
  return xasprintf(
      "create chain %s %s prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
      "%s"
      "create chain %s %s output { type nat hook output priority -100; policy accept; }\n"
      "%s"
      "create chain %s %s postrouting { type nat hook postrouting priority srcnat; policy "
      "accept; }\n"
      "%s"
      "add rule %s %s postrouting ct status dnat %s daddr . %s saddr @hairpin masquerade\n"
      "add rule %s %s postrouting %s saddr @masq %s saddr . %s daddr != @masq_skip %s daddr != "
      "%s masquerade\n",
      f, t, pre, f, t, out, f, t, lo, f, t, f, f, f, t, f, f, f, f,
      v6 ? "ff00::/8" : "224.0.0.0/4");
}

int nftx_ensure(struct nftx *n, struct err **e) {
  const char *t = n->table, *f = n->v6 ? "ip6" : "ip";
  cleanup_free char *parts = parts_cmds(f, t, n->v6 ? "ipv6_addr" : "ipv4_addr");
  if (nftx_run(n, parts, e) < 0)
    return err_wrap(e, "create table %s '%s'", f, t);
  /* Chains and their rules in one transaction that "create" makes fail as
   * a whole when they exist: two first users at once cannot both add the
   * rules. */
  cleanup_free char *chains = chain_cmds(f, t);
  struct err *ce = NULL;
  if (nftx_run(n, chains, &ce) < 0) {
    if (ce->errnum == EEXIST) {
      err_free(&ce);
      return 0;
    }
    if (e != NULL && *e == NULL)
      *e = ce;
    else
      err_free(&ce);
    return err_wrap(e, "create chains of table %s '%s'", f, t);
  }
  return 0;
}

/* Append printf output to the malloc'd string *out. */
static void append(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *add = xvasprintf(fmt, ap);
  va_end(ap);
  char *n = xasprintf("%s%s", *out, add);
  free(*out);
  *out = n;
}

/* Append the nft syntax of an element key as JSON gives it: a string or a
 * number, {"prefix":{addr,len}} or {"concat":[…]}. */
static void key_fmt(json_t *v, char **out) {
  if (json_is_string(v)) {
    append(out, "%s", json_string_value(v));
  } else if (json_is_integer(v)) {
    append(out, "%lld", (long long)json_integer_value(v));
  } else if (json_object_get(v, "prefix") != NULL) {
    json_t *p = json_object_get(v, "prefix");
    const char *addr = json_get_str(p, "addr");
    append(out, "%s/%lld", addr ? addr : "",
           (long long)json_integer_value(json_object_get(p, "len")));
  } else if (json_object_get(v, "concat") != NULL) {
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(v, "concat"), i, x) {
      if (i > 0)
        append(out, " . ");
      key_fmt(x, out);
    }
  }
}

json_t *nftx_owned(struct nftx *n, const char *name, const char *owner, struct err **e) {
  struct err *le = NULL;
  const char *f = n->v6 ? "ip6" : "ip";
  cleanup_free char *cmd = xasprintf("list set %s %s %s", f, n->table, name);
  /* "list set" does not list maps; try the map form when it is one. */
  json_t *j = nftx_list(n, cmd, &le);
  if (j == NULL && le->errnum == ENOENT) {
    err_free(&le);
    free(cmd);
    cmd = xasprintf("list map %s %s %s", f, n->table, name);
    j = nftx_list(n, cmd, &le);
  }
  if (j == NULL) {
    if (le->errnum == ENOENT) {
      err_free(&le);
      return json_array();
    }
    if (e != NULL && *e == NULL)
      *e = le;
    else
      err_free(&le);
    return NULL;
  }
  cleanup_json json_t *doc = j;
  json_t *keys = json_array();
  size_t i, k;
  json_t *item, *el;
  json_array_foreach(json_object_get(doc, "nftables"), i, item) {
    json_t *s = json_object_get(item, "set");
    if (s == NULL)
      s = json_object_get(item, "map");
    json_array_foreach(json_object_get(s, "elem"), k, el) {
      /* Map elements are [key, value]; set elements the key alone.  A key
       * with a comment is {"elem":{"val":KEY,"comment":…}}. */
      json_t *key = json_is_array(el) ? json_array_get(el, 0) : el;
      json_t *wrap = json_object_get(key, "elem");
      const char *comment = json_get_str(wrap, "comment");
      if (wrap == NULL || comment == NULL || strcmp(comment, owner) != 0)
        continue;
      cleanup_free char *ks = xstrdup("");
      key_fmt(json_object_get(wrap, "val"), &ks);
      json_array_append_new(keys, json_string(ks));
    }
  }
  return keys;
}

int nftx_delete_owned(struct nftx *n, const char *name, const char *owner, struct err **e) {
  cleanup_json json_t *keys = nftx_owned(n, name, owner, e);
  if (keys == NULL)
    return -1;
  cleanup_free char *dels = xstrdup("");
  size_t i;
  json_t *k;
  json_array_foreach(keys, i, k) append(&dels, "delete element %s %s %s { %s }\n",
                                        n->v6 ? "ip6" : "ip", n->table, name, json_string_value(k));
  if (*dels == '\0')
    return 0;
  return nftx_run(n, dels, e);
}
