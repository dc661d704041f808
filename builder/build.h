/* build.h — the executor of cairn-build: what its files share.
 *
 * A build walks the needed stages of a parsed Dockerfile (dockerfile.h) in
 * order; every instruction turns the stage's current image into a new one
 * through `cairn-image commit` (an upper dir, possibly empty, plus the new
 * container config), unless the cache already knows the result.  Other
 * tools are always run by exec: cairn-image, cairn-spec, cairn-net and a
 * runc-compatible runtime. */
#ifndef CAIRN_BUILD_H
#define CAIRN_BUILD_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "dockerfile.h"
#include "err.h"

/* A RUN whose command failed: main exits with code (the command's status). */
#define ERR_RUNFAIL 50

struct build_opts {
  const char *context;  /* the context directory */
  const char *file;     /* the Dockerfile path; NULL: CONTEXT/Dockerfile */
  char **tags;          /* -t, NULL-ended (may be NULL) */
  char **build_args;    /* --build-arg K=V or K */
  char **labels;        /* --label K=V */
  const char *target;   /* --target */
  const char *network;  /* none | host | default */
  const char *runtime;  /* name or path */
  const char *platform; /* only linux/<host arch> is accepted */
  const char *iidfile;
  const char *compression; /* of new layers: gzip (default), zstd, none */
  const char *output;      /* --output type=oci|docker,dest=FILE */
  const char *progress;    /* --progress auto|plain|tty */
  char **secrets;          /* --secret id=X,src=FILE|env=VAR */
  bool no_cache, pull, quiet;
  int run_status;         /* the failing RUN's exit status */
  const char *root, *run; /* CAIRN_ROOT, CAIRN_RUN */
  long long epoch;        /* SOURCE_DATE_EPOCH or 0 */
};

/* An image as the builder tracks it. */
struct bimage {
  char *ref;  /* manifest digest ("sha256:…"), what commit --parent takes; NULL: scratch */
  char *id;   /* config digest: the image id */
  json_t *cc; /* its container config ("config" of the image config) */
};
void bimage_free(struct bimage *b);
void bimage_copy(struct bimage *dst, const struct bimage *src);

/* The state of a stage while its instructions run. */
struct stage_run {
  struct df_stage *st;
  struct bimage img;
  json_t *args; /* ARGs declared in this stage: name -> value (string or null) */
  bool cmd_set; /* CMD given in this stage (ENTRYPOINT then keeps it) */
  bool done;
};

struct build {
  struct build_opts *o;
  struct df_file *df;
  char *df_name; /* base name for messages */
  struct stage_run *stages;
  size_t nstages;
  size_t target; /* index of the final stage */
  bool *needed;
  bool *deps;          /* deps[i * nstages + j]: stage i needs stage j's image */
  json_t *global_args; /* name -> value */
  json_t *build_args;  /* --build-arg: name -> value */
  json_t *used_args;   /* build args consumed: name -> true */
  struct context *ctx; /* the context, walked on first use */
  int step;            /* #N of the current step (progress.c numbers them) */
  struct prog *prog;   /* the progress display */
  char *tmp;           /* $CAIRN_ROOT/build-tmp/<random> */
  int tmp_lock;        /* the flock on <tmp>.lock */
  int tmp_seq;
  char *author;       /* MAINTAINER, for the next commit */
  char *warning;      /* printed at the end */
  char **mountpoints; /* mount points the current RUN's --mounts need, for mountpoints_remove */
};

/* ---- tools.c: running the other executables ---- */

/* The path of tool NAME: next to our own binary, else NAME (PATH lookup). */
char *tool_path(const char *name);
struct tool_res {
  char *out; /* captured stdout */
  size_t out_len;
  char *err; /* captured stderr */
  int status;
};
/* Run argv (argv[0] a tool name) with stdin bytes; stdout and stderr are
 * captured.  A non-zero status is an error naming argv[0] and carrying
 * its stderr, unless res is given (then the caller judges the status). */
int tool_run(struct build *b, const char *const *argv, const char *in, size_t in_len,
             struct tool_res *res, struct err **e);
void tool_res_free(struct tool_res *r);
/* Like tool_run with a result, its stdout and stderr also shown live as
 * step's output; build_running_pid holds its pid meanwhile (a cancelled
 * stage kills it: build_cancelled is then set). */
int tool_run_shown(struct build *b, const char *const *argv, int step, struct tool_res *res,
                   struct err **e);
extern volatile pid_t build_running_pid;
extern volatile sig_atomic_t build_cancelled;
/* While a RUN's container runs: the command that kills it (an absolute
 * path first, for execv), run by a cancelled stage's signal handler. */
extern char *const *volatile build_cancel_argv;
/* Like tool_run with the output parsed as JSON. */
json_t *tool_json(struct build *b, const char *const *argv, const char *in, struct err **e);
/* The build's scratch dir $ROOT/build-tmp/<random>, locked by
 * <random>.lock while the build runs; removed (mounts under it too). */
int build_tmp_create(struct build *b, struct err **e);
void build_tmp_remove(struct build *b);
/* Remove the scratch dirs of builds that died (their lock is free). */
int build_tmp_sweep(const char *root, struct err **e);
/* A fresh scratch directory under b->tmp. */
char *build_tmpdir(struct build *b, const char *what, struct err **e);

/* ---- progress.c: what stderr shows (plain lines, a live tty display, or
 * nothing with -q) ---- */
int prog_open(struct build *b, const char *mode, struct err **e);
/* The final frame (tty), then a failed step's output; frees the display. */
void prog_close(struct build *b, bool ok);
/* A new step: returns its number (also left in b->step).  header: plain
 * mode prints "#N TEXT" for it. */
int prog_step(struct build *b, bool header, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Output of a step (any bytes; split into lines). */
void prog_output(struct build *b, int id, const char *buf, size_t len);
void prog_note(struct build *b, int id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* line: plain mode prints "#N DONE 0.3s". */
void prog_done(struct build *b, int id, bool line);
void prog_cached(struct build *b, int id);
void prog_error(struct build *b, int id);
/* Steps expected beyond those started (the header's count). */
void prog_total(struct build *b, int more);

/* A stage run in a forked child sends its events (and its result) to the
 * parent as frames on a pipe: prog_forward switches the child's display to
 * that; the parent feeds what it reads to prog_replay, which replays the
 * display's frames with the parent's step numbers (m maps the child's)
 * and hands the other frames (PF_RESULT, PF_FAIL) to fn.  *used: the bytes
 * consumed (a partial frame is left for the next call). */
enum { PF_STEP = 1, PF_OUT, PF_END, PF_RESULT, PF_FAIL };
struct prog_map {
  int *ids;
  size_t n;
};
typedef int (*prog_frame_fn)(void *arg, int type, const char *data, size_t len, struct err **e);
void prog_forward(struct build *b, int fd);
void prog_frame(struct build *b, int type, const char *data, size_t len);
int prog_replay(struct build *b, struct prog_map *m, const char *buf, size_t len, size_t *used,
                prog_frame_fn fn, void *arg, struct err **e);

/* ---- plan.c ---- */
/* Mark the stages the target needs (FROM and COPY --from / RUN --mount
 * from= references) and set b->target. */
int plan_stages(struct build *b, struct err **e);
/* The stage a FROM or --from word names among those before `before`;
 * NULL when it names an image. */
struct stage_run *plan_stage_ref(struct build *b, const char *name, size_t before);

/* ---- vars: expansion with the stage's ARGs and ENV ---- */
struct vars {
  struct build *b;
  struct stage_run *sr; /* NULL: the global scope (FROM) */
};
const char *vars_lookup(void *ctx, const char *name);
char *vexpand(struct build *b, struct stage_run *sr, const char *word, struct err **e);

/* ---- image.c: images from the store ---- */
/* Resolve (and pull when missing or when --pull) a base image. */
int image_base(struct build *b, const char *name, struct bimage *out, struct err **e);
/* Commit an upper dir (NULL: nothing), or the layer as a tar file (tar
 * set), on top of parent with the container config cc and history text. */
int image_commit(struct build *b, const struct bimage *parent, const char *upper, const char *tar,
                 json_t *cc, const char *created_by, struct bimage *out, struct err **e);
/* Mount image as BUNDLE/rootfs (an overlay with BUNDLE/upper). */
int image_unpack(struct build *b, const struct bimage *img, const char *bundle, struct err **e);
int image_umount(struct build *b, const char *bundle, struct err **e);
/* Clamp every mtime under dir to b->o->epoch (reproducible layers). */
int clamp_times(const char *dir, long long epoch, struct err **e);

/* ---- context.c ---- */
struct ctx_file {
  char *path; /* relative, '/'-separated */
  mode_t mode;
  char hash[DIGEST_STR_LEN + 1]; /* content (files), target (symlinks), "" (dirs) */
};
struct context {
  char *root;
  struct ctx_file *files; /* sorted by path; excluded entries left out */
  size_t n;
};
int context_load(struct build *b, struct err **e);
/* The context entries a COPY source names: itself and what is under it,
 * or what a glob matches (indexes into files, in path order). */
struct ctx_match {
  size_t *v;
  size_t n;
  bool glob;
  char *resolved; /* a named source resolved inside the context; NULL for globs */
};
int context_match(struct build *b, const char *src, struct ctx_match *m, struct err **e);
void ctx_match_free(struct ctx_match *m);
/* A source made relative and clean ("/a/../b/" -> "b"; "." -> ""). */
char *context_clean(const char *src);
/* The digest of the sources (after expansion) of a COPY/ADD; also
 * checks they exist. */
int context_sources_hash(struct build *b, char **srcs, size_t n, char out[DIGEST_STR_LEN + 1],
                         struct err **e);
void context_free(struct context *c);

/* ---- cache.c ---- */
/* Look key up: fills out and returns 1 on a hit, 0 on a miss. */
int cache_get(struct build *b, const char *key, struct bimage *out);
int cache_put(struct build *b, const char *key, const struct bimage *img, struct err **e);
int cache_prune(const char *root, uint64_t *freed, struct err **e);

/* ---- config.c: the instructions that only change the config ---- */
/* Apply a metadata instruction (ENV, CMD, …) to sr->img.cc; *created_by
 * gets the history text. */
int config_apply(struct build *b, struct stage_run *sr, struct df_instr *in, char **created_by,
                 struct err **e);
/* The shell of a stage (config Shell, default /bin/sh -c). */
json_t *config_shell(json_t *cc);
/* Env entries of cc as a JSON array (never NULL). */
const char *config_env_get(json_t *cc, const char *name);
void config_env_set(json_t *cc, const char *name, const char *value);

/* ---- exec_run.c ---- */
int run_instr(struct build *b, struct stage_run *sr, struct df_instr *in, const char *upper_bundle,
              struct err **e);
/* The argv a RUN runs, and the history text. */
json_t *run_argv(struct stage_run *sr, struct df_instr *in);

/* ---- copy.c ---- */
/* Into the mounted rootfs, or (tarpath set) as a tar of the layer. */
int copy_instr(struct build *b, struct stage_run *sr, struct df_instr *in, const char *rootfs,
               const char *tarpath, struct err **e);
bool copy_as_tar(struct df_instr *in);
/* The cache identity of a COPY/ADD's sources. */
int copy_key(struct build *b, struct stage_run *sr, struct df_instr *in,
             char out[DIGEST_STR_LEN + 1], struct err **e);

/* One "k=v" option of a comma-separated --mount/--secret spec: NULL when
 * absent, "" for a bare key (exec_run.c). */
char *spec_opt(const char *spec, const char *key);

/* ---- secret.c ---- */
/* A --secret spec checked (id= present, one source). */
int secret_check(const char *spec, struct err **e);
/* RUN --mount=type=secret: a tmpfs (listed in dirs) holding the secret,
 * bound read-only at its target by cairn-spec flags added to spec_args;
 * the mount points it needs in rootfs are listed in b->mountpoints. */
int secret_mount(struct build *b, const char *spec, const char *rootfs, char ***spec_args,
                 char ***dirs, struct err **e);
void secret_umount(char **dirs);
/* Note in b->mountpoints the parts of target (absolute) missing from rootfs:
 * the runtime creates them as mount points for a RUN --mount. */
void mountpoints_note(struct build *b, const char *rootfs, const char *target);
/* Remove b->mountpoints from an upper dir (empty files and directories only),
 * so that no --mount leaves a trace in the layer (BuildKit's rule). */
void mountpoints_remove(struct build *b, const char *upper);

/* ---- output.c ---- */
int oci_archive(struct build *b, const struct bimage *img, const char *tag, const char *dest,
                struct err **e);

/* ---- stage.c ---- */
int build_run(struct build *b, struct err **e);
/* One stage, FROM to its last instruction. */
int stage_exec(struct build *b, struct stage_run *sr, struct err **e);

/* ---- sched.c ---- */
/* Run the needed stages up to the target, dependencies first; stages
 * that do not depend on each other run at the same time in forked
 * children (as many as there are cores, or CAIRN_BUILD_JOBS). */
int sched_run(struct build *b, struct err **e);

#endif
