/* cairn-shim — one supervisor per container (conmon's job).
 *
 * main() checks what it can, detaches, and relays the detached shim's one
 * line of result ({"pid":N} or {"error":{…}}) to the caller; the shim
 * itself lives on in shim_serve (supervise.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "shim.h"

static const char prog[] = "cairn-shim";

/* Errors go out twice: as JSON on stdout for the program that called us,
 * and as one line on stderr for the person reading. */
static int fail(struct err **e) {
  cleanup_free char *j = shim_error_json(*e);
  printf("%s\n", j);
  fflush(stdout);
  err_print(*e, prog);
  int code = err_exit_code(*e);
  err_free(e);
  return code;
}

static int relay_result(int fd, const struct shim_opts *o) {
  struct err *e = NULL;
  size_t len;
  cleanup_free char *text = read_fd(fd, "result", 1 << 20, &len, &e);
  close(fd);
  if (text == NULL)
    return fail(&e);
  while (len > 0 && text[len - 1] == '\n')
    text[--len] = '\0';
  cleanup_json json_t *j = len ? json_loads(text, 0, NULL) : NULL;
  if (j == NULL) {
    err_set(&e, 0, "the shim ended before starting the container (see '%s/shim.log')",
            o->state_dir);
    return fail(&e);
  }
  printf("%s\n", text);
  fflush(stdout);
  json_t *error = json_get_obj(j, "error");
  if (error == NULL)
    return 0;
  const char *msg = json_get_str(error, "msg");
  const char *code = json_get_str(error, "code");
  fprintf(stderr, "%s: %s\n", prog, msg ? msg : "unknown error");
  return code != NULL && strcmp(code, "usage") == 0 ? 2 : 1;
}

int main(int argc, char **argv) {
  __attribute__((cleanup(opts_free))) struct shim_opts o;
  struct err *e = NULL;
  if (opts_parse(argc, argv, &o, &e) < 0)
    return fail(&e);
  if (o.help) {
    opts_usage();
    return 0;
  }
  if (opts_check(&o, &e) < 0)
    return fail(&e);
  int lockfd = lock_state(&o, &e);
  if (lockfd < 0)
    return fail(&e);
  int fd;
  int r = detach(&o, lockfd, &fd, &e);
  if (r < 0)
    return fail(&e);
  if (r == 0)
    return shim_serve(&o, lockfd, fd);
  close(lockfd);
  return relay_result(fd, &o);
}
