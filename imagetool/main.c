/* cairn-image — the image tool: registry client, OCI image store, layer
 * extraction, overlay unpack and commit.  This file is the dispatch table. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "fmt.h"
#include "mem.h"

static const struct {
  const char *name;
  cmd_fn fn;
  const char *summary;
} commands[] = {
    {"pull", cmd_pull, "pull an image from a registry"},
    {"push", cmd_push, "push an image to a registry"},
    {"tags", cmd_tags, "list the tags of a repository in a registry"},
    {"catalog", cmd_catalog, "list the repositories of a registry"},
    {"login", cmd_login, "store credentials for a registry"},
    {"logout", cmd_logout, "remove stored credentials for a registry"},
    {"ls", cmd_ls, "list images"},
    {"inspect", cmd_inspect, "print docker's image inspect JSON"},
    {"config", cmd_config, "print an image's OCI config"},
    {"history", cmd_history, "show the history of an image"},
    {"tag", cmd_tag, "give an image another name"},
    {"rm", cmd_rm, "untag or remove images"},
    {"prune", cmd_prune, "remove unused images, blobs and layer dirs"},
    {"load", cmd_load, "load images from a docker-archive or OCI archive"},
    {"save", cmd_save, "write images as a docker-archive"},
    {"import", cmd_import, "make an image from a rootfs tarball"},
    {"export", cmd_export, "write a root filesystem as a tar"},
    {"unpack", cmd_unpack, "make BUNDLE/rootfs from an image"},
    {"umount", cmd_umount, "unmount BUNDLE/rootfs"},
    {"commit", cmd_commit, "make an image from an overlay upper dir"},
    {"diff", cmd_diff, "list the changes in an overlay upper dir"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f) {
  fprintf(f, "Usage: cairn-image [--root DIR] COMMAND [ARGS...]\n\n"
             "Images in an OCI layout at $CAIRN_ROOT/store (default /var/lib/cairn).\n\n"
             "Commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nRun 'cairn-image COMMAND --help' for a command's options.\n");
}

struct store *ctx_store(struct ctx *c, struct err **e) {
  if (!c->store_open) {
    if (store_open(&c->store, c->root, e) < 0)
      return NULL;
    c->store_open = 1;
  }
  return &c->store;
}

int parse_max_size(const char *arg, uint64_t *out, struct err **e) {
  int64_t n;
  if (parse_size(arg, &n, e) < 0)
    return err_wrap(e, "--max-layer-size");
  if (n <= 0)
    return err_usage(e, "--max-layer-size: must be positive");
  *out = (uint64_t)n;
  return 0;
}

int main(int argc, char **argv) {
  struct ctx c = {.prog = "cairn-image"};
  /* Tar names are bytes; a UTF-8 locale lets libarchive hand PAX names
   * through unchanged. */
  setlocale(LC_CTYPE, "C.UTF-8");
  /* Every file this tool makes gets its mode explicitly (layer entries are
   * born with theirs), so the caller's umask must not change them. */
  umask(0);
  c.root = getenv("CAIRN_ROOT");
  if (c.root == NULL || c.root[0] == '\0')
    c.root = "/var/lib/cairn";
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
      c.root = argv[++i];
    } else if (strncmp(argv[i], "--root=", 7) == 0) {
      c.root = argv[i] + 7;
    } else {
      fprintf(stderr, "cairn-image: unknown option '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return 2;
  }
  for (size_t k = 0; k < NCOMMANDS; k++) {
    if (strcmp(argv[i], commands[k].name) != 0)
      continue;
    struct err *e = NULL;
    int r = commands[k].fn(&c, argc - i, argv + i, &e);
    int code = 0;
    if (r < 0) {
      err_print(e, c.prog);
      code = err_exit_code(e);
      err_free(&e);
    } else {
      code = r;
    }
    if (c.store_open)
      store_close(&c.store);
    if (fflush(stdout) == EOF && code == 0) {
      perror("cairn-image: write stdout");
      code = 1;
    }
    return code;
  }
  fprintf(stderr, "cairn-image: unknown command '%s'\n", argv[i]);
  usage(stderr);
  return 2;
}
