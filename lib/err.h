/* err.h — errors that carry an errno, a small code and a message with context.
 *
 * A function that can fail takes `struct err **e` last and returns < 0 (or
 * NULL).  On failure it fills *e once, with err_set(); callers on the way up
 * add context with err_wrap(), which prefixes "context: ".  On success *e is
 * left untouched.  Only main() prints (err_print) and frees (err_free).
 *
 *   if (fd < 0)
 *     return err_set(e, errno, "open '%s'", path);
 *   if (parse(...) < 0)
 *     return err_wrap(e, "image config '%s'", path);
 *
 * gives "image config 'x': open 'x': No such file or directory".
 */
#ifndef CAIRN_ERR_H
#define CAIRN_ERR_H

#include <stdarg.h>

/* Codes: what kind of failure, which main() maps to an exit code. */
enum err_code {
  ERR_FAIL = 1,  /* the operation failed (exit 1) */
  ERR_USAGE = 2, /* bad command line or bad input from the user (exit 2) */
  ERR_NOTFOUND = 3,
  ERR_EXISTS = 4,
};

struct err {
  int errnum; /* errno of the root cause, 0 if none */
  int code;   /* enum err_code */
  char *msg;  /* full message, context first */
};

/* Fill *e (which must be NULL) with a formatted message; when errnum is not
 * 0, ": strerror(errnum)" is appended.  Returns -1. */
int err_set(struct err **e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like err_set with code ERR_USAGE and no errno. */
int err_usage(struct err **e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_set but with an explicit code. */
int err_setc(struct err **e, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int err_vset(struct err **e, int code, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
/* Prefix the message in *e with "context: ".  Returns -1.  A NULL *e (the
 * callee forgot to set it) becomes "context: unknown error". */
int err_wrap(struct err **e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "PROG: message\n" to stderr. */
void err_print(const struct err *e, const char *prog);
/* Exit code for main: 1, or 2 for ERR_USAGE. */
int err_exit_code(const struct err *e);
void err_free(struct err **e);

#endif
