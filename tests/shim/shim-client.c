/* shim-client — a minimal client of cairn-shim's sockets, for the tests and
 * as a worked example of the framing in shim/README.md.
 *
 *   shim-client attach SOCK [--stdin] [--close-stdin] [--resize ROWS COLS]
 *               [--exit-file FILE]
 *       stdout frames to stdout, stderr frames to stderr; the exit frame's
 *       JSON to FILE; "detached" on stderr after a detach.  With --stdin,
 *       our stdin is sent as stdin frames; --close-stdin sends "close stdin"
 *       at its EOF.  Ends when the shim hangs up.
 *   shim-client ctl SOCK COMMAND…
 *       sends one command line, prints the reply; exit 1 on "error: …".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int dial(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "shim-client: socket path too long: %s\n", path);
    exit(2);
  }
  strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    fprintf(stderr, "shim-client: connect %s: %s\n", path, strerror(errno));
    exit(1);
  }
  return fd;
}

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static void send_frame(int fd, int type, const void *p, uint32_t n) {
  unsigned char h[8] = {(unsigned char)type,
                        0,
                        0,
                        0,
                        (unsigned char)(n >> 24),
                        (unsigned char)(n >> 16),
                        (unsigned char)(n >> 8),
                        (unsigned char)n};
  if (write_all(fd, h, 8) < 0 || write_all(fd, p, n) < 0) {
    fprintf(stderr, "shim-client: send: %s\n", strerror(errno));
    exit(1);
  }
}

static int ctl(int argc, char **argv) {
  int fd = dial(argv[2]);
  char line[512] = "";
  for (int i = 3; i < argc; i++) {
    strncat(line, argv[i], sizeof line - strlen(line) - 2);
    if (i + 1 < argc)
      strncat(line, " ", sizeof line - strlen(line) - 2);
  }
  size_t len = strlen(line);
  line[len] = '\n';
  line[len + 1] = '\0';
  write_all(fd, line, strlen(line));
  char reply[1024];
  ssize_t n = read(fd, reply, sizeof reply - 1);
  if (n <= 0) {
    fprintf(stderr, "shim-client: no reply\n");
    return 1;
  }
  reply[n] = '\0';
  fputs(reply, stdout);
  return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}

static int attach(int argc, char **argv) {
  int fd = dial(argv[2]);
  int use_stdin = 0, close_stdin = 0;
  const char *exit_file = NULL;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--stdin") == 0) {
      use_stdin = 1;
    } else if (strcmp(argv[i], "--close-stdin") == 0) {
      close_stdin = 1;
    } else if (strcmp(argv[i], "--exit-file") == 0 && i + 1 < argc) {
      exit_file = argv[++i];
    } else if (strcmp(argv[i], "--resize") == 0 && i + 2 < argc) {
      unsigned rows = (unsigned)atoi(argv[i + 1]), cols = (unsigned)atoi(argv[i + 2]);
      unsigned char p[4] = {(unsigned char)(rows >> 8), (unsigned char)rows,
                            (unsigned char)(cols >> 8), (unsigned char)cols};
      send_frame(fd, 6, p, 4);
      i += 2;
    } else {
      fprintf(stderr, "shim-client: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  static char buf[1 << 16];
  for (;;) {
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                          {.fd = use_stdin ? 0 : -1, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return 1;
    }
    if (p[1].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) {
        send_frame(fd, 0, buf, (uint32_t)n);
      } else {
        use_stdin = 0;
        if (close_stdin)
          send_frame(fd, 5, "", 0);
      }
    }
    if (!p[0].revents)
      continue;
    unsigned char h[8];
    if (read_full(fd, h, 8) < 0)
      return 0; /* the shim hung up */
    uint32_t n = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
    if (n > sizeof buf || read_full(fd, buf, n) < 0) {
      fprintf(stderr, "shim-client: bad frame\n");
      return 1;
    }
    switch (h[0]) {
      case 1: write_all(1, buf, n); break;
      case 2: write_all(2, buf, n); break;
      case 3:
        if (exit_file != NULL) {
          FILE *f = fopen(exit_file, "w");
          if (f != NULL) {
            fwrite(buf, 1, n, f);
            fclose(f);
          }
        }
        break;
      case 4: fputs("detached\n", stderr); return 0;
      default: fprintf(stderr, "shim-client: unknown frame type %d\n", h[0]); return 1;
    }
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "attach") == 0)
    return attach(argc, argv);
  if (argc >= 4 && strcmp(argv[1], "ctl") == 0)
    return ctl(argc, argv);
  fprintf(stderr, "usage: shim-client attach SOCK [opts] | shim-client ctl SOCK COMMAND…\n");
  return 2;
}
