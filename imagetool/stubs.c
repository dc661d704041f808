/* Commands not written yet. */
#include "cmd.h"

#define STUB(n)                                                                  \
  int cmd_##n(struct ctx *c, int argc, char **argv, struct err **e) {            \
    (void)c;                                                                     \
    (void)argc;                                                                  \
    (void)argv;                                                                  \
    return err_set(e, 0, "%s: not implemented yet", #n);                        \
  }
STUB(push)
STUB(tags)
STUB(login)
STUB(logout)
STUB(save)
STUB(import)
STUB(commit)
STUB(diff)
STUB(export)
