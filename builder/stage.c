/* stage.c — running the needed stages, one instruction at a time.
 *
 * Every instruction but ARG makes a new image: the stage's image, the
 * config after the instruction, and a layer (RUN, COPY, ADD, WORKDIR: the
 * upper dir of an overlay on the parent) or none (the config-only ones,
 * which docker records in history with empty_layer).  Before doing the
 * work, the step's cache key is looked up; a hit replaces the work. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

static const char *const proxy_args[] = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
    "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy",
};

static bool is_proxy_arg(const char *name) {
  for (size_t i = 0; i < sizeof(proxy_args) / sizeof(proxy_args[0]); i++)
    if (strcmp(proxy_args[i], name) == 0)
      return true;
  return false;
}

/* ARG name[=default]: the --build-arg value wins, then the default, then
 * a global ARG's value of the same name. */
static int do_arg(struct build *b, struct stage_run *sr, struct df_kv *kv, json_t *scope,
                  struct err **e) {
  cleanup_free char *name = sr ? vexpand(b, sr, kv->key, e) : xstrdup(kv->key);
  if (name == NULL)
    return -1;
  json_t *given = json_object_get(b->build_args, name);
  if (given != NULL) {
    json_object_set_new(b->used_args, name, json_true());
    json_object_set(scope, name, given);
    return 0;
  }
  if (kv->has_value) {
    cleanup_free char *v = vexpand(b, sr, kv->value, e);
    if (v == NULL)
      return -1;
    json_object_set_new(scope, name, json_string(v));
    return 0;
  }
  json_t *g = sr ? json_object_get(b->global_args, name) : NULL;
  json_object_set(scope, name, g ? g : json_null());
  return 0;
}

/* The key of a step: parent image, config before, the instruction as it
 * will be recorded, the args in scope (RUN sees them as env), and extra
 * (the sources' digest for COPY/ADD). */
static void step_key(struct build *b, struct stage_run *sr, const char *what, const char *extra,
                     char out[DIGEST_STR_LEN + 1]) {
  struct sha256_ctx *h = sha256_new();
  /* the dates in the image come from the epoch */
  char ep[32];
  int n = snprintf(ep, sizeof(ep), "%lld", b->o->epoch);
  sha256_update(h, ep, (size_t)n + 1);
  const char *ref = sr->img.ref ? sr->img.ref : "scratch";
  sha256_update(h, ref, strlen(ref) + 1);
  cleanup_free char *cc = json_dumps(sr->img.cc, JSON_COMPACT | JSON_SORT_KEYS);
  sha256_update(h, cc, strlen(cc) + 1);
  sha256_update(h, what, strlen(what) + 1);
  cleanup_free char *args = json_dumps(sr->args, JSON_COMPACT | JSON_SORT_KEYS);
  sha256_update(h, args, strlen(args) + 1);
  if (extra != NULL)
    sha256_update(h, extra, strlen(extra) + 1);
  sha256_final(h, out);
}

static int commit_step(struct build *b, struct stage_run *sr, const char *upper, const char *tar,
                       json_t *cc, const char *created_by, const char *key, struct err **e) {
  struct bimage next = {0};
  if (image_commit(b, &sr->img, upper, tar, cc, created_by, &next, e) < 0)
    return -1;
  bimage_free(&sr->img);
  sr->img = next;
  if (key != NULL && cache_put(b, key, &sr->img, e) < 0)
    return err_wrap(e, "build cache");
  return 0;
}

/* A step with a layer: the parent mounted as BUNDLE/rootfs, fn changes
 * it, the upper dir is committed. */
static int layer_step(struct build *b, struct stage_run *sr, struct df_instr *in,
                      const char *created_by, json_t *cc, const char *key, struct err **e) {
  cleanup_free char *bundle = build_tmpdir(b, "step", e);
  if (bundle == NULL)
    return -1;
  if (image_unpack(b, &sr->img, bundle, e) < 0)
    return -1;
  cleanup_free char *rootfs = path_join(bundle, "rootfs");
  cleanup_free char *upper = path_join(bundle, "upper");
  /* COPY writes its layer as a tar: nothing created on disk, nothing to
   * delete after (2,000 files cost seconds on a slow disk) */
  cleanup_free char *tar = NULL;
  if ((in->kind == DF_COPY || in->kind == DF_ADD) && copy_as_tar(in))
    tar = path_join(bundle, "layer.tar");
  int r;
  switch (in->kind) {
    case DF_RUN: r = run_instr(b, sr, in, bundle, e); break;
    case DF_COPY:
    case DF_ADD: r = copy_instr(b, sr, in, rootfs, tar, e); break;
    default: { /* WORKDIR */
      const char *wd = json_get_str(cc, "WorkingDir");
      cleanup_free char *p = path_in_root(rootfs, wd ? wd : "/", e);
      r = p == NULL ? -1 : mkdir_p(p, 0755, e);
      break;
    }
  }
  struct err *ue = NULL;
  if (image_umount(b, bundle, r == 0 ? e : &ue) < 0 && r == 0)
    r = -1;
  err_free(&ue);
  if (b->mountpoints != NULL)
    mountpoints_remove(b, upper);
  if (r == 0 && tar == NULL)
    r = clamp_times(upper, b->o->epoch, e);
  if (r == 0)
    r = commit_step(b, sr, tar ? NULL : upper, tar, cc, created_by, key, e);
  struct err *re = NULL;
  rm_rf(bundle, &re);
  err_free(&re);
  return r;
}

static const char *stage_label(struct build *b, struct stage_run *sr, char *buf, size_t len) {
  if (b->nstages == 1)
    snprintf(buf, len, "%s", "");
  else if (sr->st->name != NULL)
    snprintf(buf, len, "%s ", sr->st->name);
  else
    snprintf(buf, len, "stage-%zu ", sr->st->index);
  return buf;
}

int exec_instr(struct build *b, struct stage_run *sr, struct df_instr *in, size_t k,
               struct err **e);
int exec_instr(struct build *b, struct stage_run *sr, struct df_instr *in, size_t k,
               struct err **e) {
  if (in->kind == DF_ARG) {
    for (size_t i = 0; i < in->nkv; i++)
      if (do_arg(b, sr, &in->kv[i], sr->args, e) < 0)
        return err_wrap(e, "%s:%d", b->df_name, in->line);
    return 0;
  }
  if (in->kind == DF_FROM || (in->kind == DF_ONBUILD && in->sub == NULL))
    return err_usage(e, "%s:%d: unexpected %s", b->df_name, in->line, in->text);
  if (build_cancelled)
    return err_set(e, ECANCELED, "cancelled");
  char lab[128];
  int n = prog_step(b, true, "[%s%zu/%zu] %s", stage_label(b, sr, lab, sizeof(lab)), k + 1,
                    sr->st->ninstrs, in->text);
  cleanup_json json_t *cc = json_deep_copy(sr->img.cc);
  cleanup_free char *created_by = NULL;
  char extra[DIGEST_STR_LEN + 1] = "";
  bool layer = true;
  int r = 0;
  switch (in->kind) {
    case DF_RUN: {
      /* as docker records it: the shell form spelled out, "RUN /bin/sh -c …" */
      cleanup_json json_t *argv = run_argv(sr, in);
      cleanup_free char *t = NULL;
      if (in->json) {
        t = json_dumps(argv, JSON_COMPACT);
      } else {
        t = xstrdup("");
        size_t i;
        json_t *a;
        json_array_foreach(argv, i, a) {
          char *x = xasprintf("%s%s%s", t, i ? " " : "", json_string_value(a));
          free(t);
          t = x;
        }
      }
      created_by = xasprintf("RUN %s", t);
      /* the network and mounts change what the command can see */
      for (size_t f = 0; f < in->nflags; f++) {
        char *x = xasprintf("%s --%s=%s", created_by, in->flags[f].name,
                            in->flags[f].value ? in->flags[f].value : "");
        free(created_by);
        created_by = x;
      }
      break;
    }
    case DF_COPY:
    case DF_ADD:
      r = copy_key(b, sr, in, extra, e);
      created_by = xstrdup(in->text);
      break;
    case DF_WORKDIR: {
      cleanup_free char *w = vexpand(b, sr, in->nargs ? in->args[0] : "", e);
      if (w == NULL) {
        r = -1;
        break;
      }
      const char *old = json_get_str(cc, "WorkingDir");
      cleanup_free char *joined = w[0] == '/' ? xstrdup(w) : path_join(old && *old ? old : "/", w);
      cleanup_free char *clean = path_clean(joined);
      json_object_set_new(cc, "WorkingDir", json_string(clean));
      created_by = xasprintf("WORKDIR %s", clean);
      break;
    }
    default: {
      layer = false;
      /* config_apply works on the stage's config: give it the copy */
      json_t *saved = sr->img.cc;
      sr->img.cc = cc;
      r = config_apply(b, sr, in, &created_by, e);
      sr->img.cc = saved;
      break;
    }
  }
  if (r < 0) {
    prog_error(b, n);
    return err_wrap(e, "%s:%d: %s", b->df_name, in->line, in->text);
  }
  char key[DIGEST_STR_LEN + 1];
  step_key(b, sr, created_by, extra, key);
  struct bimage hit;
  if (!b->o->no_cache && cache_get(b, key, &hit)) {
    bimage_free(&sr->img);
    sr->img = hit;
    free(b->author);
    b->author = NULL;
    prog_cached(b, n);
    return 0;
  }
  if (layer)
    r = layer_step(b, sr, in, created_by, cc, key, e);
  else
    r = commit_step(b, sr, NULL, NULL, cc, created_by, key, e);
  free(b->author);
  b->author = NULL;
  if (r < 0) {
    prog_error(b, n);
    if ((*e)->code == ERR_RUNFAIL)
      return -1;
    return err_wrap(e, "%s:%d: %s", b->df_name, in->line, in->text);
  }
  prog_done(b, n, true);
  return 0;
}

/* ONBUILD triggers of the base image run first, as if written after FROM;
 * the new image does not inherit them. */
static int run_triggers(struct build *b, struct stage_run *sr, struct err **e) {
  json_t *ob = json_object_get(sr->img.cc, "OnBuild");
  if (!json_is_array(ob) || json_array_size(ob) == 0)
    return 0;
  cleanup_json json_t *triggers = json_incref(ob);
  json_object_del(sr->img.cc, "OnBuild");
  size_t i;
  json_t *t;
  json_array_foreach(triggers, i, t) {
    const char *line = json_string_value(t);
    if (line == NULL)
      continue;
    cleanup_free char *doc = xasprintf("FROM scratch\n%s\n", line);
    struct df_file *f = df_parse(doc, strlen(doc), "ONBUILD", e);
    if (f == NULL)
      return err_wrap(e, "base image trigger '%s'", line);
    int r = 0;
    for (size_t k = 1; k < f->stages[0].ninstrs && r == 0; k++)
      r = exec_instr(b, sr, &f->stages[0].instrs[k], 0, e);
    df_free(f);
    if (r < 0)
      return -1;
  }
  return 0;
}

int stage_exec(struct build *b, struct stage_run *sr, struct err **e) {
  struct df_instr *from = &sr->st->instrs[0];
  cleanup_free char *base = vexpand(b, NULL, sr->st->base, e);
  if (base == NULL)
    return err_wrap(e, "%s:%d", b->df_name, from->line);
  char lab[128];
  int n = prog_step(b, true, "[%s1/%zu] FROM %s", stage_label(b, sr, lab, sizeof(lab)),
                    sr->st->ninstrs, base);
  if (sr->st->platform != NULL) {
    cleanup_free char *p = vexpand(b, NULL, sr->st->platform, e);
    if (p == NULL)
      return -1;
    if (strcmp(p, "linux/amd64") != 0 && strcmp(p, "$BUILDPLATFORM") != 0 &&
        strcmp(p, "linux/amd64/v1") != 0 && strcmp(p, "") != 0) {
      prog_error(b, n);
      return err_usage(e, "%s:%d: platform '%s' is not this host's (linux/amd64)", b->df_name,
                       from->line, p);
    }
  }
  struct stage_run *dep = plan_stage_ref(b, base, (size_t)(sr - b->stages));
  if (dep != NULL) {
    bimage_copy(&sr->img, &dep->img);
  } else if (image_base(b, base, &sr->img, e) < 0) {
    prog_error(b, n);
    return err_wrap(e, "%s:%d", b->df_name, from->line);
  }
  prog_done(b, n, false);
  sr->args = json_object();
  if (run_triggers(b, sr, e) < 0)
    return -1;
  for (size_t k = 1; k < sr->st->ninstrs; k++)
    if (exec_instr(b, sr, &sr->st->instrs[k], k, e) < 0)
      return -1;
  sr->done = true;
  return 0;
}

static int set_global_args(struct build *b, struct err **e) {
  for (size_t i = 0; i < b->df->nglobal_args; i++)
    if (do_arg(b, NULL, &b->df->global_args[i], b->global_args, e) < 0)
      return err_wrap(e, "%s", b->df_name);
  return 0;
}

/* --label: applied last to the target, as a LABEL step (docker's classic
 * builder does the same). */
static int apply_labels(struct build *b, struct stage_run *sr, struct err **e) {
  if (b->o->labels == NULL || b->o->labels[0] == NULL)
    return 0;
  cleanup_json json_t *cc = json_deep_copy(sr->img.cc);
  cleanup_free char *text = xstrdup("LABEL");
  for (char **l = b->o->labels; *l; l++) {
    char *eq = strchr(*l, '=');
    cleanup_free char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);
    json_object_set_new(json_obj_ensure(cc, "Labels"), k, json_string(eq ? eq + 1 : ""));
    char *t = xasprintf("%s %s", text, *l);
    free(text);
    text = t;
  }
  char key[DIGEST_STR_LEN + 1];
  step_key(b, sr, text, NULL, key);
  struct bimage hit;
  if (!b->o->no_cache && cache_get(b, key, &hit)) {
    bimage_free(&sr->img);
    sr->img = hit;
    return 0;
  }
  return commit_step(b, sr, NULL, NULL, cc, text, key, e);
}

int build_run(struct build *b, struct err **e) {
  b->nstages = b->df->nstages;
  b->stages = xcalloc(b->nstages, sizeof(*b->stages));
  for (size_t i = 0; i < b->nstages; i++)
    b->stages[i].st = &b->df->stages[i];
  b->global_args = json_object();
  b->used_args = json_object();
  if (set_global_args(b, e) < 0 || plan_stages(b, e) < 0)
    return -1;
  /* the header's count: every step of the needed stages and the export */
  int steps = 1;
  for (size_t i = 0; i < b->nstages; i++)
    for (size_t k = 0; b->needed[i] && k < b->stages[i].st->ninstrs; k++)
      steps += b->stages[i].st->instrs[k].kind != DF_ARG;
  prog_total(b, steps);
  if (sched_run(b, e) < 0)
    return -1;
  struct stage_run *t = &b->stages[b->target];
  if (apply_labels(b, t, e) < 0)
    return -1;
  /* build args nobody declared: docker's warning */
  cleanup_free char *unused = xstrdup("");
  const char *k;
  json_t *v;
  json_object_foreach(b->build_args, k, v) {
    if (json_object_get(b->used_args, k) == NULL && !is_proxy_arg(k)) {
      char *u = xasprintf("%s%s%s", unused, unused[0] ? " " : "", k);
      free(unused);
      unused = u;
    }
  }
  if (unused[0] != '\0' && !b->o->quiet) /* printed once the display is closed */
    b->warning = xasprintf("[Warning] One or more build-args [%s] were not consumed", unused);
  return 0;
}
