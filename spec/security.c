/* security.c — capabilities, masked and read-only paths, --security-opt,
 * --privileged, and lx.seccomp through seccomp.c.
 *
 * Capabilities follow docker (moby oci/caps TweakCapabilities): start from
 * the 14 defaults; --cap-add ALL gives every capability except the dropped
 * ones; --cap-drop ALL keeps only the added ones; otherwise drop, then add.
 * Docker 23+ leaves the inheritable and ambient sets empty, and so do we.
 * "Every capability" is every one the kernel knows (cap_last_cap) that our
 * own bounding set holds: a process cannot hand out what it lacks (here the
 * host withholds CAP_SYS_RESOURCE, and runc would fail asking for it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "mem.h"
#include "spec.h"

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

/* docker's default set, in docker's order (CapEff 0x00000000a80425fb). */
static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Returns the capability number of name ("chown", "CAP_CHOWN", any case),
 * or -1; *canon gets "CAP_…" when canon is not NULL. */
int cap_from_name(const char *name, char **canon) {
  const char *n = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
  for (int i = 0; i < NCAPS; i++) {
    if (strcasecmp(cap_names[i] + 4, n) == 0) {
      if (canon != NULL)
        *canon = xstrdup(cap_names[i]);
      return i;
    }
  }
  return -1;
}

/* Every capability the kernel knows and our bounding set holds. */
static void all_caps(char ***out) {
  int last = NCAPS - 1;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f != NULL) {
    if (fscanf(f, "%d", &last) != 1 || last >= NCAPS)
      last = NCAPS - 1;
    fclose(f);
  }
  unsigned long long bnd = ~0ULL;
  f = fopen("/proc/self/status", "re");
  if (f != NULL) {
    char line[256];
    while (fgets(line, sizeof(line), f) != NULL) {
      if (sscanf(line, "CapBnd: %llx", &bnd) == 1)
        break;
    }
    fclose(f);
  }
  for (int i = 0; i <= last; i++) {
    if (bnd & (1ULL << i))
      strv_push(out, cap_names[i]);
  }
}

static int strv_has(char **v, const char *s) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
    if (strcmp(v[i], s) == 0)
      return 1;
  }
  return 0;
}

/* Canonical names of a --cap-add/--cap-drop list; *all set on "ALL". */
static int norm_caps(char **in, const char *flag, char ***out, int *all, struct err **e) {
  *all = 0;
  for (size_t i = 0; in != NULL && in[i] != NULL; i++) {
    if (strcasecmp(in[i], "ALL") == 0 || strcasecmp(in[i], "CAP_ALL") == 0) {
      *all = 1;
      continue;
    }
    cleanup_free char *c = NULL;
    if (cap_from_name(in[i], &c) < 0)
      return err_usage(e, "%s: unknown capability '%s'", flag, in[i]);
    if (!strv_has(*out, c))
      strv_push(out, c);
  }
  return 0;
}

static int tweak_caps(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  if (o->privileged) {
    all_caps(&c->caps);
    return 0;
  }
  cleanup_strv char **add = NULL, **drop = NULL;
  int add_all, drop_all;
  if (norm_caps(o->cap_add, "--cap-add", &add, &add_all, e) < 0 ||
      norm_caps(o->cap_drop, "--cap-drop", &drop, &drop_all, e) < 0)
    return -1;
  if (add_all) {
    cleanup_strv char **all = NULL;
    all_caps(&all);
    for (size_t i = 0; all[i] != NULL; i++) {
      if (!strv_has(drop, all[i]))
        strv_push(&c->caps, all[i]);
    }
  } else if (drop_all) {
    for (size_t i = 0; add != NULL && add[i] != NULL; i++)
      strv_push(&c->caps, add[i]);
  } else {
    for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++) {
      if (!strv_has(drop, default_caps[i]))
        strv_push(&c->caps, default_caps[i]);
    }
    for (size_t i = 0; add != NULL && add[i] != NULL; i++) {
      if (!strv_has(c->caps, add[i]))
        strv_push(&c->caps, add[i]);
    }
  }
  if (c->caps == NULL)
    c->caps = xcalloc(1, sizeof(char *));
  return 0;
}

/* "key=value" or docker's older "key:value". */
static int opt_is(const char *opt, const char *key, const char **val) {
  size_t n = strlen(key);
  if (strncmp(opt, key, n) != 0)
    return 0;
  if (opt[n] == '\0') {
    *val = NULL;
    return 1;
  }
  if (opt[n] == '=' || opt[n] == ':') {
    *val = opt + n + 1;
    return 1;
  }
  return 0;
}

int parse_security_opts(struct build_ctx *c, struct err **e) {
  char **v = c->o->security_opts;
  for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
    const char *opt = v[i], *val;
    if (opt_is(opt, "seccomp", &val)) {
      if (val == NULL || *val == '\0')
        return err_usage(e, "--security-opt '%s': want seccomp=unconfined or seccomp=FILE", opt);
      free(c->seccomp_file);
      c->seccomp_file = NULL;
      c->seccomp_off = strcmp(val, "unconfined") == 0;
      if (!c->seccomp_off)
        c->seccomp_file = xstrdup(val);
    } else if (opt_is(opt, "no-new-privileges", &val)) {
      if (val == NULL || strcmp(val, "true") == 0)
        c->no_new_privs = 1;
      else if (strcmp(val, "false") == 0)
        c->no_new_privs = 0;
      else
        return err_usage(e, "--security-opt '%s': want no-new-privileges[=true|false]", opt);
    } else if (opt_is(opt, "systempaths", &val)) {
      if (val == NULL || strcmp(val, "unconfined") != 0)
        return err_usage(e, "--security-opt '%s': want systempaths=unconfined", opt);
      c->systempaths_unconfined = 1;
    } else if (opt_is(opt, "apparmor", &val)) {
      if (val == NULL || *val == '\0')
        return err_usage(e, "--security-opt '%s': want apparmor=PROFILE", opt);
      if (strcmp(val, "unconfined") != 0)
        json_object_set_new(json_object_get(c->config, "process"), "apparmorProfile",
                            json_string(val));
    } else if (opt_is(opt, "label", &val)) {
      /* SELinux labels: only "disable" (a no-op here) is understood. */
      if (val == NULL || strcmp(val, "disable") != 0)
        return err_usage(e, "--security-opt '%s': SELinux labels are not supported", opt);
    } else {
      return err_usage(e, "--security-opt '%s': unknown option", opt);
    }
  }
  return 0;
}

int build_security(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  json_t *lx = json_object_get(c->config, "linux");
  if (tweak_caps(c, e) < 0)
    return -1;
  json_t *caps = strv_to_json(c->caps);
  json_object_set_new(
      json_object_get(c->config, "process"), "capabilities",
      json_pack("{s:O, s:O, s:O}", "bounding", caps, "effective", caps, "permitted", caps));
  json_decref(caps);

  if (!o->privileged && !c->systempaths_unconfined) {
    json_t *m = json_array(), *r = json_array();
    for (size_t i = 0; i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++)
      json_array_append_new(m, json_string(masked_paths[i]));
    for (size_t i = 0; i < sizeof(readonly_paths) / sizeof(readonly_paths[0]); i++)
      json_array_append_new(r, json_string(readonly_paths[i]));
    json_object_set_new(lx, "maskedPaths", m);
    json_object_set_new(lx, "readonlyPaths", r);
  }

  if (o->privileged || c->seccomp_off)
    return 0;
  json_t *sc = seccomp_build(c->seccomp_file, c->caps, e);
  if (sc == NULL)
    return c->seccomp_file ? err_wrap(e, "--security-opt seccomp") : -1;
  json_object_set_new(lx, "seccomp", sc);
  return 0;
}
