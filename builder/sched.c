/* sched.c — the order stages run in, and running independent ones at the
 * same time.
 *
 * A stage can start once every stage it names (FROM, COPY --from, RUN
 * --mount from=) is done.  When only one stage can run, it runs in this
 * process.  When several can, each runs in a forked child (up to the
 * number of cores): the child builds its stage exactly as this process
 * would (same cache keys, same commits, so the result does not depend on
 * the schedule), sends its progress and finally its image (or its error)
 * to us as frames on a pipe (progress.c), and exits.  The first failure
 * cancels the others: SIGTERM makes a child kill its running RUN (whose
 * container `delete -f` then removes), stop before its next step and
 * clean up as after any failed step. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "df_int.h"
#include "json.h"
#include "mem.h"

enum { PENDING, RUNNING, DONE };

struct child {
  size_t stage;
  pid_t pid;
  int fd;
  struct dbuf in;
  struct prog_map map;
  json_t *result;
  struct err *err;
  int run_status; /* of its failed RUN */
};

struct sched {
  struct build *b;
  int *state;
  struct child *kids;
  size_t nkids;
  struct err *first; /* the first failure */
};

static void on_term(int sig) {
  (void)sig;
  build_cancelled = 1;
  /* the container's processes keep the RUN's output pipe open: kill
   * them through the runtime (fork and execv are async-signal-safe) */
  char *const *av = build_cancel_argv;
  if (av != NULL && fork() == 0) {
    execv(av[0], av);
    _exit(127);
  }
}

/* The child's side: build the stage, send the result, exit. */
static _Noreturn void child_main(struct build *b, size_t i, int fd, pid_t parent) {
  struct sigaction sa = {.sa_handler = on_term};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a gone parent: frames are lost, cleanup goes on */
  /* a killed cairn-build takes its stages with it (cancelled: they clean
   * up); the parent may already be gone by now */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent)
    on_term(SIGTERM);
  prog_forward(b, fd);
  /* scratch names of its own under the build's scratch dir */
  b->tmp_seq = (int)(i + 1) * 100000;
  struct stage_run *sr = &b->stages[i];
  struct err *e = NULL;
  if (stage_exec(b, sr, &e) == 0) {
    json_t *res = json_pack("{s:s?,s:s?,s:O,s:O}", "ref", sr->img.ref, "id", sr->img.id, "cc",
                            sr->img.cc ? sr->img.cc : json_null(), "used", b->used_args);
    char *t = json_dumps(res, JSON_COMPACT);
    prog_frame(b, PF_RESULT, t, strlen(t));
    _exit(0);
  }
  json_t *fail = json_pack("{s:s,s:i,s:i,s:i}", "msg", e->msg, "code", e->code, "errno", e->errnum,
                           "run_status", b->o->run_status);
  char *t = json_dumps(fail, JSON_COMPACT);
  prog_frame(b, PF_FAIL, t, strlen(t));
  _exit(1);
}

static int on_frame(void *arg, int type, const char *data, size_t len, struct err **e) {
  struct child *c = arg;
  json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
  if (j == NULL)
    return err_set(e, 0, "stage child: bad %s frame", type == PF_RESULT ? "result" : "error");
  if (type == PF_RESULT) {
    json_decref(c->result);
    c->result = j;
    return 0;
  }
  err_free(&c->err);
  c->err = xcalloc(1, sizeof(*c->err));
  c->err->msg = xstrdup(json_get_str(j, "msg") ? json_get_str(j, "msg") : "stage failed");
  c->err->code = (int)json_integer_value(json_object_get(j, "code"));
  c->err->errnum = (int)json_integer_value(json_object_get(j, "errno"));
  c->run_status = (int)json_integer_value(json_object_get(j, "run_status"));
  json_decref(j);
  return 0;
}

static int spawn_stage(struct sched *s, size_t i, struct err **e) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return err_set(e, errno, "pipe");
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return err_set(e, errno, "fork");
  }
  if (pid == 0) {
    close(p[0]);
    child_main(s->b, i, p[1], parent);
  }
  close(p[1]);
  s->kids = xrealloc(s->kids, (s->nkids + 1) * sizeof(*s->kids));
  s->kids[s->nkids++] = (struct child){.stage = i, .pid = pid, .fd = p[0]};
  s->state[i] = RUNNING;
  return 0;
}

static void cancel_all(struct sched *s) {
  for (size_t k = 0; k < s->nkids; k++)
    kill(s->kids[k].pid, SIGTERM);
}

/* A child's pipe reached its end: take its image or its error. */
static void collect(struct sched *s, size_t k) {
  struct child *c = &s->kids[k];
  int st;
  while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
    ;
  struct stage_run *sr = &s->b->stages[c->stage];
  if (c->result != NULL && c->err == NULL && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    bimage_free(&sr->img);
    const char *ref = json_get_str(c->result, "ref");
    const char *id = json_get_str(c->result, "id");
    sr->img.ref = ref ? xstrdup(ref) : NULL;
    sr->img.id = id ? xstrdup(id) : NULL;
    json_t *cc = json_object_get(c->result, "cc");
    sr->img.cc = json_is_object(cc) ? json_deep_copy(cc) : json_object();
    json_object_update(s->b->used_args, json_object_get(c->result, "used"));
    sr->done = true;
    s->state[c->stage] = DONE;
  } else if (s->first == NULL) {
    if (c->err == NULL) {
      c->err = xcalloc(1, sizeof(*c->err));
      c->err->msg = xasprintf("stage %zu: its builder ended without a result", c->stage);
      c->err->code = ERR_FAIL;
    }
    if (c->err->code == ERR_RUNFAIL)
      s->b->o->run_status = c->run_status;
    s->first = c->err;
    c->err = NULL;
    cancel_all(s);
  }
  json_decref(c->result);
  err_free(&c->err);
  free(c->in.p);
  free(c->map.ids);
  close(c->fd);
  s->kids[k] = s->kids[--s->nkids];
}

/* Read what the children send until one of them ends. */
static int pump(struct sched *s, struct err **e) {
  struct pollfd *pf = xcalloc(s->nkids, sizeof(*pf));
  for (size_t k = 0; k < s->nkids; k++)
    pf[k] = (struct pollfd){.fd = s->kids[k].fd, .events = POLLIN};
  int n;
  while ((n = poll(pf, s->nkids, -1)) < 0 && errno == EINTR)
    ;
  if (n < 0) {
    free(pf);
    return err_set(e, errno, "poll");
  }
  for (size_t k = s->nkids; k > 0; k--) {
    struct child *c = &s->kids[k - 1];
    if (pf[k - 1].revents == 0)
      continue;
    char buf[65536];
    ssize_t r = read(c->fd, buf, sizeof(buf));
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (r > 0) {
      dbuf_addn(&c->in, buf, (size_t)r);
      size_t used = 0;
      struct err *fe = NULL;
      if (prog_replay(s->b, &c->map, c->in.p, c->in.len, &used, on_frame, c, &fe) < 0) {
        err_free(&c->err);
        c->err = fe;
      }
      memmove(c->in.p, c->in.p + used, c->in.len - used);
      c->in.len -= used;
      continue;
    }
    collect(s, k - 1);
  }
  free(pf);
  return 0;
}

static int jobs(void) {
  const char *j = getenv("CAIRN_BUILD_JOBS");
  long n = j && *j ? strtol(j, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int sched_run(struct build *b, struct err **e) {
  struct sched s = {.b = b, .state = xcalloc(b->nstages, sizeof(int))};
  int max = jobs();
  int r = 0;
  for (;;) {
    size_t ready[64], nready = 0;
    for (size_t i = 0; s.first == NULL && i <= b->target && nready < 64; i++) {
      if (!b->needed[i] || s.state[i] != PENDING)
        continue;
      bool ok = true;
      for (size_t j = 0; j < b->nstages && ok; j++)
        ok = !b->deps[i * b->nstages + j] || s.state[j] == DONE;
      if (ok)
        ready[nready++] = i;
    }
    if (s.nkids == 0 && nready == 0)
      break;
    if (s.nkids == 0 && (nready == 1 || max == 1)) {
      /* alone: in this process, as a one-stage build always is */
      s.state[ready[0]] = RUNNING;
      if (stage_exec(b, &b->stages[ready[0]], e) < 0) {
        r = -1;
        break;
      }
      s.state[ready[0]] = DONE;
      continue;
    }
    for (size_t k = 0; k < nready && (int)s.nkids < max; k++) {
      if (spawn_stage(&s, ready[k], e) < 0) {
        r = -1;
        cancel_all(&s);
        break;
      }
    }
    if (r < 0 || pump(&s, e) < 0) {
      r = -1;
      cancel_all(&s);
      break;
    }
  }
  /* after an error of ours: the children still need reaping */
  while (s.nkids > 0) {
    struct err *ie = NULL;
    if (pump(&s, &ie) < 0) {
      err_free(&ie);
      for (size_t k = 0; k < s.nkids; k++)
        kill(s.kids[k].pid, SIGKILL);
      while (s.nkids > 0)
        collect(&s, s.nkids - 1);
    }
  }
  if (s.first != NULL) {
    if (r == 0) {
      *e = s.first;
      r = -1;
    } else {
      err_free(&s.first);
    }
  }
  free(s.kids);
  free(s.state);
  return r;
}
