#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
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
  return fd_send(sock, fd, &m, offsetof(struct sync_msg, text) + 1);
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
  memset(m, 0, offsetof(struct sync_msg, text) + 1);
  int got = -1;
  ssize_t r = fd_recv(fd, m, sizeof(*m), &got);
  /* A peer that exits with a message of ours unread (run queues START
   * early: container.c) makes our next read fail with ECONNRESET once; its
   * own last message is still queued behind that. */
  for (int i = 0; i < 2 && r < 0 && errno == ECONNRESET; i++)
    r = fd_recv(fd, m, sizeof(*m), &got);
  if (r < 0)
    return err_set(e, errno, "read from container process");
  if (got >= 0) {
    if (passed != NULL)
      *passed = got;
    else
      close(got);
  }
  if (r == 0)
    return 0;
  if ((size_t)r < offsetof(struct sync_msg, text) + 1)
    return err_set(e, EPROTO, "read from container process: short message");
  m->text[sizeof(m->text) - 1] = '\0';
  return 1;
}

int sync_to_err(const struct sync_msg *m, struct err **e) {
  if (m->val == 1) /* from the exec helper: the path of a failed execve */
    return err_set(e, m->errnum, "exec '%s'", m->text);
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
