#include "fmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "mem.h"

int parse_size(const char *s, int64_t *out, struct err **e) {
  /* docker's units.RAMInBytes: a decimal number, then an optional unit
   * b, k, m, g, t, p with an optional trailing "b" or "ib", powers of 1024. */
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno != 0 || v < 0 || !isfinite(v) || isspace((unsigned char)*s))
    return err_usage(e, "invalid size: '%s'", s);
  double mult = 1;
  const char *u = end;
  if (*u) {
    switch (tolower((unsigned char)*u)) {
      case 'b': mult = 1; break;
      case 'k': mult = 1024.0; break;
      case 'm': mult = 1024.0 * 1024; break;
      case 'g': mult = 1024.0 * 1024 * 1024; break;
      case 't': mult = 1024.0 * 1024 * 1024 * 1024; break;
      case 'p': mult = 1024.0 * 1024 * 1024 * 1024 * 1024; break;
      default: return err_usage(e, "invalid size: '%s'", s);
    }
    u++;
    if (mult > 1) {
      if (strcasecmp(u, "ib") == 0)
        u += 2;
      else if (tolower((unsigned char)*u) == 'b')
        u++;
    }
    if (*u)
      return err_usage(e, "invalid size: '%s'", s);
  }
  double bytes = v * mult;
  if (bytes >= 9.2e18)
    return err_usage(e, "invalid size: '%s': too large", s);
  *out = (int64_t)bytes;
  return 0;
}

char *fmt_rfc3339nano(const struct timespec *ts) {
  struct tm tm;
  time_t sec = ts->tv_sec;
  long nsec = ts->tv_nsec;
  if (nsec < 0 || nsec >= 1000000000L) { /* normalize rather than print garbage */
    sec += nsec / 1000000000L;
    nsec %= 1000000000L;
    if (nsec < 0) {
      nsec += 1000000000L;
      sec--;
    }
  }
  gmtime_r(&sec, &tm);
  char frac[12] = "";
  if (nsec != 0) {
    /* Go's RFC3339Nano ".999999999": trailing zeros dropped, none at all
     * when the fraction is zero. */
    snprintf(frac, sizeof(frac), ".%09ld", nsec);
    size_t n = strlen(frac);
    while (frac[n - 1] == '0')
      frac[--n] = '\0';
  }
  return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

char *fmt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return fmt_rfc3339nano(&ts);
}

/* n decimal digits at *p into *out; advances *p. */
static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

static int days_in_month(int year, int month) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    return 29;
  return d[month - 1];
}

int parse_rfc3339(const char *s, struct timespec *ts, struct err **e) {
  const char *p = s;
  int year, mon, day, hour, min, sec;
  long nsec = 0;
  if (digits(&p, 4, &year) < 0 || *p++ != '-' || digits(&p, 2, &mon) < 0 || *p++ != '-' ||
      digits(&p, 2, &day) < 0 || *p++ != 'T' || digits(&p, 2, &hour) < 0 || *p++ != ':' ||
      digits(&p, 2, &min) < 0 || *p++ != ':' || digits(&p, 2, &sec) < 0)
    goto bad;
  if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 || min > 59 ||
      sec > 59)
    return err_usage(e, "invalid timestamp '%s': field out of range", s);
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      goto bad;
    /* Like Go, digits past nanoseconds are accepted and dropped. */
    long scale = 100000000L;
    for (; isdigit((unsigned char)*p); p++) {
      nsec += (*p - '0') * scale;
      scale /= 10;
    }
  }
  long offset = 0;
  if (*p == 'Z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1, oh, om;
    if (digits(&p, 2, &oh) < 0 || *p++ != ':' || digits(&p, 2, &om) < 0)
      goto bad;
    if (oh > 23 || om > 59)
      return err_usage(e, "invalid timestamp '%s': time zone offset out of range", s);
    offset = sign * (oh * 3600L + om * 60L);
  } else {
    goto bad;
  }
  if (*p != '\0')
    goto bad;
  struct tm tm = {.tm_year = year - 1900,
                  .tm_mon = mon - 1,
                  .tm_mday = day,
                  .tm_hour = hour,
                  .tm_min = min,
                  .tm_sec = sec};
  ts->tv_sec = timegm(&tm) - offset;
  ts->tv_nsec = nsec;
  return 0;
bad:
  return err_usage(e, "invalid timestamp '%s': expected RFC 3339 (2006-01-02T15:04:05Z07:00)", s);
}

/* go-units getSizeAndUnit + "%.*g%s". */
static char *human(double size, double base, const char *const *units, size_t nunits, int prec) {
  size_t i = 0;
  while (size >= base && i < nunits - 1) {
    size /= base;
    i++;
  }
  return xasprintf("%.*g%s", prec, size, units[i]);
}

char *fmt_size(double bytes) {
  static const char *const u[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  return human(bytes, 1000.0, u, sizeof(u) / sizeof(u[0]), 3);
}

char *fmt_bytes_binary(double bytes) {
  static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  return human(bytes, 1024.0, u, sizeof(u) / sizeof(u[0]), 4);
}

char *fmt_duration(double seconds) {
  /* go-units HumanDuration: seconds and minutes truncate, hours round. */
  if (!(seconds >= 1))
    return xstrdup("Less than a second");
  if (seconds > 9.2e9) /* Go's time.Duration tops out at ~292 years */
    seconds = 9.2e9;
  long long secs = (long long)seconds;
  if (secs == 1)
    return xstrdup("1 second");
  if (secs < 60)
    return xasprintf("%lld seconds", secs);
  long long minutes = (long long)(seconds / 60);
  if (minutes == 1)
    return xstrdup("About a minute");
  if (minutes < 60)
    return xasprintf("%lld minutes", minutes);
  long long hours = (long long)(seconds / 3600 + 0.5);
  if (hours == 1)
    return xstrdup("About an hour");
  if (hours < 48)
    return xasprintf("%lld hours", hours);
  if (hours < 24 * 7 * 2)
    return xasprintf("%lld days", hours / 24);
  if (hours < 24 * 30 * 2)
    return xasprintf("%lld weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2)
    return xasprintf("%lld months", hours / 24 / 30);
  return xasprintf("%lld years", (long long)(seconds / 3600) / 24 / 365);
}

char *fmt_ago(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  double d = (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
  cleanup_free char *s = fmt_duration(d);
  return xasprintf("%s ago", s);
}

void random_id(char out[65]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char b[32];
  size_t got = 0;
  while (got < sizeof(b)) {
    ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      abort(); /* the kernel has had getrandom since 3.17: nothing to fall back to */
    }
    got += (size_t)r;
  }
  for (size_t i = 0; i < sizeof(b); i++) {
    out[2 * i] = hex[b[i] >> 4];
    out[2 * i + 1] = hex[b[i] & 0xf];
  }
  out[64] = '\0';
}
