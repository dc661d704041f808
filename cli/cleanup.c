/* cleanup.c — after a container's process ends, and removal.
 *
 * The shim runs `cairn container cleanup <id>` when the container is done
 * for good (its --on-exit): cairn records the exit, deletes the network
 * attachment (cairn-net del: veth, address, port mappings), removes the
 * netns and unmounts the rootfs, and removes a --rm container.  The same
 * steps run from `rm`, `stop` and `start` when a shim died without doing
 * them, so every step is idempotent. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

static json_t *load_run(const char *id, const char *name) {
  cleanup_free char *p = ctr_run_file(id, name);
  return json_load_optional(p);
}

static void warn(struct err **e) {
  if (*e == NULL)
    return;
  err_show(*e);
  err_free(e);
}

/* A tool run in a thread of its own (tool_run is safe there: the child
 * gets only stdio, and each run waits for its own pid). */
struct bg_tool {
  const char *argv[8];
  pthread_t thread;
  bool started;
  int rc;
  struct err *e;
};

static void *bg_main(void *arg) {
  struct bg_tool *b = arg;
  struct tool_out o = {0};
  b->rc = tool_run(b->argv, NULL, 0, &o, 0, &b->e);
  tool_out_free(&o);
  return NULL;
}

/* Without a thread (none to be had) it runs here and now. */
static void bg_start(struct bg_tool *b) {
  b->started = pthread_create(&b->thread, NULL, bg_main, b) == 0;
  if (!b->started)
    bg_main(b);
}

static int bg_join(struct bg_tool *b) {
  if (b->started)
    pthread_join(b->thread, NULL);
  b->started = false;
  return b->rc;
}

/* docker's die event: {"exitCode": "N"} */
static json_t *exit_attr(const json_t *st) {
  cleanup_free char *code =
      xasprintf("%lld", (long long)json_integer_value(json_object_get(st, "exitCode")));
  return json_pack("{s:s}", "exitCode", code);
}

/* The steps, with the lock held and the shim gone (or in its on-exit).
 * *ended is set when the container had been running (an exit recorded). */
static int cleanup_locked(json_t *c, bool from_shim, bool *ended, struct err **e) {
  const char *id = json_get_str(c, "id");
  json_t *st = json_object_get(c, "state");
  const char *status = json_get_str(st, "status");
  int failed = 0;
  struct err *w = NULL;
  if (status != NULL && (strcmp(status, "running") == 0 || strcmp(status, "restarting") == 0 ||
                         strcmp(status, "paused") == 0)) {
    *ended = true;
    cleanup_json json_t *ex = load_run(id, "exit.json");
    if (!from_shim) {
      /* the shim was killed: its container may still run */
      cleanup_free char *rt = runtime_path(json_get_str(c, "runtime"), &w);
      cleanup_free char *root = runtime_root();
      if (rt != NULL) {
        const char *argv[] = {rt, "--root", root, "delete", "--force", id, NULL};
        struct tool_out o = {0};
        if (tool_run(argv, NULL, 0, &o, 0, &w) < 0)
          err_free(&w); /* "does not exist" is the usual answer */
        tool_out_free(&o);
      }
      err_free(&w);
    }
    json_object_set_new(st, "status", json_string("exited"));
    json_object_set_new(st, "pid", json_integer(0));
    if (ex != NULL) {
      json_object_set(st, "exitCode", json_object_get(ex, "exitCode"));
      json_object_set(st, "finishedAt", json_object_get(ex, "finishedAt"));
      json_object_set(st, "oomKilled", json_object_get(ex, "oomKilled"));
      cleanup_free char *p = ctr_file(id, "exit.json");
      if (json_replace_file(ex, p, &w) < 0)
        warn(&w);
    } else {
      json_object_set_new(st, "exitCode", json_integer(255));
      json_t *started = json_object_get(st, "startedAt");
      json_object_set(st, "finishedAt", started ? started : json_string(""));
    }
    cleanup_json json_t *sj = load_run(id, "status.json");
    if (sj != NULL)
      json_object_set(st, "restartCount", json_object_get(sj, "restartCount"));
  }
  /* a shim stopped while waiting to restart has journaled this die */
  if (*ended && !(from_shim && getenv("CAIRN_DIE_JOURNALED") != NULL))
    event_ctr(c, "die", exit_attr(st));
  /* The network's removal and the rootfs's unmount do not depend on each
   * other: the network goes in a thread while the rootfs is unmounted
   * (each is a chain of execs; `run --rm` waits for both).  Networks
   * connected later go first, while the netns is still there. */
  json_t *att = json_get_obj(c, "attached");
  if (att != NULL && net_extra_detach(c, json_get_str(att, "netns"), &w) < 0) {
    warn(&w);
    failed = 1;
  }
  struct bg_tool net = {.argv = {"cairn-net", "del", json_get_str(att, "network"), id,
                                 json_get_str(att, "netns"), NULL}};
  if (att != NULL)
    bg_start(&net);
  if (rootfs_mounted(id)) {
    cleanup_free char *bundle = ctr_file(id, "bundle");
    const char *argv[] = {"cairn-image", "umount", bundle, NULL};
    if (tool_run(argv, NULL, 0, NULL, 0, &w) < 0) {
      warn(&w);
      failed = 1;
    }
  }
  if (att != NULL) {
    if (bg_join(&net) < 0) {
      warn(&net.e);
      failed = 1;
    } else if (netns_remove(json_get_str(att, "netns"), &w) < 0) {
      warn(&w);
      failed = 1;
    } else if (!failed) {
      json_object_del(c, "attached");
    }
  }
  bool had_ip = json_get_str(json_get_obj(c, "networkSettings"), "IPAddress") != NULL;
  json_object_set_new(c, "networkSettings", json_object());
  json_object_set_new(c, "ports", json_array());
  if (had_ip && hosts_sync(json_get_str(c, "network"), c, &w) < 0) {
    warn(&w);
    failed = 1;
  }
  if (ctr_save_state(c, e) < 0)
    return -1;
  if (failed)
    return err_set(e, 0, "cleaning up container %.12s failed (see above)", id);
  return 0;
}

static int remove_locked(const json_t *c, bool vols, struct err **e) {
  const char *id = json_get_str(c, "id");
  cleanup_free char *rundir = ctr_run_dir(id);
  if (rm_rf(rundir, e) < 0)
    return -1;
  /* Out of the way in one step first: a cairn that opens the container's
   * lock meanwhile (it creates the file) then finds no container, where
   * it would put a file back into a directory being emptied. */
  cleanup_free char *dir = ctr_dir(id);
  cleanup_free char *gone = xasprintf("%s/containers/.removing-%s", C.root, id);
  struct err *ig = NULL;
  if (rm_rf(gone, &ig) < 0) /* a crash's leftover */
    err_free(&ig);
  if (rm_rf(rename(dir, gone) == 0 ? gone : dir, e) < 0)
    return err_wrap(e, "remove container %.12s", id);
  name_release(json_get_str(c, "name"), id);
  event_ctr(c, "destroy", NULL);
  size_t i;
  json_t *m;
  json_array_foreach(json_get_arr(c, "mounts"), i, m) {
    if (!vols || !json_is_true(json_object_get(m, "Anonymous")))
      continue;
    cleanup_free char *v = xasprintf("%s/volumes/%s", C.root, json_get_str(m, "Name"));
    struct err *w = NULL;
    if (rm_rf(v, &w) < 0)
      warn(&w);
  }
  return 0;
}

int ctr_cleanup(const char *id, bool from_shim, struct err **e) {
  int lk = ctr_lock(id, e);
  if (lk < 0) {
    if (*e != NULL && (*e)->code == ERR_NOTFOUND && from_shim) {
      err_free(e);
      return 0;
    }
    return -1;
  }
  cleanup_json json_t *c = ctr_load(id, e);
  int rc = -1;
  if (c == NULL)
    goto out;
  if (!from_shim && shim_alive(id)) {
    rc = 0;
    goto out;
  }
  bool ended = false;
  rc = cleanup_locked(c, from_shim, &ended, e);
  if ((from_shim || ended) && ctr_autoremove(c)) {
    struct err *w = NULL;
    if (rc < 0)
      warn(e);
    rc = remove_locked(c, true, &w);
    if (rc < 0)
      *e = w;
  }
out:
  lock_release(lk);
  return rc;
}

int ctr_remove(const char *id, bool vols, struct err **e) {
  int lk = ctr_lock(id, e);
  if (lk < 0)
    return -1;
  cleanup_json json_t *c = ctr_load(id, e);
  int rc = -1;
  if (c != NULL) {
    if (shim_alive(id))
      rc = err_setc(e, ERR_EXISTS, 0,
                    "cannot remove container \"%s\": container is running: stop the container "
                    "before removing or force remove",
                    json_get_str(c, "name"));
    else if (cleanup_locked(c, false, &(bool){false}, e) == 0)
      rc = remove_locked(c, vols, e);
  }
  lock_release(lk);
  return rc;
}

int ctr_stop(const char *id, int timeout, struct err **e) {
  cleanup_json json_t *c = ctr_load(id, e);
  if (c == NULL)
    return -1;
  if (shim_alive(id)) {
    json_t *cfg = json_get_obj(c, "config");
    long t = timeout;
    if (t < 0)
      t = json_is_integer(json_object_get(cfg, "StopTimeout"))
              ? (long)json_integer_value(json_object_get(cfg, "StopTimeout"))
              : 10;
    const char *sig = json_get_str(cfg, "StopSignal");
    cleanup_free char *cmd = xasprintf("stop %lds %s", t, sig ? sig : "SIGTERM");
    struct err *ce = NULL;
    if (shim_ctl(id, cmd, &ce) < 0) {
      if (ce->code != ERR_NOTFOUND) {
        *e = ce;
        return -1;
      }
      err_free(&ce);
    }
    shim_wait(id, -1);
    event_ctr(c, "stop", NULL);
  }
  /* usually done by the shim's on-exit already (and a --rm container is
   * gone): this catches a shim that died without it */
  if (ctr_cleanup(id, false, e) < 0) {
    if ((*e)->code != ERR_NOTFOUND)
      return -1;
    err_free(e);
  }
  return 0;
}

int cmd_cleanup(int argc, char **argv, struct err **e) {
  if (argc != 2)
    return err_usage(e, "usage: cairn container cleanup ID");
  return ctr_cleanup(argv[1], true, e);
}
