/* logs.c — the container's output in docker's json-file format.
 *
 *   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
 *
 * As docker's log copier does: a line is cut at 16 KiB into "partial"
 * entries (no trailing "\n" in "log"), and what is left at EOF is logged
 * without its newline.  Strings are escaped as docker's jsonlog does (Go's
 * HTML-safe escaping: <, >, & as \u003c…; control bytes as \u00XX except \n
 * and \r; invalid UTF-8 as \ufffd byte by byte; U+2028/2029 escaped).
 *
 * This is the one place JSON is written by hand instead of through jansson:
 * it runs for every line a container prints, and it must not allocate.
 * All buffers are static; a read lands directly in the stream's line buffer,
 * entries are assembled in one output buffer and written with one write(2)
 * per read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "shim.h"

#define LINE_CAP (16 * 1024)
/* worst case: every byte becomes "\u00XX" (6 bytes), plus the frame */
#define ENTRY_MAX (LINE_CAP * 6 + 128)
#define OUT_CAP (ENTRY_MAX + 64 * 1024)

struct stream {
  char buf[LINE_CAP];
  size_t len;
};

static struct stream streams[2];
static char out[OUT_CAP];
static size_t out_len;

static int log_fd = -1;
static char log_path[PATH_MAX];
static int64_t log_size, log_max_size;
static int log_max_files;
static int write_failed; /* warn once, not for every line */

static const char *const stream_name[2] = {"stdout", "stderr"};

int logs_open(const char *path, int64_t max_size, int max_files, struct err **e) {
  if (strlen(path) >= sizeof log_path - 16)
    return err_usage(e, "log path '%s' is too long", path);
  snprintf(log_path, sizeof log_path, "%s", path);
  log_max_size = max_size;
  log_max_files = max_files;
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0)
    return err_set(e, errno, "open log '%s'", path);
  struct stat st;
  if (fstat(log_fd, &st) == 0) {
    log_size = st.st_size;
    /* rotation renames the file; /dev/null and fifos stay as they are */
    if (!S_ISREG(st.st_mode))
      log_max_size = 0;
  }
  return 0;
}

void logs_close(void) {
  if (log_fd >= 0)
    close(log_fd);
  log_fd = -1;
}

size_t fmt_time(char *buf, const struct timespec *ts) {
  struct tm tm;
  gmtime_r(&ts->tv_sec, &tm);
  size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  long ns = ts->tv_nsec;
  if (ns > 0) {
    /* Go's RFC3339Nano: up to 9 digits, trailing zeros dropped */
    char frac[9];
    for (int i = 8; i >= 0; i--) {
      frac[i] = (char)('0' + ns % 10);
      ns /= 10;
    }
    int digits = 9;
    while (digits > 0 && frac[digits - 1] == '0')
      digits--;
    buf[n++] = '.';
    memcpy(buf + n, frac, (size_t)digits);
    n += (size_t)digits;
  }
  buf[n++] = 'Z';
  buf[n] = '\0';
  return n;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 when
 * the byte at s starts no valid sequence (Go's utf8.DecodeRune rules:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  unsigned char lo = 0x80, hi = 0xBF;
  size_t len;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return len;
}

static size_t escape(char *dst, const unsigned char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  char *d = dst;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        *d++ = (char)c;
      } else if (c == '"' || c == '\\') {
        *d++ = '\\';
        *d++ = (char)c;
      } else if (c == '\n') {
        *d++ = '\\';
        *d++ = 'n';
      } else if (c == '\r') {
        *d++ = '\\';
        *d++ = 'r';
      } else {
        memcpy(d, "\\u00", 4);
        d[4] = hex[c >> 4];
        d[5] = hex[c & 0xF];
        d += 6;
      }
      i++;
      continue;
    }
    size_t l = utf8_len(s + i, n - i);
    if (l == 0) {
      memcpy(d, "\\ufffd", 6);
      d += 6;
      i++;
    } else if (l == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
      memcpy(d, "\\u202", 5);
      d[5] = s[i + 2] == 0xA8 ? '8' : '9';
      d += 6;
      i += 3;
    } else {
      memcpy(d, s + i, l);
      d += l;
      i += l;
    }
  }
  return (size_t)(d - dst);
}

static void warn_write(const char *what) {
  if (write_failed)
    return;
  write_failed = 1;
  struct err *e = NULL;
  err_set(&e, errno, "%s log '%s' (dropping lines until it works again)", what, log_path);
  shim_warn(&e);
}

static void flush(void) {
  if (out_len == 0)
    return;
  if (log_fd >= 0 && write_all(log_fd, out, out_len) < 0) {
    warn_write("write");
  } else {
    write_failed = 0;
    log_size += (int64_t)out_len;
  }
  out_len = 0;
}

/* ctr.log -> ctr.log.1 -> … -> ctr.log.(max-1); the oldest falls off.
 * With one file, docker truncates it instead. */
static void rotate(void) {
  if (log_max_files <= 1) {
    if (ftruncate(log_fd, 0) < 0)
      warn_write("truncate");
    log_size = 0;
    return;
  }
  static char from[PATH_MAX + 16], to[PATH_MAX + 16];
  for (int i = log_max_files - 1; i >= 1; i--) {
    if (i == 1)
      snprintf(from, sizeof from, "%s", log_path);
    else
      snprintf(from, sizeof from, "%s.%d", log_path, i - 1);
    snprintf(to, sizeof to, "%s.%d", log_path, i);
    if (rename(from, to) < 0 && errno != ENOENT)
      warn_write("rotate");
  }
  int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    warn_write("reopen");
    return; /* keep writing to the renamed file rather than losing lines */
  }
  close(log_fd);
  log_fd = fd;
  log_size = 0;
}

static void emit(enum log_stream st, const char *line, size_t n, const char *ts, size_t tslen) {
  if (OUT_CAP - out_len < ENTRY_MAX)
    flush();
  char *d = out + out_len;
  memcpy(d, "{\"log\":\"", 8);
  d += 8;
  d += escape(d, (const unsigned char *)line, n);
  memcpy(d, "\",\"stream\":\"", 12);
  d += 12;
  size_t sl = strlen(stream_name[st]);
  memcpy(d, stream_name[st], sl);
  d += sl;
  memcpy(d, "\",\"time\":\"", 10);
  d += 10;
  memcpy(d, ts, tslen);
  d += tslen;
  memcpy(d, "\"}\n", 3);
  d += 3;
  size_t entry = (size_t)(d - (out + out_len));
  if (log_max_size > 0 && log_size + (int64_t)(out_len + entry) > log_max_size &&
      log_size + (int64_t)out_len > 0) {
    /* what came before goes to the old file; this entry starts the new one */
    size_t before = out_len;
    if (before > 0 && log_fd >= 0 && write_all(log_fd, out, before) < 0)
      warn_write("write");
    rotate();
    memmove(out, out + before, entry);
    out_len = entry;
    return;
  }
  out_len += entry;
}

ssize_t logs_pump(struct shim *s, int fd, enum log_stream st) {
  struct stream *b = &streams[st];
  ssize_t r;
  do
    r = read(fd, b->buf + b->len, LINE_CAP - b->len);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    /* a pty master reads EIO once the last slave fd is closed: its EOF */
    return errno == EAGAIN ? -1 : 0;
  }
  if (r == 0)
    return 0;
  attach_broadcast(s, st == LOG_STDOUT ? 1 : 2, b->buf + b->len, (size_t)r);
  b->len += (size_t)r;

  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char ts[40];
  size_t tslen = fmt_time(ts, &now);
  size_t start = 0;
  for (;;) {
    char *nl = memchr(b->buf + start, '\n', b->len - start);
    if (nl == NULL)
      break;
    size_t end = (size_t)(nl - b->buf) + 1;
    emit(st, b->buf + start, end - start, ts, tslen);
    start = end;
  }
  if (start == 0 && b->len == LINE_CAP) {
    emit(st, b->buf, b->len, ts, tslen); /* a partial entry */
    start = b->len;
  }
  if (start > 0) {
    memmove(b->buf, b->buf + start, b->len - start);
    b->len -= start;
  }
  flush();
  return r;
}

void logs_flush_partial(enum log_stream st) {
  struct stream *b = &streams[st];
  if (b->len == 0)
    return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char ts[40];
  size_t tslen = fmt_time(ts, &now);
  emit(st, b->buf, b->len, ts, tslen);
  b->len = 0;
  flush();
}
