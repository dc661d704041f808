/* cmd_spec.c — `spec [-b DIR] [--rootless]`: write a default config.json
 * (runc's defaults: a busybox-friendly sh with a terminal, the usual mounts,
 * masked and read-only paths, the five namespaces). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "lifecycle.h"
#include "mem.h"

static const char def[] =
    "{\"ociVersion\":\"" RT_OCI_VERSION "\","
    "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
    "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
    "\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"hostname\":\"cairn\","
    "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
    "\"gid=5\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
    "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
    "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
    "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
    "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
    "\"/sys/firmware\",\"/proc/scsi\"],"
    "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
    "\"/proc/sysrq-trigger\"]}}";

/* Rootless: our own user namespace mapping us to root, no network
 * namespace, sysfs bound from the host, no gid=5 on devpts, no devices
 * cgroup rules (runc spec --rootless does the same). */
static void make_rootless(json_t *j) {
  json_t *lx = json_object_get(j, "linux");
  json_object_del(lx, "resources");
  json_t *ns = json_object_get(lx, "namespaces");
  for (size_t i = json_array_size(ns); i-- > 0;) {
    const char *t = json_string_value(json_object_get(json_array_get(ns, i), "type"));
    if (t != NULL && strcmp(t, "network") == 0)
      json_array_remove(ns, i);
  }
  json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
  json_object_set_new(
      lx, "uidMappings",
      json_pack("[{s:i,s:I,s:i}]", "containerID", 0, "hostID", (json_int_t)getuid(), "size", 1));
  json_object_set_new(
      lx, "gidMappings",
      json_pack("[{s:i,s:I,s:i}]", "containerID", 0, "hostID", (json_int_t)getgid(), "size", 1));
  json_t *mounts = json_object_get(j, "mounts");
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *d = json_string_value(json_object_get(m, "destination"));
    if (strcmp(d, "/sys") == 0) {
      json_object_set_new(m, "type", json_string("none"));
      json_object_set_new(m, "source", json_string("/sys"));
      json_object_set_new(m, "options",
                          json_pack("[s,s,s,s,s]", "rbind", "nosuid", "noexec", "nodev", "ro"));
    } else if (strcmp(d, "/dev/pts") == 0) {
      json_t *o = json_object_get(m, "options");
      for (size_t k = json_array_size(o); k-- > 0;)
        if (strcmp(json_string_value(json_array_get(o, k)), "gid=5") == 0)
          json_array_remove(o, k);
    }
  }
}

int cmd_spec(struct rt_opts *g, int argc, char **argv, struct err **e) {
  (void)g;
  static const struct option lo[] = {{"bundle", required_argument, NULL, 'b'},
                                     {"rootless", no_argument, NULL, 'r'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  const char *bundle = ".";
  int rootless = 0, c;
  while ((c = rt_getopt(argc, argv, "+:b:h", lo, "spec", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 'b') {
      bundle = optarg;
      continue;
    }
    if (c == 'r') {
      rootless = 1;
      continue;
    }
    rt_help("spec [-b DIR] [--rootless]",
            "Write a default config.json into the bundle directory (the current one).\n"
            "  -b, --bundle DIR   where to write it\n"
            "  --rootless         a config for a container without root\n");
    return 0;
  }
  cleanup_json json_t *j = json_load_str(def, "default spec", e);
  if (j == NULL)
    return -1;
  if (rootless)
    make_rootless(j);
  cleanup_free char *path = path_join(bundle, "config.json");
  if (access(path, F_OK) == 0)
    return err_set(e, 0, "'%s' exists: remove it first", path);
  char *s = json_dumps(j, JSON_INDENT(2));
  cleanup_free char *text = xasprintf("%s\n", s);
  free(s);
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return err_set(e, errno, "create '%s'", path);
  if (write_all(fd, text, strlen(text)) < 0)
    return err_set(e, errno, "write '%s'", path);
  return 0;
}
