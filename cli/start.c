/* start.c — starting a container: the second half of `cairn run`.
 *
 *   1. the rootfs mounted (cairn-image unpack, after a stop unmounted it)
 *   2. a network namespace at $RUN/netns/<id>, wired by
 *      cairn-net add NETWORK <id> NETNS --port …
 *   3. /etc/hosts with the address
 *   4. cairn-shim … --on-exit 'cairn container cleanup <id>'  ->  {"pid":N}
 *
 * All under the container's lock.  A step that fails undoes the ones
 * before it, in reverse.  A foreground run connects to the shim's
 * attach.sock as soon as the socket exists — before the runtime has even
 * created the container — so that it sees the output from the first
 * byte: a client sees output from the moment it connects. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"
#include "runopts.h"

bool is_mount_root(const char *path) {
  struct statx stx;
  if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
    return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

bool rootfs_mounted(const char *id) {
  cleanup_free char *p = ctr_file(id, "bundle/rootfs");
  return is_mount_root(p);
}

/* Read what the shim prints; meanwhile connect `at` once ctl.sock exists
 * (attach.sock listens by then: the shim makes it first). */
static int run_shim(char *const *argv, const char *id, const char *rundir, struct attach *at,
                    char **result, struct err **e) {
  cleanup_close int ino = -1;
  int wd = -1;
  if (at != NULL) {
    ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ino < 0 || (wd = inotify_add_watch(ino, rundir, IN_CREATE | IN_MOVED_TO)) < 0)
      return err_set(e, errno, "watch '%s'", rundir);
  }
  int out[2], errp[2];
  if (pipe2(out, O_CLOEXEC) < 0)
    return err_set(e, errno, "pipe");
  if (pipe2(errp, O_CLOEXEC) < 0) {
    close(out[0]);
    close(out[1]);
    return err_set(e, errno, "pipe");
  }
  debug_cmd((const char *const *)argv);
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(out[0]), close(out[1]), close(errp[0]), close(errp[1]);
    return err_set(e, saved, "fork");
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0)
      _exit(127);
    close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[0], argv);
    dprintf(2, "cairn: exec '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(errp[1]);
  char *bufs[2] = {NULL, NULL};
  size_t lens[2] = {0, 0};
  struct pollfd pf[3] = {{out[0], POLLIN, 0}, {errp[0], POLLIN, 0}, {ino, POLLIN, 0}};
  int open_pipes = 2;
  while (open_pipes > 0) {
    int n = poll(pf, 3, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    for (int i = 0; i < 2; i++) {
      if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      ssize_t r = read(pf[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0) {
        close(pf[i].fd);
        pf[i].fd = -1;
        open_pipes--;
        continue;
      }
      if (lens[i] < (1 << 20)) {
        bufs[i] = xrealloc(bufs[i], lens[i] + (size_t)r + 1);
        memcpy(bufs[i] + lens[i], buf, (size_t)r);
        lens[i] += (size_t)r;
        bufs[i][lens[i]] = '\0';
      }
    }
    if (pf[2].fd >= 0 && (pf[2].revents & POLLIN)) {
      char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
      ssize_t r = read(ino, ev, sizeof ev);
      for (char *p = ev; r > 0 && p < ev + r;) {
        struct inotify_event *ie = (struct inotify_event *)(void *)p;
        if (ie->len > 0 && strcmp(ie->name, "ctl.sock") == 0 && at->fd < 0) {
          struct err *ae = NULL;
          if (attach_connect(at, id, &ae) < 0)
            err_free(&ae);
          /* The watch goes at once: the kernel frees it in the background
           * (an RCU grace period), where closing a descriptor that still
           * has one waits for that, several ms on the path of every run. */
          if (wd >= 0 && inotify_rm_watch(ino, wd) == 0)
            wd = -1;
        }
        p += sizeof *ie + ie->len;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  cleanup_free char *errtext = bufs[1];
  *result = bufs[0];
  if (*result == NULL || **result != '{') {
    while (errtext && *errtext && strlen(errtext) > 0 && errtext[strlen(errtext) - 1] == '\n')
      errtext[strlen(errtext) - 1] = '\0';
    if (errtext != NULL && *errtext)
      return err_setc(e, ERR_CALLEE, 0, "%s", errtext);
    return err_set(e, 0, "cairn-shim printed no result (exit status %d)",
                   WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return 0;
}

struct undo {
  const char *id;
  bool mounted, netns, net;
  const char *netname;
  char *nspath;
};

static void undo_start(struct undo *u) {
  struct err *e = NULL;
  if (u->net) {
    const char *argv[] = {"cairn-net", "del", u->netname, u->id, u->nspath, NULL};
    struct tool_out o = {0};
    if (tool_run(argv, NULL, 0, &o, 0, &e) < 0) {
      err_print(e, "cairn: undo");
      err_free(&e);
    }
    tool_out_free(&o);
  }
  if (u->netns && netns_remove(u->nspath, &e) < 0) {
    err_print(e, "cairn: undo");
    err_free(&e);
  }
  if (u->mounted) {
    cleanup_free char *bundle = ctr_file(u->id, "bundle");
    const char *argv[] = {"cairn-image", "umount", bundle, NULL};
    if (tool_run(argv, NULL, 0, NULL, 0, &e) < 0) {
      err_print(e, "cairn: undo");
      err_free(&e);
    }
  }
}

/* cairn-net add, and what its CNI result says into networkSettings. */
static int net_add(json_t *c, struct undo *u, struct err **e) {
  const char *id = u->id;
  json_t *ports = json_deep_copy(json_get_arr(c, "portSpecs"));
  json_object_set_new(c, "ports", ports);
  if (ports_allocate(ports, e) < 0)
    return -1;
  cleanup_strv char **argv = NULL;
  const char *head[] = {"cairn-net", "add", u->netname, id, u->nspath};
  for (size_t i = 0; i < 5; i++)
    strv_push(&argv, head[i]);
  size_t i;
  json_t *m;
  json_array_foreach(ports, i, m) {
    const char *ip = json_get_str(m, "hostIP");
    cleanup_free char *p = xasprintf("%s%s%d:%d/%s", ip && *ip ? ip : "", ip && *ip ? ":" : "",
                                     (int)json_integer_value(json_object_get(m, "hostPort")),
                                     (int)json_integer_value(json_object_get(m, "containerPort")),
                                     json_get_str(m, "protocol"));
    strv_push(&argv, "--port");
    strv_push(&argv, p);
  }
  struct tool_out o = {0};
  if (tool_run((const char *const *)argv, NULL, 0, &o, 0, e) < 0)
    return -1;
  u->net = true;
  cleanup_json json_t *r = json_load_str(o.out, "cairn-net add result", e);
  tool_out_free(&o);
  if (r == NULL)
    return -1;
  json_t *ns = net_settings_of(r);
  json_object_set_new(ns, "SandboxKey", json_string(u->nspath));
  json_object_set_new(c, "networkSettings", ns);
  return 0;
}

/* The shim inherits cairn's environment, CAIRN_ROOT/RUN/CONFIG included
 * (main sets them): a plain command line then needs no shell, and the
 * shim runs it without one. */
static char *on_exit_cmd(const char *id) {
  static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                              "_./:,+@%-";
  if (C.self_exe[0] == '/' && C.self_exe[strspn(C.self_exe, plain)] == '\0' &&
      getenv("CAIRN_ROOT") != NULL && strcmp(getenv("CAIRN_ROOT"), C.root) == 0)
    return xasprintf("%s container cleanup %s", C.self_exe, id);
  cleanup_free char *root = sh_quote(C.root);
  cleanup_free char *run = sh_quote(C.run);
  cleanup_free char *conf = sh_quote(C.conf_path);
  cleanup_free char *self = sh_quote(C.self_exe);
  return xasprintf("CAIRN_ROOT=%s CAIRN_RUN=%s CAIRN_CONFIG=%s exec %s container cleanup %s", root,
                   run, conf, self, id);
}

static int start_steps(json_t *c, struct undo *u, struct attach *at, struct err **e) {
  const char *id = u->id;
  cleanup_free char *rundir = ctr_run_dir(id);
  if (rm_rf(rundir, e) < 0 || mkdir_p(rundir, 0700, e) < 0)
    return -1;
  if (!rootfs_mounted(id)) {
    cleanup_free char *bundle = ctr_file(id, "bundle");
    if (rootfs_unpack(json_get_str(c, "imageId"), json_get_str(c, "image"), bundle,
                      ctr_autoremove(c), e) < 0)
      return -1;
    u->mounted = true;
  }
  const char *net = json_get_str(c, "network");
  json_object_set_new(c, "ports", json_array());
  if (strncmp(net, "container:", 10) == 0) {
    if (!shim_alive(net + 10))
      return err_usage(e, "cannot join the network of container %.12s: it is not running",
                       net + 10);
  } else if (strcmp(net, "host") != 0 && strcmp(net, "none") != 0) {
    u->netname = net;
    u->nspath = ctr_netns_path(id);
    /* recorded before the namespace and the attachment are made: a cairn
     * killed at any point after this leaves what cleanup finds and removes */
    json_object_set_new(c, "attached",
                        json_pack("{s:s,s:s}", "network", u->netname, "netns", u->nspath));
    if (ctr_save_state(c, e) < 0)
      return -1;
    struct err *ie = NULL;
    if (netns_remove(u->nspath, &ie) < 0) /* a crash's leftover */
      err_free(&ie);
    if (netns_create(u->nspath, e) < 0)
      return -1;
    u->netns = true;
    if (net_add(c, u, e) < 0 || net_extra_attach(c, u->nspath, e) < 0)
      return -1;
  }
  if (etc_files_write(c, e) < 0 || hosts_sync(net, c, e) < 0)
    return -1;

  cleanup_free char *shim = tool_path("cairn-shim", e);
  if (shim == NULL)
    return -1;
  const char *rt = json_get_str(c, "runtime");
  cleanup_free char *rtpath = runtime_path(rt, e);
  if (rtpath == NULL)
    return -1;
  cleanup_free char *rtroot = runtime_root();
  cleanup_free char *bundle = ctr_file(id, "bundle");
  cleanup_free char *logp = ctr_file(id, "ctr.log");
  cleanup_free char *onexit = on_exit_cmd(id);
  cleanup_strv char **argv = NULL;
  const char *head[] = {shim,       "--runtime", rtpath,    "--runtime-root", rtroot,  "--id", id,
                        "--bundle", bundle,      "--state", rundir,           "--log", logp};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
    strv_push(&argv, head[i]);
  if (json_is_true(json_object_get(c, "tty")))
    strv_push(&argv, "--tty");
  if (json_is_true(json_object_get(c, "interactive")))
    strv_push(&argv, "--stdin");
  size_t i;
  json_t *a;
  json_array_foreach(json_get_arr(c, "shimArgs"), i, a) strv_push(&argv, json_string_value(a));
  event_shim_args(c, &argv);
  strv_push(&argv, "--on-exit");
  strv_push(&argv, onexit);

  if (at != NULL && !at->journaled) { /* docker's order: attach, then start */
    event_ctr(c, "attach", NULL);
    at->journaled = true;
  }
  cleanup_free char *result = NULL;
  if (run_shim(argv, id, rundir, at, &result, e) < 0)
    return -1;
  cleanup_json json_t *r = json_load_str(result, "cairn-shim result", e);
  if (r == NULL)
    return -1;
  json_t *error = json_get_obj(r, "error");
  if (error != NULL) {
    const char *msg = json_get_str(error, "msg");
    return err_setc(e, ERR_CALLEE, 0, "cairn-shim: %s", msg ? msg : "unknown error");
  }
  cleanup_free char *now = fmt_now();
  json_t *st = json_object_get(c, "state");
  json_object_set_new(st, "status", json_string("running"));
  json_object_set_new(st, "pid",
                      json_object_get(r, "pid") ? json_incref(json_object_get(r, "pid"))
                                                : json_integer(0));
  json_object_set_new(st, "startedAt", json_string(now));
  json_object_set_new(st, "exitCode", json_integer(0));
  json_object_set_new(st, "oomKilled", json_false());
  return 0;
}

int ctr_start(const char *id, struct attach *at, struct err **e) {
  int lk = ctr_lock(id, e);
  if (lk < 0)
    return -1;
  cleanup_json json_t *c = ctr_load(id, e);
  if (c == NULL) {
    lock_release(lk);
    return -1;
  }
  if (shim_alive(id)) {
    lock_release(lk);
    return 1; /* already running */
  }
  const char *status = json_get_str(json_get_obj(c, "state"), "status");
  if ((status != NULL && strcmp(status, "created") != 0 && strcmp(status, "exited") != 0) ||
      json_object_get(c, "attached") != NULL) {
    /* a run whose shim died without its cleanup: clean first */
    lock_release(lk);
    if (ctr_cleanup(id, false, e) < 0)
      return -1;
    lk = ctr_lock(id, e);
    if (lk < 0)
      return -1;
    json_decref(c);
    c = ctr_load(id, e);
    if (c == NULL) {
      lock_release(lk);
      return -1;
    }
  }
  struct undo u = {.id = id};
  int rc = start_steps(c, &u, at, e);
  if (rc == 0)
    rc = ctr_save_state(c, e); /* the shim journals each start: before any exit it sees */
  if (rc < 0) {
    struct err *xe = NULL;
    if (u.net && net_extra_detach(c, u.nspath, &xe) < 0)
      err_free(&xe);
    undo_start(&u);
    json_object_del(c, "attached");
    struct err *se = NULL;
    if (ctr_save_state(c, &se) < 0)
      err_free(&se);
    cleanup_free char *rundir = ctr_run_dir(id);
    struct err *re = NULL;
    if (rm_rf(rundir, &re) < 0)
      err_free(&re);
  }
  free(u.nspath);
  lock_release(lk);
  return rc;
}
