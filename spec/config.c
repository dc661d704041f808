/* config.c — assembles config.json from the builders, in dependency order:
 * the hostname is needed for the env, the final capability set for seccomp,
 * the namespaces for the mounts and sysctls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "mem.h"
#include "spec.h"

/* The runtime-spec version we write; runc and crun read 1.x documents. */
#define OCI_VERSION "1.1.0"

json_t *strv_to_json(char *const *v) {
  json_t *a = json_array();
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

json_t *json_string_own(char *s) {
  json_t *j = json_string(s);
  free(s);
  return j;
}

char *split_kv(const char *s, const char **val) {
  const char *eq = strchr(s, '=');
  if (eq == NULL) {
    *val = NULL;
    return xstrdup(s);
  }
  *val = eq + 1;
  return xstrndup(s, (size_t)(eq - s));
}

static void ctx_free(struct build_ctx *c) {
  image_free(&c->img);
  json_decref(c->config);
  free(c->hostname);
  free(c->seccomp_file);
  strv_free(c->caps);
}

static json_t *build(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  struct stat st;
  if (o->rootfs != NULL) {
    if (stat(o->rootfs, &st) < 0) {
      err_setc(e, ERR_USAGE, errno, "--rootfs '%s'", o->rootfs);
      return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
      err_usage(e, "--rootfs '%s': not a directory", o->rootfs);
      return NULL;
    }
  }
  if (image_load(o->image_config, &c->img, e) < 0)
    return NULL;
  /* --rootfs is resolved from our cwd while a runtime resolves a relative
   * root.path from the bundle: write it absolute so both agree.  Without
   * --rootfs, "rootfs" inside the bundle, as `runc spec` writes. */
  cleanup_free char *root = o->rootfs ? realpath(o->rootfs, NULL) : xstrdup("rootfs");
  if (root == NULL) {
    err_setc(e, ERR_USAGE, errno, "--rootfs '%s'", o->rootfs);
    return NULL;
  }
  c->config = json_object();
  json_object_set_new(c->config, "ociVersion", json_string(OCI_VERSION));
  json_object_set_new(c->config, "root",
                      json_pack("{s:s, s:b}", "path", root, "readonly", o->read_only));
  json_object_set_new(c->config, "linux", json_object());
  json_object_set_new(c->config, "process", json_object());
  if (parse_security_opts(c, e) < 0 || build_namespaces(c, e) < 0 || build_process(c, e) < 0 ||
      build_security(c, e) < 0 || build_mounts(c, e) < 0 || build_resources(c, e) < 0 ||
      build_annotations(c, e) < 0)
    return NULL;
  return steal_ptr(&c->config);
}

json_t *spec_build(const struct spec_opts *o, struct err **e) {
  struct build_ctx c = {.o = o};
  json_t *ret = build(&c, e);
  ctx_free(&c);
  return ret;
}
