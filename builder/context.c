/* context.c — the build context: walked once, .dockerignore applied, every
 * file's content hashed.
 *
 * Hashing 50 MB on every build would make a fully cached rebuild cost as
 * much as reading the context, so file hashes are remembered in
 * $CAIRN_ROOT/build-cache/files/<digest of the context path> keyed by
 * inode, size, mtime and ctime: a file whose stat is unchanged is not read
 * again.  (ctime moves on any write or chmod, and cannot be set back by a
 * user, so a file rewritten with its old mtime restored is still seen.)
 *
 * Symlinks are never followed during the walk: a link is an entry whose
 * "content" is its target text.  A COPY source named by the user is
 * resolved inside the context (as if the context were "/"), so a link
 * pointing out of it cannot bring host files in. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "digest.h"
#include "fs.h"
#include "mem.h"

/* One remembered hash. */
struct hcache_ent {
  char *path;
  unsigned long long ino, size;
  long long mtime, mtime_ns, ctime, ctime_ns;
  char hash[DIGEST_STR_LEN + 1];
};

struct walk {
  struct build *b;
  struct df_ignore *ig;
  struct ctx_file *v;
  size_t n, cap;
  struct hcache_ent *old; /* sorted by path */
  size_t nold;
  struct hcache_ent *fresh;
  size_t nfresh, capfresh;
  bool changed;
};

static int cmp_hent(const void *a, const void *b) {
  return strcmp(((const struct hcache_ent *)a)->path, ((const struct hcache_ent *)b)->path);
}

static int cmp_file(const void *a, const void *b) {
  return strcmp(((const struct ctx_file *)a)->path, ((const struct ctx_file *)b)->path);
}

static char *hcache_path(struct build *b, const char *root) {
  char d[DIGEST_STR_LEN + 1];
  sha256_buf(root, strlen(root), d);
  return xasprintf("%s/build-cache/files/%s", b->o->root, digest_hex(d));
}

/* Lines: "ino size mtime mtime_ns ctime ctime_ns sha256:… path\n". */
static void hcache_load(struct walk *w, const char *file) {
  struct err *ig = NULL;
  size_t len;
  cleanup_free char *buf = read_file(file, 256 << 20, &len, &ig);
  err_free(&ig);
  if (buf == NULL)
    return;
  char *save = NULL;
  size_t cap = 0;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    struct hcache_ent h = {0};
    int off = 0;
    char hash[DIGEST_STR_LEN + 1];
    if (sscanf(line, "%llu %llu %lld %lld %lld %lld %71s %n", &h.ino, &h.size, &h.mtime,
               &h.mtime_ns, &h.ctime, &h.ctime_ns, hash, &off) != 7 ||
        off == 0 || !digest_valid(hash))
      continue;
    memcpy(h.hash, hash, sizeof(hash));
    h.path = xstrdup(line + off);
    if (w->nold == cap) {
      cap = cap ? cap * 2 : 256;
      w->old = xrealloc(w->old, cap * sizeof(*w->old));
    }
    w->old[w->nold++] = h;
  }
  if (w->nold > 1)
    qsort(w->old, w->nold, sizeof(*w->old), cmp_hent);
}

static int hcache_save(struct walk *w, const char *file, struct err **e) {
  size_t cap = 4096, len = 0;
  char *buf = xmalloc(cap);
  for (size_t i = 0; i < w->nfresh; i++) {
    struct hcache_ent *h = &w->fresh[i];
    for (;;) {
      int n = snprintf(buf + len, cap - len, "%llu %llu %lld %lld %lld %lld %s %s\n", h->ino,
                       h->size, h->mtime, h->mtime_ns, h->ctime, h->ctime_ns, h->hash, h->path);
      if (n >= 0 && (size_t)n < cap - len) {
        len += (size_t)n;
        break;
      }
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
  }
  cleanup_free char *dir = xstrdup(file);
  *strrchr(dir, '/') = '\0';
  int r = mkdir_p(dir, 0700, e);
  if (r == 0)
    r = write_file_atomic(file, buf, len, 0600, e);
  free(buf);
  return r;
}

static int file_hash(struct walk *w, int dfd, const char *name, const char *rel,
                     const struct stat *st, char out[DIGEST_STR_LEN + 1], struct err **e) {
  struct hcache_ent key = {.path = (char *)rel};
  struct hcache_ent *h = w->nold ? bsearch(&key, w->old, w->nold, sizeof(*w->old), cmp_hent) : NULL;
  if (h != NULL && h->ino == (unsigned long long)st->st_ino &&
      h->size == (unsigned long long)st->st_size && h->mtime == st->st_mtim.tv_sec &&
      h->mtime_ns == st->st_mtim.tv_nsec && h->ctime == st->st_ctim.tv_sec &&
      h->ctime_ns == st->st_ctim.tv_nsec) {
    memcpy(out, h->hash, DIGEST_STR_LEN + 1);
  } else {
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return err_set(e, errno, "open '%s' in the context", rel);
    if (sha256_fd(fd, out, e) < 0)
      return err_wrap(e, "read '%s' in the context", rel);
    w->changed = true;
  }
  if (w->nfresh == w->capfresh) {
    w->capfresh = w->capfresh ? w->capfresh * 2 : 256;
    w->fresh = xrealloc(w->fresh, w->capfresh * sizeof(*w->fresh));
  }
  w->fresh[w->nfresh++] = (struct hcache_ent){
      .path = xstrdup(rel),
      .ino = (unsigned long long)st->st_ino,
      .size = (unsigned long long)st->st_size,
      .mtime = st->st_mtim.tv_sec,
      .mtime_ns = st->st_mtim.tv_nsec,
      .ctime = st->st_ctim.tv_sec,
      .ctime_ns = st->st_ctim.tv_nsec,
  };
  memcpy(w->fresh[w->nfresh - 1].hash, out, DIGEST_STR_LEN + 1);
  return 0;
}

static void add(struct walk *w, const char *rel, mode_t mode, const char *hash) {
  if (w->n == w->cap) {
    w->cap = w->cap ? w->cap * 2 : 256;
    w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
  }
  struct ctx_file *f = &w->v[w->n++];
  f->path = xstrdup(rel);
  f->mode = mode;
  snprintf(f->hash, sizeof(f->hash), "%s", hash); /* "" for dirs */
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, bool excluded_dir,
                    struct err **e) {
  int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
  if (d == NULL) {
    if (dup >= 0)
      close(dup);
    return err_set(e, errno, "read context dir '%s'", prefix[0] ? prefix : ".");
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *rel =
        prefix[0] ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
    bool ex = df_ignore_match(w->ig, rel);
    (void)excluded_dir;
    struct stat st;
    if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return err_set(e, errno, "stat '%s' in the context", rel);
    if (S_ISDIR(st.st_mode)) {
      if (ex && !df_ignore_may_reinclude(w->ig, rel))
        continue;
      if (!ex)
        add(w, rel, st.st_mode, "");
      cleanup_close int sub =
          openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        return err_set(e, errno, "open context dir '%s'", rel);
      if (walk_dir(w, sub, rel, ex, e) < 0)
        return -1;
      continue;
    }
    if (ex)
      continue;
    char hash[DIGEST_STR_LEN + 1] = "";
    if (S_ISREG(st.st_mode)) {
      if (file_hash(w, dfd, de->d_name, rel, &st, hash, e) < 0)
        return -1;
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);
      if (n < 0)
        return err_set(e, errno, "readlink '%s' in the context", rel);
      sha256_buf(target, (size_t)n, hash);
    } else {
      continue; /* sockets, fifos, devices: docker sends none either */
    }
    add(w, rel, st.st_mode, hash);
  }
  return 0;
}

int context_load(struct build *b, struct err **e) {
  if (b->ctx != NULL)
    return 0;
  char *root = realpath(b->o->context, NULL);
  if (root == NULL)
    return err_set(e, errno, "context '%s'", b->o->context);
  struct walk w = {.b = b};
  cleanup_free char *ignpath = path_join(root, ".dockerignore");
  size_t len = 0;
  struct err *ig = NULL;
  cleanup_free char *ign = read_file(ignpath, 0, &len, &ig);
  if (ign == NULL && ig->errnum != ENOENT) {
    *e = ig;
    free(root);
    return err_wrap(e, "context");
  }
  err_free(&ig);
  w.ig = df_ignore_parse(ign, ign ? len : 0, e);
  if (w.ig == NULL) {
    free(root);
    return err_wrap(e, ".dockerignore");
  }
  cleanup_free char *hpath = hcache_path(b, root);
  hcache_load(&w, hpath);
  cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = fd < 0 ? err_set(e, errno, "open context '%s'", root) : walk_dir(&w, fd, "", false, e);
  if (r == 0 && (w.changed || w.nfresh != w.nold)) {
    struct err *ie = NULL;
    hcache_save(&w, hpath, &ie); /* only a speed-up: a failure costs a re-hash */
    err_free(&ie);
  }
  for (size_t i = 0; i < w.nold; i++)
    free(w.old[i].path);
  free(w.old);
  for (size_t i = 0; i < w.nfresh; i++)
    free(w.fresh[i].path);
  free(w.fresh);
  df_ignore_free(w.ig);
  if (r < 0) {
    for (size_t i = 0; i < w.n; i++)
      free(w.v[i].path);
    free(w.v);
    free(root);
    return -1;
  }
  if (w.n > 1)
    qsort(w.v, w.n, sizeof(*w.v), cmp_file);
  b->ctx = xcalloc(1, sizeof(*b->ctx));
  b->ctx->root = root;
  b->ctx->files = w.v;
  b->ctx->n = w.n;
  return 0;
}

void context_free(struct context *c) {
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->n; i++)
    free(c->files[i].path);
  free(c->files);
  free(c->root);
  free(c);
}

static bool has_glob(const char *s) {
  return strpbrk(s, "*?[") != NULL;
}

char *context_clean(const char *src) {
  cleanup_free char *abs = xasprintf("/%s", src);
  char *c = path_clean(abs);
  memmove(c, c + 1, strlen(c)); /* relative again; "" is the root */
  return c;
}

/* Whether the context entry path is src itself or under it. */
static bool under(const char *path, const char *src) {
  size_t n = strlen(src);
  if (n == 0)
    return true;
  return strncmp(path, src, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int context_match(struct build *b, const char *src, struct ctx_match *m, struct err **e) {
  memset(m, 0, sizeof(*m));
  struct context *c = b->ctx;
  cleanup_free char *clean = context_clean(src);
  if (has_glob(clean)) {
    /* what the glob matches, and everything under a matched directory */
    for (size_t i = 0; i < c->n; i++) {
      cleanup_free char *p = xstrdup(c->files[i].path);
      bool hit = false;
      for (;;) {
        if (fnmatch(clean, p, FNM_PATHNAME) == 0) {
          hit = true;
          break;
        }
        char *sl = strrchr(p, '/');
        if (sl == NULL)
          break;
        *sl = '\0';
      }
      if (hit) {
        m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
        m->v[m->n++] = i;
      }
    }
    m->glob = true;
    if (m->n == 0)
      return err_usage(e, "no source files were specified: '%s' matches nothing in the context",
                       src);
    return 0;
  }
  /* A named source is resolved inside the context: its symlinks (and a
   * link that is the source itself) cannot lead out. */
  cleanup_free char *res = path_in_root(c->root, clean, e);
  if (res == NULL)
    return err_wrap(e, "source '%s'", src);
  size_t rl = strlen(c->root);
  const char *rel = res + rl;
  while (*rel == '/')
    rel++;
  m->resolved = xstrdup(rel);
  for (size_t i = 0; i < c->n; i++) {
    if (under(c->files[i].path, m->resolved)) {
      m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
      m->v[m->n++] = i;
    }
  }
  if (m->n == 0 && m->resolved[0] != '\0')
    return err_usage(e, "'%s' not found in the build context (or excluded by .dockerignore)", src);
  return 0;
}

void ctx_match_free(struct ctx_match *m) {
  free(m->v);
  free(m->resolved);
  memset(m, 0, sizeof(*m));
}

int context_sources_hash(struct build *b, char **srcs, size_t n, char out[DIGEST_STR_LEN + 1],
                         struct err **e) {
  if (context_load(b, e) < 0)
    return -1;
  struct sha256_ctx *h = sha256_new();
  for (size_t s = 0; s < n; s++) {
    struct ctx_match m;
    if (context_match(b, srcs[s], &m, e) < 0) {
      sha256_free(h);
      return -1;
    }
    sha256_update(h, srcs[s], strlen(srcs[s]) + 1);
    for (size_t i = 0; i < m.n; i++) {
      struct ctx_file *f = &b->ctx->files[m.v[i]];
      char line[64];
      int len = snprintf(line, sizeof(line), "\n%o\n", (unsigned)f->mode);
      sha256_update(h, f->path, strlen(f->path));
      sha256_update(h, line, (size_t)len);
      sha256_update(h, f->hash, strlen(f->hash));
    }
    ctx_match_free(&m);
  }
  sha256_final(h, out);
  return 0;
}
