#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"

/* One side of an entry (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY). */
struct tuple {
  struct ipaddr src, dst;
  unsigned char proto;
  unsigned sport, dport;
};

static int ip_cb(const struct nlattr *a, void *data) {
  struct tuple *t = data;
  int type = mnl_attr_get_type(a);
  uint16_t len = mnl_attr_get_payload_len(a);
  struct ipaddr *to = NULL;
  int family = 0;
  if (type == CTA_IP_V4_SRC || type == CTA_IP_V4_DST)
    family = AF_INET;
  else if (type == CTA_IP_V6_SRC || type == CTA_IP_V6_DST)
    family = AF_INET6;
  if (family == 0 || len != (uint16_t)ip_len(family))
    return MNL_CB_OK;
  to = type == CTA_IP_V4_SRC || type == CTA_IP_V6_SRC ? &t->src : &t->dst;
  to->family = family;
  memcpy(to->b, mnl_attr_get_payload(a), len);
  return MNL_CB_OK;
}

static int proto_cb(const struct nlattr *a, void *data) {
  struct tuple *t = data;
  switch (mnl_attr_get_type(a)) {
    case CTA_PROTO_NUM:
      if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
        t->proto = mnl_attr_get_u8(a);
      break;
    case CTA_PROTO_SRC_PORT:
      if (mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
        t->sport = ntohs(mnl_attr_get_u16(a));
      break;
    case CTA_PROTO_DST_PORT:
      if (mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
        t->dport = ntohs(mnl_attr_get_u16(a));
      break;
  }
  return MNL_CB_OK;
}

static int tuple_cb(const struct nlattr *a, void *data) {
  if (mnl_attr_get_type(a) == CTA_TUPLE_IP)
    mnl_attr_parse_nested(a, ip_cb, data);
  else if (mnl_attr_get_type(a) == CTA_TUPLE_PROTO)
    mnl_attr_parse_nested(a, proto_cb, data);
  return MNL_CB_OK;
}

/* What a dump collects: a delete request per matching entry. */
struct dump {
  const struct ct_match *m;
  size_t nm;
  char *buf; /* the delete requests, one after another */
  size_t len, cap;
  size_t n;
  unsigned seq;
};

struct entry {
  const struct nlattr *orig, *reply, *zone;
};

static int entry_cb(const struct nlattr *a, void *data) {
  struct entry *en = data;
  switch (mnl_attr_get_type(a)) {
    case CTA_TUPLE_ORIG: en->orig = a; break;
    case CTA_TUPLE_REPLY: en->reply = a; break;
    case CTA_ZONE: en->zone = a; break;
  }
  return MNL_CB_OK;
}

static bool matches(const struct ct_match *m, const struct tuple *o, const struct tuple *r) {
  if (o->proto != m->proto || o->dport != m->dport)
    return false;
  if (m->dst.family != 0 && !ip_equal(&o->dst, &m->dst))
    return false;
  if (m->reply.family != 0 && (!ip_equal(&r->src, &m->reply) || r->sport != m->reply_port))
    return false;
  return true;
}

static int dump_cb(const struct nlmsghdr *h, void *data) {
  struct dump *d = data;
  struct entry en = {0};
  if (mnl_attr_parse(h, sizeof(struct nfgenmsg), entry_cb, &en) < 0 || en.orig == NULL ||
      en.reply == NULL)
    return MNL_CB_OK;
  struct tuple o = {0}, r = {0};
  mnl_attr_parse_nested(en.orig, tuple_cb, &o);
  mnl_attr_parse_nested(en.reply, tuple_cb, &r);
  bool any = false;
  for (size_t i = 0; i < d->nm && !any; i++)
    any = matches(&d->m[i], &o, &r);
  if (!any)
    return MNL_CB_OK;
  /* A delete names the entry by its original tuple (and zone). */
  size_t need = MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct nfgenmsg)) +
                MNL_ALIGN(mnl_attr_get_len(en.orig)) +
                (en.zone ? MNL_ALIGN(mnl_attr_get_len(en.zone)) : 0);
  if (d->len + need > d->cap) {
    d->cap = (d->len + need) * 2;
    d->buf = xrealloc(d->buf, d->cap);
  }
  struct nlmsghdr *del = mnl_nlmsg_put_header(d->buf + d->len);
  del->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
  del->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  del->nlmsg_seq = ++d->seq;
  struct nfgenmsg *nf = mnl_nlmsg_put_extra_header(del, sizeof(*nf));
  nf->nfgen_family = (uint8_t)d->m->family;
  nf->version = NFNETLINK_V0;
  mnl_attr_put(del, CTA_TUPLE_ORIG | NLA_F_NESTED, mnl_attr_get_payload_len(en.orig),
               mnl_attr_get_payload(en.orig));
  if (en.zone != NULL)
    mnl_attr_put(del, CTA_ZONE, mnl_attr_get_payload_len(en.zone), mnl_attr_get_payload(en.zone));
  d->len += del->nlmsg_len;
  d->n++;
  return MNL_CB_OK;
}

static int talk_dump(struct mnl_socket *sk, unsigned portid, const struct ct_match *m,
                     struct dump *d) {
  char req[256];
  struct nlmsghdr *h = mnl_nlmsg_put_header(req);
  h->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  h->nlmsg_seq = d->seq;
  struct nfgenmsg *nf = mnl_nlmsg_put_extra_header(h, sizeof(*nf));
  nf->nfgen_family = (uint8_t)m->family;
  nf->version = NFNETLINK_V0;
  if (mnl_socket_sendto(sk, h, h->nlmsg_len) < 0)
    return -errno;
  static char buf[65536];
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
    if (n < 0)
      return errno == EINTR ? 0 : -errno;
    int r = mnl_cb_run(buf, (size_t)n, h->nlmsg_seq, portid, dump_cb, d);
    if (r == MNL_CB_STOP)
      return 0;
    if (r < 0)
      return -errno;
  }
}

/* Send the deletes and read their answers; an entry gone meanwhile is fine. */
static int talk_deletes(struct mnl_socket *sk, const struct dump *d) {
  if (mnl_socket_sendto(sk, d->buf, d->len) < 0)
    return -errno;
  static char buf[16384];
  size_t seen = 0;
  int first = 0;
  while (seen < d->n) {
    ssize_t n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
    if (n < 0)
      return -errno;
    const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
    int rest = (int)n;
    for (; mnl_nlmsg_ok(h, rest); h = mnl_nlmsg_next(h, &rest)) {
      if (h->nlmsg_type != NLMSG_ERROR)
        continue;
      seen++;
      const struct nlmsgerr *er = mnl_nlmsg_get_payload(h);
      if (er->error != 0 && er->error != -ENOENT && first == 0)
        first = er->error;
    }
  }
  return first;
}

int ct_flush(const struct ct_match *m, size_t n, struct err **e) {
  if (n == 0)
    return 0;
  struct mnl_socket *sk = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (sk == NULL)
    return err_set(e, errno, "conntrack: open netlink socket");
  if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
    int saved = errno;
    mnl_socket_close(sk);
    return err_set(e, saved, "conntrack: bind netlink socket");
  }
  struct dump d = {.m = m, .nm = n, .seq = (unsigned)time(NULL)};
  int r = talk_dump(sk, mnl_socket_get_portid(sk), m, &d);
  if (r == 0 && d.n > 0)
    r = talk_deletes(sk, &d);
  mnl_socket_close(sk);
  free(d.buf);
  if (r == -EOPNOTSUPP || r == -EPROTONOSUPPORT)
    return 0; /* no connection tracking here: nothing to flush */
  if (r < 0)
    return err_set(e, -r, "conntrack: delete entries of host port %u", m->dport);
  return (int)d.n;
}
