/* tools.c — running cairn-image, cairn-spec, cairn-net and the runtime,
 * scratch directories, and the progress lines. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"
#include "netnsfile.h"
#include "spawn.h"

/* Tools installed together live in one directory: prefer our siblings to
 * whatever PATH holds, so a checkout's bin/ runs its own tools. */
char *tool_path(const char *name) {
  if (strchr(name, '/') != NULL)
    return xstrdup(name);
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
      *slash = '\0';
      char *p = xasprintf("%s/%s", self, name);
      if (access(p, X_OK) == 0)
        return p;
      free(p);
    }
  }
  return xstrdup(name);
}

void tool_res_free(struct tool_res *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof(*r));
}

/* The last non-empty line of a tool's stderr, without its "tool: " prefix
 * kept (it names the tool that failed, which is what the user needs). */
static char *last_line(const char *s) {
  if (s == NULL)
    return xstrdup("");
  size_t len = strlen(s);
  while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
    len--;
  size_t start = len;
  while (start > 0 && s[start - 1] != '\n')
    start--;
  return xstrndup(s + start, len - start);
}

/* argv with argv[0] replaced by path (a new array of the same strings). */
static const char **argv_with_path(const char *const *argv, const char *path) {
  size_t n = 0;
  while (argv[n] != NULL)
    n++;
  const char **av = xcalloc(n + 1, sizeof(char *));
  av[0] = path;
  for (size_t i = 1; i < n; i++)
    av[i] = argv[i];
  return av;
}

int tool_run(struct build *b, const char *const *argv, const char *in, size_t in_len,
             struct tool_res *res, struct err **e) {
  (void)b;
  cleanup_free char *path = tool_path(argv[0]);
  const char **av = argv_with_path(argv, path);
  struct spawn_opts so = {
      .argv = av, .stdin_buf = in, .stdin_len = in_len, .capture_stdout = 1, .capture_stderr = 1};
  struct spawn_result sr = {0};
  int r = spawn_run(&so, &sr, e);
  free(av);
  if (r < 0)
    return err_wrap(e, "%s", argv[0]);
  int st = spawn_status(&sr);
  if (res != NULL) {
    res->out = sr.out;
    res->out_len = sr.out_len;
    res->err = sr.err;
    res->status = st;
    return 0;
  }
  if (st != 0) {
    cleanup_free char *msg = last_line(sr.err);
    err_set(e, 0, "%s", msg[0] ? msg : "failed");
    (*e)->code = ERR_FAIL;
    if (msg[0] == '\0') {
      free((*e)->msg);
      (*e)->msg = xasprintf("%s %s: exit status %d", argv[0], argv[1] ? argv[1] : "", st);
    }
    spawn_result_free(&sr);
    return -1;
  }
  spawn_result_free(&sr);
  return 0;
}

volatile pid_t build_running_pid;
volatile sig_atomic_t build_cancelled;
char *const *volatile build_cancel_argv;

struct shown {
  struct build *b;
  int step;
};

static void on_output(void *arg, int fd, const char *buf, size_t len) {
  (void)fd;
  struct shown *sh = arg;
  prog_output(sh->b, sh->step, buf, len);
}

int tool_run_shown(struct build *b, const char *const *argv, int step, struct tool_res *res,
                   struct err **e) {
  cleanup_free char *path = tool_path(argv[0]);
  const char **av = argv_with_path(argv, path);
  struct shown sh = {b, step};
  struct spawn_opts so = {.argv = av,
                          .capture_stdout = 1,
                          .capture_stderr = 1,
                          .on_output = on_output,
                          .on_output_arg = &sh,
                          .running_pid = &build_running_pid};
  struct spawn_result sr = {0};
  int r = spawn_run(&so, &sr, e);
  free(av);
  if (r < 0)
    return err_wrap(e, "%s", argv[0]);
  res->out = sr.out;
  res->out_len = sr.out_len;
  res->err = sr.err;
  res->status = spawn_status(&sr);
  return 0;
}

json_t *tool_json(struct build *b, const char *const *argv, const char *in, struct err **e) {
  struct tool_res res = {0};
  if (tool_run(b, argv, in, in ? strlen(in) : 0, &res, e) < 0)
    return NULL;
  if (res.status != 0) {
    cleanup_free char *msg = last_line(res.err);
    err_set(e, 0, "%s", msg[0] ? msg : "failed");
    tool_res_free(&res);
    return NULL;
  }
  cleanup_free char *name = xasprintf("%s %s output", argv[0], argv[1] ? argv[1] : "");
  json_t *j = json_load_str(res.out ? res.out : "", name, e);
  tool_res_free(&res);
  return j;
}

char *build_tmpdir(struct build *b, const char *what, struct err **e) {
  char *p = xasprintf("%s/%s%d", b->tmp, what, b->tmp_seq++);
  if (mkdir_p(p, 0700, e) < 0) {
    free(p);
    return NULL;
  }
  return p;
}

/* ---- scratch dirs of builds that died ---- */

/* Unmount every mount at or under dir, deepest first. */
static void umount_under(const char *dir) {
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return;
  char **found = NULL;
  char line[4096];
  size_t dl = strlen(dir);
  while (fgets(line, sizeof(line), f) != NULL) {
    char mp[4096];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    if (strncmp(mp, dir, dl) == 0 && (mp[dl] == '/' || mp[dl] == '\0'))
      strv_push(&found, mp);
  }
  for (size_t i = strv_len(found); i > 0; i--)
    umount2(found[i - 1], MNT_DETACH);
  strv_free(found);
}

/* The RUNs a dead build left running (the ctr-<id>.json records that
 * exec_run.c writes): their containers deleted by force through the
 * runtime they ran under (processes, state, cgroups), their network
 * namespaces unwired and removed. */
static void undo_runs(const char *scratch) {
  cleanup_dir DIR *d = opendir(scratch);
  if (d == NULL)
    return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, "ctr-", 4) != 0)
      continue;
    cleanup_free char *p = path_join(scratch, de->d_name);
    struct err *ie = NULL;
    cleanup_json json_t *j = json_load_path(p, &ie);
    err_free(&ie);
    const char *rt = json_get_str(j, "runtime"), *rtroot = json_get_str(j, "root");
    const char *id = json_get_str(j, "id"), *ns = json_get_str(j, "netns");
    if (rt == NULL || rtroot == NULL || id == NULL)
      continue;
    struct tool_res res = {0};
    const char *dargv[] = {rt, "--root", rtroot, "delete", "-f", id, NULL};
    tool_run(NULL, dargv, NULL, 0, &res, &ie);
    tool_res_free(&res);
    err_free(&ie);
    if (ns != NULL) {
      const char *nargv[] = {"cairn-net", "del", "cairn", id, ns, NULL};
      tool_run(NULL, nargv, NULL, 0, &res, &ie);
      tool_res_free(&res);
      err_free(&ie);
      netns_unbind(ns, &ie);
      err_free(&ie);
    }
  }
}

int build_tmp_sweep(const char *root, struct err **e) {
  cleanup_free char *dir = xasprintf("%s/build-tmp", root);
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : err_set(e, errno, "open '%s'", dir);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (n < 6 || strcmp(de->d_name + n - 5, ".lock") != 0)
      continue;
    cleanup_free char *lock = path_join(dir, de->d_name);
    struct err *busy = NULL;
    int fd = lock_try(lock, 0, &busy);
    if (fd < 0) { /* a build that runs */
      err_free(&busy);
      continue;
    }
    cleanup_free char *scratch = xstrndup(lock, strlen(lock) - 5);
    undo_runs(scratch);
    umount_under(scratch);
    struct err *ie = NULL;
    if (rm_rf(scratch, &ie) == 0)
      unlink(lock);
    err_free(&ie);
    lock_release(fd);
  }
  return 0;
}

int build_tmp_create(struct build *b, struct err **e) {
  char rid[65];
  random_id(rid);
  b->tmp = xasprintf("%s/build-tmp/%.16s", b->o->root, rid);
  cleanup_free char *lock = xasprintf("%s.lock", b->tmp);
  /* held until we exit: a sweep by another build leaves ours alone */
  if ((b->tmp_lock = lock_acquire(lock, 0, e)) < 0)
    return -1;
  return mkdir_p(b->tmp, 0700, e);
}

void build_tmp_remove(struct build *b) {
  if (b->tmp == NULL)
    return;
  umount_under(b->tmp);
  struct err *ie = NULL;
  rm_rf(b->tmp, &ie);
  err_free(&ie);
  cleanup_free char *lock = xasprintf("%s.lock", b->tmp);
  unlink(lock);
  if (b->tmp_lock >= 0)
    lock_release(b->tmp_lock);
  b->tmp_lock = -1;
}
