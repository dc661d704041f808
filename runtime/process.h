/* process.h — the last steps of a container process, shared by the
 * container's first process and by `exec`: find the program, set the
 * process attributes, change user and capabilities, load seccomp, close
 * every runtime fd and execve.  All run inside the container (after
 * pivot_root, or after joining its mount namespace). */
#ifndef CAIRN_RT_PROCESS_H
#define CAIRN_RT_PROCESS_H

#include "config.h"
#include "err.h"

/* Find args[0] as Go's exec.LookPath does, with the process's PATH: the
 * errors are runc's ("exec: \"x\": executable file not found in $PATH"). */
int process_lookup(const struct rt_process *p, char **path, struct err **e);
/* cwd (created when missing, checked to be inside the root), rlimits,
 * scheduler, I/O priority, AppArmor/SELinux exec labels. */
int process_prepare(const struct rt_process *p, struct err **e);
/* Mark every fd above 2 + preserve_fds close-on-exec (CVE-2024-21626:
 * nothing of the runtime's reaches the container). */
int process_close_fds(int preserve_fds, struct err **e);
/* Groups, gid, uid and capabilities; seccomp first when no_new_privs is
 * off (loading it then needs CAP_SYS_ADMIN, which is about to go). */
int process_set_user(const struct rt_process *p, void *seccomp, struct err **e);
/* no_new_privs, then seccomp when no_new_privs is on (as late as possible). */
int process_set_late(const struct rt_process *p, void *seccomp, struct err **e);
/* Reset signal dispositions and mask, set the umask, execve: directly, or
 * through the exec helper when helper >= 0 (exechelper.h; sync is the
 * socket to report a failed execve on, or -1).  Returns only on failure. */
int process_exec(const char *path, const struct rt_process *p, int helper, int sync,
                 struct err **e);

#endif
