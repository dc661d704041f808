/* template_parse.c — the parser of Go's text/template: Go's recursive
 * descent over the tokens of template_lex.c, building the tree that
 * template_exec.c walks, with Go's error texts ("template: :1: unexpected
 * \"}\" in operand").
 *
 * A syntax error unwinds with longjmp: everything the parse allocates lives
 * in the template's arena, which tmpl_parse frees, so nothing leaks. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

struct parser {
  struct tmpl *t;
  int depth; /* nesting, bounded so that hostile input cannot exhaust the stack */
  const char *src;
  struct tok *toks;
  size_t ntoks;
  size_t i;  /* next token */
  size_t hi; /* the furthest token read: Go reports its line */
  struct arena **arena;
  const char **vars;
  size_t nvars, capvars;
  int action_line;
  int range_depth;
  jmp_buf jb;
  char *msg;
};

static const struct tok *pnext(struct parser *p) {
  size_t k = p->i < p->ntoks ? p->i : p->ntoks - 1;
  if (p->i < p->ntoks)
    p->i++;
  if (k > p->hi)
    p->hi = k;
  return &p->toks[k];
}

static void pbackup(struct parser *p) {
  p->i--;
}

static const struct tok *ppeek(struct parser *p) {
  const struct tok *t = pnext(p);
  pbackup(p);
  return t;
}

static const struct tok *pnext_nonspace(struct parser *p) {
  const struct tok *t;
  while ((t = pnext(p))->typ == T_SPACE)
    ;
  return t;
}

static const struct tok *ppeek_nonspace(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  pbackup(p);
  return t;
}

static _Noreturn void perrorf(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static _Noreturn void perrorf(struct parser *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *m = xvasprintf(fmt, ap);
  va_end(ap);
  p->msg = xasprintf("template: :%d: %s", p->toks[p->hi].line, m);
  free(m);
  longjmp(p->jb, 1);
}

/* Go's item.String(). */
static void tok_string(struct tbuf *b, const struct tok *t) {
  if (t->typ == T_EOF) {
    tbuf_adds(b, "EOF");
  } else if (t->typ == T_ERROR) {
    tbuf_add(b, t->val, t->len);
  } else if (t->typ > T_KEYWORD) {
    tbuf_addc(b, '<');
    tbuf_add(b, t->val, t->len);
    tbuf_addc(b, '>');
  } else if (t->len > 10) {
    size_t n = 0;
    for (int k = 0; k < 10 && n < t->len; k++) {
      int w;
      utf8_decode(t->val + n, t->len - n, &w);
      n += (size_t)w;
    }
    go_quote(b, t->val, n, false);
    tbuf_adds(b, "...");
  } else {
    go_quote(b, t->val, t->len, false);
  }
}

static _Noreturn void unexpected(struct parser *p, const struct tok *t, const char *context) {
  struct tbuf b = {0};
  if (t->typ != T_ERROR)
    tbuf_adds(&b, "unexpected ");
  tok_string(&b, t);
  if (t->typ == T_ERROR) {
    if (p->action_line != 0 && p->action_line != t->line) {
      bool action = t->len >= 7 && memcmp(t->val + t->len - 7, " action", 7) == 0;
      tbuf_addf(&b, "%s started at :%d", action ? "" : " in action", p->action_line);
    }
  } else {
    tbuf_addf(&b, " in %s", context);
  }
  /* perrorf does not return: keep the text in the arena, not on the heap */
  char *m = arena_strndup(p->arena, b.s, b.len);
  tbuf_free(&b);
  perrorf(p, "%s", m);
}

static const struct tok *expect(struct parser *p, enum tok_type typ, const char *context) {
  const struct tok *t = pnext_nonspace(p);
  if (t->typ != typ)
    unexpected(p, t, context);
  return t;
}

static struct node *new_node(struct parser *p, enum ntype type, size_t pos) {
  struct node *n = arena_alloc(p->arena, sizeof(*n));
  n->type = type;
  n->pos = pos;
  n->fn = -1;
  return n;
}

/* Append to a node's kids, growing in the arena (old arrays are simply
 * abandoned there; templates are small). */
static void add_kid(struct parser *p, struct node *n, struct node *kid) {
  if ((n->nkids & (n->nkids - 1)) == 0) { /* 0, 1, 2, 4, ...: full */
    size_t cap = n->nkids ? n->nkids * 2 : 1;
    struct node **k = arena_alloc(p->arena, cap * sizeof(*k));
    if (n->nkids)
      memcpy(k, n->kids, n->nkids * sizeof(*k));
    n->kids = k;
  }
  n->kids[n->nkids++] = kid;
}

static void add_ident(struct parser *p, struct node *n, const char *s, size_t len) {
  if ((n->nidents & (n->nidents - 1)) == 0) {
    size_t cap = n->nidents ? n->nidents * 2 : 1;
    const char **k = arena_alloc(p->arena, cap * sizeof(*k));
    if (n->nidents)
      memcpy(k, n->idents, n->nidents * sizeof(*k));
    n->idents = k;
  }
  n->idents[n->nidents++] = arena_strndup(p->arena, s, len);
}

static void push_var(struct parser *p, const char *name) {
  if (p->nvars == p->capvars) {
    p->capvars = p->capvars ? p->capvars * 2 : 8;
    const char **v = arena_alloc(p->arena, p->capvars * sizeof(*v));
    if (p->nvars)
      memcpy(v, p->vars, p->nvars * sizeof(*v));
    p->vars = v;
  }
  p->vars[p->nvars++] = name;
}

/* A variable or field token "$x" / ".a" split at dots is one segment each;
 * a variable node keeps "$x" as its first ident. */
static struct node *new_variable(struct parser *p, const struct tok *t) {
  struct node *n = new_node(p, N_VAR, t->pos);
  add_ident(p, n, t->val, t->len);
  return n;
}

static struct node *pipeline(struct parser *p, const char *context, enum tok_type end);
static struct node *block_control(struct parser *p);
static struct node *template_control(struct parser *p);

static void nest(struct parser *p) {
  if (++p->depth > 1000)
    perrorf(p, "template nesting too deep");
}
static struct node *item_list(struct parser *p, struct node **next);

static struct node *use_var(struct parser *p, const struct tok *t) {
  struct node *v = new_variable(p, t);
  for (size_t i = 0; i < p->nvars; i++)
    if (strcmp(p->vars[i], v->idents[0]) == 0)
      return v;
  perrorf(p, "undefined variable \"%s\"", v->idents[0]);
}

static struct node *new_number(struct parser *p, const struct tok *t) {
  struct node *n = new_node(p, N_NUMBER, t->pos);
  const char *s = t->val;
  size_t len = t->len;
  n->src = arena_strndup(p->arena, s, len);
  if (t->typ == T_CHARCONST) {
    const char *c = s + 1;
    int32_t r = tmpl_unquote_char(&c, s + len, '\'');
    if (r <= -2)
      r = -2 - r;
    if (r < 0 || c != s + len - 1)
      perrorf(p, "malformed character constant: %s", n->src);
    n->is_int = n->is_uint = n->is_float = true;
    n->i = r;
    n->u = (unsigned long long)r;
    n->f = r;
    return n;
  }
  if (t->typ == T_COMPLEX || (len > 0 && s[len - 1] == 'i'))
    perrorf(p, "complex numbers are not supported: %s", n->src);
  bool neg = len > 0 && s[0] == '-';
  size_t off = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  unsigned long long u;
  if (tmpl_parse_uint(s + off, len - off, &u)) {
    if (!neg) {
      n->is_uint = true;
      n->u = u;
    }
    if (neg ? u <= (unsigned long long)LLONG_MAX + 1 : u <= (unsigned long long)LLONG_MAX) {
      n->is_int = true;
      n->i = neg ? (long long)(0 - u) : (long long)u;
      if (n->i == 0) {
        n->is_uint = true;
        n->u = 0;
      }
    }
  }
  if (n->is_int) {
    n->is_float = true;
    n->f = (double)n->i;
  } else if (n->is_uint) {
    n->is_float = true;
    n->f = (double)n->u;
  } else {
    char *clean = arena_alloc(p->arena, len + 1);
    size_t k = 0;
    for (size_t j = 0; j < len; j++)
      if (s[j] != '_')
        clean[k++] = s[j];
    clean[k] = '\0';
    char *endp;
    errno = 0;
    double f = strtod(clean, &endp);
    /* like Go's ParseFloat: overflow is an error, underflow is not */
    if (*endp == '\0' && k > 0 && !(errno == ERANGE && isinf(f))) {
      if (strcspn(n->src, ".eEpP") == len)
        perrorf(p, "integer overflow: \"%s\"", n->src);
      n->is_float = true;
      n->f = f;
      if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && (double)(long long)f == f) {
        n->is_int = true;
        n->i = (long long)f;
      }
      if (f >= 0 && f < 18446744073709551616.0 && (double)(unsigned long long)f == f) {
        n->is_uint = true;
        n->u = (unsigned long long)f;
      }
    }
  }
  if (!n->is_int && !n->is_uint && !n->is_float)
    perrorf(p, "illegal number syntax: \"%s\"", n->src);
  return n;
}

static struct node *term(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  switch (t->typ) {
    case T_IDENT: {
      char *name = arena_strndup(p->arena, t->val, t->len);
      int fn = tmpl_func_lookup(name);
      if (fn < 0)
        perrorf(p, "function \"%s\" not defined", name);
      struct node *n = new_node(p, N_IDENT, t->pos);
      n->text = name;
      n->fn = fn;
      return n;
    }
    case T_DOT: return new_node(p, N_DOT, t->pos);
    case T_NIL: return new_node(p, N_NIL, t->pos);
    case T_VARIABLE: return use_var(p, t);
    case T_FIELD: {
      struct node *n = new_node(p, N_FIELD, t->pos);
      add_ident(p, n, t->val + 1, t->len - 1);
      return n;
    }
    case T_BOOL: {
      struct node *n = new_node(p, N_BOOL, t->pos);
      n->b = t->val[0] == 't';
      return n;
    }
    case T_CHARCONST:
    case T_COMPLEX:
    case T_NUMBER: return new_number(p, t);
    case T_LPAREN: return pipeline(p, "parenthesized pipeline", T_RPAREN);
    case T_STRING:
    case T_RAWSTRING: {
      struct node *n = new_node(p, N_STRING, t->pos);
      n->src = arena_strndup(p->arena, t->val, t->len);
      if (!tmpl_unquote(t, p->arena, &n->text, &n->len))
        perrorf(p, "invalid syntax");
      return n;
    }
    default: pbackup(p); return NULL;
  }
}

static struct node *operand(struct parser *p) {
  struct node *n = term(p);
  if (n == NULL)
    return NULL;
  if (ppeek(p)->typ == T_FIELD) {
    /* Go positions the chain at its first field after the term */
    size_t pos = ppeek(p)->pos;
    struct node *chain = new_node(p, N_CHAIN, pos);
    while (ppeek(p)->typ == T_FIELD) {
      const struct tok *f = pnext(p);
      add_ident(p, chain, f->val + 1, f->len - 1);
    }
    switch (n->type) {
      case N_FIELD:
      case N_VAR:
        for (size_t i = 0; i < chain->nidents; i++)
          add_ident(p, n, chain->idents[i], strlen(chain->idents[i]));
        n->pos = pos;
        return n;
      case N_BOOL:
      case N_STRING:
      case N_NUMBER:
      case N_NIL:
      case N_DOT: {
        struct tbuf b = {0};
        node_string(&b, n);
        char *s = arena_strndup(p->arena, b.s, b.len);
        tbuf_free(&b);
        struct tbuf q = {0};
        go_quote(&q, s, strlen(s), false);
        char *qs = arena_strndup(p->arena, q.s, q.len);
        tbuf_free(&q);
        perrorf(p, "unexpected . after term %s", qs);
      }
      default: chain->pipe = n; return chain;
    }
  }
  return n;
}

static struct node *command(struct parser *p) {
  struct node *cmd = new_node(p, N_CMD, ppeek_nonspace(p)->pos);
  for (;;) {
    ppeek_nonspace(p);
    struct node *op = operand(p);
    if (op)
      add_kid(p, cmd, op);
    const struct tok *t = pnext(p);
    if (t->typ == T_SPACE)
      continue;
    if (t->typ == T_RDELIM || t->typ == T_RPAREN)
      pbackup(p);
    else if (t->typ != T_PIPE)
      unexpected(p, t, "operand");
    break;
  }
  if (cmd->nkids == 0)
    perrorf(p, "empty command");
  return cmd;
}

static void check_pipeline(struct parser *p, struct node *pipe, const char *context) {
  if (pipe->nkids == 0)
    perrorf(p, "missing value for %s", context);
  for (size_t i = 1; i < pipe->nkids; i++) {
    enum ntype t = pipe->kids[i]->kids[0]->type;
    if (t == N_BOOL || t == N_DOT || t == N_NIL || t == N_NUMBER || t == N_STRING)
      perrorf(p, "non executable command in pipeline stage %zu", i + 1);
  }
}

static struct node *pipeline(struct parser *p, const char *context, enum tok_type end) {
  nest(p);
  struct node *pipe = new_node(p, N_PIPE, ppeek_nonspace(p)->pos);
  bool is_range = strcmp(context, "range") == 0;
decls:;
  const struct tok *v = ppeek_nonspace(p);
  if (v->typ == T_VARIABLE) {
    size_t vi = p->i; /* where the variable is: Go's backup2/backup3 return here */
    pnext(p);
    const struct tok *next = ppeek_nonspace(p);
    if (next->typ == T_ASSIGN || next->typ == T_DECLARE) {
      pipe->is_assign = next->typ == T_ASSIGN;
      pnext_nonspace(p);
      add_ident(p, pipe, v->val, v->len);
      push_var(p, pipe->idents[pipe->nidents - 1]);
    } else if (next->typ == T_CHAR && next->len == 1 && next->val[0] == ',') {
      pnext_nonspace(p);
      add_ident(p, pipe, v->val, v->len);
      push_var(p, pipe->idents[pipe->nidents - 1]);
      if (is_range && pipe->nidents < 2) {
        enum tok_type pt = ppeek_nonspace(p)->typ;
        if (pt == T_VARIABLE || pt == T_RDELIM || pt == T_RPAREN)
          goto decls;
        perrorf(p, "range can only initialize variables");
      }
      perrorf(p, "too many declarations in %s", context);
    } else {
      p->i = vi;
    }
  }
  for (;;) {
    const struct tok *t = pnext_nonspace(p);
    if (t->typ == end) {
      check_pipeline(p, pipe, context);
      p->depth--;
      return pipe;
    }
    switch (t->typ) {
      case T_BOOL:
      case T_CHARCONST:
      case T_COMPLEX:
      case T_DOT:
      case T_FIELD:
      case T_IDENT:
      case T_NUMBER:
      case T_NIL:
      case T_RAWSTRING:
      case T_STRING:
      case T_VARIABLE:
      case T_LPAREN:
        pbackup(p);
        add_kid(p, pipe, command(p));
        break;
      default: unexpected(p, t, context);
    }
  }
}

static struct node *if_control(struct parser *p);

/* if, range and with: pipeline, list, optional else list. */
static struct node *parse_control(struct parser *p, enum ntype type, const char *context) {
  nest(p);
  size_t saved = p->nvars;
  struct node *n = new_node(p, type, 0);
  n->pipe = pipeline(p, context, T_RDELIM);
  n->pos = n->pipe->pos;
  if (type == N_RANGE)
    p->range_depth++;
  struct node *next;
  n->list = item_list(p, &next);
  if (type == N_RANGE)
    p->range_depth--;
  if (next->type == N_ELSE_MARK) {
    if (type == N_IF && ppeek(p)->typ == T_IF) {
      pnext(p);
      n->elist = new_node(p, N_LIST, next->pos);
      add_kid(p, n->elist, if_control(p));
    } else {
      n->elist = item_list(p, &next);
      if (next->type != N_END_MARK)
        perrorf(p, "expected end; found {{else}}");
    }
  }
  p->nvars = saved;
  p->depth--;
  return n;
}

static struct node *if_control(struct parser *p) {
  return parse_control(p, N_IF, "if");
}

static struct node *action(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  switch (t->typ) {
    case T_BLOCK: return block_control(p);
    case T_TEMPLATE: return template_control(p);
    case T_BREAK:
    case T_CONTINUE: {
      bool brk = t->typ == T_BREAK;
      const struct tok *r = pnext_nonspace(p);
      if (r->typ != T_RDELIM)
        unexpected(p, r, brk ? "{{break}}" : "{{continue}}");
      if (p->range_depth == 0)
        perrorf(p, "{{%s}} outside {{range}}", brk ? "break" : "continue");
      return new_node(p, brk ? N_BREAK : N_CONTINUE, t->pos);
    }
    case T_ELSE: {
      const struct tok *pk = ppeek_nonspace(p);
      if (pk->typ == T_IF)
        return new_node(p, N_ELSE_MARK, pk->pos);
      const struct tok *r = expect(p, T_RDELIM, "else");
      return new_node(p, N_ELSE_MARK, r->pos);
    }
    case T_END: return new_node(p, N_END_MARK, expect(p, T_RDELIM, "end")->pos);
    case T_IF: return if_control(p);
    case T_RANGE: return parse_control(p, N_RANGE, "range");
    case T_WITH: return parse_control(p, N_WITH, "with");
    default: break;
  }
  pbackup(p);
  struct node *n = new_node(p, N_ACTION, ppeek(p)->pos);
  n->pipe = pipeline(p, "command", T_RDELIM);
  return n;
}

static struct node *text_or_action(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  switch (t->typ) {
    case T_TEXT: {
      struct node *n = new_node(p, N_TEXT, t->pos);
      n->text = t->val;
      n->len = t->len;
      return n;
    }
    case T_LDELIM: {
      p->action_line = t->line;
      struct node *n = action(p);
      p->action_line = 0; /* as Go's deferred clearActionLine */
      return n;
    }
    default: unexpected(p, t, "input");
  }
}

static struct node *item_list(struct parser *p, struct node **next) {
  struct node *list = new_node(p, N_LIST, ppeek_nonspace(p)->pos);
  while (ppeek_nonspace(p)->typ != T_EOF) {
    struct node *n = text_or_action(p);
    if (n->type == N_END_MARK || n->type == N_ELSE_MARK) {
      *next = n;
      return list;
    }
    add_kid(p, list, n);
  }
  perrorf(p, "unexpected EOF");
}

static bool is_empty_tree(const struct node *n) {
  if (n == NULL)
    return true;
  if (n->type == N_TEXT) {
    for (size_t i = 0; i < n->len; i++)
      if (!strchr(" \t\r\n\v\f", n->text[i]))
        return false;
    return true;
  }
  if (n->type != N_LIST)
    return false;
  for (size_t i = 0; i < n->nkids; i++)
    if (!is_empty_tree(n->kids[i]))
      return false;
  return true;
}

/* Go's Tree.add: a name may be defined twice only if one of them is empty. */
static void add_def(struct parser *p, const char *name, struct node *root) {
  for (size_t i = 0; i < p->t->ndefs; i++) {
    struct tdef *d = &p->t->defs[i];
    if (strcmp(d->name, name) != 0)
      continue;
    if (is_empty_tree(d->root)) {
      d->root = root;
      return;
    }
    if (!is_empty_tree(root)) {
      struct tbuf q = {0};
      go_quote(&q, name, strlen(name), false);
      char *qs = arena_strndup(p->arena, q.s, q.len);
      tbuf_free(&q);
      perrorf(p, "template: multiple definition of template %s", qs);
    }
    return;
  }
  if ((p->t->ndefs & (p->t->ndefs - 1)) == 0) {
    size_t cap = p->t->ndefs ? p->t->ndefs * 2 : 1;
    struct tdef *d = arena_alloc(p->arena, cap * sizeof(*d));
    if (p->t->ndefs)
      memcpy(d, p->t->defs, p->t->ndefs * sizeof(*d));
    p->t->defs = d;
  }
  p->t->defs[p->t->ndefs++] = (struct tdef){name, root};
}

static const char *template_name(struct parser *p, const struct tok *t, const char *context) {
  if (t->typ != T_STRING && t->typ != T_RAWSTRING)
    unexpected(p, t, context);
  const char *name;
  size_t len;
  if (!tmpl_unquote(t, p->arena, &name, &len))
    perrorf(p, "invalid syntax");
  return name;
}

/* The body of a define or block: a tree of its own, where only $ is known. */
static struct node *sub_tree(struct parser *p, const char *context) {
  const char **vars = p->vars;
  size_t nvars = p->nvars, capvars = p->capvars;
  int range_depth = p->range_depth;
  p->vars = NULL;
  p->nvars = p->capvars = 0;
  p->range_depth = 0;
  push_var(p, "$");
  struct node *end;
  struct node *root = item_list(p, &end);
  if (end->type != N_END_MARK)
    perrorf(p, "unexpected {{else}} in %s", context);
  p->vars = vars;
  p->nvars = nvars;
  p->capvars = capvars;
  p->range_depth = range_depth;
  return root;
}

static void parse_definition(struct parser *p) {
  const char *name = template_name(p, pnext_nonspace(p), "define clause");
  expect(p, T_RDELIM, "define clause");
  add_def(p, name, sub_tree(p, "define clause"));
}

static struct node *template_control(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  struct node *n = new_node(p, N_TEMPLATE, t->pos);
  n->text = template_name(p, t, "template clause");
  if (pnext_nonspace(p)->typ != T_RDELIM) {
    pbackup(p);
    n->pipe = pipeline(p, "template clause", T_RDELIM);
  }
  return n;
}

static struct node *block_control(struct parser *p) {
  const struct tok *t = pnext_nonspace(p);
  struct node *n = new_node(p, N_TEMPLATE, t->pos);
  n->text = template_name(p, t, "block clause");
  n->pipe = pipeline(p, "block clause", T_RDELIM);
  add_def(p, n->text, sub_tree(p, "block clause"));
  return n;
}

static struct node *parse_root(struct parser *p) {
  struct node *root = new_node(p, N_LIST, ppeek(p)->pos);
  while (ppeek(p)->typ != T_EOF) {
    if (ppeek(p)->typ == T_LDELIM) {
      size_t di = p->i;
      pnext(p);
      if (pnext_nonspace(p)->typ == T_DEFINE) {
        parse_definition(p);
        continue;
      }
      p->i = di;
    }
    struct node *n = text_or_action(p);
    if (n->type == N_END_MARK)
      perrorf(p, "unexpected {{end}}");
    if (n->type == N_ELSE_MARK)
      perrorf(p, "unexpected {{else}}");
    add_kid(p, root, n);
  }
  /* the main template is named "": a non-empty {{define ""}} replaces an
   * empty one, as in Go */
  add_def(p, "", root);
  return tmpl_lookup(p->t, "") == root ? root : (struct node *)tmpl_lookup(p->t, "");
}

const struct node *tmpl_lookup(const struct tmpl *t, const char *name) {
  for (size_t i = 0; i < t->ndefs; i++)
    if (strcmp(t->defs[i].name, name) == 0)
      return t->defs[i].root;
  return NULL;
}

struct tmpl *tmpl_parse(const char *src, struct err **e) {
  struct tmpl *t = xcalloc(1, sizeof(*t));
  t->src = xstrdup(src);
  size_t ntoks;
  struct tok *toks = tmpl_lex(t->src, strlen(t->src), &t->arena, &ntoks);
  struct parser p = {.t = t, .src = t->src, .toks = toks, .ntoks = ntoks, .arena = &t->arena};
  push_var(&p, "$");
  if (setjmp(p.jb) != 0) {
    err_setc(e, ERR_USAGE, 0, "%s", p.msg);
    free(p.msg);
    free(toks);
    tmpl_free(t);
    return NULL;
  }
  t->root = parse_root(&p);
  free(toks);
  return t;
}

void tmpl_free(struct tmpl *t) {
  if (t == NULL)
    return;
  arena_free(t->arena);
  free(t->src);
  free(t);
}
