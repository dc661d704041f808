/* table.h — docker's tables: Go's text/tabwriter as docker's formatter
 * configures it (minwidth 10, tabwidth 1, padding 3, padchar ' ', no flags),
 * the header row of a `table` format, and docker's whole --format flow for a
 * list of rows.
 *
 * Cells are terminated by '\t' (or '\v'); lines by '\n' (or '\f', which
 * also ends every column).  Tab-terminated cells in consecutive lines form
 * a column, padded to its widest cell plus the padding, and at least
 * minwidth; the text after a line's last tab belongs to no column.  Widths
 * count terminal cells, as docker's fork of tabwriter does (go-runewidth):
 * East Asian wide runes count two, combining marks none.
 *
 *   struct table *tw = table_new();
 *   table_write(tw, "NAME\tSTATUS\n", 12);
 *   table_write(tw, "web\tUp 2 minutes\n", 17);
 *   char *out = table_flush(tw, NULL);   // "NAME      STATUS\nweb       Up 2 minutes\n"
 *   table_free(tw);
 */
#ifndef CAIRN_TABLE_H
#define CAIRN_TABLE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "template.h"

struct table;

enum {
  TABLE_ALIGN_RIGHT = 1 << 0,   /* tabwriter.AlignRight */
  TABLE_DISCARD_EMPTY = 1 << 1, /* tabwriter.DiscardEmptyColumns */
  TABLE_DEBUG = 1 << 2,         /* tabwriter.Debug: '|' between columns */
};

/* docker's settings. */
struct table *table_new(void);
/* Any settings, as tabwriter.NewWriter(minwidth, tabwidth, padding, padchar,
 * flags); a '\t' padchar pads with tabs of width tabwidth. */
struct table *table_new_with(int minwidth, int tabwidth, int padding, char padchar, unsigned flags);
void table_free(struct table *t);

/* tabwriter.Write: text is buffered until a line without a tab, a '\f' or
 * table_flush shows that no later line can change the columns. */
void table_write(struct table *t, const char *s, size_t n);
/* table_write of row and a newline. */
void table_add_row(struct table *t, const char *row);
/* tabwriter.Flush: lay out everything written and return all output not yet
 * returned (malloc'd, NUL-terminated; length in *len when len is not
 * NULL).  The table can be written to again afterwards. */
char *table_flush(struct table *t, size_t *len);

/* A column of a `table` format: the field a template names (".ID") and the
 * header docker prints for it ("CONTAINER ID").  Arrays of these end with
 * a {NULL, NULL} entry. */
struct table_col {
  const char *field;
  const char *header;
};

/* docker's header row: t executed with TMPL_HEADER against an object that
 * maps each field to its header, so "{{.ID}}\t{{.Names}}" gives
 * "CONTAINER ID\tNAMES".  A field without a header prints <no value>, and a
 * header that fails part-way keeps what was printed before the failure, as
 * docker ignores that error.  Returns malloc'd text without a newline. */
char *table_header(const struct tmpl *t, const struct table_col *cols);
/* The same from template text (as given to tmpl_parse); NULL and *e when it
 * does not parse. */
char *table_header_for(const char *tmpl_src, const struct table_col *cols, struct err **e);

/* docker's formatter.Context.Write for a --format value over rows (a JSON
 * array, each element one row's data): "table ..." prints the header row
 * and the rows through a table; "json" prints {{json .}} per row; any other
 * template prints one line per row.  cols gives the headers, o the methods
 * (may be NULL).  Errors read as docker's: "template parsing error: ...".
 * The caller picks the default format for "" and a bare "table". */
int table_format(const char *format, json_t *rows, const struct table_col *cols,
                 const struct tmpl_opts *o, char **out, size_t *len, struct err **e);

#endif
