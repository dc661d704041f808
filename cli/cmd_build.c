/* cmd_build.c — `cairn build` and `cairn builder prune`: handed to
 * cairn-build (the flags are docker build's, and cairn-build takes them
 * as they are), with cairn's default runtime unless the user names one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "mem.h"

static int exec_build(char **args, int n, bool runtime, struct err **e) {
  cleanup_free char *path = tool_path("cairn-build", e);
  if (path == NULL)
    return -1;
  char **av = xcalloc((size_t)n + 4, sizeof *av);
  int k = 0;
  av[k++] = path;
  if (runtime && C.runtime != NULL) {
    /* before the user's flags: a --runtime of theirs comes later and wins */
    av[k++] = (char *)"--runtime";
    av[k++] = (char *)C.runtime;
  }
  for (int i = 0; i < n; i++)
    av[k++] = args[i];
  if (C.debug)
    debug_cmd((const char *const *)av);
  fflush(stdout);
  execv(path, av);
  int saved = errno;
  free(av);
  return err_set(e, saved, "exec '%s'", path);
}

int cmd_build(int argc, char **argv, struct err **e) {
  return exec_build(argv + 1, argc - 1, true, e);
}

int cmd_builder(int argc, char **argv, struct err **e) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fputs("Usage: cairn builder COMMAND\n\nCommands:\n  prune     remove the build cache\n",
          argc < 2 ? stderr : stdout);
    return argc < 2 ? err_usage(e, "\"cairn builder\" requires a command") : 0;
  }
  if (strcmp(argv[1], "prune") != 0)
    return err_usage(e, "'builder %s' is not a cairn command", argv[1]);
  return exec_build(argv + 1, argc - 1, false, e);
}
