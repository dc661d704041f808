/* exec_helper — the last step of starting a container's process, embedded
 * in cairn-runtime and run from a sealed memfd (runtime/exechelper.c).
 *
 * The runtime sets the process up (namespaces, mounts, user, capabilities,
 * seccomp) from its own binary, then executes this helper, which executes
 * the container's program.  So the execve that resolves the program (and
 * a "#!/proc/self/exe" interpreter, or /proc/self/exe itself) runs with
 * /proc/self/exe pointing at this sealed copy, never at the runtime's file
 * on the host (CVE-2019-5736), without copying the whole runtime.
 *
 *   argv: MAGIC SYNC_FD PATH ARG0 ARG1 …     (environ: the process's)
 *
 * SYNC_FD (or -1) is the runtime's socket (sync.h): close-on-exec from
 * here, so its end of file tells the runtime the execve worked; a failed
 * execve is reported on it as SYNC_ERR with val 1 (text: the path, errnum:
 * the errno), or on stderr once nobody listens (create's process after
 * `start`).  Started any other way (as the interpreter of a script naming
 * /proc/self/exe) it refuses.
 *
 * No libc: static, a few hundred bytes of code, nothing for the dynamic
 * loader to do.  x86_64 only (other architectures re-execute the whole
 * runtime from a sealed copy instead). */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define MAGIC "cairn-runtime-exec-helper"

/* sync.h's struct sync_msg and SYNC_ERR, kept in step by hand (the helper
 * includes nothing of the runtime) */
struct msg {
  int type, val, errnum;
  char text[1536];
};
#define SYNC_ERR 11

static long sys(long n, long a, long b, long c, long d, long e6) {
  long r;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e6;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  return r;
}

static unsigned long len(const char *s) {
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

static void say(const char *s) {
  sys(SYS_write, 2, (long)s, (long)len(s), 0, 0);
}

static const char *errname(long err) {
  switch (err) {
    case 1: return "operation not permitted";
    case 2: return "no such file or directory";
    case 7: return "argument list too long";
    case 8: return "exec format error";
    case 12: return "cannot allocate memory";
    case 13: return "permission denied";
    case 20: return "not a directory";
    case 26: return "text file busy";
    case 40: return "too many levels of symbolic links";
    default: return "error";
  }
}

/* main's work; the entry point below hands it the initial stack */
__attribute__((used, noreturn)) void helper_main(long *sp);
void helper_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1), **envp = argv + argc + 1;
  if (argc < 4 || !same(argv[0], MAGIC)) {
    say("cairn-runtime exec helper: only the runtime starts this program\n");
    sys(SYS_exit_group, 126, 0, 0, 0, 0);
  }
  long fd = 0;
  int neg = argv[1][0] == '-';
  for (const char *p = argv[1] + neg; *p >= '0' && *p <= '9'; p++)
    fd = fd * 10 + (*p - '0');
  if (neg)
    fd = -1;
  if (fd >= 0)
    sys(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC, 0, 0);
  long err = -sys(SYS_execve, (long)argv[2], (long)(argv + 3), (long)envp, 0, 0);
  struct msg m;
  m.type = SYNC_ERR;
  m.val = 1;
  m.errnum = (int)err;
  unsigned long n = len(argv[2]);
  if (n >= sizeof(m.text))
    n = sizeof(m.text) - 1;
  for (unsigned long i = 0; i < n; i++)
    m.text[i] = argv[2][i];
  m.text[n] = '\0';
  long sent = fd >= 0 ? sys(SYS_sendto, fd, (long)&m, (long)(12 + n + 1), MSG_NOSIGNAL, 0) : -1;
  if (sent < 0) {
    say("cairn-runtime: exec '");
    say(argv[2]);
    say("': ");
    say(errname(err));
    say("\n");
  }
  sys(SYS_exit_group, 1, 0, 0, 0, 0);
  __builtin_unreachable();
}

/* The kernel starts us with argc at the stack pointer; align the stack for
 * the C code and pass it along. */
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call helper_main\n"
        "  hlt\n");
