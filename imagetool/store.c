#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"
#include "ref.h"

/* Manifests and configs are small; anything larger is hostile. */
#define SMALL_BLOB_MAX (16u << 20)

int store_open(struct store *s, const char *root, struct err **e) {
  memset(s, 0, sizeof(*s));
  s->root = xstrdup(root);
  s->dir = path_join(root, "store");
  s->blobs = path_join(s->dir, "blobs/sha256");
  s->layers = path_join(root, "layers/sha256");
  s->tmp = path_join(root, "tmp");
  s->locks = path_join(root, "locks");
  /* One stat each when the store exists (the common case: keep it cheap). */
  const struct {
    const char *path;
    mode_t mode;
  } dirs[] = {{s->blobs, 0755}, {s->layers, 0700}, {s->tmp, 0700}, {s->locks, 0700}};
  for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    struct stat st;
    if (stat(dirs[i].path, &st) == 0 && S_ISDIR(st.st_mode))
      continue;
    if (mkdir_p(dirs[i].path, dirs[i].mode, e) < 0)
      return err_wrap(e, "store '%s'", s->dir);
  }
  /* oci-layout and index.json are created once, under the index lock, so
   * two first runs racing each other agree. */
  cleanup_free char *layout = path_join(s->dir, "oci-layout");
  cleanup_free char *index = path_join(s->dir, "index.json");
  if (access(layout, F_OK) == 0 && access(index, F_OK) == 0)
    return 0;
  cleanup_free char *lockp = path_join(s->locks, "index.lock");
  int lk = lock_acquire(lockp, 0, e);
  if (lk < 0)
    return err_wrap(e, "store '%s'", s->dir);
  int r = 0;
  if (access(layout, F_OK) < 0) {
    static const char text[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    r = write_file_atomic(layout, text, sizeof(text) - 1, 0644, e);
  }
  if (r == 0 && access(index, F_OK) < 0) {
    cleanup_json json_t *j = json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
    r = json_write_file(j, index, e);
  }
  lock_release(lk);
  return r < 0 ? err_wrap(e, "store '%s'", s->dir) : 0;
}

void store_close(struct store *s) {
  free(s->root);
  free(s->dir);
  free(s->blobs);
  free(s->layers);
  free(s->tmp);
  free(s->locks);
  memset(s, 0, sizeof(*s));
}

int store_gc_lock(const struct store *s, int exclusive, struct err **e) {
  cleanup_free char *p = path_join(s->locks, "gc.lock");
  return lock_acquire(p, !exclusive, e);
}

char *store_blob_path(const struct store *s, const char *digest) {
  return path_join(s->blobs, digest_hex(digest));
}

int store_has_blob(const struct store *s, const char *digest) {
  if (!digest_valid(digest))
    return 0;
  cleanup_free char *p = store_blob_path(s, digest);
  return access(p, F_OK) == 0;
}

char *store_layer_path(const struct store *s, const char *diffid) {
  return path_join(s->layers, digest_hex(diffid));
}

int store_has_layer(const struct store *s, const char *diffid) {
  if (!digest_valid(diffid))
    return 0;
  cleanup_free char *p = store_layer_path(s, diffid);
  return access(p, F_OK) == 0;
}

int blob_writer_open(const struct store *s, struct blob_writer *w, struct err **e) {
  memset(w, 0, sizeof(*w));
  w->tmp_path = path_join(s->tmp, "blob-XXXXXX");
  w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
  if (w->fd < 0) {
    err_set(e, errno, "create temp blob in '%s'", s->tmp);
    free(w->tmp_path);
    w->tmp_path = NULL;
    return -1;
  }
  fchmod(w->fd, 0644);
  w->sha = sha256_new();
  return 0;
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct err **e) {
  if (write_all(w->fd, buf, len) < 0)
    return err_set(e, errno, "write '%s'", w->tmp_path);
  sha256_update(w->sha, buf, len);
  w->size += len;
  return 0;
}

int blob_writer_commit(const struct store *s, struct blob_writer *w, const char *want,
                       int64_t want_size, char out[DIGEST_STR_LEN + 1], struct err **e) {
  char got[DIGEST_STR_LEN + 1];
  sha256_final(w->sha, got);
  w->sha = NULL;
  if (want_size >= 0 && (uint64_t)want_size != w->size) {
    err_set(e, 0, "size mismatch: expected %lld bytes, got %llu", (long long)want_size,
            (unsigned long long)w->size);
    blob_writer_abort(w);
    return -1;
  }
  if (want != NULL && strcmp(want, got) != 0) {
    err_set(e, 0, "digest mismatch: got %s", got);
    blob_writer_abort(w);
    return -1;
  }
  if (fsync(w->fd) < 0) {
    err_set(e, errno, "fsync '%s'", w->tmp_path);
    blob_writer_abort(w);
    return -1;
  }
  cleanup_free char *dst = store_blob_path(s, got);
  if (rename(w->tmp_path, dst) < 0) {
    err_set(e, errno, "rename '%s' to '%s'", w->tmp_path, dst);
    blob_writer_abort(w);
    return -1;
  }
  close(w->fd);
  w->fd = -1;
  free(w->tmp_path);
  w->tmp_path = NULL;
  if (out != NULL)
    memcpy(out, got, sizeof(got));
  return 0;
}

void blob_writer_abort(struct blob_writer *w) {
  if (w->sha != NULL)
    sha256_free(w->sha);
  w->sha = NULL;
  if (w->fd >= 0)
    close(w->fd);
  w->fd = -1;
  if (w->tmp_path != NULL)
    unlink(w->tmp_path);
  free(w->tmp_path);
  w->tmp_path = NULL;
}

int store_put_blob(const struct store *s, const void *buf, size_t len, const char *want,
                   char out[DIGEST_STR_LEN + 1], struct err **e) {
  char d[DIGEST_STR_LEN + 1];
  sha256_buf(buf, len, d);
  if (want != NULL && strcmp(want, d) != 0)
    return err_set(e, 0, "blob %s: digest mismatch: got %s", want, d);
  if (out != NULL)
    memcpy(out, d, sizeof(d));
  if (store_has_blob(s, d))
    return 0;
  struct blob_writer w;
  if (blob_writer_open(s, &w, e) < 0)
    return -1;
  if (blob_writer_write(&w, buf, len, e) < 0) {
    blob_writer_abort(&w);
    return -1;
  }
  return blob_writer_commit(s, &w, d, (int64_t)len, NULL, e);
}

char *store_read_blob(const struct store *s, const char *digest, size_t *len, struct err **e) {
  if (!digest_valid(digest)) {
    err_setc(e, ERR_USAGE, 0, "invalid digest '%s'", digest);
    return NULL;
  }
  cleanup_free char *p = store_blob_path(s, digest);
  cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err_setc(e, errno == ENOENT ? ERR_NOTFOUND : ERR_FAIL, errno, "blob %s", digest);
    return NULL;
  }
  size_t n;
  cleanup_free char *buf = read_fd(fd, p, SMALL_BLOB_MAX, &n, e);
  if (buf == NULL)
    return NULL;
  char got[DIGEST_STR_LEN + 1];
  sha256_buf(buf, n, got);
  if (strcmp(got, digest) != 0) {
    err_set(e, 0, "blob %s: digest mismatch: the store holds %s", digest, got);
    return NULL;
  }
  if (len != NULL)
    *len = n;
  return steal_ptr(&buf);
}

json_t *store_read_json_blob(const struct store *s, const char *digest, struct err **e) {
  size_t n;
  cleanup_free char *buf = store_read_blob(s, digest, &n, e);
  if (buf == NULL)
    return NULL;
  json_error_t je;
  json_t *j = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    err_setc(e, ERR_USAGE, 0, "blob %s: not JSON: %s", digest, je.text);
  else if (!json_is_object(j)) {
    json_decref(j);
    err_setc(e, ERR_USAGE, 0, "blob %s: not a JSON object", digest);
    return NULL;
  }
  return j;
}

static int check_index(json_t *j, const char *path, struct err **e) {
  if (!json_is_object(j) || !json_is_array(json_object_get(j, "manifests")))
    return err_setc(e, ERR_USAGE, 0, "'%s': not an OCI image index (no \"manifests\" array)", path);
  return 0;
}

json_t *store_index_load(const struct store *s, struct err **e) {
  cleanup_free char *p = path_join(s->dir, "index.json");
  cleanup_json json_t *j = json_load_path(p, e);
  if (j == NULL || check_index(j, p, e) < 0)
    return NULL;
  return steal_ptr(&j);
}

int store_index_update(const struct store *s, index_fn fn, void *arg, struct err **e) {
  cleanup_free char *lockp = path_join(s->locks, "index.lock");
  int lk = lock_acquire(lockp, 0, e);
  if (lk < 0)
    return -1;
  int changed = 0, r = -1;
  cleanup_free char *p = path_join(s->dir, "index.json");
  json_t *j = store_index_load(s, e);
  if (j != NULL && fn(j, arg, &changed, e) == 0)
    r = changed ? json_write_file(j, p, e) : 0;
  json_decref(j);
  lock_release(lk);
  return r;
}

static const char *entry_ref(const json_t *m) {
  return json_get_str(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
}

/* Another entry (not skip) that names the same manifest. */
static int digest_named_elsewhere(json_t *arr, size_t skip, const char *digest) {
  size_t i;
  json_t *m;
  json_array_foreach(arr, i, m) {
    if (i != skip && strcmp(json_get_str(m, "digest") ?: "", digest) == 0)
      return 1;
  }
  return 0;
}

struct set_ref_arg {
  const char *ref;
  const json_t *desc;
};

static int set_ref_fn(json_t *index, void *argp, int *changed, struct err **e) {
  (void)e;
  struct set_ref_arg *a = argp;
  json_t *arr = json_object_get(index, "manifests");
  const char *digest = json_get_str(a->desc, "digest");
  /* Take the ref off whatever held it; drop that entry when another entry
   * still names its manifest, else keep it as an untagged image. */
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *m = json_array_get(arr, i);
    const char *r = entry_ref(m);
    if (r == NULL || strcmp(r, a->ref) != 0)
      continue;
    if (strcmp(json_get_str(m, "digest") ?: "", digest) == 0)
      return 0; /* already so */
    const char *old = json_get_str(m, "digest") ?: "";
    if (digest_named_elsewhere(arr, i, old)) {
      json_array_remove(arr, i--);
    } else {
      json_object_del(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
      if (json_object_size(json_get_obj(m, "annotations")) == 0)
        json_object_del(m, "annotations");
    }
  }
  /* An untagged entry for the same manifest becomes this ref. */
  json_t *n = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(arr, i, m) {
    if (entry_ref(m) == NULL && strcmp(json_get_str(m, "digest") ?: "", digest) == 0) {
      n = m;
      break;
    }
  }
  if (n == NULL) {
    n = json_deep_copy(a->desc);
    json_object_del(n, "annotations");
    json_array_append_new(arr, n);
  }
  json_object_set_new(json_obj_ensure(n, "annotations"), ANNOT_REF_NAME, json_string(a->ref));
  *changed = 1;
  return 0;
}

int store_set_ref(const struct store *s, const char *ref, const json_t *desc, struct err **e) {
  struct set_ref_arg a = {ref, desc};
  if (store_index_update(s, set_ref_fn, &a, e) < 0)
    return err_wrap(e, "tag '%s'", ref);
  return 0;
}

static int add_untagged_fn(json_t *index, void *arg, int *changed, struct err **e) {
  (void)e;
  const json_t *desc = arg;
  json_t *arr = json_object_get(index, "manifests");
  const char *digest = json_get_str(desc, "digest");
  size_t i;
  json_t *m;
  json_array_foreach(arr, i, m) {
    if (strcmp(json_get_str(m, "digest") ?: "", digest) == 0)
      return 0;
  }
  json_t *n = json_deep_copy(desc);
  json_object_del(n, "annotations");
  json_array_append_new(arr, n);
  *changed = 1;
  return 0;
}

int store_add_untagged(const struct store *s, const json_t *desc, struct err **e) {
  return store_index_update(s, add_untagged_fn, (void *)desc, e);
}

void image_ref_free(struct image_ref *r) {
  free(r->name);
  free(r->manifest);
  free(r->media_type);
  json_decref(r->desc);
  memset(r, 0, sizeof(*r));
}

static void fill(struct image_ref *out, json_t *m) {
  const char *r = entry_ref(m);
  out->name = r ? xstrdup(r) : NULL;
  out->manifest = xstrdup(json_get_str(m, "digest") ?: "");
  out->media_type = xstrdup(json_get_str(m, "mediaType") ?: MT_OCI_MANIFEST);
  out->desc = json_incref(m);
}

static int is_hex(const char *s) {
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return 0;
  return 1;
}

/* The config digest of a manifest entry, or NULL. */
static char *entry_config(const struct store *s, json_t *m) {
  const char *d = json_get_str(m, "digest");
  if (d == NULL)
    return NULL;
  struct err *e = NULL;
  cleanup_json json_t *man = store_read_json_blob(s, d, &e);
  err_free(&e);
  const char *c = json_get_str(json_get_obj(man, "config"), "digest");
  return c ? xstrdup(c) : NULL;
}

int store_resolve(const struct store *s, json_t *index, const char *name, struct image_ref *out,
                  struct err **e) {
  memset(out, 0, sizeof(*out));
  json_t *arr = json_object_get(index, "manifests");
  size_t i;
  json_t *m;
  /* The exact string first: lets an entry skopeo wrote with a short name
   * ("latest") be found too. */
  json_array_foreach(arr, i, m) {
    const char *r = entry_ref(m);
    if (r != NULL && strcmp(r, name) == 0) {
      fill(out, m);
      return 0;
    }
  }
  /* A digest names a manifest, or (docker's image id) a config. */
  const char *hex = NULL;
  if (strncmp(name, "sha256:", 7) == 0)
    hex = name + 7;
  else if (strlen(name) >= 4 && strlen(name) <= DIGEST_HEX_LEN && is_hex(name))
    hex = name;
  if (hex != NULL && is_hex(hex)) {
    size_t hl = strlen(hex);
    json_t *found = NULL;
    cleanup_free char *found_cfg = NULL;
    int ambiguous = 0;
    json_array_foreach(arr, i, m) {
      const char *d = json_get_str(m, "digest");
      if (d != NULL && strlen(d) == DIGEST_STR_LEN && strncmp(d + 7, hex, hl) == 0 &&
          hl == DIGEST_HEX_LEN) {
        fill(out, m);
        return 0;
      }
      char *c = entry_config(s, m);
      if (c == NULL || strncmp(c + 7, hex, hl) != 0) {
        free(c);
        continue;
      }
      if (found == NULL) {
        found = m;
        found_cfg = c;
        continue;
      }
      /* Only two configs make an id ambiguous.  One config under several
       * manifests (pushed as OCI and as Docker, or re-tagged by skopeo) is
       * one image: take a tagged entry over an untagged one, then the
       * smallest manifest digest, so that the pick does not depend on the
       * order of index.json. */
      if (strcmp(c, found_cfg) != 0) {
        ambiguous = 1;
      } else {
        int tf = entry_ref(found) != NULL, tm = entry_ref(m) != NULL;
        const char *fd = json_get_str(found, "digest") ?: "";
        if (tm > tf || (tm == tf && d != NULL && strcmp(d, fd) < 0))
          found = m;
      }
      free(c);
    }
    if (ambiguous)
      return err_setc(e, ERR_USAGE, 0, "image id '%s' is ambiguous", name);
    if (found != NULL) {
      fill(out, found);
      /* An id names the image, not one of its tags. */
      free(out->name);
      out->name = NULL;
      return 0;
    }
  }
  struct err *pe = NULL;
  cleanup_free char *norm = ref_normalize(name, &pe);
  if (norm == NULL) {
    if (hex != NULL) {
      err_free(&pe);
      return err_setc(e, ERR_NOTFOUND, 0, "no such image: %s", name);
    }
    int r = err_setc(e, ERR_USAGE, 0, "%s", pe->msg);
    err_free(&pe);
    return r;
  }
  json_array_foreach(arr, i, m) {
    const char *r = entry_ref(m);
    if (r != NULL && strcmp(r, norm) == 0) {
      fill(out, m);
      return 0;
    }
  }
  /* name@digest: the manifest itself, whatever it is tagged. */
  const char *at = strchr(norm, '@');
  if (at != NULL) {
    json_array_foreach(arr, i, m) {
      if (strcmp(json_get_str(m, "digest") ?: "", at + 1) == 0) {
        fill(out, m);
        free(out->name);
        out->name = xstrdup(norm);
        return 0;
      }
    }
  }
  return err_setc(e, ERR_NOTFOUND, 0, "no such image: %s", name);
}
