/* builder/dockerfile.c + instr.c: Dockerfiles into stages and
 * instructions.  Examples from the Dockerfile reference (parser
 * directives, escape, comments, ENV, LABEL, ARG, heredocs, HEALTHCHECK,
 * ONBUILD) and the error texts of docker's (buildkit's) parser. */
#include <string.h>

#include "../../builder/dockerfile.h"
#include "mem.h"
#include "unit.h"

static struct df_file *ok(const char *text) {
  struct err *e = NULL;
  struct df_file *f = df_parse(text, strlen(text), "Dockerfile", &e);
  if (!f)
    fprintf(stderr, "  unexpected error: %s\n  for: %s\n", e ? e->msg : "?", text);
  err_free(&e);
  return f;
}

/* The error df_parse gives, or "(parsed)". */
static char *fail(const char *text) {
  struct err *e = NULL;
  struct df_file *f = df_parse(text, strlen(text), "Dockerfile", &e);
  char *msg = xstrdup(f ? "(parsed)" : e && e->code == ERR_USAGE ? e->msg : "(not ERR_USAGE)");
  df_free(f);
  err_free(&e);
  return msg;
}

#define CHECK_FAIL(text, want) \
  do {                         \
    char *m_ = fail(text);     \
    CHECK_STR(m_, want);       \
    free(m_);                  \
  } while (0)

/* instruction i of the last stage */
static struct df_instr *last(struct df_file *f, size_t i) {
  if (!f || !f->nstages || i >= f->stages[f->nstages - 1].ninstrs)
    return NULL;
  return &f->stages[f->nstages - 1].instrs[i];
}

static const char *arg(const struct df_instr *in, size_t i) {
  return in && i < in->nargs ? in->args[i] : NULL;
}

static const char *flag(const struct df_instr *in, const char *name) {
  for (size_t i = 0; in && i < in->nflags; i++)
    if (strcmp(in->flags[i].name, name) == 0)
      return in->flags[i].value ? in->flags[i].value : "(none)";
  return NULL;
}

TEST(stages) {
  struct df_file *f = ok("ARG BASE=busybox\n"
                         "ARG TAG\n"
                         "FROM --platform=$BUILDPLATFORM ${BASE}:${TAG:-latest} AS Build\n"
                         "RUN make\n"
                         "from scratch as final\n"
                         "COPY --from=build /out /\n"
                         "FROM build\n");
  CHECK(f != NULL);
  if (!f)
    return;
  CHECK(f->escape == '\\' && f->syntax == NULL);
  CHECK(f->nglobal_args == 2);
  CHECK_STR(f->global_args[0].key, "BASE");
  CHECK_STR(f->global_args[0].value, "busybox");
  CHECK(f->global_args[0].has_value && !f->global_args[1].has_value);
  CHECK_STR(f->global_args[1].key, "TAG");
  CHECK(f->nstages == 3);
  CHECK_STR(f->stages[0].base, "${BASE}:${TAG:-latest}");
  CHECK_STR(f->stages[0].name, "build");
  CHECK_STR(f->stages[0].platform, "$BUILDPLATFORM");
  CHECK(f->stages[0].ninstrs == 2 && f->stages[0].instrs[0].kind == DF_FROM);
  CHECK(f->stages[0].instrs[0].nargs == 3);
  CHECK_STR(f->stages[0].instrs[0].args[2], "Build");
  CHECK(f->stages[0].instrs[1].kind == DF_RUN && f->stages[0].instrs[1].line == 4);
  CHECK_STR(f->stages[1].base, "scratch");
  CHECK_STR(f->stages[1].name, "final");
  CHECK(f->stages[1].platform == NULL && f->stages[1].index == 1);
  CHECK_STR(f->stages[2].base, "build");
  CHECK(f->stages[2].name == NULL && f->stages[2].ninstrs == 1);
  CHECK(df_stage_find(f, "build") == &f->stages[0]);
  CHECK(df_stage_find(f, "BUILD") == &f->stages[0]);
  CHECK(df_stage_find(f, "final") == &f->stages[1]);
  CHECK(df_stage_find(f, "2") == &f->stages[2]);
  CHECK(df_stage_find(f, "0") == &f->stages[0]);
  CHECK(df_stage_find(f, "3") == NULL);
  CHECK(df_stage_find(f, "nope") == NULL);
  CHECK(df_stage_find(f, "") == NULL);
  CHECK(df_stage_find(f, "99999999999999999999999") == NULL);
  df_free(f);
}

TEST(stage_errors) {
  CHECK_FAIL("FROM a AS b c\n", "Dockerfile:1: FROM requires either one or three arguments");
  CHECK_FAIL("FROM a b c\n", "Dockerfile:1: FROM requires either one or three arguments");
  CHECK_FAIL("FROM\n", "Dockerfile:1: FROM requires either one or three arguments");
  CHECK_FAIL("FROM a AS\n", "Dockerfile:1: FROM requires either one or three arguments");
  CHECK_FAIL("FROM a AS 1x\n", "Dockerfile:1: invalid name for build stage: \"1x\", name can't "
                               "start with a number or contain symbols");
  CHECK_FAIL("FROM a AS b$c\n", "Dockerfile:1: invalid name for build stage: \"b$c\", name "
                                "can't start with a number or contain symbols");
  CHECK_FAIL("FROM a AS x\nFROM b AS X\n", "Dockerfile:2: duplicate stage name \"x\"");
  CHECK_FAIL("RUN echo\nFROM a\n", "Dockerfile:1: no build stage in current context");
  CHECK_FAIL("ARG a\nENV b=c\nFROM a\n", "Dockerfile:2: no build stage in current context");
  CHECK_FAIL("", "Dockerfile: file with no instructions");
  CHECK_FAIL("# just a comment\n\n   \n", "Dockerfile: file with no instructions");
  CHECK_FAIL("ARG a=1\n", "Dockerfile: dockerfile contains no stages to build");
  CHECK_FAIL("FROM a\nRUNN make\n", "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)");
  CHECK_FAIL("FROM a\n\n\n  frum x\n",
             "Dockerfile:4: unknown instruction: frum (did you mean from?)");
  CHECK_FAIL("FROM a\nCopyy x y\n",
             "Dockerfile:2: unknown instruction: Copyy (did you mean copy?)");
  CHECK_FAIL("FROM a\nBOGUSWORD x\n", "Dockerfile:2: unknown instruction: BOGUSWORD");
  CHECK_FAIL("FROM a --platform=x\n", "Dockerfile:1: FROM requires either one or three arguments");
  struct df_file *f = ok("FROM a AS b_c.d-e9\n");
  CHECK(f && strcmp(f->stages[0].name, "b_c.d-e9") == 0);
  df_free(f);
  /* the file name in messages is its base name */
  struct err *e = NULL;
  f = df_parse("FROM a\nRUNN x\n", 14, "/src/app/app.dockerfile", &e);
  CHECK(f == NULL);
  CHECK_STR(e ? e->msg : NULL, "app.dockerfile:2: unknown instruction: RUNN (did you mean RUN?)");
  err_free(&e);
  /* buf need not be NUL-terminated: len is the end */
  f = df_parse("FROM a\nRUNN x", 6, "Dockerfile", &e);
  CHECK(f != NULL && f->nstages == 1 && f->stages[0].ninstrs == 1);
  df_free(f);
}

TEST(directives) {
  /* the reference's Windows example: with `, backslashes are plain */
  struct df_file *f =
      ok("# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n");
  CHECK(f && f->escape == '`' && f->stages[0].ninstrs == 3);
  CHECK_STR(arg(last(f, 1), 1), "c:\\");
  CHECK_STR(arg(last(f, 2), 0), "dir c:\\");
  df_free(f);
  /* without it, a backslash continues the line, unless escaped itself */
  f = ok("FROM microsoft/nanoserver\nCOPY testfile.txt c:\\\\\nRUN dir c:\\\n");
  CHECK(f && f->stages[0].ninstrs == 3);
  CHECK_STR(arg(last(f, 1), 1), "c:\\\\");
  CHECK_STR(last(f, 2) ? last(f, 2)->text : NULL, "RUN dir c:");
  df_free(f);
  f = ok("FROM a\nCOPY testfile.txt c:\\\nRUN dir c:\n");
  CHECK(f && f->stages[0].ninstrs == 2);
  CHECK_STR(last(f, 1) ? last(f, 1)->text : NULL, "COPY testfile.txt c:RUN dir c:");
  df_free(f);
  f = ok("FROM a\nRUN a \\\n\\\nb\n");
  CHECK(f && f->stages[0].ninstrs == 2);
  CHECK_STR(arg(last(f, 1), 0), "a b");
  df_free(f);
  /* backtick continues lines under escape=` */
  f = ok("# escape=`\nFROM a\nRUN echo `\n  hello\n");
  CHECK_STR(arg(last(f, 1), 0), "echo   hello");
  df_free(f);
  f = ok("# syntax=docker/dockerfile:1.4\n# escape=\\\nFROM a\n");
  CHECK(f && f->escape == '\\');
  CHECK_STR(f ? f->syntax : NULL, "docker/dockerfile:1.4");
  df_free(f);
  /* whitespace and case are free */
  f = ok("#ESCAPE =  `  \nFROM a\n");
  CHECK(f && f->escape == '`');
  df_free(f);
  f = ok("#\tescape\t=`\nFROM a\n");
  CHECK(f && f->escape == '`');
  df_free(f);
  /* not directives: after an unknown one, a comment, a blank line, an
   * instruction, or broken by a continuation */
  static const char *const not_directive[] = {
      "# unknowndirective=value\n# escape=`\nFROM a\n",
      "# About my dockerfile\n# escape=`\nFROM a\n",
      "\n# escape=`\nFROM a\n",
      "FROM a\n# escape=`\n",
  };
  for (size_t i = 0; i < sizeof(not_directive) / sizeof(not_directive[0]); i++) {
    f = ok(not_directive[i]);
    CHECK(f && f->escape == '\\');
    df_free(f);
  }
  /* a continuation does not continue a directive: the next line is an
   * instruction of its own */
  CHECK_FAIL("# escape \\\n=`\nFROM a\n", "Dockerfile:2: unknown instruction: =`");
  CHECK_FAIL("# escape=`\n# escape=\\\nFROM a\n",
             "Dockerfile:2: only one escape parser directive can be used");
  CHECK_FAIL("# syntax=a\n# syntax=b\nFROM a\n",
             "Dockerfile:2: only one syntax parser directive can be used");
  CHECK_FAIL("# escape=x\nFROM a\n",
             "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
  CHECK_FAIL("# escape=``\nFROM a\n",
             "Dockerfile:1: invalid escape token '``' does not match ` or \\");
  /* a byte-order mark before the first directive */
  f = ok("\xef\xbb\xbf# escape=`\nFROM a\n");
  CHECK(f && f->escape == '`');
  df_free(f);
}

TEST(comments_continuations) {
  CHECK_FAIL("# this is a comment-line\n    RUN_IS_NOT_HERE=1\n",
             "Dockerfile:2: unknown instruction: RUN_IS_NOT_HERE=1");
  struct df_file *f = ok("FROM a\n"
                         "        # this is a comment-line\n"
                         "    RUN echo hello\n"
                         "RUN echo world # not a comment\n"
                         "RUN echo hello \\\n"
                         "# comment\n"
                         "world\n"
                         "RUN a \\\n"
                         "\n"
                         "   \n"
                         "  b\n"
                         "RUN echo \\  \t\n"
                         "  tail\n"
                         "RUN echo at-end \\");
  CHECK(f && f->stages[0].ninstrs == 7);
  CHECK_STR(arg(last(f, 1), 0), "echo hello");
  CHECK(last(f, 1) && last(f, 1)->line == 3);
  CHECK_STR(arg(last(f, 2), 0), "echo world # not a comment");
  CHECK_STR(arg(last(f, 3), 0), "echo hello world");
  CHECK(last(f, 3) && last(f, 3)->line == 5);
  CHECK_STR(arg(last(f, 4), 0), "a   b");
  CHECK(last(f, 4) && last(f, 4)->line == 8);
  CHECK_STR(arg(last(f, 5), 0), "echo   tail");
  CHECK_STR(last(f, 5) ? last(f, 5)->text : NULL, "RUN echo   tail");
  df_free(f);
  /* CRLF line ends and keyword case */
  f = ok("from a\r\nrUn echo hi\r\nCMD [\"x\"]\r\n");
  CHECK(f && f->stages[0].ninstrs == 3);
  CHECK_STR(arg(last(f, 1), 0), "echo hi");
  CHECK(last(f, 2) && last(f, 2)->json);
  df_free(f);
}

TEST(exec_and_shell_forms) {
  struct df_file *f = ok("FROM a\n"
                         "RUN [\"echo\", \"a b\"]\n"
                         "RUN [ \"x\" ]  \n"
                         "CMD echo [1\n"
                         "CMD [echo]\n"
                         "CMD ['single']\n"
                         "ENTRYPOINT []\n"
                         "CMD [\"a\"] trailing\n"
                         "CMD [\"q\\\"uote\", \"\\u00e9\", \"c:\\\\windows\"]\n"
                         "CMD\n"
                         "ENTRYPOINT exec top -b\n"
                         "SHELL [\"/bin/bash\", \"-c\"]\n"
                         "RUN --network=none [\"true\"]\n");
  CHECK(f != NULL);
  struct df_instr *in = last(f, 1);
  CHECK(in && in->json && in->nargs == 2);
  CHECK_STR(arg(in, 1), "a b");
  in = last(f, 2);
  CHECK(in && in->json && in->nargs == 1);
  in = last(f, 3);
  CHECK(in && !in->json && in->nargs == 1);
  CHECK_STR(arg(in, 0), "echo [1");
  CHECK_STR(arg(last(f, 4), 0), "[echo]");
  CHECK(last(f, 4) && !last(f, 4)->json);
  CHECK_STR(arg(last(f, 5), 0), "['single']");
  in = last(f, 6);
  CHECK(in && in->kind == DF_ENTRYPOINT && in->json && in->nargs == 0);
  CHECK_STR(arg(last(f, 7), 0), "[\"a\"] trailing");
  in = last(f, 8);
  CHECK(in && in->json && in->nargs == 3);
  CHECK_STR(arg(in, 0), "q\"uote");
  CHECK_STR(arg(in, 1), "\xc3\xa9");
  CHECK_STR(arg(in, 2), "c:\\windows");
  in = last(f, 9);
  CHECK(in && in->kind == DF_CMD && in->nargs == 0 && !in->json);
  CHECK_STR(arg(last(f, 10), 0), "exec top -b");
  in = last(f, 11);
  CHECK(in && in->kind == DF_SHELL && in->json && in->nargs == 2);
  in = last(f, 12);
  CHECK(in && in->json && in->nargs == 1);
  CHECK_STR(flag(in, "network"), "none");
  df_free(f);

  CHECK_FAIL(
      "FROM a\nCMD [\"a\", 1]\n",
      "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
  CHECK_FAIL(
      "FROM a\nRUN [[\"a\"]]\n",
      "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
  CHECK_FAIL("FROM a\nRUN\n", "Dockerfile:2: RUN requires at least one argument");
  CHECK_FAIL("FROM a\nSHELL /bin/sh -c\n",
             "Dockerfile:2: SHELL requires the arguments to be in JSON form");
  CHECK_FAIL("FROM a\nSHELL\n", "Dockerfile:2: SHELL requires at least one argument");
  CHECK_FAIL("FROM a\nSHELL []\n", "Dockerfile:2: SHELL requires at least one argument");
}

TEST(env_label_arg) {
  struct df_file *f = ok("FROM a\n"
                         "ENV MY_NAME=\"John Doe\"\n"
                         "ENV MY_DOG=Rex\\ The\\ Dog \\\n"
                         "    MY_CAT=fluffy\n"
                         "ENV ONE TWO= THREE=world\n"
                         "ENV abc=hello abc=bye def=$abc\n"
                         "LABEL \"com.example.vendor\"=\"ACME Incorporated\"\n"
                         "LABEL com.example.label-with-value=\"foo\" version=\"1.0\"\n"
                         "LABEL description=\"This text illustrates \\\n"
                         "that label-values can span multiple lines.\"\n"
                         "LABEL old style value\n"
                         "ARG user1\n"
                         "ARG buildno=1 other v='a b'\n"
                         "ENV empty=\n");
  CHECK(f != NULL);
  struct df_instr *in = last(f, 1);
  CHECK(in && in->kind == DF_ENV && in->nkv == 1);
  CHECK_STR(in ? in->kv[0].key : NULL, "MY_NAME");
  CHECK_STR(in ? in->kv[0].value : NULL, "\"John Doe\"");
  in = last(f, 2);
  CHECK(in && in->nkv == 2);
  CHECK_STR(in ? in->kv[0].value : NULL, "Rex\\ The\\ Dog");
  CHECK_STR(in && in->nkv > 1 ? in->kv[1].key : NULL, "MY_CAT");
  CHECK_STR(in && in->nkv > 1 ? in->kv[1].value : NULL, "fluffy");
  in = last(f, 3);
  CHECK(in && in->nkv == 1);
  CHECK_STR(in ? in->kv[0].key : NULL, "ONE");
  CHECK_STR(in ? in->kv[0].value : NULL, "TWO= THREE=world");
  in = last(f, 4);
  CHECK(in && in->nkv == 3);
  CHECK_STR(in && in->nkv == 3 ? in->kv[2].value : NULL, "$abc");
  in = last(f, 5);
  CHECK(in && in->kind == DF_LABEL && in->nkv == 1);
  CHECK_STR(in ? in->kv[0].key : NULL, "\"com.example.vendor\"");
  CHECK_STR(in ? in->kv[0].value : NULL, "\"ACME Incorporated\"");
  in = last(f, 6);
  CHECK(in && in->nkv == 2);
  CHECK_STR(in && in->nkv == 2 ? in->kv[1].key : NULL, "version");
  in = last(f, 7);
  CHECK_STR(in && in->nkv ? in->kv[0].value : NULL,
            "\"This text illustrates that label-values can span multiple lines.\"");
  in = last(f, 8);
  CHECK_STR(in && in->nkv ? in->kv[0].value : NULL, "style value");
  in = last(f, 9);
  CHECK(in && in->kind == DF_ARG && in->nkv == 1 && !in->kv[0].has_value);
  CHECK_STR(in ? in->kv[0].key : NULL, "user1");
  in = last(f, 10);
  CHECK(in && in->nkv == 3 && in->kv[0].has_value && !in->kv[1].has_value && in->kv[2].has_value);
  CHECK_STR(in && in->nkv == 3 ? in->kv[2].value : NULL, "'a b'");
  in = last(f, 11);
  CHECK(in && in->nkv == 1 && in->kv[0].has_value);
  CHECK_STR(in && in->nkv ? in->kv[0].value : NULL, "");
  df_free(f);

  CHECK_FAIL("FROM a\nENV\n", "Dockerfile:2: ENV requires at least one argument");
  CHECK_FAIL("FROM a\nENV lonely\n", "Dockerfile:2: ENV must have two arguments");
  CHECK_FAIL("FROM a\nENV a=b c\n", "Dockerfile:2: Syntax error - can't find = in \"c\". Must "
                                    "be of the form: name=value");
  CHECK_FAIL("FROM a\nENV =b\n", "Dockerfile:2: ENV names can not be blank");
  CHECK_FAIL("FROM a\nLABEL\n", "Dockerfile:2: LABEL requires at least one argument");
  CHECK_FAIL("FROM a\nLABEL x\n", "Dockerfile:2: LABEL must have two arguments");
  CHECK_FAIL("FROM a\nLABEL a=1 =2\n", "Dockerfile:2: LABEL names can not be blank");
  CHECK_FAIL("FROM a\nARG\n", "Dockerfile:2: ARG requires at least one argument");
  CHECK_FAIL("FROM a\nARG =x\n", "Dockerfile:2: ARG names can not be blank");
}

TEST(flags) {
  struct df_file *f = ok("FROM a\n"
                         "RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=b "
                         "--network=host make\n"
                         "COPY --from=build --chown=1:1 --chmod=755 --link a b /dst/\n"
                         "COPY --link=false x y\n"
                         "ADD --checksum=sha256:abc --keep-git-dir=true http://h/x /y\n"
                         "RUN --mount=\"type=bind,source=a b\" echo --not-a-flag\n"
                         "COPY --exclude=*.o --exclude=*.a . /src\n");
  CHECK(f != NULL);
  struct df_instr *in = last(f, 1);
  CHECK(in && in->nflags == 3);
  CHECK_STR(in && in->nflags == 3 ? in->flags[0].value : NULL, "type=cache,target=/root/.cache");
  CHECK_STR(in && in->nflags == 3 ? in->flags[1].value : NULL, "type=bind,from=b");
  CHECK_STR(in && in->nflags == 3 ? in->flags[1].name : NULL, "mount");
  CHECK_STR(flag(in, "network"), "host");
  CHECK_STR(arg(in, 0), "make");
  in = last(f, 2);
  CHECK_STR(flag(in, "from"), "build");
  CHECK_STR(flag(in, "chown"), "1:1");
  CHECK_STR(flag(in, "chmod"), "755");
  CHECK_STR(flag(in, "link"), "(none)");
  CHECK(in && in->nargs == 3);
  CHECK_STR(arg(in, 2), "/dst/");
  CHECK_STR(flag(last(f, 3), "link"), "false");
  in = last(f, 4);
  CHECK_STR(flag(in, "checksum"), "sha256:abc");
  CHECK_STR(flag(in, "keep-git-dir"), "true");
  in = last(f, 5);
  CHECK_STR(flag(in, "mount"), "type=bind,source=a b");
  CHECK_STR(arg(in, 0), "echo --not-a-flag");
  CHECK(last(f, 6) && last(f, 6)->nflags == 2);
  df_free(f);

  CHECK_FAIL("FROM a\n\n\n\n\n\nRUN --foo make\n", "Dockerfile:7: unknown flag: --foo");
  CHECK_FAIL("FROM a\nADD --from=b x y\n", "Dockerfile:2: unknown flag: --from");
  CHECK_FAIL("FROM a\nENV --x=1 a=b\n", "Dockerfile:2: unknown flag: --x");
  CHECK_FAIL("FROM --plat=x a\n", "Dockerfile:1: unknown flag: --plat");
  CHECK_FAIL("FROM a\nCOPY --from=a --from=b x y\n",
             "Dockerfile:2: duplicate flag specified: --from");
  CHECK_FAIL("FROM a\nCOPY --from x y\n", "Dockerfile:2: missing a value on flag: --from");
  CHECK_FAIL("FROM a\nCOPY --link= x y\n", "Dockerfile:2: missing a value on flag: --link");
  CHECK_FAIL("FROM a\nCOPY --link=maybe x y\n",
             "Dockerfile:2: expecting boolean value for flag --link, not: maybe");
  CHECK_FAIL("FROM a\nWORKDIR --x=1 /a\n", "Dockerfile:2: unknown flag: --x");
  CHECK_FAIL("FROM a\nCOPY --fromm=b x y\n",
             "Dockerfile:2: unknown flag: --fromm (did you mean from?)");
  CHECK_FAIL("FROM a\nRUN --netwrk=none x\n",
             "Dockerfile:2: unknown flag: --netwrk (did you mean network?)");
  /* COPY and FROM check their arguments before their flags, RUN after */
  CHECK_FAIL("FROM a\nCOPY --bogus x\n",
             "Dockerfile:2: COPY requires at least two arguments, but only one was provided. "
             "Destination could not be determined");
  CHECK_FAIL("FROM a\nRUN --bogus\n", "Dockerfile:2: unknown flag: --bogus");
  /* "--" ends the flags; ARG and STOPSIGNAL keep whatever they are given */
  f = ok("FROM a\nRUN --network=none -- --help\nARG --x=1 a\nSTOPSIGNAL --y SIGTERM\n");
  CHECK(f != NULL);
  in = last(f, 1);
  CHECK(in && in->nflags == 1);
  CHECK_STR(arg(in, 0), "--help");
  in = last(f, 2);
  CHECK_STR(flag(in, "x"), "1");
  CHECK_STR(in && in->nkv ? in->kv[0].key : NULL, "a");
  in = last(f, 3);
  CHECK_STR(flag(in, "y"), "(none)");
  CHECK_STR(arg(in, 0), "SIGTERM");
  df_free(f);
  /* with escape=` the backtick escapes in flag values */
  f = ok("# escape=`\nFROM a\nRUN --mount=type=bind,source=a`,b x\n");
  CHECK_STR(flag(last(f, 1), "mount"), "type=bind,source=a,b");
  df_free(f);
}

TEST(heredocs) {
  struct df_file *f = ok("FROM a\n"
                         "RUN <<EOF\n"
                         "apt-get update\n"
                         "# not a comment\n"
                         "\n"
                         "FROM not-an-instruction\n"
                         "EOF\n"
                         "RUN <<EOT bash\n"
                         "  set -ex\n"
                         "EOT\n"
                         "RUN python3 <<EOF\n"
                         "print(\"Hello\")\n"
                         "EOF\n"
                         "RUN <<FILE1 cat > file1 && <<FILE2 cat > file2\n"
                         "I am\n"
                         "first\n"
                         "FILE1\n"
                         "I am\n"
                         "second\n"
                         "FILE2\n"
                         "COPY <<EOF /usr/share/nginx/html/index.html\n"
                         "(your index page goes here)\n"
                         "EOF\n"
                         "COPY <<robots.txt <<humans.txt /usr/share/nginx/html/\n"
                         "(robots content)\n"
                         "robots.txt\n"
                         "(humans content)\n"
                         "humans.txt\n"
                         "RUN <<-EOF\n"
                         "\t\techo tabbed\n"
                         "\tEOF\n"
                         "RUN <<\"EOF\" cat && <<'EOG' cat && <<E\"O\"H cat\n"
                         "$x\n"
                         "EOF\n"
                         "EOG\n"
                         "EOH\n"
                         "RUN [\"cat\", \"<<EOF\"]\n"
                         "CMD cat <<EOF\n"
                         "RUN cat<<EOF is-not-one\n"
                         "RUN 3<<EOF cat <&3\r\n"
                         "crlf\r\n"
                         "EOF\r\n"
                         "RUN <<EOF\n"
                         "EOF \n"
                         "EOF\n");
  CHECK(f != NULL);
  if (!f)
    return;
  struct df_instr *in = last(f, 1);
  CHECK(in && in->kind == DF_RUN && in->nheredocs == 1 && in->line == 2);
  CHECK_STR(in->heredocs[0].name, "EOF");
  CHECK_STR(in->heredocs[0].body, "apt-get update\n# not a comment\n\nFROM not-an-instruction\n");
  CHECK(in->heredocs[0].expand);
  CHECK_STR(arg(in, 0), "<<EOF");
  in = last(f, 2);
  CHECK(in && in->nheredocs == 1 && in->line == 8);
  CHECK_STR(in->heredocs[0].body, "  set -ex\n");
  CHECK_STR(arg(in, 0), "<<EOT bash");
  in = last(f, 3);
  CHECK(in && in->nheredocs == 1);
  CHECK_STR(arg(in, 0), "python3 <<EOF");
  in = last(f, 4);
  CHECK(in && in->nheredocs == 2 && in->line == 14);
  CHECK_STR(in->heredocs[0].name, "FILE1");
  CHECK_STR(in->heredocs[0].body, "I am\nfirst\n");
  CHECK_STR(in->heredocs[1].name, "FILE2");
  CHECK_STR(in->heredocs[1].body, "I am\nsecond\n");
  in = last(f, 5);
  CHECK(in && in->kind == DF_COPY && in->nheredocs == 1 && in->nargs == 2);
  CHECK_STR(arg(in, 0), "EOF");
  CHECK_STR(arg(in, 1), "/usr/share/nginx/html/index.html");
  CHECK_STR(in->heredocs[0].body, "(your index page goes here)\n");
  in = last(f, 6);
  CHECK(in && in->nheredocs == 2 && in->nargs == 3);
  CHECK_STR(arg(in, 0), "robots.txt");
  CHECK_STR(arg(in, 1), "humans.txt");
  CHECK_STR(in->heredocs[1].body, "(humans content)\n");
  in = last(f, 7);
  CHECK(in && in->nheredocs == 1);
  CHECK_STR(in->heredocs[0].body, "echo tabbed\n");
  in = last(f, 8);
  CHECK(in && in->nheredocs == 3);
  CHECK(in && in->nheredocs == 3 && !in->heredocs[0].expand && !in->heredocs[1].expand &&
        !in->heredocs[2].expand);
  CHECK_STR(in->heredocs[0].body, "$x\n");
  CHECK_STR(in->heredocs[2].name, "EOH");
  in = last(f, 9);
  CHECK(in && in->json && in->nheredocs == 0);
  in = last(f, 10);
  CHECK(in && in->kind == DF_CMD && in->nheredocs == 0);
  in = last(f, 11);
  CHECK(in && in->kind == DF_RUN && in->nheredocs == 0);
  in = last(f, 12);
  CHECK(in && in->nheredocs == 1);
  CHECK_STR(in && in->nheredocs ? in->heredocs[0].body : NULL, "crlf\r\n");
  in = last(f, 13);
  CHECK(in && in->nheredocs == 1 && in->line == 43);
  CHECK_STR(in && in->nheredocs ? in->heredocs[0].body : NULL, "EOF \n");
  CHECK(f->stages[0].ninstrs == 14);
  df_free(f);

  CHECK_FAIL("FROM a\nRUN <<EOF\nnever ends\n", "Dockerfile:2: unterminated heredoc");
  CHECK_FAIL("FROM a\nRUN <<A <<B\nA\n", "Dockerfile:2: unterminated heredoc");
  CHECK_FAIL("FROM a\nCOPY x <<EOF\nEOF\n",
             "Dockerfile:2: COPY cannot accept a heredoc as a destination");
  CHECK_FAIL("FROM a\nADD <<EOF\nEOF\n",
             "Dockerfile:2: ADD requires at least two arguments, but only one was provided. "
             "Destination could not be determined");
}

TEST(healthcheck_onbuild) {
  struct df_file *f = ok("FROM a\n"
                         "HEALTHCHECK --interval=5m --timeout=3s \\\n"
                         "  CMD curl -f http://localhost/ || exit 1\n"
                         "HEALTHCHECK NONE\n"
                         "healthcheck cmd [\"true\"]\n"
                         "HEALTHCHECK --retries=3 --start-period=1m30s --start-interval=0 CMD x\n"
                         "ONBUILD ADD . /app/src\n"
                         "ONBUILD RUN /usr/local/bin/python-build --dir /app/src\n"
                         "ONBUILD COPY --from=x <<EOF /f\n"
                         "body\n"
                         "EOF\n"
                         "ONBUILD RUN [\"a\"]\n");
  CHECK(f != NULL);
  struct df_instr *in = last(f, 1);
  CHECK(in && in->kind == DF_HEALTHCHECK && !in->json && in->nargs == 1);
  CHECK_STR(arg(in, 0), "curl -f http://localhost/ || exit 1");
  CHECK_STR(flag(in, "interval"), "5m");
  CHECK_STR(flag(in, "timeout"), "3s");
  in = last(f, 2);
  CHECK(in && in->nargs == 1);
  CHECK_STR(arg(in, 0), "NONE");
  in = last(f, 3);
  CHECK(in && in->json && in->nargs == 1);
  CHECK_STR(arg(in, 0), "true");
  CHECK_STR(flag(last(f, 4), "retries"), "3");
  in = last(f, 5);
  CHECK(in && in->kind == DF_ONBUILD && in->sub && in->sub->kind == DF_ADD);
  CHECK_STR(in && in->sub ? in->sub->text : NULL, "ADD . /app/src");
  CHECK_STR(in && in->sub ? arg(in->sub, 1) : NULL, "/app/src");
  in = last(f, 6);
  CHECK(in && in->sub && in->sub->kind == DF_RUN);
  CHECK_STR(in && in->sub ? arg(in->sub, 0) : NULL, "/usr/local/bin/python-build --dir /app/src");
  in = last(f, 7);
  CHECK(in && in->sub && in->sub->kind == DF_COPY && in->sub->nheredocs == 1);
  CHECK_STR(in && in->sub && in->sub->nheredocs ? in->sub->heredocs[0].body : NULL, "body\n");
  CHECK_STR(in && in->sub ? flag(in->sub, "from") : NULL, "x");
  in = last(f, 8);
  CHECK(in && in->sub && in->sub->json);
  df_free(f);

  CHECK_FAIL("FROM a\nHEALTHCHECK\n", "Dockerfile:2: HEALTHCHECK requires at least one argument");
  CHECK_FAIL("FROM a\nHEALTHCHECK NONE x\n", "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
  CHECK_FAIL("FROM a\nHEALTHCHECK CMD\n", "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  CHECK_FAIL("FROM a\nHEALTHCHECK RUN x\n",
             "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
  CHECK_FAIL("FROM a\nHEALTHCHECK --interval=abc CMD x\n",
             "Dockerfile:2: time: invalid duration \"abc\"");
  CHECK_FAIL("FROM a\nHEALTHCHECK --timeout=5 CMD x\n",
             "Dockerfile:2: time: missing unit in duration \"5\"");
  CHECK_FAIL("FROM a\nHEALTHCHECK --interval=10us CMD x\n",
             "Dockerfile:2: Interval \"interval\" cannot be less than 1ms");
  CHECK_FAIL("FROM a\nHEALTHCHECK --retries=-1 CMD x\n",
             "Dockerfile:2: --retries cannot be negative (-1)");
  CHECK_FAIL("FROM a\nHEALTHCHECK --retries=x CMD x\n",
             "Dockerfile:2: strconv.ParseInt: parsing \"x\": invalid syntax");
  CHECK_FAIL("FROM a\nHEALTHCHECK --every=1s CMD x\n", "Dockerfile:2: unknown flag: --every");
  CHECK_FAIL("FROM a\nONBUILD\n", "Dockerfile:2: ONBUILD requires at least one argument");
  CHECK_FAIL("FROM a\nONBUILD ONBUILD RUN x\n",
             "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  CHECK_FAIL("FROM a\nONBUILD from x\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
  CHECK_FAIL("FROM a\nONBUILD MAINTAINER x\n",
             "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
  CHECK_FAIL("FROM a\nONBUILD RUNN x\n",
             "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)");
  CHECK_FAIL("FROM a\nHEALTHCHECK --timeout=5parsecs CMD x\n",
             "Dockerfile:2: time: unknown unit \"parsecs\" in duration \"5parsecs\"");
  CHECK_FAIL("FROM a\nHEALTHCHECK --timeout=.s CMD x\n",
             "Dockerfile:2: time: invalid duration \".s\"");
  CHECK_FAIL("FROM a\nONBUILD COPY x\n",
             "Dockerfile:2: COPY requires at least two arguments, but only one was provided. "
             "Destination could not be determined");
}

TEST(simple_instructions) {
  struct df_file *f = ok("FROM a\n"
                         "WORKDIR /path/to/workdir\n"
                         "USER user:group\n"
                         "STOPSIGNAL SIGKILL\n"
                         "MAINTAINER Jane Doe <jane@example.com>\n"
                         "EXPOSE 80/udp 443  8080\n"
                         "VOLUME [\"/data\"]\n"
                         "VOLUME /var/log /var/db\n"
                         "COPY hom* /mydir/\n"
                         "COPY [\"with space\", \"/dst dir/\"]\n"
                         "ADD https://example.com/big.tar.xz /usr/src/things/\n"
                         "WORKDIR a b\n");
  CHECK(f != NULL);
  CHECK_STR(arg(last(f, 1), 0), "/path/to/workdir");
  CHECK(last(f, 1) && last(f, 1)->kind == DF_WORKDIR);
  CHECK_STR(arg(last(f, 2), 0), "user:group");
  CHECK_STR(arg(last(f, 3), 0), "SIGKILL");
  CHECK_STR(arg(last(f, 4), 0), "Jane Doe <jane@example.com>");
  CHECK(last(f, 4) && last(f, 4)->kind == DF_MAINTAINER);
  struct df_instr *in = last(f, 5);
  CHECK(in && in->kind == DF_EXPOSE && in->nargs == 3);
  CHECK_STR(arg(in, 2), "8080");
  in = last(f, 6);
  CHECK(in && in->json && in->nargs == 1);
  in = last(f, 7);
  CHECK(in && !in->json && in->nargs == 2);
  CHECK_STR(arg(in, 1), "/var/db");
  in = last(f, 8);
  CHECK(in && in->nargs == 2);
  CHECK_STR(arg(in, 0), "hom*");
  in = last(f, 9);
  CHECK(in && in->json && in->nargs == 2);
  CHECK_STR(arg(in, 0), "with space");
  CHECK(last(f, 10) && last(f, 10)->kind == DF_ADD);
  CHECK_STR(arg(last(f, 11), 0), "a b");
  df_free(f);

  CHECK_FAIL("FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument");
  CHECK_FAIL("FROM a\nUSER   \n", "Dockerfile:2: USER requires exactly one argument");
  CHECK_FAIL("FROM a\nSTOPSIGNAL\n", "Dockerfile:2: STOPSIGNAL requires exactly one argument");
  CHECK_FAIL("FROM a\nMAINTAINER\n", "Dockerfile:2: MAINTAINER requires exactly one argument");
  CHECK_FAIL("FROM a\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument");
  CHECK_FAIL("FROM a\nVOLUME\n", "Dockerfile:2: VOLUME requires at least one argument");
  CHECK_FAIL("FROM a\nVOLUME []\n", "Dockerfile:2: VOLUME requires at least one argument");
  CHECK_FAIL("FROM a\nVOLUME [\"/a\", \"\"]\n",
             "Dockerfile:2: VOLUME specified can not be an empty string");
  CHECK_FAIL("FROM a\nCOPY onlyone\n",
             "Dockerfile:2: COPY requires at least two arguments, but only one was provided. "
             "Destination could not be determined");
  CHECK_FAIL("FROM a\nCOPY [\"onlyone\"]\n",
             "Dockerfile:2: COPY requires at least two arguments, but only one was provided. "
             "Destination could not be determined");
}

/* Every prefix of a real Dockerfile, and random garbage: an error or a
 * parse, never a crash or a leak (run under SANITIZE=1). */
TEST(robust) {
  static const char full[] = "# syntax=docker/dockerfile:1\n"
                             "ARG BASE=busybox\n"
                             "FROM $BASE AS build\n"
                             "RUN --mount=type=cache,target=/c <<EOF bash \\\n"
                             "  && echo done\n"
                             "echo \"${x:-y}\"\n"
                             "EOF\n"
                             "ENV a=\"b c\" d=e\n"
                             "LABEL x=y\n"
                             "COPY --from=build <<-'X' /f\n"
                             "\tdata\n"
                             "\tX\n"
                             "HEALTHCHECK --interval=1s CMD [\"true\"]\n"
                             "ONBUILD RUN echo\n"
                             "FROM scratch\n";
  int parsed = 0, failed = 0;
  for (size_t n = 0; n <= sizeof(full) - 1; n++) {
    char *copy = xmalloc(n ? n : 1);
    memcpy(copy, full, n); /* exactly n bytes: no terminator to lean on */
    struct err *e = NULL;
    struct df_file *f = df_parse(copy, n, "Dockerfile", &e);
    parsed += f != NULL;
    failed += f == NULL && e != NULL;
    df_free(f);
    err_free(&e);
    free(copy);
  }
  CHECK(parsed > 0 && failed > 0 && parsed + failed == (int)sizeof(full));

  static const char *const tokens[] = {
      "FROM ",
      "RUN ",
      "COPY ",
      "ADD ",
      "ENV ",
      "ARG ",
      "LABEL ",
      "ONBUILD ",
      "HEALTHCHECK ",
      "CMD ",
      "SHELL ",
      "VOLUME ",
      "EXPOSE ",
      "WORKDIR ",
      "USER ",
      "a",
      "=",
      "\"",
      "'",
      "\\",
      "`",
      "\n",
      " ",
      "\t",
      "<<",
      "<<-",
      "EOF",
      "[",
      "]",
      "\"x\"",
      ",",
      "--",
      "from=",
      "#",
      "# escape=`\n",
      "NONE",
      "AS ",
      "$",
      "${",
      "}",
      "\r",
      "\0",
      "\xef\xbb\xbf",
      "1",
  };
  unsigned seed = 7;
  char buf[512];
  parsed = failed = 0;
  for (int round = 0; round < 20000; round++) {
    size_t len = 0;
    int ntok = (int)((seed = seed * 1103515245 + 12345) >> 16) % 40;
    if (round % 2) { /* mostly valid start */
      memcpy(buf, "FROM a\n", 7);
      len = 7;
    }
    for (int t = 0; t < ntok; t++) {
      const char *tok =
          tokens[((seed = seed * 1103515245 + 12345) >> 16) % (sizeof(tokens) / sizeof(tokens[0]))];
      size_t tl = *tok ? strlen(tok) : 1;
      if (len + tl >= sizeof(buf))
        break;
      memcpy(buf + len, tok, tl);
      len += tl;
    }
    struct err *e = NULL;
    struct df_file *f = df_parse(buf, len, "Dockerfile", &e);
    parsed += f != NULL;
    failed +=
        f == NULL && e != NULL && e->code == ERR_USAGE && strncmp(e->msg, "Dockerfile", 10) == 0;
    df_free(f);
    err_free(&e);
  }
  CHECK(parsed > 0 && failed > 0 && parsed + failed == 20000);
}

/* The heredoc forms buildkit's parser knows: names, bodies, expansion. */
TEST(heredoc_forms) {
  static const char text[] = "FROM alpine:3.6\n"
                             "RUN <<EMPTY\nEMPTY\n"
                             "RUN 3<<EMPTY2\nEMPTY2\n"
                             "RUN \"<<NOHEREDOC\"\n"
                             "RUN <<INDENT\n\tfoo\n\tbar\nINDENT\n"
                             "RUN <<-UNINDENT\n\tbaz\n\tquux\nUNINDENT\n"
                             "RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n"
                             "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n"
                             "RUN <<COMMENT\n# internal comment\necho foo # trailing\nCOMMENT\n"
                             "RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n"
                             "COPY <<EOF /quotes\n\"foo\"\n'bar'\nEOF\n"
                             "COPY <<X <<Y /dest\nY\nX\nX\nY\n"
                             "COPY <<file.txt /dest\nhello world\nfile.txt\n"
                             "RUN <<eo'f'\necho foo\neof\n"
                             "RUN <<eo\\'f\necho foo\neo'f\n"
                             "RUN <<'e'o\\'f\necho foo\neo'f\n"
                             "RUN <<'one two'\necho bar\none two\n"
                             "RUN <<$EOF\n$EOF\n"
                             "RUN <<  EOF\nEOF\n"
                             "RUN <<  EOF  > foo\nEOF\n"
                             "RUN [\"<<EOF\"]\n"
                             "RUN [\"<<'EOF'\"]\n";
  static const struct {
    size_t n;
    const char *name, *body;
    bool expand;
    const char *name2, *body2;
  } want[] = {
      {1, "EMPTY", "", true, NULL, NULL},
      {1, "EMPTY2", "", true, NULL, NULL},
      {0, NULL, NULL, false, NULL, NULL},
      {1, "INDENT", "\tfoo\n\tbar\n", true, NULL, NULL},
      {1, "UNINDENT", "baz\nquux\n", true, NULL, NULL},
      {1, "UNINDENT2", "baz\nquux\n", true, NULL, NULL},
      {1, "NOEXPAND", "don't expand $NAME\n", false, NULL, NULL},
      {1, "COMMENT", "# internal comment\necho foo # trailing\n", true, NULL, NULL},
      {1, "MOUNT", "echo hello\n", true, NULL, NULL},
      {1, "EOF", "\"foo\"\n'bar'\n", true, NULL, NULL},
      {2, "X", "Y\n", true, "Y", "X\n"},
      {1, "file.txt", "hello world\n", true, NULL, NULL},
      {1, "eof", "echo foo\n", false, NULL, NULL},
      {1, "eo'f", "echo foo\n", true, NULL, NULL},
      {1, "eo'f", "echo foo\n", false, NULL, NULL},
      {1, "one two", "echo bar\n", false, NULL, NULL},
      {1, "$EOF", "", true, NULL, NULL},
      {1, "EOF", "", true, NULL, NULL},
      {1, "EOF", "", true, NULL, NULL},
      {0, NULL, NULL, false, NULL, NULL},
      {0, NULL, NULL, false, NULL, NULL},
  };
  struct df_file *f = ok(text);
  CHECK(f && f->stages[0].ninstrs == 1 + sizeof(want) / sizeof(want[0]));
  for (size_t i = 0; f && i < sizeof(want) / sizeof(want[0]); i++) {
    struct df_instr *in = last(f, i + 1);
    if (!in || in->nheredocs != want[i].n) {
      fprintf(stderr, "  instruction %zu: %zu heredocs\n", i + 1, in ? in->nheredocs : 0);
      CHECK(0);
      continue;
    }
    if (!want[i].n)
      continue;
    CHECK_STR(in->heredocs[0].name, want[i].name);
    CHECK_STR(in->heredocs[0].body, want[i].body);
    CHECK(in->heredocs[0].expand == want[i].expand);
    if (want[i].n == 2) {
      CHECK_STR(in->heredocs[1].name, want[i].name2);
      CHECK_STR(in->heredocs[1].body, want[i].body2);
    }
  }
  /* COPY names its heredoc sources by delimiter */
  struct df_instr *in = last(f, 11);
  CHECK(in && in->nargs == 3);
  CHECK_STR(arg(in, 0), "X");
  CHECK_STR(arg(in, 1), "Y");
  CHECK_STR(arg(in, 2), "/dest");
  df_free(f);
}

/* docker's 64 KiB line limit, and inputs built to be slow or deep */
TEST(limits) {
  size_t n = 65535;
  char *big = xmalloc(n + 64);
  memcpy(big, "FROM a\nRUN ", 11);
  memset(big + 11, 'x', n - 4);
  memcpy(big + 11 + n - 4, "\n", 2);
  struct err *e = NULL;
  struct df_file *f = df_parse(big, strlen(big), "Dockerfile", &e);
  CHECK(f != NULL);
  df_free(f);
  memcpy(big + 11 + n - 4, "xx\n", 4);
  f = df_parse(big, strlen(big), "Dockerfile", &e);
  CHECK(f == NULL);
  CHECK_STR(e ? e->msg : NULL,
            "Dockerfile:2: dockerfile line greater than max allowed size of 65535");
  err_free(&e);
  free(big);

  /* thousands of continuation lines and heredocs */
  struct dbufx {
    char *p;
    size_t len;
  } b = {xmalloc(200000), 0};
  b.len = (size_t)snprintf(b.p, 200000, "FROM a\nRUN true");
  for (int i = 0; i < 5000; i++)
    b.len += (size_t)snprintf(b.p + b.len, 200000 - b.len, " \\\n && true");
  b.len += (size_t)snprintf(b.p + b.len, 200000 - b.len, "\nRUN <<A <<B\na\nA\nb\nB\n");
  f = df_parse(b.p, b.len, "Dockerfile", &e);
  CHECK(f != NULL && f->stages[0].ninstrs == 3 && f->stages[0].instrs[2].line == 5003);
  df_free(f);
  free(b.p);
}

int main(void) {
  RUN(stages);
  RUN(stage_errors);
  RUN(directives);
  RUN(comments_continuations);
  RUN(exec_and_shell_forms);
  RUN(env_label_arg);
  RUN(flags);
  RUN(heredocs);
  RUN(healthcheck_onbuild);
  RUN(simple_instructions);
  RUN(robust);
  RUN(heredoc_forms);
  RUN(limits);
  return UNIT_DONE();
}
