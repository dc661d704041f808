#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "fdpass.h"
#include "fs.h"
#include "mem.h"

int console_connect(const char *path, struct err **e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(sa.sun_path))
    return err_set(e, ENAMETOOLONG, "console socket '%s'", path);
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_set(e, errno, "console socket '%s'", path);
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
    int err = errno;
    close(fd);
    return err_set(e, err, "connect to console socket '%s'", path);
  }
  return fd;
}

int console_open(unsigned short rows, unsigned short cols, uid_t uid, gid_t gid, int *master,
                 int *slave, char **name, struct err **e) {
  cleanup_close int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return err_set(e, errno, "open /dev/ptmx");
  int unlock = 0, n = -1;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
    return err_set(e, errno, "set up the pty");
  /* TIOCGPTPEER opens the slave of exactly this master, no path lookup */
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return err_set(e, errno, "open the pty slave");
  if (rows != 0 || cols != 0) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    ioctl(m, TIOCSWINSZ, &ws);
  }
  /* the process's user owns its terminal (devpts gives it to root) */
  if (fchown(s, uid, gid) < 0 && errno != EPERM && errno != EINVAL) {
    int err = errno;
    close(s);
    return err_set(e, err, "chown the pty");
  }
  *master = steal_fd(&m);
  *slave = s;
  *name = xasprintf("/dev/pts/%d", n);
  return 0;
}

int console_send(int sock, int master, const char *name, struct err **e) {
  if (fd_send(sock, master, name, strlen(name)) < 0)
    return err_set(e, errno, "send the pty to the console socket");
  return 0;
}

int console_attach(int slave, struct err **e) {
  if (setsid() < 0 && errno != EPERM)
    return err_set(e, errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return err_set(e, errno, "set the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return err_set(e, errno, "dup the pty to fd %d", fd);
  if (slave > 2)
    close(slave);
  return 0;
}

static struct termios saved;
static int saved_ok;

void console_restore(void) {
  if (saved_ok)
    tcsetattr(0, TCSANOW, &saved);
  saved_ok = 0;
}

void console_raw(int master) {
  if (isatty(0) && tcgetattr(0, &saved) == 0) {
    saved_ok = 1;
    struct termios raw = saved;
    cfmakeraw(&raw);
    tcsetattr(0, TCSANOW, &raw);
  }
  console_resize(master);
}

void console_resize(int master) {
  struct winsize ws;
  if (isatty(0) && ioctl(0, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

int console_eof_char(void) {
  return saved_ok ? saved.c_cc[VEOF] : 4;
}
