/* runtime.h — what cairn-runtime's commands share: the global flags, the
 * command table's handler type, and small helpers (container ids, the
 * state directory, logging).
 *
 * A command handler returns the process exit code (>= 0) or -1 with *e set;
 * main() prints the error once (and to --log when given). */
#ifndef CAIRN_RUNTIME_H
#define CAIRN_RUNTIME_H

#include <stdio.h>
#include <sys/types.h>

#include "err.h"

#define RT_NAME "cairn-runtime"
#define RT_VERSION "0.1.0"
#define RT_OCI_VERSION "1.1.0"
#define RT_DEFAULT_ROOT "/run/cairn-runtime"

struct rt_opts {
  const char *root;     /* --root: where state dirs live */
  const char *log_path; /* --log: NULL = stderr only */
  int log_json;         /* --log-format json */
  int debug;            /* --debug */
  int systemd_cgroup;   /* --systemd-cgroup */
  /* create, run, exec (CVE-2019-5736, see rt_protect) */
  char **argv;       /* ours, to re-execute ourselves */
  int exe_protected; /* we run from a sealed copy or a read-only mount */
};

typedef int (*rt_cmd_fn)(struct rt_opts *g, int argc, char **argv, struct err **e);

int cmd_create(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_start(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_run(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_state(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_kill(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_delete(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_exec(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_list(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_ps(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_pause(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_resume(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_update(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_events(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_spec(struct rt_opts *g, int argc, char **argv, struct err **e);
int cmd_features(struct rt_opts *g, int argc, char **argv, struct err **e);

/* Container ids: runc's rule, [A-Za-z0-9][A-Za-z0-9_.+-]* up to 1024 chars
 * (so never '/', "." or ".."). */
int rt_check_id(const char *id, struct err **e);

/* Flag parsing shared by the commands: a getopt_long_only loop wrapper that
 * turns unknown flags into one usage error naming the command. */
struct option;
int rt_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
              const char *cmd, struct err **e);
/* The one positional ID a command expects at argv[optind]; usage error
 * otherwise. */
const char *rt_arg_id(int argc, char **argv, const char *cmd, struct err **e);
/* Print a command's help text (usage line + flag lines) to stdout. */
void rt_help(const char *usage, const char *text);

/* Logging to --log (runc/logrus shapes: text `time="…" level=error msg="…"`
 * or JSON `{"level","msg","time"}` one per line).  Without --log, debug
 * lines go to stderr when --debug is set and errors are only printed by
 * main(). */
void log_open(const struct rt_opts *g);
void log_error(const char *msg);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The log fd (-1 without --log), so that a child can keep writing to it. */
int log_fd(void);

/* Protection against CVE-2019-5736: make sure this process runs from a
 * sealed in-memory copy of its binary (re-executing itself once when it
 * does not), so that a container process that manages to execute the
 * runtime through /proc/self/exe cannot write to the file on the host. */
int selfexe_ensure(char **argv, struct err **e);
/* Whether /proc/self/exe already is such a copy (or on a read-only mount). */
int selfexe_protected(void);

/* Before create, run or exec changes anything: how the process will be
 * started.  *helper is -1 (execve directly: our binary is protected), or a
 * sealed memfd with the exec helper (exechelper.h); when the helper does
 * not fit, we re-execute from a sealed copy of ourselves (not returning).
 * c: the container's config for create and run, NULL for exec. */
struct rt_process;
struct rt_config;
int rt_protect(const struct rt_opts *g, const struct rt_process *p, const struct rt_config *c,
               void *seccomp, int *helper, struct err **e);

#endif
