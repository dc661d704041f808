#include "fmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
