/* fs.h — filesystem helpers: mkdir -p, whole-file reads, atomic writes, and
 * path resolution that cannot leave a root directory. */
#ifndef CAIRN_FS_H
#define CAIRN_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* mkdir -p with mode for created components; an existing dir is fine. */
int mkdir_p(const char *path, mode_t mode, struct err **e);
/* rm -rf; a missing path is fine.  Symlinks are removed, never followed.
 * Does not cross into other mounts (bind mounts on the same filesystem
 * included): a mount point inside path, or path itself being one, fails with
 * EBUSY naming it — after whatever was walked before it was removed. */
int rm_rf(const char *path, struct err **e);

/* Read a whole file (or "-" for stdin); *len gets its size; NUL-terminated.
 * Refuses files larger than max (0: 64 MiB). */
char *read_file(const char *path, size_t max, size_t *len, struct err **e);
char *read_fd(int fd, const char *name, size_t max, size_t *len, struct err **e);

/* Write buf to path atomically: a temp file in the same directory, fsync,
 * rename, fsync of the directory.  Readers see the old or the new content. */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, struct err **e);
/* The same without the fsyncs: still atomic, but a power loss may lose the
 * write.  For state that describes live processes or is rebuilt after a
 * reboot (container status, exit codes, pid files), where each fsync would
 * cost milliseconds on the path of every `run`. */
int write_file_replace(const char *path, const void *buf, size_t len, mode_t mode, struct err **e);
/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* Join root and path, with path resolved as if root were "/": ".." cannot
 * climb above root and absolute symlinks inside are taken relative to root
 * (openat2 RESOLVE_IN_ROOT semantics, with a careful userspace walk where
 * openat2 is missing).  The result is root + the resolved path; components
 * that do not exist yet are appended lexically after the existing prefix.
 * Returns a malloc'd path. */
char *path_in_root(const char *root, const char *path, struct err **e);
/* Open path inside root with those semantics (O_PATH|O_CLOEXEC added to
 * flags when flags is 0; O_RDONLY is 0 too, so ask for a readable fd with
 * O_RDONLY|O_CLOEXEC).  Fails with ENOENT when a component is missing.
 * O_NOFOLLOW in flags leaves a final symlink unfollowed; O_CREAT is refused
 * (EINVAL).  path_in_root always uses the userspace walk: a path string
 * cannot carry openat2's guarantees, so callers that must not race use
 * open_in_root and work on the fd. */
int open_in_root(const char *root, const char *path, int flags, struct err **e);
/* Tests: 1 makes open_in_root skip openat2 and use the userspace walk, as on
 * kernels before 5.6.  CAIRN_FS_NO_OPENAT2=1 in the environment does the
 * same for whole tools. */
void fs_force_fallback(int on);

/* Join two path pieces with exactly one '/', lexically. */
char *path_join(const char *a, const char *b);
/* Normalize lexically: collapse "//", ".", and ".." (never above "/" for
 * absolute paths).  Returns a malloc'd path. */
char *path_clean(const char *p);

#endif
