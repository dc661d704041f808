/* template_int.h — internals of the template engine shared by
 * template_parse.c (lexer, parser, syntax tree), template_exec.c (the
 * evaluator and builtins), template_print.c (Go's fmt and encoding/json) and
 * template_text.c (string helpers).  Not for use outside those files. */
#ifndef CAIRN_TEMPLATE_INT_H
#define CAIRN_TEMPLATE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "template.h"

/* A growable byte buffer, always NUL-terminated once anything was added. */
struct tbuf {
  char *s;
  size_t len, cap;
};
void tbuf_add(struct tbuf *b, const void *s, size_t n);
void tbuf_adds(struct tbuf *b, const char *s);
void tbuf_addc(struct tbuf *b, char c);
void tbuf_addf(struct tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tbuf_repeat(struct tbuf *b, char c, size_t n);
/* Hand the text out (never NULL: "" when empty) and reset b. */
char *tbuf_steal(struct tbuf *b, size_t *len);
void tbuf_free(struct tbuf *b);

/* Everything a parsed template owns lives in one arena, freed at once. */
struct arena;
void *arena_alloc(struct arena **a, size_t n);
char *arena_strndup(struct arena **a, const char *s, size_t n);
void arena_free(struct arena *a);

/* Tokens, as Go's lexer items. */
enum tok_type {
  T_ERROR,
  T_BOOL,
  T_CHAR,
  T_CHARCONST,
  T_COMPLEX,
  T_ASSIGN,
  T_DECLARE,
  T_EOF,
  T_FIELD,
  T_IDENT,
  T_LDELIM,
  T_LPAREN,
  T_NUMBER,
  T_PIPE,
  T_RAWSTRING,
  T_RDELIM,
  T_RPAREN,
  T_SPACE,
  T_STRING,
  T_TEXT,
  T_VARIABLE,
  T_KEYWORD, /* the keywords follow */
  T_BLOCK,
  T_BREAK,
  T_CONTINUE,
  T_DOT,
  T_DEFINE,
  T_ELSE,
  T_END,
  T_IF,
  T_NIL,
  T_RANGE,
  T_TEMPLATE,
  T_WITH,
};

struct tok {
  enum tok_type typ;
  size_t pos;
  const char *val; /* into the source, or the message of a T_ERROR */
  size_t len;
  int line;
};

/* All tokens of src (malloc'd array; error texts in the arena), ending
 * with T_EOF or T_ERROR. */
struct tok *tmpl_lex(const char *src, size_t n, struct arena **arena, size_t *ntoks);
/* strconv.UnquoteChar: one rune at *s (before end) of a literal quoted
 * with q; -1 on bad syntax, -2 - b for a \x or octal escape of byte b. */
int32_t tmpl_unquote_char(const char **s, const char *end, char q);
/* strconv.Unquote of a T_STRING or T_RAWSTRING token, into the arena. */
bool tmpl_unquote(const struct tok *t, struct arena **arena, const char **out, size_t *outlen);
/* strconv.ParseUint(s, 0, 64). */
bool tmpl_parse_uint(const char *s, size_t n, unsigned long long *out);

enum ntype {
  N_LIST,
  N_TEXT,
  N_ACTION,
  N_IF,
  N_RANGE,
  N_WITH,
  N_BREAK,
  N_CONTINUE,
  N_PIPE,
  N_CMD,
  N_FIELD,
  N_VAR,
  N_CHAIN,
  N_IDENT,
  N_DOT,
  N_NIL,
  N_BOOL,
  N_NUMBER,
  N_STRING,
  N_TEMPLATE,  /* {{template "name" pipe}}: text is the name, pipe may be NULL */
  N_ELSE_MARK, /* {{else}} and {{end}}: only while parsing */
  N_END_MARK,
};

struct node {
  enum ntype type;
  size_t pos; /* byte offset in the source, for error positions */
  /* N_LIST items, N_PIPE commands, N_CMD arguments */
  struct node **kids;
  size_t nkids;
  /* N_FIELD, N_VAR, N_CHAIN: the names after the dots (N_VAR's first is
   * "$x"); N_PIPE: the declared variables */
  const char **idents;
  size_t nidents;
  /* N_ACTION, N_IF, N_RANGE, N_WITH: pipe; N_CHAIN: pipe is the base term */
  struct node *pipe, *list, *elist;
  /* N_TEXT and N_STRING: the text; N_STRING and N_NUMBER: src is the source
   * spelling, for error messages */
  const char *text;
  size_t len;
  const char *src;
  bool is_assign; /* N_PIPE: "=" rather than ":=" */
  bool b;         /* N_BOOL */
  /* N_NUMBER, as Go's parse.NumberNode */
  bool is_int, is_uint, is_float;
  long long i;
  unsigned long long u;
  double f;
  int fn; /* N_IDENT: enum fn_id */
};

/* A template named by {{define}} or {{block}}. */
struct tdef {
  const char *name;
  struct node *root;
};

struct tmpl {
  char *src;
  struct node *root;
  struct tdef *defs; /* in the arena */
  size_t ndefs;
  struct arena *arena;
};

/* The tree of the template called name ("" is the main one), or NULL. */
const struct node *tmpl_lookup(const struct tmpl *t, const char *name);

/* Append Go's String() of a node (what "at <...>" shows in exec errors). */
void node_string(struct tbuf *b, const struct node *n);

/* The functions a template may call, in the order of the table in
 * template_exec.c. */
enum fn_id {
  FN_AND,
  FN_OR,
  FN_NOT,
  FN_LEN,
  FN_INDEX,
  FN_SLICE,
  FN_PRINT,
  FN_PRINTF,
  FN_PRINTLN,
  FN_EQ,
  FN_NE,
  FN_LT,
  FN_LE,
  FN_GT,
  FN_GE,
  FN_HTML,
  FN_JS,
  FN_URLQUERY,
  FN_JSON,
  FN_SPLIT,
  FN_JOIN,
  FN_TITLE,
  FN_LOWER,
  FN_UPPER,
  FN_PAD,
  FN_TRUNCATE,
};
/* enum fn_id of a function name, -1 when there is none. */
int tmpl_func_lookup(const char *name);

/* Go's names for the types our values have (a NULL value is Go's nil). */
const char *go_type_name(const json_t *j);

/* A value during execution: a json_t reference plus Go's distinction
 * between a concrete value and one still wrapped in interface{} (a map or
 * array element until a pipeline unwraps it).  A NULL j is Go's invalid
 * value: a missing key, or nil data. */
struct val {
  json_t *j; /* owned reference; NULL: invalid (missing) */
  bool iface;
};

static inline struct val vown(json_t *j) {
  return (struct val){j, false};
}

static inline struct val vcopy(const struct val *v) {
  return (struct val){json_incref(v->j), v->iface};
}

static inline void vdrop(struct val *v) {
  json_decref(v->j);
  v->j = NULL;
  v->iface = false;
}

/* Go's indirectInterface, in place: an interface holding nil is invalid. */
static inline void vunwrap(struct val *v) {
  if (v->iface) {
    v->iface = false;
    if (v->j && json_is_null(v->j))
      vdrop(v);
  }
}

static inline bool vnil(const struct val *v) {
  return v->j == NULL || json_is_null(v->j);
}

static inline const char *vtype(const struct val *v) {
  return v->iface ? "interface {}" : go_type_name(v->j);
}

/* How an argument is checked and converted, after Go's parameter types:
 * reflect.Value (anything, even missing), interface{} (anything; missing is
 * nil), string, int, []string. */
enum pk { PK_VALUE, PK_ANY, PK_STRING, PK_INT, PK_STRINGS };

typedef int (*fn_impl)(struct val *a, size_t n, struct val *res, char **em);

struct fndef {
  const char *name;
  int np;
  bool variadic; /* the last parameter repeats */
  enum pk p[3];
  fn_impl impl;
};

/* The definition of function id; with header, docker's header variant
 * where there is one. */
const struct fndef *tmpl_fndef(int id, bool header);
/* Go's truth of a value (isTrue after indirectInterface). */
bool val_true(const struct val *v);

/* fmt.Fprint of one value (%v); NULL prints "<nil>". */
void go_print(struct tbuf *b, const json_t *j);
/* fmt.Sprint, fmt.Sprintln and fmt.Sprintf over args (NULL entries are nil). */
void go_sprint(struct tbuf *b, json_t *const *args, size_t n);
void go_sprintln(struct tbuf *b, json_t *const *args, size_t n);
void go_sprintf(struct tbuf *b, const char *format, size_t flen, json_t *const *args, size_t n);
/* strconv.Quote (ascii: QuoteToASCII); go_quote_char quotes with q, which
 * gives QuoteRune with '\''. */
void go_quote(struct tbuf *b, const char *s, size_t n, bool ascii);
void go_quote_char(struct tbuf *b, const char *s, size_t n, char q, bool ascii);
/* Floats: the shortest digits d of f (> 0, finite) that read back as f, with
 * f = 0.d * 10^dp; and their %e (at least min_exp_digits exponent digits)
 * and %f layouts. */
void go_float_digits(double f, char d[32], int *nd, int *dp);
void go_layout_e(struct tbuf *b, const char *d, int nd, int dp, int min_exp_digits);
void go_layout_f(struct tbuf *b, const char *d, int nd, int dp);
/* encoding/json as docker's `json` uses it. */
void go_json(struct tbuf *b, const json_t *j);

/* UTF-8: decode one rune at s[0..n) (n > 0); invalid bytes give U+FFFD with
 * *w = 1.  Encode r into out (4 bytes room), returning the length. */
int32_t utf8_decode(const char *s, size_t n, int *w);
int tmpl_utf8_encode(int32_t r, char *out);
size_t utf8_count(const char *s, size_t n);
/* strconv.IsPrint, close enough for what a container's data holds. */
bool go_isprint(int32_t r);

/* strings.ToLower, strings.ToUpper, strings.Title. */
void text_lower(struct tbuf *b, const char *s, size_t n);
void text_upper(struct tbuf *b, const char *s, size_t n);
void text_title(struct tbuf *b, const char *s, size_t n);
/* text/template's html, js and urlquery escapers. */
void text_html(struct tbuf *b, const char *s, size_t n);
void text_js(struct tbuf *b, const char *s, size_t n);
void text_urlquery(struct tbuf *b, const char *s, size_t n);

#endif
