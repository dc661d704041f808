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
#include <unistd.h>

#include "cairn.h"
#include "fmt.h"
#include "json.h"
#include "mem.h"

int prune_args(int argc, char **argv, unsigned allow, const char *help, const char *what,
               struct prune_opts *o, struct err **e) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *fv = NULL;
    if (strcmp(a, "-f") == 0 || strcmp(a, "--force") == 0)
      o->force = true;
    else if ((allow & PRUNE_ALL) && (strcmp(a, "-a") == 0 || strcmp(a, "--all") == 0))
      o->all = true;
    else if ((allow & PRUNE_ALL) && (strcmp(a, "-af") == 0 || strcmp(a, "-fa") == 0))
      o->all = o->force = true;
    else if ((allow & PRUNE_VOLUMES) && strcmp(a, "--volumes") == 0)
      o->volumes = true;
    else if (strcmp(a, "--filter") == 0 && i + 1 < argc)
      fv = argv[++i];
    else if (strncmp(a, "--filter=", 9) == 0)
      fv = a + 9;
    else if (strcmp(a, "--help") == 0)
      return usage_print(help) == 0 ? 1 : -1;
    else if (what != NULL)
      return err_usage(e, "unknown flag: %s (see 'cairn %s prune --help')", a, what);
    else
      return err_usage(e, "unknown flag: %s", a);
    if (fv != NULL && prune_filter_add(&o->f, fv, true, e) < 0)
      return -1;
  }
  return 0;
}

bool prune_confirm(const char *warning, bool force) {
  if (force || !isatty(0))
    return true;
  fprintf(stderr, "%sAre you sure you want to continue? [y/N] ", warning);
  char ans[16] = "";
  return fgets(ans, sizeof ans, stdin) != NULL && (ans[0] == 'y' || ans[0] == 'Y');
}

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

bool prune_filter_match(const struct prune_filter *f, const json_t *labels, const char *created) {
  for (size_t i = 0; f->labels && f->labels[i]; i++)
    if (!labels_match(labels, f->labels[i]))
      return false;
  if (f->not_labels != NULL) {
    bool all = true;
    for (size_t i = 0; f->not_labels[i]; i++)
      all = all && labels_match(labels, f->not_labels[i]);
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

void prune_opts_free(struct prune_opts *o) {
  prune_filter_free(&o->f);
}

void prune_filter_free(struct prune_filter *f) {
  strv_free(f->labels);
  strv_free(f->not_labels);
  memset(f, 0, sizeof *f);
}
