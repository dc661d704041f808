/* table.c — columns as docker prints them: Go's text/tabwriter with
 * minwidth 10, padding 3, blanks.  Cells are separated by tabs; text after
 * a line's last tab is not part of a column and is not padded.  Widths
 * count characters (UTF-8 runes), not bytes, so "…" is one.  (A stopgap
 * until lib/table.h lands.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "mem.h"

struct table {
  size_t nrows, cap;
  char ***rows; /* each a NULL-terminated list of cells */
};

struct table *table_new(void) {
  return xcalloc(1, sizeof(struct table));
}

void table_add(struct table *t, const char *line) {
  if (t->nrows == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 16;
    t->rows = xrealloc(t->rows, t->cap * sizeof *t->rows);
  }
  char **cells = NULL;
  const char *s = line;
  for (;;) {
    const char *tab = strchr(s, '\t');
    cleanup_free char *cell = tab ? xstrndup(s, (size_t)(tab - s)) : xstrdup(s);
    strv_push(&cells, cell);
    if (tab == NULL)
      break;
    s = tab + 1;
  }
  t->rows[t->nrows++] = cells;
}

static size_t runes(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      n++;
  return n;
}

void table_print(struct table *t) {
  size_t ncols = 0;
  for (size_t r = 0; r < t->nrows; r++)
    if (strv_len(t->rows[r]) > ncols)
      ncols = strv_len(t->rows[r]);
  cleanup_free size_t *w = xcalloc(ncols + 1, sizeof *w);
  /* a cell is in a column when a tab ends it: the last cell of a row is not */
  for (size_t r = 0; r < t->nrows; r++) {
    size_t n = strv_len(t->rows[r]);
    for (size_t c = 0; c + 1 < n; c++) {
      size_t cw = runes(t->rows[r][c]) + 3;
      if (cw > w[c])
        w[c] = cw;
    }
  }
  for (size_t c = 0; c < ncols; c++)
    if (w[c] < 10)
      w[c] = 10;
  for (size_t r = 0; r < t->nrows; r++) {
    size_t n = strv_len(t->rows[r]);
    for (size_t c = 0; c < n; c++) {
      const char *s = t->rows[r][c];
      fputs(s, stdout);
      if (c + 1 < n)
        for (size_t k = runes(s); k < w[c]; k++)
          fputc(' ', stdout);
    }
    fputc('\n', stdout);
  }
}

void table_free(struct table *t) {
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->nrows; i++)
    strv_free(t->rows[i]);
  free(t->rows);
  free(t);
}
