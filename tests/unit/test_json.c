#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "unit.h"

static char tmpdir[] = "/tmp/cairn-unit-json.XXXXXX";

TEST(load_ok) {
  struct err *e = NULL;
  cleanup_json json_t *j = json_load_str("{\"a\": 1, \"b\": [true]}", "doc", &e);
  CHECK(j != NULL && e == NULL);
  CHECK(json_integer_value(json_object_get(j, "a")) == 1);
}

TEST(duplicate_keys_rejected_with_position) {
  struct err *e = NULL;
  json_t *j = json_load_str("{\"a\": 1,\n \"a\": 2}", "config.json", &e);
  CHECK(j == NULL);
  CHECK(e != NULL);
  if (e) {
    CHECK_STR(e->msg, "config.json:2:4: duplicate object key near '\"a\"'");
    CHECK(e->code == ERR_USAGE);
  }
  err_free(&e);
}

TEST(syntax_error_names_source) {
  struct err *e = NULL;
  CHECK(json_load_str("{\"a\": }", "stdin", &e) == NULL);
  CHECK(e != NULL && strncmp(e->msg, "stdin:1:", 8) == 0);
  err_free(&e);
}

TEST(unpack_wrong_type) {
  struct err *e = NULL;
  cleanup_json json_t *j = json_load_str("{\"a\": \"x\"}", "img", &e);
  json_int_t i = 0;
  CHECK(json_unpack_err(j, &e, "image config", "{s:I}", "a", &i) == -1);
  CHECK(e != NULL);
  if (e)
    CHECK_STR(e->msg, "image config: Expected integer, got string");
  err_free(&e);
  const char *s = NULL;
  CHECK(json_unpack_err(j, &e, "image config", "{s:s}", "a", &s) == 0);
  CHECK(e == NULL);
  CHECK_STR(s, "x");
  CHECK(json_unpack_err(j, &e, "image config", "{s:s}", "b", &s) == -1);
  if (e)
    CHECK_STR(e->msg, "image config: Object item not found: b");
  err_free(&e);
}

TEST(load_path_errors) {
  struct err *e = NULL;
  CHECK(json_load_path("/nonexistent/x.json", &e) == NULL);
  if (e)
    CHECK_STR(e->msg, "open '/nonexistent/x.json': No such file or directory");
  err_free(&e);
}

TEST(dump_and_write) {
  struct err *e = NULL;
  cleanup_json json_t *j = json_pack("{s:i, s:s}", "z", 1, "a", "b");
  cleanup_free char *c = json_dump_compact(j);
  CHECK(strchr(c, '\n') == NULL);
  cleanup_free char *p = json_dump_pretty(j);
  CHECK_STR(p, "{\n  \"a\": \"b\",\n  \"z\": 1\n}\n");
  cleanup_free char *path = path_join(tmpdir, "out.json");
  CHECK(json_write_file(j, path, &e) == 0);
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
  cleanup_json json_t *back = json_load_path(path, &e);
  CHECK(back != NULL && json_equal(back, j));
  cleanup_free char *text = read_file(path, 0, NULL, &e);
  CHECK_STR(text, p);
  err_free(&e);
}

TEST(accessors) {
  cleanup_json json_t *j = json_pack("{s:s, s:{}, s:[], s:i}", "s", "v", "o", "a", "i", 3);
  CHECK_STR(json_get_str(j, "s"), "v");
  CHECK(json_get_str(j, "i") == NULL);
  CHECK(json_get_obj(j, "o") != NULL && json_get_obj(j, "a") == NULL);
  CHECK(json_get_arr(j, "a") != NULL && json_get_arr(j, "o") == NULL);
  json_t *labels = json_obj_ensure(j, "labels");
  CHECK(json_is_object(labels) && json_get_obj(j, "labels") == labels);
  CHECK(json_obj_ensure(j, "labels") == labels); /* existing one kept */
  json_t *arr = json_arr_ensure(j, "s");         /* wrong type replaced */
  CHECK(json_is_array(arr) && json_get_arr(j, "s") == arr);
}

TEST(string_arrays) {
  json_t *a = json_pack("[ss]", "a", "b");
  json_t *mixed = json_pack("[si]", "a", 1);
  CHECK(json_is_strv(a));
  CHECK(!json_is_strv(mixed));
  CHECK(!json_is_strv(NULL));
  CHECK(json_array_has_str(a, "b"));
  CHECK(!json_array_has_str(a, "c"));
  json_decref(a);
  json_decref(mixed);
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL)
    return 2;
  RUN(load_ok);
  RUN(string_arrays);
  RUN(duplicate_keys_rejected_with_position);
  RUN(syntax_error_names_source);
  RUN(unpack_wrong_type);
  RUN(load_path_errors);
  RUN(dump_and_write);
  RUN(accessors);
  struct err *e = NULL;
  rm_rf(tmpdir, &e);
  err_free(&e);
  return UNIT_DONE();
}
