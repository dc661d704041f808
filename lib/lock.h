/* lock.h — flock(2) on a lock file, the guard for shared state. */
#ifndef CAIRN_LOCK_H
#define CAIRN_LOCK_H

#include "err.h"

/* Open (creating, 0600, with parent dirs) and lock path; exclusive unless
 * shared.  Returns the fd holding the lock; close it (lock_release) to
 * unlock.  Blocks until the lock is free.  The lock belongs to the open
 * file: a forked child that keeps its copy of the fd keeps the lock held
 * (exec drops it: the fd is O_CLOEXEC).  A symlink as the lock file is
 * refused (ELOOP). */
int lock_acquire(const char *path, int shared, struct err **e);
/* Non-blocking: returns -1 with ERR_EXISTS code when someone holds it. */
int lock_try(const char *path, int shared, struct err **e);
void lock_release(int fd);

#endif
