/* copy.c — COPY and ADD: files into the new layer, without a container.
 *
 * The parent image is mounted (an overlay whose upper dir becomes the
 * layer) and every destination path is resolved inside that rootfs, so a
 * symlink in the image cannot send a write to the host.  Sources come
 * from the walked context (context.c: .dockerignore applied, symlinks
 * never followed out of it), from another stage or image (--from), from
 * a heredoc, or (ADD) from a URL; ADD extracts local tar archives.
 *
 * Docker's destination rules: a destination ending in '/', or an existing
 * directory, or several sources, or a directory source means "into this
 * directory"; otherwise the destination is the file's new name.  A
 * relative destination is under WORKDIR.  Owners are 0:0 unless --chown;
 * modes are kept unless --chmod. */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "copy.h"
#include "digest.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

static const char *flag(struct df_instr *in, const char *name) {
  const char *v = NULL;
  for (size_t i = 0; i < in->nflags; i++)
    if (strcmp(in->flags[i].name, name) == 0)
      v = in->flags[i].value ? in->flags[i].value : "";
  return v;
}

static bool is_url(const char *s) {
  return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static const struct df_heredoc *heredoc_named(struct df_instr *in, const char *word) {
  /* the parser names a heredoc source by its delimiter; "<<EOF" is
   * accepted too */
  const char *w = word;
  if (in->nheredocs == 0)
    return NULL;
  if (strncmp(w, "<<", 2) == 0)
    w += 2;
  if (*w == '-')
    w++;
  cleanup_free char *name = xstrdup(w);
  size_t l = strlen(name);
  if (l >= 2 && (name[0] == '"' || name[0] == '\'') && name[l - 1] == name[0]) {
    name[l - 1] = '\0';
    memmove(name, name + 1, l - 1);
  }
  for (size_t i = 0; i < in->nheredocs; i++)
    if (strcmp(in->heredocs[i].name, name) == 0)
      return &in->heredocs[i];
  return NULL;
}

/* Sources and destination after expansion; heredoc words stay as they are. */
static char **expand_args(struct build *b, struct stage_run *sr, struct df_instr *in,
                          struct err **e) {
  if (in->nargs < 2)
    return err_usage(e, "%s requires at least two arguments", in->kind == DF_ADD ? "ADD" : "COPY"),
           NULL;
  char **v = NULL;
  for (size_t i = 0; i < in->nargs; i++) {
    if (heredoc_named(in, in->args[i]) != NULL) {
      strv_push(&v, in->args[i]);
      continue;
    }
    char *x = vexpand(b, sr, in->args[i], e);
    if (x == NULL) {
      strv_free(v);
      return NULL;
    }
    strv_push(&v, x);
    free(x);
  }
  return v;
}

/* ---- ADD URL ---- */

static int download(struct build *b, const char *url, const char *checksum, char **path,
                    char digest[DIGEST_STR_LEN + 1], struct err **e);

static json_t *downloads; /* url -> {"path","digest"} for this build */

static int url_fetch(struct build *b, struct df_instr *in, const char *url, const char **path,
                     const char **digest, struct err **e) {
  if (downloads == NULL)
    downloads = json_object();
  json_t *d = json_object_get(downloads, url);
  if (d == NULL) {
    char *p = NULL;
    char dig[DIGEST_STR_LEN + 1];
    if (download(b, url, flag(in, "checksum"), &p, dig, e) < 0)
      return -1;
    d = json_pack("{s:s,s:s}", "path", p, "digest", dig);
    json_object_set_new(downloads, url, d);
    free(p);
  }
  *path = json_get_str(d, "path");
  *digest = json_get_str(d, "digest");
  return 0;
}

/* ---- --from ---- */

struct from_src {
  struct bimage img;
  char *bundle, *rootfs;
};

static int from_open(struct build *b, struct stage_run *sr, const char *from, struct from_src *fs,
                     bool mount, struct err **e) {
  memset(fs, 0, sizeof(*fs));
  struct stage_run *dep = plan_stage_ref(b, from, (size_t)(sr - b->stages));
  if (dep != NULL)
    bimage_copy(&fs->img, &dep->img);
  else if (image_base(b, from, &fs->img, e) < 0)
    return err_wrap(e, "--from=%s", from);
  if (!mount)
    return 0;
  if ((fs->bundle = build_tmpdir(b, "from", e)) == NULL)
    return -1;
  if (image_unpack(b, &fs->img, fs->bundle, e) < 0)
    return -1;
  fs->rootfs = path_join(fs->bundle, "rootfs");
  return 0;
}

static void from_close(struct build *b, struct from_src *fs) {
  if (fs->bundle != NULL) {
    struct err *ie = NULL;
    if (image_umount(b, fs->bundle, &ie) == 0)
      rm_rf(fs->bundle, &ie);
    err_free(&ie);
  }
  bimage_free(&fs->img);
  free(fs->bundle);
  free(fs->rootfs);
}

int copy_key(struct build *b, struct stage_run *sr, struct df_instr *in,
             char out[DIGEST_STR_LEN + 1], struct err **e) {
  cleanup_strv char **args = expand_args(b, sr, in, e);
  if (args == NULL)
    return -1;
  size_t n = strv_len(args) - 1;
  struct sha256_ctx *h = sha256_new();
  const char *from = flag(in, "from");
  cleanup_free char *fromx = from ? vexpand(b, sr, from, e) : NULL;
  if (from != NULL && fromx == NULL) {
    sha256_free(h);
    return -1;
  }
  if (fromx != NULL) {
    struct from_src fs;
    if (from_open(b, sr, fromx, &fs, false, e) < 0) {
      from_close(b, &fs);
      sha256_free(h);
      return -1;
    }
    sha256_update(h, fs.img.id ? fs.img.id : "scratch", strlen(fs.img.id ? fs.img.id : "scratch"));
    from_close(b, &fs);
  }
  cleanup_strv char **local = NULL;
  for (size_t i = 0; i < n; i++) {
    const struct df_heredoc *hd = heredoc_named(in, args[i]);
    sha256_update(h, args[i], strlen(args[i]) + 1);
    if (hd != NULL) {
      sha256_update(h, hd->body, strlen(hd->body) + 1);
    } else if (in->kind == DF_ADD && is_url(args[i])) {
      const char *p, *dig;
      if (url_fetch(b, in, args[i], &p, &dig, e) < 0) {
        sha256_free(h);
        return -1;
      }
      sha256_update(h, dig, strlen(dig) + 1);
    } else if (fromx == NULL) {
      strv_push(&local, args[i]);
    }
  }
  if (local != NULL) {
    char ch[DIGEST_STR_LEN + 1];
    if (context_sources_hash(b, local, strv_len(local), ch, e) < 0) {
      sha256_free(h);
      return -1;
    }
    sha256_update(h, ch, strlen(ch));
  }
  sha256_final(h, out);
  return 0;
}

/* ---- writing ---- */

static int copy_fd(int in, int out, const char *what, struct err **e) {
  for (;;) {
    ssize_t n = sendfile(out, in, NULL, 1 << 30);
    if (n == 0)
      return 0;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return err_set(e, errno, "copy '%s'", what);
    }
  }
}

/* mkdir -p of rel inside rootfs, new dirs 0755 root-owned (as docker). */
static char *ensure_dir(const struct copy_opts *co, const char *rel, struct err **e) {
  char *p = path_in_root(co->rootfs, rel, e);
  if (p == NULL)
    return NULL;
  struct stat st;
  if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
    return p;
  if (mkdir_p(p, 0755, e) < 0) {
    free(p);
    return NULL;
  }
  return p;
}

/* Put one entry at rel inside the rootfs (or the tar): a dir (mode from
 * st), a file (content from cfd), or a symlink (link). */
static int put_entry(const struct copy_opts *co, const struct stat *st, int cfd, const char *link,
                     const char *rel, struct err **e) {
  cleanup_free char *clean = path_clean(rel[0] == '/' ? rel : "/");
  if (rel[0] != '/') {
    free(clean);
    cleanup_free char *abs = xasprintf("/%s", rel);
    clean = path_clean(abs);
  }
  if (co->tar != NULL)
    return tar_entry(co, st, cfd, link, clean, e);
  cleanup_free char *parent_rel = xstrdup(clean);
  char *slash = strrchr(parent_rel, '/');
  cleanup_free char *base = xstrdup(slash + 1);
  slash[1] = '\0';
  cleanup_free char *parent = ensure_dir(co, parent_rel, e);
  if (parent == NULL)
    return -1;
  if (base[0] == '\0')
    return 0; /* the root itself */
  cleanup_close int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0)
    return err_set(e, errno, "open '%s'", parent_rel);
  mode_t mode = co->chmod_set ? co->chmod : (st->st_mode & 07777);
  struct stat old;
  bool exists = fstatat(pfd, base, &old, AT_SYMLINK_NOFOLLOW) == 0;
  if (S_ISDIR(st->st_mode)) {
    if (exists && !S_ISDIR(old.st_mode) && unlinkat(pfd, base, 0) < 0)
      return err_set(e, errno, "replace '%s'", clean);
    if ((!exists || !S_ISDIR(old.st_mode)) && mkdirat(pfd, base, mode) < 0)
      return err_set(e, errno, "mkdir '%s'", clean);
  } else {
    if (exists && S_ISDIR(old.st_mode)) {
      cleanup_free char *full = path_join(parent, base);
      if (rm_rf(full, e) < 0)
        return -1;
    } else if (exists && unlinkat(pfd, base, 0) < 0) {
      return err_set(e, errno, "replace '%s'", clean);
    }
    if (S_ISLNK(st->st_mode)) {
      if (symlinkat(link, pfd, base) < 0)
        return err_set(e, errno, "symlink '%s'", clean);
    } else {
      cleanup_close int out =
          openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (out < 0)
        return err_set(e, errno, "create '%s'", clean);
      if (copy_fd(cfd, out, clean, e) < 0)
        return -1;
      struct timespec ts[2] = {st->st_mtim, st->st_mtim};
      futimens(out, ts);
    }
  }
  if (fchownat(pfd, base, co->uid, co->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return err_set(e, errno, "chown '%s'", clean);
  /* after chown, which clears set-id bits */
  if (!S_ISLNK(st->st_mode) && fchmodat(pfd, base, mode, 0) < 0)
    return err_set(e, errno, "chmod '%s'", clean);
  return 0;
}

/* One entry of a source tree (srcroot/srel, never following a symlink
 * at srel) to dst. */
static int put_one(const struct copy_opts *co, const char *srcroot, const char *srel,
                   const char *dst, struct stat *st, struct err **e) {
  cleanup_free char *dir = xstrdup(srel);
  char *sl = strrchr(dir, '/');
  const char *name = sl ? sl + 1 : dir;
  if (sl != NULL)
    *sl = '\0';
  cleanup_close int dfd =
      open_in_root(srcroot, sl ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, e);
  if (dfd < 0)
    return err_wrap(e, "source '%s'", srel);
  if (name[0] == '\0') { /* the root */
    if (fstat(dfd, st) < 0)
      return err_set(e, errno, "stat '%s'", srel);
    return S_ISDIR(st->st_mode) ? 0 : put_entry(co, st, -1, NULL, dst, e);
  }
  if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
    return err_set(e, errno, "stat '%s'", srel);
  if (S_ISLNK(st->st_mode)) {
    char target[4096];
    ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
    if (n < 0)
      return err_set(e, errno, "readlink '%s'", srel);
    target[n] = '\0';
    return put_entry(co, st, -1, target, dst, e);
  }
  if (S_ISREG(st->st_mode)) {
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return err_set(e, errno, "open '%s'", srel);
    return put_entry(co, st, fd, NULL, dst, e);
  }
  if (S_ISDIR(st->st_mode))
    return put_entry(co, st, -1, NULL, dst, e);
  return 0; /* devices, fifos, sockets: not copied */
}

/* A whole tree from another image (--from): walked on disk. */
static int put_tree(const struct copy_opts *co, const char *srcroot, const char *srel,
                    const char *dst, bool top, struct err **e) {
  struct stat st;
  if (!top || srel[0] != '\0') {
    if (put_one(co, srcroot, srel, dst, &st, e) < 0)
      return -1;
    if (!S_ISDIR(st.st_mode))
      return 0;
  }
  cleanup_close int fd =
      open_in_root(srcroot, srel[0] ? srel : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, e);
  if (fd < 0)
    return err_wrap(e, "source '%s'", srel);
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
  if (d == NULL)
    return err_set(e, errno, "read '%s'", srel);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *s2 = srel[0] ? xasprintf("%s/%s", srel, de->d_name) : xstrdup(de->d_name);
    cleanup_free char *d2 = path_join(dst, de->d_name);
    if (put_tree(co, srcroot, s2, d2, false, e) < 0)
      return -1;
  }
  return 0;
}

/* ---- owners ---- */

/* The id of name in the rootfs's passwd or group file (field 3). */
static int lookup_id(const char *rootfs, const char *file, const char *name, long *out,
                     struct err **e) {
  char *end;
  long v = strtol(name, &end, 10);
  if (name[0] != '\0' && *end == '\0' && v >= 0) {
    *out = v;
    return 0;
  }
  cleanup_close int fd = open_in_root(rootfs, file, O_RDONLY | O_CLOEXEC, e);
  if (fd < 0)
    return err_wrap(e, "--chown: unable to find '%s'", name);
  size_t len;
  cleanup_free char *buf = read_fd(fd, file, 0, &len, e);
  if (buf == NULL)
    return -1;
  size_t nl = strlen(name);
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, name, nl) != 0 || line[nl] != ':')
      continue;
    char *f = strchr(line + nl + 1, ':'); /* skip the password field */
    if (f == NULL)
      break;
    *out = strtol(f + 1, NULL, 10);
    return 0;
  }
  return err_usage(e, "--chown: no %s named '%s' in the image",
                   strstr(file, "group") ? "group" : "user", name);
}

static int owner(struct build *b, struct stage_run *sr, struct df_instr *in, struct copy_opts *co,
                 struct err **e) {
  const char *ch = flag(in, "chown");
  co->uid = 0;
  co->gid = 0;
  if (ch != NULL && ch[0] != '\0') {
    cleanup_free char *v = vexpand(b, sr, ch, e);
    if (v == NULL)
      return -1;
    char *colon = strchr(v, ':');
    if (colon != NULL)
      *colon = '\0';
    long uid, gid;
    if (lookup_id(co->rootfs, "/etc/passwd", v, &uid, e) < 0)
      return -1;
    if (colon != NULL) {
      if (lookup_id(co->rootfs, "/etc/group", colon + 1, &gid, e) < 0)
        return -1;
    } else {
      /* docker: "a username without groupname … will use the same
       * numeric UID as the GID" */
      gid = uid;
    }
    co->uid = (uid_t)uid;
    co->gid = (gid_t)gid;
  }
  const char *cm = flag(in, "chmod");
  if (cm != NULL) {
    char *end;
    long m = strtol(cm, &end, 8);
    if (cm[0] == '\0' || *end != '\0' || m < 0 || m > 07777)
      return err_usage(e, "--chmod: invalid mode '%s' (octal expected)", cm);
    co->chmod_set = true;
    co->chmod = (mode_t)m;
  }
  return 0;
}

/* ---- the instruction ---- */

static int copy_run(struct build *b, struct stage_run *sr, struct df_instr *in,
                    struct copy_opts *cop, struct err **e);

/* 1 when path (inside the rootfs) is an existing directory. */
static bool is_dir_in(const char *rootfs, const char *path) {
  struct err *ig = NULL;
  cleanup_free char *p = path_in_root(rootfs, path, &ig);
  err_free(&ig);
  struct stat st;
  return p != NULL && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int add_archive(struct build *b, const struct copy_opts *co, const char *root,
                       const char *rel, const char *dest, struct err **e);

/* One source the user named (or a glob matched): top, a context path. */
static int copy_top(struct build *b, const struct copy_opts *co, struct df_instr *in,
                    struct ctx_match *m, const char *top, const char *dest, bool into,
                    struct err **e) {
  struct context *c = b->ctx;
  size_t tl = strlen(top);
  for (size_t i = 0; i < m->n; i++) {
    struct ctx_file *f = &c->files[m->v[i]];
    bool is_top = strcmp(f->path, top) == 0;
    if (!is_top && tl > 0 && (strncmp(f->path, top, tl) != 0 || f->path[tl] != '/'))
      continue;
    if (is_top && S_ISDIR(f->mode))
      continue; /* a directory source: its contents are copied */
    cleanup_free char *dst = NULL;
    if (is_top)
      dst = into ? path_join(dest, base_name(f->path)) : xstrdup(dest);
    else
      dst = path_join(dest, f->path + (tl ? tl + 1 : 0));
    if (in->kind == DF_ADD && is_top && S_ISREG(f->mode)) {
      int x = add_archive(b, co, c->root, f->path, into ? dest : dst, e);
      if (x < 0)
        return -1;
      if (x > 0)
        continue; /* it was an archive, now extracted */
    }
    struct stat st;
    if (put_one(co, c->root, f->path, dst, &st, e) < 0)
      return -1;
  }
  return 0;
}

static int copy_context(struct build *b, const struct copy_opts *co, struct df_instr *in,
                        const char *src, const char *dest, bool into, struct err **e) {
  struct ctx_match m;
  if (context_load(b, e) < 0 || context_match(b, src, &m, e) < 0)
    return -1;
  int r = 0;
  if (!m.glob) {
    r = copy_top(b, co, in, &m, m.resolved, dest, into, e);
  } else {
    cleanup_free char *pat = context_clean(src);
    for (size_t i = 0; i < m.n && r == 0; i++) {
      const char *p = b->ctx->files[m.v[i]].path;
      if (fnmatch(pat, p, FNM_PATHNAME) == 0)
        r = copy_top(b, co, in, &m, p, dest, into, e);
    }
  }
  ctx_match_free(&m);
  return r;
}

/* ADD of a local tar archive (plain, gzip, bzip2, xz, zstd): extracted
 * into dest.  Returns 1 when extracted, 0 when the file is no archive
 * (it is then copied as it is), -1 on error.  libarchive's secure flags
 * refuse "..", absolute names and writes through symlinks. */
static int add_archive(struct build *b, const struct copy_opts *co, const char *root,
                       const char *rel, const char *dest, struct err **e) {
  (void)b;
  cleanup_close int fd = open_in_root(root, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, e);
  if (fd < 0)
    return err_wrap(e, "ADD '%s'", rel);
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  struct archive_entry *ent;
  if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK ||
      archive_read_next_header(a, &ent) != ARCHIVE_OK) {
    archive_read_free(a);
    return 0;
  }
  cleanup_free char *dir = ensure_dir(co, dest, e);
  if (dir == NULL) {
    archive_read_free(a);
    return -1;
  }
  cleanup_close int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cwd < 0 || chdir(dir) < 0) {
    archive_read_free(a);
    return err_set(e, errno, "ADD: enter '%s'", dest);
  }
  struct archive *w = archive_write_disk_new();
  archive_write_disk_set_options(
      w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
             ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
             ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_UNLINK);
  int r = 1;
  for (;;) {
    if (archive_write_header(w, ent) != ARCHIVE_OK) {
      r = err_setc(e, ERR_USAGE, 0, "ADD '%s': %s", rel, archive_error_string(w));
      break;
    }
    const void *buf;
    size_t len;
    la_int64_t off;
    int x;
    while ((x = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
      if (archive_write_data_block(w, buf, len, off) != ARCHIVE_OK)
        break;
    if (x != ARCHIVE_EOF) {
      r = err_setc(e, ERR_USAGE, 0, "ADD '%s': %s", rel, archive_error_string(a) ?: "bad data");
      break;
    }
    archive_write_finish_entry(w);
    x = archive_read_next_header(a, &ent);
    if (x == ARCHIVE_EOF)
      break;
    if (x != ARCHIVE_OK) {
      r = err_setc(e, ERR_USAGE, 0, "ADD '%s': %s", rel, archive_error_string(a));
      break;
    }
  }
  archive_write_free(w);
  archive_read_free(a);
  if (fchdir(cwd) < 0 && r > 0)
    r = err_set(e, errno, "ADD: back to the working directory");
  return r;
}

static size_t curl_sink(char *p, size_t size, size_t n, void *f) {
  return fwrite(p, size, n, f);
}

static int download(struct build *b, const char *url, const char *checksum, char **path,
                    char digest[DIGEST_STR_LEN + 1], struct err **e) {
  cleanup_free char *dir = build_tmpdir(b, "dl", e);
  if (dir == NULL)
    return -1;
  cleanup_free char *p = path_join(dir, "file");
  FILE *f = fopen(p, "wbe");
  if (f == NULL)
    return err_set(e, errno, "ADD: create '%s'", p);
  CURL *c = curl_easy_init();
  char ebuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  CURLcode cr = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (fclose(f) != 0 && cr == CURLE_OK)
    return err_set(e, errno, "ADD: write '%s'", p);
  if (cr != CURLE_OK)
    return err_set(e, 0, "ADD %s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cr));
  if (sha256_file(p, digest, e) < 0)
    return -1;
  if (checksum != NULL && strcmp(checksum, digest) != 0)
    return err_usage(e, "ADD %s: checksum mismatch: expected %s, got %s", url, checksum, digest);
  *path = steal_ptr(&p);
  return 0;
}

/* The file name an ADD of a URL gets inside a destination directory. */
static char *url_name(const char *url) {
  const char *p = strstr(url, "://");
  p = p ? p + 3 : url;
  const char *path = strchr(p, '/');
  if (path == NULL)
    return xstrdup("index.html");
  cleanup_free char *clean = xstrndup(path, strcspn(path, "?#"));
  const char *b = base_name(clean);
  return xstrdup(b[0] ? b : "index.html");
}

/* Whether the layer can be written as a tar with no file on disk: not
 * for ADD of local files (an archive is extracted by libarchive, which
 * writes to disk). */
bool copy_as_tar(struct df_instr *in) {
  if (in->kind == DF_COPY)
    return true;
  for (size_t i = 0; i + 1 < in->nargs; i++)
    if (!is_url(in->args[i]) && heredoc_named(in, in->args[i]) == NULL)
      return false;
  return true;
}

int copy_instr(struct build *b, struct stage_run *sr, struct df_instr *in, const char *rootfs,
               const char *tarpath, struct err **e) {
  struct copy_opts co = {.rootfs = rootfs, .epoch = b->o->epoch};
  if (tarpath != NULL) {
    co.tar = archive_write_new();
    co.emitted = json_object();
    archive_write_set_format_pax_restricted(co.tar);
    if (archive_write_open_filename(co.tar, tarpath) != ARCHIVE_OK) {
      int r = err_set(e, 0, "create '%s': %s", tarpath, archive_error_string(co.tar));
      archive_write_free(co.tar);
      json_decref(co.emitted);
      return r;
    }
  }
  int r = copy_run(b, sr, in, &co, e);
  if (co.tar != NULL) {
    if (archive_write_close(co.tar) != ARCHIVE_OK && r == 0)
      r = err_set(e, 0, "write '%s': %s", tarpath, archive_error_string(co.tar));
    archive_write_free(co.tar);
    json_decref(co.emitted);
  }
  return r;
}

static int copy_run(struct build *b, struct stage_run *sr, struct df_instr *in,
                    struct copy_opts *cop, struct err **e) {
  struct copy_opts co = *cop;
  const char *rootfs = co.rootfs;
  if (owner(b, sr, in, &co, e) < 0)
    return -1;
  cleanup_strv char **args = expand_args(b, sr, in, e);
  if (args == NULL)
    return -1;
  size_t n = strv_len(args) - 1;
  const char *dest = args[n];
  const char *wd = json_get_str(sr->img.cc, "WorkingDir");
  cleanup_free char *destabs =
      dest[0] == '/' ? xstrdup(dest) : path_join(wd && *wd ? wd : "/", dest);
  size_t dl = strlen(dest);
  bool into = n > 1 || (dl > 0 && dest[dl - 1] == '/') || strcmp(dest, ".") == 0 ||
              (dl >= 2 && strcmp(dest + dl - 2, "/.") == 0) || is_dir_in(rootfs, destabs);
  for (size_t i = 0; i < n && !into; i++)
    if (strpbrk(args[i], "*?[") != NULL && heredoc_named(in, args[i]) == NULL)
      into = true;
  const char *from = flag(in, "from");
  cleanup_free char *fromx = from ? vexpand(b, sr, from, e) : NULL;
  if (from != NULL && fromx == NULL)
    return -1;
  struct from_src fs = {0};
  if (fromx != NULL && from_open(b, sr, fromx, &fs, true, e) < 0) {
    from_close(b, &fs);
    return -1;
  }
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++) {
    const char *src = args[i];
    const struct df_heredoc *hd = heredoc_named(in, src);
    if (hd != NULL) {
      cleanup_free char *dst = into ? path_join(destabs, hd->name) : xstrdup(destabs);
      struct stat st = {.st_mode = S_IFREG | 0644};
      struct vars vs = {b, sr};
      cleanup_free char *body =
          hd->expand ? df_expand_heredoc(hd->body, vars_lookup, &vs, e) : xstrdup(hd->body);
      if (body == NULL) {
        r = err_wrap(e, "heredoc '%s'", hd->name);
        break;
      }
      cleanup_close int tfd = memfd_create("heredoc", MFD_CLOEXEC);
      if (tfd < 0 || write_all(tfd, body, strlen(body)) < 0 || lseek(tfd, 0, SEEK_SET) < 0) {
        r = err_set(e, errno, "heredoc '%s'", hd->name);
        break;
      }
      clock_gettime(CLOCK_REALTIME, &st.st_mtim);
      r = put_entry(&co, &st, tfd, NULL, dst, e);
    } else if (fromx != NULL) {
      cleanup_free char *clean = context_clean(src);
      struct stat st;
      cleanup_free char *sp = path_in_root(fs.rootfs, clean, e);
      if (sp == NULL || lstat(sp, &st) < 0) {
        r = sp == NULL ? -1 : err_usage(e, "'%s' not found in '%s'", src, fromx);
        break;
      }
      if (S_ISDIR(st.st_mode)) {
        cleanup_free char *rel = xstrdup(sp + strlen(fs.rootfs));
        r = put_tree(&co, fs.rootfs, rel[0] == '/' ? rel + 1 : rel, destabs, true, e);
      } else {
        cleanup_free char *dst = into ? path_join(destabs, base_name(clean)) : xstrdup(destabs);
        r = put_one(&co, fs.rootfs, clean, dst, &st, e);
      }
    } else if (in->kind == DF_ADD && is_url(src)) {
      const char *p, *dig;
      if (url_fetch(b, in, src, &p, &dig, e) < 0) {
        r = -1;
        break;
      }
      cleanup_free char *name = url_name(src);
      cleanup_free char *dst = into ? path_join(destabs, name) : xstrdup(destabs);
      cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat(fd, &st) < 0) {
        r = err_set(e, errno, "ADD %s", src);
        break;
      }
      st.st_mode = S_IFREG | 0600; /* docker's mode for downloads */
      r = put_entry(&co, &st, fd, NULL, dst, e);
    } else {
      r = copy_context(b, &co, in, src, destabs, into, e);
    }
  }
  from_close(b, &fs);
  return r;
}
