#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "detach.h"
#include "mem.h"

/* Big enough for one dump message of any link (the kernel's dump size). */
#define NL_BUF 32768
/* Any request we build fits in this. */
#define NL_REQ 2048

int nl_open(struct nl *nl, struct err **e) {
  nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl->sk == NULL)
    return err_set(e, errno, "open netlink socket");
  if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
    int saved = errno;
    nl_close(nl);
    return err_set(e, saved, "bind netlink socket");
  }
  nl->portid = mnl_socket_get_portid(nl->sk);
  nl->seq = (unsigned int)time(NULL);
  return 0;
}

void nl_close(struct nl *nl) {
  if (nl->sk != NULL)
    mnl_socket_close(nl->sk);
  nl->sk = NULL;
}

/* Send one request and read replies until its acknowledgement (or the end of
 * a dump); each data message goes to cb.  Returns 0 or -errno. */
static int nl_talk(struct nl *nl, struct nlmsghdr *h, mnl_cb_t cb, void *data) {
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_seq = ++nl->seq;
  if (mnl_socket_sendto(nl->sk, h, h->nlmsg_len) < 0)
    return -errno;
  static char buf[NL_BUF];
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    int r = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
    if (r == MNL_CB_STOP)
      return 0;
    if (r < 0)
      return -errno;
  }
}

static struct nlmsghdr *msg_start(char *buf, unsigned short type, unsigned short flags) {
  memset(buf, 0, NL_REQ);
  struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  return h;
}

void mac_fmt(const unsigned char m[6], char *out) {
  snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- links ---- */

static int linkinfo_cb(const struct nlattr *a, void *data) {
  struct nl_link *l = data;
  if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
    snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(a));
  return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data) {
  struct nl_link *l = data;
  switch (mnl_attr_get_type(a)) {
    case IFLA_IFNAME:
      if (mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
        snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
      break;
    case IFLA_MTU:
      if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
        l->mtu = mnl_attr_get_u32(a);
      break;
    case IFLA_MASTER:
      if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
        l->master = (int)mnl_attr_get_u32(a);
      break;
    case IFLA_LINK:
      if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
        l->link = (int)mnl_attr_get_u32(a);
      break;
    case IFLA_OPERSTATE:
      if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
        l->operstate = mnl_attr_get_u8(a);
      break;
    case IFLA_ADDRESS:
      if (mnl_attr_get_payload_len(a) == 6) {
        memcpy(l->mac, mnl_attr_get_payload(a), 6);
        mac_fmt(l->mac, l->mac_str);
      }
      break;
    case IFLA_LINKINFO: mnl_attr_parse_nested(a, linkinfo_cb, l); break;
  }
  return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *h, void *data) {
  struct nl_link *l = data;
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
  memset(l, 0, sizeof(*l));
  l->index = ifi->ifi_index;
  l->flags = ifi->ifi_flags;
  return mnl_attr_parse(h, sizeof(*ifi), link_attr_cb, l);
}

static int link_get(struct nl *nl, const char *name, int index, struct nl_link *out,
                    struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_GETLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (name != NULL)
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
  mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  int r = nl_talk(nl, h, link_cb, out);
  if (r < 0) {
    if (name != NULL)
      return err_set(e, -r, "look up link '%s'", name);
    return err_set(e, -r, "look up link %d", index);
  }
  return 0;
}

int nl_link_get(struct nl *nl, const char *name, struct nl_link *out, struct err **e) {
  return link_get(nl, name, 0, out, e);
}

int nl_link_get_index(struct nl *nl, int index, struct nl_link *out, struct err **e) {
  return link_get(nl, NULL, index, out, e);
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *h, int index, unsigned flags,
                                    unsigned change) {
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = flags;
  ifi->ifi_change = change;
  return ifi;
}

int nl_bridge_add(struct nl *nl, const char *name, unsigned mtu, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo(h, 0, IFF_UP, IFF_UP);
  mnl_attr_put_strz(h, IFLA_IFNAME, name);
  if (mtu > 0)
    mnl_attr_put_u32(h, IFLA_MTU, mtu);
  struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(h, info);
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0)
    return err_set(e, -r, "create bridge '%s'", name);
  return 0;
}

int nl_veth_add(struct nl *nl, const char *name, const char *peer_name, int peer_nsfd, unsigned mtu,
                int master, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo(h, 0, IFF_UP, IFF_UP);
  mnl_attr_put_strz(h, IFLA_IFNAME, name);
  if (mtu > 0)
    mnl_attr_put_u32(h, IFLA_MTU, mtu);
  if (master > 0)
    mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
  struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
  /* The peer's attributes follow its own ifinfomsg inside the nest. */
  struct ifinfomsg *pi = (struct ifinfomsg *)((char *)h + h->nlmsg_len);
  memset(pi, 0, sizeof(*pi));
  pi->ifi_family = AF_UNSPEC; /* not IFF_UP: the kernel refuses it before the pair is joined */
  h->nlmsg_len += MNL_ALIGN(sizeof(*pi));
  mnl_attr_put_strz(h, IFLA_IFNAME, peer_name);
  if (mtu > 0)
    mnl_attr_put_u32(h, IFLA_MTU, mtu);
  if (peer_nsfd >= 0)
    mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)peer_nsfd);
  mnl_attr_nest_end(h, peer);
  mnl_attr_nest_end(h, data);
  mnl_attr_nest_end(h, info);
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0)
    return err_set(e, -r, "create veth pair '%s' and '%s'", name, peer_name);
  return 0;
}

static int link_change(struct nl *nl, int index, unsigned flags, unsigned change,
                       const unsigned char *mac, const char *what, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_NEWLINK, 0);
  put_ifinfo(h, index, flags, change);
  if (mac != NULL)
    mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0)
    return err_set(e, -r, "%s of link %d", what, index);
  return 0;
}

int nl_link_set_up(struct nl *nl, int index, int up, struct err **e) {
  return link_change(nl, index, up ? IFF_UP : 0, IFF_UP, NULL, up ? "set up" : "set down", e);
}

int nl_link_set_up_notify(struct nl *nl, int index, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_NEWLINK, 0);
  put_ifinfo(h, index, IFF_UP, IFF_UP);
  struct nlattr *spec = mnl_attr_nest_start(h, IFLA_AF_SPEC);
  struct nlattr *inet = mnl_attr_nest_start(h, AF_INET);
  struct nlattr *conf = mnl_attr_nest_start(h, IFLA_INET_CONF);
  mnl_attr_put_u32(h, IPV4_DEVCONF_ARP_NOTIFY, 1);
  mnl_attr_nest_end(h, conf);
  mnl_attr_nest_end(h, inet);
  mnl_attr_nest_end(h, spec);
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0)
    return err_set(e, -r, "set up link %d", index);
  return 0;
}

int nl_link_set_promisc(struct nl *nl, int index, struct err **e) {
  return link_change(nl, index, IFF_PROMISC, IFF_PROMISC, NULL, "set promiscuous mode", e);
}

int nl_link_set_mac(struct nl *nl, int index, const unsigned char mac[6], struct err **e) {
  return link_change(nl, index, 0, 0, mac, "set the MAC address", e);
}

int nl_brport_set_hairpin(struct nl *nl, int index, int on, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_SETLINK, 0);
  struct ifinfomsg *ifi = put_ifinfo(h, index, 0, 0);
  ifi->ifi_family = AF_BRIDGE;
  struct nlattr *pi = mnl_attr_nest_start(h, IFLA_PROTINFO);
  mnl_attr_put_u8(h, IFLA_BRPORT_MODE, on ? 1 : 0);
  mnl_attr_nest_end(h, pi);
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0)
    return err_set(e, -r, "set hairpin mode of link %d", index);
  return 0;
}

int nl_link_del(struct nl *nl, int index, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_DELLINK, 0);
  put_ifinfo(h, index, 0, 0);
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0)
    return err_set(e, -r, "delete link %d", index);
  return 0;
}

static int subscribe(struct nl *nl, int on) {
  int group = RTNLGRP_LINK;
  return setsockopt(mnl_socket_get_fd(nl->sk), SOL_NETLINK,
                    on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, &group, sizeof(group));
}

/* Read what is queued on nl: 1 when it holds the RTM_DELLINK of index, 0
 * when not (yet), -errno for the failure of request seq, -ENOBUFS when
 * notifications were lost. */
static int dellink_seen(struct nl *nl, int index, unsigned seq) {
  static char buf[NL_BUF];
  int seen = 0;
  for (;;) {
    ssize_t n = recv(mnl_socket_get_fd(nl->sk), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0)
      return errno == EAGAIN || errno == EINTR ? seen : -errno;
    const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
    int rest = (int)n;
    for (; mnl_nlmsg_ok(h, rest); h = mnl_nlmsg_next(h, &rest)) {
      if (h->nlmsg_type == RTM_DELLINK &&
          ((const struct ifinfomsg *)mnl_nlmsg_get_payload(h))->ifi_index == index)
        seen = 1;
      if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq) {
        const struct nlmsgerr *er = mnl_nlmsg_get_payload(h);
        if (er->error == -ENODEV)
          seen = 1; /* gone already */
        else if (er->error != 0)
          return er->error;
      }
    }
  }
}

int nl_link_del_unlisted(struct nl *nl, int index, struct nl *peer, int peer_index,
                         struct err **e) {
  if (subscribe(nl, 1) < 0 || (peer != NULL && subscribe(peer, 1) < 0))
    return nl_link_del(nl, index, e);
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_DELLINK, NLM_F_REQUEST);
  put_ifinfo(h, index, 0, 0);
  h->nlmsg_seq = ++nl->seq;
  /* No NLM_F_ACK: success is the notification, a failure still answers. */
  int p[2] = {-1, -1};
  int fd = mnl_socket_get_fd(nl->sk);
  int keep[2] = {fd, -1};
  pid_t pid = -1;
  if (pipe2(p, O_CLOEXEC) == 0) {
    keep[1] = p[1];
    pid = detach_fork(keep, 2);
  }
  if (pid == 0) {
    /* The child's exit closes the pipe: the parent's last resort. */
    send(fd, h, h->nlmsg_len, 0);
    _exit(0);
  }
  if (p[1] >= 0)
    close(p[1]);
  int r = 0;
  if (pid < 0) {
    if (p[0] >= 0)
      close(p[0]);
    r = nl_talk(nl, h, NULL, NULL);
    if (r == -ENODEV)
      r = 0;
  } else {
    struct pollfd pf[3] = {
        {fd, POLLIN, 0}, {peer ? mnl_socket_get_fd(peer->sk) : -1, POLLIN, 0}, {p[0], POLLIN, 0}};
    bool here = false, there = peer == NULL, child_done = false;
    while (r == 0 && !(here && there) && !child_done) {
      if (poll(pf, 3, -1) < 0) {
        if (errno == EINTR)
          continue;
        r = -errno;
        break;
      }
      child_done = pf[2].revents != 0;
      if (!here) {
        r = dellink_seen(nl, index, nl->seq);
        here = r == 1;
        if (r == -ENOBUFS) /* lost track: wait for the child */
          pf[0].fd = -1;
        r = r == 1 || r == -ENOBUFS ? 0 : r;
      }
      if (!there && r == 0) {
        int q = dellink_seen(peer, peer_index, 0);
        there = q == 1;
        if (q < 0)
          pf[1].fd = -1;
      }
    }
    if (child_done && r == 0 && !here) {
      /* The deletion has run its course: its failure, if any, is queued. */
      r = dellink_seen(nl, index, nl->seq);
      r = r == -ENOBUFS || r == 1 ? 0 : r;
    }
    close(p[0]);
  }
  /* Notifications of other links may still be queued: the sockets stay
   * usable for requests only without them. */
  subscribe(nl, 0);
  dellink_seen(nl, 0, 0);
  if (peer != NULL) {
    subscribe(peer, 0);
    dellink_seen(peer, 0, 0);
  }
  if (r < 0)
    return err_set(e, -r, "delete link %d", index);
  return 0;
}

struct port_count {
  int master, n;
};

static int port_cb(const struct nlmsghdr *h, void *data) {
  struct port_count *pc = data;
  struct nl_link l;
  link_cb(h, &l);
  if (l.master == pc->master)
    pc->n++;
  return MNL_CB_OK;
}

int nl_count_ports(struct nl *nl, int master, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_GETLINK, NLM_F_DUMP);
  put_ifinfo(h, 0, 0, 0);
  struct port_count pc = {master, 0};
  int r = nl_talk(nl, h, port_cb, &pc);
  if (r < 0)
    return err_set(e, -r, "list links");
  return pc.n;
}

/* ---- addresses ---- */

struct addr_dump {
  int index;
  struct ipnet *v;
  size_t n;
};

static int addr_cb(const struct nlmsghdr *h, void *data) {
  struct addr_dump *d = data;
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
  if ((int)ifa->ifa_index != d->index)
    return MNL_CB_OK;
  const struct nlattr *local = NULL, *address = NULL, *a;
  mnl_attr_for_each(a, h, sizeof(*ifa)) {
    if (mnl_attr_get_type(a) == IFA_LOCAL)
      local = a;
    else if (mnl_attr_get_type(a) == IFA_ADDRESS)
      address = a;
  }
  /* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on
   * point-to-point links and the only one given for IPv6. */
  a = local ? local : address;
  int len = ifa->ifa_family == AF_INET ? 4 : 16;
  if (a == NULL || mnl_attr_get_payload_len(a) != (uint16_t)len)
    return MNL_CB_OK;
  d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
  struct ipnet *n = &d->v[d->n++];
  memset(n, 0, sizeof(*n));
  n->ip.family = ifa->ifa_family;
  memcpy(n->ip.b, mnl_attr_get_payload(a), (size_t)len);
  n->prefix = ifa->ifa_prefixlen;
  return MNL_CB_OK;
}

int nl_addr_list(struct nl *nl, int index, int family, struct ipnet **out, size_t *n,
                 struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_GETADDR, NLM_F_DUMP);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
  ifa->ifa_family = (unsigned char)family;
  struct addr_dump d = {index, NULL, 0};
  int r = nl_talk(nl, h, addr_cb, &d);
  if (r < 0) {
    free(d.v);
    return err_set(e, -r, "list addresses of link %d", index);
  }
  *out = d.v;
  *n = d.n;
  return 0;
}

static int addr_change(struct nl *nl, unsigned short type, unsigned short flags, int index,
                       const struct ipnet *a, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, type, flags);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
  ifa->ifa_family = (unsigned char)a->ip.family;
  ifa->ifa_prefixlen = (unsigned char)a->prefix;
  ifa->ifa_index = (unsigned)index;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  if (a->ip.family == AF_INET6 && type == RTM_NEWADDR)
    ifa->ifa_flags = IFA_F_NODAD;
  size_t len = (size_t)ip_len(a->ip.family);
  mnl_attr_put(h, IFA_LOCAL, len, a->ip.b);
  mnl_attr_put(h, IFA_ADDRESS, len, a->ip.b);
  if (a->ip.family == AF_INET && a->prefix < 31 && type == RTM_NEWADDR) {
    struct ipaddr brd = ipnet_last(a);
    mnl_attr_put(h, IFA_BROADCAST, 4, brd.b);
  }
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0) {
    char s[IPNET_STRLEN];
    return err_set(e, -r, "%s address %s %s link %d", type == RTM_NEWADDR ? "add" : "delete",
                   ipnet_fmt(a, s), type == RTM_NEWADDR ? "to" : "from", index);
  }
  return 0;
}

int nl_addr_add(struct nl *nl, int index, const struct ipnet *a, struct err **e) {
  return addr_change(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, a, e);
}

int nl_addr_del(struct nl *nl, int index, const struct ipnet *a, struct err **e) {
  return addr_change(nl, RTM_DELADDR, 0, index, a, e);
}

/* ---- routes ---- */

int nl_route_add(struct nl *nl, int index, const struct ipnet *dst, const struct ipaddr *gw,
                 struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
  rt->rtm_family = (unsigned char)dst->ip.family;
  rt->rtm_dst_len = (unsigned char)dst->prefix;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = gw != NULL ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  size_t len = (size_t)ip_len(dst->ip.family);
  if (dst->prefix > 0) {
    struct ipaddr net = ipnet_network(dst);
    mnl_attr_put(h, RTA_DST, len, net.b);
  }
  if (gw != NULL)
    mnl_attr_put(h, RTA_GATEWAY, len, gw->b);
  mnl_attr_put_u32(h, RTA_OIF, (uint32_t)index);
  int r = nl_talk(nl, h, NULL, NULL);
  if (r < 0) {
    char d[IPNET_STRLEN], g[IPNET_STRLEN];
    if (gw != NULL)
      return err_set(e, -r, "add route to %s via %s", ipnet_fmt(dst, d), ip_fmt(gw, g));
    return err_set(e, -r, "add route to %s", ipnet_fmt(dst, d));
  }
  return 0;
}

struct route_dump {
  struct nl_route *v;
  size_t n;
};

static int route_cb(const struct nlmsghdr *h, void *data) {
  struct route_dump *d = data;
  const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
  if (rt->rtm_type != RTN_UNICAST)
    return MNL_CB_OK;
  struct nl_route r;
  memset(&r, 0, sizeof(r));
  r.dst.ip.family = rt->rtm_family;
  r.dst.prefix = rt->rtm_dst_len;
  unsigned table = rt->rtm_table;
  int len = rt->rtm_family == AF_INET ? 4 : 16;
  const struct nlattr *a;
  mnl_attr_for_each(a, h, sizeof(*rt)) {
    switch (mnl_attr_get_type(a)) {
      case RTA_TABLE: table = mnl_attr_get_u32(a); break;
      case RTA_DST:
        if (mnl_attr_get_payload_len(a) == (uint16_t)len)
          memcpy(r.dst.ip.b, mnl_attr_get_payload(a), (size_t)len);
        break;
      case RTA_GATEWAY:
        if (mnl_attr_get_payload_len(a) == (uint16_t)len) {
          r.gw.family = rt->rtm_family;
          memcpy(r.gw.b, mnl_attr_get_payload(a), (size_t)len);
        }
        break;
      case RTA_OIF: r.oif = (int)mnl_attr_get_u32(a); break;
    }
  }
  if (table != RT_TABLE_MAIN)
    return MNL_CB_OK;
  d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
  d->v[d->n++] = r;
  return MNL_CB_OK;
}

int nl_route_list(struct nl *nl, int family, struct nl_route **out, size_t *n, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_GETROUTE, NLM_F_DUMP);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
  rt->rtm_family = (unsigned char)family;
  struct route_dump d = {NULL, 0};
  int r = nl_talk(nl, h, route_cb, &d);
  if (r < 0) {
    free(d.v);
    return err_set(e, -r, "list routes");
  }
  *out = d.v;
  *n = d.n;
  return 0;
}

static int route_get_cb(const struct nlmsghdr *h, void *data) {
  const struct nlattr *a;
  mnl_attr_for_each(a, h, sizeof(struct rtmsg)) {
    if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
      *(int *)data = (int)mnl_attr_get_u32(a);
  }
  return MNL_CB_OK;
}

int nl_route_get(struct nl *nl, const struct ipaddr *dst, int *oif, struct err **e) {
  char buf[NL_REQ];
  struct nlmsghdr *h = msg_start(buf, RTM_GETROUTE, 0);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
  rt->rtm_family = (unsigned char)dst->family;
  rt->rtm_dst_len = (unsigned char)(ip_len(dst->family) * 8);
  mnl_attr_put(h, RTA_DST, (size_t)ip_len(dst->family), dst->b);
  *oif = 0;
  int r = nl_talk(nl, h, route_get_cb, oif);
  if (r < 0 || *oif == 0) {
    char s[IPNET_STRLEN];
    return err_set(e, r < 0 ? -r : ENETUNREACH, "route to %s", ip_fmt(dst, s));
  }
  return 0;
}
