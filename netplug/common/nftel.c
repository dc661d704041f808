#include "nftel.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "detach.h"
#include "mem.h"

unsigned nftel_put_ip(unsigned char *buf, unsigned len, const struct ipaddr *a) {
  unsigned l = (unsigned)ip_len(a->family);
  memcpy(buf + len, a->b, l);
  return len + l;
}

unsigned nftel_put_proto(unsigned char *buf, unsigned len, const char *proto) {
  memset(buf + len, 0, 4);
  buf[len] = strcmp(proto, "udp") == 0 ? 17 : strcmp(proto, "sctp") == 0 ? 132 : 6;
  return len + 4;
}

unsigned nftel_put_port(unsigned char *buf, unsigned len, unsigned port) {
  memset(buf + len, 0, 4);
  buf[len] = (unsigned char)(port >> 8);
  buf[len + 1] = (unsigned char)port;
  return len + 4;
}

static struct nftnl_set *build_set(const char *table, const struct nftel *x) {
  struct nftnl_set *s = nftnl_set_alloc();
  struct nftnl_set_elem *el = nftnl_set_elem_alloc();
  if (s == NULL || el == NULL)
    abort(); /* out of memory, as xmalloc */
  nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
  nftnl_set_set_str(s, NFTNL_SET_NAME, x->set);
  nftnl_set_set_u32(s, NFTNL_SET_FAMILY, x->v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
  nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, x->key, x->klen);
  if (x->kelen > 0)
    nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY_END, x->key_end, x->kelen);
  if (x->dlen > 0 && !x->del)
    nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, x->data, x->dlen);
  if (x->comment != NULL && !x->del) {
    struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
    if (ud == NULL)
      abort();
    nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, x->comment);
    nftnl_set_elem_set(el, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
                       nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
  }
  nftnl_set_elem_add(s, el);
  return s;
}

/* Read the answers to a batch of n messages: one acknowledgement each, or
 * the error that aborted the transaction (after which the rest may never
 * come).  Returns 0 or -errno. */
static int read_acks(struct mnl_socket *nl, unsigned portid, size_t n) {
  static char buf[16384];
  size_t seen = 0;
  int first_err = 0;
  while (seen < n) {
    ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (len < 0)
      return errno == EAGAIN && first_err ? first_err : -errno;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    int rest = (int)len;
    for (; mnl_nlmsg_ok(h, rest); h = mnl_nlmsg_next(h, &rest)) {
      if (h->nlmsg_pid != portid || h->nlmsg_type != NLMSG_ERROR)
        continue;
      const struct nlmsgerr *err = mnl_nlmsg_get_payload(h);
      seen++;
      if (err->error != 0 && first_err == 0) {
        first_err = err->error;
        /* Once aborted, take what is queued and stop waiting. */
        struct timeval tv = {0, 20000};
        setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      }
    }
  }
  return first_err;
}

int nftel_run(const char *table, const struct nftel *v, size_t n, struct err **e) {
  if (n == 0)
    return 0;
  struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (nl == NULL)
    return err_set(e, errno, "nftables: open netlink socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    int saved = errno;
    mnl_socket_close(nl);
    return err_set(e, saved, "nftables: bind netlink socket");
  }
  unsigned portid = mnl_socket_get_portid(nl);
  size_t cap = 4096 + n * 640;
  cleanup_free char *buf = xmalloc(cap);
  struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, cap);
  uint32_t seq = (uint32_t)time(NULL);
  nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
  mnl_nlmsg_batch_next(b);
  for (size_t i = 0; i < n; i++) {
    struct nftnl_set *s = build_set(table, &v[i]);
    uint16_t type = v[i].del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM;
    uint16_t flags = (uint16_t)((v[i].del ? 0 : NLM_F_CREATE) | NLM_F_ACK);
    struct nlmsghdr *h = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
                                               v[i].v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, flags, seq++);
    nftnl_set_elems_nlmsg_build_payload(h, s);
    nftnl_set_free(s);
    mnl_nlmsg_batch_next(b);
  }
  nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
  mnl_nlmsg_batch_next(b);
  int r = 0;
  if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
    r = -errno;
  else
    r = read_acks(nl, portid, n);
  mnl_nlmsg_batch_stop(b);
  /* After deletions the last close waits for the kernel to free them (see
   * detach.h): leave that to a child. */
  bool deleted = false;
  for (size_t i = 0; i < n; i++)
    deleted |= v[i].del;
  int token = deleted ? detach_hold(mnl_socket_get_fd(nl)) : -1;
  mnl_socket_close(nl);
  detach_release(token);
  if (r < 0)
    return err_set(e, -r, "nftables: update sets of table '%s'", table);
  return 0;
}
