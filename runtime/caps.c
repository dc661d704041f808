/* caps.c — the five capability sets of process.capabilities, through
 * libcap-ng.  The bounding set is dropped while the process is still root
 * with CAP_SETPCAP; the others are set after the uid change (which keeps
 * the permitted set thanks to PR_SET_KEEPCAPS). */
#include "caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <sys/prctl.h>

#include "config.h"

static void load(capng_type_t type, uint64_t mask) {
  int last = cap_last();
  for (int c = 0; c <= last; c++)
    if (mask & (1ull << c))
      capng_update(CAPNG_ADD, type, (unsigned)c);
}

int caps_apply_bounding(const uint64_t *caps, struct err **e) {
  capng_clear(CAPNG_SELECT_BOUNDS);
  load(CAPNG_BOUNDING_SET, caps[CAP_BOUNDING]);
  if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
    return err_set(e, EPERM, "set the capability bounding set");
  return 0;
}

int caps_apply(const uint64_t *caps, struct err **e) {
  capng_clear(CAPNG_SELECT_CAPS);
  load(CAPNG_EFFECTIVE, caps[CAP_EFFECTIVE]);
  load(CAPNG_PERMITTED, caps[CAP_PERMITTED]);
  load(CAPNG_INHERITABLE, caps[CAP_INHERITABLE]);
  if (capng_apply(CAPNG_SELECT_CAPS) < 0)
    return err_set(e, EPERM, "set capabilities");
  /* Ambient capabilities must be permitted and inheritable; the kernel
   * refuses the others, as runc we skip those silently. */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return err_set(e, errno, "clear ambient capabilities");
  int last = cap_last();
  for (int c = 0; c <= last; c++) {
    if (!(caps[CAP_AMBIENT] & (1ull << c)))
      continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
      return err_set(e, errno, "raise ambient capability %d", c);
  }
  return 0;
}
