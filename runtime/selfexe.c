/* selfexe.c — CVE-2019-5736.  A process in a container that gets the
 * runtime executed inside it (a "#!/proc/self/exe" entrypoint, or a
 * runtime process visible in its pid namespace) can open /proc/PID/exe and,
 * once no runtime runs any more, write through it to the runtime binary on
 * the host.  So the commands that enter a container run from a sealed
 * memfd copy of the binary: /proc/self/exe then points at memory that
 * cannot be written, shrunk or grown, and the file on disk is never
 * reachable from the container.
 *
 * Cost: one copy of the binary's loadable part into memory (sendfile) and
 * one extra execve, none when the binary already is a sealed memfd or sits
 * on a read-only mount (which gives the same protection).  So create, run
 * and exec take this way only when the cheaper exec helper does not fit
 * the process (exechelper.h); rt_protect() chooses. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mem.h"
#include "runtime.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* How much of the binary execve needs: up to the end of the last segment
 * the program headers describe.  The rest (symbols, debug info, section
 * headers: 70% of a -g build) is never read by the kernel or ld.so, so the
 * copy skips it.  Anything but a sane ELF64 gets copied whole. */
static off_t image_size(int fd, off_t size) {
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
      memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64)
    return size;
  Elf64_Phdr ph[64];
  size_t len = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
  if (pread(fd, ph, len, (off_t)eh.e_phoff) != (ssize_t)len)
    return size;
  uint64_t end = eh.e_phoff + len;
  for (int i = 0; i < eh.e_phnum; i++)
    if (ph[i].p_offset + ph[i].p_filesz > end)
      end = ph[i].p_offset + ph[i].p_filesz;
  return end < (uint64_t)size ? (off_t)end : size;
}

static int protected_exe(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return 1;
  struct statvfs sv;
  return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

int selfexe_protected(void) {
  cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return exe >= 0 && protected_exe(exe);
}

int selfexe_ensure(char **argv, struct err **e) {
  cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return err_set(e, errno, "open /proc/self/exe");
  if (protected_exe(exe))
    return 0;
  struct stat st;
  if (fstat(exe, &st) < 0)
    return err_set(e, errno, "stat /proc/self/exe");
  int mfd = memfd_create(RT_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) /* kernels before 6.3 have no MFD_EXEC */
    mfd = memfd_create(RT_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return err_set(e, errno, "memfd_create");
  off_t off = 0, size = image_size(exe, st.st_size);
  while (off < size) {
    ssize_t n = sendfile(mfd, exe, &off, (size_t)(size - off));
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(mfd);
      return err_set(e, err, "copy the runtime binary to memory");
    }
  }
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
    int err = errno;
    close(mfd);
    return err_set(e, err, "seal the runtime's copy");
  }
  syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  int err = errno;
  close(mfd);
  return err_set(e, err, "re-execute the runtime from its sealed copy");
}
