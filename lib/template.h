/* template.h — Go text/template, as docker's --format uses it, over jansson values.
 *
 * Every `--format` of the cairn CLI goes through this one engine: parse once,
 * execute per row.  Output matches what docker (Go's text/template plus
 * docker's templates.basicFunctions) prints for the same data, where the data
 * is what docker's raw-JSON fallback sees: a map[string]interface{} with JSON
 * integers as int and other numbers as float64.
 *
 *   struct err *e = NULL;
 *   struct tmpl *t = tmpl_parse("{{.ID}}: {{.Command}}", &e);
 *   char *out; size_t len;
 *   for each row: tmpl_exec(t, row, &out, &len, &e) ... free(out);
 *   tmpl_free(t);
 *
 * Supported: text and actions; comments ({{/ * ... * /}} without the inner
 * spaces); trimming {{- and -}};
 * fields and chains (.A.B, $v.A, (pipeline).A); $ and variables (:= and =);
 * pipelines with |; parenthesized arguments; string ("..." and `raw`),
 * character, number, bool and nil literals; if / else if / else / end,
 * range (with $i, $e :=, else, break, continue), with / else; Go's builtins
 * and, or, not, len, index, slice, print, printf, println, eq, ne, lt, le,
 * gt, ge, html, js, urlquery; docker's json, split, join, title, lower,
 * upper, pad, truncate; define, template and block.  Not supported: complex
 * numbers (a parse error says so), the `call` builtin (no function values),
 * printf's %b and %p on floats and maps; {{template}} nests at most 1000
 * deep (Go: 100000).
 *
 * Values print as Go's fmt does: objects as map[k:v ...] with sorted keys,
 * arrays as [a b c], a missing key as <no value>, null inside a container as
 * <nil>, integers without a decimal point, other numbers in Go's shortest
 * form (1e+06, 0.5).  `json` writes compact JSON like Go's encoder with HTML
 * escaping off; object keys stay in the order the json_t holds them (docker's
 * typed structs print in field order; build map-like objects sorted).
 * `join` takes any array whose elements are all strings, as docker's typed
 * []string fields are (Go would refuse a []interface{}).
 *
 * Errors read as Go's: parse errors "template: :LINE: MSG" (err code
 * ERR_USAGE), exec errors "template: :LINE:COL: executing \"\" at <NODE>: MSG"
 * (ERR_FAIL).  docker prefixes both with "template parsing error: "; callers
 * add that with err_wrap.
 */
#ifndef CAIRN_TEMPLATE_H
#define CAIRN_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct tmpl;

/* Parse src.  NULL and *e on a syntax error. */
struct tmpl *tmpl_parse(const char *src, struct err **e);
void tmpl_free(struct tmpl *t);

/* Execute t against data (borrowed; NULL acts as Go's nil data) and return
 * the output in *out (malloc'd, NUL-terminated, length in *len when len is
 * not NULL).  On failure returns -1, fills *e and sets *out to NULL: docker
 * prints nothing of a row whose template failed.  A template is not changed
 * by executing it, so one parse serves any number of rows. */
int tmpl_exec(const struct tmpl *t, json_t *data, char **out, size_t *len, struct err **e);

/* docker's format contexts have methods that take arguments, such as ps's
 * {{.Label "com.example.x"}}.  A method named like a field is looked up
 * before the field (as Go looks up methods first) when its receiver is an
 * object.  fn gets the receiver and the evaluated arguments (borrowed; NULL
 * for a missing value) and returns a new reference, or NULL with *e set,
 * which becomes "error calling NAME: MSG". */
struct tmpl_method {
  const char *name;
  int nargs; /* exact number of arguments; -1 for any */
  json_t *(*fn)(void *ud, json_t *recv, json_t *const *args, size_t nargs, struct err **e);
};

enum {
  /* docker's HeaderFunctions: json, split, join, title, lower, upper and
   * truncate return their first argument unchanged (pad keeps working) so a
   * header row shows the column names as given. */
  TMPL_HEADER = 1 << 0,
};

struct tmpl_opts {
  unsigned flags;
  const struct tmpl_method *methods; /* array ended by a NULL name, or NULL */
  void *ud;                          /* passed to methods */
};

/* tmpl_exec with options (o may be NULL).  With keep_partial, a failed run
 * still returns what was written before the error in *out (docker prints a
 * table header that way). */
int tmpl_exec_opts(const struct tmpl *t, json_t *data, const struct tmpl_opts *o, int keep_partial,
                   char **out, size_t *len, struct err **e);

/* docker's `table` directive: 1 when format starts with "table" (as docker
 * tests it, a plain prefix) with *rest pointing after those five bytes;
 * 0 otherwise with *rest = format.  rest may be NULL. */
int tmpl_is_table(const char *format, const char **rest);

/* docker's formatter preFormat: "table X" -> X with *is_table = 1, "json" ->
 * "{{json .}}", then spaces trimmed from both ends and the two-character
 * sequences \t and \n replaced by a tab and a newline (so that
 * --format 'table {{.ID}}\t{{.Name}}' works from a shell).  Returns the
 * template text to parse (malloc'd); is_table may be NULL. */
char *tmpl_preformat(const char *format, int *is_table);

/* Go's strconv.Quote of s[0..n): what docker's ps prints as COMMAND.
 * Returns malloc'd text. */
char *tmpl_go_quote(const char *s, size_t n);

/* Go's encoding/json encoding of j as docker's `json` function writes it
 * (compact, no HTML escaping, Go's float form).  Returns malloc'd text. */
char *tmpl_json(const json_t *j);

#endif
