/* shim.h — cairn-shim's shared state: the options, the one supervised
 * container, and the functions each file offers the others.
 *
 * One shim supervises one container for its whole life.  It is a single
 * thread around one epoll set; every fd it owns is registered there with a
 * tag (enum ev_tag) saying which file handles it.  The hot path — container
 * output to the log and to attached clients — uses static buffers only. */
#ifndef CAIRN_SHIM_H
#define CAIRN_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "err.h"

#define NSEC_PER_SEC 1000000000LL
#define NSEC_PER_MSEC 1000000LL

enum restart_kind { RESTART_NO, RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_UNLESS_STOPPED };

struct restart_policy {
  enum restart_kind kind;
  int max_retries; /* on-failure:N; 0 = no limit */
};

struct health_cfg {
  char **test;         /* argv run in the container; NULL: no healthcheck */
  int64_t interval_ns; /* docker's defaults: 30s, 30s, 3 retries, 0 */
  int64_t timeout_ns;
  int64_t start_period_ns;
  int retries;
};

struct shim_opts {
  char *runtime;          /* absolute path of the runtime executable */
  char **runtime_globals; /* global flags put before every subcommand */
  char *id;
  char *bundle;    /* absolute */
  char *state_dir; /* absolute */
  char *log_path;  /* absolute; default STATE/ctr.log */
  int tty;
  int stdin_open;
  int64_t log_max_size; /* bytes; 0 = never rotate */
  int log_max_files;
  struct restart_policy restart;
  int64_t runtime_timeout_ns; /* a runtime call taking longer is killed; 0: none */
  char *on_exit;              /* run with /bin/sh -c when the shim is done */
  struct health_cfg health;
  char *events;      /* the event journal (absolute); NULL: write no events */
  char *event_attrs; /* Actor.Attributes of our events, compact JSON object */
  unsigned char detach_keys[16];
  size_t n_detach_keys;
  int help;
  int state_created; /* opts_check made the state dir: removed again on failure */
};

/* opts.c */
int opts_parse(int argc, char **argv, struct shim_opts *o, struct err **e);
/* Checks that do not need the container: runtime found, bundle readable and
 * consistent with --tty, state dir made, log dir present. */
int opts_check(struct shim_opts *o, struct err **e);
void opts_usage(void);
void opts_free(struct shim_opts *o);
int parse_duration(const char *s, int64_t *ns, struct err **e);
int parse_signal(const char *s, int *sig);

/* epoll tags: the low byte of epoll_data.u64; the rest is an index. */
enum ev_tag {
  EV_SIGNAL = 1,
  EV_STDOUT,
  EV_STDERR,
  EV_STDIN, /* the container's stdin, polled for EPOLLOUT when backed up */
  EV_ATTACH_LISTEN,
  EV_ATTACH_CLIENT,
  EV_CTL_LISTEN,
  EV_RESTART_TIMER,
  EV_STOP_TIMER,
  EV_HEALTH_TIMER,
  EV_HEALTH_TIMEOUT,
  EV_HEALTH_OUT,
};

/* The shim while it runs. */
struct shim {
  struct shim_opts *o;
  int epfd;
  int sigfd;
  int dirfd;  /* the state dir, O_PATH: sockets bind under /proc/self/fd/N */
  int lockfd; /* flock held on STATE/shim.lock for the shim's life */

  pid_t pid;      /* container init, 0 when not running */
  int out_fd;     /* read end of the container's stdout (the pty master under --tty) */
  int err_fd;     /* read end of the container's stderr; -1 under --tty */
  int stdin_fd;   /* write end of the container's stdin (the pty master under --tty); -1 */
  int out_paused; /* output not read while an attached client is backed up */
  char *memcg;    /* the container's memory cgroup dir, for oomKilled */
  uint64_t oom_before;

  struct timespec started;      /* CLOCK_REALTIME of the last start */
  struct timespec started_mono; /* CLOCK_MONOTONIC of the last start */
  int restart_count;
  int die_journaled; /* the last exit's die event is written (a restart was due) */
  int64_t backoff_ns;
  int stop_requested; /* no more restarts: a stop command, SIGTERM, or STATE/stop */
  int restart_timer, stop_timer;
  int64_t stop_timeout_ns;
  int finished; /* the loop ends */
  int exit_status;
};

/* proc.c: children with exactly the fds we choose. */
/* Start argv[0] (an absolute path) with in/out/err as fds 0/1/2 (-1: /dev/null)
 * and nothing else open; signals reset.  Fails when exec fails. */
pid_t proc_spawn(char *const argv[], int in, int out, int err, struct err **e);
/* waitpid, retrying on EINTR; returns the raw status. */
int proc_wait(pid_t pid);
/* Run to completion; stderr captured into errbuf (NUL-terminated, truncated
 * to errcap-1).  Returns the wait status, or -1 when it could not start. */
int proc_run(char *const argv[], int out, char *errbuf, size_t errcap, struct err **e);
/* proc_run that kills the child (SIGKILL) when it has not ended within
 * timeout_ns (0: no limit); *timed_out tells. */
int proc_run_timeout(char *const argv[], int out, char *errbuf, size_t errcap, int64_t timeout_ns,
                     int *timed_out, struct err **e);
/* Milliseconds left until deadline_ns (CLOCK_MONOTONIC; 0: -1 = forever). */
int proc_ms_left(int64_t deadline_ns);
/* CLOCK_MONOTONIC now + timeout_ns, or 0 for timeout_ns 0. */
int64_t proc_deadline(int64_t timeout_ns);
/* Exit status in the shell's form: code, or 128 + signal. */
int status_code(int status);

/* runtime.c: the runtime's command line. */
char **runtime_argv(const struct shim_opts *o, const char *sub, const char *const *args);
int runtime_create(struct shim *s, int in, int out, int err, int errpipe, struct err **e);
int runtime_start(struct shim *s, struct err **e);
void runtime_delete(struct shim *s);
int runtime_kill(struct shim *s, int sig, struct err **e);

/* detach.c */
/* Returns 1 in the caller (*fd: where the result arrives), 0 in the
 * detached shim (*fd: where to send it), -1 on failure. */
int detach(const struct shim_opts *o, int lockfd, int *fd, struct err **e);
int lock_state(const struct shim_opts *o, struct err **e);

/* supervise.c: the container's life. */
int shim_serve(struct shim_opts *o, int lockfd, int result_fd);
void shim_watch(struct shim *s, int fd, uint32_t events, enum ev_tag tag, uint32_t idx);
void shim_rewatch(struct shim *s, int fd, uint32_t events, enum ev_tag tag, uint32_t idx);
void shim_unwatch(struct shim *s, int fd);
void shim_warn(struct err **e);
void shim_output_pause(struct shim *s, int paused);
int shim_stop(struct shim *s, int sig, int64_t timeout_ns, struct err **e);
int timer_arm(int tfd, int64_t ns);
char *shim_path(struct shim *s, const char *name);

/* logs.c: docker's json-file format. */
enum log_stream { LOG_STDOUT = 0, LOG_STDERR = 1 };
int logs_open(const char *path, int64_t max_size, int max_files, struct err **e);
/* Read what fd has for stream, log complete lines and forward the raw bytes
 * to attached clients.  Returns bytes read, 0 at EOF, -1 on EAGAIN. */
ssize_t logs_pump(struct shim *s, int fd, enum log_stream st);
/* Log what is left of a line without its newline (at EOF). */
void logs_flush_partial(enum log_stream st);
void logs_close(void);
/* RFC 3339 with nanoseconds in UTC, Go's trimming, into buf (>= 40 bytes). */
size_t fmt_time(char *buf, const struct timespec *ts);

/* attach.c: attach.sock. */
int attach_listen(struct shim *s, struct err **e);
void attach_accept(struct shim *s);
void attach_client_event(struct shim *s, uint32_t idx, uint32_t events);
/* Frame raw output to every client (type 1 stdout, 2 stderr). */
void attach_broadcast(struct shim *s, int type, const char *buf, size_t len);
/* The container ended: send the exit frame and hang up on everyone. */
void attach_exit(struct shim *s, const char *exit_json);
void attach_stdin_writable(struct shim *s);
void attach_close(struct shim *s);

/* control.c: ctl.sock. */
int control_listen(struct shim *s, struct err **e);
void control_accept(struct shim *s);
void control_close(struct shim *s);

/* restart.c: docker's restart manager. */
int restart_parse(const char *s, struct restart_policy *p, struct err **e);
/* Decide after an exit; on yes, *delay_ns is the backoff. */
int restart_should(struct shim *s, int exit_code, int64_t ran_ns, int64_t *delay_ns);

/* health.c: healthchecks through `<runtime> exec`. */
void health_start(struct shim *s);
void health_stop(struct shim *s);
void health_event(struct shim *s, enum ev_tag tag);
/* Returns 1 when pid was a health probe (and records its result). */
int health_reaped(struct shim *s, pid_t pid, int status);

/* events.c: the events only the shim sees, in the journal (lib/journal.h):
 * each start, the die of each restarted exit, a stop's kills, oom, health_status.  extra (taken, may
 * be NULL) is added to --event-attrs. */
void shim_event(struct shim *s, const char *action, json_t *extra);
/* The name attribute changed (a rename while running). */
void shim_event_rename(struct shim *s, const char *name);

/* state.c: files in the state dir. */
int state_write_volatile(struct shim *s, const char *name, const char *buf, size_t len,
                         struct err **e);
int state_write_status(struct shim *s, const char *status, struct err **e);
char *state_exit_json(struct shim *s, int status, int oom, struct err **e);
char *shim_error_json(const struct err *e);
int state_find_memcg(struct shim *s);
int state_oom_killed(struct shim *s);

#endif
