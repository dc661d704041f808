/* nss_static.c — what the static runtime has in place of glibc's NSS
 * lookups by uid and for supplementary groups.
 *
 * libcap-ng's capng_change_id calls initgroups and getpwuid; the runtime
 * never calls it (ids are set from the config, no name is looked up:
 * cmd_list.c reads /etc/passwd with fgetpwent).  Linked statically, glibc's
 * versions would need, at run time, the NSS modules of the very glibc the
 * binary was built with, and the linker says so on every build.  These
 * take their place in the static binary and fail plainly if ever reached.
 * A dynamic (sanitizer) build keeps libc's own. */
#ifdef CAIRN_STATIC_RUNTIME
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>

int initgroups(const char *user, gid_t group) {
  (void)user, (void)group;
  errno = ENOSYS;
  return -1;
}

struct passwd *getpwuid(uid_t uid) {
  (void)uid;
  errno = ENOSYS;
  return NULL;
}
#endif
