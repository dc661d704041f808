/* events.c — cairn-net's entries in the event journal (lib/journal.h):
 * docker's network events create, destroy, connect and disconnect, written
 * by the tool that did the work, so cairn-net run alone journals them as
 * well as under cairn (which then writes none of its own).
 *
 * A network's docker id is the conflist's "cairn.networkId" (cairn
 * network create passes its id with --id), else one derived from the name,
 * sha256("cairn network NAME"): the same id cairn shows for a network it
 * has no record of, such as the default one. */
#include <ctype.h>
#include <string.h>

#include "digest.h"
#include "journal.h"
#include "json.h"
#include "mem.h"
#include "net.h"

int net_id_valid(const char *id) {
  if (id == NULL || strlen(id) != 64)
    return 0;
  for (size_t i = 0; i < 64; i++)
    if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
      return 0;
  return 1;
}

char *net_docker_id(const json_t *list, const char *name) {
  const char *id = json_get_str(list, NET_ID_KEY);
  if (net_id_valid(id))
    return xstrdup(id);
  return network_default_id(name);
}

void net_event(const struct netctx *c, const char *action, const json_t *list, const char *name,
               const char *container) {
  cleanup_free char *id = net_docker_id(list, name);
  json_t *attrs = json_pack("{s:s,s:s}", "name", name, "type", "bridge");
  if (container != NULL)
    json_object_set_new(attrs, "container", json_string(container));
  struct err *e = NULL;
  if (journal_write(c->events, "network", action, id, attrs, &e) < 0)
    err_free(&e);
}
