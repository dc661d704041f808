/* exechelper.c — CVE-2019-5736 without copying the runtime (exechelper.h). */
#include "exechelper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "runtime.h"
#include "seccomp_filter.h"
#include "sync.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define MAGIC "cairn-runtime-exec-helper" /* as in helper/exec_helper.c */
_Static_assert(SYNC_ERR == 11, "helper/exec_helper.c sends 11");

#if defined(__x86_64__) && defined(EXEC_HELPER_BIN)
/* the helper's binary (build/runtime/exec_helper, see build.mk) */
__asm__(".section .rodata\n"
        ".global cairn_exec_helper, cairn_exec_helper_end\n"
        ".balign 16\n"
        "cairn_exec_helper:\n"
        ".incbin \"" EXEC_HELPER_BIN "\"\n"
        "cairn_exec_helper_end:\n"
        ".previous\n");
extern const char cairn_exec_helper[], cairn_exec_helper_end[];
#define HAVE_HELPER 1
#define EXECVEAT_ARCH AUDIT_ARCH_X86_64
#else
#define HAVE_HELPER 0
#endif

/* A filter that lets this one execveat (and the helper's fcntl) through
 * does not notice the extra step. */
static int seccomp_allows_helper(void *seccomp) {
#if HAVE_HELPER
  if (seccomp == NULL)
    return 1;
  uint64_t ea[6] = {3, 0, 0, 0, AT_EMPTY_PATH, 0}, fa[6] = {4, F_SETFD, FD_CLOEXEC, 0, 0, 0};
  return filter_allows(seccomp, EXECVEAT_ARCH, SYS_execveat, ea) &&
         filter_allows(seccomp, EXECVEAT_ARCH, SYS_fcntl, fa);
#else
  (void)seccomp;
  return 0;
#endif
}

const char *helper_unfit(const struct rt_process *p, const struct rt_config *c, void *seccomp) {
  if (!HAVE_HELPER)
    return "no exec helper for this architecture";
  /* an LSM exec transition would apply to the helper, not the program */
  if (p->apparmor != NULL || p->selinux != NULL)
    return "an AppArmor or SELinux label is set";
  /* hooks that the runtime's copy executes inside the container */
  if (c != NULL && c->hooks.n[HOOK_CREATE_CONTAINER] + c->hooks.n[HOOK_START_CONTAINER] > 0)
    return "createContainer or startContainer hooks";
  /* Without process.capabilities the process keeps every capability.  A
   * process that has or can get CAP_SYS_PTRACE could open /proc/PID/exe of
   * the runtime while it sets up (non-dumpability does not stop it). */
  if (!p->has_caps)
    return "no capabilities given (all kept)";
  uint64_t ptrace = 1ull << CAP_SYS_PTRACE;
  for (int k = 0; k < CAP_NSETS; k++)
    if (p->caps[k] & ptrace)
      return "CAP_SYS_PTRACE";
  /* Two execve instead of one give the same capabilities to root, and to
   * another user only when every set is the ambient one (no file
   * capabilities can come into play: runc's rule for runc-dmz). */
  if (p->uid != 0) {
    uint64_t amb = p->caps[CAP_AMBIENT];
    if (p->caps[CAP_BOUNDING] != amb || p->caps[CAP_INHERITABLE] != amb ||
        p->caps[CAP_PERMITTED] != amb || p->caps[CAP_EFFECTIVE] != amb)
      return "capabilities of a non-root user beyond the ambient set";
  }
  if (!seccomp_allows_helper(seccomp))
    return "the seccomp profile does not allow execveat or fcntl";
  return NULL;
}

int helper_open(struct err **e) {
#if HAVE_HELPER
  int fd = memfd_create(RT_NAME "-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) /* kernels before 6.3 have no MFD_EXEC */
    fd = memfd_create(RT_NAME "-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return err_set(e, errno, "memfd_create");
  size_t n = (size_t)(cairn_exec_helper_end - cairn_exec_helper);
  if (write_all(fd, cairn_exec_helper, n) < 0 || fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
    int err = errno;
    close(fd);
    return err_set(e, err, "make the exec helper");
  }
  return fd;
#else
  return err_set(e, ENOSYS, "no exec helper for this architecture");
#endif
}

int helper_exec(int helper, int sync, const char *path, char *const *args, char *const *env,
                struct err **e) {
  size_t n = 0;
  while (args[n] != NULL)
    n++;
  cleanup_free char **argv = xcalloc(n + 4, sizeof(char *));
  char fd[16];
  snprintf(fd, sizeof(fd), "%d", sync);
  argv[0] = (char *)MAGIC;
  argv[1] = fd;
  argv[2] = (char *)path;
  memcpy(argv + 3, args, n * sizeof(char *));
  /* the helper makes it close-on-exec again before the last execve */
  if (sync >= 0)
    fcntl(sync, F_SETFD, 0);
  syscall(SYS_execveat, helper, "", argv, env, AT_EMPTY_PATH);
  int err = errno;
  if (sync >= 0)
    fcntl(sync, F_SETFD, FD_CLOEXEC);
  return err_set(e, err, "execute the exec helper");
}

int rt_protect(const struct rt_opts *g, const struct rt_process *p, const struct rt_config *c,
               void *seccomp, int *helper, struct err **e) {
  *helper = -1;
  if (g->exe_protected)
    return 0;
  const char *why = helper_unfit(p, c, seccomp);
  if (why == NULL) {
    *helper = helper_open(e);
    return *helper < 0 ? -1 : 0;
  }
  log_debug("re-executing from a sealed copy: %s", why);
  return selfexe_ensure(g->argv, e);
}
