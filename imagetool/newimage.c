#include "newimage.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "json.h"
#include "mem.h"
#include "ref.h"

/* SOURCE_DATE_EPOCH (reproducible builds) or now. */
static char *created_now(void) {
  const char *sde = getenv("SOURCE_DATE_EPOCH");
  if (sde != NULL && sde[0]) {
    char *end;
    long long v = strtoll(sde, &end, 10);
    if (*end == '\0' && v >= 0) {
      struct timespec ts = {(time_t)v, 0};
      return fmt_rfc3339nano(&ts);
    }
  }
  return fmt_now();
}

/* JSON array form ["a","b"], or shell form run by /bin/sh -c. */
static json_t *cmd_value(const char *v, struct err **e) {
  while (isspace((unsigned char)*v))
    v++;
  if (*v == '[') {
    json_error_t je;
    json_t *j = json_loads(v, 0, &je);
    int ok = json_is_array(j);
    size_t i;
    json_t *x;
    json_array_foreach(j, i, x) ok &= json_is_string(x);
    if (ok)
      return j;
    json_decref(j);
    err_usage(e, "'%s': not a JSON array of strings", v);
    return NULL;
  }
  return json_pack("[s,s,s]", "/bin/sh", "-c", v);
}

/* "k=v k2=v2" or the old "k v" form into obj. */
static int key_values(json_t *obj, const char *v, int is_env, struct err **e) {
  const char *eq = strchr(v, '='), *sp = strpbrk(v, " \t");
  if (eq == NULL || (sp != NULL && sp < eq)) { /* "KEY value with spaces" */
    if (sp == NULL)
      return err_usage(e, "'%s': expected KEY=VALUE", v);
    cleanup_free char *k = xstrndup(v, (size_t)(sp - v));
    while (isspace((unsigned char)*sp))
      sp++;
    json_object_set_new(obj, k, json_string(sp));
    return 0;
  }
  (void)is_env;
  const char *p = v;
  while (*p) {
    while (isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    const char *e1 = strchr(p, '=');
    if (e1 == NULL)
      return err_usage(e, "'%s': expected KEY=VALUE", p);
    cleanup_free char *k = xstrndup(p, (size_t)(e1 - p));
    p = e1 + 1;
    cleanup_free char *val = xstrdup("");
    size_t vl = 0;
    char q = 0;
    while (*p && (q || !isspace((unsigned char)*p))) {
      if (!q && (*p == '"' || *p == '\'')) {
        q = *p++;
        continue;
      }
      if (q && *p == q) {
        q = 0;
        p++;
        continue;
      }
      if (*p == '\\' && p[1] && q != '\'')
        p++;
      val = xrealloc(val, vl + 2);
      val[vl++] = *p++;
      val[vl] = '\0';
    }
    json_object_set_new(obj, k, json_string(val));
  }
  return 0;
}

int apply_change(json_t *cc, const char *line, struct err **e) {
  while (isspace((unsigned char)*line))
    line++;
  size_t kl = strcspn(line, " \t");
  cleanup_free char *kw = xstrndup(line, kl);
  for (char *c = kw; *c; c++)
    *c = (char)toupper((unsigned char)*c);
  const char *v = line + kl;
  while (isspace((unsigned char)*v))
    v++;
  if (strcmp(kw, "CMD") == 0 || strcmp(kw, "ENTRYPOINT") == 0) {
    json_t *j = cmd_value(v, e);
    if (j == NULL)
      return err_wrap(e, "--change %s", kw);
    json_object_set_new(cc, strcmp(kw, "CMD") == 0 ? "Cmd" : "Entrypoint", j);
    return 0;
  }
  if (strcmp(kw, "ENV") == 0) {
    cleanup_json json_t *kv = json_object();
    if (key_values(kv, v, 1, e) < 0)
      return err_wrap(e, "--change ENV");
    json_t *env = json_arr_ensure(cc, "Env");
    const char *k;
    json_t *val;
    json_object_foreach(kv, k, val) {
      cleanup_free char *entry = xasprintf("%s=%s", k, json_string_value(val));
      size_t i, kl2 = strlen(k);
      json_t *old;
      int replaced = 0;
      json_array_foreach(env, i, old) {
        const char *s = json_string_value(old);
        if (s && strncmp(s, k, kl2) == 0 && s[kl2] == '=') {
          json_array_set_new(env, i, json_string(entry));
          replaced = 1;
          break;
        }
      }
      if (!replaced)
        json_array_append_new(env, json_string(entry));
    }
    return 0;
  }
  if (strcmp(kw, "LABEL") == 0) {
    if (key_values(json_obj_ensure(cc, "Labels"), v, 0, e) < 0)
      return err_wrap(e, "--change LABEL");
    return 0;
  }
  if (strcmp(kw, "EXPOSE") == 0 || strcmp(kw, "VOLUME") == 0) {
    int expose = kw[0] == 'E';
    json_t *obj = json_obj_ensure(cc, expose ? "ExposedPorts" : "Volumes");
    cleanup_json json_t *list = NULL;
    if (*v == '[') {
      if ((list = cmd_value(v, e)) == NULL)
        return err_wrap(e, "--change %s", kw);
    } else {
      list = json_array();
      cleanup_free char *copy = xstrdup(v);
      char *save = NULL;
      for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
        json_array_append_new(list, json_string(t));
    }
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
      const char *s = json_string_value(x);
      cleanup_free char *key = expose && !strchr(s, '/') ? xasprintf("%s/tcp", s) : xstrdup(s);
      json_object_set_new(obj, key, json_object());
    }
    return 0;
  }
  static const struct {
    const char *kw, *field;
  } plain[] = {{"WORKDIR", "WorkingDir"}, {"USER", "User"}, {"STOPSIGNAL", "StopSignal"}};
  for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
    if (strcmp(kw, plain[i].kw) == 0) {
      if (*v == '\0')
        return err_usage(e, "--change %s: a value is required", kw);
      json_object_set_new(cc, plain[i].field, json_string(v));
      return 0;
    }
  }
  return err_usage(e,
                   "--change: unsupported instruction '%s' (supported: CMD, ENTRYPOINT, ENV, "
                   "EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)",
                   kw);
}

/* OCI media types for the same bytes Docker calls otherwise. */
static const char *oci_layer_type(const char *mt) {
  if (strcmp(mt, MT_DOCKER_LAYER) == 0)
    return MT_OCI_LAYER_GZIP;
  if (strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar") == 0)
    return MT_OCI_LAYER;
  return mt;
}

int image_create(const struct store *s, const struct new_image *ni, const struct new_layer *nl,
                 json_t **result, struct err **e) {
  cleanup_json json_t *cfg = NULL;
  if (ni->parent != NULL) {
    cfg = json_deep_copy(ni->parent->config);
  } else {
    struct platform p;
    platform_parse(NULL, &p, NULL);
    cfg = json_pack("{s:s,s:s,s:{},s:{s:s,s:[]},s:[]}", "architecture", p.arch, "os", p.os,
                    "config", "rootfs", "type", "layers", "diff_ids", "history");
  }
  if (ni->config != NULL) {
    if (json_object_get(ni->config, "rootfs") != NULL) {
      const char *k;
      json_t *v;
      json_object_foreach(ni->config, k, v) {
        if (strcmp(k, "rootfs") != 0 && strcmp(k, "history") != 0)
          json_object_set(cfg, k, v);
      }
    } else {
      json_object_set_new(cfg, "config", json_deep_copy(ni->config));
    }
  }
  json_t *cc = json_obj_ensure(cfg, "config");
  size_t i;
  json_t *ch;
  json_array_foreach(ni->changes, i, ch) {
    if (apply_change(cc, json_string_value(ch), e) < 0)
      return -1;
  }
  cleanup_free char *created = created_now();
  json_object_set_new(cfg, "created", json_string(created));
  if (ni->author != NULL)
    json_object_set_new(cfg, "author", json_string(ni->author));
  /* docker's image Comment is the commit message, never the parent's */
  if (ni->comment != NULL)
    json_object_set_new(cfg, "comment", json_string(ni->comment));
  else
    json_object_del(cfg, "comment");
  json_t *rootfs = json_obj_ensure(cfg, "rootfs");
  json_object_set_new(rootfs, "type", json_string("layers"));
  json_t *ids = json_arr_ensure(rootfs, "diff_ids");
  if (!nl->empty)
    json_array_append_new(ids, json_string(nl->diffid));
  json_t *h = json_pack("{s:s,s:s}", "created", created, "created_by",
                        ni->created_by ? ni->created_by : "");
  if (ni->comment != NULL)
    json_object_set_new(h, "comment", json_string(ni->comment));
  if (ni->author != NULL)
    json_object_set_new(h, "author", json_string(ni->author));
  if (nl->empty)
    json_object_set_new(h, "empty_layer", json_true());
  json_array_append_new(json_arr_ensure(cfg, "history"), h);
  /* sorted keys: the same inputs give the same config, the same id */
  cleanup_free char *ctext = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
  char cdig[DIGEST_STR_LEN + 1];
  if (store_put_blob(s, ctext, strlen(ctext), NULL, cdig, e) < 0)
    return -1;
  json_t *layers = json_array();
  for (size_t k = 0; ni->parent && k < ni->parent->nlayers; k++) {
    const struct layer_desc *l = &ni->parent->layers[k];
    json_array_append_new(layers,
                          json_pack("{s:s,s:s,s:I}", "mediaType", oci_layer_type(l->media_type),
                                    "digest", l->digest, "size", (json_int_t)l->size));
  }
  if (!nl->empty)
    json_array_append_new(layers, json_pack("{s:s,s:s,s:I}", "mediaType", nl->media_type, "digest",
                                            nl->digest, "size", (json_int_t)nl->size));
  cleanup_json json_t *man =
      json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST,
                "config", "mediaType", MT_OCI_CONFIG, "digest", cdig, "size",
                (json_int_t)strlen(ctext), "layers", layers);
  cleanup_free char *mtext = json_dumps(man, JSON_COMPACT);
  char mdig[DIGEST_STR_LEN + 1];
  if (store_put_blob(s, mtext, strlen(mtext), NULL, mdig, e) < 0)
    return -1;
  cleanup_json json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", MT_OCI_MANIFEST, "digest",
                                        mdig, "size", (json_int_t)strlen(mtext));
  cleanup_free char *ref = NULL;
  if (ni->tag != NULL) {
    if ((ref = ref_normalize(ni->tag, e)) == NULL)
      return err_wrap(e, "tag '%s'", ni->tag);
    if (store_set_ref(s, ref, desc, e) < 0)
      return -1;
  } else if (store_add_untagged(s, desc, e) < 0) {
    return -1;
  }
  *result = json_pack("{s:o,s:s,s:s}", "ref", ref ? json_string(ref) : json_null(), "digest", mdig,
                      "id", cdig);
  return 0;
}
