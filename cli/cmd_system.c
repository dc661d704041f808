/* cmd_system.c — what the object commands share for inspect output, and
 * the system-wide commands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "json.h"
#include "mem.h"
#include "template.h"

int inspect_print(const char *format, int n, char **refs, inspect_fn fn, struct err **e) {
  /* docker: -f json is the JSON of each object, one per line */
  struct tmpl *tmpl = NULL;
  if (format != NULL) {
    cleanup_free char *src = tmpl_preformat(format, NULL);
    tmpl = tmpl_parse(src, e);
    if (tmpl == NULL)
      return err_wrap(e, "template parsing error");
  }
  cleanup_json json_t *all = json_array();
  int rc = 0;
  for (int i = 0; i < n; i++) {
    struct err *ie = NULL;
    json_t *obj = fn(refs[i], &ie);
    if (obj == NULL) {
      err_show(ie);
      err_free(&ie);
      rc = 1;
      continue;
    }
    if (tmpl != NULL) {
      cleanup_free char *line = NULL;
      int r = tmpl_exec(tmpl, obj, &line, NULL, e);
      json_decref(obj);
      if (r < 0) {
        tmpl_free(tmpl);
        return -1;
      }
      printf("%s\n", line);
    } else {
      json_array_append_new(all, obj);
    }
  }
  if (tmpl == NULL) {
    cleanup_free char *s = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
  }
  tmpl_free(tmpl);
  return rc;
}
