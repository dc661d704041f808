/* netns.c — a container's network namespace, bound to a file under
 * $RUN/netns (lib/netnsfile.c does the work; cairn-build uses it too). */
#include "cairn.h"
#include "netnsfile.h"

int netns_create(const char *path, struct err **e) {
  return netns_bind_new(C.run, path, e);
}

int netns_remove(const char *path, struct err **e) {
  return netns_unbind(path, e);
}
