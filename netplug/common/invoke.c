#include "invoke.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "spawn.h"

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
static int plugin_failed(const char *type, const struct spawn_result *sr, struct err **e) {
  cleanup_json json_t *j = sr->out ? json_loads(sr->out, 0, NULL) : NULL;
  const char *msg = json_get_str(j, "msg");
  json_t *code = json_object_get(j, "code");
  if (msg != NULL && json_is_integer(code)) {
    const char *details = json_get_str(j, "details");
    int c = (int)json_integer_value(code);
    if (details != NULL && *details != '\0')
      return cni_err(e, c, 0, "%s: %s", msg, details);
    return cni_err(e, c, 0, "%s", msg);
  }
  if (!sr->exited)
    return cni_err(e, CNI_ERR_INTERNAL, 0, "plugin '%s' killed by signal %d", type, sr->signal);
  return cni_err(e, CNI_ERR_INTERNAL, 0, "plugin '%s' failed with status %d and no error", type,
                 sr->code);
}

int cni_exec_plugin(const char *type, const struct cni_exec *x, const char *conf, size_t len,
                    json_t **result, struct err **e) {
  cleanup_free char *exe = cni_find_plugin(type, x->path, e);
  if (exe == NULL)
    return -1;
  cleanup_strv char **env = plugin_env(x);
  const char *argv[] = {exe, NULL};
  struct spawn_opts o = {.argv = argv,
                         .envp = (const char *const *)env,
                         .stdin_buf = conf,
                         .stdin_len = len,
                         .capture_stdout = 1};
  struct spawn_result sr;
  if (spawn_run(&o, &sr, e) < 0)
    return err_wrap(e, "run plugin '%s'", type);
  int rc = 0;
  if (!sr.exited || sr.code != 0) {
    rc = plugin_failed(type, &sr, e);
  } else if (result != NULL) {
    *result = NULL;
    if (strcmp(x->command, "ADD") == 0 || strcmp(x->command, "VERSION") == 0) {
      json_error_t je;
      json_t *j = json_loadb(sr.out, sr.out_len, JSON_REJECT_DUPLICATES, &je);
      if (j == NULL)
        rc = cni_err(e, CNI_ERR_DECODE, 0, "result of plugin '%s': %d:%d: %s", type, je.line,
                     je.column, je.text);
      else if (strcmp(x->command, "ADD") == 0 && cni_result_upgrade(j, e) < 0)
        rc = err_wrap(e, "result of plugin '%s'", type);
      if (rc == 0)
        *result = j;
      else
        json_decref(j);
    }
  }
  spawn_result_free(&sr);
  return rc;
}
