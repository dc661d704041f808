/* terminal.h — the container's pty.
 *
 * The pty is opened inside the container (its /dev/ptmx, so the slave is a
 * /dev/pts/N the container can see).  The master goes to whoever asked:
 * the --console-socket (a unix socket; one message whose payload is the pty
 * name and whose SCM_RIGHTS carries the master, as runc sends it), or the
 * runtime itself, which then relays between its own stdio and the master
 * (run/exec -t in the foreground). */
#ifndef CAIRN_RT_TERMINAL_H
#define CAIRN_RT_TERMINAL_H

#include <sys/types.h>

#include "err.h"

/* Connect to a console socket (before the container starts, so a bad path
 * fails early).  Returns the connected fd. */
int console_connect(const char *path, struct err **e);
/* Open a new pty through /dev/ptmx of the current root; set its size when
 * rows/cols are not 0 and give the slave to uid.  Fills *master, *slave
 * and *name ("/dev/pts/N"). */
int console_open(unsigned short rows, unsigned short cols, uid_t uid, gid_t gid, int *master,
                 int *slave, char **name, struct err **e);
/* Send the master over a console socket. */
int console_send(int sock, int master, const char *name, struct err **e);
/* Make slave the controlling terminal and stdin/stdout/stderr of the
 * calling process (a new session). */
int console_attach(int slave, struct err **e);
/* For the runtime's own relay (foreground -t): put our stdin in raw mode
 * when it is a terminal and copy its size to master; restore it; the VEOF
 * character to send when our stdin ends. */
void console_raw(int master);
void console_resize(int master);
void console_restore(void);
int console_eof_char(void);

#endif
