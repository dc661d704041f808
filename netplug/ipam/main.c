/* cairn-ipam — the CNI IPAM plugin with host-local's semantics (ipam.c). */
#include "cni.h"
#include "ipam.h"

int main(int argc, char **argv) {
  static const struct cni_plugin p = {"cairn-ipam", ipam_cmd_add, ipam_cmd_del, ipam_cmd_check};
  return cni_plugin_main(&p, argc, argv);
}
