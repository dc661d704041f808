/* fmt.h — the forms docker prints: timestamps, sizes and ages. */
#ifndef CAIRN_FMT_H
#define CAIRN_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

/* RFC 3339 with nanoseconds in UTC, as Go's time.RFC3339Nano prints it
 * (trailing zeros of the fraction dropped): "2026-11-22T11:09:32.123456789Z". */
char *fmt_rfc3339nano(const struct timespec *ts);
/* Current time in that form. */
char *fmt_now(void);
/* Parse RFC 3339 (any offset, optional fraction) into a timespec. */
int parse_rfc3339(const char *s, struct timespec *ts, struct err **e);

/* Sizes as docker prints them (go-units HumanSizeWithPrecision(size, 3),
 * decimal units): 1840 -> "1.84kB", 108000000 -> "108MB", 0 -> "0B". */
char *fmt_size(double bytes);
/* Binary units (go-units BytesSize): 1536 -> "1.5KiB". */
char *fmt_bytes_binary(double bytes);
/* Parse docker's size strings: "64m", "1g", "512", "1.5GB" -> bytes.
 * Units b,k,m,g,t,p (case-insensitive, optional "b"/"ib"), powers of 1024
 * as docker's RAMInBytes.  Errors name the bad value. */
int parse_size(const char *s, int64_t *out, struct err **e);

/* docker's HumanDuration: "Less than a second", "1 second", "5 minutes",
 * "About an hour", "2 hours", "3 days", "2 weeks", "4 months", "2 years". */
char *fmt_duration(double seconds);
/* fmt_duration(now - t) + " ago". */
char *fmt_ago(const struct timespec *t);

/* 64 random lowercase hex chars from getrandom(2): container ids. */
void random_id(char out[65]);

#endif
