/* tree.h — filesystem operations confined to a directory tree: walking to
 * an entry's parent without following any symlink, removing, copying files
 * with their metadata.  Used by layer extraction, unpack --copy and commit. */
#ifndef CAIRN_IMAGE_TREE_H
#define CAIRN_IMAGE_TREE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

/* Open the directory rel (a clean relative path, "" for the top) below
 * rootfd, following no symlink and never leaving the tree.  With create,
 * missing components are made (mode 0755).  On failure the error names the
 * offending component: "'a/b' is a symlink", "'a' is not a directory". */
int tree_open_dir(int rootfd, const char *rel, int create, struct err **e);

/* Remove name in dirfd, recursively when it is a directory (never following
 * symlinks, never crossing into another mount).  A missing name is fine. */
int tree_remove_at(int dirfd, const char *name, struct err **e);

/* Copy the non-directory src (in sdir) to dst (in ddir), which must not
 * exist: regular files (data, with reflinks when the fs can), symlinks,
 * devices and fifos, with owner, mode, xattrs and times. */
int tree_copy_node(int sdir, const char *src, int ddir, const char *dst, struct err **e);

/* Copy owner, mode, xattrs (except overlay's own) and times of the open
 * file sfd onto dfd. */
int tree_copy_meta_fd(int sfd, int dfd, const struct stat *st, struct err **e);

/* An overlay whiteout: a character device 0/0. */
static inline int tree_is_whiteout(const struct stat *st) {
  return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/* 1 for the xattr names an image must never set: trusted.overlay.* and
 * user.overlay.* (overlayfs reads them). */
int tree_xattr_forbidden(const char *name);

#endif
