/* cmd_create.c — `create`: the container exists, its process waits for
 * `start`. */
#include <getopt.h>
#include <stdlib.h>

#include "lifecycle.h"

static const char help[] =
    "Create a container from the bundle; its process waits for 'start'.\n\n"
    "  -b, --bundle DIR        the bundle (default: the current directory)\n"
    "  --console-socket PATH   send the pty master of a terminal process to this socket\n"
    "  --pid-file PATH         write the container's pid here\n"
    "  --no-pivot              switch root with MS_MOVE + chroot instead of pivot_root\n"
    "  --no-new-keyring        keep the caller's session keyring\n"
    "  --preserve-fds N        pass fds 3 .. 3+N-1 to the container\n";

/* Flags shared by create and run; returns 1 when handled. */
int create_flag(int c, struct create_opts *o, struct err **e);
int create_flag(int c, struct create_opts *o, struct err **e) {
  switch (c) {
    case 'b': o->bundle = optarg; return 1;
    case 'C': o->console_socket = optarg; return 1;
    case 'p': o->pid_file = optarg; return 1;
    case 'P': o->no_pivot = 1; return 1;
    case 'K': o->no_new_keyring = 1; return 1;
    case 'F': {
      char *end;
      long n = strtol(optarg, &end, 10);
      if (*end != '\0' || n < 0 || n > 65536) {
        err_usage(e, "--preserve-fds: expected a number, got '%s'", optarg);
        return -1;
      }
      o->preserve_fds = (int)n;
      return 1;
    }
  }
  return 0;
}

int cmd_create(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {
      {"bundle", required_argument, NULL, 'b'},   {"console-socket", required_argument, NULL, 'C'},
      {"pid-file", required_argument, NULL, 'p'}, {"no-pivot", no_argument, NULL, 'P'},
      {"no-new-keyring", no_argument, NULL, 'K'}, {"preserve-fds", required_argument, NULL, 'F'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  struct create_opts o = {0};
  int c;
  while ((c = rt_getopt(argc, argv, "+:b:h", lo, "create", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'h') {
      rt_help("create [flags] ID", help);
      return 0;
    }
    if (create_flag(c, &o, e) < 0)
      return -1;
  }
  const char *id = rt_arg_id(argc, argv, "create", e);
  if (id == NULL)
    return -1;
  struct created cr;
  if (lifecycle_create(g, id, &o, LAUNCH_CREATE, &cr, e) < 0)
    return -1;
  created_free(&cr);
  return 0;
}
