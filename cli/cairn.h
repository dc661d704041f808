/* cairn.h — the docker-compatible CLI: what its files share.
 *
 * cairn has no daemon.  Each command reads and writes the state under
 * $CAIRN_ROOT/containers/<id>/ (container.json, bundle/, ctr.log) and
 * $CAIRN_RUN/containers/<id>/ (the shim's state dir: shim.pid, shim.lock,
 * status.json, exit.json, attach.sock, ctl.sock), and execs the other
 * tools for every step (cairn-image, cairn-spec, cairn-net, cairn-shim and
 * the OCI runtime).  Nothing links another tool's internals. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

/* A callee's message, printed as it came (it names its own tool), with no
 * "cairn: " in front: the real cause reaches the user once.  Only cli/
 * uses this code; err_exit_code maps it like any failure. */
#define ERR_CALLEE 100

/* Exit codes as docker's: 125 the CLI or a tool failed before the
 * container ran, 126 the command cannot be invoked, 127 not found. */
enum { EXIT_CAIRN = 125, EXIT_CANNOT_INVOKE = 126, EXIT_NOT_FOUND = 127 };

struct cairn {
  const char *root; /* $CAIRN_ROOT */
  const char *run;  /* $CAIRN_RUN */
  const char *conf_path;
  json_t *conf;   /* cairn.json (an empty object when absent) */
  int debug;      /* print every tool command */
  char *self_exe; /* /proc/self/exe, resolved */
  char *self_dir;
  const char *runtime; /* default runtime: name or path */
  const char *cgroup_parent;
  const char *network; /* default network name ("cairn") */
};

extern struct cairn C;

/* ---- tools.c: finding and running the other executables ---- */

/* Path of tool NAME: cairn.json "tools".NAME, else next to cairn's own
 * binary, else PATH.  Returns a malloc'd path. */
char *tool_path(const char *name, struct err **e);
/* Path of a runtime given as NAME or PATH (cairn.json "runtimes".NAME
 * maps names; otherwise looked up as a tool). */
char *runtime_path(const char *rt, struct err **e);

struct tool_out {
  char *out; /* captured stdout, NUL-terminated */
  size_t out_len;
  int status; /* shell-like exit status */
};
/* Run argv (argv[0] a tool name or path) with optional stdin bytes;
 * capture stdout when out != NULL, else inherit it.  stderr is captured
 * and, when the tool fails, becomes the error (code ERR_CALLEE), unless
 * pass_stderr is set (progress bars): then it goes straight through. */
int tool_run(const char *const *argv, const void *in, size_t in_len, struct tool_out *out,
             int pass_stderr, struct err **e);
void tool_out_free(struct tool_out *o);
/* Print an error once: a callee's message as it came (an empty one was
 * shown by the callee itself), cairn's own as "cairn: MSG". */
void err_show(const struct err *e);
/* Print argv to stderr as a shell line when --debug is on. */
void debug_cmd(const char *const *argv);
/* Quote s for /bin/sh (single quotes). */
char *sh_quote(const char *s);

/* ---- store.c: containers on disk ---- */

char *ctr_dir(const char *id); /* $ROOT/containers/<id> */
char *ctr_file(const char *id, const char *name);
char *ctr_run_dir(const char *id); /* $RUN/containers/<id>: the shim's state */
char *ctr_run_file(const char *id, const char *name);
char *ctr_netns_path(const char *id); /* $RUN/netns/<id> */
char *runtime_root(void);             /* $RUN/runtime */

/* Load container.json of a full id (ERR_NOTFOUND when absent). */
json_t *ctr_load(const char *id, struct err **e);
/* Write it atomically and durably (fsync). */
int ctr_save(const json_t *c, struct err **e);
/* The same for a change of state (started, exited, paused, attached):
 * atomic but not fsync'd, as a power loss makes every container Exited
 * anyway and start/exit are the paths users time (spec/README.md). */
int ctr_save_state(const json_t *c, struct err **e);
/* A label filter's K or K=V against a Labels object (docker's label=). */
bool labels_match(const json_t *labels, const char *want);
/* Whether it goes at its exit (run --rm: hostConfig.AutoRemove). */
bool ctr_autoremove(const json_t *c);
/* The per-container lock (blocks); -1 on failure. */
int ctr_lock(const char *id, struct err **e);
/* Resolve a full id, a unique id prefix or a name; *id gets the full id. */
int ctr_resolve(const char *ref, char **id, struct err **e);
/* Resolve and load. */
json_t *ctr_find(const char *ref, struct err **e);
/* Every container id (unsorted). */
char **ctr_list_ids(void);
/* Reserve NAME for id (a symlink $ROOT/names/NAME -> id, made atomically,
 * so two creates cannot both get it).  ERR_EXISTS when taken. */
int name_reserve(const char *name, const char *id, struct err **e);
void name_release(const char *name, const char *id);
int name_valid(const char *name);
/* A docker-style random "adjective_surname". */
char *name_random(void);

/* ---- state.c: the live state of a container ---- */

enum ctr_status { ST_CREATED, ST_RUNNING, ST_RESTARTING, ST_PAUSED, ST_EXITED, ST_DEAD };
struct ctr_state {
  enum ctr_status status;
  int pid;
  int exit_code;
  int restart_count;
  bool oom_killed;
  char *started_at; /* RFC 3339 or NULL */
  char *finished_at;
  char *health; /* "healthy", "unhealthy", "starting" or NULL */
  bool shim_alive;
};
/* Combine container.json with the shim's files under $RUN. */
void ctr_state_get(const json_t *c, struct ctr_state *st);
void ctr_state_free(struct ctr_state *st);
const char *ctr_status_name(enum ctr_status s);
/* docker ps's STATUS column: "Up 2 minutes", "Exited (0) 5 seconds ago". */
char *ctr_status_text(const struct ctr_state *st);
/* Whether the shim of id still runs (it holds STATE/shim.lock). */
bool shim_alive(const char *id);
/* Block until the shim of id is gone (timeout_ms < 0: forever).  Returns
 * 0, or -1 on timeout. */
int shim_wait(const char *id, int timeout_ms);
/* Connect to the unix socket dir/name: through /proc/self/fd when the path
 * is too long for sun_path (the shim binds the same way). */
int unix_connect(const char *dir, const char *name, struct err **e);
/* One command to STATE/ctl.sock; the shim's "error: …" becomes *e. */
int shim_ctl(const char *id, const char *cmd, struct err **e);

/* ---- netns.c ---- */

/* A new network namespace bound at path (a file under $RUN/netns). */
int netns_create(const char *path, struct err **e);
/* Unmount and remove it; a missing one is fine. */
int netns_remove(const char *path, struct err **e);

/* ---- etcfiles.c ---- */

/* hosts, resolv.conf and hostname in the container's dir, from
 * container.json (hostname, IP, extra hosts, dns options). */
int etc_files_write(const json_t *c, struct err **e);
/* Rewrite the /etc/hosts of every container attached to network net so
 * each lists all the others (name, aliases, short id): names resolve on
 * every network, the default one included, and stay current as containers
 * come and go.  cur, when given, is a container being changed whose
 * record on disk is not written yet.  Under $RUN/hosts.lock. */
int hosts_sync(const char *net, const json_t *cur, struct err **e);

/* ---- networks.c: networks beyond cairn-net's configs; extra attachments ---- */

/* $CAIRN_ROOT/networks/NAME.json: docker's facts of a network cairn made
 * ({"name","id","created","labels","ipRange","options"}); NULL when absent. */
char *net_meta_path(const char *name);
json_t *net_meta_load(const char *name);
/* A network's 64-hex id (from its file, else derived from the name). */
char *net_id(const char *name);
/* The networks c is attached to now, primary first: [{"name", "aliases",
 * "IPAddress", "IPPrefixLen", "Gateway", "MacAddress", "primary"}]. */
json_t *ctr_networks(const json_t *c);
/* Whether c is configured for network net (attached or not). */
bool ctr_on_network(const json_t *c, const char *net);
/* docker's IPAddress/IPPrefixLen/Gateway/MacAddress from a CNI result. */
json_t *net_settings_of(const json_t *result);
/* A subnet's first address, its default gateway ("" when cidr is bad). */
char *net_first_host(const char *cidr);
char *net_first_host6(const char *cidr);
/* Whether the IPv4 address ip lies in the IPv4 cidr. */
bool net_in_subnet(const char *cidr, const char *ip);
/* cairn-net add/del of one "extraNetworks" entry x of c (sets or drops
 * x's "settings"). */
int net_extra_add(const json_t *c, json_t *x, const char *nspath, struct err **e);
int net_extra_del(const json_t *c, json_t *x, const char *nspath, struct err **e);
/* All of c's extra networks attached in the netns (all or none), or
 * detached (every one tried; their peers' hosts updated). */
int net_extra_attach(json_t *c, const char *nspath, struct err **e);
int net_extra_detach(json_t *c, const char *nspath, struct err **e);
/* docker's NetworkSettings.Networks entries of c's extra networks. */
void net_inspect_extras(const json_t *c, json_t *networks);
/* `cairn network connect/disconnect`: under the container's lock; a
 * running container's netns gets (loses) the interface at once and the
 * /etc/hosts of its peers are updated; a stopped one is attached on start. */
int ctr_net_connect(const char *id, const char *net, json_t *aliases, const char *ip,
                    struct err **e);
int ctr_net_disconnect(const char *id, const char *net, struct err **e);
/* docker's inspect objects: cmd_inspect.c (images, through cairn-image),
 * cmd_volume.c, cmd_network.c (a name or id). */
json_t *image_inspect_json(const char *ref, struct err **e);
/* `cairn-image ls --json [REPO]`: the images (of REPO), parsed. */
json_t *image_list_json(const char *repo, struct err **e);
json_t *volume_inspect_json(const char *name, struct err **e);
json_t *network_inspect_json(const char *ref, struct err **e);

/* cmd_system.c: docker's inspect output of each ref through fn (a JSON
 * array, or one line per object with a --format template); a ref fn
 * does not find is reported on stderr and makes the result 1. */
typedef json_t *(*inspect_fn)(const char *ref, struct err **e);
int inspect_print(const char *format, int n, char **refs, inspect_fn fn, struct err **e);
/* `cairn WHAT inspect [-f FORMAT] REF…` (network also takes -v). */
int inspect_command(int argc, char **argv, const char *what, inspect_fn fn, struct err **e);

/* ---- events.c: the event journal (spec/README.md) ---- */

char *events_path(void); /* $CAIRN_EVENTS, else $CAIRN_ROOT/events.jsonl */
/* Append one event (attrs: its Actor.Attributes, taken; may be NULL).
 * Never fails the caller: a journal that cannot be written is skipped. */
void event_log(const char *type, const char *action, const char *id, json_t *attrs);
/* A container event: image, name and labels, plus extra (taken). */
void event_ctr(const json_t *c, const char *action, json_t *extra);
void event_ctr_id(const char *id, const char *action, json_t *extra);
/* A container's Actor.Attributes: its labels, image and name (new ref). */
json_t *event_ctr_attrs(const json_t *c);
/* The shim's flags for the events it writes itself (starts, restarts, health, oom):
 * --events FILE --event-attrs JSON, pushed onto *argv; none without a journal. */
void event_shim_args(const json_t *c, char ***argv);

/* docker's time forms for --since/--until/until=, in ns since 1970. */
int events_parse_when(const char *s, int64_t *ns, struct err **e);

/* ---- prune.c: the prune commands' --filter ---- */

struct prune_filter {
  bool has_until;
  int64_t until_ns;
  char **labels;     /* label=K[=V]: each must match */
  char **not_labels; /* label!=K[=V]: excluded when all match */
};
/* What a prune command was told. */
struct prune_opts {
  bool all, force, volumes;
  struct prune_filter f;
};
enum { PRUNE_ALL = 1, PRUNE_VOLUMES = 2 };
/* A prune command's flags: -f/--force and --filter K=V always, -a/--all
 * (and -af) with PRUNE_ALL, --volumes with PRUNE_VOLUMES; --help prints
 * help.  1 when help was printed, 0, or -1.  An unknown flag's message
 * points at `cairn WHAT prune --help` (WHAT NULL: no pointer). */
int prune_args(int argc, char **argv, unsigned allow, const char *help, const char *what,
               struct prune_opts *o, struct err **e);
/* docker's question before a prune: go on when forced, when stdin is not a
 * terminal, or on an answer starting with y. */
bool prune_confirm(const char *warning, bool force);
/* Add one --filter K=V; until only when until_ok (volumes have none). */
int prune_filter_add(struct prune_filter *f, const char *kv, bool until_ok, struct err **e);
/* Whether an object with these labels, created at created (RFC 3339 or
 * NULL), is selected. */
bool prune_filter_match(const struct prune_filter *f, const json_t *labels, const char *created);
/* The filters as "--filter K=V" pairs pushed onto *argv (until as RFC 3339,
 * left out without with_until), for another prune to apply. */
void prune_filter_argv(const struct prune_filter *f, bool with_until, char ***argv);
void prune_filter_free(struct prune_filter *f);
void prune_opts_free(struct prune_opts *o);

/* ---- lifecycle: create.c, start.c, cleanup.c ---- */

/* cairn-image unpack IMAGE-ID BUNDLE (by ref when the id is ambiguous). */
int rootfs_unpack(const char *image_id, const char *ref, const char *bundle, bool rm,
                  struct err **e);
/* Whether BUNDLE/rootfs of id is a mount point. */
bool rootfs_mounted(const char *id);
/* Whether path is the root of a mount (statx STATX_ATTR_MOUNT_ROOT). */
bool is_mount_root(const char *path);

struct run_opts;
/* Make a container from the options; returns its container.json. */
json_t *ctr_create(struct run_opts *o, struct err **e);
struct attach;
/* Start a created or exited container.  With at != NULL the caller's
 * attach connection is made before the container's process runs. */
int ctr_start(const char *id, struct attach *at, struct err **e);
/* Undo what a run left: network, netns, rootfs mount; record the exit
 * from the shim's exit.json; remove the container when it was --rm.
 * Idempotent.  Call without the container lock held. */
int ctr_cleanup(const char *id, bool from_shim, struct err **e);
/* Remove a stopped container: its dirs, name, anonymous volumes (vols). */
int ctr_remove(const char *id, bool vols, struct err **e);
/* Stop (signal, then SIGKILL after timeout seconds; -1: the container's
 * own) and wait for the shim to finish. */
int ctr_stop(const char *id, int timeout, struct err **e);

/* ---- attach.c ---- */

struct attach {
  int fd;        /* connected to attach.sock, -1 until then */
  bool in, tty;  /* forward stdin; the local terminal is raw */
  int exit_code; /* from the exit frame; -1 before */
  bool detached;
  char *sock;     /* path of attach.sock */
  bool journaled; /* the attach event is written (before the start's, by start.c) */
};
/* Connect to id's attach.sock. */
int attach_connect(struct attach *a, const char *id, struct err **e);
/* Pump stdin/stdout/stderr until the exit frame or a detach; forwards
 * SIGINT/SIGTERM/… to the container (ctl kill) without a terminal.
 * Returns 0 when the stream ended. */
int attach_run(struct attach *a, const char *id, bool sig_proxy, struct err **e);

/* ---- commands ---- */

typedef int (*cmd_fn)(int argc, char **argv, struct err **e);
int cmd_run(int argc, char **argv, struct err **e);
int cmd_create(int argc, char **argv, struct err **e);
int cmd_start(int argc, char **argv, struct err **e);
int cmd_ps(int argc, char **argv, struct err **e);
int cmd_logs(int argc, char **argv, struct err **e);
int cmd_stop(int argc, char **argv, struct err **e);
int cmd_kill(int argc, char **argv, struct err **e);
int cmd_restart(int argc, char **argv, struct err **e);
int cmd_rm(int argc, char **argv, struct err **e);
int cmd_wait(int argc, char **argv, struct err **e);
int cmd_inspect(int argc, char **argv, struct err **e);
int cmd_exec(int argc, char **argv, struct err **e);
int cmd_port(int argc, char **argv, struct err **e);
int cmd_rename(int argc, char **argv, struct err **e);
int cmd_cleanup(int argc, char **argv, struct err **e);
int cmd_attach(int argc, char **argv, struct err **e);
int cmd_pause(int argc, char **argv, struct err **e);
int cmd_unpause(int argc, char **argv, struct err **e);
int cmd_top(int argc, char **argv, struct err **e);
int cmd_cp(int argc, char **argv, struct err **e);
int cmd_export(int argc, char **argv, struct err **e);
int cmd_volume(int argc, char **argv, struct err **e);
int cmd_network(int argc, char **argv, struct err **e);
int cmd_prune(int argc, char **argv, struct err **e);
int cmd_stats(int argc, char **argv, struct err **e);
int cmd_commit(int argc, char **argv, struct err **e);
int cmd_diff(int argc, char **argv, struct err **e);
int cmd_update(int argc, char **argv, struct err **e);
/* cmd_update.c: HostConfig's resource fields (Memory, NanoCpus, CpuQuota,
 * PidsLimit, …) from the bundle's config.json, which update keeps current. */
void hostconfig_resources(json_t *hc, const char *id);
/* cmd_registry.c, cmd_system.c, cmd_events.c */
int cmd_push(int argc, char **argv, struct err **e);
int cmd_rmi(int argc, char **argv, struct err **e);
int cmd_tag(int argc, char **argv, struct err **e);
int cmd_import(int argc, char **argv, struct err **e);
int cmd_search(int argc, char **argv, struct err **e);
int cmd_image_prune(int argc, char **argv, struct err **e);
int cmd_info(int argc, char **argv, struct err **e);
int cmd_version(int argc, char **argv, struct err **e);
int cmd_system(int argc, char **argv, struct err **e);
int cmd_events(int argc, char **argv, struct err **e);
/* image commands: passed to cairn-image */
int cmd_images(int argc, char **argv, struct err **e);
int cmd_pull(int argc, char **argv, struct err **e);
int cmd_image_pass(int argc, char **argv, struct err **e);
int cmd_build(int argc, char **argv, struct err **e);   /* cmd_build.c: cairn-build */
int cmd_builder(int argc, char **argv, struct err **e); /* builder prune */

/* inspect.c: docker's container JSON. */
json_t *ctr_inspect_json(const json_t *c);

/* Helpers shared by the commands. */
/* Parse "10", "-1": stop timeouts. */
int parse_int(const char *s, long lo, long hi, long *out);
/* A signal name or number ("KILL", "SIGTERM", "9") -> SIGNAME form. */
char *signal_normalize(const char *s, struct err **e);
/* Print a command's help text (stdout) and return 0. */
int usage_print(const char *text);

#endif
