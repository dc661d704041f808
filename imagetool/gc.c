#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "layer.h"
#include "lock.h"
#include "mem.h"
#include "ref.h"

static int same_ref(const char *a, const char *b) {
  if (strcmp(a, b) == 0)
    return 1;
  struct err *e = NULL;
  cleanup_free char *na = ref_normalize(a, &e);
  err_free(&e);
  cleanup_free char *nb = ref_normalize(b, &e);
  err_free(&e);
  return na != NULL && nb != NULL && strcmp(na, nb) == 0;
}

char *image_user(const struct store *s, const char *manifest, const char *config, json_t *refs) {
  cleanup_free char *dir = path_join(s->root, "containers");
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return NULL;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    cleanup_free char *p = xasprintf("%s/%s/container.json", dir, de->d_name);
    struct err *e = NULL;
    cleanup_json json_t *j = json_load_path(p, &e);
    err_free(&e);
    if (j == NULL)
      continue;
    const char *img = json_get_str(j, "image") ?: json_get_str(j, "Image");
    const char *id = json_get_str(j, "imageId") ?: json_get_str(j, "ImageID");
    if (id != NULL && ((config && strcmp(id, config) == 0) || strcmp(id, manifest) == 0))
      return xstrdup(de->d_name);
    if (img == NULL)
      continue;
    if ((config && strcmp(img, config) == 0) || strcmp(img, manifest) == 0)
      return xstrdup(de->d_name);
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
      if (same_ref(img, json_string_value(r)))
        return xstrdup(de->d_name);
    }
  }
  return NULL;
}

/* A set of hex digests, kept as a sorted array. */
struct set {
  char **v;
  size_t n, cap;
};

static void set_add(struct set *s, const char *digest) {
  if (!digest_valid(digest))
    return;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->v = xrealloc(s->v, s->cap * sizeof(char *));
  }
  s->v[s->n++] = xstrdup(digest_hex(digest));
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int set_has(const struct set *s, const char *hex) {
  return s->n > 0 && bsearch(&hex, s->v, s->n, sizeof(char *), cmp_str) != NULL;
}

static void set_free(struct set *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
}

/* Everything an index.json entry reaches: the manifest (or index and its
 * manifests), configs, layer blobs; and the diffids of the layers. */
static int mark(const struct store *s, const char *digest, int depth, struct set *blobs,
                struct set *diffids, struct err **e) {
  set_add(blobs, digest);
  if (depth > 4)
    return 0;
  struct err *le = NULL;
  cleanup_json json_t *m = store_read_json_blob(s, digest, &le);
  if (m == NULL) {
    /* A missing or corrupt manifest keeps nothing alive; not an error for
     * a collector. */
    err_free(&le);
    return 0;
  }
  size_t i;
  json_t *d;
  json_array_foreach(json_get_arr(m, "manifests"), i, d) {
    if (mark(s, json_get_str(d, "digest") ?: "", depth + 1, blobs, diffids, e) < 0)
      return -1;
  }
  const char *cfg = json_get_str(json_get_obj(m, "config"), "digest");
  if (cfg != NULL) {
    set_add(blobs, cfg);
    cleanup_json json_t *c = store_read_json_blob(s, cfg, &le);
    err_free(&le);
    json_array_foreach(json_get_arr(json_get_obj(c, "rootfs"), "diff_ids"), i, d)
        set_add(diffids, json_string_value(d) ?: "");
  }
  json_array_foreach(json_get_arr(m, "layers"), i, d)
      set_add(blobs, json_get_str(d, "digest") ?: "");
  return 0;
}

/* Layer dirs some overlay mount still uses: "<layers>/<hex>" appears in the
 * options of an overlay in mountinfo.  (Other stores' mounts of the same
 * layer name other paths, so they do not count.) */
static void mounted_layers(const struct store *s, struct set *out) {
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return;
  cleanup_free char *prefix = xasprintf("%s/", s->layers);
  size_t pl = strlen(prefix);
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char *sep = strstr(line, " - overlay ");
    if (sep == NULL)
      continue;
    for (char *p = strstr(sep, prefix); p != NULL; p = strstr(p + 1, prefix)) {
      const char *h = p + pl;
      if (strspn(h, "0123456789abcdef") == DIGEST_HEX_LEN) {
        char d[DIGEST_STR_LEN + 1];
        snprintf(d, sizeof(d), "sha256:%.*s", DIGEST_HEX_LEN, h);
        set_add(out, d);
      }
    }
  }
  free(line);
}

static int is_hex64(const char *s) {
  return strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
}

int store_gc(const struct store *s, int blocking, int tmp_too, struct gc_stats *st,
             struct err **e) {
  memset(st, 0, sizeof(*st));
  cleanup_free char *lp = path_join(s->locks, "gc.lock");
  int lk = blocking ? lock_acquire(lp, 0, e) : lock_try(lp, 0, e);
  if (lk < 0) {
    if (!blocking && *e != NULL && (*e)->code == ERR_EXISTS) {
      err_free(e);
      return 0;
    }
    return -1;
  }
  int r = -1;
  struct set blobs = {0}, diffids = {0};
  json_t *index = store_index_load(s, e);
  if (index == NULL)
    goto out;
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(index, "manifests"), i, m) {
    if (mark(s, json_get_str(m, "digest") ?: "", 0, &blobs, &diffids, e) < 0)
      goto out;
  }
  mounted_layers(s, &diffids);
  if (blobs.n > 0)
    qsort(blobs.v, blobs.n, sizeof(char *), cmp_str);
  if (diffids.n > 0)
    qsort(diffids.v, diffids.n, sizeof(char *), cmp_str);
  DIR *d = opendir(s->blobs);
  struct dirent *de;
  while (d != NULL && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || !is_hex64(de->d_name) || set_has(&blobs, de->d_name))
      continue;
    struct stat sb;
    if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
        unlinkat(dirfd(d), de->d_name, 0) == 0) {
      st->blobs++;
      st->bytes += (uint64_t)sb.st_size;
    }
  }
  if (d != NULL)
    closedir(d);
  d = opendir(s->layers);
  while (d != NULL && (de = readdir(d)) != NULL) {
    char hex[DIGEST_HEX_LEN + 1] = "";
    if (strlen(de->d_name) >= DIGEST_HEX_LEN)
      memcpy(hex, de->d_name, DIGEST_HEX_LEN);
    if (!is_hex64(hex) || set_has(&diffids, hex))
      continue;
    const char *suffix = de->d_name + DIGEST_HEX_LEN;
    cleanup_free char *p = path_join(s->layers, de->d_name);
    if (strcmp(suffix, ".json") == 0) {
      cleanup_free char *dir = xstrndup(p, strlen(p) - 5);
      if (access(dir, F_OK) < 0)
        unlink(p);
      continue;
    }
    if (suffix[0] != '\0')
      continue;
    char dg[DIGEST_STR_LEN + 1];
    snprintf(dg, sizeof(dg), "sha256:%s", hex);
    int64_t sz = layer_size(s, dg);
    struct err *re = NULL;
    if (rm_rf(p, &re) < 0) {
      err_free(&re); /* busy or odd: try again next time */
      continue;
    }
    cleanup_free char *meta = xasprintf("%s.json", p);
    unlink(meta);
    st->layers++;
    if (sz > 0)
      st->bytes += (uint64_t)sz;
  }
  if (d != NULL)
    closedir(d);
  /* With the lock held no pull is running: all of tmp is leftovers. */
  d = tmp_too ? opendir(s->tmp) : NULL;
  while (d != NULL && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *p = path_join(s->tmp, de->d_name);
    struct err *re = NULL;
    rm_rf(p, &re);
    err_free(&re);
  }
  if (d != NULL)
    closedir(d);
  r = 0;
out:
  json_decref(index);
  set_free(&blobs);
  set_free(&diffids);
  lock_release(lk);
  return r;
}
