/* copy.h — what copy.c shares with layertar.c: where COPY/ADD entries go. */
#ifndef CAIRN_BUILDER_COPY_H
#define CAIRN_BUILDER_COPY_H

#include <archive.h>
#include <jansson.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

struct copy_opts {
  uid_t uid;
  gid_t gid;
  bool chmod_set;
  mode_t chmod;
  const char *rootfs;
  /* When set, entries go to this tar (the layer itself) instead of the
   * mounted rootfs: no file is created on disk, and none deleted after. */
  struct archive *tar;
  json_t *emitted; /* dirs the tar holds: in-image path -> true */
  long long epoch;
};

/* One entry into co->tar at the in-image path clean ("/a/b"): a dir (mode
 * from st), a file (content read from cfd) or a symlink (link), with its
 * parent resolved through the image's symlinks and the directories the
 * image lacks added before it. */
int tar_entry(const struct copy_opts *co, const struct stat *st, int cfd, const char *link,
              const char *clean, struct err **e);

#endif
