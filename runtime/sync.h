/* sync.h — the messages between the runtime (parent) and the container's
 * first process (child) over a SOCK_SEQPACKET socketpair: one message per
 * step, an error message carrying the child's error text, and fds passed
 * with SCM_RIGHTS.  The child's end is close-on-exec, so the parent reading
 * end-of-file after SYNC_START means the execve succeeded. */
#ifndef CAIRN_RT_SYNC_H
#define CAIRN_RT_SYNC_H

#include "err.h"

enum sync_type {
  SYNC_GO = 1,     /* P→C: id maps written: go on */
  SYNC_CG_READY,   /* P→C: cgroup made and limited (see container.c) */
  SYNC_MAPS_REQ,   /* C→P: write the id maps of pid val (C made its user ns itself) */
  SYNC_MAPS_DONE,  /* P→C */
  SYNC_PID,        /* C→P: the container's pid 1 is val (after C forked it) */
  SYNC_HOOKS_REQ,  /* C→P: mounts done: run prestart and createRuntime hooks */
  SYNC_HOOKS_DONE, /* P→C */
  SYNC_FD,         /* C→P: the pty master (SCM_RIGHTS) */
  SYNC_READY,      /* C→P: set up and waiting for start */
  SYNC_START,      /* P→C: exec now (run; create uses the exec fifo) */
  SYNC_ERR,        /* C→P: failed; text is the error (val 1: the exec helper's,
                      text the path, errnum the execve's errno) */
};

struct sync_msg {
  int type;
  int val;
  int errnum;
  char text[1536];
};

int sync_send(int fd, int type, int val);
/* Send fd with SCM_RIGHTS as a SYNC_FD message. */
int sync_send_fd(int sock, int fd);
/* Send the error (the child's last words before _exit). */
void sync_send_err(int fd, const struct err *e);
/* Receive one message.  Returns 1 on a message, 0 on end of file, -1 on
 * error.  A passed fd lands in *fd (when fd is not NULL), else is closed. */
int sync_recv(int fd, struct sync_msg *m, int *passed, struct err **e);
/* Receive and require type; SYNC_ERR becomes *e with the child's text. */
int sync_expect(int fd, int type, struct err **e);
/* Turn a received SYNC_ERR into *e. */
int sync_to_err(const struct sync_msg *m, struct err **e);

#endif
