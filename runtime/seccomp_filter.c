/* seccomp_filter.c — linux.seccomp into a BPF program through libseccomp.
 * The program is built in the parent (or found in the cache,
 * seccomp_cache.c), the child inherits it through clone and loads it as
 * late as possible before execve. */
#include "seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jfield.h"
#include "mem.h"

static const struct {
  const char *name;
  uint32_t act;
  int takes_errno;
} actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, 0},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), 1},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), 1},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, 0},
};

static const struct {
  const char *name;
  enum scmp_compare op;
} operators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const char *const archs[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

static const char *const flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};

static int parse_action(const struct jf *f, json_t *o, const char *key, int default_errno,
                        uint32_t *out, struct err **e) {
  const char *name = NULL;
  if (jf_str(f, o, key, &name, e) < 0)
    return -1;
  if (name == NULL)
    return jf_bad(f, key, e, "is required");
  if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
    return jf_bad(f, key, e, "SCMP_ACT_NOTIFY (seccomp user notification) is not supported");
  for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
    if (strcmp(name, actions[i].name) != 0)
      continue;
    *out = actions[i].takes_errno ? (actions[i].act | (uint32_t)(default_errno & 0xffff))
                                  : actions[i].act;
    return 0;
  }
  return jf_bad(f, key, e, "unknown action \"%s\"", name);
}

static int arch_token(const char *name, uint32_t *tok) {
  if (strncmp(name, "SCMP_ARCH_", 10) != 0)
    return -1;
  char low[32];
  size_t n = strlen(name + 10);
  if (n == 0 || n >= sizeof(low))
    return -1;
  for (size_t i = 0; i <= n; i++)
    low[i] = (char)tolower((unsigned char)name[10 + i]);
  *tok = seccomp_arch_resolve_name(low);
  return *tok == 0 ? -1 : 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr, struct scmp_arg_cmp *cmp, unsigned n,
                    const char *name, struct err **e) {
  int r = seccomp_rule_add_array(ctx, act, nr, n, cmp);
  if (r == -EACCES || r == -EEXIST)
    return 0; /* same as the default action, or already there */
  if (r < 0)
    return err_set(e, -r, "seccomp: add rule for \"%s\"", name);
  return 0;
}

static int parse_syscall(scmp_filter_ctx ctx, const struct jf *f, json_t *o, uint32_t defact,
                         int def_errno, struct err **e) {
  cleanup_strv char **names = NULL;
  json_t *args = NULL;
  int64_t eret = def_errno;
  if (jf_strv(f, o, "names", &names, e) < 0 || jf_arr(f, o, "args", &args, e) < 0 ||
      jf_range(f, o, "errnoRet", 0, 0xffff, &eret, e) < 0)
    return -1;
  uint32_t act;
  if (parse_action(f, o, "action", (int)eret, &act, e) < 0)
    return -1;
  size_t nargs = json_array_size(args);
  if (nargs > 6)
    return jf_bad(f, "args", e, "at most 6 argument conditions");
  struct scmp_arg_cmp cmp[6];
  int seen = 0, dup = 0;
  for (size_t i = 0; i < nargs; i++) {
    cleanup_free char *where = jf_index(f, "args", i);
    struct jf af = {f->doc, where};
    json_t *a = json_array_get(args, i);
    int64_t idx = -1;
    const char *op = NULL;
    if (!json_is_object(a))
      return jf_bad(&af, NULL, e, "expected an object");
    if (jf_range(&af, a, "index", 0, 5, &idx, e) < 0 || jf_str(&af, a, "op", &op, e) < 0)
      return -1;
    json_t *v1 = json_object_get(a, "value"), *v2 = json_object_get(a, "valueTwo");
    if (idx < 0 || op == NULL || !json_is_integer(v1) || (v2 != NULL && !json_is_integer(v2)))
      return jf_bad(&af, NULL, e,
                    "index, value and op are required (value and valueTwo are "
                    "integers)");
    size_t k;
    for (k = 0; k < sizeof(operators) / sizeof(operators[0]); k++)
      if (strcmp(op, operators[k].name) == 0)
        break;
    if (k == sizeof(operators) / sizeof(operators[0]))
      return jf_bad(&af, "op", e, "unknown operator \"%s\"", op);
    cmp[i] =
        (struct scmp_arg_cmp){(unsigned)idx, operators[k].op, (scmp_datum_t)json_integer_value(v1),
                              v2 ? (scmp_datum_t)json_integer_value(v2) : 0};
    if (seen & (1 << idx))
      dup = 1;
    seen |= 1 << idx;
  }
  if (act == defact)
    return 0;
  for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
    int nr = seccomp_syscall_resolve_name(names[i]);
    if (nr == __NR_SCMP_ERROR)
      continue; /* not a syscall of this architecture: nothing to filter */
    /* libseccomp wants one comparison per argument in a rule; conditions
     * that repeat an argument become separate rules (runc does the same). */
    if (!dup) {
      if (add_rule(ctx, act, nr, cmp, (unsigned)nargs, names[i], e) < 0)
        return -1;
    } else {
      for (size_t k = 0; k < nargs; k++)
        if (add_rule(ctx, act, nr, &cmp[k], 1, names[i], e) < 0)
          return -1;
    }
  }
  return 0;
}

static scmp_filter_ctx build_ctx(json_t *spec, uint32_t *kflags, struct err **e) {
  struct jf f = {"config.json", "linux.seccomp"};
  int64_t def_errno = EPERM;
  if (jf_range(&f, spec, "defaultErrnoRet", 0, 0xffff, &def_errno, e) < 0)
    return NULL;
  uint32_t defact;
  if (parse_action(&f, spec, "defaultAction", (int)def_errno, &defact, e) < 0)
    return NULL;
  const char *lp = NULL;
  if (jf_str(&f, spec, "listenerPath", &lp, e) < 0)
    return NULL;
  if (lp != NULL && *lp != '\0') {
    jf_bad(&f, "listenerPath", e, "seccomp user notification is not supported");
    return NULL;
  }
  scmp_filter_ctx ctx = seccomp_init(defact);
  if (ctx == NULL) {
    err_set(e, EINVAL, "seccomp: cannot create a filter");
    return NULL;
  }
  /* we set no_new_privs ourselves, only when the config asks for it */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  cleanup_strv char **av = NULL, **fl = NULL;
  json_t *sys = NULL;
  if (jf_strv(&f, spec, "architectures", &av, e) < 0 || jf_strv(&f, spec, "flags", &fl, e) < 0 ||
      jf_arr(&f, spec, "syscalls", &sys, e) < 0)
    goto fail;
  for (size_t i = 0; av != NULL && av[i] != NULL; i++) {
    uint32_t tok;
    if (arch_token(av[i], &tok) < 0) {
      jf_bad(&f, "architectures", e, "unknown architecture \"%s\"", av[i]);
      goto fail;
    }
    int r = seccomp_arch_add(ctx, tok);
    if (r < 0 && r != -EEXIST) {
      err_set(e, -r, "seccomp: add architecture \"%s\"", av[i]);
      goto fail;
    }
  }
  for (size_t i = 0; fl != NULL && fl[i] != NULL; i++) {
    if (strcmp(fl[i], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
      continue; /* the process is single-threaded */
    else if (strcmp(fl[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
      *kflags |= SECCOMP_FILTER_FLAG_LOG;
    else if (strcmp(fl[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
      *kflags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else {
      jf_bad(&f, "flags", e, "unknown or unsupported flag \"%s\"", fl[i]);
      goto fail;
    }
  }
  for (size_t i = 0; i < json_array_size(sys); i++) {
    cleanup_free char *where = jf_index(&f, "syscalls", i);
    struct jf sf = {f.doc, where};
    json_t *o = json_array_get(sys, i);
    if (!json_is_object(o)) {
      jf_bad(&sf, NULL, e, "expected an object");
      goto fail;
    }
    if (parse_syscall(ctx, &sf, o, defact, (int)def_errno, e) < 0)
      goto fail;
  }
  return ctx;
fail:
  seccomp_release(ctx);
  return NULL;
}

/* libseccomp's program for ctx, as seccomp_load would load it. */
static struct seccomp_prog *export_prog(scmp_filter_ctx ctx, uint32_t kflags, struct err **e) {
  cleanup_close int fd = memfd_create("seccomp", MFD_CLOEXEC);
  if (fd < 0) {
    err_set(e, errno, "seccomp: memfd_create");
    return NULL;
  }
  int r = seccomp_export_bpf(ctx, fd);
  struct stat st;
  if (r < 0 || fstat(fd, &st) < 0 || st.st_size == 0 || st.st_size % 8 != 0 ||
      st.st_size / 8 > SECCOMP_PROG_MAX) {
    err_set(e, r < 0 ? -r : EINVAL, "seccomp: generate the filter program");
    return NULL;
  }
  struct seccomp_prog *p = xcalloc(1, sizeof(*p));
  p->flags = kflags;
  p->n = (uint32_t)(st.st_size / 8);
  p->insns = xmalloc((size_t)st.st_size);
  if (pread(fd, p->insns, (size_t)st.st_size, 0) != st.st_size) {
    err_set(e, errno, "seccomp: read the filter program");
    filter_free(p);
    return NULL;
  }
  return p;
}

/* What besides the profile decides the program libseccomp generates. */
static char *cache_key(void) {
  const struct scmp_version *v = seccomp_version();
  return xasprintf("cairn-runtime seccomp 1; libseccomp %u.%u.%u; api %u; arch %u", v->major,
                   v->minor, v->micro, seccomp_api_get(), seccomp_arch_native());
}

void *filter_build(json_t *spec, const char *cache_dir, struct err **e) {
  cleanup_free char *json = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
  cleanup_free char *key = cache_key();
  struct seccomp_prog *p = cache_dir ? seccomp_cache_get(cache_dir, key, json) : NULL;
  if (p != NULL)
    return p;
  uint32_t kflags = 0;
  scmp_filter_ctx ctx = build_ctx(spec, &kflags, e);
  if (ctx == NULL)
    return NULL;
  p = export_prog(ctx, kflags, e);
  seccomp_release(ctx);
  if (p != NULL && cache_dir != NULL)
    seccomp_cache_put(cache_dir, key, json, p);
  return p;
}

int filter_load(void *prog, struct err **e) {
  const struct seccomp_prog *p = prog;
  struct sock_fprog f = {.len = (unsigned short)p->n, .filter = p->insns};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &f);
  if (r < 0 && errno == ENOSYS && p->flags == 0)
    r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f);
  if (r < 0)
    return err_set(e, errno, "load the seccomp filter");
  return 0;
}

/* A classic BPF interpreter for seccomp programs (the instructions the
 * kernel accepts in a filter), to ask the program about one call. */
int filter_allows(const void *prog, uint32_t arch, int nr, const uint64_t args[6]) {
  const struct seccomp_prog *p = prog;
  uint32_t data[16] = {(uint32_t)nr, arch}; /* struct seccomp_data as words */
  for (int i = 0; i < 6; i++) {
    data[4 + 2 * i] = (uint32_t)args[i];
    data[5 + 2 * i] = (uint32_t)(args[i] >> 32);
  }
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};
  for (uint32_t pc = 0; pc < p->n; pc++) {
    const struct sock_filter *f = &p->insns[pc];
    uint32_t k = f->k, src = BPF_SRC(f->code) == BPF_X ? X : k;
    switch (BPF_CLASS(f->code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t v;
        if (BPF_MODE(f->code) == BPF_ABS && BPF_SIZE(f->code) == BPF_W && k % 4 == 0 && k < 64)
          v = data[k / 4];
        else if (BPF_MODE(f->code) == BPF_LEN)
          v = 64;
        else if (BPF_MODE(f->code) == BPF_IMM)
          v = k;
        else if (BPF_MODE(f->code) == BPF_MEM && k < BPF_MEMWORDS)
          v = M[k];
        else
          return 0;
        if (BPF_CLASS(f->code) == BPF_LD)
          A = v;
        else
          X = v;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS)
          return 0;
        M[k] = BPF_CLASS(f->code) == BPF_ST ? A : X;
        break;
      case BPF_ALU:
        switch (BPF_OP(f->code)) {
          case BPF_ADD: A += src; break;
          case BPF_SUB: A -= src; break;
          case BPF_MUL: A *= src; break;
          case BPF_DIV:
            if (src == 0)
              return 0;
            A /= src;
            break;
          case BPF_MOD:
            if (src == 0)
              return 0;
            A %= src;
            break;
          case BPF_AND: A &= src; break;
          case BPF_OR: A |= src; break;
          case BPF_XOR: A ^= src; break;
          case BPF_LSH: A = src < 32 ? A << src : 0; break;
          case BPF_RSH: A = src < 32 ? A >> src : 0; break;
          case BPF_NEG: A = -A; break;
          default: return 0;
        }
        break;
      case BPF_JMP: {
        int t;
        switch (BPF_OP(f->code)) {
          case BPF_JA: pc += k; continue;
          case BPF_JEQ: t = A == src; break;
          case BPF_JGT: t = A > src; break;
          case BPF_JGE: t = A >= src; break;
          case BPF_JSET: t = (A & src) != 0; break;
          default: return 0;
        }
        pc += t ? f->jt : f->jf;
        break;
      }
      case BPF_RET: {
        uint32_t r = BPF_RVAL(f->code) == BPF_A ? A : k;
        uint32_t act = r & SECCOMP_RET_ACTION_FULL;
        return act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_LOG;
      }
      case BPF_MISC:
        if (BPF_MISCOP(f->code) == BPF_TAX)
          X = A;
        else
          A = X;
        break;
      default: return 0;
    }
  }
  return 0;
}

void filter_free(void *prog) {
  struct seccomp_prog *p = prog;
  if (p == NULL)
    return;
  free(p->insns);
  free(p);
}

json_t *filter_features(void) {
  json_t *a = json_array(), *o = json_array(), *ar = json_array(), *kf = json_array(),
         *sf = json_array();
  for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
    json_array_append_new(a, json_string(actions[i].name));
  for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
    json_array_append_new(o, json_string(operators[i].name));
  for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
    uint32_t tok;
    if (arch_token(archs[i], &tok) == 0)
      json_array_append_new(ar, json_string(archs[i]));
  }
  for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
    json_array_append_new(kf, json_string(flags[i]));
    json_array_append_new(sf, json_string(flags[i]));
  }
  return json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "enabled", 1, "actions", a, "operators", o, "archs",
                   ar, "knownFlags", kf, "supportedFlags", sf);
}
