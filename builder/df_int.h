/* df_int.h — what the parser's files (dockerfile.c, instr.c, words.c)
 * share among themselves; the executor uses dockerfile.h only. */
#ifndef CAIRN_DF_INT_H
#define CAIRN_DF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "err.h"
#include "mem.h"

/* A growable string, always NUL-terminated once anything was added. */
struct dbuf {
  char *p;
  size_t len, cap;
};

static inline void dbuf_addn(struct dbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 32;
    while (cap < b->len + n + 1)
      cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}
static inline void dbuf_adds(struct dbuf *b, const char *s) {
  dbuf_addn(b, s, strlen(s));
}
static inline void dbuf_addc(struct dbuf *b, char c) {
  dbuf_addn(b, &c, 1);
}
/* The string (an empty one when nothing was added); the buffer is reset. */
static inline char *dbuf_steal(struct dbuf *b) {
  char *p = b->p ? b->p : xstrdup("");
  b->p = NULL;
  b->len = b->cap = 0;
  return p;
}

/* Go's unicode.IsSpace on the ASCII range, which is all a byte-wise
 * scanner sees. */
static inline bool df_isspace(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The lexer behind df_expand(), with buildkit's switches: raw_quotes keeps
 * the quote characters, raw_escapes keeps the escape characters, skip_unset
 * leaves unset variables as written.  The parser uses them to find heredoc
 * markers.  words (when not NULL) receives the split words. */
struct df_lex_opts {
  char escape;
  bool raw_quotes, raw_escapes, skip_unset;
  df_lookup_fn lookup; /* NULL: every variable is unset */
  void *ctx;
};
char *df_lex(const char *text, const struct df_lex_opts *o, char ***words, struct err **e);

/* instr.c: one logical line (continuations joined) into *in.  Errors carry
 * no location: the caller adds "NAME:LINE: ". */
int df_instr_parse(struct df_instr *in, const char *line, char escape, struct err **e);
/* Whether the instruction takes heredocs (RUN COPY ADD in shell form, also
 * under ONBUILD). */
bool df_instr_takes_heredocs(const struct df_instr *in);
void df_instr_clear(struct df_instr *in);
void df_kv_free(struct df_kv *kv, size_t n);

/* dockerfile.c: one word as a heredoc marker ([fd]<<[-]WORD): 1 and *h
 * filled (body empty), 0 when it is not one, -1 on error. */
int df_heredoc_word(const char *word, struct df_heredoc *h, bool *chomp, struct err **e);
/* The heredoc markers of a line, in order, bodies empty; chomp[i] for <<-. */
int df_heredoc_markers(const char *line, struct df_heredoc **out, size_t *n, bool **chomp,
                       struct err **e);

#endif
