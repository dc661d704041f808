/* cache.c — the build cache: step key -> the image that step made.
 *
 * An entry is $CAIRN_ROOT/build-cache/steps/<key hex>.json holding the
 * image's manifest digest, its id and its container config, so a hit
 * costs one small file read and no tool.  The key (made in stage.c) is the
 * digest of the parent image, the config before the step, the expanded
 * instruction, the build args in scope and, for COPY/ADD, the sources'
 * content.  A hit is used only while its manifest is still in the store. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

static char *entry_path(struct build *b, const char *key) {
  return xasprintf("%s/build-cache/steps/%s.json", b->o->root, digest_hex(key));
}

int cache_get(struct build *b, const char *key, struct bimage *out) {
  cleanup_free char *p = entry_path(b, key);
  struct err *ig = NULL;
  cleanup_json json_t *j = json_load_path(p, &ig);
  err_free(&ig);
  if (j == NULL)
    return 0;
  const char *ref = json_get_str(j, "ref"), *id = json_get_str(j, "id");
  json_t *cc = json_get_obj(j, "cc");
  if (ref == NULL || id == NULL || cc == NULL || !digest_valid(ref) || !digest_valid(id))
    return 0;
  cleanup_free char *blob = xasprintf("%s/store/blobs/sha256/%s", b->o->root, digest_hex(ref));
  if (access(blob, F_OK) < 0)
    return 0;
  memset(out, 0, sizeof(*out));
  out->ref = xstrdup(ref);
  out->id = xstrdup(id);
  out->cc = json_deep_copy(cc);
  return 1;
}

int cache_put(struct build *b, const char *key, const struct bimage *img, struct err **e) {
  cleanup_free char *dir = xasprintf("%s/build-cache/steps", b->o->root);
  if (mkdir_p(dir, 0700, e) < 0)
    return -1;
  cleanup_free char *p = entry_path(b, key);
  cleanup_json json_t *j =
      json_pack("{s:s,s:s,s:O}", "ref", img->ref, "id", img->id, "cc", img->cc);
  cleanup_free char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  return write_file_atomic(p, text, strlen(text), 0600, e);
}

static uint64_t du(const char *dir) {
  uint64_t total = 0;
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    struct stat st;
    cleanup_free char *p = path_join(dir, de->d_name);
    if (lstat(p, &st) == 0)
      total += S_ISDIR(st.st_mode) ? du(p) : (uint64_t)st.st_size;
  }
  return total;
}

int cache_prune(const char *root, uint64_t *freed, struct err **e) {
  cleanup_free char *dir = xasprintf("%s/build-cache", root);
  *freed = du(dir);
  return rm_rf(dir, e);
}
