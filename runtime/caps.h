/* caps.h — apply process.capabilities (masks indexed by enum cap_set). */
#ifndef CAIRN_RT_CAPS_H
#define CAIRN_RT_CAPS_H

#include <stdint.h>

#include "err.h"

/* Drop every capability not in caps[CAP_BOUNDING] from the bounding set. */
int caps_apply_bounding(const uint64_t *caps, struct err **e);
/* Set effective, permitted, inheritable and ambient exactly. */
int caps_apply(const uint64_t *caps, struct err **e);

#endif
