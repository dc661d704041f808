/* Unit tests of the cgroup module's pure parts: linux.resources parsing and
 * validation, the v1→v2 conversions (shares→weight, cpu.max, swap), the v1
 * device rule lines, and the shape of the eBPF device program.  The v2
 * memory/cpu/io files themselves need a v2 host with controllers. */
#include <linux/bpf.h>

#include "../../runtime/cgroup_internal.h"
#include "json.h"
#include "mem.h"
#include "unit.h"

static int parse(const char *text, struct cg_res *r, char **msg) {
  struct err *e = NULL;
  cleanup_json json_t *j = json_load_str(text, "test", &e);
  if (j == NULL) {
    fprintf(stderr, "bad test json: %s\n", e->msg);
    exit(2);
  }
  int rc = cg_res_parse(j, r, &e);
  *msg = NULL;
  if (rc < 0) {
    *msg = xstrdup(e->msg);
    err_free(&e);
  }
  return rc;
}

static char *parse_err(const char *text) {
  struct cg_res r;
  char *msg;
  if (parse(text, &r, &msg) == 0)
    cg_res_free(&r);
  return msg;
}

TEST(shares_to_weight) {
  CHECK(cg_shares_to_weight(0) == 0);
  CHECK(cg_shares_to_weight(2) == 1);
  CHECK(cg_shares_to_weight(1024) == 39); /* docker's default shares */
  CHECK(cg_shares_to_weight(512) == 20);
  CHECK(cg_shares_to_weight(262144) == 10000);
  CHECK(cg_shares_to_weight(1) == 1); /* clamped */
  CHECK(cg_shares_to_weight(1u << 30) == 10000);
}

TEST(blkio_to_io_weight) {
  CHECK(cg_blkio_to_io_weight(10) == 1);
  CHECK(cg_blkio_to_io_weight(1000) == 10000);
  CHECK(cg_blkio_to_io_weight(500) == 4950);
}

TEST(cpu_max) {
  struct cg_i64 none = {false, 0};
  cleanup_free char *a = cg_v2_cpu_max((struct cg_i64){true, 50000}, (struct cg_i64){true, 100000});
  CHECK_STR(a, "50000 100000");
  cleanup_free char *b = cg_v2_cpu_max((struct cg_i64){true, -1}, (struct cg_i64){true, 100000});
  CHECK_STR(b, "max 100000");
  cleanup_free char *c = cg_v2_cpu_max((struct cg_i64){true, 20000}, none);
  CHECK_STR(c, "20000");
  cleanup_free char *d = cg_v2_cpu_max(none, (struct cg_i64){true, 250000});
  CHECK_STR(d, "max 250000");
  CHECK(cg_v2_cpu_max(none, none) == NULL);
}

static char *swap(struct cg_i64 limit, struct cg_i64 sw, int *rc) {
  struct err *e = NULL;
  char *out = (char *)"unset";
  *rc = cg_v2_swap_max(limit, sw, &out, &e);
  CHECK((*rc < 0) == (e != NULL));
  CHECK(*rc == 0 || out == NULL);
  err_free(&e);
  return out;
}

TEST(swap_max) {
  struct cg_i64 none = {false, 0};
  int rc;
  cleanup_free char *a =
      swap((struct cg_i64){true, 100 << 20}, (struct cg_i64){true, 300 << 20}, &rc);
  CHECK_STR(a, "209715200"); /* swap alone = (memory+swap) - memory */
  cleanup_free char *b =
      swap((struct cg_i64){true, 100 << 20}, (struct cg_i64){true, 100 << 20}, &rc);
  CHECK_STR(b, "0");
  cleanup_free char *c = swap((struct cg_i64){true, 100 << 20}, (struct cg_i64){true, -1}, &rc);
  CHECK_STR(c, "max");
  CHECK(swap((struct cg_i64){true, 100 << 20}, none, &rc) == NULL && rc == 0);
  CHECK(swap(none, (struct cg_i64){true, 100 << 20}, &rc) == NULL && rc < 0);
  CHECK(swap((struct cg_i64){true, 200 << 20}, (struct cg_i64){true, 100 << 20}, &rc) == NULL &&
        rc < 0);
  /* the caller may not care about the message */
  char *out;
  CHECK(cg_v2_swap_max(none, (struct cg_i64){true, 1}, &out, NULL) < 0);
  cleanup_free char *m = cg_v2_bytes(-1);
  CHECK_STR(m, "max");
  cleanup_free char *n = cg_v2_bytes(4096);
  CHECK_STR(n, "4096");
}

TEST(parse_full) {
  struct cg_res r;
  char *msg;
  int rc = parse(
      "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728},"
      "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\",\"mems\":\"0\"},"
      "\"pids\":{\"limit\":32},\"blockIO\":{\"weight\":300,"
      "\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
      "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
      "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
      "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}],"
      "\"unified\":{\"memory.high\":\"50M\"}}",
      &r, &msg);
  CHECK(rc == 0);
  if (rc < 0) {
    fprintf(stderr, "%s\n", msg);
    free(msg);
    return;
  }
  CHECK(r.mem_limit.set && r.mem_limit.v == 67108864);
  CHECK(r.mem_resv.v == 33554432 && r.mem_swap.v == 134217728);
  CHECK(r.cpu_shares.v == 512 && r.cpu_quota.v == 50000 && r.cpu_period.v == 100000);
  CHECK_STR(r.cpus, "0-1");
  CHECK_STR(r.mems, "0");
  CHECK(r.pids_limit.set && r.pids_limit.v == 32);
  CHECK(r.blkio_weight.v == 300);
  CHECK(r.n_thr[CG_THR_RBPS] == 1 && r.thr[CG_THR_RBPS][0].major == 8 &&
        r.thr[CG_THR_RBPS][0].value == 1048576);
  CHECK(r.n_huge == 1);
  CHECK_STR(r.huge[0].size, "2MB");
  CHECK(r.has_devices && r.n_dev == 2);
  CHECK(!r.dev[0].allow && r.dev[0].type == 'a' && r.dev[0].access == CG_ACC_ALL);
  CHECK(r.dev[1].allow && r.dev[1].type == 'c' && r.dev[1].major == 1 && r.dev[1].minor == 3 &&
        r.dev[1].access == (CG_ACC_READ | CG_ACC_WRITE));
  CHECK(r.n_unified == 1);
  CHECK_STR(r.unified[0].key, "memory.high");
  for (int c = 0; c < CG_NCTRL; c++)
    CHECK(cg_res_wants(&r, (enum cg_ctrl)c) == (c != CG_CPUACCT && c != CG_FREEZER));
  cg_res_free(&r);
}

TEST(parse_empty) {
  struct cg_res r;
  struct err *e = NULL;
  CHECK(cg_res_parse(NULL, &r, &e) == 0);
  for (int c = 0; c < CG_NCTRL; c++)
    CHECK(!cg_res_wants(&r, (enum cg_ctrl)c));
  cg_res_free(&r);
  char *msg;
  /* zeros are "not set", as in runc */
  CHECK(parse("{\"memory\":{\"limit\":0},\"cpu\":{\"shares\":0,\"cpus\":\"\"}}", &r, &msg) == 0);
  CHECK(!cg_res_wants(&r, CG_MEMORY) && !cg_res_wants(&r, CG_CPU) && !cg_res_wants(&r, CG_CPUSET));
  cg_res_free(&r);
}

TEST(parse_errors) {
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{\"memory\":{\"limit\":\"64m\"}}", "linux.resources.memory.limit: expected an integer"},
      {"{\"memory\":{\"limit\":-5}}", "linux.resources.memory.limit: -5 is invalid"},
      {"{\"memory\":{\"limit\":200,\"swap\":100}}", "linux.resources.memory.swap: 100 is below"},
      {"{\"memory\":{\"swappiness\":101}}",
       "linux.resources.memory.swappiness: 101 is out of range"},
      {"{\"cpu\":{\"shares\":1}}", "linux.resources.cpu.shares: 1 is out of range (2-262144)"},
      {"{\"cpu\":{\"quota\":500}}", "linux.resources.cpu.quota: 500 is below"},
      {"{\"cpu\":{\"cpus\":\"0-1;rm\"}}", "linux.resources.cpu.cpus: '0-1;rm' is not a list"},
      {"{\"cpu\":[]}", "linux.resources.cpu: expected an object"},
      {"{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight: 5 is out of range"},
      {"{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}",
       "linux.resources.hugepageLimits[0].pageSize"},
      {"{\"devices\":[{\"allow\":\"yes\"}]}",
       "linux.resources.devices[0].allow: expected a boolean"},
      {"{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}", "linux.resources.devices[0].type"},
      {"{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}", "linux.resources.devices[0].access"},
      {"{\"unified\":{\"../x\":\"1\"}}",
       "linux.resources.unified: '../x' is not a controller file"},
      {"{\"network\":{\"classID\":1}}", "linux.resources.network: not supported"},
      {"[]", "linux.resources: expected an object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    cleanup_free char *msg = parse_err(cases[i].json);
    CHECK(msg != NULL && strncmp(msg, cases[i].want, strlen(cases[i].want)) == 0);
    if (msg == NULL || strncmp(msg, cases[i].want, strlen(cases[i].want)) != 0)
      fprintf(stderr, "  case %s: got \"%s\"\n", cases[i].json, msg ? msg : "(ok)");
  }
}

TEST(v1_dev_rules) {
  struct cg_dev_rule a = {false, 'a', -1, -1, CG_ACC_ALL};
  cleanup_free char *s1 = cg_v1_dev_rule(&a);
  CHECK_STR(s1, "a *:* rwm");
  struct cg_dev_rule b = {true, 'c', 1, 3, CG_ACC_READ | CG_ACC_WRITE};
  cleanup_free char *s2 = cg_v1_dev_rule(&b);
  CHECK_STR(s2, "c 1:3 rw");
  struct cg_dev_rule c = {true, 'c', 136, -1, CG_ACC_MKNOD};
  cleanup_free char *s3 = cg_v1_dev_rule(&c);
  CHECK_STR(s3, "c 136:* m");
}

/* A tiny interpreter for the subset of eBPF cg_bpf_build emits, to check
 * the program's verdicts without loading it. */
static int run_prog(const struct bpf_insn *p, size_t n, uint32_t type, uint32_t acc, uint32_t maj,
                    uint32_t min) {
  uint32_t ctx[3] = {acc << 16 | type, maj, min};
  uint64_t r[11] = {0};
  for (size_t pc = 0; pc < n; pc++) {
    const struct bpf_insn *i = &p[pc];
    switch (i->code) {
      case BPF_LDX | BPF_MEM | BPF_W: r[i->dst_reg] = ctx[i->off / 4]; break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
        break;
      case BPF_ALU | BPF_RSH | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm; break;
      case BPF_ALU | BPF_MOV | BPF_X: r[i->dst_reg] = (uint32_t)r[i->src_reg]; break;
      case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = (uint64_t)(int64_t)i->imm; break;
      case BPF_JMP32 | BPF_JNE | BPF_K:
        if ((uint32_t)r[i->dst_reg] != (uint32_t)i->imm)
          pc += (size_t)i->off;
        break;
      case BPF_JMP32 | BPF_JEQ | BPF_K:
        if ((uint32_t)r[i->dst_reg] == (uint32_t)i->imm)
          pc += (size_t)i->off;
        break;
      case BPF_JMP | BPF_EXIT: return (int)r[0];
      default: return -1;
    }
  }
  return -2; /* fell off the end */
}

TEST(bpf_program) {
  enum {
    C = BPF_DEVCG_DEV_CHAR,
    B = BPF_DEVCG_DEV_BLOCK,
    R = BPF_DEVCG_ACC_READ,
    W = BPF_DEVCG_ACC_WRITE,
    M = BPF_DEVCG_ACC_MKNOD
  };
  struct cg_dev_rule rules[] = {
      {false, 'a', -1, -1, CG_ACC_ALL},                 /* deny all */
      {true, 'c', 1, 3, CG_ACC_ALL},                    /* /dev/null */
      {true, 'c', 136, -1, CG_ACC_READ | CG_ACC_WRITE}, /* pts, no mknod */
      {false, 'c', 1, 3, CG_ACC_WRITE},                 /* but no writing /dev/null */
      {true, 'b', 4000000000LL, 1, CG_ACC_READ},        /* a major above 2^31 */
  };
  size_t n;
  cleanup_free struct bpf_insn *p = cg_bpf_build(rules, 5, &n);
  CHECK(run_prog(p, n, C, R, 1, 3) == 1);
  CHECK(run_prog(p, n, C, W, 1, 3) == 0);
  CHECK(run_prog(p, n, C, R | W, 1, 3) == 0);
  CHECK(run_prog(p, n, C, M, 1, 3) == 1);
  CHECK(run_prog(p, n, C, R | W, 136, 7) == 1);
  CHECK(run_prog(p, n, C, M, 136, 7) == 0);
  CHECK(run_prog(p, n, C, R, 1, 5) == 0); /* /dev/zero: denied by default */
  CHECK(run_prog(p, n, B, R, 1, 3) == 0); /* type matters */
  CHECK(run_prog(p, n, B, R, 4000000000u, 1) == 1);
  CHECK(run_prog(p, n, B, W, 4000000000u, 1) == 0);

  /* allow-all last: everything allowed, earlier rules not even emitted */
  struct cg_dev_rule all[] = {{false, 'c', 1, 3, CG_ACC_ALL}, {true, 'a', -1, -1, CG_ACC_ALL}};
  cleanup_free struct bpf_insn *q = cg_bpf_build(all, 2, &n);
  CHECK(n == 8);
  CHECK(run_prog(q, n, C, R, 1, 3) == 1);

  /* no rules: deny everything */
  cleanup_free struct bpf_insn *z = cg_bpf_build(NULL, 0, &n);
  CHECK(run_prog(z, n, C, R, 1, 3) == 0);
}

int main(void) {
  RUN(shares_to_weight);
  RUN(blkio_to_io_weight);
  RUN(cpu_max);
  RUN(swap_max);
  RUN(parse_full);
  RUN(parse_empty);
  RUN(parse_errors);
  RUN(v1_dev_rules);
  RUN(bpf_program);
  return UNIT_DONE();
}
