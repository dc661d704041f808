/* Unit tests of lib/table: Go's text/tabwriter with docker's settings (the
 * expected layouts are what Go's tabwriter prints for the same input), the
 * header row of `table` formats, and docker's --format flow. */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "table.h"
#include "unit.h"

/* Lay out text with docker's settings, written in pieces of `step` bytes
 * to exercise the buffering. */
static char *layout(const char *text, size_t step) {
  struct table *t = table_new();
  size_t n = strlen(text);
  for (size_t i = 0; i < n; i += step)
    table_write(t, text + i, n - i < step ? n - i : step);
  char *out = table_flush(t, NULL);
  table_free(t);
  return out;
}

static void check_layout(const char *in, const char *want) {
  for (size_t step = 1; step <= 64; step *= 4) {
    cleanup_free char *out = layout(in, step);
    CHECK_STR(out, want);
  }
}

TEST(docker_ps_table) {
  check_layout("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n"
               "4c01db0b339c\tnginx\t\"nginx -g 'daemon of\xe2\x80\xa6\"\t2 hours ago\tUp 2 "
               "hours\t0.0.0.0:8080->80/tcp\tweb\n"
               "d7886598dbe2\tbusybox\t\"sh\"\t3 days ago\tExited (0) 3 days ago\t\tdb\n",
               "CONTAINER ID   IMAGE     COMMAND                  CREATED       STATUS        "
               "          PORTS                  NAMES\n"
               "4c01db0b339c   nginx     \"nginx -g 'daemon of\xe2\x80\xa6\"   2 hours ago   Up "
               "2 hours              0.0.0.0:8080->80/tcp   web\n"
               "d7886598dbe2   busybox   \"sh\"                     3 days ago    Exited (0) 3 "
               "days ago                          db\n");
}

TEST(columns_are_blocks_of_consecutive_lines) {
  /* tabwriter's own example: b and c are in different columns */
  check_layout("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n", "aaaa      bbb       d\n"
                                                                "aa        b         dd\n"
                                                                "a         \n"
                                                                "aa        cccc      eee\n");
  /* a line without a tab ends every column */
  check_layout("a\tb\nno tab line\nc\td\n", "a         b\nno tab line\nc         d\n");
  /* minwidth 10, padding 3 */
  check_layout("REPOSITORY\tTAG\nbusybox\tlatest\n", "REPOSITORY   TAG\nbusybox      latest\n");
  /* text after the last tab is in no column; an unterminated line stays */
  check_layout("x\ty", "x         y");
  check_layout("", "");
  check_layout("\t\t\n\ta\n", "                    \n          a\n");
}

TEST(widths_count_terminal_cells) {
  /* docker's tabwriter measures with go-runewidth: CJK is two cells wide,
   * accents one */
  check_layout("\xe5\x90\x8d\xe5\x89\x8d\tx\nab\ty\n",
               "\xe5\x90\x8d\xe5\x89\x8d      x\nab        y\n");
  check_layout("caf\xc3\xa9-latte-long\tx\nab\ty\n", "caf\xc3\xa9-latte-long   x\nab"
                                                     "                y\n");
}

/* Expected values from Go's tabwriter with the same settings. */
TEST(other_settings) {
  struct table *t = table_new_with(0, 8, 1, '.', TABLE_ALIGN_RIGHT);
  table_write(t, "a\tbbb\tc\naaaa\tb\t\n", 16);
  cleanup_free char *r = table_flush(t, NULL);
  CHECK_STR(r, "....a.bbbc\n.aaaa...b\n");
  table_free(t);

  t = table_new_with(0, 8, 1, ' ', TABLE_DEBUG);
  table_write(t, "a\tb\tc\n", 6);
  cleanup_free char *d = table_flush(t, NULL);
  CHECK_STR(d, "a |b |c\n");
  table_free(t);

  t = table_new_with(0, 4, 0, '\t', 0);
  table_write(t, "a\tb\naaaaa\tb\n", 12);
  cleanup_free char *tabs = table_flush(t, NULL);
  CHECK_STR(tabs, "a\t\tb\naaaaa\tb\n");
  table_free(t);

  t = table_new_with(0, 8, 1, ' ', TABLE_DISCARD_EMPTY);
  table_write(t, "a\v\vb\nc\v\vd\n", 10);
  cleanup_free char *disc = table_flush(t, NULL);
  CHECK_STR(disc, "a b\nc d\n");
  table_free(t);
}

TEST(flush_returns_only_new_output) {
  struct table *t = table_new();
  table_add_row(t, "NAME\tDRIVER");
  table_add_row(t, "bridge\tbridge");
  cleanup_free char *a = table_flush(t, NULL);
  CHECK_STR(a, "NAME      DRIVER\nbridge    bridge\n");
  table_add_row(t, "x\ty");
  size_t len = 0;
  cleanup_free char *b = table_flush(t, &len);
  CHECK_STR(b, "x         y\n");
  CHECK(len == strlen("x         y\n"));
  table_free(t);
}

static const struct table_col ps_cols[] = {
    {"ID", "CONTAINER ID"},    {"Image", "IMAGE"},   {"Command", "COMMAND"},
    {"RunningFor", "CREATED"}, {"Status", "STATUS"}, {"Ports", "PORTS"},
    {"Names", "NAMES"},        {"Labels", "LABELS"}, {NULL, NULL},
};

TEST(header_rows) {
  struct err *e = NULL;
  cleanup_free char *h = table_header_for(
      "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
      ps_cols, &e);
  CHECK_STR(h, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES");
  /* docker's header functions leave names alone; pad still pads */
  cleanup_free char *f =
      table_header_for("{{.Names | upper}}\t{{json .ID}}\t{{pad .Status 2 2}}|", ps_cols, &e);
  CHECK_STR(f, "NAMES\tCONTAINER ID\t  STATUS  |");
  /* a field without a header, and a failing header keeps its start */
  cleanup_free char *g = table_header_for("{{.ID}}\t{{.Size}}", ps_cols, &e);
  CHECK_STR(g, "CONTAINER ID\t<no value>");
  cleanup_free char *p = table_header_for("{{.ID}}\t{{.Label \"x\"}}\t{{.Names}}", ps_cols, &e);
  CHECK_STR(p, "CONTAINER ID\t");
  CHECK(e == NULL);
  CHECK(table_header_for("{{.ID", ps_cols, &e) == NULL);
  CHECK_STR(e ? e->msg : NULL, "template: :1: unclosed action");
  err_free(&e);
}

static json_t *rows(void) {
  return json_pack("[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}]", "ID", "4c01db0b339c", "Names", "web",
                   "Status", "Up 2 hours", "Labels", "a=b", "ID", "d7886598dbe2", "Names",
                   "database", "Status", "Exited (0) 3 days ago", "Labels", "");
}

TEST(format_flow) {
  cleanup_json json_t *r = rows();
  struct err *e = NULL;
  char *out = NULL;
  size_t len;

  CHECK(table_format("table {{.ID}}\\t{{.Names}}\\t{{.Status}}", r, ps_cols, NULL, &out, &len,
                     &e) == 0);
  CHECK_STR(out, "CONTAINER ID   NAMES      STATUS\n"
                 "4c01db0b339c   web        Up 2 hours\n"
                 "d7886598dbe2   database   Exited (0) 3 days ago\n");
  CHECK(out && len == strlen(out));
  free(out);

  CHECK(table_format("{{.ID}}: {{.Names}}", r, ps_cols, NULL, &out, NULL, &e) == 0);
  CHECK_STR(out, "4c01db0b339c: web\nd7886598dbe2: database\n");
  free(out);

  CHECK(table_format("json", r, ps_cols, NULL, &out, NULL, &e) == 0);
  CHECK_STR(out, "{\"ID\":\"4c01db0b339c\",\"Names\":\"web\",\"Status\":\"Up 2 "
                 "hours\",\"Labels\":\"a=b\"}\n{\"ID\":\"d7886598dbe2\",\"Names\":\"database\","
                 "\"Status\":\"Exited (0) 3 days ago\",\"Labels\":\"\"}\n");
  free(out);

  /* no rows: a table still has its header, other formats print nothing */
  cleanup_json json_t *none = json_array();
  CHECK(table_format("table {{.ID}}\t{{.Labels}}", none, ps_cols, NULL, &out, NULL, &e) == 0);
  CHECK_STR(out, "CONTAINER ID   LABELS\n");
  free(out);
  CHECK(table_format("{{.ID}}", none, ps_cols, NULL, &out, NULL, &e) == 0);
  CHECK_STR(out, "");
  free(out);
}

TEST(format_errors_read_as_docker) {
  cleanup_json json_t *r = rows();
  struct err *e = NULL;
  char *out = (char *)"unchanged";
  CHECK(table_format("table {{.ID}\\t{{.Names}}", r, ps_cols, NULL, &out, NULL, &e) == -1);
  CHECK(out == NULL);
  CHECK_STR(e ? e->msg : NULL, "template parsing error: template: :1: bad character U+007D '}'");
  CHECK(e && e->code == ERR_USAGE);
  err_free(&e);
  CHECK(table_format("table {{.Names}}\\t{{.Names.x}}", r, ps_cols, NULL, &out, NULL, &e) == -1);
  CHECK(out == NULL);
  CHECK_STR(e ? e->msg : NULL, "template parsing error: template: :1:19: executing \"\" at "
                               "<.Names.x>: can't evaluate field x in type interface {}");
  err_free(&e);
}

int main(void) {
  RUN(docker_ps_table);
  RUN(columns_are_blocks_of_consecutive_lines);
  RUN(widths_count_terminal_cells);
  RUN(other_settings);
  RUN(flush_returns_only_new_output);
  RUN(header_rows);
  RUN(format_flow);
  RUN(format_errors_read_as_docker);
  return UNIT_DONE();
}
