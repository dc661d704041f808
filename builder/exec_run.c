/* exec_run.c — RUN: the command in a container on the parent image.
 *
 * The bundle's rootfs is an overlay of the parent's layers (cairn-image
 * unpack); cairn-spec writes config.json from the stage's config (Env with
 * the ARGs in scope, User, WorkingDir; never Entrypoint or Cmd) and the
 * network; a runc-compatible runtime runs it in the foreground.  Whatever
 * the command wrote lands in the bundle's upper dir, which stage.c
 * commits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "digest.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "netnsfile.h"

/* The command: the JSON form as is; the shell form through the stage's
 * shell.  Heredocs go to the shell with the line that names them, so the
 * shell gives them their meaning (quoted delimiters: no expansion); a
 * line that is nothing but the heredoc runs its body as the script, as
 * BuildKit does. */
json_t *run_argv(struct stage_run *sr, struct df_instr *in) {
  json_t *a = json_array();
  if (in->json) {
    for (size_t i = 0; i < in->nargs; i++)
      json_array_append_new(a, json_string(in->args[i]));
    return a;
  }
  json_t *sh = config_shell(sr->img.cc);
  json_array_extend(a, sh);
  json_decref(sh);
  const char *line = in->nargs ? in->args[0] : "";
  if (in->nheredocs == 0) {
    json_array_append_new(a, json_string(line));
    return a;
  }
  while (*line == ' ' || *line == '\t')
    line++;
  bool only = strncmp(line, "<<", 2) == 0 && strpbrk(line, " \t") == NULL;
  if (only && in->nheredocs == 1) {
    json_array_append_new(a, json_string(in->heredocs[0].body));
    return a;
  }
  char *script = xasprintf("%s\n", in->nargs ? in->args[0] : "");
  for (size_t i = 0; i < in->nheredocs; i++) {
    char *s = xasprintf("%s%s%s\n", script, in->heredocs[i].body, in->heredocs[i].name);
    free(script);
    script = s;
  }
  json_array_append_new(a, json_string(script));
  free(script);
  return a;
}

static const char *flag(struct df_instr *in, const char *name) {
  const char *v = NULL;
  for (size_t i = 0; i < in->nflags; i++)
    if (strcmp(in->flags[i].name, name) == 0)
      v = in->flags[i].value ? in->flags[i].value : "";
  return v;
}

char *spec_opt(const char *spec, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = spec; p && *p;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    if (len >= kl && strncmp(p, key, kl) == 0 && (len == kl || p[kl] == '='))
      return len == kl ? xstrdup("") : xstrndup(p + kl + 1, len - kl - 1);
    p = c ? c + 1 : NULL;
  }
  return NULL;
}

struct run_env {
  char **spec_args; /* extra cairn-spec flags */
  char **mounted;   /* bundles to umount after */
  char **secrets;   /* secret tmpfs dirs to umount after */
  const char *rootfs;
};

/* RUN --mount: type=cache (a directory kept under the build cache),
 * type=bind (from the context, or from a stage or image), type=tmpfs,
 * type=secret (secret.c). */
static int add_mount(struct build *b, struct stage_run *sr, const char *raw, struct run_env *re,
                     struct err **e) {
  cleanup_free char *spec = vexpand(b, sr, raw, e);
  if (spec == NULL)
    return -1;
  cleanup_free char *type = spec_opt(spec, "type");
  if (type != NULL && strcmp(type, "secret") == 0)
    return secret_mount(b, spec, re->rootfs, &re->spec_args, &re->secrets, e);
  cleanup_free char *target = spec_opt(spec, "target");
  if (target == NULL)
    target = spec_opt(spec, "dst");
  if (target == NULL)
    target = spec_opt(spec, "destination");
  if (target == NULL || target[0] == '\0')
    return err_usage(e, "--mount '%s': target is required", spec);
  const char *t = type ? type : "bind";
  mountpoints_note(b, re->rootfs, target);
  cleanup_free char *ro = spec_opt(spec, "readonly");
  if (ro == NULL)
    ro = spec_opt(spec, "ro");
  if (strcmp(t, "tmpfs") == 0) {
    strv_push(&re->spec_args, "--tmpfs");
    strv_push(&re->spec_args, target);
    return 0;
  }
  cleanup_free char *src = NULL;
  if (strcmp(t, "cache") == 0) {
    cleanup_free char *id = spec_opt(spec, "id");
    const char *name = id ? id : target;
    char d[DIGEST_STR_LEN + 1];
    sha256_buf(name, strlen(name), d);
    src = xasprintf("%s/build-cache/mounts/%s", b->o->root, digest_hex(d));
    if (mkdir_p(src, 0755, e) < 0)
      return -1;
  } else if (strcmp(t, "bind") == 0) {
    cleanup_free char *from = spec_opt(spec, "from");
    cleanup_free char *source = spec_opt(spec, "source");
    if (source == NULL)
      source = spec_opt(spec, "src");
    const char *root;
    cleanup_free char *rootfs = NULL;
    if (from == NULL) {
      if (context_load(b, e) < 0)
        return -1;
      root = b->ctx->root;
    } else {
      struct stage_run *dep = plan_stage_ref(b, from, (size_t)(sr - b->stages));
      struct bimage img = {0};
      if (dep != NULL)
        bimage_copy(&img, &dep->img);
      else if (image_base(b, from, &img, e) < 0)
        return -1;
      char *bundle = build_tmpdir(b, "from", e);
      if (bundle == NULL || image_unpack(b, &img, bundle, e) < 0) {
        bimage_free(&img);
        free(bundle);
        return -1;
      }
      bimage_free(&img);
      strv_push(&re->mounted, bundle);
      rootfs = path_join(bundle, "rootfs");
      free(bundle);
      root = rootfs;
    }
    src = path_in_root(root, source ? source : "/", e);
    if (src == NULL)
      return err_wrap(e, "--mount source");
    if (ro == NULL && from == NULL)
      ro = xstrdup(""); /* the context is never written */
  } else {
    return err_usage(e, "--mount type=%s is not supported (bind, cache, tmpfs, secret)", t);
  }
  cleanup_free char *v = xasprintf("%s:%s%s", src, target, ro ? ":ro" : "");
  strv_push(&re->spec_args, "-v");
  strv_push(&re->spec_args, v);
  return 0;
}

/* The network: none, host, or a namespace wired by cairn-net on the
 * "cairn" network.  *nspath is set when one was made (undo with net_down). */
static int net_up(struct build *b, const char *mode, const char *id, char **nspath,
                  struct run_env *re, struct err **e) {
  if (strcmp(mode, "none") == 0 || strcmp(mode, "host") == 0) {
    strv_push(&re->spec_args, "--network");
    strv_push(&re->spec_args, mode);
    return 0;
  }
  if (strcmp(mode, "default") != 0 && strcmp(mode, "bridge") != 0 && strcmp(mode, "cairn") != 0)
    return err_usage(e, "--network: expected none, host or default, not '%s'", mode);
  char *p = xasprintf("%s/netns/%s", b->o->run, id);
  if (netns_bind_new(b->o->run, p, e) < 0) {
    free(p);
    return err_wrap(e, "RUN network");
  }
  const char *argv[] = {"cairn-net", "add", "cairn", id, p, NULL};
  if (tool_run(b, argv, NULL, 0, NULL, e) < 0) {
    struct err *ie = NULL;
    netns_unbind(p, &ie);
    err_free(&ie);
    free(p);
    return err_wrap(e, "RUN network");
  }
  *nspath = p;
  strv_push(&re->spec_args, "--netns");
  strv_push(&re->spec_args, p);
  return 0;
}

static void net_down(struct build *b, const char *id, char *nspath) {
  if (nspath == NULL)
    return;
  const char *argv[] = {"cairn-net", "del", "cairn", id, nspath, NULL};
  struct err *ie = NULL;
  tool_run(b, argv, NULL, 0, NULL, &ie);
  err_free(&ie);
  netns_unbind(nspath, &ie);
  err_free(&ie);
  free(nspath);
}

/* The runtime's absolute path, for a signal handler's execv. */
static char *which(const char *name) {
  cleanup_free char *t = tool_path(name);
  if (strchr(t, '/') != NULL)
    return xstrdup(t);
  const char *path = getenv("PATH");
  cleanup_free char *copy = xstrdup(path ? path : "/usr/bin:/bin");
  char *save = NULL;
  for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *p = path_join(d, t);
    if (access(p, X_OK) == 0)
      return p;
    free(p);
  }
  return NULL;
}

static int spec_and_run(struct build *b, struct stage_run *sr, struct df_instr *in,
                        const char *bundle, struct run_env *re, const char *id, struct err **e) {
  /* The config cairn-spec reads: the stage's, without Entrypoint/Cmd
   * (RUN runs its own command) and with the ARGs in scope as Env. */
  cleanup_json json_t *cc = json_deep_copy(sr->img.cc);
  json_object_del(cc, "Entrypoint");
  json_object_del(cc, "Cmd");
  json_object_del(cc, "Healthcheck");
  const char *k;
  json_t *v;
  json_object_foreach(sr->args, k, v) {
    if (json_is_string(v) && config_env_get(cc, k) == NULL)
      config_env_set(cc, k, json_string_value(v));
  }
  cleanup_json json_t *img =
      json_pack("{s:s,s:s,s:O}", "architecture", "amd64", "os", "linux", "config", cc);
  cleanup_free char *imgtext = json_dumps(img, JSON_COMPACT);
  cleanup_free char *rootfs = path_join(bundle, "rootfs");
  cleanup_free char *cfg = path_join(bundle, "config.json");
  cleanup_json json_t *argv = run_argv(sr, in);
  cleanup_strv char **av = NULL;
  strv_push(&av, "cairn-spec");
  strv_push(&av, "--image-config");
  strv_push(&av, "-");
  strv_push(&av, "--rootfs");
  strv_push(&av, rootfs);
  strv_push(&av, "-o");
  strv_push(&av, cfg);
  strv_push(&av, "--hostname");
  strv_push(&av, "buildkitsandbox");
  for (char **a = re->spec_args; a && *a; a++)
    strv_push(&av, *a);
  strv_push(&av, "--");
  size_t i;
  json_array_foreach(argv, i, v) strv_push(&av, json_string_value(v));
  if (tool_run(b, (const char *const *)av, imgtext, strlen(imgtext), NULL, e) < 0)
    return err_wrap(e, "RUN: cairn-spec");
  cleanup_free char *rtroot = xasprintf("%s/build-runtime", b->o->run);
  const char *rt = b->o->runtime ? b->o->runtime : "cairn-runtime";
  const char *rargv[] = {rt, "--root", rtroot, "run", "--bundle", bundle, id, NULL};
  struct tool_res res = {0};
  cleanup_free char *rtpath = which(rt);
  /* A cancelled stage's signal handler runs this: the container may not
   * exist yet when the signal comes (the runtime is creating it), so the
   * kill is tried again for a while. */
  char a_sh[] = "/bin/sh", a_c[] = "-c";
  char script[] = "i=0; while [ $i -lt 100 ]; do \"$0\" --root \"$1\" kill \"$2\" KILL "
                  "2>/dev/null && exit 0; i=$((i+1)); sleep 0.1; done";
  char *kargv[] = {a_sh, a_c, script, rtpath, rtroot, (char *)id, NULL};
  build_cancel_argv = rtpath ? kargv : NULL;
  int rr = build_cancelled ? err_set(e, ECANCELED, "cancelled")
                           : tool_run_shown(b, rargv, b->step, &res, e);
  build_cancel_argv = NULL;
  if (rr < 0)
    return err_wrap(e, "RUN: runtime '%s'", rt);
  int st = res.status;
  tool_res_free(&res);
  /* A runtime killed half-way leaves its state: delete it, whatever. */
  const char *dargv[] = {rt, "--root", rtroot, "delete", "-f", id, NULL};
  struct tool_res dres = {0};
  struct err *ie = NULL;
  tool_run(b, dargv, NULL, 0, &dres, &ie);
  tool_res_free(&dres);
  err_free(&ie);
  if (st != 0) {
    cleanup_json json_t *jargv = run_argv(sr, in);
    cleanup_free char *t = json_dumps(jargv, JSON_COMPACT);
    b->o->run_status = st;
    return err_setc(e, ERR_RUNFAIL, 0,
                    "%s:%d: process \"%s\" did not complete successfully: exit code: %d",
                    b->df_name, in->line, t, st);
  }
  return 0;
}

int run_instr(struct build *b, struct stage_run *sr, struct df_instr *in, const char *bundle,
              struct err **e) {
  char rid[65];
  random_id(rid);
  char id[32];
  snprintf(id, sizeof(id), "build-%.12s", rid);
  cleanup_free char *rootfs = path_join(bundle, "rootfs");
  struct run_env re = {.rootfs = rootfs};
  char *nspath = NULL;
  const char *net = flag(in, "network");
  /* What a sweep needs to undo this RUN if we are killed half-way
   * (tools.c, build_tmp_sweep): the container and its network. */
  const char *mode = net ? net : b->o->network;
  bool own_ns = strcmp(mode, "none") != 0 && strcmp(mode, "host") != 0;
  cleanup_free char *rt = which(b->o->runtime ? b->o->runtime : "cairn-runtime");
  cleanup_free char *rtroot = xasprintf("%s/build-runtime", b->o->run);
  cleanup_free char *ns = xasprintf("%s/netns/%s", b->o->run, id);
  cleanup_free char *rec = xasprintf("%s/ctr-%s.json", b->tmp, id);
  cleanup_json json_t *rj = json_pack("{s:s,s:s,s:s,s:s?}", "runtime", rt ? rt : "cairn-runtime",
                                      "root", rtroot, "id", id, "netns", own_ns ? ns : NULL);
  cleanup_free char *rtext = json_dumps(rj, JSON_COMPACT);
  int r = write_file_atomic(rec, rtext, strlen(rtext), 0600, e);
  for (size_t i = 0; i < in->nflags && r == 0; i++) {
    const char *name = in->flags[i].name;
    if (strcmp(name, "mount") == 0)
      r = add_mount(b, sr, in->flags[i].value ? in->flags[i].value : "", &re, e);
    else if (strcmp(name, "network") != 0 && strcmp(name, "security") != 0)
      r = err_usage(e, "RUN: unknown flag --%s", name);
  }
  if (r == 0)
    r = net_up(b, net ? net : b->o->network, id, &nspath, &re, e);
  if (r == 0)
    r = spec_and_run(b, sr, in, bundle, &re, id, e);
  net_down(b, id, nspath);
  for (char **m = re.mounted; m && *m; m++) {
    struct err *ie = NULL;
    if (image_umount(b, *m, &ie) == 0)
      rm_rf(*m, &ie);
    err_free(&ie);
  }
  strv_free(re.mounted);
  secret_umount(re.secrets);
  strv_free(re.secrets);
  strv_free(re.spec_args);
  unlink(rec);
  /* The runtime's config.json is no part of the layer: it sits beside
   * rootfs, not in upper. */
  return r;
}
