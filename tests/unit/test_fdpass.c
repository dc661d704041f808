#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "unit.h"

TEST(roundtrip) {
  int sv[2], p[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  CHECK(pipe(p) == 0);
  CHECK(fd_send(sv[0], p[1], "tty", 3) == 0);
  char buf[16] = "";
  int fd = -2;
  CHECK(fd_recv(sv[1], buf, sizeof buf, &fd) == 3);
  CHECK(memcmp(buf, "tty", 3) == 0);
  CHECK(fd >= 0 && fd != p[1]);
  CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  /* the received fd is the same pipe */
  CHECK(write(fd, "x", 1) == 1);
  char c = 0;
  CHECK(read(p[0], &c, 1) == 1 && c == 'x');
  close(fd);
  close(p[0]);
  close(p[1]);
  close(sv[0]);
  close(sv[1]);
}

TEST(no_fd_and_eof) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  CHECK(write(sv[0], "ab", 2) == 2);
  char buf[8];
  int fd = -2;
  CHECK(fd_recv(sv[1], buf, sizeof buf, &fd) == 2);
  CHECK(fd == -1);
  close(sv[0]);
  CHECK(fd_recv(sv[1], buf, sizeof buf, &fd) == 0);
  CHECK(fd == -1);
  close(sv[1]);
}

int main(void) {
  RUN(roundtrip);
  RUN(no_fd_and_eof);
  return UNIT_DONE();
}
