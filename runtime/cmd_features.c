/* cmd_features.c — `features`: what this runtime supports, in the shape of
 * the runtime-spec features document (as `runc features` prints it). */
#include <cap-ng.h>
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "config.h"
#include "json.h"
#include "mem.h"
#include "mount.h"
#include "runtime.h"
#include "seccomp_filter.h"

#include <seccomp.h>

int cmd_features(struct rt_opts *g, int argc, char **argv, struct err **e) {
  (void)g;
  static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  while ((c = rt_getopt(argc, argv, "+:h", lo, "features", e)) != -1) {
    if (c == '?')
      return -1;
    rt_help("features", "Print the features this runtime supports (JSON).\n");
    return 0;
  }
  json_t *hooks = json_pack("[s,s,s,s,s,s]", "prestart", "createRuntime", "createContainer",
                            "startContainer", "poststart", "poststop");
  json_t *mopts = json_array();
  for (const char *const *n = mount_option_names(); *n != NULL; n++)
    json_array_append_new(mopts, json_string(*n));
  json_t *ns = json_array();
  static const char *const nsn[] = {"cgroup", "ipc",  "mount", "network",
                                    "pid",    "time", "user",  "uts"};
  for (size_t i = 0; i < sizeof(nsn) / sizeof(nsn[0]); i++)
    json_array_append_new(ns, json_string(nsn[i]));
  json_t *caps = json_array();
  for (int cap = 0; cap <= cap_last(); cap++) {
    const char *n = capng_capability_to_name((unsigned)cap);
    if (n == NULL)
      continue;
    char up[64] = "CAP_";
    size_t k = 4;
    for (; *n && k < sizeof(up) - 1; n++)
      up[k++] = (char)toupper((unsigned char)*n);
    up[k] = '\0';
    json_array_append_new(caps, json_string(up));
  }
  char yes = 0;
  FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
  if (f != NULL) {
    yes = (char)fgetc(f);
    fclose(f);
  }
  const struct scmp_version *sv = seccomp_version();
  cleanup_free char *scv = xasprintf("%u.%u.%u", sv->major, sv->minor, sv->micro);
  cleanup_json json_t *j = json_pack(
      "{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:{s:b,s:b,s:b,s:b},s:o,s:{s:b},s:{s:b},s:{s:{s:b}}},"
      "s:{s:s,s:s,s:s}}",
      "ociVersionMin", "1.0.0", "ociVersionMax", RT_OCI_VERSION, "hooks", hooks, "mountOptions",
      mopts, "linux", "namespaces", ns, "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd",
      0, "systemdUser", 0, "seccomp", filter_features(), "apparmor", "enabled", yes == 'Y',
      "selinux", "enabled", access("/sys/fs/selinux/enforce", F_OK) == 0, "mountExtensions",
      "idmap", "enabled", 0, "annotations", "org.cairn.runtime.version", RT_VERSION,
      "org.cairn.runtime.cgroup.layout", cgroup_layout_name(cgroup_layout()),
      "io.github.seccomp.libseccomp.version", scv);
  char *s = json_dumps(j, JSON_INDENT(4));
  printf("%s\n", s);
  free(s);
  return 0;
}
