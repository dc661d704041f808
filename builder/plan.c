/* plan.c — which stages a build needs, and variable lookup.
 *
 * The target (--target, else the last stage) needs the stage its FROM
 * names and those its COPY --from= and RUN --mount=…,from= name, and so
 * on; every other stage is skipped, as BuildKit does.  A stage may only
 * name an earlier one, so file order is a dependency order. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build.h"
#include "json.h"
#include "mem.h"

struct stage_run *plan_stage_ref(struct build *b, const char *name, size_t before) {
  for (size_t i = 0; i < before && i < b->nstages; i++) {
    const char *n = b->stages[i].st->name;
    if (n != NULL && strcasecmp(n, name) == 0)
      return &b->stages[i];
  }
  char *end;
  unsigned long idx = strtoul(name, &end, 10);
  if (name[0] != '\0' && isdigit((unsigned char)name[0]) && *end == '\0' && idx < before &&
      idx < b->nstages)
    return &b->stages[idx];
  return NULL;
}

/* The value of a mount option key in "type=bind,from=x,target=/y". */
static char *mount_opt(const char *spec, const char *key) {
  size_t kl = strlen(key);
  const char *p = spec;
  while (p != NULL && *p) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')
      return xstrndup(p + kl + 1, len - kl - 1);
    p = comma ? comma + 1 : NULL;
  }
  return NULL;
}

static int mark(struct build *b, size_t i, int depth, struct err **e) {
  if (b->needed[i])
    return 0;
  if (depth > 128)
    return err_usage(e, "stages refer to each other too deeply");
  b->needed[i] = true;
  struct df_stage *st = b->stages[i].st;
  cleanup_free char *base = vexpand(b, NULL, st->base, e);
  if (base == NULL)
    return err_wrap(e, "%s:%d", b->df_name, st->instrs[0].line);
  struct stage_run *dep = plan_stage_ref(b, base, i);
  if (dep != NULL)
    b->deps[i * b->nstages + (size_t)(dep - b->stages)] = true;
  if (dep != NULL && mark(b, (size_t)(dep - b->stages), depth + 1, e) < 0)
    return -1;
  for (size_t k = 1; k < st->ninstrs; k++) {
    struct df_instr *in = &st->instrs[k];
    if (in->kind == DF_ONBUILD)
      continue;
    for (size_t f = 0; f < in->nflags; f++) {
      cleanup_free char *from = NULL;
      if (strcmp(in->flags[f].name, "from") == 0 && in->flags[f].value != NULL)
        from = xstrdup(in->flags[f].value);
      else if (strcmp(in->flags[f].name, "mount") == 0 && in->flags[f].value != NULL)
        from = mount_opt(in->flags[f].value, "from");
      if (from == NULL)
        continue;
      dep = plan_stage_ref(b, from, i);
      if (dep != NULL)
        b->deps[i * b->nstages + (size_t)(dep - b->stages)] = true;
      if (dep != NULL && mark(b, (size_t)(dep - b->stages), depth + 1, e) < 0)
        return -1;
    }
  }
  return 0;
}

int plan_stages(struct build *b, struct err **e) {
  b->target = b->nstages - 1;
  if (b->o->target != NULL) {
    struct stage_run *t = NULL;
    for (size_t i = 0; i < b->nstages; i++) {
      const char *n = b->stages[i].st->name;
      if (n != NULL && strcasecmp(n, b->o->target) == 0)
        t = &b->stages[i];
    }
    if (t == NULL)
      return err_usage(e, "target stage \"%s\" could not be found", b->o->target);
    b->target = (size_t)(t - b->stages);
  }
  b->needed = xcalloc(b->nstages, sizeof(bool));
  b->deps = xcalloc(b->nstages * b->nstages, sizeof(bool));
  return mark(b, b->target, 0, e);
}

/* Variables, as docker resolves them: in a stage, ENV wins over ARG; the
 * global scope (FROM lines) sees only the global ARGs. */
const char *vars_lookup(void *ctx, const char *name) {
  struct vars *v = ctx;
  if (v->sr != NULL) {
    const char *env = config_env_get(v->sr->img.cc, name);
    if (env != NULL)
      return env;
    json_t *a = json_object_get(v->sr->args, name);
    if (a != NULL)
      return json_is_string(a) ? json_string_value(a) : NULL;
    return NULL;
  }
  json_t *g = json_object_get(v->b->global_args, name);
  return json_is_string(g) ? json_string_value(g) : NULL;
}

char *vexpand(struct build *b, struct stage_run *sr, const char *word, struct err **e) {
  struct vars v = {b, sr};
  return df_expand(word, b->df->escape, vars_lookup, &v, e);
}
