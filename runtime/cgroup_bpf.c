/* cgroup_bpf.c — the cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE
 * program built instruction by instruction from the OCI rules (no libbpf,
 * no compiler), attached with BPF_F_ALLOW_MULTI so that it composes with
 * whatever the parents enforce.
 *
 * The kernel calls the program with struct bpf_cgroup_dev_ctx { u32
 * access_type (access << 16 | type); u32 major; u32 minor; } and allows the
 * access when it returns 1.  The program tests the rules from last to
 * first and returns the verdict of the first that matches, else 0: deny
 * by default, the last matching rule winning — the semantics of the v1
 * exception list after "deny a". */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "mem.h"

#define INSN(c, d, s, o, i) \
  ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
/* dst = *(u32 *)(src + off) */
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV32_REG(d, s) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
/* 32-bit compares (BPF_JMP32, Linux 5.1): device numbers are u32 and a
 * 64-bit compare would sign-extend immediates above 2^31. */
#define JMP32_IMM(op, d, i, o) INSN(BPF_JMP32 | (op) | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5 };

void *cg_bpf_build(const struct cg_dev_rule *rules, size_t n, size_t *ninsns) {
  /* At most 8 instructions per rule, 6 of prologue, 2 of epilogue. */
  struct bpf_insn *p = xcalloc(8 * n + 8, sizeof *p);
  size_t k = 0;
  p[k++] = LDX_W(R2, R1, 0);
  p[k++] = ALU32_IMM(BPF_AND, R2, 0xffff); /* type */
  p[k++] = LDX_W(R3, R1, 0);
  p[k++] = ALU32_IMM(BPF_RSH, R3, 16); /* access */
  p[k++] = LDX_W(R4, R1, 4);           /* major */
  p[k++] = LDX_W(R5, R1, 8);           /* minor */
  bool total = false;
  for (size_t i = n; i-- > 0 && !total;) {
    const struct cg_dev_rule *d = &rules[i];
    struct bpf_insn body[8];
    size_t b = 0;
    /* Conditions jump to the next rule: offsets are patched below. */
    if (d->type != 'a')
      body[b++] =
          JMP32_IMM(BPF_JNE, R2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
    if (d->access != CG_ACC_ALL) {
      /* An allow rule covers a request it contains entirely; a deny rule
       * hits any request that shares an access bit with it. */
      body[b++] = MOV32_REG(R0, R3);
      if (d->allow) {
        body[b++] = ALU32_IMM(BPF_AND, R0, (int32_t)(~d->access & CG_ACC_ALL));
        body[b++] = JMP32_IMM(BPF_JNE, R0, 0, 0);
      } else {
        body[b++] = ALU32_IMM(BPF_AND, R0, (int32_t)d->access);
        body[b++] = JMP32_IMM(BPF_JEQ, R0, 0, 0);
      }
    }
    if (d->major >= 0)
      body[b++] = JMP32_IMM(BPF_JNE, R4, (int32_t)(uint32_t)d->major, 0);
    if (d->minor >= 0)
      body[b++] = JMP32_IMM(BPF_JNE, R5, (int32_t)(uint32_t)d->minor, 0);
    /* A rule without conditions decides everything: the earlier ones are
     * dead code, which the verifier rejects, so stop here. */
    total = b == 0;
    size_t conds = b;
    body[b++] = MOV64_IMM(R0, d->allow ? 1 : 0);
    body[b++] = EXIT();
    for (size_t j = 0; j < conds; j++)
      if (BPF_CLASS(body[j].code) == BPF_JMP32)
        body[j].off = (int16_t)(b - j - 1);
    memcpy(p + k, body, b * sizeof *body);
    k += b;
  }
  if (!total) {
    p[k++] = MOV64_IMM(R0, 0);
    p[k++] = EXIT();
  }
  *ninsns = k;
  return p;
}

static int bpf(int cmd, union bpf_attr *a) {
  return (int)syscall(__NR_bpf, cmd, a, sizeof *a);
}

static int prog_load(const struct bpf_insn *insns, size_t n, struct err **e) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uint64_t)(uintptr_t)insns;
  a.insn_cnt = (uint32_t)n;
  a.license = (uint64_t)(uintptr_t) "Apache";
  int fd = bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return fd;
  int saved = errno;
  if (saved != EINVAL && saved != EACCES)
    return err_set(e, saved, "device filter: load eBPF program");
  /* Load again with the verifier's log, to say why. */
  cleanup_free char *log = xcalloc(1, 16384);
  a.log_buf = (uint64_t)(uintptr_t)log;
  a.log_size = 16384;
  a.log_level = 1;
  fd = bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return fd;
  size_t l = strlen(log);
  while (l > 0 && log[l - 1] == '\n')
    log[--l] = '\0';
  char *last = strrchr(log, '\n');
  return err_set(e, saved, "device filter: load eBPF program: verifier: %s", last ? last + 1 : log);
}

int cg_bpf_devices(const char *dir, const struct cg_dev_rule *rules, size_t n, struct err **e) {
  size_t ninsns;
  cleanup_free struct bpf_insn *insns = cg_bpf_build(rules, n, &ninsns);
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return err_set(e, errno, "device filter: open '%s'", dir);

  /* What is attached now (a previous create or update), to replace. */
  uint32_t old[64];
  union bpf_attr q;
  memset(&q, 0, sizeof q);
  q.query.target_fd = (uint32_t)dfd;
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = (uint64_t)(uintptr_t)old;
  q.query.prog_cnt = 64;
  if (bpf(BPF_PROG_QUERY, &q) < 0)
    return err_set(e, errno, "device filter: query programs of '%s'", dir);
  uint32_t nold = q.query.prog_cnt;

  cleanup_close int pfd = prog_load(insns, ninsns, e);
  if (pfd < 0)
    return -1;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = (uint32_t)dfd;
  a.attach_bpf_fd = (uint32_t)pfd;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &a) < 0)
    return err_set(e, errno, "device filter: attach to '%s'", dir);
  /* Only now drop the old ones, so there is no instant without a filter.
   * (With several programs every one must allow, so the new rules are in
   * force from the attach on.) */
  for (uint32_t i = 0; i < nold; i++) {
    union bpf_attr g;
    memset(&g, 0, sizeof g);
    g.prog_id = old[i];
    cleanup_close int ofd = bpf(BPF_PROG_GET_FD_BY_ID, &g);
    if (ofd < 0)
      continue; /* gone meanwhile */
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)dfd;
    a.attach_bpf_fd = (uint32_t)ofd;
    a.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
      return err_set(e, errno, "device filter: detach the old program from '%s'", dir);
  }
  return 0;
}
