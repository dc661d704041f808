/* table.c — Go's text/tabwriter (elastic tabstops) as docker uses it, and
 * docker's --format flow on top of lib/template.
 *
 * The layout follows tabwriter's: all text goes to one buffer, each line is
 * a list of cells (size in bytes, width in terminal cells, whether a tab
 * ended it), and format() walks the lines recursively: a run of consecutive
 * lines that have a cell in column k is a block whose width is the widest
 * of those cells plus padding; the columns right of k are laid out within
 * the block before moving on. */
#include "table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

struct cell {
  size_t size;
  int width;
  bool htab;
};

struct line {
  struct cell *cells;
  size_t n, cap;
};

struct table {
  int minwidth, tabwidth, padding;
  char padchar;
  unsigned flags;
  struct tbuf buf; /* cell text without tabs and newlines */
  size_t pos;      /* buf offset up to which cell.width is counted */
  struct cell cell;
  struct line *lines;
  size_t nlines, caplines;
  int *widths;
  size_t nwidths, capwidths;
  struct tbuf out;
};

/* go-runewidth's width of a rune, for the ranges that occur in practice. */
static int rune_width(int32_t r) {
  if (r < 0x20 || (r >= 0x7F && r < 0xA0))
    return 0;
  if ((r >= 0x300 && r <= 0x36F) || (r >= 0x483 && r <= 0x489) || (r >= 0x591 && r <= 0x5BD) ||
      (r >= 0x200B && r <= 0x200F) || (r >= 0x20D0 && r <= 0x20FF) ||
      (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xFE20 && r <= 0xFE2F))
    return 0; /* combining marks, zero-width characters, variation selectors */
  if ((r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0x303E) ||
      (r >= 0x3041 && r <= 0x33FF) || (r >= 0x3400 && r <= 0x4DBF) ||
      (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xA000 && r <= 0xA4CF) ||
      (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
      (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
      (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
      (r >= 0x1F900 && r <= 0x1F9FF) || (r >= 0x20000 && r <= 0x3FFFD))
    return 2; /* East Asian wide and fullwidth, emoji */
  return 1;
}

static int text_width(const char *s, size_t n) {
  int w = 0;
  for (size_t i = 0; i < n;) {
    int len;
    int32_t r = utf8_decode(s + i, n - i, &len);
    w += rune_width(r);
    i += (size_t)len;
  }
  return w;
}

static void add_line(struct table *t) {
  if (t->nlines == t->caplines) {
    t->caplines = t->caplines ? t->caplines * 2 : 16;
    t->lines = xrealloc(t->lines, t->caplines * sizeof(*t->lines));
  }
  t->lines[t->nlines++] = (struct line){0};
}

static void reset(struct table *t) {
  t->buf.len = 0;
  t->pos = 0;
  t->cell = (struct cell){0};
  for (size_t i = 0; i < t->nlines; i++)
    free(t->lines[i].cells);
  t->nlines = 0;
  t->nwidths = 0;
  add_line(t);
}

struct table *table_new_with(int minwidth, int tabwidth, int padding, char padchar,
                             unsigned flags) {
  struct table *t = xcalloc(1, sizeof(*t));
  t->minwidth = minwidth < 0 ? 0 : minwidth;
  t->tabwidth = tabwidth < 0 ? 0 : tabwidth;
  t->padding = padding < 0 ? 0 : padding;
  t->padchar = padchar;
  if (padchar == '\t')
    flags &= ~(unsigned)TABLE_ALIGN_RIGHT; /* tab padding only aligns left */
  t->flags = flags;
  reset(t);
  return t;
}

struct table *table_new(void) {
  return table_new_with(10, 1, 3, ' ', 0);
}

void table_free(struct table *t) {
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->nlines; i++)
    free(t->lines[i].cells);
  free(t->lines);
  free(t->widths);
  tbuf_free(&t->buf);
  tbuf_free(&t->out);
  free(t);
}

static void write_padding(struct table *t, int textw, int cellw) {
  if (t->padchar == '\t') {
    if (t->tabwidth == 0)
      return;
    cellw = (cellw + t->tabwidth - 1) / t->tabwidth * t->tabwidth;
    int n = cellw - textw;
    tbuf_repeat(&t->out, '\t', (size_t)((n + t->tabwidth - 1) / t->tabwidth));
    return;
  }
  if (cellw > textw)
    tbuf_repeat(&t->out, t->padchar, (size_t)(cellw - textw));
}

static size_t write_lines(struct table *t, size_t pos, size_t line0, size_t line1) {
  for (size_t i = line0; i < line1; i++) {
    struct line *l = &t->lines[i];
    for (size_t j = 0; j < l->n; j++) {
      struct cell *c = &l->cells[j];
      if (j > 0 && (t->flags & TABLE_DEBUG))
        tbuf_addc(&t->out, '|');
      if (c->size == 0) {
        if (j < t->nwidths)
          write_padding(t, c->width, t->widths[j]);
      } else if (!(t->flags & TABLE_ALIGN_RIGHT)) {
        tbuf_add(&t->out, t->buf.s + pos, c->size);
        pos += c->size;
        if (j < t->nwidths)
          write_padding(t, c->width, t->widths[j]);
      } else {
        if (j < t->nwidths)
          write_padding(t, c->width, t->widths[j]);
        tbuf_add(&t->out, t->buf.s + pos, c->size);
        pos += c->size;
      }
    }
    if (i + 1 == t->nlines) {
      /* the last line has no newline yet: only the pending cell's text */
      tbuf_add(&t->out, t->buf.s + pos, t->cell.size);
      pos += t->cell.size;
    } else {
      tbuf_addc(&t->out, '\n');
    }
  }
  return pos;
}

static void push_width(struct table *t, int w) {
  if (t->nwidths == t->capwidths) {
    t->capwidths = t->capwidths ? t->capwidths * 2 : 16;
    t->widths = xrealloc(t->widths, t->capwidths * sizeof(*t->widths));
  }
  t->widths[t->nwidths++] = w;
}

static size_t format(struct table *t, size_t pos, size_t line0, size_t line1) {
  size_t column = t->nwidths;
  for (size_t this = line0; this < line1; this ++) {
    if (column + 1 >= t->lines[this].n)
      continue;
    /* a cell in this column: print the lines before it, then the block */
    pos = write_lines(t, pos, line0, this);
    line0 = this;
    int width = t->minwidth;
    bool discardable = true;
    for (; this < line1; this ++) {
      struct line *l = &t->lines[this];
      if (column + 1 >= l->n)
        break;
      struct cell *c = &l->cells[column];
      if (c->width + t->padding > width)
        width = c->width + t->padding;
      if (c->width > 0 || c->htab)
        discardable = false;
    }
    if (discardable && (t->flags & TABLE_DISCARD_EMPTY))
      width = 0;
    push_width(t, width);
    pos = format(t, pos, line0, this);
    t->nwidths--;
    line0 = this;
  }
  return write_lines(t, pos, line0, line1);
}

static void update_width(struct table *t) {
  t->cell.width += text_width(t->buf.s + t->pos, t->buf.len - t->pos);
  t->pos = t->buf.len;
}

static size_t terminate_cell(struct table *t, bool htab) {
  t->cell.htab = htab;
  struct line *l = &t->lines[t->nlines - 1];
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->cells = xrealloc(l->cells, l->cap * sizeof(*l->cells));
  }
  l->cells[l->n++] = t->cell;
  t->cell = (struct cell){0};
  return l->n;
}

static void flush_lines(struct table *t) {
  if (t->cell.size > 0)
    terminate_cell(t, false);
  format(t, 0, 0, t->nlines);
  reset(t);
}

static void append(struct table *t, const char *s, size_t n) {
  tbuf_add(&t->buf, s, n);
  t->cell.size += n;
}

void table_write(struct table *t, const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch != '\t' && ch != '\v' && ch != '\n' && ch != '\f')
      continue;
    append(t, s + start, i - start);
    update_width(t);
    start = i + 1;
    size_t ncells = terminate_cell(t, ch == '\t');
    if (ch == '\n' || ch == '\f') {
      add_line(t);
      /* a line with one cell cannot change any column: lay out what is
       * buffered (as tabwriter does; it also bounds the buffering) */
      if (ch == '\f' || ncells == 1) {
        flush_lines(t);
        if (ch == '\f' && (t->flags & TABLE_DEBUG))
          tbuf_adds(&t->out, "---\n");
      }
    }
  }
  append(t, s + start, n - start);
}

void table_add_row(struct table *t, const char *row) {
  table_write(t, row, strlen(row));
  table_write(t, "\n", 1);
}

char *table_flush(struct table *t, size_t *len) {
  flush_lines(t);
  return tbuf_steal(&t->out, len);
}

/* ---- docker's --format flow ---- */

char *table_header(const struct tmpl *t, const struct table_col *cols) {
  json_t *ctx = json_object();
  for (size_t i = 0; cols && cols[i].field; i++)
    json_object_set_new(ctx, cols[i].field, json_string(cols[i].header));
  struct tmpl_opts o = {.flags = TMPL_HEADER};
  char *out = NULL;
  struct err *e = NULL;
  /* docker ignores the header's error and prints what came before it */
  tmpl_exec_opts(t, ctx, &o, 1, &out, NULL, &e);
  err_free(&e);
  json_decref(ctx);
  return out;
}

char *table_header_for(const char *tmpl_src, const struct table_col *cols, struct err **e) {
  struct tmpl *t = tmpl_parse(tmpl_src, e);
  if (t == NULL)
    return NULL;
  char *h = table_header(t, cols);
  tmpl_free(t);
  return h;
}

int table_format(const char *format, json_t *rows, const struct table_col *cols,
                 const struct tmpl_opts *o, char **out, size_t *len, struct err **e) {
  *out = NULL;
  int is_table;
  cleanup_free char *src = tmpl_preformat(format, &is_table);
  struct tmpl *t = tmpl_parse(src, e);
  if (t == NULL)
    return err_wrap(e, "template parsing error");
  struct tbuf body = {0};
  tbuf_add(&body, "", 0);
  for (size_t i = 0; i < json_array_size(rows); i++) {
    char *row;
    size_t rlen;
    if (tmpl_exec_opts(t, json_array_get(rows, i), o, 0, &row, &rlen, e) < 0) {
      tbuf_free(&body);
      tmpl_free(t);
      return err_wrap(e, "template parsing error");
    }
    tbuf_add(&body, row, rlen);
    tbuf_addc(&body, '\n');
    free(row);
  }
  if (!is_table) {
    *out = tbuf_steal(&body, len);
    tmpl_free(t);
    return 0;
  }
  struct table *tw = table_new();
  char *header = table_header(t, cols);
  table_write(tw, header, strlen(header));
  table_write(tw, "\n", 1);
  table_write(tw, body.s, body.len);
  free(header);
  tbuf_free(&body);
  *out = table_flush(tw, len);
  table_free(tw);
  tmpl_free(t);
  return 0;
}
