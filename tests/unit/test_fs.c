#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "unit.h"

static char tmpdir[] = "/tmp/cairn-unit-fs.XXXXXX";

static char *tmp(const char *rel) {
  return path_join(tmpdir, rel);
}

static void put(const char *rel, const char *content) {
  cleanup_free char *p = tmp(rel);
  struct err *e = NULL;
  if (write_file_atomic(p, content, strlen(content), 0644, &e) < 0) {
    fprintf(stderr, "setup: %s\n", e->msg);
    exit(2);
  }
}

static void link_(const char *target, const char *rel) {
  cleanup_free char *p = tmp(rel);
  if (symlink(target, p) < 0) {
    perror("setup: symlink");
    exit(2);
  }
}

static int exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

TEST(mkdir_p) {
  struct err *e = NULL;
  cleanup_free char *p = tmp("m/a/b/c/");
  CHECK(mkdir_p(p, 0750, &e) == 0);
  struct stat st;
  CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(mkdir_p(p, 0750, &e) == 0); /* exists: fine */
  put("m/file", "x");
  cleanup_free char *f = tmp("m/file");
  CHECK(mkdir_p(f, 0755, &e) == -1);
  CHECK(e != NULL && e->errnum == ENOTDIR);
  err_free(&e);
  cleanup_free char *under = tmp("m/file/sub");
  CHECK(mkdir_p(under, 0755, &e) == -1);
  CHECK(e != NULL && strstr(e->msg, "m/file") != NULL);
  err_free(&e);
}

/* write_file_atomic and write_file_replace (the same without fsync) give
 * readers the same guarantees: whole old or whole new content. */
static void check_replacing_writer(int (*wr)(const char *, const void *, size_t, mode_t,
                                             struct err **),
                                   const char *sub) {
  struct err *e = NULL;
  cleanup_free char *d = tmp(sub);
  CHECK(mkdir_p(d, 0755, &e) == 0);
  cleanup_free char *p = xasprintf("%s/state.json", d);
  CHECK(wr(p, "one", 3, 0600, &e) == 0);
  CHECK(wr(p, "second", 6, 0640, &e) == 0);
  size_t len = 0;
  cleanup_free char *got = read_file(p, 0, &len, &e);
  CHECK_STR(got, "second");
  CHECK(len == 6);
  struct stat st;
  CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640);
  /* nothing but the file itself is left in the directory */
  DIR *dir = opendir(d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(dir)) != NULL)
    if (de->d_name[0] != '.')
      n++;
  closedir(dir);
  CHECK(n == 1);
  cleanup_free char *bad = xasprintf("%s/nodir/x", d);
  CHECK(wr(bad, "x", 1, 0644, &e) == -1);
  CHECK(e != NULL && e->errnum == ENOENT);
  err_free(&e);
}

TEST(atomic_write) {
  check_replacing_writer(write_file_atomic, "w");
  check_replacing_writer(write_file_replace, "r");
}

TEST(read_limits) {
  struct err *e = NULL;
  char buf[100];
  memset(buf, 'z', sizeof(buf));
  cleanup_free char *p = tmp("hundred");
  CHECK(write_file_atomic(p, buf, sizeof(buf), 0644, &e) == 0);
  size_t len = 0;
  cleanup_free char *all = read_file(p, 100, &len, &e);
  CHECK(all != NULL && len == 100 && all[100] == '\0');
  CHECK(read_file(p, 99, &len, &e) == NULL);
  if (e)
    CHECK_STR(strstr(e->msg, "larger than 99 bytes"), "larger than 99 bytes");
  CHECK(e != NULL && e->code == ERR_USAGE);
  err_free(&e);
  CHECK(read_file("/nonexistent/f", 0, NULL, &e) == NULL);
  if (e)
    CHECK_STR(e->msg, "open '/nonexistent/f': No such file or directory");
  err_free(&e);
  /* a big file crosses the growth steps intact */
  size_t n = 3 << 20;
  cleanup_free char *big = xmalloc(n);
  for (size_t i = 0; i < n; i++)
    big[i] = (char)(i * 7);
  cleanup_free char *bp = tmp("big");
  CHECK(write_file_atomic(bp, big, n, 0644, &e) == 0);
  cleanup_free char *back = read_file(bp, 0, &len, &e);
  CHECK(back != NULL && len == n && memcmp(back, big, n) == 0);
}

TEST(join_and_clean) {
  static const char *const join[][3] = {
      {"a", "b", "a/b"}, {"a/", "/b", "a/b"}, {"/", "b", "/b"},
      {"a", "", "a"},    {"/", "", "/"},      {"/root//", "//x/y", "/root/x/y"},
  };
  for (size_t i = 0; i < sizeof(join) / sizeof(join[0]); i++) {
    cleanup_free char *s = path_join(join[i][0], join[i][1]);
    CHECK_STR(s, join[i][2]);
  }
  /* Go's path.Clean cases */
  static const char *const clean[][2] = {
      {"abc", "abc"},
      {"abc/def", "abc/def"},
      {"a/b/c", "a/b/c"},
      {".", "."},
      {"..", ".."},
      {"../..", "../.."},
      {"../../abc", "../../abc"},
      {"/abc", "/abc"},
      {"/", "/"},
      {"", "."},
      {"abc/", "abc"},
      {"abc/def/", "abc/def"},
      {"./", "."},
      {"../", ".."},
      {"../../", "../.."},
      {"/abc/", "/abc"},
      {"abc//def//ghi", "abc/def/ghi"},
      {"//abc", "/abc"},
      {"///abc", "/abc"},
      {"//abc//", "/abc"},
      {"abc//", "abc"},
      {"abc/./def", "abc/def"},
      {"/./abc/def", "/abc/def"},
      {"abc/.", "abc"},
      {"abc/def/ghi/../jkl", "abc/def/jkl"},
      {"abc/def/../ghi/../jkl", "abc/jkl"},
      {"abc/def/..", "abc"},
      {"abc/def/../..", "."},
      {"/abc/def/../..", "/"},
      {"abc/def/../../..", ".."},
      {"/abc/def/../../..", "/"},
      {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
      {"abc/./../def", "def"},
      {"abc//./../def", "def"},
      {"abc/../../././../def", "../../def"},
      {"/../../etc/passwd", "/etc/passwd"},
  };
  for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
    cleanup_free char *s = path_clean(clean[i][0]);
    if (strcmp(s, clean[i][1]) != 0)
      fprintf(stderr, "  path_clean(\"%s\")\n", clean[i][0]);
    CHECK_STR(s, clean[i][1]);
  }
}

/* The root for resolution tests:
 *   etc/passwd  file          abs -> /etc         rel -> ../../../etc
 *   dotdot -> ..              dir/sub/            dir/up -> ../..
 *   loop1 -> loop2 -> loop1   dangling -> /nonexistent/target
 *   file                      chain -> abs/../dir/up/rel
 *   dir/sub/abs2 -> /etc/passwd */
static char *root;

static void make_root(void) {
  struct err *e = NULL;
  root = tmp("root");
  cleanup_free char *sub = tmp("root/dir/sub");
  cleanup_free char *etc = tmp("root/etc");
  if (mkdir_p(sub, 0755, &e) < 0 || mkdir_p(etc, 0755, &e) < 0)
    exit(2);
  put("root/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  put("root/file", "f");
  link_("/etc", "root/abs");
  link_("../../../etc", "root/rel");
  link_("..", "root/dotdot");
  link_("../..", "root/dir/up");
  link_("loop2", "root/loop1");
  link_("loop1", "root/loop2");
  link_("/nonexistent/target", "root/dangling");
  link_("abs/../dir/up/rel", "root/chain");
  link_("/etc/passwd", "root/dir/sub/abs2");
}

static const struct {
  const char *in, *want; /* want relative to root; NULL: error */
  int errnum;
} resolve[] = {
    {"", "", 0},
    {"/", "", 0},
    {".", "", 0},
    {"..", "", 0},
    {"etc/passwd", "/etc/passwd", 0},
    {"/etc//./passwd", "/etc/passwd", 0},
    {"../../etc/passwd", "/etc/passwd", 0},
    {"/../etc/passwd", "/etc/passwd", 0},
    {"abs", "/etc", 0},
    {"abs/passwd", "/etc/passwd", 0},
    {"rel/passwd", "/etc/passwd", 0},
    {"dotdot/dotdot/etc/passwd", "/etc/passwd", 0},
    {"dir/up/etc", "/etc", 0},
    {"dir/up/../../..", "", 0},
    {"chain/passwd", "/etc/passwd", 0},
    {"dir/sub/abs2", "/etc/passwd", 0},
    {"dir/sub/abs2/", NULL, ENOTDIR},
    {"abs/", "/etc", 0},
    {"dir/sub/../../etc", "/etc", 0},
    {"missing", "/missing", 0},
    {"missing/a/b", "/missing/a/b", 0},
    {"dir/missing/../sub", "/dir/sub", 0},
    {"dir/missing/../../abs/passwd", "/etc/passwd", 0}, /* back on real ground: links count */
    {"missing/../../../../etc", "/etc", 0},
    {"dangling", "/nonexistent/target", 0},
    {"dangling/x/../y", "/nonexistent/target/y", 0},
    {"loop1", NULL, ELOOP},
    {"loop1/x", NULL, ELOOP},
    {"file/x", NULL, ENOTDIR},
    {"etc/passwd/", NULL, ENOTDIR},
};

TEST(path_in_root) {
  for (size_t i = 0; i < sizeof(resolve) / sizeof(resolve[0]); i++) {
    struct err *e = NULL;
    cleanup_free char *got = path_in_root(root, resolve[i].in, &e);
    if (resolve[i].want == NULL) {
      CHECK(got == NULL && e != NULL && e->errnum == resolve[i].errnum);
      if (got != NULL)
        fprintf(stderr, "  '%s' -> %s\n", resolve[i].in, got);
    } else {
      cleanup_free char *want = xasprintf("%s%s", root, resolve[i].want);
      if (got == NULL || strcmp(got, want) != 0)
        fprintf(stderr, "  path_in_root('%s'): %s\n", resolve[i].in, e ? e->msg : "");
      CHECK_STR(got, want);
    }
    err_free(&e);
  }
  /* a root given with a trailing slash gives the same paths */
  struct err *e = NULL;
  cleanup_free char *slashed = xasprintf("%s/", root);
  cleanup_free char *got = path_in_root(slashed, "abs/passwd", &e);
  cleanup_free char *want = xasprintf("%s/etc/passwd", root);
  CHECK_STR(got, want);
  CHECK(path_in_root("/nonexistent/root", "x", &e) == NULL);
  CHECK(e != NULL && strstr(e->msg, "/nonexistent/root") != NULL);
  err_free(&e);
}

static void open_cases(void) {
  for (size_t i = 0; i < sizeof(resolve) / sizeof(resolve[0]); i++) {
    struct err *e = NULL;
    int fd = open_in_root(root, resolve[i].in, 0, &e);
    cleanup_free char *want = resolve[i].want ? xasprintf("%s%s", root, resolve[i].want) : NULL;
    struct stat a, b;
    /* The kernel needs every component to exist, even one that ".." undoes
     * later: a missing one is ENOENT, as is a dangling symlink. */
    if (want == NULL || stat(want, &b) < 0 || strstr(resolve[i].in, "missing") != NULL) {
      int errnum = want == NULL ? resolve[i].errnum : ENOENT;
      CHECK(fd == -1 && e != NULL && e->errnum == errnum);
      if (fd >= 0 || (e && e->errnum != errnum))
        fprintf(stderr, "  open_in_root('%s'): %s\n", resolve[i].in, e ? e->msg : "opened");
    } else {
      CHECK(fd >= 0 && fstat(fd, &a) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev);
      if (fd < 0)
        fprintf(stderr, "  open_in_root('%s'): %s\n", resolve[i].in, e ? e->msg : "");
      CHECK(fd < 0 || (fcntl(fd, F_GETFD) & FD_CLOEXEC));
    }
    if (fd >= 0)
      close(fd);
    err_free(&e);
  }
  struct err *e = NULL;
  /* real flags: read through an absolute symlink, inside the root */
  int fd = open_in_root(root, "/abs/passwd", O_RDONLY | O_CLOEXEC, &e);
  CHECK(fd >= 0);
  if (fd >= 0) {
    char buf[64] = "";
    CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
    CHECK(strncmp(buf, "root:x:0:0::/root", 17) == 0);
    close(fd);
  }
  /* O_NOFOLLOW: the last symlink itself */
  fd = open_in_root(root, "abs", O_PATH | O_NOFOLLOW, &e);
  struct stat st;
  CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode));
  if (fd >= 0)
    close(fd);
  fd = open_in_root(root, "abs", O_RDONLY | O_NOFOLLOW, &e);
  CHECK(fd == -1 && e != NULL && e->errnum == ELOOP);
  err_free(&e);
  fd = open_in_root(root, "file", O_RDONLY | O_DIRECTORY, &e);
  CHECK(fd == -1 && e != NULL && e->errnum == ENOTDIR);
  err_free(&e);
  fd = open_in_root(root, "new", O_WRONLY | O_CREAT, &e);
  CHECK(fd == -1 && e != NULL && e->errnum == EINVAL);
  err_free(&e);
  fd = open_in_root(root, "missing", 0, &e);
  if (e)
    CHECK(strstr(e->msg, "open 'missing' in '") == e->msg);
  err_free(&e);
}

TEST(open_in_root_openat2) {
  fs_force_fallback(0);
  open_cases();
}

TEST(open_in_root_fallback) {
  fs_force_fallback(1);
  open_cases();
  fs_force_fallback(0);
}

TEST(rm_rf) {
  struct err *e = NULL;
  /* outside the tree: must survive */
  put("outside", "keep");
  cleanup_free char *outside = tmp("outside");
  cleanup_free char *odir = tmp("odir");
  CHECK(mkdir_p(odir, 0755, &e) == 0);
  put("odir/keep", "keep");
  cleanup_free char *t = tmp("t/a/b/c");
  CHECK(mkdir_p(t, 0755, &e) == 0);
  put("t/a/f1", "1");
  put("t/a/b/c/f2", "2");
  put("t/f0", "0");
  link_(outside, "t/a/link-to-file");
  link_(odir, "t/a/b/link-to-dir");
  link_("/nonexistent", "t/dangling");
  cleanup_free char *ro = tmp("t/ro");
  CHECK(mkdir_p(ro, 0755, &e) == 0);
  put("t/ro/f", "x");
  chmod(ro, 0555); /* root removes it anyway; others would fail loudly */
  cleanup_free char *top = tmp("t");
  CHECK(rm_rf(top, &e) == 0);
  if (e)
    fprintf(stderr, "  %s\n", e->msg);
  err_free(&e);
  CHECK(!exists(top));
  CHECK(exists(outside));
  cleanup_free char *okeep = tmp("odir/keep");
  CHECK(exists(okeep));
  CHECK(rm_rf(top, &e) == 0);                         /* missing: fine */
  CHECK(rm_rf(outside, &e) == 0 && !exists(outside)); /* a plain file */
  /* a symlink to a directory: the link goes, the directory stays */
  link_(odir, "dlink");
  cleanup_free char *dlink = tmp("dlink");
  CHECK(rm_rf(dlink, &e) == 0 && !exists(dlink) && exists(okeep));
  /* a deep tree: only one directory fd is held at a time */
  cleanup_free char *deep = tmp("deep");
  CHECK(mkdir_p(deep, 0755, &e) == 0);
  int dfd = open(deep, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < 2000 && dfd >= 0; i++) {
    mkdirat(dfd, "d", 0755);
    int nfd = openat(dfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dfd);
    dfd = nfd;
  }
  CHECK(dfd >= 0);
  close(dfd);
  CHECK(rm_rf(deep, &e) == 0);
  if (e)
    fprintf(stderr, "  %s\n", e->msg);
  CHECK(!exists(deep));
  err_free(&e);
}

/* Mount points are never crossed: checked in a child with its own mount
 * namespace, so that nothing can leak onto the host's mounts. */
static void mounts_child(void) {
  struct err *e = NULL;
  unit_failures = 0; /* count only this child's checks */
  cleanup_free char *m = tmp("mnt/inner");
  cleanup_free char *vol = tmp("vol");
  cleanup_free char *bind = tmp("mnt/bound");
  mkdir_p(m, 0755, &e);
  mkdir_p(vol, 0755, &e);
  mkdir_p(bind, 0755, &e);
  put("vol/data", "precious");
  if (mount("tmpfs", m, "tmpfs", 0, NULL) < 0 || mount(vol, bind, NULL, MS_BIND, NULL) < 0) {
    perror("mount");
    _exit(2);
  }
  put("mnt/inner/file", "in tmpfs");
  cleanup_free char *inner_file = tmp("mnt/inner/file");
  cleanup_free char *vol_data = tmp("vol/data");
  cleanup_free char *top = tmp("mnt");
  /* the tmpfs and the bind mount (same filesystem as tmpdir) both stop it */
  CHECK(rm_rf(top, &e) == -1);
  CHECK(e != NULL && e->errnum == EBUSY && strstr(e->msg, "is a mount point") != NULL);
  err_free(&e);
  CHECK(exists(inner_file));
  CHECK(exists(vol_data));
  /* a mount point given directly is refused before anything is removed */
  CHECK(rm_rf(m, &e) == -1 && e != NULL && e->errnum == EBUSY);
  err_free(&e);
  CHECK(exists(inner_file));
  CHECK(rm_rf(bind, &e) == -1 && e != NULL && e->errnum == EBUSY);
  err_free(&e);
  CHECK(exists(vol_data));
  umount2(m, MNT_DETACH);
  umount2(bind, MNT_DETACH);
  CHECK(rm_rf(top, &e) == 0 && !exists(top));
  err_free(&e);
  _exit(unit_failures ? 1 : 0);
}

TEST(rm_rf_mounts) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
      perror("unshare");
      _exit(77);
    }
    mounts_child();
  }
  int st;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
    printf("skip rm_rf_mounts: no mount namespace (needs root)\n");
    return;
  }
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (!WIFEXITED(st))
    fprintf(stderr, "  mount test child died of signal %d\n", WTERMSIG(st));
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL)
    return 2;
  RUN(mkdir_p);
  RUN(atomic_write);
  RUN(read_limits);
  RUN(join_and_clean);
  make_root();
  RUN(path_in_root);
  RUN(open_in_root_openat2);
  RUN(open_in_root_fallback);
  RUN(rm_rf);
  RUN(rm_rf_mounts);
  struct err *e = NULL;
  if (rm_rf(tmpdir, &e) < 0)
    fprintf(stderr, "cleanup: %s\n", e->msg);
  err_free(&e);
  free(root);
  return UNIT_DONE();
}
