/* dl.c — libcurl and libarchive, loaded on first use.
 *
 * Linked normally, they and their ~40 dependencies (TLS, Kerberos, LDAP,
 * ICU through libxml2, …) cost 10-20 ms at every start, which is most of
 * the time of `unpack` or `ls` on a present image.  So the tool is not
 * linked against them: this file defines each function we call, with the
 * library's own prototype (the compiler checks them against the headers),
 * and forwards to the real one, found with dlopen/dlsym the first time.
 * A missing library is fatal with one line naming it, like out of memory. */
#define CURL_DISABLE_TYPECHECK 1
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum lib { LIB_CURL, LIB_ARCHIVE };

static const char *const sonames[] = {"libcurl.so.4", "libarchive.so.13"};
static void *handles[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static _Noreturn void dl_fail(const char *what, const char *why) {
  char buf[512];
  int n = snprintf(buf, sizeof(buf), "cairn-image: cannot load %s: %s\n", what, why ? why : "?");
  ssize_t r = write(2, buf, n > 0 && (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
  (void)r;
  exit(1);
}

static void *sym(enum lib l, const char *name) {
  pthread_mutex_lock(&mu);
  if (handles[l] == NULL) {
    /* Loading libcurl is most of the time of a pull that finds its image
     * present (~5 ms, 28 libraries).  Two cuts: lazy binding, and no
     * implicit set-up in GnuTLS's constructor (it comes only through
     * librtmp, for rtmps:// URLs we never use; this libcurl speaks TLS
     * through OpenSSL).  The variable is gone again before anything could
     * run a child; libcurl loads before any thread of ours starts. */
    int gnutls_env = l == LIB_CURL && getenv("GNUTLS_NO_IMPLICIT_INIT") == NULL;
    if (gnutls_env)
      setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0);
    handles[l] = dlopen(sonames[l], RTLD_LAZY | RTLD_LOCAL);
    if (gnutls_env)
      unsetenv("GNUTLS_NO_IMPLICIT_INIT");
    if (handles[l] == NULL) {
      const char *why = dlerror();
      pthread_mutex_unlock(&mu);
      dl_fail(sonames[l], why);
    }
    /* libcurl's global set-up must run once, before any other call and
     * before threads use it: here, under the lock, is the one place that
     * knows curl is about to be used.  Never undone (the process ends). */
    if (l == LIB_CURL) {
      CURLcode (*init)(long) = NULL;
      *(void **)&init = dlsym(handles[l], "curl_global_init");
      if (init == NULL || init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        pthread_mutex_unlock(&mu);
        dl_fail("libcurl", "curl_global_init failed");
      }
    }
  }
  void *p = dlsym(handles[l], name);
  pthread_mutex_unlock(&mu);
  if (p == NULL)
    dl_fail(name, dlerror());
  return p;
}

/* One forwarding function: the pointer is looked up once; a race between
 * threads only looks it up twice. */
#define FWD(lib, ret, name, params, args)                       \
  ret name params {                                             \
    static ret(*fp_) params;                                    \
    ret(*fn_) params = __atomic_load_n(&fp_, __ATOMIC_ACQUIRE); \
    if (fn_ == NULL) {                                          \
      *(void **)&fn_ = sym(lib, #name);                         \
      __atomic_store_n(&fp_, fn_, __ATOMIC_RELEASE);            \
    }                                                           \
    return fn_ args;                                            \
  }

#define A LIB_ARCHIVE
#define E struct archive_entry *
/* libarchive */
FWD(A, struct archive *, archive_read_new, (void), ())
FWD(A, int, archive_read_free, (struct archive * a), (a))
FWD(A, int, archive_read_support_format_raw, (struct archive * a), (a))
FWD(A, int, archive_read_support_format_tar, (struct archive * a), (a))
FWD(A, int, archive_read_support_filter_all, (struct archive * a), (a))
FWD(A, int, archive_read_support_filter_gzip, (struct archive * a), (a))
FWD(A, int, archive_read_support_filter_zstd, (struct archive * a), (a))
FWD(A, int, archive_read_open,
    (struct archive * a, void *d, archive_open_callback *o, archive_read_callback *r,
     archive_close_callback *c),
    (a, d, o, r, c))
FWD(A, int, archive_read_open_filename, (struct archive * a, const char *f, size_t b), (a, f, b))
FWD(A, int, archive_read_open_fd, (struct archive * a, int fd, size_t b), (a, fd, b))
FWD(A, int, archive_read_next_header, (struct archive * a, struct archive_entry **e), (a, e))
FWD(A, la_ssize_t, archive_read_data, (struct archive * a, void *b, size_t n), (a, b, n))
FWD(A, int, archive_read_data_block, (struct archive * a, const void **b, size_t *s, la_int64_t *o),
    (a, b, s, o))
FWD(A, const char *, archive_error_string, (struct archive * a), (a))
FWD(A, struct archive *, archive_write_new, (void), ())
FWD(A, int, archive_write_free, (struct archive * a), (a))
FWD(A, int, archive_write_close, (struct archive * a), (a))
FWD(A, int, archive_write_open,
    (struct archive * a, void *d, archive_open_callback *o, archive_write_callback *w,
     archive_close_callback *c),
    (a, d, o, w, c))
FWD(A, int, archive_write_header, (struct archive * a, E e), (a, e))
FWD(A, la_ssize_t, archive_write_data, (struct archive * a, const void *b, size_t n), (a, b, n))
FWD(A, int, archive_write_set_format_raw, (struct archive * a), (a))
FWD(A, int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
FWD(A, int, archive_write_add_filter_gzip, (struct archive * a), (a))
FWD(A, int, archive_write_add_filter_zstd, (struct archive * a), (a))
FWD(A, int, archive_write_set_filter_option,
    (struct archive * a, const char *m, const char *o, const char *v), (a, m, o, v))
FWD(A, int, archive_write_set_bytes_in_last_block, (struct archive * a, int n), (a, n))
FWD(A, struct archive_entry *, archive_entry_new, (void), ())
FWD(A, struct archive_entry *, archive_entry_clear, (E e), (e))
FWD(A, la_int64_t, archive_entry_uid, (E e), (e))
FWD(A, la_int64_t, archive_entry_gid, (E e), (e))
FWD(A, la_int64_t, archive_entry_size, (E e), (e))
FWD(A, __LA_MODE_T, archive_entry_perm, (E e), (e))
FWD(A, __LA_MODE_T, archive_entry_filetype, (E e), (e))
FWD(A, int, archive_entry_xattr_reset, (E e), (e))
FWD(A, int, archive_entry_xattr_next, (E e, const char **n, const void **v, size_t *s),
    (e, n, v, s))
FWD(A, int, archive_entry_xattr_count, (E e), (e))
FWD(A, const char *, archive_entry_symlink_utf8, (E e), (e))
FWD(A, const char *, archive_entry_symlink, (E e), (e))
FWD(A, const char *, archive_entry_pathname_utf8, (E e), (e))
FWD(A, const char *, archive_entry_pathname, (E e), (e))
FWD(A, const char *, archive_entry_hardlink, (E e), (e))
FWD(A, dev_t, archive_entry_rdev, (E e), (e))
FWD(A, long, archive_entry_mtime_nsec, (E e), (e))
FWD(A, time_t, archive_entry_mtime, (E e), (e))
FWD(A, long, archive_entry_atime_nsec, (E e), (e))
FWD(A, int, archive_entry_atime_is_set, (E e), (e))
FWD(A, time_t, archive_entry_atime, (E e), (e))

/* the void ones: FWD's "return f(...)" of a void call is fine in C */
#define FWDV(lib, name, params, args)                            \
  void name params {                                             \
    static void(*fp_) params;                                    \
    void(*fn_) params = __atomic_load_n(&fp_, __ATOMIC_ACQUIRE); \
    if (fn_ == NULL) {                                           \
      *(void **)&fn_ = sym(lib, #name);                          \
      __atomic_store_n(&fp_, fn_, __ATOMIC_RELEASE);             \
    }                                                            \
    fn_ args;                                                    \
  }
FWDV(A, archive_entry_free, (E e), (e))
FWDV(A, archive_entry_set_size, (E e, la_int64_t n), (e, n))
FWDV(A, archive_entry_set_pathname, (E e, const char *p), (e, p))
FWDV(A, archive_entry_set_filetype, (E e, unsigned int t), (e, t))
FWDV(A, archive_entry_set_perm, (E e, __LA_MODE_T m), (e, m))
FWDV(A, archive_entry_set_mode, (E e, __LA_MODE_T m), (e, m))
FWDV(A, archive_entry_set_uid, (E e, la_int64_t u), (e, u))
FWDV(A, archive_entry_set_gid, (E e, la_int64_t g), (e, g))
FWDV(A, archive_entry_set_mtime, (E e, time_t t, long ns), (e, t, ns))
FWDV(A, archive_entry_set_symlink, (E e, const char *s), (e, s))
FWDV(A, archive_entry_set_hardlink, (E e, const char *s), (e, s))
FWDV(A, archive_entry_set_rdev, (E e, dev_t d), (e, d))
FWDV(A, archive_entry_xattr_add_entry, (E e, const char *n, const void *v, size_t s), (e, n, v, s))

void archive_set_error(struct archive *a, int err, const char *fmt, ...) {
  static void (*fp)(struct archive *, int, const char *, ...);
  void (*f)(struct archive *, int, const char *, ...) = __atomic_load_n(&fp, __ATOMIC_ACQUIRE);
  if (f == NULL) {
    *(void **)&f = sym(LIB_ARCHIVE, "archive_set_error");
    __atomic_store_n(&fp, f, __ATOMIC_RELEASE);
  }
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  f(a, err, "%s", buf);
}

#define C LIB_CURL
/* libcurl */
FWD(C, CURL *, curl_easy_init, (void), ())
FWD(C, CURLcode, curl_easy_perform, (CURL * c), (c))
FWDV(C, curl_easy_cleanup, (CURL * c), (c))
FWD(C, const char *, curl_easy_strerror, (CURLcode c), (c))
FWD(C, char *, curl_easy_escape, (CURL * c, const char *s, int n), (c, s, n))
FWDV(C, curl_free, (void *p), (p))
FWD(C, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))
FWDV(C, curl_slist_free_all, (struct curl_slist * l), (l))
FWD(C, CURLSH *, curl_share_init, (void), ())
FWD(C, CURLSHcode, curl_share_cleanup, (CURLSH * s), (s))
FWD(C, CURLM *, curl_multi_init, (void), ())
FWD(C, CURLMcode, curl_multi_cleanup, (CURLM * m), (m))
FWD(C, CURLMcode, curl_multi_add_handle, (CURLM * m, CURL *c), (m, c))
FWD(C, CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL *c), (m, c))
FWD(C, CURLMcode, curl_multi_perform, (CURLM * m, int *r), (m, r))
FWD(C, CURLMsg *, curl_multi_info_read, (CURLM * m, int *n), (m, n))
FWD(C, CURLMcode, curl_multi_poll,
    (CURLM * m, struct curl_waitfd *w, unsigned int n, int t, int *r), (m, w, n, t, r))
FWD(C, CURLMcode, curl_multi_wakeup, (CURLM * m), (m))

/* The variadic setters take one value whose type the option number says
 * (curl's CURLOPTTYPE_* ranges): pass it on with that type. */
#define LOOKUP(type, name)                            \
  static type fp_;                                    \
  type fn_ = __atomic_load_n(&fp_, __ATOMIC_ACQUIRE); \
  if (fn_ == NULL) {                                  \
    *(void **)&fn_ = sym(LIB_CURL, name);             \
    __atomic_store_n(&fp_, fn_, __ATOMIC_RELEASE);    \
  }

typedef CURLcode (*easy_setopt_fn)(CURL *, CURLoption, ...);
CURLcode curl_easy_setopt(CURL *c, CURLoption o, ...) {
  LOOKUP(easy_setopt_fn, "curl_easy_setopt")
  va_list ap;
  va_start(ap, o);
  CURLcode r;
  if (o < CURLOPTTYPE_OBJECTPOINT) {
    long v = va_arg(ap, long);
    r = fn_(c, o, v);
  } else if (o < CURLOPTTYPE_FUNCTIONPOINT) {
    void *v = va_arg(ap, void *);
    r = fn_(c, o, v);
  } else if (o < CURLOPTTYPE_OFF_T) {
    void (*v)(void) = va_arg(ap, void (*)(void));
    r = fn_(c, o, v);
  } else if (o < CURLOPTTYPE_BLOB) {
    curl_off_t v = va_arg(ap, curl_off_t);
    r = fn_(c, o, v);
  } else {
    void *v = va_arg(ap, void *);
    r = fn_(c, o, v);
  }
  va_end(ap);
  return r;
}

typedef CURLMcode (*multi_setopt_fn)(CURLM *, CURLMoption, ...);
CURLMcode curl_multi_setopt(CURLM *m, CURLMoption o, ...) {
  LOOKUP(multi_setopt_fn, "curl_multi_setopt")
  va_list ap;
  va_start(ap, o);
  CURLMcode r;
  if (o < CURLOPTTYPE_OBJECTPOINT) {
    long v = va_arg(ap, long);
    r = fn_(m, o, v);
  } else if (o < CURLOPTTYPE_FUNCTIONPOINT) {
    void *v = va_arg(ap, void *);
    r = fn_(m, o, v);
  } else if (o < CURLOPTTYPE_OFF_T) {
    void (*v)(void) = va_arg(ap, void (*)(void));
    r = fn_(m, o, v);
  } else {
    curl_off_t v = va_arg(ap, curl_off_t);
    r = fn_(m, o, v);
  }
  va_end(ap);
  return r;
}

/* SHARE and UNSHARE take an int (a lock data kind); LOCKFUNC and
 * UNLOCKFUNC a function, USERDATA a pointer. */
typedef CURLSHcode (*share_setopt_fn)(CURLSH *, CURLSHoption, ...);
CURLSHcode curl_share_setopt(CURLSH *s, CURLSHoption o, ...) {
  LOOKUP(share_setopt_fn, "curl_share_setopt")
  va_list ap;
  va_start(ap, o);
  CURLSHcode r;
  if (o == CURLSHOPT_LOCKFUNC || o == CURLSHOPT_UNLOCKFUNC) {
    void (*v)(void) = va_arg(ap, void (*)(void));
    r = fn_(s, o, v);
  } else if (o == CURLSHOPT_USERDATA) {
    void *v = va_arg(ap, void *);
    r = fn_(s, o, v);
  } else {
    int v = va_arg(ap, int);
    r = fn_(s, o, v);
  }
  va_end(ap);
  return r;
}

/* Every CURLINFO takes one pointer. */
typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);
CURLcode curl_easy_getinfo(CURL *c, CURLINFO i, ...) {
  LOOKUP(getinfo_fn, "curl_easy_getinfo")
  va_list ap;
  va_start(ap, i);
  void *v = va_arg(ap, void *);
  va_end(ap);
  return fn_(c, i, v);
}
