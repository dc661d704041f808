/* restart.c — docker's restart policies and its restart manager's backoff:
 * the delay starts at 100 ms and doubles on every restart up to a minute,
 * and goes back to 100 ms once a run has lasted 10 s. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define BACKOFF_FIRST (100 * NSEC_PER_MSEC)
#define BACKOFF_MAX (60 * NSEC_PER_SEC)
#define BACKOFF_RESET_AFTER (10 * NSEC_PER_SEC)

int restart_parse(const char *s, struct restart_policy *p, struct err **e) {
  p->max_retries = 0;
  if (strcmp(s, "no") == 0 || strcmp(s, "") == 0) {
    p->kind = RESTART_NO;
  } else if (strcmp(s, "always") == 0) {
    p->kind = RESTART_ALWAYS;
  } else if (strcmp(s, "unless-stopped") == 0) {
    p->kind = RESTART_UNLESS_STOPPED;
  } else if (strncmp(s, "on-failure", 10) == 0 && (s[10] == '\0' || s[10] == ':')) {
    p->kind = RESTART_ON_FAILURE;
    if (s[10] == ':') {
      char *end;
      errno = 0;
      long v = strtol(s + 11, &end, 10);
      if (s[11] == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 1000000)
        return err_usage(e, "invalid restart policy '%s': the count must be a number >= 0", s);
      p->max_retries = (int)v;
    }
  } else {
    return err_usage(
        e, "invalid restart policy '%s': want no, always, on-failure[:N] or unless-stopped", s);
  }
  return 0;
}

/* The caller has already ruled out a requested stop, which ends every
 * policy (docker cancels its restart manager on stop). */
int restart_should(struct shim *s, int exit_code, int64_t ran_ns, int64_t *delay_ns) {
  const struct restart_policy *p = &s->o->restart;
  if (p->kind == RESTART_NO)
    return 0;
  if (ran_ns >= BACKOFF_RESET_AFTER)
    s->backoff_ns = 0;
  if (s->backoff_ns == 0)
    s->backoff_ns = BACKOFF_FIRST;
  else if (s->backoff_ns < BACKOFF_MAX)
    s->backoff_ns *= 2;
  if (s->backoff_ns > BACKOFF_MAX)
    s->backoff_ns = BACKOFF_MAX;

  int restart = 0;
  switch (p->kind) {
    case RESTART_ALWAYS:
    case RESTART_UNLESS_STOPPED: restart = 1; break;
    case RESTART_ON_FAILURE:
      if (p->max_retries == 0 || s->restart_count < p->max_retries)
        restart = exit_code != 0;
      break;
    case RESTART_NO: break;
  }
  if (!restart)
    return 0;
  s->restart_count++;
  *delay_ns = s->backoff_ns;
  return 1;
}
