/* image.c — the OCI image config cairn-spec starts from.
 *
 * Input is what `skopeo inspect --config` or `cairn-image config` prints: the
 * image config document ({"architecture","os","config":{…},"rootfs",…}).  A
 * bare "config" object (docker inspect's .Config) is taken too.  Only the
 * fields cairn-spec reads are checked, each for its type, so that a broken
 * document fails here with one line naming the field rather than later. */
#include <string.h>

#include "json.h"
#include "mem.h"
#include "spec.h"

/* Cmd and Entrypoint: an array of strings or null; a plain string is one
 * element, as docker's strslice reads it. */
static int take_strslice(json_t *cfg, const char *key, json_t **out, const char *name,
                         struct err **e) {
  json_t *v = json_object_get(cfg, key);
  if (v == NULL || json_is_null(v)) {
    *out = NULL;
    return 0;
  }
  if (json_is_string(v)) {
    json_t *a = json_array();
    json_array_append(a, v);
    json_object_set_new(cfg, key, a);
    *out = a;
    return 0;
  }
  if (!json_is_strv(v))
    return err_usage(e, "image config '%s': config.%s: expected an array of strings", name, key);
  *out = v;
  return 0;
}

static int take_str(json_t *cfg, const char *key, const char **out, const char *name,
                    struct err **e) {
  json_t *v = json_object_get(cfg, key);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return err_usage(e, "image config '%s': config.%s: expected a string", name, key);
  *out = json_string_value(v);
  return 0;
}

static int check_obj(json_t *cfg, const char *key, int values_str, const char *name,
                     struct err **e) {
  json_t *v = json_object_get(cfg, key);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_object(v))
    return err_usage(e, "image config '%s': config.%s: expected an object", name, key);
  if (values_str) {
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
      if (!json_is_string(x))
        return err_usage(e, "image config '%s': config.%s.%s: expected a string", name, key, k);
    }
  }
  return 0;
}

int image_load(const char *path, struct image *img, struct err **e) {
  memset(img, 0, sizeof(*img));
  if (path == NULL)
    return 0;
  const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
  cleanup_json json_t *doc = json_load_path(path, e);
  if (doc == NULL)
    return err_wrap(e, "image config");
  if (!json_is_object(doc))
    return err_usage(e, "image config '%s': expected a JSON object", name);

  static const char *const top_str[] = {"architecture", "os", "created", "author", "variant"};
  for (size_t i = 0; i < sizeof(top_str) / sizeof(top_str[0]); i++) {
    json_t *v = json_object_get(doc, top_str[i]);
    if (v != NULL && !json_is_string(v))
      return err_usage(e, "image config '%s': %s: expected a string", name, top_str[i]);
  }
  const char *os = json_get_str(doc, "os");
  if (os != NULL && strcmp(os, "linux") != 0)
    return err_usage(e, "image config '%s': os is '%s', cairn-spec makes linux configs", name, os);

  json_t *cfg;
  if (json_object_get(doc, "config") != NULL || json_object_get(doc, "rootfs") != NULL ||
      os != NULL) {
    cfg = json_object_get(doc, "config");
    if (cfg != NULL && !json_is_object(cfg) && !json_is_null(cfg))
      return err_usage(e, "image config '%s': config: expected an object", name);
    if (!json_is_object(cfg))
      cfg = NULL;
  } else {
    cfg = doc; /* a bare config object */
  }
  if (cfg != NULL) {
    json_t *env = json_object_get(cfg, "Env");
    if (env != NULL && !json_is_null(env)) {
      if (!json_is_strv(env))
        return err_usage(e, "image config '%s': config.Env: expected an array of strings", name);
      img->env = env;
    }
    if (take_strslice(cfg, "Cmd", &img->cmd, name, e) < 0 ||
        take_strslice(cfg, "Entrypoint", &img->entrypoint, name, e) < 0 ||
        take_str(cfg, "WorkingDir", &img->workdir, name, e) < 0 ||
        take_str(cfg, "User", &img->user, name, e) < 0 ||
        take_str(cfg, "StopSignal", &img->stop_signal, name, e) < 0 ||
        check_obj(cfg, "Labels", 1, name, e) < 0 ||
        check_obj(cfg, "ExposedPorts", 0, name, e) < 0 || check_obj(cfg, "Volumes", 0, name, e) < 0)
      return -1;
  }
  img->doc = steal_ptr(&doc);
  return 0;
}

void image_free(struct image *img) {
  json_decref(img->doc);
  memset(img, 0, sizeof(*img));
}
