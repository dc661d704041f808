/* cairn-ipam — the CNI IPAM plugin with host-local's semantics (ipam.c). */
#include "cni.h"
#include "plugins.h"

int main(int argc, char **argv) {
  return cni_plugin_main(&cni_plugin_ipam, argc, argv);
}
