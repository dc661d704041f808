#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

int err_vset(struct err **e, int code, int errnum, const char *fmt, va_list ap) {
  char *msg = xvasprintf(fmt, ap);
  if (errnum != 0) {
    char *full = xasprintf("%s: %s", msg, strerror(errnum));
    free(msg);
    msg = full;
  }
  if (e == NULL) {
    free(msg);
    return -1;
  }
  if (*e != NULL) /* callers must pass NULL; a stale error is replaced, not leaked */
    err_free(e);
  struct err *n = xmalloc(sizeof(*n));
  n->errnum = errnum;
  n->code = code;
  n->msg = msg;
  *e = n;
  return -1;
}

int err_set(struct err **e, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vset(e, ERR_FAIL, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int err_setc(struct err **e, int code, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vset(e, code, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int err_usage(struct err **e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vset(e, ERR_USAGE, 0, fmt, ap);
  va_end(ap);
  return -1;
}

int err_wrap(struct err **e, const char *fmt, ...) {
  if (e == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *ctx = xvasprintf(fmt, ap);
  va_end(ap);
  if (*e == NULL) {
    err_setc(e, ERR_FAIL, 0, "%s: unknown error", ctx);
  } else {
    char *msg = xasprintf("%s: %s", ctx, (*e)->msg);
    free((*e)->msg);
    (*e)->msg = msg;
  }
  free(ctx);
  return -1;
}

void err_print(const struct err *e, const char *prog) {
  if (e == NULL)
    fprintf(stderr, "%s: unknown error\n", prog);
  else
    fprintf(stderr, "%s: %s\n", prog, e->msg);
}

int err_exit_code(const struct err *e) {
  return e != NULL && e->code == ERR_USAGE ? 2 : 1;
}

void err_free(struct err **e) {
  if (e == NULL || *e == NULL)
    return;
  free((*e)->msg);
  free(*e);
  *e = NULL;
}
