/* cmd_volume.c — `cairn volume` (named volumes: $CAIRN_ROOT/volumes/NAME/
 * _data, docker's "local" driver). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "runopts.h"
#include "table.h"

static const char volume_help[] =
    "Usage: cairn volume COMMAND\n\n"
    "Manage volumes.\n\n"
    "Commands:\n"
    "  create [NAME]        create a volume (a random name without NAME; --label, -o)\n"
    "  ls [-q] [-f K=V] [--format STR]\n"
    "                       list volumes (filters: dangling=, name=, driver=, label=)\n"
    "  inspect NAME...      display detailed information on volumes\n"
    "  rm [-f] NAME...      remove volumes (not those in use)\n"
    "  prune [-f] [--filter label=…]  remove volumes no container uses\n";

static char *volume_top(const char *name) {
  return xasprintf("%s/volumes/%s", C.root, name);
}

static bool volume_exists(const char *name) {
  cleanup_free char *d = volume_dir(name);
  struct stat st;
  return stat(d, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The containers (names) that mount volume name. */
static char *users_of(const char *name) {
  char *out = NULL;
  cleanup_strv char **ids = ctr_list_ids();
  for (size_t i = 0; ids[i] != NULL; i++) {
    struct err *e = NULL;
    cleanup_json json_t *c = ctr_load(ids[i], &e);
    err_free(&e);
    size_t k;
    json_t *m;
    json_array_foreach(json_get_arr(c, "mounts"), k, m) {
      const char *n = json_get_str(m, "Name");
      if (n == NULL || strcmp(n, name) != 0)
        continue;
      char *next = xasprintf("%s%s%.12s", out ? out : "", out ? ", " : "", ids[i]);
      free(out);
      out = next;
      break;
    }
  }
  return out;
}

static json_t *volume_json(const char *name) {
  cleanup_free char *top = volume_top(name);
  cleanup_free char *data = volume_dir(name);
  struct stat st;
  struct timespec ts = {0};
  if (stat(top, &st) == 0)
    ts = st.st_mtim;
  cleanup_free char *created = fmt_rfc3339nano(&ts);
  cleanup_json json_t *meta = volume_meta(name);
  json_t *labels = json_get_obj(meta, "Labels"), *opts = json_get_obj(meta, "Options");
  return json_pack("{s:s,s:s,s:O,s:s,s:s,s:O,s:s}", "CreatedAt", created, "Driver", "local",
                   "Labels", labels ? labels : json_object(), "Mountpoint", data, "Name", name,
                   "Options", opts ? opts : json_object(), "Scope", "local");
}

json_t *volume_inspect_json(const char *name, struct err **e) {
  if (!volume_name_valid(name) || !volume_exists(name)) {
    err_setc(e, ERR_NOTFOUND, 0, "no such volume: %s", name);
    return NULL;
  }
  return volume_json(name);
}

/* K=V into obj (a bare K is K=""); -o needs the =. */
static int add_kv(json_t *obj, const char *flag, const char *kv, bool need_eq, struct err **e) {
  const char *eq = strchr(kv, '=');
  if ((eq == NULL && need_eq) || eq == kv)
    return err_usage(e, "invalid argument \"%s\" for \"%s\" flag: expected KEY=VALUE", kv, flag);
  cleanup_free char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
  json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
  return 0;
}

static const char volume_create_help[] =
    "Usage: cairn volume create [OPTIONS] [VOLUME]\n\n"
    "Create a volume (a random name without VOLUME).\n\n"
    "Options:\n"
    "  -d, --driver NAME    volume driver (only \"local\")\n"
    "      --label K=V      set metadata on the volume (repeatable)\n"
    "  -o, --opt K=V        local driver options: type=FSTYPE, device=DEV, o=MOUNTOPTS;\n"
    "                       the filesystem is mounted when a container first uses it\n"
    "                       (type=none,o=bind,device=/path binds a host directory)\n";

static int volume_create(int argc, char **argv, struct err **e) {
  const char *name = NULL;
  cleanup_json json_t *labels = json_object(), *opts = json_object();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
      return usage_print(volume_create_help);
    const char *longs[] = {"--driver", "--label", "--opt"};
    const char *flag = NULL;
    for (size_t k = 0; k < 3 && flag == NULL; k++) {
      size_t l = strlen(longs[k]);
      if (strncmp(a, longs[k], l) == 0 && a[l] == '=')
        flag = longs[k], val = a + l + 1;
      else if (strcmp(a, longs[k]) == 0)
        flag = longs[k];
    }
    if (flag == NULL && (strcmp(a, "-d") == 0 || strcmp(a, "-o") == 0))
      flag = a[1] == 'd' ? "--driver" : "--opt";
    if (flag != NULL && val == NULL) {
      if (i + 1 >= argc)
        return err_usage(e, "flag needs an argument: %s", a);
      val = argv[++i];
    }
    if (flag != NULL && strcmp(flag, "--driver") == 0) {
      if (strcmp(val, "local") != 0)
        return err_usage(e, "error looking up volume plugin %s: plugin \"%s\" not found", val, val);
      continue;
    }
    if (flag != NULL && strcmp(flag, "--label") == 0) {
      if (add_kv(labels, "--label", val, false, e) < 0)
        return -1;
      continue;
    }
    if (flag != NULL) {
      if (add_kv(opts, "--opt", val, true, e) < 0)
        return -1;
      continue;
    }
    if (a[0] == '-')
      return err_usage(e, "unknown flag: %s (see 'cairn volume create --help')", a);
    if (name != NULL)
      return err_usage(e, "\"cairn volume create\" takes at most 1 argument");
    name = a;
  }
  if (volume_opts_check(opts, e) < 0)
    return -1;
  const char *dev = json_get_str(opts, "device");
  if (dev != NULL && strcmp(json_get_str(opts, "type"), "none") == 0 && access(dev, F_OK) < 0)
    return err_set(e, errno, "invalid volume option device=%s", dev);
  char rnd[65];
  if (name == NULL) {
    random_id(rnd);
    name = rnd;
  }
  if (!volume_name_valid(name))
    return err_usage(e, "invalid volume name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                     name);
  /* An existing volume: fine when asked the same way, as docker has it. */
  if (volume_exists(name)) {
    cleanup_json json_t *had = volume_meta(name);
    json_t *hl = json_get_obj(had, "Labels"), *ho = json_get_obj(had, "Options");
    bool same_opts = ho ? json_equal(ho, opts) : json_object_size(opts) == 0;
    bool same_labels = hl ? json_equal(hl, labels) : json_object_size(labels) == 0;
    if (!same_opts || !same_labels)
      return err_setc(e, ERR_EXISTS, 0, "volume \"%s\" already exists with other options or labels",
                      name);
    printf("%s\n", name);
    return 0;
  }
  cleanup_free char *d = volume_dir(name);
  if (mkdir_p(d, 0755, e) < 0)
    return -1;
  if (json_object_size(labels) > 0 || json_object_size(opts) > 0) {
    cleanup_free char *mp = xasprintf("%s/volumes/%s/opts.json", C.root, name);
    cleanup_json json_t *meta = json_pack("{s:O,s:O}", "Labels", labels, "Options", opts);
    if (json_write_file(meta, mp, e) < 0) {
      cleanup_free char *top = volume_top(name);
      struct err *ig = NULL;
      if (rm_rf(top, &ig) < 0)
        err_free(&ig);
      return -1;
    }
  }
  event_log("volume", "create", name, json_pack("{s:s}", "driver", "local"));
  printf("%s\n", name);
  return 0;
}

static char **volume_names(void) {
  char **v = xcalloc(1, sizeof *v);
  cleanup_free char *dir = xasprintf("%s/volumes", C.root);
  cleanup_dir DIR *d = opendir(dir);
  struct dirent *de;
  while (d != NULL && (de = readdir(d)) != NULL)
    if (de->d_name[0] != '.' && volume_exists(de->d_name))
      strv_push(&v, de->d_name);
  return v;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool volume_keep(const char *name, char **filters) {
  for (size_t i = 0; filters && filters[i]; i++) {
    const char *f = filters[i], *v = strchr(f, '=') + 1;
    if (strncmp(f, "name=", 5) == 0 && strstr(name, v) == NULL)
      return false;
    if (strncmp(f, "driver=", 7) == 0 && strcmp(v, "local") != 0)
      return false;
    if (strncmp(f, "label=", 6) == 0) {
      cleanup_json json_t *meta = volume_meta(name);
      if (!labels_match(json_get_obj(meta, "Labels"), v))
        return false;
    }
    if (strncmp(f, "dangling=", 9) == 0) {
      cleanup_free char *users = users_of(name);
      bool want = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
      if ((users == NULL) != want)
        return false;
    }
  }
  return true;
}

static int volume_ls(int argc, char **argv, struct err **e) {
  bool quiet = false;
  const char *format = NULL;
  cleanup_strv char **filters = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = NULL;
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      quiet = true;
      continue;
    }
    if ((strcmp(a, "-f") == 0 || strcmp(a, "--filter") == 0 || strcmp(a, "--format") == 0) &&
        i + 1 < argc)
      val = argv[++i];
    else if (strncmp(a, "--filter=", 9) == 0 || strncmp(a, "--format=", 9) == 0)
      val = a + 9;
    else
      return err_usage(e, "unknown flag: %s (see 'cairn volume --help')", a);
    if (strncmp(a, "--format", 8) == 0) {
      format = val;
      continue;
    }
    const char *eq = strchr(val, '=');
    if (eq == NULL || eq == val)
      return err_usage(e, "bad format of filter (expected name=value)");
    size_t kl = (size_t)(eq - val);
    if (!((kl == 4 && strncmp(val, "name", 4) == 0) ||
          (kl == 6 && strncmp(val, "driver", 6) == 0) ||
          (kl == 5 && strncmp(val, "label", 5) == 0) ||
          (kl == 8 && strncmp(val, "dangling", 8) == 0)))
      return err_usage(e, "invalid filter '%.*s'", (int)kl, val);
    strv_push(&filters, val);
  }
  cleanup_strv char **names = volume_names();
  qsort(names, strv_len(names), sizeof *names, cmp_str);
  cleanup_json json_t *rows = json_array();
  for (size_t i = 0; names[i] != NULL; i++) {
    if (!volume_keep(names[i], filters))
      continue;
    if (quiet) {
      printf("%s\n", names[i]);
      continue;
    }
    cleanup_free char *mp = volume_dir(names[i]);
    json_array_append_new(rows,
                          json_pack("{s:s,s:s,s:s,s:s,s:s}", "Driver", "local", "Name", names[i],
                                    "Scope", "local", "Mountpoint", mp, "Labels", ""));
  }
  if (quiet)
    return 0;
  if (format == NULL || *format == '\0' || strcmp(format, "table") == 0)
    format = "table {{.Driver}}\t{{.Name}}";
  static const struct table_col cols[] = {{"Driver", "DRIVER"}, {"Name", "VOLUME NAME"},
                                          {"Scope", "SCOPE"},   {"Mountpoint", "MOUNTPOINT"},
                                          {"Labels", "LABELS"}, {NULL, NULL}};
  cleanup_free char *out = NULL;
  size_t len = 0;
  if (table_format(format, rows, cols, NULL, &out, &len, e) < 0)
    return -1;
  fwrite(out, 1, len, stdout);
  return 0;
}

static int volume_inspect(int argc, char **argv, struct err **e) {
  return inspect_command(argc, argv, "volume", volume_inspect_json, e);
}

static int volume_rm(int argc, char **argv, bool prune, struct err **e) {
  bool force = false;
  cleanup_strv char **names = NULL;
  struct prune_filter f __attribute__((cleanup(prune_filter_free))) = {0};
  for (int i = 1; i < argc; i++) {
    const char *fv = NULL;
    if (prune && strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
      fv = argv[++i];
    else if (prune && strncmp(argv[i], "--filter=", 9) == 0)
      fv = argv[i] + 9;
    if (fv != NULL) {
      /* docker's volume prune has no until */
      if (prune_filter_add(&f, fv, false, e) < 0)
        return -1;
      continue;
    }
    if (prune && strcmp(argv[i], "--help") == 0)
      return usage_print("Usage: cairn volume prune [OPTIONS]\n\n"
                         "Remove all volumes no container uses.\n\nOptions:\n"
                         "      --filter K=V   label=K[=V], label!=K[=V]\n"
                         "  -f, --force        do not ask\n");
    if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0)
      force = true;
    else if (argv[i][0] == '-')
      return err_usage(e, "unknown flag: %s (see 'cairn volume --help')", argv[i]);
    else if (!prune)
      strv_push(&names, argv[i]);
  }
  if (prune) {
    if (!prune_confirm("WARNING! This will remove all volumes not used by at least one "
                       "container.\n",
                       force))
      return 0;
    names = volume_names();
  } else if (names == NULL) {
    return err_usage(e, "\"cairn volume rm\" requires at least 1 argument");
  }
  int rc = 0;
  bool header = false;
  for (size_t i = 0; names[i] != NULL; i++) {
    const char *n = names[i];
    if (!volume_exists(n)) {
      if (!force) {
        fprintf(stderr, "cairn: no such volume: %s\n", n);
        rc = 1;
      }
      continue;
    }
    if (prune) {
      cleanup_json json_t *meta = volume_meta(n);
      if (!prune_filter_match(&f, json_get_obj(meta, "Labels"), NULL))
        continue;
    }
    cleanup_free char *users = users_of(n);
    if (users != NULL) {
      if (!prune) {
        fprintf(stderr, "cairn: remove %s: volume is in use - [%s]\n", n, users);
        rc = 1;
      }
      continue;
    }
    cleanup_free char *top = volume_top(n);
    struct err *re = NULL;
    if (volume_unmount(n, &re) < 0 || rm_rf(top, &re) < 0) {
      err_show(re);
      err_free(&re);
      rc = 1;
      continue;
    }
    event_log("volume", "destroy", n, json_pack("{s:s}", "driver", "local"));
    if (prune && !header)
      printf("Deleted Volumes:\n");
    header = true;
    printf("%s\n", n);
  }
  if (prune)
    printf("%sTotal reclaimed space: 0B\n", header ? "\n" : "");
  return rc;
}

int cmd_volume(int argc, char **argv, struct err **e) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fputs(volume_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? err_usage(e, "\"cairn volume\" requires a command") : 0;
  }
  const char *sub = argv[1];
  static const char *const helps[][2] = {
      {"ls", "Usage: cairn volume ls [OPTIONS]\n\nList volumes.\n\nOptions:\n"
             "  -f, --filter K=V     dangling=true|false, name=…, driver=local, label=K[=V]\n"
             "      --format STR     a Go template, 'table …' or 'json'\n"
             "  -q, --quiet          only the names\n"},
      {"rm", "Usage: cairn volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
             "Remove volumes (not those a container uses).\n\nOptions:\n"
             "  -f, --force          no error for a volume that does not exist\n"},
      {"prune", "Usage: cairn volume prune [OPTIONS]\n\n"
                "Remove all volumes no container uses.\n\nOptions:\n"
                "  -f, --force          do not ask for confirmation\n"}};
  for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
    if (strcmp(sub, helps[i][0]) == 0 && argc > 2 &&
        (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
      return usage_print(helps[i][1]);
  if (strcmp(sub, "create") == 0)
    return volume_create(argc - 1, argv + 1, e);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
    return volume_ls(argc - 1, argv + 1, e);
  if (strcmp(sub, "inspect") == 0)
    return volume_inspect(argc - 1, argv + 1, e);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
    return volume_rm(argc - 1, argv + 1, false, e);
  if (strcmp(sub, "prune") == 0)
    return volume_rm(argc - 1, argv + 1, true, e);
  return err_usage(e, "'volume %s' is not a cairn command (see 'cairn volume --help')", sub);
}
