/* resources.c — lx.resources (memory, cpu, pids, device cgroup rules),
 * lx.devices, lx.sysctl and lx.cgroupsPath, with docker's checks
 * and defaults:
 *
 *   -m with no --memory-swap gives swap = 2 x memory where the host
 *   accounts swap (docker's rule); --cpus N is quota N*100000 per 100000 us;
 *   devices: deny all, then docker's short allow list (runc and crun add
 *   the standard /dev nodes and pty rules themselves), then --device;
 *   --privileged: every host device and "allow all";
 *   sysctls: docker's two safe network defaults in a private netns, then
 *   --sysctl, restricted to namespaced keys as docker restricts them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "spec.h"

static int parse_int(const char *s, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static int swap_accounted(void) {
  if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
    return 1;
  /* cgroup v2 accounts swap whenever the memory controller is there. */
  size_t len;
  cleanup_free char *ctl = read_file("/sys/fs/cgroup/cgroup.controllers", 4096, &len, NULL);
  return ctl != NULL && strstr(ctl, "memory") != NULL;
}

static int build_memory(const struct spec_opts *o, json_t *res, struct err **e) {
  json_t *mem = json_object();
  json_object_set_new(res, "memory", mem);
  int64_t limit = 0, swap = 0, resv;
  if (o->memory != NULL) {
    if (parse_size(o->memory, &limit, e) < 0)
      return err_wrap(e, "--memory");
    if (limit < 6 * 1024 * 1024)
      return err_usage(e, "--memory '%s': minimum memory limit allowed is 6MB", o->memory);
    json_object_set_new(mem, "limit", json_integer(limit));
  }
  if (o->memory_swap != NULL) {
    if (strcmp(o->memory_swap, "-1") == 0) {
      swap = -1;
    } else {
      if (parse_size(o->memory_swap, &swap, e) < 0)
        return err_wrap(e, "--memory-swap");
    }
    if (o->memory == NULL)
      return err_usage(e, "--memory-swap needs --memory");
    if (swap != -1 && swap < limit)
      return err_usage(e, "--memory-swap '%s': must be at least the memory limit", o->memory_swap);
    json_object_set_new(mem, "swap", json_integer(swap));
  } else if (o->memory != NULL && swap_accounted()) {
    json_object_set_new(mem, "swap", json_integer(2 * limit));
  }
  if (o->memory_reservation != NULL) {
    if (parse_size(o->memory_reservation, &resv, e) < 0)
      return err_wrap(e, "--memory-reservation");
    if (o->memory != NULL && resv > limit)
      return err_usage(e, "--memory-reservation: must be below the memory limit");
    json_object_set_new(mem, "reservation", json_integer(resv));
  }
  if (json_object_size(mem) == 0)
    json_object_del(res, "memory");
  return 0;
}

/* "0-3,5" as the kernel's cpuset lists take them. */
static int valid_cpuset(const char *s) {
  if (*s == '\0')
    return 0;
  for (const char *p = s; *p;) {
    if (*p < '0' || *p > '9')
      return 0;
    char *end;
    unsigned long a = strtoul(p, &end, 10);
    p = end;
    if (*p == '-') {
      p++;
      if (*p < '0' || *p > '9')
        return 0;
      if (strtoul(p, &end, 10) < a)
        return 0;
      p = end;
    }
    if (*p == ',') {
      p++;
      if (*p == '\0')
        return 0;
    } else if (*p != '\0') {
      return 0;
    }
  }
  return 1;
}

static int build_cpu(const struct spec_opts *o, json_t *res, struct err **e) {
  json_t *cpu = json_object();
  json_object_set_new(res, "cpu", cpu);
  long long v;
  if (o->cpus != NULL) {
    if (o->cpu_period != NULL || o->cpu_quota != NULL)
      return err_usage(e, "--cpus conflicts with --cpu-period and --cpu-quota");
    char *end;
    errno = 0;
    double n = strtod(o->cpus, &end);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (*o->cpus == '\0' || *end != '\0' || errno != 0 || !(n >= 0.01) || n > (double)ncpu)
      return err_usage(e,
                       "--cpus '%s': range of CPUs is from 0.01 to %ld.00, as there are only "
                       "%ld CPUs available",
                       o->cpus, ncpu, ncpu);
    json_object_set_new(cpu, "period", json_integer(100000));
    json_object_set_new(cpu, "quota", json_integer((json_int_t)(n * 100000 + 0.5)));
  }
  if (o->cpu_period != NULL) {
    if (parse_int(o->cpu_period, 1000, 1000000, &v) < 0)
      return err_usage(e, "--cpu-period '%s': want 1000 to 1000000 (microseconds)", o->cpu_period);
    json_object_set_new(cpu, "period", json_integer(v));
  }
  if (o->cpu_quota != NULL) {
    if (parse_int(o->cpu_quota, -1, INT64_MAX, &v) < 0 || (v >= 0 && v < 1000))
      return err_usage(e, "--cpu-quota '%s': want -1 or at least 1000 (microseconds)",
                       o->cpu_quota);
    json_object_set_new(cpu, "quota", json_integer(v));
  }
  if (o->cpu_shares != NULL) {
    if (parse_int(o->cpu_shares, 0, 262144, &v) < 0)
      return err_usage(e, "--cpu-shares '%s': want an integer from 0 to 262144", o->cpu_shares);
    if (v > 0)
      json_object_set_new(cpu, "shares", json_integer(v));
  }
  if (o->cpuset_cpus != NULL) {
    if (!valid_cpuset(o->cpuset_cpus))
      return err_usage(e, "--cpuset-cpus '%s': want a list like 0-3,5", o->cpuset_cpus);
    json_object_set_new(cpu, "cpus", json_string(o->cpuset_cpus));
  }
  if (o->cpuset_mems != NULL) {
    if (!valid_cpuset(o->cpuset_mems))
      return err_usage(e, "--cpuset-mems '%s': want a list like 0-1", o->cpuset_mems);
    json_object_set_new(cpu, "mems", json_string(o->cpuset_mems));
  }
  if (json_object_size(cpu) == 0)
    json_object_del(res, "cpu");
  return 0;
}

static json_t *dev_rule(int allow, const char *type, long long maj, long long min,
                        const char *access) {
  json_t *r = json_pack("{s:b, s:s}", "allow", allow, "access", access);
  if (type != NULL)
    json_object_set_new(r, "type", json_string(type));
  if (maj >= 0)
    json_object_set_new(r, "major", json_integer(maj));
  if (min >= 0)
    json_object_set_new(r, "minor", json_integer(min));
  return r;
}

/* One device node: a lx.devices entry and (rules != NULL) an allow rule. */
static int add_node(json_t *devices, json_t *rules, const char *ctr, const struct stat *st,
                    const char *access) {
  const char *type = S_ISCHR(st->st_mode) ? "c" : "b";
  long long maj = major(st->st_rdev), min = minor(st->st_rdev);
  json_array_append_new(devices, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", ctr,
                                           "type", type, "major", maj, "minor", min, "fileMode",
                                           (json_int_t)(st->st_mode & 07777), "uid",
                                           (json_int_t)st->st_uid, "gid", (json_int_t)st->st_gid));
  if (rules != NULL)
    json_array_append_new(rules, dev_rule(1, type, maj, min, access));
  return 0;
}

/* The directories under /dev that hold no devices of the container's own
 * (runc's and docker's HostDevices skip the same). */
static int skip_dev_entry(const char *host_root, const char *dir, const char *name) {
  if (strcmp(dir, host_root) != 0)
    return 0;
  static const char *const skip[] = {"pts",  "shm",         "fd",    "mqueue",
                                     ".lxc", ".lxd-mounts", ".udev", "console"};
  for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
    if (strcmp(name, skip[i]) == 0)
      return 1;
  }
  return 0;
}

static int walk_devices(json_t *devices, json_t *rules, const char *root, const char *host,
                        const char *ctr, const char *access, int depth_left, struct err **e) {
  cleanup_dir DIR *d = opendir(host);
  if (d == NULL)
    return err_set(e, errno, "open device directory '%s'", host);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
        skip_dev_entry(root, host, de->d_name))
      continue;
    cleanup_free char *hp = path_join(host, de->d_name);
    cleanup_free char *cp = path_join(ctr, de->d_name);
    struct stat st;
    if (lstat(hp, &st) < 0)
      continue; /* gone meanwhile */
    if (S_ISDIR(st.st_mode) && depth_left > 0) {
      if (walk_devices(devices, rules, root, hp, cp, access, depth_left - 1, e) < 0)
        return -1;
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      add_node(devices, rules, cp, &st, access);
    }
  }
  return 0;
}

int add_host_devices(json_t *devices, json_t *rules, const char *host, const char *ctr,
                     const char *access, struct err **e) {
  struct stat st;
  if (stat(host, &st) < 0)
    return err_setc(e, ERR_USAGE, errno, "device '%s'", host);
  if (S_ISDIR(st.st_mode))
    return walk_devices(devices, rules, host, host, ctr, access, 8, e);
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return err_usage(e, "device '%s': not a device node", host);
  return add_node(devices, rules, ctr, &st, access);
}

static int valid_access(const char *s) {
  if (*s == '\0' || strlen(s) > 3)
    return 0;
  for (const char *p = s; *p; p++) {
    if (strchr("rwm", *p) == NULL || strchr(p + 1, *p) != NULL)
      return 0;
  }
  return 1;
}

/* --device HOST[:CONTAINER][:PERMS] */
static int parse_device(const char *arg, json_t *devices, json_t *rules, struct err **e) {
  cleanup_free char *copy = xstrdup(arg);
  char *parts[3] = {copy, NULL, NULL};
  size_t n = 1;
  for (char *p = copy; (p = strchr(p, ':')) != NULL && n < 4; n++) {
    if (n == 3)
      return err_usage(e, "--device '%s': want HOST[:CONTAINER][:PERMS]", arg);
    *p++ = '\0';
    parts[n] = p;
  }
  const char *host = parts[0], *ctr = parts[0], *access = "rwm";
  if (n == 2) {
    if (valid_access(parts[1]))
      access = parts[1];
    else
      ctr = parts[1];
  } else if (n == 3) {
    ctr = parts[1];
    access = parts[2];
    if (!valid_access(access))
      return err_usage(e, "--device '%s': invalid permissions '%s' (want r, w and/or m)", arg,
                       access);
  }
  if (host[0] != '/' || ctr[0] != '/')
    return err_usage(e, "--device '%s': paths must be absolute", arg);
  if (add_host_devices(devices, rules, host, ctr, access, e) < 0)
    return err_wrap(e, "--device");
  return 0;
}

/* docker's list of namespaced sysctls a container may set. */
static int check_sysctl(const struct build_ctx *c, const char *key, struct err **e) {
  static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                         "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                         "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++) {
    if (strcmp(key, ipc_keys[i]) == 0)
      goto ipc;
  }
  if (strncmp(key, "fs.mqueue.", 10) == 0)
    goto ipc;
  if (strncmp(key, "net.", 4) == 0) {
    if (c->host_net)
      return err_usage(e, "--sysctl '%s': not allowed in the host's network namespace", key);
    return 0;
  }
  if (strcmp(key, "kernel.domainname") == 0 || strcmp(key, "kernel.hostname") == 0) {
    if (c->host_uts)
      return err_usage(e, "--sysctl '%s': not allowed in the host's UTS namespace", key);
    return 0;
  }
  return err_usage(e, "--sysctl '%s': not allowed (not namespaced)", key);
ipc:
  if (c->host_ipc)
    return err_usage(e, "--sysctl '%s': not allowed in the host's IPC namespace", key);
  return 0;
}

static int build_sysctl(struct build_ctx *c, json_t *lx, struct err **e) {
  const struct spec_opts *o = c->o;
  json_t *sc = json_object();
  json_object_set_new(lx, "sysctl", sc);
  if (!c->host_net) {
    /* Unprivileged ping and low ports, as docker sets in a private netns
     * (only where the host kernel has the knobs). */
    if (access("/proc/sys/net/ipv4/ping_group_range", F_OK) == 0)
      json_object_set_new(sc, "net.ipv4.ping_group_range", json_string("0 2147483647"));
    if (access("/proc/sys/net/ipv4/ip_unprivileged_port_start", F_OK) == 0)
      json_object_set_new(sc, "net.ipv4.ip_unprivileged_port_start", json_string("0"));
  }
  for (size_t i = 0; o->sysctls != NULL && o->sysctls[i] != NULL; i++) {
    const char *val;
    cleanup_free char *key = split_kv(o->sysctls[i], &val);
    if (val == NULL || key[0] == '\0')
      return err_usage(e, "--sysctl '%s': want KEY=VALUE", o->sysctls[i]);
    if (check_sysctl(c, key, e) < 0)
      return -1;
    json_object_set_new(sc, key, json_string(val));
  }
  if (json_object_size(sc) == 0)
    json_object_del(lx, "sysctl");
  return 0;
}

int build_resources(struct build_ctx *c, struct err **e) {
  const struct spec_opts *o = c->o;
  json_t *lx = json_object_get(c->config, "linux");
  json_t *res = json_object();
  json_object_set_new(lx, "resources", res);
  if (build_memory(o, res, e) < 0 || build_cpu(o, res, e) < 0)
    return -1;
  if (o->pids_limit != NULL) {
    long long v;
    if (parse_int(o->pids_limit, INT64_MIN, INT64_MAX, &v) < 0)
      return err_usage(e, "--pids-limit '%s': want an integer (0 or -1: unlimited)", o->pids_limit);
    json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)(v > 0 ? v : -1)));
  }

  json_t *devices = json_array();
  json_t *rules = json_array();
  json_object_set_new(lx, "devices", devices);
  json_object_set_new(res, "devices", rules);
  if (o->privileged) {
    json_array_append_new(rules, dev_rule(1, NULL, -1, -1, "rwm"));
    if (add_host_devices(devices, NULL, "/dev", "/dev", "rwm", e) < 0)
      return err_wrap(e, "--privileged");
    for (size_t i = 0; o->devices != NULL && o->devices[i] != NULL; i++) {
      if (parse_device(o->devices[i], devices, NULL, e) < 0)
        return -1;
    }
  } else {
    json_array_append_new(rules, dev_rule(0, NULL, -1, -1, "rwm"));
    static const int allowed[][2] = {{1, 5}, {1, 3}, {1, 9}, {1, 8}, {5, 0}, {5, 1}};
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
      json_array_append_new(rules, dev_rule(1, "c", allowed[i][0], allowed[i][1], "rwm"));
    json_array_append_new(rules, dev_rule(0, "c", 10, 229, "rwm")); /* /dev/fuse */
    for (size_t i = 0; o->devices != NULL && o->devices[i] != NULL; i++) {
      if (parse_device(o->devices[i], devices, rules, e) < 0)
        return -1;
    }
  }
  if (json_array_size(devices) == 0)
    json_object_del(lx, "devices");

  if (build_sysctl(c, lx, e) < 0)
    return -1;
  if (o->cgroups_path != NULL) {
    if (o->cgroups_path[0] == '\0')
      return err_usage(e, "--cgroups-path: empty path");
    json_object_set_new(lx, "cgroupsPath", json_string(o->cgroups_path));
  }
  return 0;
}
