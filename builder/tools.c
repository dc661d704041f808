/* tools.c — running cairn-image, cairn-spec, cairn-net and the runtime,
 * scratch directories, and the progress lines. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
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

int tool_run(struct build *b, const char *const *argv, const char *in, size_t in_len,
             struct tool_res *res, struct err **e) {
  (void)b;
  cleanup_free char *path = tool_path(argv[0]);
  size_t n = 0;
  while (argv[n] != NULL)
    n++;
  const char **av = xcalloc(n + 1, sizeof(char *));
  av[0] = path;
  for (size_t i = 1; i < n; i++)
    av[i] = argv[i];
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

void progress(struct build *b, const char *fmt, ...) {
  if (b->o->quiet)
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}
