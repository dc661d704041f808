/* attach.c — STATE/attach.sock: attached clients receive the container's
 * output and may write its stdin.
 *
 * Framing (both directions): an 8-byte header — type (1 byte), 3 zero
 * bytes, payload length (4 bytes, big-endian) — then the payload, as
 * docker's stdcopy multiplexing does.  shim/README.md is the contract:
 *   shim -> client: 1 stdout, 2 stderr, 3 exit (exit.json, compact),
 *                   4 detached (the client typed the detach keys)
 *   client -> shim: 0 stdin, 5 close stdin, 6 resize (rows, cols: 2 x u16 BE)
 *
 * A client that cannot keep up gets its unsent bytes queued and output
 * reading pauses until it drains; stdin that the container does not read
 * pauses reading from every client.  Nothing here allocates per frame: the
 * one queue per client is allocated the first time it is needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mem.h"
#include "shim.h"

#define MAX_CLIENTS 16
#define HDR 8
#define QUEUE_CAP (64 * 1024)
#define STDIN_CAP (16 * 1024)

enum {
  F_STDIN = 0,
  F_STDOUT = 1,
  F_STDERR = 2,
  F_EXIT = 3,
  F_DETACHED = 4,
  F_CLOSE_STDIN = 5,
  F_RESIZE = 6,
};

struct client {
  int fd; /* -1: free slot */
  unsigned char hdr[HDR];
  size_t hdr_len;
  uint32_t remaining; /* payload bytes still to come */
  unsigned char small[4];
  size_t small_len;
  size_t key_match; /* detach keys typed so far */
  char *queue;      /* unsent output */
  size_t queue_len;
};

static struct client clients[MAX_CLIENTS] = {[0 ... MAX_CLIENTS - 1] = {.fd = -1}};
static int listen_fd = -1;
static char stdin_buf[STDIN_CAP];
static size_t stdin_len;
static int stdin_blocked;
static int stdin_close_pending;

static void put_hdr(unsigned char *h, int type, size_t len) {
  h[0] = (unsigned char)type;
  h[1] = h[2] = h[3] = 0;
  h[4] = (unsigned char)(len >> 24);
  h[5] = (unsigned char)(len >> 16);
  h[6] = (unsigned char)(len >> 8);
  h[7] = (unsigned char)len;
}

static uint32_t client_events(const struct client *c) {
  return (stdin_blocked ? 0 : EPOLLIN) | (c->queue_len ? EPOLLOUT : 0);
}

static void client_drop(struct shim *s, struct client *c) {
  if (c->fd < 0)
    return;
  shim_unwatch(s, c->fd);
  close(c->fd);
  c->fd = -1;
  c->queue_len = 0;
  free(c->queue);
  c->queue = NULL;
}

static int any_queued(void) {
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i].fd >= 0 && clients[i].queue_len)
      return 1;
  return 0;
}

int attach_listen(struct shim *s, struct err **e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  /* through the dir fd: state paths may be longer than sun_path */
  snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/attach.sock", s->dirfd);
  unlink(sa.sun_path);
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd < 0)
    return err_set(e, errno, "attach socket");
  mode_t old = umask(0077);
  int r = bind(listen_fd, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (r == 0)
    r = chmod(sa.sun_path, 0600);
  if (r < 0 || listen(listen_fd, MAX_CLIENTS) < 0)
    return err_set(e, errno, "attach socket '%s/attach.sock'", s->o->state_dir);
  shim_watch(s, listen_fd, EPOLLIN, EV_ATTACH_LISTEN, 0);
  return 0;
}

void attach_accept(struct shim *s) {
  int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0)
    return;
  for (uint32_t i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &clients[i];
    if (c->fd >= 0)
      continue;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    shim_watch(s, fd, client_events(c), EV_ATTACH_CLIENT, i);
    return;
  }
  close(fd); /* full */
}

/* Send what is queued; returns 0 when the queue is empty, 1 when some is
 * left, -1 when the client is gone. */
static int client_flush(struct client *c) {
  while (c->queue_len > 0) {
    ssize_t w = send(c->fd, c->queue, c->queue_len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return errno == EAGAIN ? 1 : -1;
    }
    memmove(c->queue, c->queue + w, c->queue_len - (size_t)w);
    c->queue_len -= (size_t)w;
  }
  return 0;
}

static int client_queue(struct client *c, const void *p, size_t n) {
  if (c->queue == NULL)
    c->queue = xmalloc(QUEUE_CAP);
  if (QUEUE_CAP - c->queue_len < n)
    return -1;
  memcpy(c->queue + c->queue_len, p, n);
  c->queue_len += n;
  return 0;
}

/* Send one frame, queueing whatever the socket does not take now. */
static int client_send(struct client *c, int type, const void *p, size_t n) {
  unsigned char h[HDR];
  put_hdr(h, type, n);
  if (c->queue_len > 0) {
    int r = client_flush(c);
    if (r < 0)
      return -1;
    if (r > 0)
      return client_queue(c, h, HDR) < 0 || client_queue(c, p, n) < 0 ? -1 : 0;
  }
  struct iovec iov[2] = {{.iov_base = h, .iov_len = HDR}, {.iov_base = (void *)p, .iov_len = n}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t w;
  do
    w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0) {
    if (errno != EAGAIN)
      return -1;
    w = 0;
  }
  size_t done = (size_t)w;
  if (done < HDR) {
    if (client_queue(c, h + done, HDR - done) < 0)
      return -1;
    done = HDR;
  }
  size_t pdone = done - HDR;
  if (pdone < n && client_queue(c, (const char *)p + pdone, n - pdone) < 0)
    return -1;
  return 0;
}

void attach_broadcast(struct shim *s, int type, const char *buf, size_t len) {
  for (uint32_t i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &clients[i];
    if (c->fd < 0)
      continue;
    int was = c->queue_len > 0;
    if (client_send(c, type, buf, len) < 0) {
      client_drop(s, c);
      continue;
    }
    if (!was && c->queue_len > 0) {
      shim_rewatch(s, c->fd, client_events(c), EV_ATTACH_CLIENT, i);
      shim_output_pause(s, 1);
    }
  }
}

static void rewatch_all(struct shim *s) {
  for (uint32_t i = 0; i < MAX_CLIENTS; i++)
    if (clients[i].fd >= 0)
      shim_rewatch(s, clients[i].fd, client_events(&clients[i]), EV_ATTACH_CLIENT, i);
}

static void stdin_flush(struct shim *s) {
  if (s->stdin_fd < 0) {
    stdin_len = 0;
  }
  while (stdin_len > 0) {
    ssize_t w = write(s->stdin_fd, stdin_buf, stdin_len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        stdin_len = 0; /* the container closed its stdin: discard */
      break;
    }
    memmove(stdin_buf, stdin_buf + w, stdin_len - (size_t)w);
    stdin_len -= (size_t)w;
  }
  if (stdin_len > 0 && !stdin_blocked) {
    stdin_blocked = 1;
    shim_watch(s, s->stdin_fd, EPOLLOUT, EV_STDIN, 0);
    rewatch_all(s);
  } else if (stdin_len == 0 && stdin_blocked) {
    stdin_blocked = 0;
    if (s->stdin_fd >= 0)
      shim_unwatch(s, s->stdin_fd);
    rewatch_all(s);
  }
  if (stdin_len == 0 && stdin_close_pending && s->stdin_fd >= 0) {
    close(s->stdin_fd);
    s->stdin_fd = -1;
    stdin_close_pending = 0;
  }
}

void attach_stdin_writable(struct shim *s) {
  stdin_flush(s);
}

static void stdin_put(const unsigned char *p, size_t n) {
  if (n > STDIN_CAP - stdin_len)
    n = STDIN_CAP - stdin_len; /* cannot happen: reads are sized to fit */
  memcpy(stdin_buf + stdin_len, p, n);
  stdin_len += n;
}

/* Stdin bytes from a client, watching for the detach keys (under --tty
 * only: on a plain pipe they could be ordinary binary data).  Returns 1
 * when the client detached. */
static int stdin_feed(struct shim *s, struct client *c, const unsigned char *p, size_t n) {
  const unsigned char *keys = s->o->detach_keys;
  size_t nk = s->o->tty ? s->o->n_detach_keys : 0;
  size_t start = 0;
  for (size_t i = 0; i < n && nk > 0; i++) {
    if (p[i] == keys[c->key_match]) {
      if (c->key_match == 0) {
        stdin_put(p + start, i - start);
      }
      c->key_match++;
      start = i + 1;
      if (c->key_match == nk)
        return 1;
      continue;
    }
    if (c->key_match > 0) {
      /* not the sequence after all: the held keys were input */
      stdin_put(keys, c->key_match);
      c->key_match = 0;
      start = i;
      i--; /* this byte may start the sequence again */
    }
  }
  if (c->key_match == 0 || nk == 0)
    stdin_put(p + start, n - start);
  return 0;
}

static void client_frame_done(struct shim *s, struct client *c, int type) {
  if (type == F_CLOSE_STDIN) {
    if (!s->o->tty && s->stdin_fd >= 0) {
      stdin_close_pending = 1;
      stdin_flush(s);
    }
  } else if (type == F_RESIZE && s->o->tty && s->out_fd >= 0 && c->small_len == 4) {
    struct winsize ws = {
        .ws_row = (unsigned short)(c->small[0] << 8 | c->small[1]),
        .ws_col = (unsigned short)(c->small[2] << 8 | c->small[3]),
    };
    ioctl(s->out_fd, TIOCSWINSZ, &ws);
  }
}

void attach_client_event(struct shim *s, uint32_t idx, uint32_t events) {
  if (idx >= MAX_CLIENTS || clients[idx].fd < 0)
    return;
  struct client *c = &clients[idx];
  if (events & EPOLLOUT) {
    int r = client_flush(c);
    if (r < 0) {
      client_drop(s, c);
    } else if (r == 0) {
      shim_rewatch(s, c->fd, client_events(c), EV_ATTACH_CLIENT, idx);
    }
    if (!any_queued())
      shim_output_pause(s, 0);
    if (c->fd < 0)
      return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    return;
  if (stdin_blocked && !(events & (EPOLLHUP | EPOLLERR)))
    return;
  /* never read more than stdin can hold, detach keys held back included */
  size_t room = STDIN_CAP - stdin_len;
  if (room <= sizeof s->o->detach_keys) {
    if (events & (EPOLLHUP | EPOLLERR))
      client_drop(s, c);
    return;
  }
  static unsigned char rbuf[STDIN_CAP];
  ssize_t r;
  do
    r = read(c->fd, rbuf, room - sizeof s->o->detach_keys);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EAGAIN)
    return;
  if (r <= 0) {
    client_drop(s, c);
    if (!any_queued())
      shim_output_pause(s, 0);
    return;
  }
  size_t i = 0, n = (size_t)r;
  while (i < n) {
    if (c->hdr_len < HDR) {
      size_t take = HDR - c->hdr_len < n - i ? HDR - c->hdr_len : n - i;
      memcpy(c->hdr + c->hdr_len, rbuf + i, take);
      c->hdr_len += take;
      i += take;
      if (c->hdr_len < HDR)
        break;
      int type = c->hdr[0];
      c->remaining = (uint32_t)c->hdr[4] << 24 | (uint32_t)c->hdr[5] << 16 |
                     (uint32_t)c->hdr[6] << 8 | c->hdr[7];
      c->small_len = 0;
      int ok = (type == F_STDIN) || (type == F_CLOSE_STDIN && c->remaining == 0) ||
               (type == F_RESIZE && c->remaining == 4);
      if (!ok) { /* not our protocol: hang up */
        client_drop(s, c);
        return;
      }
      if (c->remaining == 0) {
        client_frame_done(s, c, type);
        c->hdr_len = 0;
      }
      continue;
    }
    int type = c->hdr[0];
    size_t take = c->remaining < n - i ? c->remaining : n - i;
    if (type == F_STDIN) {
      if (s->stdin_fd >= 0 && stdin_feed(s, c, rbuf + i, take)) {
        client_send(c, F_DETACHED, "", 0);
        client_flush(c);
        client_drop(s, c);
        stdin_flush(s);
        if (!any_queued())
          shim_output_pause(s, 0);
        return;
      }
    } else {
      memcpy(c->small + c->small_len, rbuf + i, take);
      c->small_len += take;
    }
    c->remaining -= (uint32_t)take;
    i += take;
    if (c->remaining == 0) {
      client_frame_done(s, c, type);
      c->hdr_len = 0;
    }
  }
  stdin_flush(s);
}

void attach_exit(struct shim *s, const char *exit_json) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &clients[i];
    if (c->fd < 0)
      continue;
    /* the last frames are worth a short wait */
    int fl = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
    struct timeval tv = {.tv_sec = 1};
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (client_flush(c) == 0)
      client_send(c, F_EXIT, exit_json, strlen(exit_json));
    client_drop(s, c);
  }
  if (stdin_blocked && s->stdin_fd >= 0)
    shim_unwatch(s, s->stdin_fd);
  stdin_len = 0;
  stdin_blocked = 0;
  stdin_close_pending = 0;
  shim_output_pause(s, 0);
}

void attach_close(struct shim *s) {
  for (int i = 0; i < MAX_CLIENTS; i++)
    client_drop(s, &clients[i]);
  if (listen_fd >= 0) {
    shim_unwatch(s, listen_fd);
    close(listen_fd);
    listen_fd = -1;
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d/attach.sock", s->dirfd);
    unlink(p);
  }
}
