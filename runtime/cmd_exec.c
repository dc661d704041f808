/* cmd_exec.c — `exec [flags] ID [COMMAND [ARG…]]`: the process is the
 * container's own process object with the flags applied (as runc builds
 * it), or the whole object from --process FILE. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "json.h"
#include "lifecycle.h"
#include "mem.h"

static const char help[] =
    "Run a new process in a container.\n\n"
    "  -p, --process FILE      the process as a JSON object (config.json's \"process\")\n"
    "  -t, --tty               give it a terminal\n"
    "  --console-socket PATH   send the pty master to this socket\n"
    "  -d, --detach            return once it runs\n"
    "  --pid-file PATH         write its pid here\n"
    "  --cwd DIR               working directory\n"
    "  -e, --env KEY=VALUE     set an environment variable (repeatable)\n"
    "  -u, --user UID[:GID]    run as this user\n"
    "  -g, --additional-gids N add a supplementary group (repeatable)\n"
    "  -c, --cap CAP           add a capability (repeatable)\n"
    "  --no-new-privs          set no_new_privs\n"
    "  --apparmor PROFILE      AppArmor profile\n"
    "  --process-label LABEL   SELinux label\n"
    "  --preserve-fds N        pass fds 3 .. 3+N-1 to the process\n"
    "  --ignore-paused         exec even into a paused container\n";

static void set_env(json_t *p, const char *kv) {
  json_t *env = json_arr_ensure(p, "env");
  size_t klen = strcspn(kv, "=");
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s != NULL && strncmp(s, kv, klen) == 0 && s[klen] == '=') {
      json_array_set_new(env, i, json_string(kv));
      return;
    }
  }
  json_array_append_new(env, json_string(kv));
}

static void add_cap(json_t *p, const char *cap) {
  json_t *caps = json_obj_ensure(p, "capabilities");
  static const char *const sets[] = {"bounding", "effective", "permitted"};
  for (size_t i = 0; i < 3; i++)
    json_array_append_new(json_arr_ensure(caps, sets[i]), json_string(cap));
  /* ambient needs inheritable: only when the config has some (as runc) */
  if (json_array_size(json_object_get(caps, "inheritable")) > 0)
    json_array_append_new(json_arr_ensure(caps, "ambient"), json_string(cap));
}

static int parse_uint(const char *s, unsigned long *out) {
  char *end;
  if (*s < '0' || *s > '9')
    return -1;
  *out = strtoul(s, &end, 10);
  return *end == '\0' ? 0 : -1;
}

int cmd_exec(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"process", required_argument, NULL, 'p'},
                                     {"tty", no_argument, NULL, 't'},
                                     {"console-socket", required_argument, NULL, 'C'},
                                     {"detach", no_argument, NULL, 'd'},
                                     {"pid-file", required_argument, NULL, 'P'},
                                     {"cwd", required_argument, NULL, 'w'},
                                     {"env", required_argument, NULL, 'e'},
                                     {"user", required_argument, NULL, 'u'},
                                     {"additional-gids", required_argument, NULL, 'g'},
                                     {"cap", required_argument, NULL, 'c'},
                                     {"no-new-privs", no_argument, NULL, 'N'},
                                     {"apparmor", required_argument, NULL, 'A'},
                                     {"process-label", required_argument, NULL, 'L'},
                                     {"preserve-fds", required_argument, NULL, 'F'},
                                     {"ignore-paused", no_argument, NULL, 'I'},
                                     {"cgroup", required_argument, NULL, 'G'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  struct exec_opts o = {0};
  const char *process_file = NULL, *cwd = NULL, *user = NULL, *apparmor = NULL, *label = NULL;
  int tty = 0, nnp = 0, c;
  cleanup_strv char **envs = NULL, **caps = NULL, **gids = NULL;
  while ((c = rt_getopt(argc, argv, "+:p:tdw:e:u:g:c:h", lo, "exec", e)) != -1) {
    switch (c) {
      case '?': return -1;
      case 'h': rt_help("exec [flags] ID [COMMAND [ARG...]]", help); return 0;
      case 'p': process_file = optarg; break;
      case 't': tty = 1; break;
      case 'C': o.console_socket = optarg; break;
      case 'd': o.detach = 1; break;
      case 'P': o.pid_file = optarg; break;
      case 'w': cwd = optarg; break;
      case 'e':
        if (strchr(optarg, '=') == NULL || optarg[0] == '=')
          return err_usage(e, "exec: --env: expected KEY=VALUE, got '%s'", optarg);
        strv_push(&envs, optarg);
        break;
      case 'u': user = optarg; break;
      case 'g': strv_push(&gids, optarg); break;
      case 'c': strv_push(&caps, optarg); break;
      case 'N': nnp = 1; break;
      case 'A': apparmor = optarg; break;
      case 'L': label = optarg; break;
      case 'F': {
        unsigned long n;
        if (parse_uint(optarg, &n) < 0 || n > 65536)
          return err_usage(e, "exec: --preserve-fds: expected a number, got '%s'", optarg);
        o.preserve_fds = (int)n;
        break;
      }
      case 'I': o.ignore_paused = 1; break;
      case 'G': break; /* sub-cgroups of the container are not supported: its own is used */
    }
  }
  o.id = rt_arg_id(argc, argv, "exec", e);
  if (o.id == NULL)
    return -1;
  cleanup_json json_t *p = NULL;
  if (process_file != NULL) {
    p = json_load_path(process_file, e);
    if (p == NULL)
      return -1;
  } else {
    if (optind + 1 >= argc)
      return err_usage(e, "exec: a command is required (or --process FILE)");
    if ((p = exec_base_process(g, o.id, e)) == NULL)
      return -1;
    json_t *args = json_array();
    for (int i = optind + 1; i < argc; i++)
      json_array_append_new(args, json_string(argv[i]));
    json_object_set_new(p, "args", args);
    json_object_set_new(p, "terminal", json_boolean(tty));
    json_object_del(p, "consoleSize");
  }
  for (size_t i = 0; envs != NULL && envs[i] != NULL; i++)
    set_env(p, envs[i]);
  if (cwd != NULL)
    json_object_set_new(p, "cwd", json_string(cwd));
  if (user != NULL) {
    json_t *u = json_obj_ensure(p, "user");
    cleanup_free char *copy = xstrdup(user);
    char *colon = strchr(copy, ':');
    if (colon != NULL)
      *colon++ = '\0';
    unsigned long uid, gid;
    if (parse_uint(copy, &uid) < 0 || (colon != NULL && parse_uint(colon, &gid) < 0))
      return err_usage(e, "exec: --user: expected UID[:GID] as numbers, got '%s'", user);
    json_object_set_new(u, "uid", json_integer((json_int_t)uid));
    if (colon != NULL)
      json_object_set_new(u, "gid", json_integer((json_int_t)gid));
  }
  for (size_t i = 0; gids != NULL && gids[i] != NULL; i++) {
    unsigned long gid;
    if (parse_uint(gids[i], &gid) < 0)
      return err_usage(e, "exec: --additional-gids: '%s' is not a number", gids[i]);
    json_array_append_new(json_arr_ensure(json_obj_ensure(p, "user"), "additionalGids"),
                          json_integer((json_int_t)gid));
  }
  for (size_t i = 0; caps != NULL && caps[i] != NULL; i++)
    add_cap(p, caps[i]);
  if (nnp)
    json_object_set_new(p, "noNewPrivileges", json_true());
  if (apparmor != NULL)
    json_object_set_new(p, "apparmorProfile", json_string(apparmor));
  if (label != NULL)
    json_object_set_new(p, "selinuxLabel", json_string(label));
  return exec_run(g, &o, p, e);
}
