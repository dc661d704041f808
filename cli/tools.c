/* tools.c — finding the other executables and running them.
 *
 * A tool is looked up in cairn.json ("tools": {"cairn-image": PATH}),
 * then next to cairn's own binary (bin/ in a checkout, PREFIX/bin once
 * installed: the tools of one build go together), then in PATH.  Every
 * command cairn runs can be printed first (--debug): each step is a
 * command a person could type. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"
#include "spawn.h"

static char *search_path(const char *name) {
  const char *path = getenv("PATH");
  if (path == NULL || *path == '\0')
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  cleanup_free char *copy = xstrdup(path);
  char *save = NULL;
  for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
    char *p = xasprintf("%s/%s", *d ? d : ".", name);
    if (access(p, X_OK) == 0)
      return p;
    free(p);
  }
  return NULL;
}

char *tool_path(const char *name, struct err **e) {
  const char *conf = json_get_str(json_get_obj(C.conf, "tools"), name);
  if (conf != NULL)
    return xstrdup(conf);
  if (strchr(name, '/') != NULL)
    return xstrdup(name);
  if (C.self_dir != NULL) {
    char *p = xasprintf("%s/%s", C.self_dir, name);
    if (access(p, X_OK) == 0)
      return p;
    free(p);
  }
  char *p = search_path(name);
  if (p == NULL)
    err_setc(e, ERR_NOTFOUND, 0, "'%s' not found next to cairn or in PATH", name);
  return p;
}

char *runtime_path(const char *rt, struct err **e) {
  const char *conf = json_get_str(json_get_obj(C.conf, "runtimes"), rt);
  if (conf != NULL)
    return xstrdup(conf);
  char *p = tool_path(rt, e);
  if (p == NULL)
    err_wrap(e, "runtime");
  return p;
}

char *sh_quote(const char *s) {
  bool plain = *s != '\0';
  for (const char *p = s; *p && plain; p++)
    plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,@+%",
                   *p) != NULL;
  if (plain)
    return xstrdup(s);
  size_t n = 3;
  for (const char *p = s; *p; p++)
    n += *p == '\'' ? 4 : 1;
  char *q = xmalloc(n), *o = q;
  *o++ = '\'';
  for (const char *p = s; *p; p++) {
    if (*p == '\'') {
      memcpy(o, "'\\''", 4);
      o += 4;
    } else {
      *o++ = *p;
    }
  }
  *o++ = '\'';
  *o = '\0';
  return q;
}

void err_show(const struct err *e) {
  if (e == NULL)
    return;
  if (e->code != ERR_CALLEE)
    err_print(e, "cairn");
  else if (e->msg != NULL && *e->msg != '\0')
    fprintf(stderr, "%s\n", e->msg);
}

void debug_cmd(const char *const *argv) {
  if (!C.debug)
    return;
  fputs("+", stderr);
  for (size_t i = 0; argv[i] != NULL; i++) {
    cleanup_free char *q = sh_quote(argv[i]);
    fprintf(stderr, " %s", q);
  }
  fputc('\n', stderr);
}

int tool_run(const char *const *argv, const void *in, size_t in_len, struct tool_out *out,
             int pass_stderr, struct err **e) {
  cleanup_free char *path = tool_path(argv[0], e);
  if (path == NULL)
    return -1;
  size_t n = strv_len((char *const *)argv);
  cleanup_free const char **av = xcalloc(n + 1, sizeof *av);
  av[0] = path;
  for (size_t i = 1; i < n; i++)
    av[i] = argv[i];
  debug_cmd(argv);
  struct spawn_opts so = {.argv = av,
                          .stdin_buf = in,
                          .stdin_len = in_len,
                          .capture_stdout = out != NULL,
                          .capture_stderr = !pass_stderr};
  struct spawn_result r = {0};
  if (spawn_run(&so, &r, e) < 0)
    return err_wrap(e, "run '%s'", argv[0]);
  int status = spawn_status(&r);
  if (status != 0) {
    /* The callee said what went wrong (one line, naming itself): that is
     * the message, as is. */
    char *msg = r.err;
    size_t len = r.err_len;
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
      msg[--len] = '\0';
    if (pass_stderr || (!r.exited && r.signal == SIGPIPE))
      err_setc(e, ERR_CALLEE, 0, "%s", ""); /* it told the user already, or the reader left */
    else if (msg != NULL && len > 0)
      err_setc(e, ERR_CALLEE, 0, "%s", msg);
    else if (r.exited)
      err_set(e, 0, "'%s' failed with exit status %d", argv[0], r.code);
    else
      err_set(e, 0, "'%s' was killed by signal %d", argv[0], r.signal);
    spawn_result_free(&r);
    return -1;
  }
  /* warnings of a tool that succeeded still reach the user */
  if (!pass_stderr && r.err != NULL && r.err_len > 0)
    fputs(r.err, stderr);
  if (out != NULL) {
    out->out = r.out ? r.out : xstrdup("");
    out->out_len = r.out ? r.out_len : 0;
    out->status = status;
    r.out = NULL;
  }
  spawn_result_free(&r);
  return 0;
}

void tool_out_free(struct tool_out *o) {
  free(o->out);
  o->out = NULL;
}
