/* progress.c — what a build shows on stderr while it runs.
 *
 * Three forms, chosen by --progress (auto: tty when stderr is a terminal):
 *   - plain: docker's lines, `#N [stage k/n] INSTRUCTION`, `#N output`,
 *     `#N DONE 0.3s` / `#N CACHED`, each written with one write(2) so
 *     lines of concurrent stages never mix within a line;
 *   - tty: BuildKit's live display, redrawn in place (cursor up, clear)
 *     at most ten times a second by a display thread: a header
 *     `[+] Building 3.2s (7/9)`, one line per step with its duration, the
 *     last output lines of running steps dimmed under them; the final
 *     frame stays, and a failed step's whole output follows it;
 *   - quiet (-q): nothing, but a failed step's output.
 *
 * A stage run in a forked child (stage.c) does not draw: its events go
 * to the parent over a pipe as frames (prog_forward), and the parent
 * replays them here (prog_replay) with its own step numbers. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "df_int.h"
#include "fs.h"
#include "mem.h"

enum { P_PLAIN, P_TTY, P_QUIET };
enum { S_RUN, S_DONE, S_CACHED, S_ERROR, S_CANCELED };

/* Output lines shown under a running step on a terminal. */
#define TAIL_LINES 6

struct pstep {
  int id;
  char *text;
  int state;
  double t0, t1;
  char **lines;
  size_t nlines;
  struct dbuf partial; /* output after the last newline */
};

struct prog {
  int mode;
  int fwd_fd; /* >= 0: a stage child; events go to the parent */
  pthread_mutex_t mu;
  pthread_t thr;
  bool thr_on, stop;
  struct pstep *steps;
  size_t n;
  int total, next_id, drawn;
  double t0;
};

/* A frame on the pipe from a stage child: the header, then len bytes. */
struct pframe {
  uint32_t type, len;
  int32_t id, flag;
  double secs;
};

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put(const char *s, size_t len) {
  if (write_all(STDERR_FILENO, s, len) < 0)
    return; /* nowhere to report a failed stderr */
}

static struct pstep *find(struct prog *p, int id) {
  for (size_t i = p->n; i > 0; i--)
    if (p->steps[i - 1].id == id)
      return &p->steps[i - 1];
  return NULL;
}

static void add_line(struct pstep *s, const char *l, size_t len) {
  s->lines = xrealloc(s->lines, (s->nlines + 2) * sizeof(char *));
  s->lines[s->nlines++] = xstrndup(l, len);
  s->lines[s->nlines] = NULL;
}

static void plain_line(int id, const char *l, size_t len) {
  cleanup_free char *t = xasprintf("#%d %.*s\n", id, (int)len, l);
  put(t, strlen(t));
}

/* ---- the terminal display ---- */

/* A line cut to the terminal's width, control characters made blanks
 * (an escape sequence in a command's output must not move our cursor). */
static void fit(struct dbuf *f, const char *s, int width) {
  int cols = 0;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    bool cont = (*c & 0xC0) == 0x80;
    if (!cont && cols >= width)
      break;
    dbuf_addc(f, (*c < 0x20 || *c == 0x7f) ? ' ' : (char)*c);
    if (!cont)
      cols++;
  }
}

static void draw(struct prog *p, bool final, bool ok) {
  struct winsize ws = {0};
  int width = 80, height = 24;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    width = ws.ws_col;
    height = ws.ws_row > 2 ? ws.ws_row : 24;
  }
  double now = mono();
  int finished = 0;
  for (size_t i = 0; i < p->n; i++)
    finished += p->steps[i].state != S_RUN;
  int total = p->total > (int)p->n ? p->total : (int)p->n;
  char **v = NULL;
  cleanup_free char *hdr = xasprintf("[+] Building %.1fs (%d/%d)%s", now - p->t0, finished, total,
                                     final && ok ? " FINISHED" : "");
  strv_push(&v, hdr);
  for (size_t i = 0; i < p->n; i++) {
    struct pstep *s = &p->steps[i];
    const char *mark = s->state == S_CACHED     ? "CACHED "
                       : s->state == S_ERROR    ? "ERROR "
                       : s->state == S_CANCELED ? "CANCELED "
                                                : "";
    double d = s->state == S_CACHED ? 0 : (s->state == S_RUN ? now : s->t1) - s->t0;
    char secs[32];
    snprintf(secs, sizeof(secs), "%.1fs", d);
    cleanup_free char *left = xasprintf(" => %s%s", mark, s->text);
    /* the duration right-aligned, as BuildKit does */
    int room = width - 1 - (int)strlen(secs) - 1;
    struct dbuf l = {0};
    fit(&l, left, room > 10 ? room : 10);
    size_t cols = 0;
    for (size_t k = 0; k < l.len; k++)
      cols += ((unsigned char)l.p[k] & 0xC0) != 0x80;
    while ((int)cols < room) {
      dbuf_addc(&l, ' ');
      cols++;
    }
    dbuf_addc(&l, ' ');
    dbuf_adds(&l, secs);
    cleanup_free char *line = dbuf_steal(&l);
    strv_push(&v, line);
    if (s->state != S_RUN)
      continue;
    size_t from = s->nlines > TAIL_LINES ? s->nlines - TAIL_LINES : 0;
    for (size_t k = from; k < s->nlines; k++) {
      struct dbuf o = {0};
      dbuf_adds(&o, "\x1b[2m => => # ");
      fit(&o, s->lines[k], width - 13);
      dbuf_adds(&o, "\x1b[0m");
      cleanup_free char *ol = dbuf_steal(&o);
      strv_push(&v, ol);
    }
  }
  /* While running, a frame taller than the terminal could not be moved
   * back over: keep the header and the newest lines.  The final frame is
   * printed whole (it is never redrawn). */
  size_t nv = strv_len(v), skip = 0;
  if (!final && nv > (size_t)height - 1)
    skip = nv - ((size_t)height - 1);
  struct dbuf f = {0};
  if (p->drawn > 0) {
    char up[32];
    snprintf(up, sizeof(up), "\x1b[%dA", p->drawn);
    dbuf_adds(&f, up);
  }
  int count = 0;
  for (size_t i = 0; i < nv; i++) {
    if (i > 0 && i <= skip)
      continue;
    dbuf_adds(&f, "\r");
    dbuf_adds(&f, v[i]);
    dbuf_adds(&f, "\x1b[K\n");
    count++;
  }
  dbuf_adds(&f, "\x1b[J");
  put(f.p, f.len);
  free(f.p);
  strv_free(v);
  p->drawn = count;
}

static void *display(void *arg) {
  struct prog *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    bool stop = p->stop;
    if (!stop)
      draw(p, false, true);
    pthread_mutex_unlock(&p->mu);
    if (stop)
      return NULL;
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* ---- the API ---- */

int prog_open(struct build *b, const char *mode, struct err **e) {
  struct prog *p = xcalloc(1, sizeof(*p));
  p->fwd_fd = -1;
  p->t0 = mono();
  pthread_mutex_init(&p->mu, NULL);
  if (b->o->quiet)
    p->mode = P_QUIET;
  else if (mode != NULL && strcmp(mode, "tty") == 0)
    p->mode = P_TTY;
  else if (mode == NULL || strcmp(mode, "auto") == 0)
    p->mode = isatty(STDERR_FILENO) ? P_TTY : P_PLAIN;
  else
    p->mode = P_PLAIN;
  b->prog = p;
  if (p->mode == P_TTY) {
    int r = pthread_create(&p->thr, NULL, display, p);
    if (r != 0)
      return err_set(e, r, "progress display thread");
    p->thr_on = true;
  }
  return 0;
}

void prog_close(struct build *b, bool ok) {
  struct prog *p = b->prog;
  if (p == NULL)
    return;
  if (p->thr_on) {
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thr, NULL);
    draw(p, true, ok);
    /* the failed step's whole output below the final frame */
    for (size_t i = 0; i < p->n; i++) {
      struct pstep *s = &p->steps[i];
      if (s->state != S_ERROR)
        continue;
      cleanup_free char *h = xasprintf("------\n > %s:\n", s->text);
      put(h, strlen(h));
      for (size_t k = 0; k < s->nlines; k++) {
        cleanup_free char *l = xasprintf("%s\n", s->lines[k]);
        put(l, strlen(l));
      }
      put("------\n", 7);
    }
  }
  for (size_t i = 0; i < p->n; i++) {
    free(p->steps[i].text);
    strv_free(p->steps[i].lines);
    free(p->steps[i].partial.p);
  }
  free(p->steps);
  pthread_mutex_destroy(&p->mu);
  free(p);
  b->prog = NULL;
}

void prog_forward(struct build *b, int fd) {
  b->prog->fwd_fd = fd;
}

static void send_frame(struct prog *p, uint32_t type, int id, int flag, double secs,
                       const char *data, size_t len) {
  struct pframe h = {.type = type, .len = (uint32_t)len, .id = id, .flag = flag, .secs = secs};
  struct dbuf f = {0};
  dbuf_addn(&f, (const char *)&h, sizeof(h));
  if (len)
    dbuf_addn(&f, data, len);
  if (write_all(p->fwd_fd, f.p, f.len) < 0) {
    /* the parent is gone: the build is over anyway */
  }
  free(f.p);
}

void prog_frame(struct build *b, int type, const char *data, size_t len) {
  send_frame(b->prog, (uint32_t)type, 0, 0, 0, data, len);
}

static int step_new(struct prog *p, int id, bool header, const char *text) {
  if (id <= 0)
    id = ++p->next_id;
  else if (id > p->next_id)
    p->next_id = id;
  p->steps = xrealloc(p->steps, (p->n + 1) * sizeof(*p->steps));
  struct pstep *s = &p->steps[p->n++];
  memset(s, 0, sizeof(*s));
  s->id = id;
  s->text = xstrdup(text);
  s->t0 = mono();
  if (p->mode == P_PLAIN && header)
    plain_line(id, text, strlen(text));
  return id;
}

int prog_step(struct build *b, bool header, const char *fmt, ...) {
  struct prog *p = b->prog;
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *text = NULL;
  if (vasprintf(&text, fmt, ap) < 0)
    abort();
  va_end(ap);
  if (p->fwd_fd >= 0) {
    int id = ++p->next_id;
    send_frame(p, PF_STEP, id, header, 0, text, strlen(text));
    return b->step = id;
  }
  pthread_mutex_lock(&p->mu);
  int id = step_new(p, 0, header, text);
  pthread_mutex_unlock(&p->mu);
  return b->step = id;
}

static void out_locked(struct prog *p, struct pstep *s, const char *buf, size_t len) {
  dbuf_addn(&s->partial, buf, len);
  char *start = s->partial.p;
  char *nl;
  while ((nl = memchr(start, '\n', s->partial.len - (size_t)(start - s->partial.p))) != NULL) {
    add_line(s, start, (size_t)(nl - start));
    if (p->mode == P_PLAIN)
      plain_line(s->id, start, (size_t)(nl - start));
    start = nl + 1;
  }
  size_t rest = s->partial.len - (size_t)(start - s->partial.p);
  memmove(s->partial.p, start, rest);
  s->partial.len = rest;
  s->partial.p[rest] = '\0';
}

static void flush_partial(struct prog *p, struct pstep *s) {
  if (s->partial.len > 0)
    out_locked(p, s, "\n", 1);
}

void prog_output(struct build *b, int id, const char *buf, size_t len) {
  struct prog *p = b->prog;
  if (p->fwd_fd >= 0) {
    send_frame(p, PF_OUT, id, 0, 0, buf, len);
    return;
  }
  pthread_mutex_lock(&p->mu);
  struct pstep *s = find(p, id);
  if (s != NULL)
    out_locked(p, s, buf, len);
  pthread_mutex_unlock(&p->mu);
}

void prog_note(struct build *b, int id, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *text = NULL;
  if (vasprintf(&text, fmt, ap) < 0)
    abort();
  va_end(ap);
  char *l = xasprintf("%s\n", text);
  prog_output(b, id, l, strlen(l));
  free(l);
}

static void end_locked(struct prog *p, int id, int state, double secs, bool line) {
  struct pstep *s = find(p, id);
  if (s == NULL)
    return;
  flush_partial(p, s);
  s->state = state;
  s->t1 = secs >= 0 ? s->t0 + secs : mono();
  if (p->mode == P_PLAIN && state == S_DONE && line) {
    cleanup_free char *t = xasprintf("#%d DONE %.1fs\n", id, s->t1 - s->t0);
    put(t, strlen(t));
  } else if (p->mode == P_PLAIN && state == S_CACHED) {
    cleanup_free char *t = xasprintf("#%d CACHED\n", id);
    put(t, strlen(t));
  } else if (p->mode == P_QUIET && state == S_ERROR) {
    for (size_t k = 0; k < s->nlines; k++)
      plain_line(id, s->lines[k], strlen(s->lines[k]));
  }
}

static void prog_end(struct build *b, int id, int state, double secs, bool line) {
  struct prog *p = b->prog;
  if (p->fwd_fd >= 0) {
    send_frame(p, PF_END, id, state * 2 + line, secs, NULL, 0);
    return;
  }
  pthread_mutex_lock(&p->mu);
  end_locked(p, id, state, secs, line);
  pthread_mutex_unlock(&p->mu);
}

void prog_done(struct build *b, int id, bool line) {
  prog_end(b, id, S_DONE, -1, line);
}
void prog_cached(struct build *b, int id) {
  prog_end(b, id, S_CACHED, -1, true);
}
void prog_error(struct build *b, int id) {
  /* a stage stopped because another failed */
  prog_end(b, id, build_cancelled ? S_CANCELED : S_ERROR, -1, true);
}

void prog_total(struct build *b, int more) {
  struct prog *p = b->prog;
  if (p->fwd_fd >= 0)
    return; /* the parent counted every stage it planned */
  pthread_mutex_lock(&p->mu);
  p->total += more;
  pthread_mutex_unlock(&p->mu);
}

/* ---- the parent side of a stage child's pipe ---- */

int prog_replay(struct build *b, struct prog_map *m, const char *buf, size_t len, size_t *used,
                prog_frame_fn fn, void *arg, struct err **e) {
  struct prog *p = b->prog;
  size_t off = 0;
  int r = 0;
  while (r == 0 && len - off >= sizeof(struct pframe)) {
    struct pframe h;
    memcpy(&h, buf + off, sizeof(h));
    if (len - off - sizeof(h) < h.len)
      break;
    const char *data = buf + off + sizeof(h);
    off += sizeof(h) + h.len;
    if (h.type != PF_STEP && h.type != PF_OUT && h.type != PF_END) {
      r = fn(arg, (int)h.type, data, h.len, e);
      continue;
    }
    pthread_mutex_lock(&p->mu);
    if (h.type == PF_STEP) {
      cleanup_free char *text = xstrndup(data, h.len);
      int id = step_new(p, 0, h.flag != 0, text);
      if (h.id >= 0 && h.id < 4096) {
        if ((size_t)h.id >= m->n) {
          m->ids = xrealloc(m->ids, ((size_t)h.id + 1) * sizeof(int));
          for (size_t k = m->n; k <= (size_t)h.id; k++)
            m->ids[k] = 0;
          m->n = (size_t)h.id + 1;
        }
        m->ids[h.id] = id;
      }
    } else {
      int id = h.id >= 0 && (size_t)h.id < m->n ? m->ids[h.id] : 0;
      struct pstep *s = id > 0 ? find(p, id) : NULL;
      if (s != NULL && h.type == PF_OUT)
        out_locked(p, s, data, h.len);
      else if (s != NULL)
        end_locked(p, id, h.flag / 2, -1, h.flag % 2);
    }
    pthread_mutex_unlock(&p->mu);
  }
  *used = off;
  return r;
}
