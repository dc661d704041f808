/* config.c — the instructions that change only the image config (ENV,
 * LABEL, CMD, ENTRYPOINT, USER, EXPOSE, VOLUME, SHELL, STOPSIGNAL,
 * HEALTHCHECK, ONBUILD, MAINTAINER), with the history text docker
 * (BuildKit) records for each. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build.h"
#include "json.h"
#include "mem.h"

const char *config_env_get(json_t *cc, const char *name) {
  json_t *env = json_object_get(cc, "Env");
  size_t i, nl = strlen(name);
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s != NULL && strncmp(s, name, nl) == 0 && s[nl] == '=')
      return s + nl + 1;
  }
  return NULL;
}

void config_env_set(json_t *cc, const char *name, const char *value) {
  json_t *env = json_arr_ensure(cc, "Env");
  cleanup_free char *kv = xasprintf("%s=%s", name, value);
  size_t i, nl = strlen(name);
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s != NULL && strncmp(s, name, nl) == 0 && s[nl] == '=') {
      json_array_set_new(env, i, json_string(kv));
      return;
    }
  }
  json_array_append_new(env, json_string(kv));
}

json_t *config_shell(json_t *cc) {
  json_t *sh = json_object_get(cc, "Shell");
  if (json_is_array(sh) && json_array_size(sh) > 0)
    return json_incref(sh);
  return json_pack("[s,s]", "/bin/sh", "-c");
}

static json_t *strv_json(char **v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

/* CMD/ENTRYPOINT/HEALTHCHECK's command: the JSON form as is, the shell
 * form through the stage's shell. */
static json_t *command_of(json_t *cc, struct df_instr *in) {
  if (in->json)
    return strv_json(in->args, in->nargs);
  json_t *sh = config_shell(cc);
  json_t *a = json_deep_copy(sh);
  json_decref(sh);
  json_array_append_new(a, json_string(in->nargs ? in->args[0] : ""));
  return a;
}

/* Go's time.ParseDuration for the forms HEALTHCHECK takes: "30s",
 * "1m30s", "500ms", "1h"; nanoseconds. */
static int parse_duration(const char *s, long long *ns, struct err **e) {
  long long total = 0;
  const char *p = s;
  if (*p == '\0')
    return err_usage(e, "invalid duration '%s'", s);
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p)
      return err_usage(e, "invalid duration '%s'", s);
    p = end;
    long long unit;
    if (strncmp(p, "ns", 2) == 0)
      unit = 1, p += 2;
    else if (strncmp(p, "us", 2) == 0)
      unit = 1000, p += 2;
    else if (strncmp(p, "ms", 2) == 0)
      unit = 1000000, p += 2;
    else if (*p == 's')
      unit = 1000000000LL, p++;
    else if (*p == 'm')
      unit = 60000000000LL, p++;
    else if (*p == 'h')
      unit = 3600000000000LL, p++;
    else
      return err_usage(e, "invalid duration '%s': missing unit", s);
    total += (long long)(v * (double)unit);
  }
  *ns = total;
  return 0;
}

static int healthcheck(struct df_instr *in, json_t *cc, struct err **e) {
  if (in->nargs == 1 && !in->json && strcasecmp(in->args[0], "NONE") == 0) {
    json_object_set_new(cc, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
    return 0;
  }
  json_t *hc = json_object();
  json_object_set_new(cc, "Healthcheck", hc);
  json_t *test = json_array();
  if (in->json) {
    json_array_append_new(test, json_string("CMD"));
    for (size_t i = 0; i < in->nargs; i++)
      json_array_append_new(test, json_string(in->args[i]));
  } else {
    json_array_append_new(test, json_string("CMD-SHELL"));
    json_array_append_new(test, json_string(in->nargs ? in->args[0] : ""));
  }
  json_object_set_new(hc, "Test", test);
  static const struct {
    const char *flag, *key;
  } durs[] = {{"interval", "Interval"},
              {"timeout", "Timeout"},
              {"start-period", "StartPeriod"},
              {"start-interval", "StartInterval"}};
  for (size_t f = 0; f < in->nflags; f++) {
    const char *name = in->flags[f].name, *val = in->flags[f].value ? in->flags[f].value : "";
    bool known = false;
    for (size_t k = 0; k < sizeof(durs) / sizeof(durs[0]); k++) {
      if (strcmp(name, durs[k].flag) != 0)
        continue;
      long long ns = 0;
      if (parse_duration(val, &ns, e) < 0)
        return err_wrap(e, "HEALTHCHECK --%s", name);
      if (ns != 0)
        json_object_set_new(hc, durs[k].key, json_integer(ns));
      known = true;
    }
    if (!known && strcmp(name, "retries") == 0) {
      char *end;
      long v = strtol(val, &end, 10);
      if (*val == '\0' || *end != '\0' || v < 0)
        return err_usage(e, "HEALTHCHECK --retries: invalid number '%s'", val);
      if (v != 0)
        json_object_set_new(hc, "Retries", json_integer(v));
    } else if (!known) {
      return err_usage(e, "HEALTHCHECK: unknown flag --%s", name);
    }
  }
  return 0;
}

static int add_ports(struct build *b, struct stage_run *sr, struct df_instr *in, json_t *cc,
                     char **text, struct err **e) {
  json_t *ports = json_obj_ensure(cc, "ExposedPorts");
  cleanup_free char *joined = xstrdup("");
  for (size_t i = 0; i < in->nargs; i++) {
    cleanup_strv char **words =
        df_expand_words(in->args[i], b->df->escape, vars_lookup, &(struct vars){b, sr}, e);
    if (words == NULL)
      return -1;
    for (char **w = words; *w; w++) {
      char *slash = strchr(*w, '/');
      const char *proto = slash ? slash + 1 : "tcp";
      cleanup_free char *num = slash ? xstrndup(*w, (size_t)(slash - *w)) : xstrdup(*w);
      for (char *c = num; *c; c++)
        *c = (char)tolower((unsigned char)*c);
      char *dash = strchr(num, '-');
      char *end;
      long lo = strtol(num, &end, 10), hi = lo;
      if (dash != NULL && end == dash)
        hi = strtol(dash + 1, &end, 10);
      if (end == num || *end != '\0' || lo < 1 || hi > 65535 || hi < lo ||
          (strcasecmp(proto, "tcp") != 0 && strcasecmp(proto, "udp") != 0 &&
           strcasecmp(proto, "sctp") != 0))
        return err_usage(e, "EXPOSE: invalid port '%s'", *w);
      for (long p = lo; p <= hi; p++) {
        cleanup_free char *key = xasprintf("%ld/%s", p, proto);
        for (char *c = key; *c; c++)
          *c = (char)tolower((unsigned char)*c);
        json_object_set_new(ports, key, json_object());
      }
      char *nj = xasprintf("%s%s%s", joined, joined[0] ? " " : "", *w);
      free(joined);
      joined = nj;
    }
  }
  *text = xasprintf("EXPOSE %s", joined);
  return 0;
}

static char *json_text(json_t *a) {
  return json_dumps(a, JSON_COMPACT);
}

int config_apply(struct build *b, struct stage_run *sr, struct df_instr *in, char **created_by,
                 struct err **e) {
  json_t *cc = sr->img.cc;
  struct vars v = {b, sr};
  switch (in->kind) {
    case DF_ENV:
    case DF_LABEL: {
      /* every pair is expanded against the state before the instruction */
      char **keys = xcalloc(in->nkv + 1, sizeof(char *));
      char **vals = xcalloc(in->nkv + 1, sizeof(char *));
      int r = 0;
      for (size_t i = 0; i < in->nkv && r == 0; i++) {
        if ((keys[i] = df_expand(in->kv[i].key, b->df->escape, vars_lookup, &v, e)) == NULL ||
            (vals[i] = df_expand(in->kv[i].has_value ? in->kv[i].value : "", b->df->escape,
                                 vars_lookup, &v, e)) == NULL)
          r = -1;
        else if (keys[i][0] == '\0')
          r = err_usage(e, "%s names must not be empty", in->kind == DF_ENV ? "ENV" : "LABEL");
      }
      char *text = xstrdup(in->kind == DF_ENV ? "ENV" : "LABEL");
      for (size_t i = 0; i < in->nkv && r == 0; i++) {
        if (in->kind == DF_ENV)
          config_env_set(cc, keys[i], vals[i]);
        else
          json_object_set_new(json_obj_ensure(cc, "Labels"), keys[i], json_string(vals[i]));
        char *t = xasprintf("%s %s=%s", text, keys[i], vals[i]);
        free(text);
        text = t;
      }
      strv_free(keys);
      strv_free(vals);
      if (r < 0) {
        free(text);
        return -1;
      }
      *created_by = text;
      return 0;
    }
    case DF_CMD:
    case DF_ENTRYPOINT: {
      json_t *cmd = command_of(cc, in);
      cleanup_free char *t = json_text(cmd);
      bool is_cmd = in->kind == DF_CMD;
      json_object_set_new(cc, is_cmd ? "Cmd" : "Entrypoint", cmd);
      /* An ENTRYPOINT drops a CMD the base image had (not one this stage set). */
      if (is_cmd)
        sr->cmd_set = true;
      else if (!sr->cmd_set)
        json_object_del(cc, "Cmd");
      *created_by = xasprintf("%s %s", is_cmd ? "CMD" : "ENTRYPOINT", t);
      return 0;
    }
    case DF_USER:
    case DF_STOPSIGNAL:
    case DF_MAINTAINER: {
      cleanup_free char *val = in->kind == DF_MAINTAINER
                                   ? xstrdup(in->nargs ? in->args[0] : "")
                                   : vexpand(b, sr, in->nargs ? in->args[0] : "", e);
      if (val == NULL)
        return -1;
      if (in->kind == DF_USER) {
        json_object_set_new(cc, "User", json_string(val));
        *created_by = xasprintf("USER %s", val);
      } else if (in->kind == DF_STOPSIGNAL) {
        json_object_set_new(cc, "StopSignal", json_string(val));
        *created_by = xasprintf("STOPSIGNAL %s", val);
      } else {
        free(b->author);
        b->author = xstrdup(val);
        *created_by = xasprintf("MAINTAINER %s", val);
      }
      return 0;
    }
    case DF_EXPOSE: return add_ports(b, sr, in, cc, created_by, e);
    case DF_VOLUME: {
      json_t *vols = json_obj_ensure(cc, "Volumes");
      cleanup_json json_t *list = json_array();
      for (size_t i = 0; i < in->nargs; i++) {
        cleanup_strv char **words = NULL;
        if (in->json) {
          char *one = vexpand(b, sr, in->args[i], e);
          if (one == NULL)
            return -1;
          strv_push(&words, one);
          free(one);
        } else if ((words = df_expand_words(in->args[i], b->df->escape, vars_lookup, &v, e)) ==
                   NULL) {
          return -1;
        }
        for (char **w = words; w && *w; w++) {
          if ((*w)[0] == '\0')
            return err_usage(e, "VOLUME specified can not be an empty string");
          json_object_set_new(vols, *w, json_object());
          json_array_append_new(list, json_string(*w));
        }
      }
      cleanup_free char *t = json_text(list);
      *created_by = xasprintf("VOLUME %s", t);
      return 0;
    }
    case DF_SHELL: {
      if (!in->json || in->nargs == 0)
        return err_usage(e, "SHELL requires the arguments to be in JSON form");
      json_t *sh = strv_json(in->args, in->nargs);
      cleanup_free char *t = json_text(sh);
      json_object_set_new(cc, "Shell", sh);
      *created_by = xasprintf("SHELL %s", t);
      return 0;
    }
    case DF_HEALTHCHECK: {
      if (healthcheck(in, cc, e) < 0)
        return -1;
      *created_by = xstrdup(in->text);
      return 0;
    }
    case DF_ONBUILD: {
      if (in->sub == NULL)
        return err_usage(e, "ONBUILD requires an instruction");
      /* a trigger with heredocs keeps their bodies after its line, as
       * docker stores it: re-parsed as written when it fires */
      cleanup_free char *trig = xstrdup(in->sub->text);
      for (size_t k = 0; k < in->sub->nheredocs; k++) {
        char *t = xasprintf("%s\n%s%s", trig, in->sub->heredocs[k].body, in->sub->heredocs[k].name);
        free(trig);
        trig = t;
      }
      json_array_append_new(json_arr_ensure(cc, "OnBuild"), json_string(trig));
      *created_by = xasprintf("ONBUILD %s", in->sub->text);
      return 0;
    }
    default: return err_set(e, 0, "config_apply: not a config instruction");
  }
}
