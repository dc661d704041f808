/* cgtool — drives runtime/cgroup*.c from the shell, for the cgroup suites
 * (tests/runtime/cgroup*.bats).  Not installed.
 *
 *   cgtool layout
 *   cgtool describe PATH ID
 *   cgtool validate RES.json
 *   cgtool setup PATH ID RES.json PID     (RES.json "" = no resources)
 *   cgtool enter PATH ID PID
 *   cgtool update PATH ID RES.json
 *   cgtool freeze|thaw|frozen|pids|stats|oom|destroy PATH ID
 *   cgtool kill PATH ID SIGNUM
 *   cgtool run PATH ID RES.json CMD [ARG…]
 *       setup with a child that waits, let it exec CMD, wait for it; exits
 *       with CMD's status (128+N for a signal).  The cgroup stays (for
 *       `oom` and `stats`): `destroy` it.
 *
 * PATH "" is the default (/cairn/ID).  Errors: one line on stderr, exit 1
 * (2 for usage). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runtime/cgroup.h"
#include "json.h"
#include "mem.h"

static json_t *load_res(const char *path, struct err **e) {
  if (*path == '\0') {
    return json_null();
  }
  return json_load_path(path, e);
}

static int do_run(struct cgroup *cg, json_t *res, char **argv, struct err **e) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0)
    return err_set(e, errno, "pipe");
  pid_t pid = fork();
  if (pid < 0)
    return err_set(e, errno, "fork");
  if (pid == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1)
      _exit(127);
    execvp(argv[0], argv);
    fprintf(stderr, "cgtool: exec '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(go[0]);
  if (cgroup_setup(cg, json_is_null(res) ? NULL : res, pid, e) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(go[1]);
    return -1;
  }
  if (write(go[1], "x", 1) != 1) {
    err_set(e, errno, "release child");
  }
  close(go[1]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (*e != NULL)
    return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int usage(void) {
  fprintf(stderr,
          "usage: cgtool layout | describe|freeze|thaw|frozen|pids|stats|oom|destroy PATH ID |"
          " validate RES | setup PATH ID RES PID | enter PATH ID PID | update PATH ID RES |"
          " kill PATH ID SIG | run PATH ID RES CMD…\n");
  return 2;
}

int main(int argc, char **argv) {
  struct err *e = NULL;
  int rc = 0;
  if (argc < 2)
    return usage();
  const char *cmd = argv[1];
  if (strcmp(cmd, "layout") == 0) {
    puts(cgroup_layout_name(cgroup_layout()));
    return 0;
  }
  if (strcmp(cmd, "validate") == 0) {
    if (argc != 3)
      return usage();
    cleanup_json json_t *res = load_res(argv[2], &e);
    if (res == NULL || cgroup_validate(json_is_null(res) ? NULL : res, &e) < 0)
      goto fail;
    return 0;
  }
  if (argc < 4)
    return usage();
  struct cgroup *cg = cgroup_new(*argv[2] ? argv[2] : NULL, argv[3], &e);
  if (cg == NULL)
    goto fail;
  char **rest = argv + 4;
  int nrest = argc - 4;
  if (strcmp(cmd, "describe") == 0 && nrest == 0) {
    cleanup_json json_t *j = cgroup_describe(cg);
    rc = json_write_line(j, stdout, &e);
  } else if (strcmp(cmd, "setup") == 0 && nrest == 2) {
    cleanup_json json_t *res = load_res(rest[0], &e);
    rc = res == NULL ? -1 : cgroup_setup(cg, json_is_null(res) ? NULL : res, atoi(rest[1]), &e);
  } else if (strcmp(cmd, "enter") == 0 && nrest == 1) {
    rc = cgroup_enter(cg, atoi(rest[0]), &e);
  } else if (strcmp(cmd, "update") == 0 && nrest == 1) {
    cleanup_json json_t *res = load_res(rest[0], &e);
    rc = res == NULL ? -1 : cgroup_update(cg, json_is_null(res) ? NULL : res, &e);
  } else if ((strcmp(cmd, "freeze") == 0 || strcmp(cmd, "thaw") == 0) && nrest == 0) {
    rc = cgroup_freeze(cg, strcmp(cmd, "freeze") == 0, &e);
  } else if (strcmp(cmd, "frozen") == 0 && nrest == 0) {
    puts(cgroup_frozen(cg) ? "frozen" : "thawed");
  } else if (strcmp(cmd, "pids") == 0 && nrest == 0) {
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;
    rc = cgroup_pids(cg, &pids, &n, &e);
    for (size_t i = 0; rc == 0 && i < n; i++)
      printf("%d\n", (int)pids[i]);
  } else if (strcmp(cmd, "kill") == 0 && nrest == 1) {
    rc = cgroup_signal_all(cg, atoi(rest[0]), &e);
  } else if (strcmp(cmd, "stats") == 0 && nrest == 0) {
    cleanup_json json_t *j = cgroup_stats(cg, &e);
    rc = j == NULL ? -1 : json_write_line(j, stdout, &e);
  } else if (strcmp(cmd, "oom") == 0 && nrest == 0) {
    puts(cgroup_oom_killed(cg) ? "true" : "false");
  } else if (strcmp(cmd, "destroy") == 0 && nrest == 0) {
    rc = cgroup_destroy(cg, &e);
  } else if (strcmp(cmd, "run") == 0 && nrest >= 2) {
    cleanup_json json_t *res = load_res(rest[0], &e);
    rc = res == NULL ? -1 : do_run(cg, res, rest + 1, &e);
  } else {
    cgroup_free(cg);
    return usage();
  }
  cgroup_free(cg);
  if (rc < 0)
    goto fail;
  return rc;
fail:
  err_print(e, "cgtool");
  rc = err_exit_code(e);
  err_free(&e);
  return rc;
}
