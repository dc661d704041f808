#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mem.h"

int sync_send(int fd, int type, int val) {
  struct sync_msg m = {.type = type, .val = val};
  /* only the header and an empty text travel */
  size_t len = offsetof(struct sync_msg, text) + 1;
  ssize_t r;
  do
    r = send(fd, &m, len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r == (ssize_t)len ? 0 : -1;
}

int sync_send_fd(int sock, int fd) {
  struct sync_msg m = {.type = SYNC_FD};
  struct iovec iov = {&m, offsetof(struct sync_msg, text) + 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof(u));
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t r;
  do
    r = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

void sync_send_err(int fd, const struct err *e) {
  struct sync_msg m = {.type = SYNC_ERR, .errnum = e ? e->errnum : 0};
  snprintf(m.text, sizeof(m.text), "%s", e && e->msg ? e->msg : "unknown error");
  size_t len = offsetof(struct sync_msg, text) + strlen(m.text) + 1;
  ssize_t r;
  do
    r = send(fd, &m, len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
}

int sync_recv(int fd, struct sync_msg *m, int *passed, struct err **e) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {m, sizeof(*m)};
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  memset(m, 0, offsetof(struct sync_msg, text) + 1);
  ssize_t r;
  do
    r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return err_set(e, errno, "read from container process");
  if (r == 0)
    return 0;
  if ((size_t)r < offsetof(struct sync_msg, text) + 1)
    return err_set(e, EPROTO, "read from container process: short message");
  m->text[sizeof(m->text) - 1] = '\0';
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof(int));
      if (passed != NULL)
        *passed = got;
      else
        close(got);
    }
  }
  return 1;
}

int sync_to_err(const struct sync_msg *m, struct err **e) {
  err_set(e, 0, "%s", m->text);
  if (e != NULL && *e != NULL)
    (*e)->errnum = m->errnum;
  return -1;
}

int sync_expect(int fd, int type, struct err **e) {
  struct sync_msg m;
  int r = sync_recv(fd, &m, NULL, e);
  if (r < 0)
    return -1;
  if (r == 0)
    return err_set(e, EPIPE, "the other side of the runtime exited early");
  if (m.type == SYNC_ERR)
    return sync_to_err(&m, e);
  if (m.type != type)
    return err_set(e, EPROTO, "runtime sync: expected message %d, got %d", type, m.type);
  return 0;
}
