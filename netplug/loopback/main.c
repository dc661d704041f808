/* cairn-loopback: the executable; the plugin is in loopback.c (cairn-net runs the
 * same code in its own process, see plugins.h). */
#include "cni.h"
#include "plugins.h"

int main(int argc, char **argv) {
  return cni_plugin_main(&cni_plugin_loopback, argc, argv);
}
