/* cairn-build — build an image from a Dockerfile.
 *
 * main() reads the flags, parses the Dockerfile, runs the stages
 * (stage.c), then names and writes the result: tags in the store, the
 * image id (-q, --iidfile), an archive (--output).  `cairn-build prune`
 * empties the build cache. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "ref.h"

static const char usage_text[] =
    "Usage: cairn-build [OPTIONS] CONTEXT\n"
    "       cairn-build prune [-f]\n\n"
    "Build an image from the Dockerfile in CONTEXT (a directory).\n\n"
    "  -t, --tag NAME           name the image (repeatable)\n"
    "  -f, --file FILE          the Dockerfile (default CONTEXT/Dockerfile; - for stdin)\n"
    "      --build-arg K[=V]    a build-time variable (K alone: from the environment)\n"
    "      --target STAGE       build up to this stage\n"
    "      --no-cache           do not use the build cache\n"
    "      --pull               always pull base images\n"
    "      --label K=V          a label on the image (repeatable)\n"
    "      --network MODE       RUN's network: default (the cairn bridge), host, none\n"
    "      --platform P         only this host's platform (linux/amd64) is built\n"
    "  -q, --quiet              print only the image id\n"
    "      --progress MODE      auto (tty on a terminal, else plain), plain or tty\n"
    "      --iidfile FILE       write the image id to FILE\n"
    "  -o, --output SPEC        type=docker|oci,dest=FILE: also write an archive\n"
    "      --runtime RT         the OCI runtime for RUN (name or path; default cairn-runtime)\n"
    "      --compression C      of the new layers: gzip (default), zstd (faster), none\n"
    "      --secret id=X,src=F  a secret for RUN --mount=type=secret,id=X (or env=VAR)\n"
    "      --root DIR           CAIRN_ROOT (default /var/lib/cairn)\n\n"
    "Builds are reproducible: layer times and the config's dates are SOURCE_DATE_EPOCH\n"
    "(default 0), so the same Dockerfile and context give the same image id.\n";

static int parse_output(const char *spec, char **type, char **dest, struct err **e) {
  cleanup_free char *s = xstrdup(spec);
  char *save = NULL;
  for (char *kv = strtok_r(s, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    if (strncmp(kv, "type=", 5) == 0) {
      free(*type);
      *type = xstrdup(kv + 5);
    } else if (strncmp(kv, "dest=", 5) == 0) {
      free(*dest);
      *dest = xstrdup(kv + 5);
    } else {
      return err_usage(e, "--output: unknown option '%s' (type=, dest=)", kv);
    }
  }
  if (*type == NULL || (strcmp(*type, "docker") != 0 && strcmp(*type, "oci") != 0))
    return err_usage(e, "--output: type must be docker or oci");
  if (*dest == NULL || (*dest)[0] == '\0')
    return err_usage(e, "--output: dest=FILE is required");
  return 0;
}

static int finish(struct build *b, struct err **e) {
  struct build_opts *o = b->o;
  struct bimage *img = &b->stages[b->target].img;
  if (img->ref == NULL)
    return err_usage(e, "the target stage is empty (FROM scratch with no instruction)");
  for (char **t = o->tags; t && *t; t++) {
    const char *argv[] = {"cairn-image", "tag", img->ref, *t, NULL};
    if (tool_run(b, argv, NULL, 0, NULL, e) < 0)
      return err_wrap(e, "tag '%s'", *t);
  }
  int n = prog_step(b, false, "exporting to image");
  prog_note(b, n, "writing image %s done", img->id);
  for (char **t = o->tags; t && *t; t++) {
    cleanup_free char *full = ref_normalize(*t, e);
    if (full == NULL)
      return -1;
    prog_note(b, n, "naming to %s done", full);
  }
  if (o->iidfile != NULL) {
    cleanup_free char *line = xstrdup(img->id);
    if (write_file_atomic(o->iidfile, line, strlen(line), 0644, e) < 0)
      return err_wrap(e, "--iidfile");
  }
  if (o->output != NULL) {
    cleanup_free char *type = NULL, *dest = NULL;
    if (parse_output(o->output, &type, &dest, e) < 0)
      return -1;
    if (strcmp(type, "docker") == 0) {
      const char *name = o->tags && o->tags[0] ? o->tags[0] : img->ref;
      const char *argv[] = {"cairn-image", "save", "-o", dest, name, NULL};
      if (tool_run(b, argv, NULL, 0, NULL, e) < 0)
        return err_wrap(e, "--output");
    } else if (oci_archive(b, img, o->tags ? o->tags[0] : NULL, dest, e) < 0) {
      return err_wrap(e, "--output");
    }
  }
  prog_done(b, n, false);
  return 0;
}

static int do_build(struct build_opts *o, struct err **e) {
  struct stat st;
  if (stat(o->context, &st) < 0)
    return err_set(e, errno, "unable to prepare context: path '%s'", o->context);
  if (!S_ISDIR(st.st_mode))
    return err_usage(e, "unable to prepare context: '%s' is not a directory", o->context);
  for (char **t = o->tags; t && *t; t++) {
    cleanup_free char *n = ref_normalize(*t, e);
    if (n == NULL)
      return err_wrap(e, "invalid tag '%s'", *t);
  }
  if (o->output != NULL) {
    cleanup_free char *type = NULL, *dest = NULL;
    if (parse_output(o->output, &type, &dest, e) < 0)
      return -1;
  }
  if (o->platform != NULL && strcmp(o->platform, "linux/amd64") != 0 &&
      strcmp(o->platform, "linux/amd64/v1") != 0)
    return err_usage(e, "--platform '%s': only this host's platform, linux/amd64, is built",
                     o->platform);
  if (strcmp(o->network, "none") != 0 && strcmp(o->network, "host") != 0 &&
      strcmp(o->network, "default") != 0 && strcmp(o->network, "bridge") != 0)
    return err_usage(e, "--network: expected none, host or default, not '%s'", o->network);
  cleanup_free char *dfpath = o->file ? xstrdup(o->file) : path_join(o->context, "Dockerfile");
  size_t len;
  cleanup_free char *text = read_file(dfpath, 0, &len, e);
  if (text == NULL)
    return err_wrap(e, "Dockerfile");
  cleanup_free char *copy = xstrdup(strcmp(dfpath, "-") == 0 ? "Dockerfile" : dfpath);
  struct build b = {.o = o, .df_name = xstrdup(basename(copy)), .tmp_lock = -1};
  int r = 0;
  b.df = df_parse(text, len, b.df_name, e);
  if (b.df == NULL)
    r = -1;
  b.build_args = json_object();
  for (char **a = o->build_args; r == 0 && a && *a; a++) {
    char *eq = strchr(*a, '=');
    cleanup_free char *k = eq ? xstrndup(*a, (size_t)(eq - *a)) : xstrdup(*a);
    const char *v = eq ? eq + 1 : getenv(k);
    if (k[0] == '\0')
      r = err_usage(e, "--build-arg '%s': a name is required", *a);
    else if (v != NULL)
      json_object_set_new(b.build_args, k, json_string(v));
  }
  if (r == 0) {
    struct err *ie = NULL; /* leftovers of killed builds: only tidying */
    build_tmp_sweep(o->root, &ie);
    err_free(&ie);
    r = build_tmp_create(&b, e);
  }
  if (r == 0)
    r = prog_open(&b, o->progress, e);
  if (r == 0)
    r = build_run(&b, e);
  if (r == 0)
    r = finish(&b, e);
  prog_close(&b, r == 0);
  if (b.warning != NULL)
    fprintf(stderr, "%s\n", b.warning);
  if (r == 0 && o->quiet)
    printf("%s\n", b.stages[b.target].img.id);
  build_tmp_remove(&b);
  for (size_t i = 0; i < b.nstages; i++) {
    bimage_free(&b.stages[i].img);
    json_decref(b.stages[i].args);
  }
  free(b.stages);
  free(b.needed);
  free(b.deps);
  free(b.tmp);
  free(b.author);
  free(b.warning);
  strv_free(b.mountpoints);
  free(b.df_name);
  json_decref(b.global_args);
  json_decref(b.build_args);
  json_decref(b.used_args);
  context_free(b.ctx);
  if (b.df != NULL)
    df_free(b.df);
  return r;
}

static int do_prune(const char *root, int argc, char **argv, struct err **e) {
  bool quiet = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
      quiet = true;
      continue;
    }
    if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0 ||
        strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
      continue;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs("Usage: cairn-build prune [-f] [-q]\n\nRemove the build cache (-q: print nothing).\n",
            stdout);
      return 0;
    }
    return err_usage(e, "prune: unknown argument '%s'", argv[i]);
  }
  uint64_t freed = 0;
  if (build_tmp_sweep(root, e) < 0 || cache_prune(root, &freed, e) < 0)
    return -1;
  cleanup_free char *sz = fmt_size((double)freed);
  if (!quiet)
    printf("Total:\t%s\n", sz);
  return 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"tag", required_argument, NULL, 't'},
                                       {"file", required_argument, NULL, 'f'},
                                       {"build-arg", required_argument, NULL, 'A'},
                                       {"target", required_argument, NULL, 'T'},
                                       {"no-cache", no_argument, NULL, 'N'},
                                       {"pull", no_argument, NULL, 'P'},
                                       {"label", required_argument, NULL, 'L'},
                                       {"network", required_argument, NULL, 'n'},
                                       {"platform", required_argument, NULL, 'p'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"progress", required_argument, NULL, 'G'},
                                       {"iidfile", required_argument, NULL, 'I'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"runtime", required_argument, NULL, 'R'},
                                       {"root", required_argument, NULL, 'r'},
                                       {"compression", required_argument, NULL, 'Z'},
                                       {"secret", required_argument, NULL, 'S'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  struct build_opts o = {.network = "default"};
  o.root = getenv("CAIRN_ROOT") && *getenv("CAIRN_ROOT") ? getenv("CAIRN_ROOT") : "/var/lib/cairn";
  o.run = getenv("CAIRN_RUN") && *getenv("CAIRN_RUN") ? getenv("CAIRN_RUN") : "/run/cairn";
  struct err *e = NULL;
  /* `prune` first: its -f is not build's --file */
  if (argc > 1 && strcmp(argv[1], "prune") == 0) {
    if (do_prune(o.root, argc - 1, argv + 1, &e) == 0)
      return 0;
    err_print(e, "cairn-build");
    int code = err_exit_code(e);
    err_free(&e);
    return code;
  }
  int c;
  while ((c = getopt_long(argc, argv, "t:f:qo:h", opts, NULL)) != -1) {
    switch (c) {
      case 't': strv_push(&o.tags, optarg); break;
      case 'f': o.file = optarg; break;
      case 'A': strv_push(&o.build_args, optarg); break;
      case 'T': o.target = optarg; break;
      case 'N': o.no_cache = true; break;
      case 'P': o.pull = true; break;
      case 'L': strv_push(&o.labels, optarg); break;
      case 'n': o.network = optarg; break;
      case 'p': o.platform = optarg; break;
      case 'q': o.quiet = true; break;
      case 'G':
        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "plain") != 0 &&
            strcmp(optarg, "tty") != 0 && strcmp(optarg, "quiet") != 0) {
          err_usage(&e, "--progress: expected auto, plain or tty, not '%s'", optarg);
          goto out;
        }
        if (strcmp(optarg, "quiet") == 0)
          o.quiet = true;
        o.progress = optarg;
        break;
      case 'S':
        if (secret_check(optarg, &e) < 0)
          goto out;
        strv_push(&o.secrets, optarg);
        break;
      case 'I': o.iidfile = optarg; break;
      case 'o': o.output = optarg; break;
      case 'R': o.runtime = optarg; break;
      case 'r': o.root = optarg; break;
      case 'Z':
        if (strcmp(optarg, "gzip") != 0 && strcmp(optarg, "zstd") != 0 &&
            strcmp(optarg, "none") != 0) {
          err_usage(&e, "--compression: expected gzip, zstd or none, not '%s'", optarg);
          goto out;
        }
        o.compression = optarg;
        break;
      case 'h': fputs(usage_text, stdout); return 0;
      default: err_usage(&e, "see 'cairn-build --help'"); goto out;
    }
  }
  /* the tools we run honour the same roots */
  setenv("CAIRN_ROOT", o.root, 1);
  setenv("CAIRN_RUN", o.run, 1);
  const char *sde = getenv("SOURCE_DATE_EPOCH");
  if (sde != NULL && *sde) {
    char *end;
    o.epoch = strtoll(sde, &end, 10);
    if (*end != '\0' || o.epoch < 0) {
      err_usage(&e, "SOURCE_DATE_EPOCH: not a number of seconds: '%s'", sde);
      goto out;
    }
  } else {
    setenv("SOURCE_DATE_EPOCH", "0", 1); /* cairn-image commit dates the config with it */
  }
  if (argc - optind != 1) {
    err_usage(&e, "exactly one CONTEXT directory is required (see 'cairn-build --help')");
    goto out;
  }
  o.context = argv[optind];
  if (do_build(&o, &e) == 0) {
    strv_free(o.tags);
    strv_free(o.build_args);
    strv_free(o.labels);
    strv_free(o.secrets);
    return 0;
  }
out:
  strv_free(o.secrets);
  strv_free(o.tags);
  strv_free(o.build_args);
  strv_free(o.labels);
  err_print(e, "cairn-build");
  int code = e->code == ERR_RUNFAIL ? (o.run_status ? o.run_status : 1) : err_exit_code(e);
  err_free(&e);
  return code;
}
