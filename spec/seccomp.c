/* seccomp.c — a seccomp profile in docker's format resolved into the OCI
 * linux.seccomp object for one container.
 *
 * docker's format (spec/seccomp.json is one) extends the OCI object with:
 *   archMap        [{architecture, subArchitectures}]: the native entry
 *                  gives "architectures" = [native, subs…];
 *   syscalls[].includes / excludes  {caps, arches, minKernel}: a rule is
 *                  kept when every included cap is in the container's set,
 *                  the native arch is among the included arches and the
 *                  kernel is at least minKernel; and dropped when any
 *                  excluded cap is in the set or the arch is excluded;
 *   syscalls[].comment, and the older single "name".
 * A profile already in OCI form passes through the same code unchanged. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "json.h"
#include "mem.h"
#include "spec.h"

struct arch {
  const char *machine; /* uname -m */
  const char *go;      /* the names docker's profile uses in "arches" */
  const char *scmp;
};

static const struct arch arches[] = {
    {"x86_64", "amd64", "SCMP_ARCH_X86_64"},
    {"aarch64", "arm64", "SCMP_ARCH_AARCH64"},
    {"armv7l", "arm", "SCMP_ARCH_ARM"},
    {"armv6l", "arm", "SCMP_ARCH_ARM"},
    {"i686", "386", "SCMP_ARCH_X86"},
    {"i386", "386", "SCMP_ARCH_X86"},
    {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"},
    {"s390x", "s390x", "SCMP_ARCH_S390X"},
    {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
    {"mips64", "mips64", "SCMP_ARCH_MIPS64"},
};

struct host {
  const char *go, *scmp;
  int kmajor, kminor;
};

static void host_info(struct host *h) {
  struct utsname u;
  h->go = "amd64";
  h->scmp = "SCMP_ARCH_X86_64";
  h->kmajor = h->kminor = 0;
  if (uname(&u) != 0)
    return;
  for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
    if (strcmp(u.machine, arches[i].machine) == 0) {
      h->go = arches[i].go;
      h->scmp = arches[i].scmp;
    }
  }
  sscanf(u.release, "%d.%d", &h->kmajor, &h->kminor);
}

static int strv_has(char **v, const char *s) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
    if (strcmp(v[i], s) == 0)
      return 1;
  }
  return 0;
}

/* {caps, arches, minKernel} shape; NULL is fine. */
static int check_filter(const json_t *f, const char *what, size_t idx, const char *name,
                        struct err **e) {
  if (f == NULL || json_is_null(f))
    return 0;
  const char *k;
  json_t *v;
  if (!json_is_object(f))
    return err_usage(e, "seccomp profile '%s': syscalls[%zu].%s: expected an object", name, idx,
                     what);
  json_object_foreach((json_t *)f, k, v) {
    int ok = strcmp(k, "minKernel") == 0 ? json_is_string(v) || json_is_null(v)
             : (strcmp(k, "caps") == 0 || strcmp(k, "arches") == 0)
                 ? json_is_strv(v) || json_is_null(v)
                 : 1;
    if (!ok)
      return err_usage(e, "seccomp profile '%s': syscalls[%zu].%s.%s: wrong type", name, idx, what,
                       k);
  }
  return 0;
}

/* Does this rule apply to the container? */
static int rule_applies(const json_t *rule, char **caps, const struct host *h) {
  const json_t *inc = json_object_get(rule, "includes");
  const json_t *exc = json_object_get(rule, "excludes");
  size_t i;
  json_t *v;
  if (json_is_object(inc)) {
    json_array_foreach(json_object_get(inc, "caps"), i, v) {
      if (!strv_has(caps, json_string_value(v)))
        return 0;
    }
    const json_t *ar = json_object_get(inc, "arches");
    if (json_array_size(ar) > 0 && !json_array_has_str(ar, h->go))
      return 0;
    const char *mk = json_get_str(inc, "minKernel");
    int maj = 0, min = 0;
    if (mk != NULL && sscanf(mk, "%d.%d", &maj, &min) >= 1 &&
        (h->kmajor < maj || (h->kmajor == maj && h->kminor < min)))
      return 0;
  }
  if (json_is_object(exc)) {
    json_array_foreach(json_object_get(exc, "caps"), i, v) {
      if (strv_has(caps, json_string_value(v)))
        return 0;
    }
    if (json_array_has_str(json_object_get(exc, "arches"), h->go))
      return 0;
  }
  return 1;
}

static json_t *resolve(json_t *prof, char **caps, const char *name, struct err **e) {
  struct host h;
  host_info(&h);
  if (!json_is_object(prof)) {
    err_usage(e, "seccomp profile '%s': expected a JSON object", name);
    return NULL;
  }
  const char *def = json_get_str(prof, "defaultAction");
  if (def == NULL) {
    err_usage(e, "seccomp profile '%s': defaultAction: expected a string", name);
    return NULL;
  }
  cleanup_json json_t *out = json_pack("{s:s}", "defaultAction", def);
  json_t *v = json_object_get(prof, "defaultErrnoRet");
  if (v != NULL) {
    if (!json_is_integer(v)) {
      err_usage(e, "seccomp profile '%s': defaultErrnoRet: expected an integer", name);
      return NULL;
    }
    json_object_set(out, "defaultErrnoRet", v);
  }
  static const char *const pass[] = {"listenerPath", "listenerMetadata", "flags"};
  for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
    if ((v = json_object_get(prof, pass[i])) != NULL)
      json_object_set(out, pass[i], v);
  }

  json_t *arch_out = json_array();
  json_object_set_new(out, "architectures", arch_out);
  json_t *amap = json_object_get(prof, "archMap");
  size_t i;
  if (json_is_array(amap)) {
    json_array_foreach(amap, i, v) {
      if (strcmp(json_get_str(v, "architecture") ? json_get_str(v, "architecture") : "", h.scmp) !=
          0)
        continue;
      json_array_append_new(arch_out, json_string(h.scmp));
      json_t *sub = json_object_get(v, "subArchitectures");
      if (sub != NULL && !json_is_null(sub) && !json_is_strv(sub)) {
        err_usage(e, "seccomp profile '%s': archMap[%zu].subArchitectures: expected strings", name,
                  i);
        return NULL;
      }
      if (sub != NULL && !json_is_null(sub))
        json_array_extend(arch_out, sub);
    }
  } else if ((v = json_object_get(prof, "architectures")) != NULL && !json_is_null(v)) {
    if (!json_is_strv(v)) {
      err_usage(e, "seccomp profile '%s': architectures: expected an array of strings", name);
      return NULL;
    }
    json_array_extend(arch_out, v);
  }

  json_t *rules = json_object_get(prof, "syscalls");
  if (rules != NULL && !json_is_array(rules) && !json_is_null(rules)) {
    err_usage(e, "seccomp profile '%s': syscalls: expected an array", name);
    return NULL;
  }
  json_t *sys_out = json_array();
  json_object_set_new(out, "syscalls", sys_out);
  json_t *rule;
  json_array_foreach(rules, i, rule) {
    if (!json_is_object(rule)) {
      err_usage(e, "seccomp profile '%s': syscalls[%zu]: expected an object", name, i);
      return NULL;
    }
    json_t *names = json_object_get(rule, "names");
    const char *one = json_get_str(rule, "name");
    const char *action = json_get_str(rule, "action");
    json_t *args = json_object_get(rule, "args");
    json_t *eret = json_object_get(rule, "errnoRet");
    if ((names == NULL && one == NULL) || (names != NULL && !json_is_strv(names)) ||
        action == NULL || (args != NULL && !json_is_array(args) && !json_is_null(args)) ||
        (eret != NULL && !json_is_integer(eret))) {
      err_usage(e,
                "seccomp profile '%s': syscalls[%zu]: want names (strings), action, and "
                "optional args (array) and errnoRet (integer)",
                name, i);
      return NULL;
    }
    if (check_filter(json_object_get(rule, "includes"), "includes", i, name, e) < 0 ||
        check_filter(json_object_get(rule, "excludes"), "excludes", i, name, e) < 0)
      return NULL;
    if (!rule_applies(rule, caps, &h))
      continue;
    json_t *r = json_object();
    if (names != NULL)
      json_object_set(r, "names", names);
    else
      json_object_set_new(r, "names", json_pack("[s]", one));
    json_object_set_new(r, "action", json_string(action));
    if (json_array_size(args) > 0)
      json_object_set(r, "args", args);
    if (eret != NULL)
      json_object_set(r, "errnoRet", eret);
    json_array_append_new(sys_out, r);
  }
  return steal_ptr(&out);
}

json_t *seccomp_build(const char *profile_path, char **caps, struct err **e) {
  cleanup_json json_t *prof = NULL;
  const char *name = profile_path ? profile_path : "built-in";
  if (profile_path != NULL)
    prof = json_load_path(profile_path, e);
  else
    prof = json_load_str(cairn_seccomp_json, "built-in seccomp profile", e);
  if (prof == NULL)
    return NULL;
  return resolve(prof, caps, name, e);
}
