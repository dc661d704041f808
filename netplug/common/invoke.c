#include "invoke.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

extern char **environ;

char *cni_find_plugin(const char *type, const char *cni_path, struct err **e) {
  if (type == NULL || *type == '\0' || strchr(type, '/') != NULL || strcmp(type, "..") == 0) {
    cni_err(e, CNI_ERR_CONFIG, 0, "invalid plugin type '%s'", type ? type : "");
    return NULL;
  }
  const char *p = cni_path ? cni_path : "";
  while (*p != '\0') {
    const char *end = strchr(p, ':');
    size_t l = end ? (size_t)(end - p) : strlen(p);
    if (l > 0) {
      char *cand = xasprintf("%.*s/%s", (int)l, p, type);
      if (access(cand, X_OK) == 0)
        return cand;
      free(cand);
    }
    p = end ? end + 1 : p + l;
  }
  cni_err(e, CNI_ERR_CONFIG, ENOENT, "plugin '%s' not found in CNI_PATH '%s'", type,
          cni_path ? cni_path : "");
  return NULL;
}

/* Our environment without CNI_*, plus the invocation's CNI_* values. */
static char **plugin_env(const struct cni_exec *x) {
  char **env = NULL;
  for (char **v = environ; *v != NULL; v++)
    if (strncmp(*v, "CNI_", 4) != 0)
      strv_push(&env, *v);
  const struct {
    const char *k, *v;
  } kv[] = {{"CNI_COMMAND", x->command}, {"CNI_CONTAINERID", x->containerid},
            {"CNI_NETNS", x->netns},     {"CNI_IFNAME", x->ifname},
            {"CNI_ARGS", x->args},       {"CNI_PATH", x->path}};
  for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
    if (kv[i].v == NULL)
      continue;
    cleanup_free char *s = xasprintf("%s=%s", kv[i].k, kv[i].v);
    strv_push(&env, s);
  }
  return env;
}

/* A plugin's failure: its error document when it printed one. */
static int plugin_failed(const char *type, int status, const char *out, struct err **e) {
  cleanup_json json_t *j = json_loads(out, 0, NULL);
  const char *msg = json_get_str(j, "msg");
  json_t *code = json_object_get(j, "code");
  if (msg != NULL && json_is_integer(code)) {
    const char *details = json_get_str(j, "details");
    int c = (int)json_integer_value(code);
    if (details != NULL && *details != '\0')
      return cni_err(e, c, 0, "%s: %s", msg, details);
    return cni_err(e, c, 0, "%s", msg);
  }
  if (WIFSIGNALED(status))
    return cni_err(e, CNI_ERR_INTERNAL, 0, "plugin '%s' killed by signal %d", type,
                   WTERMSIG(status));
  return cni_err(e, CNI_ERR_INTERNAL, 0, "plugin '%s' failed with status %d and no error",
                 type, WEXITSTATUS(status));
}

int cni_exec_plugin(const char *type, const struct cni_exec *x, const char *conf, size_t len,
                    json_t **result, struct err **e) {
  cleanup_free char *exe = cni_find_plugin(type, x->path, e);
  if (exe == NULL)
    return -1;
  /* The config goes through a memfd: no writer to keep alive, any size. */
  cleanup_close int in = memfd_create("cni-config", MFD_CLOEXEC);
  if (in < 0)
    return err_set(e, errno, "memfd_create");
  if (write_all(in, conf, len) < 0 || lseek(in, 0, SEEK_SET) < 0)
    return err_set(e, errno, "write plugin config");
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return err_set(e, errno, "pipe");
  cleanup_close int rd = pfd[0];
  cleanup_close int wr = pfd[1];

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, wr, 1);
  cleanup_strv char **env = plugin_env(x);
  char *argv[] = {exe, NULL};
  pid_t pid;
  int r = posix_spawn(&pid, exe, &fa, NULL, argv, env);
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0)
    return err_set(e, r, "run plugin '%s'", exe);
  close(steal_fd(&wr));
  struct err *rerr = NULL;
  size_t olen = 0;
  cleanup_free char *out = read_fd(rd, type, 16 << 20, &olen, &rerr);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (out == NULL) {
    if (e != NULL && *e == NULL)
      *e = rerr;
    else
      err_free(&rerr);
    return err_wrap(e, "plugin '%s'", type);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return plugin_failed(type, status, out, e);
  if (result == NULL)
    return 0;
  *result = NULL;
  if (strcmp(x->command, "ADD") != 0 && strcmp(x->command, "VERSION") != 0)
    return 0;
  json_error_t je;
  json_t *j = json_loadb(out, olen, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    return cni_err(e, CNI_ERR_DECODE, 0, "result of plugin '%s': %d:%d: %s", type, je.line,
                   je.column, je.text);
  if (strcmp(x->command, "ADD") == 0 && cni_result_upgrade(j, e) < 0) {
    json_decref(j);
    return err_wrap(e, "result of plugin '%s'", type);
  }
  *result = j;
  return 0;
}
