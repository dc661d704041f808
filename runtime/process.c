#include "process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched/types.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "exechelper.h"
#include "fs.h"
#include "mem.h"
#include "seccomp_filter.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char *const *env, const char *key) {
  size_t n = strlen(key);
  for (size_t i = 0; env != NULL && env[i] != NULL; i++)
    if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
      return env[i] + n + 1;
  return NULL;
}

static int executable(const char *path, int *err) {
  struct stat st;
  if (stat(path, &st) < 0) {
    *err = errno;
    return 0;
  }
  if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
    *err = EACCES;
    return 0;
  }
  return 1;
}

int process_lookup(const struct rt_process *p, char **path, struct err **e) {
  const char *name = p->args[0];
  int err = 0;
  if (strchr(name, '/') != NULL) {
    if (executable(name, &err)) {
      *path = xstrdup(name);
      return 0;
    }
    if (err == EACCES)
      return err_set(e, 0, "exec: \"%s\": permission denied", name);
    return err_set(e, 0, "exec: \"%s\": stat %s: %s", name, name, strerror(err));
  }
  const char *pathvar = env_get(p->env, "PATH");
  if (pathvar == NULL)
    pathvar = DEFAULT_PATH;
  cleanup_free char *copy = xstrdup(pathvar);
  char *save = copy, *dir;
  while ((dir = strsep(&save, ":")) != NULL) {
    cleanup_free char *cand = path_join(*dir ? dir : ".", name);
    if (executable(cand, &err)) {
      *path = steal_ptr(&cand);
      return 0;
    }
  }
  return err_set(e, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

static int write_attr(const char *file, const char *value, struct err **e) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open '%s'", file);
  int r = write_all(fd, value, strlen(value));
  int err = errno;
  close(fd);
  return r < 0 ? err_set(e, err, "write '%s'", file) : 0;
}

static int apply_lsm(const struct rt_process *p, struct err **e) {
  if (p->apparmor != NULL) {
    char yes = 0;
    int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!read(fd, &yes, 1);
      close(fd);
    }
    if (yes != 'Y')
      return err_set(e, 0,
                     "apparmor profile \"%s\" is set but AppArmor is not enabled on this "
                     "host",
                     p->apparmor);
    cleanup_free char *v = xasprintf("exec %s", p->apparmor);
    const char *f = access("/proc/self/attr/apparmor/exec", F_OK) == 0
                        ? "/proc/self/attr/apparmor/exec"
                        : "/proc/self/attr/exec";
    if (write_attr(f, v, e) < 0)
      return err_wrap(e, "apply apparmor profile \"%s\"", p->apparmor);
  }
  if (p->selinux != NULL) {
    if (access("/sys/fs/selinux/enforce", F_OK) != 0)
      return err_set(e, 0, "selinux label \"%s\" is set but SELinux is not enabled on this host",
                     p->selinux);
    if (write_attr("/proc/self/attr/exec", p->selinux, e) < 0)
      return err_wrap(e, "apply selinux label \"%s\"", p->selinux);
  }
  return 0;
}

int process_prepare(const struct rt_process *p, struct err **e) {
  if (chdir(p->cwd) < 0) {
    if (errno != ENOENT)
      return err_set(e, errno, "chdir to cwd '%s'", p->cwd);
    if (mkdir_p(p->cwd, 0755, e) < 0)
      return err_wrap(e, "create cwd");
    if (chdir(p->cwd) < 0)
      return err_set(e, errno, "chdir to cwd '%s'", p->cwd);
  }
  /* A cwd reached through a leaked fd would be outside the root: the
   * kernel reports such a cwd as "(unreachable)…" (CVE-2024-21626). */
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
    return err_set(e, 0, "cwd '%s' is outside the container's root", p->cwd);
  for (size_t i = 0; i < p->nrlimits; i++)
    if (setrlimit(p->rlimits[i].resource, &p->rlimits[i].lim) < 0)
      return err_set(e, errno, "set rlimit %d to %llu/%llu", p->rlimits[i].resource,
                     (unsigned long long)p->rlimits[i].lim.rlim_cur,
                     (unsigned long long)p->rlimits[i].lim.rlim_max);
  if (p->has_sched) {
    struct sched_attr a = {.size = sizeof(a),
                           .sched_policy = (uint32_t)p->sched_policy,
                           .sched_flags = p->sched_flags,
                           .sched_nice = p->sched_nice,
                           .sched_priority = (uint32_t)p->sched_priority,
                           .sched_runtime = p->sched_runtime,
                           .sched_deadline = p->sched_deadline,
                           .sched_period = p->sched_period};
    if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
      return err_set(e, errno, "set the scheduler policy");
  }
  if (p->has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, p->ioprio) < 0)
    return err_set(e, errno, "set the I/O priority");
  return apply_lsm(p, e);
}

int process_close_fds(int preserve_fds, struct err **e) {
  unsigned first = 3 + (unsigned)(preserve_fds > 0 ? preserve_fds : 0);
  if (syscall(SYS_close_range, first, ~0u, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
    return 0;
  /* older kernels: walk /proc/self/fd */
  cleanup_dir DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return err_set(e, errno, "list open fds");
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    int fd = atoi(de->d_name);
    if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd < (int)first || fd == dirfd(d))
      continue;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  return 0;
}

int process_set_user(const struct rt_process *p, void *seccomp, struct err **e) {
  if (seccomp != NULL && !p->nnp && filter_load(seccomp, e) < 0)
    return -1;
  if (p->has_caps && caps_apply_bounding(p->caps, e) < 0)
    return -1;
  /* keep the permitted set across the uid change only when we are about
   * to set the sets explicitly */
  if (p->has_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return err_set(e, errno, "prctl(PR_SET_KEEPCAPS)");
  if (setgroups(p->ngids, p->gids) < 0 && !(errno == EPERM && p->ngids == 0))
    return err_set(e, errno, "setgroups");
  if (setresgid(p->gid, p->gid, p->gid) < 0)
    return err_set(e, errno, "setgid %u", (unsigned)p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0)
    return err_set(e, errno, "setuid %u", (unsigned)p->uid);
  if (p->has_caps) {
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (caps_apply(p->caps, e) < 0)
      return -1;
  }
  return 0;
}

int process_set_late(const struct rt_process *p, void *seccomp, struct err **e) {
  if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return err_set(e, errno, "set no_new_privs");
  if (seccomp != NULL && p->nnp && filter_load(seccomp, e) < 0)
    return -1;
  return 0;
}

int process_exec(const char *path, const struct rt_process *p, int helper, int sync,
                 struct err **e) {
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      sigaction(s, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  umask(p->has_umask ? p->umask : 022);
  static char *const empty[] = {NULL};
  if (helper >= 0)
    return helper_exec(helper, sync, path, p->args, p->env != NULL ? p->env : empty, e);
  execve(path, p->args, p->env != NULL ? p->env : empty);
  return err_set(e, errno, "exec '%s'", path);
}
