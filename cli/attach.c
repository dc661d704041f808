/* attach.c — a client of the shim's attach.sock (shim/README.md):
 * frames of an 8-byte header (type, 3 zero bytes, 32-bit big-endian
 * length) and a payload, docker's stdcopy layout.
 *
 *   shim -> us: 1 stdout, 2 stderr, 3 exit (exit.json), 4 detached
 *   us -> shim: 0 stdin, 5 close stdin, 6 resize (rows, cols)
 *
 * With -t the local terminal goes raw, so ^C and the detach keys travel
 * to the container as bytes; without it, signals cairn receives are sent
 * on to the container (docker's --sig-proxy). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

enum {
  F_STDIN = 0,
  F_STDOUT = 1,
  F_STDERR = 2,
  F_EXIT = 3,
  F_DETACHED = 4,
  F_CLOSE_STDIN = 5,
  F_RESIZE = 6
};

int attach_connect(struct attach *a, const char *id, struct err **e) {
  cleanup_free char *dir = ctr_run_dir(id);
  int fd = unix_connect(dir, "attach.sock", e);
  if (fd < 0)
    return -1;
  a->fd = fd;
  return 0;
}

static int send_frame(int fd, int type, const void *p, size_t n) {
  unsigned char h[8] = {(unsigned char)type,
                        0,
                        0,
                        0,
                        (unsigned char)(n >> 24),
                        (unsigned char)(n >> 16),
                        (unsigned char)(n >> 8),
                        (unsigned char)n};
  if (write_all(fd, h, sizeof h) < 0)
    return -1;
  return n ? write_all(fd, p, n) : 0;
}

static void send_resize(int fd) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) < 0)
    return;
  unsigned char b[4] = {(unsigned char)(ws.ws_row >> 8), (unsigned char)ws.ws_row,
                        (unsigned char)(ws.ws_col >> 8), (unsigned char)ws.ws_col};
  send_frame(fd, F_RESIZE, b, sizeof b);
}

static struct termios saved_tio;
static bool raw_mode;

static void restore_tty(void) {
  if (raw_mode)
    tcsetattr(0, TCSADRAIN, &saved_tio);
  raw_mode = false;
}

static void make_raw(void) {
  if (!isatty(0) || tcgetattr(0, &saved_tio) < 0)
    return;
  struct termios t = saved_tio;
  cfmakeraw(&t); /* the container's terminal does the output processing */
  if (tcsetattr(0, TCSADRAIN, &t) == 0)
    raw_mode = true;
}

/* Frames are read into one buffer; whole frames are handled as they
 * complete. */
struct reader {
  unsigned char hdr[8];
  size_t hdr_len;
  char *payload;
  uint32_t len, got;
};

/* Returns 1 when the stream is finished (exit or detach frame). */
static int handle_frame(struct attach *a, int type, const char *p, size_t n) {
  switch (type) {
    case F_STDOUT: (void)!write_all(1, p, n); return 0;
    case F_STDERR: (void)!write_all(2, p, n); return 0;
    case F_EXIT: {
      cleanup_json json_t *j = json_loadb(p, n, 0, NULL);
      json_t *code = json_object_get(j, "exitCode");
      a->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : 255;
      return 1;
    }
    case F_DETACHED: a->detached = true; return 1;
    default: return 0;
  }
}

static int pump_in(struct attach *a, struct reader *r) {
  char buf[16384];
  ssize_t n = read(a->fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    return -1;
  size_t off = 0;
  while (off < (size_t)n) {
    if (r->hdr_len < 8) {
      size_t take = 8 - r->hdr_len;
      if (take > (size_t)n - off)
        take = (size_t)n - off;
      memcpy(r->hdr + r->hdr_len, buf + off, take);
      r->hdr_len += take;
      off += take;
      if (r->hdr_len < 8)
        break;
      r->len = (uint32_t)r->hdr[4] << 24 | (uint32_t)r->hdr[5] << 16 | (uint32_t)r->hdr[6] << 8 |
               r->hdr[7];
      r->got = 0;
      free(r->payload);
      r->payload = xmalloc(r->len + 1);
    }
    size_t take = r->len - r->got;
    if (take > (size_t)n - off)
      take = (size_t)n - off;
    memcpy(r->payload + r->got, buf + off, take);
    r->got += (uint32_t)take;
    off += take;
    if (r->got == r->len) {
      r->hdr_len = 0;
      if (handle_frame(a, r->hdr[0], r->payload, r->len))
        return 1;
    }
  }
  return 0;
}

int attach_run(struct attach *a, const char *id, bool sig_proxy, struct err **e) {
  if (a->fd < 0 && attach_connect(a, id, e) < 0)
    return -1;
  if (!a->journaled) { /* docker's, for attach (run and start -a wrote it before the start) */
    event_ctr_id(id, "attach", NULL);
    a->journaled = true;
  }
  sigset_t set, old;
  sigemptyset(&set);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  cleanup_close int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  signal(SIGPIPE, SIG_IGN);
  if (a->tty) {
    make_raw();
    send_resize(a->fd);
  }
  struct reader r = {0};
  struct pollfd pf[3] = {{a->fd, POLLIN, 0}, {a->in ? 0 : -1, POLLIN, 0}, {sfd, POLLIN, 0}};
  int ints = 0;
  for (;;) {
    int n = poll(pf, 3, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    if (pf[0].revents) {
      int rc = pump_in(a, &r);
      if (rc != 0)
        break;
    }
    if (pf[1].fd >= 0 && pf[1].revents) {
      char buf[16384];
      ssize_t got = read(0, buf, sizeof buf);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0) {
        send_frame(a->fd, F_CLOSE_STDIN, NULL, 0);
        pf[1].fd = -1;
      } else if (send_frame(a->fd, F_STDIN, buf, (size_t)got) < 0) {
        pf[1].fd = -1;
      }
    }
    if (pf[2].fd >= 0 && pf[2].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGWINCH) {
          if (a->tty)
            send_resize(a->fd);
          continue;
        }
        if (!sig_proxy || a->tty)
          continue;
        if (sig == SIGINT && ++ints >= 3) {
          fprintf(stderr, "cairn: got 3 SIGINT/SIGTERM, leaving container %.12s running\n", id);
          a->detached = true;
          goto done;
        }
        struct err *ke = NULL;
        cleanup_free char *cmd = xasprintf("kill %d", sig);
        if (shim_ctl(id, cmd, &ke) < 0)
          err_free(&ke);
      }
    }
  }
done:
  if (a->detached)
    event_ctr_id(id, "detach", NULL);
  restore_tty();
  free(r.payload);
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(a->fd);
  a->fd = -1;
  return 0;
}
