/* template.c — the small pieces every part of the template engine uses:
 * byte buffers, the arena a parsed template lives in, Go's String() of the
 * syntax tree (for error messages), and docker's --format preprocessing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

/* ---- buffers and the arena ---- */

static void tbuf_grow(struct tbuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap * 2 : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->s = xrealloc(b->s, cap);
  b->cap = cap;
}

void tbuf_add(struct tbuf *b, const void *s, size_t n) {
  tbuf_grow(b, n);
  if (n)
    memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void tbuf_adds(struct tbuf *b, const char *s) {
  tbuf_add(b, s, strlen(s));
}

void tbuf_addc(struct tbuf *b, char c) {
  tbuf_grow(b, 1);
  b->s[b->len++] = c;
  b->s[b->len] = '\0';
}

void tbuf_addf(struct tbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[128];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  if (n >= 0 && (size_t)n < sizeof(small)) {
    tbuf_add(b, small, (size_t)n);
  } else if (n >= 0) {
    tbuf_grow(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
  va_end(ap);
}

void tbuf_repeat(struct tbuf *b, char c, size_t n) {
  tbuf_grow(b, n);
  memset(b->s + b->len, c, n);
  b->len += n;
  b->s[b->len] = '\0';
}

char *tbuf_steal(struct tbuf *b, size_t *len) {
  if (b->s == NULL)
    tbuf_grow(b, 0), b->s[0] = '\0';
  char *s = b->s;
  if (len)
    *len = b->len;
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void tbuf_free(struct tbuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

struct arena {
  struct arena *next;
  size_t used, cap;
  max_align_t data[];
};

void *arena_alloc(struct arena **a, size_t n) {
  n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  if (*a == NULL || (*a)->cap - (*a)->used < n) {
    size_t cap = n > 8192 ? n : 8192;
    struct arena *blk = xmalloc(sizeof(*blk) + cap);
    blk->next = *a;
    blk->used = 0;
    blk->cap = cap;
    *a = blk;
  }
  void *p = (char *)(*a)->data + (*a)->used;
  (*a)->used += n;
  memset(p, 0, n);
  return p;
}

char *arena_strndup(struct arena **a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void arena_free(struct arena *a) {
  while (a) {
    struct arena *next = a->next;
    free(a);
    a = next;
  }
}

/* ---- Go's String() of nodes ---- */

static void list_string(struct tbuf *b, const struct node *n) {
  for (size_t i = 0; n && i < n->nkids; i++)
    node_string(b, n->kids[i]);
}

void node_string(struct tbuf *b, const struct node *n) {
  switch (n->type) {
    case N_LIST: list_string(b, n); break;
    case N_TEXT: tbuf_add(b, n->text, n->len); break;
    case N_ACTION:
      tbuf_adds(b, "{{");
      node_string(b, n->pipe);
      tbuf_adds(b, "}}");
      break;
    case N_IF:
    case N_RANGE:
    case N_WITH:
      tbuf_adds(b, n->type == N_IF ? "{{if " : n->type == N_RANGE ? "{{range " : "{{with ");
      node_string(b, n->pipe);
      tbuf_adds(b, "}}");
      list_string(b, n->list);
      if (n->elist) {
        tbuf_adds(b, "{{else}}");
        list_string(b, n->elist);
      }
      tbuf_adds(b, "{{end}}");
      break;
    case N_BREAK: tbuf_adds(b, "{{break}}"); break;
    case N_CONTINUE: tbuf_adds(b, "{{continue}}"); break;
    case N_PIPE:
      for (size_t i = 0; i < n->nidents; i++) {
        if (i > 0)
          tbuf_adds(b, ", ");
        tbuf_adds(b, n->idents[i]);
      }
      if (n->nidents)
        tbuf_adds(b, n->is_assign ? " = " : " := ");
      for (size_t i = 0; i < n->nkids; i++) {
        if (i > 0)
          tbuf_adds(b, " | ");
        node_string(b, n->kids[i]);
      }
      break;
    case N_CMD:
      for (size_t i = 0; i < n->nkids; i++) {
        if (i > 0)
          tbuf_addc(b, ' ');
        if (n->kids[i]->type == N_PIPE) {
          tbuf_addc(b, '(');
          node_string(b, n->kids[i]);
          tbuf_addc(b, ')');
        } else {
          node_string(b, n->kids[i]);
        }
      }
      break;
    case N_FIELD:
      for (size_t i = 0; i < n->nidents; i++) {
        tbuf_addc(b, '.');
        tbuf_adds(b, n->idents[i]);
      }
      break;
    case N_VAR:
      for (size_t i = 0; i < n->nidents; i++) {
        if (i > 0)
          tbuf_addc(b, '.');
        tbuf_adds(b, n->idents[i]);
      }
      break;
    case N_CHAIN:
      if (n->pipe->type == N_PIPE) {
        tbuf_addc(b, '(');
        node_string(b, n->pipe);
        tbuf_addc(b, ')');
      } else {
        node_string(b, n->pipe);
      }
      for (size_t i = 0; i < n->nidents; i++) {
        tbuf_addc(b, '.');
        tbuf_adds(b, n->idents[i]);
      }
      break;
    case N_IDENT: tbuf_adds(b, n->text); break;
    case N_DOT: tbuf_addc(b, '.'); break;
    case N_NIL: tbuf_adds(b, "nil"); break;
    case N_BOOL: tbuf_adds(b, n->b ? "true" : "false"); break;
    case N_NUMBER:
    case N_STRING: tbuf_adds(b, n->src); break;
    case N_TEMPLATE:
      tbuf_adds(b, "{{template ");
      go_quote(b, n->text, strlen(n->text), false);
      if (n->pipe) {
        tbuf_addc(b, ' ');
        node_string(b, n->pipe);
      }
      tbuf_adds(b, "}}");
      break;
    case N_ELSE_MARK: tbuf_adds(b, "{{else}}"); break;
    case N_END_MARK: tbuf_adds(b, "{{end}}"); break;
  }
}

/* ---- docker's format preprocessing ---- */

int tmpl_is_table(const char *format, const char **rest) {
  int table = strncmp(format, "table", 5) == 0;
  if (rest)
    *rest = table ? format + 5 : format;
  return table;
}

char *tmpl_preformat(const char *format, int *is_table) {
  const char *f;
  int table = tmpl_is_table(format, &f);
  if (is_table)
    *is_table = table;
  if (!table && strcmp(format, "json") == 0)
    f = "{{json .}}";
  size_t n = strlen(f);
  while (n > 0 && f[0] == ' ')
    f++, n--;
  while (n > 0 && f[n - 1] == ' ')
    n--;
  struct tbuf b = {0};
  for (size_t i = 0; i < n; i++) {
    if (f[i] == '\\' && i + 1 < n && (f[i + 1] == 't' || f[i + 1] == 'n')) {
      tbuf_addc(&b, f[i + 1] == 't' ? '\t' : '\n');
      i++;
    } else {
      tbuf_addc(&b, f[i]);
    }
  }
  return tbuf_steal(&b, NULL);
}
