#include "progress.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "json.h"
#include "mem.h"

#define BAR_WIDTH 50
#define MIN_INTERVAL_NS 100000000LL /* 10 redraws a second at most */

struct item {
  char *id;
  char *status;
  int64_t last_ns;
  uint64_t last_cur;
};

struct progress {
  enum progress_mode mode;
  FILE *out;
  struct item *items;
  size_t n;
};

int progress_mode_parse(const char *s, enum progress_mode *m, struct err **e) {
  if (strcmp(s, "auto") == 0)
    *m = isatty(2) ? PROGRESS_TTY : PROGRESS_PLAIN;
  else if (strcmp(s, "tty") == 0)
    *m = PROGRESS_TTY;
  else if (strcmp(s, "plain") == 0)
    *m = PROGRESS_PLAIN;
  else if (strcmp(s, "json") == 0)
    *m = PROGRESS_JSON;
  else if (strcmp(s, "none") == 0 || strcmp(s, "quiet") == 0)
    *m = PROGRESS_NONE;
  else
    return err_usage(e, "--progress: expected auto, tty, plain or json, not '%s'", s);
  return 0;
}

struct progress *progress_new(enum progress_mode m, FILE *out) {
  struct progress *p = xcalloc(1, sizeof(*p));
  p->mode = m;
  p->out = out;
  return p;
}

void progress_free(struct progress *p) {
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->items[i].id);
    free(p->items[i].status);
  }
  free(p->items);
  free(p);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void emit_json(struct progress *p, json_t *j) {
  cleanup_free char *s = json_dump_compact(j);
  fprintf(p->out, "%s\n", s);
  fflush(p->out);
}

void progress_msg(struct progress *p, const char *fmt, ...) {
  if (p == NULL || p->mode == PROGRESS_NONE)
    return;
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *s = xvasprintf(fmt, ap);
  va_end(ap);
  if (p->mode == PROGRESS_JSON) {
    cleanup_json json_t *j = json_pack("{s:s}", "status", s);
    emit_json(p, j);
    return;
  }
  fprintf(p->out, "%s\n", s);
  fflush(p->out);
  /* Lines printed so far are no longer redrawn: start a new block. */
  if (p->mode == PROGRESS_TTY) {
    for (size_t i = 0; i < p->n; i++) {
      free(p->items[i].id);
      free(p->items[i].status);
    }
    p->n = 0;
  }
}

static char *render(const char *id, const char *status, uint64_t cur, uint64_t total) {
  if (total == 0)
    return xasprintf("%s: %s", id, status);
  if (cur > total)
    cur = total;
  char bar[BAR_WIDTH + 1];
  size_t fill = (size_t)((double)cur / (double)total * BAR_WIDTH);
  for (size_t i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
  if (fill >= BAR_WIDTH)
    bar[BAR_WIDTH - 1] = '=';
  bar[BAR_WIDTH] = '\0';
  cleanup_free char *c = fmt_size((double)cur);
  cleanup_free char *t = fmt_size((double)total);
  return xasprintf("%s: %-11s [%s]  %s/%s", id, status, bar, c, t);
}

void progress_item(struct progress *p, const char *id, const char *status, uint64_t current,
                   uint64_t total) {
  if (p == NULL || p->mode == PROGRESS_NONE)
    return;
  size_t k = 0;
  while (k < p->n && strcmp(p->items[k].id, id) != 0)
    k++;
  int fresh = k == p->n;
  if (fresh) {
    p->items = xrealloc(p->items, (p->n + 1) * sizeof(*p->items));
    p->items[p->n++] = (struct item){xstrdup(id), xstrdup(""), 0, 0};
  }
  struct item *it = &p->items[k];
  int changed = strcmp(it->status, status) != 0;
  int64_t t = now_ns();
  /* The same status again: only for news, and not too often, except that
   * a bar's last step is always shown. */
  if (!changed && (p->mode == PROGRESS_PLAIN || current == it->last_cur ||
                   (t - it->last_ns < MIN_INTERVAL_NS && !(total > 0 && current >= total))))
    return;
  it->last_ns = t;
  it->last_cur = current;
  free(it->status);
  it->status = xstrdup(status);
  if (p->mode == PROGRESS_JSON) {
    cleanup_json json_t *j = json_pack("{s:s,s:s}", "id", id, "status", status);
    if (total > 0)
      json_object_set_new(
          j, "progressDetail",
          json_pack("{s:I,s:I}", "current", (json_int_t)current, "total", (json_int_t)total));
    emit_json(p, j);
    return;
  }
  cleanup_free char *line = render(id, status, current, p->mode == PROGRESS_TTY ? total : 0);
  if (p->mode == PROGRESS_PLAIN) {
    fprintf(p->out, "%s\n", line);
  } else if (fresh) {
    fprintf(p->out, "%s\n", line);
  } else {
    size_t up = p->n - k;
    fprintf(p->out, "\033[%zuA\r\033[2K%s\r\033[%zuB", up, line, up);
  }
  fflush(p->out);
}
