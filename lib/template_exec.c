/* template_exec.c — executing a parsed template: Go's text/template state
 * machine (walk, pipelines, commands, fields, calls) over jansson values.
 *
 * A value is a json_t reference plus Go's distinction between a concrete
 * value and one still wrapped in interface{}: what a map or array element
 * is until a pipeline unwraps it.  That distinction decides Go's behaviour
 * at the edges: {{.m.a}} with a null prints <no value>, {{.m.a.b}} fails
 * with "nil pointer evaluating interface {}.b", a field of a non-object
 * names "interface {}" or the concrete type.  A NULL json_t is Go's invalid
 * value: a missing key, or nil data.
 *
 * Every function returns 0, or -1 with the error already in s->e. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "template_int.h"

struct var {
  const char *name;
  struct val v;
};

struct xs {
  const struct tmpl *t;
  const struct tmpl_opts *o;
  struct tbuf out;
  struct var *vars;
  size_t nvars, capvars;
  const struct node *at;
  int depth;         /* of {{template}} calls */
  const char *tname; /* the template being executed, "" for the main one */
  struct err **e;
};

/* Go allows 100000 nested {{template}} calls; our C stack takes fewer. */
#define MAX_TEMPLATE_DEPTH 1000

enum { WALK_OK = 0, WALK_BREAK = 1, WALK_CONTINUE = 2 };

static int xfail(struct xs *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int xfail(struct xs *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  if (s->at == NULL) {
    err_setc(s->e, ERR_FAIL, 0, "template: : %s", msg);
  } else {
    const char *src = s->t->src;
    size_t pos = s->at->pos, nl = 0, line = 1;
    bool any_nl = false;
    for (size_t i = 0; i < pos; i++)
      if (src[i] == '\n')
        line++, nl = i, any_nl = true;
    size_t col = any_nl ? pos - nl - 1 : pos;
    struct tbuf ctx = {0}, name = {0};
    node_string(&ctx, s->at);
    go_quote(&name, s->tname, strlen(s->tname), false);
    err_setc(s->e, ERR_FAIL, 0, "template: :%zu:%zu: executing %s at <%s>: %s", line, col, name.s,
             ctx.s ? ctx.s : "", msg);
    tbuf_free(&ctx);
    tbuf_free(&name);
  }
  free(msg);
  return -1;
}

/* ---- variables ---- */

static void push_var(struct xs *s, const char *name, struct val v) {
  if (s->nvars == s->capvars) {
    s->capvars = s->capvars ? s->capvars * 2 : 8;
    s->vars = xrealloc(s->vars, s->capvars * sizeof(*s->vars));
  }
  s->vars[s->nvars++] = (struct var){name, v};
}

static void pop_vars(struct xs *s, size_t mark) {
  while (s->nvars > mark)
    vdrop(&s->vars[--s->nvars].v);
}

static struct var *find_var(struct xs *s, const char *name) {
  for (size_t i = s->nvars; i-- > 0;)
    if (strcmp(s->vars[i].name, name) == 0)
      return &s->vars[i];
  return NULL;
}

/* ---- evaluation ---- */

static int eval_pipeline(struct xs *s, const struct val *dot, const struct node *pipe,
                         struct val *out);
static int eval_call(struct xs *s, const struct val *dot, const struct fndef *d,
                     const struct tmpl_method *m, const struct val *recv, const struct node *node,
                     const char *name, struct node *const *args, size_t nargs,
                     const struct val *final, struct val *out);

static const char *pk_name(enum pk pk) {
  switch (pk) {
    case PK_STRING: return "string";
    case PK_INT: return "int";
    case PK_STRINGS: return "[]string";
    case PK_ANY: return "interface {}";
    case PK_VALUE: return "reflect.Value";
  }
  return "?";
}

/* Go's validateType: check (and take) v for a parameter of kind pk. */
static int validate(struct xs *s, struct val *v, enum pk pk) {
  if (v->j == NULL) {
    if (pk == PK_ANY || pk == PK_VALUE)
      return 0;
    if (pk == PK_STRINGS) {
      *v = vown(json_array());
      return 0;
    }
    return xfail(s, "invalid value; expected %s", pk_name(pk));
  }
  if (pk == PK_ANY || pk == PK_VALUE)
    return 0;
  struct val c = *v;
  if (c.iface && !json_is_null(c.j))
    c.iface = false;
  bool ok = false;
  if (!c.iface) {
    if (pk == PK_STRING)
      ok = json_is_string(c.j);
    else if (pk == PK_INT)
      ok = json_is_integer(c.j);
    else if (pk == PK_STRINGS && json_is_array(c.j)) {
      /* docker's typed []string arrive here as JSON arrays of strings */
      ok = true;
      for (size_t i = 0; i < json_array_size(c.j); i++)
        ok = ok && json_is_string(json_array_get(c.j, i));
    }
  }
  if (!ok)
    return xfail(s, "wrong type for value; expected %s; got %s", pk_name(pk), vtype(&c));
  v->iface = false;
  return 0;
}

/* Go's idealConstant for a number literal. */
static int ideal_constant(struct xs *s, const struct node *n, struct val *out) {
  s->at = n;
  const char *t = n->src;
  bool hex_int = strlen(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && !strpbrk(t, "pP");
  if (n->is_float && !hex_int && t[0] != '\'' && strpbrk(t, ".eEpP")) {
    *out = vown(json_real(n->f));
    if (out->j == NULL) /* jansson refuses inf and nan */
      *out = vown(json_real(0));
    return 0;
  }
  if (n->is_int) {
    *out = vown(json_integer(n->i));
    return 0;
  }
  if (n->is_uint)
    return xfail(s, "%s overflows int", t);
  *out = (struct val){0};
  return 0;
}

static int eval_field_chain(struct xs *s, const struct val *dot, struct val recv,
                            const struct node *node, const char *const *idents, size_t n,
                            struct node *const *args, size_t nargs, const struct val *final,
                            struct val *out);

static int eval_field_node(struct xs *s, const struct val *dot, const struct node *f,
                           struct node *const *args, size_t nargs, const struct val *final,
                           struct val *out) {
  s->at = f;
  return eval_field_chain(s, dot, vcopy(dot), f, f->idents, f->nidents, args, nargs, final, out);
}

static int not_a_function(struct xs *s, struct node *const *args, size_t nargs,
                          const struct val *final) {
  if (nargs > 1 || final) {
    struct tbuf b = {0};
    node_string(&b, args[0]);
    int r = xfail(s, "can't give argument to non-function %s", b.s);
    tbuf_free(&b);
    return r;
  }
  return 0;
}

static int eval_arg(struct xs *s, const struct val *dot, int pk, const struct node *n,
                    struct val *out);

static int eval_chain_node(struct xs *s, const struct val *dot, const struct node *c,
                           struct node *const *args, size_t nargs, const struct val *final,
                           struct val *out) {
  s->at = c;
  if (c->pipe->type == N_NIL) {
    struct tbuf b = {0};
    node_string(&b, c);
    int r = xfail(s, "indirection through explicit nil in %s", b.s);
    tbuf_free(&b);
    return r;
  }
  struct val base;
  if (eval_arg(s, dot, -1, c->pipe, &base) < 0)
    return -1;
  return eval_field_chain(s, dot, base, c, c->idents, c->nidents, args, nargs, final, out);
}

static int eval_variable_node(struct xs *s, const struct val *dot, const struct node *v,
                              struct node *const *args, size_t nargs, const struct val *final,
                              struct val *out) {
  s->at = v;
  struct var *var = find_var(s, v->idents[0]);
  if (var == NULL)
    return xfail(s, "undefined variable: %s", v->idents[0]);
  if (v->nidents == 1) {
    if (not_a_function(s, args, nargs, final) < 0)
      return -1;
    *out = vcopy(&var->v);
    return 0;
  }
  return eval_field_chain(s, dot, vcopy(&var->v), v, v->idents + 1, v->nidents - 1, args, nargs,
                          final, out);
}

static const struct tmpl_method *find_method(struct xs *s, const char *name) {
  if (s->o == NULL || s->o->methods == NULL)
    return NULL;
  for (const struct tmpl_method *m = s->o->methods; m->name; m++)
    if (strcmp(m->name, name) == 0)
      return m;
  return NULL;
}

/* evalField: name applied to recv (consumed). */
static int eval_field(struct xs *s, const struct val *dot, const char *name,
                      const struct node *node, struct node *const *args, size_t nargs,
                      const struct val *final, struct val recv, struct val *out) {
  if (recv.j == NULL) {
    *out = (struct val){0};
    return 0;
  }
  const char *typ = vtype(&recv);
  if (recv.iface && json_is_null(recv.j)) {
    vdrop(&recv);
    return xfail(s, "nil pointer evaluating interface {}.%s", name);
  }
  if (json_is_object(recv.j)) {
    const struct tmpl_method *m = find_method(s, name);
    if (m) {
      int r = eval_call(s, dot, NULL, m, &recv, node, name, args, nargs, final, out);
      vdrop(&recv);
      return r;
    }
    if (nargs > 1 || final) {
      vdrop(&recv);
      return xfail(s, "%s is not a method but has arguments", name);
    }
    json_t *v = json_object_get(recv.j, name);
    *out = v ? (struct val){json_incref(v), true} : (struct val){0};
    vdrop(&recv);
    return 0;
  }
  vdrop(&recv);
  return xfail(s, "can't evaluate field %s in type %s", name, typ);
}

static int eval_field_chain(struct xs *s, const struct val *dot, struct val recv,
                            const struct node *node, const char *const *idents, size_t n,
                            struct node *const *args, size_t nargs, const struct val *final,
                            struct val *out) {
  for (size_t i = 0; i + 1 < n; i++) {
    struct val next;
    if (eval_field(s, dot, idents[i], node, NULL, 0, NULL, recv, &next) < 0)
      return -1;
    recv = next;
  }
  return eval_field(s, dot, idents[n - 1], node, args, nargs, final, recv, out);
}

static int eval_function(struct xs *s, const struct val *dot, const struct node *ident,
                         const struct node *cmd, struct node *const *args, size_t nargs,
                         const struct val *final, struct val *out) {
  s->at = ident;
  const struct fndef *d = tmpl_fndef(ident->fn, s->o && (s->o->flags & TMPL_HEADER));
  return eval_call(s, dot, d, NULL, NULL, cmd, ident->text, args, nargs, final, out);
}

/* Go's evalArg: n evaluated for a parameter of kind pk (-1: untyped, as a
 * chain's base is evaluated). */
static int eval_arg(struct xs *s, const struct val *dot, int pk, const struct node *n,
                    struct val *out) {
  s->at = n;
  struct val v = {0};
  int r;
  switch (n->type) {
    case N_DOT: v = vcopy(dot); break;
    case N_NIL:
      if (pk == PK_STRING || pk == PK_INT)
        return xfail(s, "cannot assign nil to %s", pk_name((enum pk)pk));
      *out = pk == PK_STRINGS ? vown(json_array()) : (struct val){0};
      return 0;
    case N_FIELD:
      r = eval_field_node(s, dot, n, (struct node *const *)&n, 1, NULL, &v);
      if (r < 0)
        return -1;
      break;
    case N_VAR:
      if (eval_variable_node(s, dot, n, NULL, 0, NULL, &v) < 0)
        return -1;
      break;
    case N_PIPE:
      if (eval_pipeline(s, dot, n, &v) < 0)
        return -1;
      break;
    case N_IDENT:
      if (eval_function(s, dot, n, n, (struct node *const *)&n, 1, NULL, &v) < 0)
        return -1;
      break;
    case N_CHAIN:
      if (eval_chain_node(s, dot, n, NULL, 0, NULL, &v) < 0)
        return -1;
      break;
    default: {
      /* literals */
      if (pk == PK_STRING) {
        if (n->type != N_STRING)
          goto wrong;
        *out = vown(json_stringn_nocheck(n->text, n->len));
        return 0;
      }
      if (pk == PK_INT) {
        if (n->type != N_NUMBER || !n->is_int)
          goto wrong;
        *out = vown(json_integer(n->i));
        return 0;
      }
      if (pk == PK_STRINGS) {
        struct tbuf b = {0};
        node_string(&b, n);
        r = xfail(s, "can't handle %s for arg of type []string", b.s);
        tbuf_free(&b);
        return r;
      }
      switch (n->type) {
        case N_BOOL: *out = vown(json_boolean(n->b)); return 0;
        case N_NUMBER: return ideal_constant(s, n, out);
        case N_STRING: *out = vown(json_stringn_nocheck(n->text, n->len)); return 0;
        default: return xfail(s, "can't handle assignment to empty interface argument");
      }
    wrong : {
      struct tbuf b = {0};
      node_string(&b, n);
      r = xfail(s, "expected %s; found %s", pk == PK_STRING ? "string" : "integer", b.s);
      tbuf_free(&b);
      return r;
    }
    }
  }
  if (pk >= 0 && validate(s, &v, (enum pk)pk) < 0) {
    vdrop(&v);
    return -1;
  }
  *out = v;
  return 0;
}

static void drop_all(struct val *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    vdrop(&v[i]);
}

/* Go's evalCall, for a builtin (d) or a caller's method (m on recv). */
static int eval_call(struct xs *s, const struct val *dot, const struct fndef *d,
                     const struct tmpl_method *m, const struct val *recv, const struct node *node,
                     const char *name, struct node *const *args, size_t nargs,
                     const struct val *final, struct val *out) {
  struct fndef md;
  if (m) {
    md = (struct fndef){
        name, m->nargs < 0 ? 1 : m->nargs, m->nargs < 0, {PK_ANY, PK_ANY, PK_ANY}, NULL};
    d = &md;
  }
  if (args) {
    args++;
    nargs--;
  } else {
    nargs = 0;
  }
  size_t num_in = nargs + (final ? 1 : 0);
  size_t num_fixed = nargs;
  if (d->variadic) {
    num_fixed = (size_t)d->np - 1;
    if (num_in < num_fixed)
      return xfail(s, "wrong number of args for %s: want at least %d got %zu", name, d->np - 1,
                   nargs);
  } else if (num_in != (size_t)d->np) {
    return xfail(s, "wrong number of args for %s: want %d got %zu", name, d->np, num_in);
  }
  bool is_and = !m && d->impl == NULL;
  if (is_and) {
    /* and/or short-circuit: the first falsy (and) or truthy (or) value */
    bool is_or = strcmp(name, "or") == 0;
    struct val v = {0};
    for (size_t i = 0; i < nargs; i++) {
      vdrop(&v);
      if (eval_arg(s, dot, PK_VALUE, args[i], &v) < 0)
        return -1;
      if (val_true(&v) == is_or) {
        *out = v;
        return 0;
      }
    }
    if (final) {
      vdrop(&v);
      v = vcopy(final);
    }
    *out = v;
    return 0;
  }
  struct val *argv = xcalloc(num_in ? num_in : 1, sizeof(*argv));
  size_t i = 0;
  int r = 0;
  for (; i < num_fixed && i < nargs && r == 0; i++)
    r = eval_arg(s, dot, (int)d->p[i < (size_t)d->np ? i : (size_t)d->np - 1], args[i], &argv[i]);
  if (d->variadic)
    for (; i < nargs && r == 0; i++)
      r = eval_arg(s, dot, (int)d->p[d->np - 1], args[i], &argv[i]);
  if (r == 0 && final) {
    enum pk t = d->p[d->np - 1];
    if (d->variadic && num_in - 1 < num_fixed)
      t = d->p[num_in - 1];
    argv[i] = vcopy(final);
    r = validate(s, &argv[i], t);
  }
  if (r < 0) {
    drop_all(argv, num_in);
    free(argv);
    return -1;
  }
  char *em = NULL;
  if (m) {
    json_t **margs = xcalloc(num_in ? num_in : 1, sizeof(*margs));
    for (size_t k = 0; k < num_in; k++)
      margs[k] = vnil(&argv[k]) ? NULL : argv[k].j;
    struct err *me = NULL;
    json_t *res = m->fn(s->o->ud, recv->j, margs, num_in, &me);
    free(margs);
    if (res == NULL) {
      em = xstrdup(me && me->msg ? me->msg : "failed");
      err_free(&me);
      r = -1;
    } else {
      *out = vown(res);
    }
  } else {
    r = d->impl(argv, num_in, out, &em);
  }
  drop_all(argv, num_in);
  free(argv);
  if (r < 0) {
    s->at = node;
    r = xfail(s, "error calling %s: %s", name, em ? em : "failed");
    free(em);
  }
  return r;
}

static int eval_command(struct xs *s, const struct val *dot, const struct node *cmd,
                        const struct val *final, struct val *out) {
  struct node *first = cmd->kids[0];
  switch (first->type) {
    case N_FIELD: return eval_field_node(s, dot, first, cmd->kids, cmd->nkids, final, out);
    case N_CHAIN: return eval_chain_node(s, dot, first, cmd->kids, cmd->nkids, final, out);
    case N_IDENT: return eval_function(s, dot, first, cmd, cmd->kids, cmd->nkids, final, out);
    case N_PIPE:
      if (not_a_function(s, cmd->kids, cmd->nkids, final) < 0)
        return -1;
      return eval_pipeline(s, dot, first, out);
    case N_VAR: return eval_variable_node(s, dot, first, cmd->kids, cmd->nkids, final, out);
    default: break;
  }
  s->at = first;
  if (not_a_function(s, cmd->kids, cmd->nkids, final) < 0)
    return -1;
  switch (first->type) {
    case N_BOOL: *out = vown(json_boolean(first->b)); return 0;
    case N_DOT: *out = vcopy(dot); return 0;
    case N_NIL: return xfail(s, "nil is not a command");
    case N_NUMBER: return ideal_constant(s, first, out);
    case N_STRING: *out = vown(json_stringn_nocheck(first->text, first->len)); return 0;
    default: return xfail(s, "can't evaluate command");
  }
}

static int eval_pipeline(struct xs *s, const struct val *dot, const struct node *pipe,
                         struct val *out) {
  if (pipe == NULL) {
    *out = (struct val){0};
    return 0;
  }
  s->at = pipe;
  struct val v = {0};
  bool have = false; /* Go's missingVal: the first command gets no final argument */
  for (size_t i = 0; i < pipe->nkids; i++) {
    struct val next;
    int r = eval_command(s, dot, pipe->kids[i], have ? &v : NULL, &next);
    vdrop(&v);
    if (r < 0)
      return -1;
    v = next;
    have = true;
    vunwrap(&v);
  }
  for (size_t i = 0; i < pipe->nidents; i++) {
    if (pipe->is_assign) {
      struct var *var = find_var(s, pipe->idents[i]);
      if (var == NULL) {
        vdrop(&v);
        return xfail(s, "undefined variable: %s", pipe->idents[i]);
      }
      vdrop(&var->v);
      var->v = vcopy(&v);
    } else {
      push_var(s, pipe->idents[i], vcopy(&v));
    }
  }
  *out = v;
  return 0;
}

/* ---- walking the tree ---- */

static int walk(struct xs *s, const struct val *dot, const struct node *n);

static int walk_list(struct xs *s, const struct val *dot, const struct node *list) {
  for (size_t i = 0; list && i < list->nkids; i++) {
    int r = walk(s, dot, list->kids[i]);
    if (r != WALK_OK)
      return r;
  }
  return WALK_OK;
}

static int walk_if_with(struct xs *s, const struct val *dot, const struct node *n) {
  size_t mark = s->nvars;
  struct val v;
  if (eval_pipeline(s, dot, n->pipe, &v) < 0)
    return -1;
  int r;
  if (val_true(&v))
    r = walk_list(s, n->type == N_WITH ? &v : dot, n->list);
  else
    r = n->elist ? walk_list(s, dot, n->elist) : WALK_OK;
  vdrop(&v);
  pop_vars(s, mark);
  return r;
}

/* One iteration: the declared variables get the element (and the key). */
static int range_iter(struct xs *s, const struct node *n, size_t mark, struct val key,
                      struct val elem) {
  size_t nd = n->pipe->nidents;
  if (nd > 0) {
    vdrop(&s->vars[s->nvars - 1].v);
    s->vars[s->nvars - 1].v = vcopy(&elem);
  }
  if (nd > 1) {
    vdrop(&s->vars[s->nvars - 2].v);
    s->vars[s->nvars - 2].v = vcopy(&key);
  }
  int r = walk_list(s, &elem, n->list);
  pop_vars(s, mark);
  vdrop(&key);
  vdrop(&elem);
  return r;
}

static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int walk_range(struct xs *s, const struct val *dot, const struct node *n) {
  s->at = n;
  size_t outer = s->nvars;
  struct val v;
  if (eval_pipeline(s, dot, n->pipe, &v) < 0)
    return -1;
  size_t mark = s->nvars;
  int r = WALK_OK;
  bool empty = true;
  if (v.j == NULL) {
    /* a missing value ranges like an empty map */
  } else if (json_is_array(v.j)) {
    for (size_t i = 0; i < json_array_size(v.j); i++) {
      empty = false;
      r = range_iter(s, n, mark, vown(json_integer((json_int_t)i)),
                     (struct val){json_incref(json_array_get(v.j, i)), true});
      if (r < 0 || r == WALK_BREAK)
        break;
    }
  } else if (json_is_object(v.j)) {
    size_t cnt = json_object_size(v.j), i = 0;
    const char **keys = xmalloc((cnt ? cnt : 1) * sizeof(*keys));
    const char *k;
    json_t *e;
    json_object_foreach(v.j, k, e) {
      keys[i++] = k;
    }
    qsort(keys, cnt, sizeof(*keys), cmp_keys);
    for (i = 0; i < cnt; i++) {
      empty = false;
      r = range_iter(s, n, mark, vown(json_string(keys[i])),
                     (struct val){json_incref(json_object_get(v.j, keys[i])), true});
      if (r < 0 || r == WALK_BREAK)
        break;
    }
    free(keys);
  } else {
    struct tbuf b = {0};
    go_print(&b, v.j);
    r = xfail(s, "range can't iterate over %s", b.s);
    tbuf_free(&b);
  }
  if (r >= 0)
    r = WALK_OK;
  if (r == WALK_OK && empty && n->elist)
    r = walk_list(s, dot, n->elist);
  vdrop(&v);
  pop_vars(s, outer);
  return r;
}

/* {{template "name" pipe}}: the named tree with the pipeline's value as
 * dot and as $, and no other variables. */
static int walk_template(struct xs *s, const struct val *dot, const struct node *n) {
  s->at = n;
  const struct node *root = tmpl_lookup(s->t, n->text);
  if (root == NULL) {
    struct tbuf q = {0};
    go_quote(&q, n->text, strlen(n->text), false);
    int r = xfail(s, "template %s not defined", q.s);
    tbuf_free(&q);
    return r;
  }
  if (s->depth >= MAX_TEMPLATE_DEPTH)
    return xfail(s, "exceeded maximum template depth (%d)", MAX_TEMPLATE_DEPTH);
  struct val v;
  if (eval_pipeline(s, dot, n->pipe, &v) < 0)
    return -1;
  struct var *vars = s->vars;
  size_t nvars = s->nvars, capvars = s->capvars;
  s->vars = NULL;
  s->nvars = s->capvars = 0;
  push_var(s, "$", vcopy(&v));
  const char *tname = s->tname;
  s->tname = n->text;
  s->depth++;
  int r = walk(s, &v, root);
  s->depth--;
  s->tname = tname;
  pop_vars(s, 0);
  free(s->vars);
  s->vars = vars;
  s->nvars = nvars;
  s->capvars = capvars;
  vdrop(&v);
  return r < 0 ? -1 : WALK_OK;
}

static int walk(struct xs *s, const struct val *dot, const struct node *n) {
  s->at = n;
  switch (n->type) {
    case N_ACTION: {
      struct val v;
      if (eval_pipeline(s, dot, n->pipe, &v) < 0)
        return -1;
      if (n->pipe->nidents == 0) {
        s->at = n;
        if (v.j == NULL)
          tbuf_adds(&s->out, "<no value>");
        else
          go_print(&s->out, v.j);
      }
      vdrop(&v);
      return WALK_OK;
    }
    case N_BREAK: return WALK_BREAK;
    case N_CONTINUE: return WALK_CONTINUE;
    case N_IF:
    case N_WITH: return walk_if_with(s, dot, n);
    case N_LIST: return walk_list(s, dot, n);
    case N_RANGE: return walk_range(s, dot, n);
    case N_TEXT: tbuf_add(&s->out, n->text, n->len); return WALK_OK;
    case N_TEMPLATE: return walk_template(s, dot, n);
    default: return xfail(s, "unknown node");
  }
}

int tmpl_exec_opts(const struct tmpl *t, json_t *data, const struct tmpl_opts *o, int keep_partial,
                   char **out, size_t *len, struct err **e) {
  struct xs s = {.t = t, .o = o, .e = e, .tname = ""};
  struct val dot = {json_incref(data), false};
  if (dot.j && json_is_null(dot.j))
    vdrop(&dot);
  push_var(&s, "$", vcopy(&dot));
  tbuf_add(&s.out, "", 0);
  int r = walk(&s, &dot, t->root);
  vdrop(&dot);
  pop_vars(&s, 0);
  free(s.vars);
  if (r < 0 && !keep_partial) {
    tbuf_free(&s.out);
    *out = NULL;
    if (len)
      *len = 0;
    return -1;
  }
  *out = tbuf_steal(&s.out, len);
  return r < 0 ? -1 : 0;
}

int tmpl_exec(const struct tmpl *t, json_t *data, char **out, size_t *len, struct err **e) {
  return tmpl_exec_opts(t, data, NULL, 0, out, len, e);
}
