/* fdpass.h — passing a file descriptor over a unix socket (SCM_RIGHTS), as
 * runc hands a pty master to a --console-socket and as the runtime's child
 * hands fds to its parent.
 *
 * Both calls retry on EINTR, never raise SIGPIPE, allocate nothing and touch
 * no global state, so the runtime may use them between fork and exec. */
#ifndef CAIRN_FDPASS_H
#define CAIRN_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send len bytes of data (at least 1) with fd attached.  Returns 0, or -1
 * with errno. */
int fd_send(int sock, int fd, const void *data, size_t len);
/* Receive up to cap bytes into buf and at most one attached fd, which
 * arrives O_CLOEXEC in *fd (-1 when none came; extra fds are closed).
 * Returns the number of bytes read (0 at end of stream), or -1 with errno. */
ssize_t fd_recv(int sock, void *buf, size_t cap, int *fd);

#endif
