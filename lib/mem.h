/* mem.h — allocation that never fails (out of memory aborts) and
 * __attribute__((cleanup)) helpers for locals.
 *
 *   cleanup_free char *s = xstrdup("x");
 *   cleanup_close int fd = -1;
 *   cleanup_json json_t *j = NULL;
 *   return steal_ptr(&s);   // hands ownership out, leaves s NULL
 */
#ifndef CAIRN_MEM_H
#define CAIRN_MEM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

void cleanup_freep(void *p);
void cleanup_closep(int *fd);
void cleanup_fclosep(FILE **f);
void cleanup_closedirp(void *d);
void cleanup_strvp(char ***v);
void cleanup_jsonp(void *j);

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))
#define cleanup_json __attribute__((cleanup(cleanup_jsonp)))

/* Return *pp and set it to NULL: hands ownership out of a cleanup local. */
static inline void *steal_ptr(void *pp) {
  void **p = (void **)pp;
  void *r = *p;
  *p = NULL;
  return r;
}
/* Return *fd and set it to -1. */
static inline int steal_fd(int *fd) {
  int r = *fd;
  *fd = -1;
  return r;
}

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
/* Append a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
void strv_free(char **v);

#endif
