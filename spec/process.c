/* process.c — process.{args,env,cwd,terminal,user,rlimits,oomScoreAdj}
 * with docker's rules:
 *
 *   args  = entrypoint + cmd.  --entrypoint replaces the image's and drops
 *           its Cmd; words after "--" replace Cmd.  --init puts
 *           "/dev/init --" in front.
 *   env   = PATH (default), HOSTNAME, TERM (with -t); then the image's Env,
 *           --env-file lines, -e values, each replacing a same-named entry
 *           in place or appending.  A bare NAME takes the caller's value, or
 *           removes NAME when the caller has none (docker does both).
 *   cwd   = -w, else the image's WorkingDir, else "/".
 *   rlimits only from --ulimit: with none the container keeps the caller's
 *           limits (docker's NOFILE 1048576 is above this host's hard limit).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "spec.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_t *build_args(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  json_t *args = json_array();
  if (o->init) {
    json_array_append_new(args, json_string("/dev/init"));
    json_array_append_new(args, json_string("--"));
  }
  if (o->entrypoint_set) {
    if (o->entrypoint[0] != '\0')
      json_array_append_new(args, json_string(o->entrypoint));
  } else if (c->img.entrypoint != NULL) {
    json_array_extend(args, c->img.entrypoint);
  }
  if (o->cmd != NULL && o->cmd[0] != NULL) {
    for (size_t i = 0; o->cmd[i] != NULL; i++)
      json_array_append_new(args, json_string(o->cmd[i]));
  } else if (!o->entrypoint_set && c->img.cmd != NULL) {
    json_array_extend(args, c->img.cmd);
  }
  if (json_array_size(args) == (o->init ? 2u : 0u)) {
    json_decref(args);
    err_usage(e, "no command specified: the image has no Entrypoint or Cmd and none was given");
    return NULL;
  }
  return args;
}

/* Index of the entry of env named like kv ("K=…" or "K"), or -1. */
static ssize_t env_find(json_t *env, const char *kv) {
  size_t klen = strcspn(kv, "=");
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (strncmp(s, kv, klen) == 0 && (s[klen] == '=' || s[klen] == '\0'))
      return (ssize_t)i;
  }
  return -1;
}

/* Merge one "K=V" (or a bare "K": the caller's value, or removal). */
static int env_merge(json_t *env, const char *kv, const char *what, struct err **e) {
  if (kv[0] == '=' || kv[0] == '\0')
    return err_usage(e, "%s: invalid environment variable '%s'", what, kv);
  cleanup_free char *own = NULL;
  if (strchr(kv, '=') == NULL) {
    const char *val = getenv(kv);
    if (val == NULL) {
      ssize_t i = env_find(env, kv);
      if (i >= 0)
        json_array_remove(env, (size_t)i);
      return 0;
    }
    kv = own = xasprintf("%s=%s", kv, val);
  }
  json_t *js = json_string(kv);
  if (js == NULL)
    return err_usage(e, "%s: environment variable is not valid UTF-8", what);
  ssize_t i = env_find(env, kv);
  if (i >= 0)
    json_array_set_new(env, (size_t)i, js);
  else
    json_array_append_new(env, js);
  return 0;
}

/* docker's env-file format: NAME=VALUE per line, '#' comments and blank
 * lines skipped, leading blanks trimmed, the value taken as it is. */
static int env_file_merge(json_t *env, const char *path, struct err **e) {
  size_t len;
  cleanup_free char *buf = read_file(path, 0, &len, e);
  if (buf == NULL)
    return err_wrap(e, "--env-file");
  if (strlen(buf) != len)
    return err_usage(e, "--env-file '%s': contains a NUL byte", path);
  unsigned lineno = 0;
  for (char *line = buf, *next; line != NULL; line = next) {
    next = strchr(line, '\n');
    if (next != NULL)
      *next++ = '\0';
    lineno++;
    while (*line == ' ' || *line == '\t')
      line++;
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r')
      line[--n] = '\0';
    if (n == 0 || line[0] == '#')
      continue;
    size_t klen = strcspn(line, "=");
    if (strcspn(line, " \t") < klen)
      return err_usage(e, "--env-file '%s':%u: variable '%.*s' contains whitespace", path, lineno,
                       (int)klen, line);
    if (line[klen] == '\0' && getenv(line) == NULL)
      continue; /* a pass-through name the caller does not have */
    cleanup_free char *what = xasprintf("--env-file '%s':%u", path, lineno);
    if (env_merge(env, line, what, e) < 0)
      return -1;
  }
  return 0;
}

static json_t *build_env(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  cleanup_json json_t *env = json_array();
  json_array_append_new(env, json_string(DEFAULT_PATH));
  if (c->hostname != NULL)
    json_array_append_new(env, json_string_own(xasprintf("HOSTNAME=%s", c->hostname)));
  if (o->tty)
    json_array_append_new(env, json_string("TERM=xterm"));
  size_t i;
  json_t *v;
  if (c->img.env != NULL) {
    json_array_foreach(c->img.env, i, v) {
      if (env_merge(env, json_string_value(v), "image config Env", e) < 0)
        return NULL;
    }
  }
  for (i = 0; o->env_files != NULL && o->env_files[i] != NULL; i++) {
    if (env_file_merge(env, o->env_files[i], e) < 0)
      return NULL;
  }
  for (i = 0; o->env != NULL && o->env[i] != NULL; i++) {
    if (env_merge(env, o->env[i], "--env", e) < 0)
      return NULL;
  }
  return steal_ptr(&env);
}

static const struct {
  const char *name;
  const char *oci;
} ulimit_names[] = {
    {"as", "RLIMIT_AS"},
    {"core", "RLIMIT_CORE"},
    {"cpu", "RLIMIT_CPU"},
    {"data", "RLIMIT_DATA"},
    {"fsize", "RLIMIT_FSIZE"},
    {"locks", "RLIMIT_LOCKS"},
    {"memlock", "RLIMIT_MEMLOCK"},
    {"msgqueue", "RLIMIT_MSGQUEUE"},
    {"nice", "RLIMIT_NICE"},
    {"nofile", "RLIMIT_NOFILE"},
    {"nproc", "RLIMIT_NPROC"},
    {"rss", "RLIMIT_RSS"},
    {"rtprio", "RLIMIT_RTPRIO"},
    {"rttime", "RLIMIT_RTTIME"},
    {"sigpending", "RLIMIT_SIGPENDING"},
    {"stack", "RLIMIT_STACK"},
};

static int parse_limit(const char *s, const char *arg, long long *out, struct err **e) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (s[0] == '\0' || *end != '\0' || errno != 0)
    return err_usage(e, "--ulimit '%s': invalid value '%s'", arg, s);
  if (v < 0)
    /* jansson has no unsigned 64-bit integers, so RLIM_INFINITY cannot be
     * written; refuse rather than write a wrong number. */
    return err_usage(e, "--ulimit '%s': negative or unlimited values are not supported", arg);
  *out = v;
  return 0;
}

/* "name=soft[:hard]", docker's --ulimit syntax. */
static int add_ulimit(json_t *rl, const char *arg, struct err **e) {
  const char *val;
  cleanup_free char *name = split_kv(arg, &val);
  if (val == NULL)
    return err_usage(e, "--ulimit '%s': want NAME=SOFT[:HARD]", arg);
  const char *oci = NULL;
  for (size_t i = 0; i < sizeof(ulimit_names) / sizeof(ulimit_names[0]); i++) {
    if (strcmp(name, ulimit_names[i].name) == 0)
      oci = ulimit_names[i].oci;
  }
  if (oci == NULL)
    return err_usage(e, "--ulimit '%s': unknown limit '%s'", arg, name);
  const char *colon = strchr(val, ':');
  cleanup_free char *soft_s = colon ? xstrndup(val, (size_t)(colon - val)) : xstrdup(val);
  long long soft, hard;
  if (parse_limit(soft_s, arg, &soft, e) < 0 ||
      parse_limit(colon ? colon + 1 : val, arg, &hard, e) < 0)
    return -1;
  if (soft > hard)
    return err_usage(e, "--ulimit '%s': soft limit %lld is above hard limit %lld", arg, soft, hard);
  size_t i;
  json_t *v;
  json_array_foreach(rl, i, v) {
    if (strcmp(json_get_str(v, "type"), oci) == 0) {
      json_array_remove(rl, i); /* a later --ulimit of the same name wins */
      break;
    }
  }
  json_array_append_new(rl, json_pack("{s:s, s:I, s:I}", "type", oci, "soft", (json_int_t)soft,
                                      "hard", (json_int_t)hard));
  return 0;
}

static int build_cwd(struct build_ctx *c, json_t *proc, struct err **e) {
  const char *w = c->o->workdir;
  if (w != NULL) {
    if (w[0] != '/')
      return err_usage(e, "--workdir '%s': the working directory must be an absolute path", w);
    json_object_set_new(proc, "cwd", json_string_own(path_clean(w)));
    return 0;
  }
  w = c->img.workdir;
  if (w == NULL || w[0] == '\0')
    w = "/";
  cleanup_free char *abs = w[0] == '/' ? xstrdup(w) : xasprintf("/%s", w);
  json_object_set_new(proc, "cwd", json_string_own(path_clean(abs)));
  return 0;
}

int build_process(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  json_t *proc = json_object_get(c->config, "process");
  json_object_set_new(proc, "terminal", json_boolean(o->tty));

  json_t *user = json_object();
  json_object_set_new(proc, "user", user);
  const char *u = o->user ? o->user : c->img.user;
  if (resolve_user(o->rootfs, u ? u : "", o->user ? "--user" : "image config User", o->group_add,
                   user, e) < 0)
    return -1;

  json_t *args = build_args(c, e);
  if (args == NULL)
    return -1;
  json_object_set_new(proc, "args", args);
  json_t *env = build_env(c, e);
  if (env == NULL)
    return -1;
  json_object_set_new(proc, "env", env);
  if (build_cwd(c, proc, e) < 0)
    return -1;

  if (o->ulimits != NULL) {
    json_t *rl = json_array();
    json_object_set_new(proc, "rlimits", rl);
    for (size_t i = 0; o->ulimits[i] != NULL; i++) {
      if (add_ulimit(rl, o->ulimits[i], e) < 0)
        return -1;
    }
  }
  if (o->oom_score_adj != NULL) {
    char *end;
    errno = 0;
    long v = strtol(o->oom_score_adj, &end, 10);
    if (o->oom_score_adj[0] == '\0' || *end != '\0' || errno != 0 || v < -1000 || v > 1000)
      return err_usage(e, "--oom-score-adj '%s': want an integer from -1000 to 1000",
                       o->oom_score_adj);
    json_object_set_new(proc, "oomScoreAdj", json_integer(v));
  }
  if (c->no_new_privs)
    json_object_set_new(proc, "noNewPrivileges", json_true());
  return 0;
}
