/* prune.c — docker's --filter for the prune commands (container, image,
 * volume, network, system):
 *
 *   until=TIME        only what was created before TIME (RFC 3339, a Unix
 *                     time, YYYY-MM-DD or a Go duration before now)
 *   label=K, label=K=V     only what has the label (every such filter)
 *   label!=K, label!=K=V   not what matches (all such filters)
 *
 * Docker's errors: an unknown key is "invalid filter 'K'", a time it cannot
 * read "failed to parse value as time or duration: \"V\"". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "fmt.h"
#include "json.h"
#include "mem.h"

int prune_filter_add(struct prune_filter *f, const char *kv, bool until_ok, struct err **e) {
  const char *eq = strchr(kv, '=');
  if (eq == NULL)
    return err_usage(e, "bad format of filter (expected name=value)");
  size_t kl = (size_t)(eq - kv);
  const char *v = eq + 1;
  if (kl == 5 && strncmp(kv, "until", 5) == 0 && until_ok) {
    struct err *te = NULL;
    if (events_parse_when(v, &f->until_ns, &te) < 0) {
      err_free(&te);
      return err_usage(e, "failed to parse value as time or duration: \"%s\"", v);
    }
    f->has_until = true;
  } else if (kl == 5 && strncmp(kv, "label", 5) == 0) {
    strv_push(&f->labels, v);
  } else if (kl == 6 && strncmp(kv, "label!", 6) == 0) {
    strv_push(&f->not_labels, v);
  } else {
    return err_usage(e, "invalid filter '%.*s'", (int)kl, kv);
  }
  return 0;
}

static bool label_has(const json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  cleanup_free char *k = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
  const char *v = json_get_str(labels, k);
  return v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
}

bool prune_filter_match(const struct prune_filter *f, const json_t *labels, const char *created) {
  for (size_t i = 0; f->labels && f->labels[i]; i++)
    if (!label_has(labels, f->labels[i]))
      return false;
  if (f->not_labels != NULL) {
    bool all = true;
    for (size_t i = 0; f->not_labels[i]; i++)
      all = all && label_has(labels, f->not_labels[i]);
    if (all)
      return false;
  }
  if (f->has_until) {
    struct timespec ts;
    struct err *pe = NULL;
    if (created == NULL || parse_rfc3339(created, &ts, &pe) < 0) {
      err_free(&pe);
      return false; /* no creation time: not provably older */
    }
    if ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec >= f->until_ns)
      return false;
  }
  return true;
}

void prune_filter_argv(const struct prune_filter *f, bool with_until, char ***argv) {
  if (with_until && f->has_until) {
    struct timespec ts = {.tv_sec = f->until_ns / 1000000000, .tv_nsec = f->until_ns % 1000000000};
    cleanup_free char *t = fmt_rfc3339nano(&ts);
    cleanup_free char *kv = xasprintf("until=%s", t);
    strv_push(argv, "--filter");
    strv_push(argv, kv);
  }
  for (size_t i = 0; f->labels && f->labels[i]; i++) {
    cleanup_free char *kv = xasprintf("label=%s", f->labels[i]);
    strv_push(argv, "--filter");
    strv_push(argv, kv);
  }
  for (size_t i = 0; f->not_labels && f->not_labels[i]; i++) {
    cleanup_free char *kv = xasprintf("label!=%s", f->not_labels[i]);
    strv_push(argv, "--filter");
    strv_push(argv, kv);
  }
}

void prune_filter_free(struct prune_filter *f) {
  strv_free(f->labels);
  strv_free(f->not_labels);
  memset(f, 0, sizeof *f);
}
