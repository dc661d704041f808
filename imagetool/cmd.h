/* cmd.h — what every cairn-image subcommand gets, and the handlers that
 * main.c's table dispatches to. */
#ifndef CAIRN_IMAGE_CMD_H
#define CAIRN_IMAGE_CMD_H

#include <stdint.h>

#include "err.h"
#include "store.h"

struct ctx {
  const char *root; /* $CAIRN_ROOT */
  const char *prog; /* "cairn-image" */
  struct store store;
  int store_open;
};

/* Open the store on first use. */
struct store *ctx_store(struct ctx *c, struct err **e);

/* --max-layer-size SIZE ("2g", "512m", bytes). */
int parse_max_size(const char *arg, uint64_t *out, struct err **e);

/* events.c: docker's image events in the journal.  image_event: Actor.ID
 * id, attribute name (id when NULL); image_event_ref: the familiar
 * reference as ID and its familiar name (pull, push). */
void image_event(const struct store *s, const char *action, const char *id, const char *name);
void image_event_ref(const struct store *s, const char *action, const char *refstr);

/* Each handler gets argv with argv[0] the subcommand name. */
typedef int (*cmd_fn)(struct ctx *c, int argc, char **argv, struct err **e);

int cmd_ls(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_inspect(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_config(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_history(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_tag(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_rm(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_load(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_save(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_unpack(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_umount(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_pull(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_push(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_tags(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_catalog(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_login(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_logout(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_commit(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_diff(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_import(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_export(struct ctx *c, int argc, char **argv, struct err **e);
int cmd_prune(struct ctx *c, int argc, char **argv, struct err **e);

#endif
