/* cairn-image unpack | umount — an image's root filesystem for a bundle:
 * BUNDLE/rootfs as an overlay of the shared layer dirs, with BUNDLE/upper
 * and BUNDLE/work beside it (or, with --copy, a plain merged copy). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cmd.h"
#include "fs.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "lock.h"
#include "mem.h"
#include "tree.h"

/* mkdir, and mkdir -p only when a parent is missing (one syscall in the
 * common case). */
static int ensure_dir(const char *path, mode_t mode, struct err **e) {
  if (mkdir(path, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return err_set(e, errno, "mkdir '%s'", path);
  return mkdir_p(path, mode, e);
}

/* 1 when path is the root of a mount (its device differs from its
 * parent's, or it is the same dir mounted on itself). */
static int is_mountpoint(const char *path) {
  struct stat a, b;
  cleanup_free char *parent = path_join(path, "..");
  if (stat(path, &a) < 0 || stat(parent, &b) < 0)
    return 0;
  return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

/* The kernel's own words about a failed fsconfig, when it left any. */
static void fs_log(int fd, char *buf, size_t len) {
  buf[0] = '\0';
  ssize_t n = read(fd, buf, len - 1);
  if (n > 2) {
    buf[n] = '\0';
    if (buf[n - 1] == '\n')
      buf[n - 1] = '\0';
    memmove(buf, buf + 2, (size_t)n - 1); /* drop the "e " */
  } else {
    buf[0] = '\0';
  }
}

/* The new mount API takes the lower dirs one by one ("lowerdir+", Linux
 * 6.8), so the count of layers is not limited by a page of options.
 * Returns 1 when the kernel lacks it. */
static int mount_new_api(char **lowers, size_t n, const char *upper, const char *work, bool volat,
                         const char *target, struct err **e) {
  cleanup_close int fd = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fd < 0)
    return errno == ENOSYS || errno == ENODEV ? 1 : err_set(e, errno, "fsopen overlay");
  char log[512];
  if (fsconfig(fd, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
    return err_set(e, errno, "overlay source");
  for (size_t i = 0; i < n; i++) {
    if (fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0) {
      if (i == 0 && errno == EINVAL)
        return 1;
      int saved = errno;
      fs_log(fd, log, sizeof(log));
      return err_set(e, saved, "overlay lower dir '%s'%s%s", lowers[i], log[0] ? ": " : "", log);
    }
  }
  /* volatile: no sync of the upper filesystem at unmount (and no fsync
   * inside); a kernel without it (< 5.10) mounts without */
  if (volat && fsconfig(fd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 && errno != EINVAL)
    return err_set(e, errno, "overlay option volatile");
  if (fsconfig(fd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
      fsconfig(fd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
      fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    int saved = errno;
    fs_log(fd, log, sizeof(log));
    return err_set(e, saved, "mount overlay on '%s'%s%s", target, log[0] ? ": " : "", log);
  }
  cleanup_close int mfd = fsmount(fd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return err_set(e, errno, "mount overlay on '%s'", target);
  if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return err_set(e, errno, "mount overlay on '%s'", target);
  return 0;
}

static char *old_api_opts(const struct store *s, char **lowers, size_t n, const char *upper,
                          const char *work, bool volat, int relative) {
  cleanup_free char *opts = xstrdup("lowerdir=");
  for (size_t i = 0; i < n; i++) {
    const char *rel = relative && strncmp(lowers[i], s->layers, strlen(s->layers)) == 0
                          ? lowers[i] + strlen(s->layers) + 1
                          : lowers[i];
    char *o = xasprintf("%s%s%s", opts, i ? ":" : "", rel);
    free(opts);
    opts = o;
  }
  return xasprintf("%s,upperdir=%s,workdir=%s%s", opts, upper, work, volat ? ",volatile" : "");
}

/* mount(2): one options string of at most a page.  Absolute lower dirs
 * when they fit (prune recognises them in mountinfo), else relative to the
 * layers dir (the cwd) to fit as many as possible. */
static int mount_old_api(const struct store *s, char **lowers, size_t n, const char *upper,
                         const char *work, bool volat, const char *target, struct err **e) {
  cleanup_free char *opts = old_api_opts(s, lowers, n, upper, work, volat, 0);
  if (strlen(opts) < 4096) {
    if (mount("overlay", target, "overlay", 0, opts) < 0)
      return err_set(e, errno, "mount overlay on '%s'", target);
    return 0;
  }
  free(opts);
  opts = old_api_opts(s, lowers, n, upper, work, volat, 1);
  if (strlen(opts) >= 4096)
    return err_setc(e, ERR_USAGE, 0, "too many layers (%zu) for this kernel's overlay mount", n);
  cleanup_close int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (chdir(s->layers) < 0)
    return err_set(e, errno, "chdir '%s'", s->layers);
  int r = mount("overlay", target, "overlay", 0, opts);
  int saved = errno;
  if (cwd >= 0 && fchdir(cwd) < 0) {
    /* the cwd only matters to relative paths the user gave, all resolved */
  }
  if (r < 0)
    return err_set(e, saved, "mount overlay on '%s'", target);
  return 0;
}

/* Apply one layer dir onto a plain rootfs: overlay whiteouts delete,
 * opaque dirs hide what lies below. */
static int merge_dir(int src, int dst, const char *rel, struct err **e) {
  int sdup = fcntl(src, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = fdopendir(sdup);
  if (d == NULL) {
    close(sdup);
    return err_set(e, errno, "opendir '%s'", rel);
  }
  rewinddir(d); /* a dup shares the position with src */
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    const char *n = de->d_name;
    if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
      continue;
    cleanup_free char *sub = rel[0] ? xasprintf("%s/%s", rel, n) : xstrdup(n);
    struct stat st, dt;
    if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return err_set(e, errno, "stat '%s'", sub);
    if (tree_is_whiteout(&st)) {
      if (tree_remove_at(dst, n, e) < 0)
        return err_wrap(e, "'%s'", sub);
      continue;
    }
    int have = fstatat(dst, n, &dt, AT_SYMLINK_NOFOLLOW) == 0;
    if (!S_ISDIR(st.st_mode)) {
      if ((have && tree_remove_at(dst, n, e) < 0) || tree_copy_node(src, n, dst, n, e) < 0)
        return err_wrap(e, "'%s'", sub);
      continue;
    }
    cleanup_close int sfd = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
      return err_set(e, errno, "open '%s'", sub);
    char v = 0;
    int opaque = fgetxattr(sfd, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y';
    if (have && (!S_ISDIR(dt.st_mode) || opaque)) {
      if (tree_remove_at(dst, n, e) < 0)
        return err_wrap(e, "'%s'", sub);
      have = 0;
    }
    if (!have && mkdirat(dst, n, 0700) < 0)
      return err_set(e, errno, "mkdir '%s'", sub);
    cleanup_close int dfd = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
      return err_set(e, errno, "open '%s'", sub);
    if (merge_dir(sfd, dfd, sub, e) < 0)
      return -1;
    if (tree_copy_meta_fd(sfd, dfd, &st, e) < 0)
      return err_wrap(e, "'%s'", sub);
  }
  if (errno != 0)
    return err_set(e, errno, "readdir '%s'", rel);
  return 0;
}

static int copy_rootfs(char **lowers, size_t n, const char *rootfs, struct err **e) {
  cleanup_close int dst = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0)
    return err_set(e, errno, "open '%s'", rootfs);
  for (size_t i = n; i-- > 0;) { /* bottom layer first */
    cleanup_close int src = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (src < 0)
      return err_set(e, errno, "open '%s'", lowers[i]);
    if (merge_dir(src, dst, "", e) < 0)
      return err_wrap(e, "copy layer '%s'", lowers[i]);
    struct stat st;
    if (fstat(src, &st) == 0 && tree_copy_meta_fd(src, dst, &st, e) < 0)
      return -1;
  }
  return 0;
}

int cmd_unpack(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"copy", no_argument, NULL, 'c'},         {"volatile", no_argument, NULL, 'v'},
      {"print-config", no_argument, NULL, 'p'}, {"max-layer-size", required_argument, NULL, 'm'},
      {"help", no_argument, NULL, 'h'},         {0}};
  int copy = 0, o;
  bool volat = false, print_config = false;
  uint64_t max;
  if (layer_max_from_env(&max, e) < 0)
    return -1;
  while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (o) {
      case 'c': copy = 1; break;
      case 'v': volat = true; break;
      case 'p': print_config = true; break;
      case 'm':
        if (parse_max_size(optarg, &max, e) < 0)
          return -1;
        break;
      case 'h':
        fputs("Usage: cairn-image unpack [--copy|--volatile] [--print-config] IMAGE BUNDLE\n\n"
              "Make BUNDLE/rootfs: an overlay of the image's layer dirs with BUNDLE/upper\n"
              "and BUNDLE/work beside it; with --copy, a plain copy (no overlay needed).\n"
              "--volatile: an overlay whose writes are never synced to disk (unmounting it\n"
              "does not sync the host filesystem), for containers removed at their exit.\n"
              "--print-config: then print the image's config as 'config' does, from the\n"
              "same lookup of IMAGE (so both are of one image even while a tag moves).\n"
              "Layers not extracted yet are extracted first.  'umount BUNDLE' undoes the mount.\n",
              stdout);
        return 0;
      default: return err_usage(e, "unpack: see 'cairn-image unpack --help'");
    }
  }
  if (argc - optind != 2)
    return err_usage(e, "unpack: IMAGE and BUNDLE are required");
  const char *name = argv[optind];
  /* absolute: the overlay options must not depend on the cwd */
  cleanup_free char *cwd = argv[optind + 1][0] == '/' ? NULL : getcwd(NULL, 0);
  cleanup_free char *bundle = cwd ? path_join(cwd, argv[optind + 1]) : xstrdup(argv[optind + 1]);
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  cleanup_json json_t *index = store_index_load(s, e);
  if (index == NULL)
    return -1;
  struct image_ref ir;
  if (store_resolve(s, index, name, &ir, e) < 0)
    return -1;
  struct image img;
  int r = image_load(s, ir.manifest, NULL, &img, e);
  image_ref_free(&ir);
  if (r < 0)
    return err_wrap(e, "unpack '%s'", name);
  cleanup_free char *rootfs = path_join(bundle, "rootfs");
  cleanup_free char *upper = path_join(bundle, "upper");
  cleanup_free char *work = path_join(bundle, "work");
  char **lowers = xcalloc(img.nlayers + 1, sizeof(char *));
  size_t n = img.nlayers;
  for (size_t i = 0; i < n; i++) /* topmost first */
    lowers[i] = store_layer_path(s, img.layers[n - 1 - i].diffid);
  /* read first: a config that cannot be read fails before any mount */
  size_t raw_len = 0;
  cleanup_free char *raw = print_config ? store_read_blob(s, img.config_digest, &raw_len, e) : NULL;
  int lk = print_config && raw == NULL ? -1 : store_gc_lock(s, 0, e);
  r = lk < 0 ? -1 : 0;
  bool was_mounted = r == 0 && is_mountpoint(rootfs);
  if (was_mounted) {
    r = 0; /* already unpacked: a second unpack is a no-op */
    goto out;
  }
  if (r == 0 && image_ensure_layers(s, &img, max, e) < 0)
    r = err_wrap(e, "unpack '%s'", name);
  if (r == 0 && n == 0) { /* overlay needs a lower dir: an empty one */
    lowers[0] = path_join(s->root, "layers/empty");
    n = 1;
    r = mkdir_p(lowers[0], 0755, e);
  }
  int had_rootfs = access(rootfs, F_OK) == 0;
  if (r == 0 && (ensure_dir(bundle, 0711, e) < 0 || ensure_dir(rootfs, 0755, e) < 0))
    r = -1;
  if (r == 0 && copy) {
    r = copy_rootfs(lowers, n, rootfs, e);
    if (r < 0 && !had_rootfs) { /* no half-made rootfs stays */
      struct err *ig = NULL;
      rm_rf(rootfs, &ig);
      err_free(&ig);
    }
  } else if (r == 0) {
    if (ensure_dir(upper, 0755, e) < 0 || ensure_dir(work, 0700, e) < 0)
      r = -1;
    /* A volatile overlay leaves work/work/incompat/volatile, and the
     * kernel refuses to mount over it again (the upper may be torn after
     * a crash): a volatile rootfs is disposable, so it goes. */
    cleanup_free char *incompat = path_join(work, "work/incompat");
    if (r == 0 && volat && access(incompat, F_OK) == 0 && rm_rf(incompat, e) < 0)
      r = -1;
    if (r == 0) {
      r = mount_new_api(lowers, n, upper, work, volat, rootfs, e);
      if (r == 1)
        r = mount_old_api(s, lowers, n, upper, work, volat, rootfs, e);
    }
  }
  if (r < 0)
    err_wrap(e, "unpack '%s'", name);
out:
  if (r == 0 && raw != NULL &&
      (fwrite(raw, 1, raw_len, stdout) != raw_len || fflush(stdout) != 0)) {
    r = err_set(e, errno, "unpack '%s': write the config", name);
    if (!was_mounted) /* nothing half-done stays */
      umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
  }
  for (size_t i = 0; i < n; i++)
    free(lowers[i]);
  free(lowers);
  image_free(&img);
  if (lk >= 0)
    lock_release(lk);
  return r;
}

int cmd_umount(struct ctx *c, int argc, char **argv, struct err **e) {
  (void)c;
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs("Usage: cairn-image umount BUNDLE\n\nUnmount BUNDLE/rootfs (nothing to do when it is "
          "not mounted).\n",
          stdout);
    return 0;
  }
  if (argc != 2)
    return err_usage(e, "umount: BUNDLE is required");
  cleanup_free char *rootfs = path_join(argv[1], "rootfs");
  if (!is_mountpoint(rootfs))
    return 0;
  if (umount2(rootfs, UMOUNT_NOFOLLOW) < 0) {
    if (errno != EBUSY)
      return err_set(e, errno, "umount '%s'", rootfs);
    /* Something still has it open: detach it now, the kernel frees it
     * when the last user goes. */
    if (umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
      return err_set(e, errno, "umount '%s'", rootfs);
  }
  return 0;
}
