#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "journal.h"
#include "json.h"
#include "mem.h"
#include "unit.h"

static char tmpdir[] = "/tmp/cairn-unit-journal.XXXXXX";

/* The lines of path, each parsed; NULL when one does not parse. */
static json_t *lines_of(const char *path) {
  cleanup_free char *text = read_file(path, 0, NULL, NULL);
  if (text == NULL)
    return json_array();
  json_t *a = json_array();
  char *save = NULL;
  for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
    json_t *j = json_loads(l, 0, NULL);
    if (j == NULL) {
      json_decref(a);
      return NULL;
    }
    json_array_append_new(a, j);
  }
  return a;
}

TEST(path_from_env_and_root) {
  unsetenv("CAIRN_EVENTS");
  cleanup_free char *a = journal_path("/r");
  CHECK_STR(a, "/r/events.jsonl");
  setenv("CAIRN_EVENTS", "/x/j.jsonl", 1);
  cleanup_free char *b = journal_path("/r");
  CHECK_STR(b, "/x/j.jsonl");
  setenv("CAIRN_EVENTS", "", 1);
  CHECK(journal_path("/r") == NULL);
  unsetenv("CAIRN_EVENTS");
  setenv("CAIRN_EVENTS_MAX_SIZE", "123", 1);
  CHECK(journal_cap() == 123);
  setenv("CAIRN_EVENTS_MAX_SIZE", "12x", 1);
  CHECK(journal_cap() == JOURNAL_CAP);
  setenv("CAIRN_EVENTS_MAX_SIZE", "-5", 1);
  CHECK(journal_cap() == JOURNAL_CAP);
  unsetenv("CAIRN_EVENTS_MAX_SIZE");
}

TEST(docker_shape) {
  json_t *ev =
      journal_event("container", "die", "abc",
                    json_pack("{s:s,s:s,s:s}", "image", "busybox", "name", "n", "exitCode", "3"));
  CHECK_STR(json_get_str(ev, "Type"), "container");
  CHECK_STR(json_get_str(ev, "status"), "die");
  CHECK_STR(json_get_str(ev, "from"), "busybox");
  CHECK_STR(json_get_str(ev, "scope"), "local");
  CHECK_STR(json_get_str(json_get_obj(ev, "Actor"), "ID"), "abc");
  json_int_t t = json_integer_value(json_object_get(ev, "time"));
  json_int_t tn = json_integer_value(json_object_get(ev, "timeNano"));
  CHECK(t > 0 && tn / 1000000000 == t);
  json_decref(ev);
  ev = journal_event("image", "tag", "sha256:1", NULL);
  CHECK(json_object_get(ev, "status") == NULL && json_object_get(ev, "from") == NULL);
  CHECK(json_object_size(json_get_obj(json_get_obj(ev, "Actor"), "Attributes")) == 0);
  json_decref(ev);
}

/* Children append at once: every line whole, none lost. */
TEST(concurrent_appends_and_dirs) {
  cleanup_free char *path = xasprintf("%s/made/on/demand/events.jsonl", tmpdir);
  enum { KIDS = 4, EACH = 200 };
  for (int k = 0; k < KIDS; k++) {
    if (fork() == 0) {
      for (int i = 0; i < EACH; i++) {
        struct err *e = NULL;
        if (journal_write(path, "volume", "create", "v", json_pack("{s:s}", "pad", "xxxxxxxx"),
                          &e) < 0)
          _exit(1);
      }
      _exit(0);
    }
  }
  int ok = 1, st;
  while (wait(&st) > 0)
    ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  CHECK(ok);
  json_t *lines = lines_of(path);
  CHECK(lines != NULL && json_array_size(lines) == KIDS * EACH);
  json_decref(lines);
  struct err *e = NULL;
  CHECK(journal_write(NULL, "volume", "create", "v", json_object(), &e) == 0);
}

TEST(rotation) {
  cleanup_free char *path = xasprintf("%s/rot/events.jsonl", tmpdir);
  cleanup_free char *old = xasprintf("%s.1", path);
  setenv("CAIRN_EVENTS_MAX_SIZE", "1000", 1);
  struct err *e = NULL;
  for (int i = 0; i < 30; i++)
    CHECK(journal_write(path, "volume", "create", "v", NULL, &e) == 0);
  unsetenv("CAIRN_EVENTS_MAX_SIZE");
  struct stat a, b;
  CHECK(stat(path, &a) == 0 && a.st_size < 1000 + 300);
  CHECK(stat(old, &b) == 0 && b.st_size >= 1000);
  /* a journal that cannot be opened is an error for the caller to drop */
  CHECK(journal_write("/proc/version/x", "volume", "create", "v", NULL, &e) == -1);
  CHECK(e != NULL);
  err_free(&e);
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL)
    return 2;
  RUN(path_from_env_and_root);
  RUN(docker_shape);
  RUN(concurrent_appends_and_dirs);
  RUN(rotation);
  struct err *e = NULL;
  rm_rf(tmpdir, &e);
  err_free(&e);
  return UNIT_DONE();
}
