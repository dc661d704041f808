/* exechelper.h — the container's program started through a tiny sealed
 * helper (helper/exec_helper.c) instead of from a sealed copy of the whole
 * runtime (CVE-2019-5736).
 *
 * create, run and exec used to re-execute the runtime from a memfd copy of
 * its binary before doing anything (selfexe.c): a second start of a 1 MB
 * program, the largest single cost of a `run`.  Now the runtime does the
 * container's setup from its own binary and the last execve goes through
 * the helper, run from a sealed memfd: the execve that resolves the
 * program, and a "#!/proc/self/exe" or /proc/self/exe in it, sees the
 * helper's sealed copy as /proc/self/exe.  While the runtime sets the
 * container up, its process is non-dumpable (main.c), so a process in the
 * container cannot open /proc/PID/exe of it (that needs CAP_SYS_PTRACE over
 * the host's user namespace, which would let it ptrace the runtime anyway).
 *
 * Where a second execve could change the outcome, the old way stays: the
 * command re-executes itself from the sealed copy before it changes
 * anything (helper_unfit says why). */
#ifndef CAIRN_RT_EXECHELPER_H
#define CAIRN_RT_EXECHELPER_H

#include "config.h"
#include "err.h"

/* NULL when the helper gives the process exactly what a direct execve
 * would, else the reason it does not.  c: the container's config when its
 * hooks matter (create/run), else NULL. */
const char *helper_unfit(const struct rt_process *p, const struct rt_config *c, void *seccomp);
/* A sealed, close-on-exec memfd holding the helper. */
int helper_open(struct err **e);
/* execve path with args and env through the helper; sync (or -1) is the
 * socket that reports a failed execve (sync.h).  Returns only on failure. */
int helper_exec(int helper, int sync, const char *path, char *const *args, char *const *env,
                struct err **e);

#endif
