/* dockerfile.h — a Dockerfile parsed into stages of instructions, the
 * shell-word expansion docker applies to them, and .dockerignore matching.
 *
 * This is the contract between the parser (dockerfile.c, words.c,
 * ignore.c) and the executor (the rest of builder/).  The parser checks
 * syntax only: it knows nothing of images, the context or the store.
 *
 * What the parser does and does not do:
 *   - parser directives (# escape=, # syntax=) at the top, comments, blank
 *     lines, line continuation with the escape character, heredocs;
 *   - the keyword is matched case-insensitively; an unknown one is an
 *     error "Dockerfile:7: unknown instruction: RUNN" (the file name is the
 *     one given to df_parse, its base name as docker prints it);
 *   - leading --flags are split off (--from=, --chown=, --chmod=, --link,
 *     --mount=, --network=, --platform=, --checksum=, --keep-git-dir=, and
 *     HEALTHCHECK's --interval= …); a flag an instruction does not take is
 *     an error naming it;
 *   - exec (JSON array) form vs shell form is decided as docker does: the
 *     rest of the line must parse as a JSON array of strings, else it is
 *     shell form (no error);
 *   - words are NOT expanded: variables are substituted by the executor,
 *     with df_expand()/df_expand_words(), using the build-time environment
 *     and only for the instructions docker expands (ADD COPY ENV EXPOSE
 *     FROM LABEL STOPSIGNAL USER VOLUME WORKDIR, and the flags of ADD/COPY/
 *     FROM/RUN --mount);
 *   - instructions before the first FROM may only be ARG (these are the
 *     "global" args, df_file.global_args); anything else is an error.
 */
#ifndef CAIRN_DOCKERFILE_H
#define CAIRN_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum df_kind {
  DF_FROM,
  DF_RUN,
  DF_CMD,
  DF_ENTRYPOINT,
  DF_ENV,
  DF_ARG,
  DF_WORKDIR,
  DF_USER,
  DF_LABEL,
  DF_EXPOSE,
  DF_VOLUME,
  DF_COPY,
  DF_ADD,
  DF_SHELL,
  DF_STOPSIGNAL,
  DF_HEALTHCHECK,
  DF_ONBUILD,
  DF_MAINTAINER,
};

/* A leading --name=value (or --name alone: value is NULL). Repeatable flags
 * (RUN --mount) appear once per occurrence, in order. */
struct df_flag {
  char *name; /* without the dashes: "from", "mount" */
  char *value;
};

/* A heredoc body: RUN <<EOF, RUN <<-EOF (leading tabs stripped), quoted
 * delimiters <<"EOF" / <<'EOF' (no expansion in the body). */
struct df_heredoc {
  char *name;  /* the delimiter word, unquoted */
  char *body;  /* the lines between, each with its '\n' */
  bool expand; /* false when the delimiter was quoted */
};

/* A key/value pair of ENV, LABEL and ARG.  Raw words: quotes and variables
 * are still in them (df_expand removes and substitutes both).  For ARG,
 * has_value is false for `ARG name` with no default. */
struct df_kv {
  char *key;
  char *value;
  bool has_value;
};

struct df_instr {
  enum df_kind kind;
  int line;   /* line of the keyword, 1-based */
  char *text; /* the instruction as written, continuations joined
                        with the escape and newline removed, for messages
                        and for history's created_by */
  struct df_flag *flags;
  size_t nflags;
  /* The arguments, by kind:
   *  RUN CMD ENTRYPOINT SHELL: json=true → args = the array's strings;
   *      json=false → args = {the rest of the line} (one string; for RUN
   *      with heredocs, the line that held the <<EOF markers).
   *  FROM: args = {image} or {image, "AS", name} (as written).
   *  COPY ADD: args = the sources then the destination (>= 2 words;
   *      the JSON form is accepted too); heredoc sources are named by
   *      their delimiter and listed in heredocs (a `<<EOF` source is the
   *      arg "EOF", equal to heredocs[i].name).  Shell-form words are
   *      split on blanks only, as docker does: quotes stay in them.
   *  WORKDIR USER STOPSIGNAL MAINTAINER: args = {the rest of the line}.
   *  EXPOSE VOLUME: args = the words (VOLUME's JSON form too).
   *  ENV LABEL ARG: kv (both ENV forms: `ENV a b c` is key a value "b c").
   *  HEALTHCHECK: args = {"NONE"} or the inner CMD's args, json as for CMD;
   *      its options are in flags.
   *  ONBUILD: sub = the inner instruction (not FROM, ONBUILD, MAINTAINER);
   *      heredocs of ONBUILD RUN/COPY/ADD are on sub. */
  char **args;
  size_t nargs;
  bool json;
  struct df_kv *kv;
  size_t nkv;
  struct df_heredoc *heredocs;
  size_t nheredocs;
  struct df_instr *sub;
};

struct df_stage {
  char *base;     /* FROM's image word, unexpanded ("busybox", "$BASE", "scratch", a stage name) */
  char *name;     /* AS name, lower-cased; NULL when none */
  char *platform; /* FROM --platform=, unexpanded; NULL when none */
  size_t index;   /* 0-based */
  struct df_instr *instrs; /* the FROM itself is instrs[0] */
  size_t ninstrs;
};

struct df_file {
  char escape;               /* '\\' or '`' */
  char *syntax;              /* # syntax= value, or NULL (recorded, otherwise ignored) */
  struct df_kv *global_args; /* ARGs before the first FROM */
  size_t nglobal_args;
  struct df_stage *stages;
  size_t nstages;
};

/* Parse a Dockerfile held in buf (len bytes; need not be NUL-terminated).
 * name is what errors call the file ("Dockerfile", "app.dockerfile").
 * Errors: "NAME:LINE: message" with ERR_USAGE; a file with no FROM is
 * "NAME: no build stage in the file"-like error. */
struct df_file *df_parse(const char *buf, size_t len, const char *name, struct err **e);
void df_free(struct df_file *f);

/* The stage a name or index refers to ("builder", "0"); NULL when none. */
struct df_stage *df_stage_find(struct df_file *f, const char *name_or_index);

/* Variable lookup for expansion: returns the value (not to be freed) or
 * NULL when the variable is unset. */
typedef const char *(*df_lookup_fn)(void *ctx, const char *name);

/* Docker's shell-word processing of one word: quote removal ('…', "…"),
 * the escape character, and $v ${v} ${v:-w} ${v-w} ${v:+w} ${v+w}
 * (the word part expanded recursively), with unset variables as "".
 * The result is newly allocated.  Errors ("ENV a=${b": missing '}') are
 * ERR_USAGE. */
char *df_expand(const char *word, char escape, df_lookup_fn lookup, void *ctx, struct err **e);
/* The same, then split on unquoted whitespace as docker does for EXPOSE,
 * VOLUME and the shell-form sources of COPY/ADD.  Returns a NULL-ended
 * vector (free with strv_free from mem.h). */
char **df_expand_words(const char *text, char escape, df_lookup_fn lookup, void *ctx,
                       struct err **e);

/* The body of an unquoted heredoc of COPY/ADD (docker expands it; a
 * quoted delimiter means the body is taken as written): $v ${v} ${v:-w} …
 * substituted as in a shell's here-document, quotes kept as characters,
 * a backslash escaping only '$', '`', '\\' and the newline. */
char *df_expand_heredoc(const char *body, df_lookup_fn lookup, void *ctx, struct err **e);

/* .dockerignore: docker's rules (filepath.Match patterns per path element,
 * `**` for any number of elements, `!` exceptions, the last match wins,
 * leading and trailing '/' and "./" cleaned, comments and blank lines). */
struct df_ignore;
/* Parse a .dockerignore's contents (buf may be NULL: ignore nothing). */
struct df_ignore *df_ignore_parse(const char *buf, size_t len, struct err **e);
/* Whether path (relative to the context root, '/'-separated, no leading
 * "./") is excluded.  A directory that is excluded may still hold an
 * exception: df_ignore_may_reinclude() says whether walking into an
 * excluded directory is needed. */
bool df_ignore_match(const struct df_ignore *ig, const char *path);
bool df_ignore_may_reinclude(const struct df_ignore *ig, const char *dir);
void df_ignore_free(struct df_ignore *ig);

#endif
