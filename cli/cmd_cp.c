/* cmd_cp.c — `cairn cp` and `cairn export`: the container's files seen
 * from the host through its rootfs mount (mounted for the time of the
 * copy when the container is stopped, under its lock so that a start does
 * not race).  Paths inside are resolved as if the rootfs were / (lib/fs's
 * path_in_root): "..", and symlinks in the image, cannot reach the host.
 * As with docker, volumes and bind mounts of the container are not part of
 * its rootfs and are not copied. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"

struct mounted {
  char *id;
  char *rootfs;
  int lock;
  bool we_mounted;
};

/* The rootfs of the container named ref, mounted. */
static int rootfs_open(const char *ref, struct mounted *m, struct err **e) {
  memset(m, 0, sizeof *m);
  m->lock = -1;
  if (ctr_resolve(ref, &m->id, e) < 0)
    return -1;
  m->lock = ctr_lock(m->id, e);
  if (m->lock < 0)
    return -1;
  cleanup_json json_t *c = ctr_load(m->id, e);
  if (c == NULL)
    return -1;
  m->rootfs = ctr_file(m->id, "bundle/rootfs");
  if (!rootfs_mounted(m->id)) {
    cleanup_free char *bundle = ctr_file(m->id, "bundle");
    if (rootfs_unpack(json_get_str(c, "imageId"), json_get_str(c, "image"), bundle,
                      ctr_autoremove(c), e) < 0)
      return -1;
    m->we_mounted = true;
  }
  return 0;
}

static void rootfs_close(struct mounted *m) {
  if (m->we_mounted) {
    cleanup_free char *bundle = ctr_file(m->id, "bundle");
    const char *argv[] = {"cairn-image", "umount", bundle, NULL};
    struct err *e = NULL;
    if (tool_run(argv, NULL, 0, NULL, 0, &e) < 0) {
      err_show(e);
      err_free(&e);
    }
  }
  if (m->lock >= 0)
    lock_release(m->lock);
  free(m->id);
  free(m->rootfs);
}

static const char cp_help[] = "Usage: cairn cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
                              "       cairn cp [OPTIONS] SRC_PATH CONTAINER:DEST_PATH\n\n"
                              "Copy files/folders between a container and the local filesystem.\n\n"
                              "Options:\n"
                              "  -a, --archive       keep uid/gid (the default here, as cp -a)\n"
                              "  -L, --follow-link   follow a symbolic link given as SRC_PATH\n";

/* "NAME:PATH" with a container name before the colon (a host path with a
 * colon is written ./a:b, as docker asks). */
static bool split_ref(const char *arg, char **ctr, const char **path) {
  const char *colon = strchr(arg, ':');
  if (colon == NULL || arg[0] == '/' || arg[0] == '.' || colon == arg)
    return false;
  *ctr = xstrndup(arg, (size_t)(colon - arg));
  *path = colon + 1;
  return true;
}

int cmd_cp(int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"archive", no_argument, NULL, 'a'},
                                       {"follow-link", no_argument, NULL, 'L'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
  bool follow = false;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "aL", opts, NULL)) != -1) {
    if (ch == 'L')
      follow = true;
    else if (ch == 'H')
      return usage_print(cp_help);
    else if (ch != 'a')
      return err_usage(e, "unknown flag: %s (see 'cairn cp --help')", argv[optind - 1]);
  }
  if (argc - optind != 2)
    return err_usage(e, "\"cairn cp\" requires exactly 2 arguments");
  const char *src = argv[optind], *dst = argv[optind + 1];
  cleanup_free char *sctr = NULL, *dctr = NULL;
  const char *spath = NULL, *dpath = NULL;
  bool from = split_ref(src, &sctr, &spath), to = split_ref(dst, &dctr, &dpath);
  if (from == to)
    return err_usage(e, "copying between containers or between host paths is not supported: "
                        "one of the paths must be CONTAINER:PATH");
  struct mounted m;
  if (rootfs_open(from ? sctr : dctr, &m, e) < 0) {
    rootfs_close(&m);
    return -1;
  }
  const char *inner = from ? spath : dpath;
  /* keep a trailing "/." (copy the contents) that resolution would drop */
  size_t il = strlen(inner);
  bool contents = il >= 2 && strcmp(inner + il - 2, "/.") == 0;
  cleanup_free char *resolved = path_in_root(m.rootfs, *inner ? inner : "/", e);
  int rc = -1;
  if (resolved != NULL) {
    cleanup_free char *full = contents ? xasprintf("%s/.", resolved) : xstrdup(resolved);
    if (from && access(resolved, F_OK) < 0) {
      rc = err_set(e, 0, "could not find the file %s in container %s", spath, sctr);
    } else if (from && strcmp(dst, "-") == 0) {
      /* docker writes a tar of SRC to stdout */
      cleanup_free char *dir = xstrdup(resolved);
      char *slash = strrchr(dir, '/');
      *slash = '\0';
      const char *av[] = {"tar", "-C", *dir ? dir : "/", "-cf", "-", slash + 1, NULL};
      rc = tool_run(av, NULL, 0, NULL, 0, e);
    } else {
      const char *av[] = {"cp", "-a", follow ? "-L" : "-P", from ? full : src, from ? dst : full,
                          NULL};
      rc = tool_run(av, NULL, 0, NULL, 0, e);
    }
  }
  /* docker journals its API calls: reading from a container, writing to one */
  if (rc == 0 && m.id != NULL)
    event_ctr_id(m.id, from ? "archive-path" : "extract-to-dir", NULL);
  rootfs_close(&m);
  return rc;
}

int cmd_export(int argc, char **argv, struct err **e) {
  const char *out = NULL, *ref = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0)
      return usage_print("Usage: cairn export [-o FILE] CONTAINER\n\n"
                         "Export a container's filesystem as a tar archive (stdout by default).\n");
    if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc)
      out = argv[++i];
    else if (strncmp(argv[i], "--output=", 9) == 0)
      out = argv[i] + 9;
    else if (argv[i][0] == '-')
      return err_usage(e, "unknown flag: %s (see 'cairn export --help')", argv[i]);
    else if (ref == NULL)
      ref = argv[i];
    else
      return err_usage(e, "\"cairn export\" requires exactly 1 argument");
  }
  if (ref == NULL)
    return err_usage(e, "\"cairn export\" requires exactly 1 argument");
  if (out == NULL && isatty(1))
    return err_usage(e, "cowardly refusing to save to a terminal: use the -o flag or redirect");
  struct mounted m;
  int rc = -1;
  if (rootfs_open(ref, &m, e) == 0) {
    const char *av[] = {"tar", "--numeric-owner", "-C", m.rootfs,
                        "-cf", out ? out : "-",   ".",  NULL};
    rc = tool_run(av, NULL, 0, NULL, 0, e);
  }
  if (rc == 0 && m.id != NULL)
    event_ctr_id(m.id, "export", NULL);
  rootfs_close(&m);
  return rc;
}
