/* cmd_list.c — `list [--format table|json] [-q]`, runc's table and JSON. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "lifecycle.h"
#include "mem.h"

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The name of uid in /etc/passwd, as runc finds it (no NSS: the binary
 * is static, see build.mk), else "#uid". */
static char *owner_name(uid_t uid) {
  char *name = NULL;
  FILE *f = fopen("/etc/passwd", "re");
  struct passwd *pw;
  while (f != NULL && name == NULL && (pw = fgetpwent(f)) != NULL)
    if (pw->pw_uid == uid)
      name = xstrdup(pw->pw_name);
  if (f != NULL)
    fclose(f);
  return name ? name : xasprintf("#%u", (unsigned)uid);
}

int cmd_list(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                     {"quiet", no_argument, NULL, 'q'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  int json = 0, quiet = 0, c;
  while ((c = rt_getopt(argc, argv, "+:f:qh", lo, "list", e)) != -1) {
    switch (c) {
      case '?': return -1;
      case 'f':
        if (strcmp(optarg, "json") == 0)
          json = 1;
        else if (strcmp(optarg, "table") != 0)
          return err_usage(e, "list: --format: expected table or json, got '%s'", optarg);
        break;
      case 'q': quiet = 1; break;
      default:
        rt_help("list [-f table|json] [-q]", "List the containers under --root.\n"
                                             "  -f, --format FMT   table (default) or json\n"
                                             "  -q, --quiet        ids only\n");
        return 0;
    }
  }
  cleanup_strv char **ids = NULL;
  cleanup_dir DIR *d = opendir(g->root);
  if (d != NULL) {
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
      if (de->d_name[0] != '.' && rt_check_id(de->d_name, NULL) == 0)
        strv_push(&ids, de->d_name);
  }
  size_t n = strv_len(ids);
  if (n > 1)
    qsort(ids, n, sizeof(char *), cmp_str);
  cleanup_json json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    cleanup_close int dfd = state_open(g->root, ids[i], 0, NULL);
    struct rt_state st;
    if (dfd < 0 || state_read(dfd, ids[i], &st, NULL) < 0)
      continue; /* being created or deleted */
    json_t *j = state_json(&st, state_status(dfd, &st));
    struct stat sb;
    cleanup_free char *owner = owner_name(fstat(dfd, &sb) == 0 ? sb.st_uid : (uid_t)-1);
    json_object_set_new(j, "owner", json_string(owner));
    json_array_append_new(arr, j);
    state_free(&st);
  }
  if (quiet) {
    size_t i;
    json_t *j;
    json_array_foreach(arr, i, j) printf("%s\n", json_string_value(json_object_get(j, "id")));
    return 0;
  }
  if (json) {
    cleanup_free char *s = json_dump_compact(arr);
    printf("%s\n", s);
    return 0;
  }
  /* runc's tabwriter: minimum width 12, padding 3 */
  static const char *const cols[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
  size_t rows = json_array_size(arr) + 1;
  char **cell = xcalloc(rows * 6, sizeof(char *));
  for (int k = 0; k < 6; k++)
    cell[k] = xstrdup(cols[k]);
  for (size_t r = 1; r < rows; r++) {
    json_t *j = json_array_get(arr, r - 1);
    cell[r * 6 + 0] = xstrdup(json_string_value(json_object_get(j, "id")));
    cell[r * 6 + 1] = xasprintf("%lld", (long long)json_integer_value(json_object_get(j, "pid")));
    cell[r * 6 + 2] = xstrdup(json_string_value(json_object_get(j, "status")));
    cell[r * 6 + 3] = xstrdup(json_string_value(json_object_get(j, "bundle")));
    cell[r * 6 + 4] = xstrdup(json_string_value(json_object_get(j, "created")));
    cell[r * 6 + 5] = xstrdup(json_string_value(json_object_get(j, "owner")));
  }
  size_t w[6] = {0};
  for (size_t r = 0; r < rows; r++)
    for (int k = 0; k < 6; k++) {
      size_t l = strlen(cell[r * 6 + k]) + 3;
      if (l < 12)
        l = 12;
      if (l > w[k])
        w[k] = l;
    }
  for (size_t r = 0; r < rows; r++) {
    for (int k = 0; k < 5; k++)
      printf("%-*s", (int)w[k], cell[r * 6 + k]);
    printf("%s\n", cell[r * 6 + 5]);
  }
  for (size_t i = 0; i < rows * 6; i++)
    free(cell[i]);
  free(cell);
  return 0;
}
