/* seccomp_min — a build-time helper: reads spec/seccomp.json on stdin and
 * writes it compact and without the "comment" fields, the form embedded in
 * cairn-spec.  Parsing is most of cairn-spec's run time and scales with the
 * bytes, so the embedded copy carries none it does not need. */
#include <jansson.h>
#include <stdio.h>

int main(void) {
  json_error_t je;
  json_t *prof = json_loadf(stdin, JSON_REJECT_DUPLICATES, &je);
  if (prof == NULL) {
    fprintf(stderr, "seccomp_min: stdin:%d:%d: %s\n", je.line, je.column, je.text);
    return 1;
  }
  size_t i;
  json_t *rule;
  json_array_foreach(json_object_get(prof, "syscalls"), i, rule) {
    json_object_del(rule, "comment");
  }
  int rc = json_dumpf(prof, stdout, JSON_COMPACT) == 0 && fflush(stdout) == 0 ? 0 : 1;
  if (rc != 0)
    fprintf(stderr, "seccomp_min: write failed\n");
  json_decref(prof);
  return rc;
}
