/* cairn-image inspect | config | history — read-only views of one image. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fmt.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "mem.h"
#include "ref.h"
#include "view.h"

/* Resolve NAME and load its image (the index copy goes to *index). */
static int load_named(struct ctx *c, const char *name, json_t **index, struct image_ref *ir,
                      struct image *img, struct err **e) {
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  *index = store_index_load(s, e);
  if (*index == NULL)
    return -1;
  if (store_resolve(s, *index, name, ir, e) < 0)
    return -1;
  if (image_load(s, ir->manifest, NULL, img, e) < 0) {
    image_ref_free(ir);
    return err_wrap(e, "image '%s'", name);
  }
  return 0;
}

/* docker's image Config: its fixed fields first, then the image's. */
static json_t *docker_config(json_t *cfg) {
  json_t *src = json_get_obj(cfg, "config");
  json_t *d = json_pack("{s:s,s:s,s:s,s:b,s:b,s:b}", "Hostname", "", "Domainname", "", "User",
                        json_get_str(src, "User") ?: "", "AttachStdin", 0, "AttachStdout", 0,
                        "AttachStderr", 0);
  json_t *ports = json_object_get(src, "ExposedPorts");
  if (ports != NULL)
    json_object_set(d, "ExposedPorts", ports);
  json_object_set_new(d, "Tty", json_false());
  json_object_set_new(d, "OpenStdin", json_false());
  json_object_set_new(d, "StdinOnce", json_false());
  static const char *const rest[] = {"Env",     "Cmd",     "Healthcheck", "ArgsEscaped",
                                     "Image",   "Volumes", "WorkingDir",  "Entrypoint",
                                     "OnBuild", "Labels",  "StopSignal",  "Shell"};
  for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
    json_t *v = json_object_get(src, rest[i]);
    if (v != NULL)
      json_object_set(d, rest[i], v);
    else if (strcmp(rest[i], "Image") == 0 || strcmp(rest[i], "WorkingDir") == 0)
      json_object_set_new(d, rest[i], json_string(""));
    else if (strcmp(rest[i], "Healthcheck") && strcmp(rest[i], "ArgsEscaped") &&
             strcmp(rest[i], "StopSignal") && strcmp(rest[i], "Shell"))
      json_object_set_new(d, rest[i], json_null());
  }
  return d;
}

static json_t *inspect_one(struct store *s, json_t *index, struct image *img) {
  json_t *tags = json_array(), *digests = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(index, "manifests"), i, m) {
    const char *d = json_get_str(m, "digest");
    const char *r = json_get_str(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
    if (d == NULL || r == NULL || strcmp(d, img->manifest_digest) != 0)
      continue;
    struct ref p;
    struct err *e = NULL;
    if (ref_parse(r, &p, &e) < 0) {
      err_free(&e);
      continue;
    }
    char *tag = p.tag, *dig = p.digest;
    p.tag = NULL;
    p.digest = NULL;
    cleanup_free char *repo = ref_familiar(&p);
    if (tag != NULL)
      json_array_append_new(tags, json_sprintf("%s:%s", repo, tag));
    cleanup_free char *rd = xasprintf("%s@%s", repo, img->manifest_digest);
    int seen = 0;
    size_t k;
    json_t *v;
    json_array_foreach(digests, k, v) seen |= strcmp(json_string_value(v), rd) == 0;
    if (!seen)
      json_array_append_new(digests, json_string(rd));
    p.tag = tag;
    p.digest = dig;
    ref_free(&p);
  }
  json_t *cfg = img->config;
  json_t *layers = json_array();
  for (size_t k = 0; k < img->nlayers; k++)
    json_array_append_new(layers, json_string(img->layers[k].diffid));
  /* Like overlay2's: the top layer as UpperDir, the rest as LowerDir. */
  json_t *data = json_object();
  if (img->nlayers > 0) {
    cleanup_free char *upper = store_layer_path(s, img->layers[img->nlayers - 1].diffid);
    json_object_set_new(data, "UpperDir", json_string(upper));
    cleanup_free char *lower = xstrdup("");
    for (size_t k = img->nlayers - 1; k-- > 0;) {
      cleanup_free char *p = store_layer_path(s, img->layers[k].diffid);
      char *n = xasprintf("%s%s%s", lower, lower[0] ? ":" : "", p);
      free(lower);
      lower = n;
    }
    if (lower[0])
      json_object_set_new(data, "LowerDir", json_string(lower));
  }
  json_t *o = json_object();
  json_object_set_new(o, "Id", json_string(img->config_digest));
  json_object_set_new(o, "RepoTags", tags);
  json_object_set_new(o, "RepoDigests", digests);
  json_object_set_new(o, "Parent", json_string(""));
  json_object_set_new(o, "Comment", json_string(json_get_str(cfg, "comment") ?: ""));
  json_object_set_new(o, "Created", json_string(json_get_str(cfg, "created") ?: ""));
  json_object_set_new(o, "DockerVersion", json_string(json_get_str(cfg, "docker_version") ?: ""));
  json_object_set_new(o, "Author", json_string(json_get_str(cfg, "author") ?: ""));
  json_object_set_new(o, "Config", docker_config(cfg));
  json_object_set_new(o, "Architecture", json_string(json_get_str(cfg, "architecture") ?: ""));
  if (json_get_str(cfg, "variant"))
    json_object_set_new(o, "Variant", json_string(json_get_str(cfg, "variant")));
  json_object_set_new(o, "Os", json_string(json_get_str(cfg, "os") ?: ""));
  json_object_set_new(o, "Size", json_integer(image_size(s, img)));
  json_object_set_new(o, "GraphDriver", json_pack("{s:o,s:s}", "Data", data, "Name", "overlay"));
  json_object_set_new(o, "RootFS", json_pack("{s:s,s:o}", "Type", "layers", "Layers", layers));
  json_object_set_new(o, "Metadata", json_pack("{s:s}", "LastTagTime", "0001-01-01T00:00:00Z"));
  json_object_set_new(o, "Descriptor",
                      json_pack("{s:s,s:s,s:I}", "mediaType", img->manifest_type, "digest",
                                img->manifest_digest, "size",
                                (json_int_t)0)); /* size filled below */
  return o;
}

int cmd_inspect(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
  int o;
  while ((o = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
    if (o == 'h') {
      fputs("Usage: cairn-image inspect IMAGE...\n\n"
            "Print docker's image inspect JSON (an array) for each image.\n",
            stdout);
      return 0;
    }
    if (o == 'f' && strcmp(optarg, "json") == 0)
      continue;
    return err_usage(e, "inspect: see 'cairn-image inspect --help'");
  }
  if (optind >= argc)
    return err_usage(e, "inspect: an IMAGE is required");
  cleanup_json json_t *out = json_array();
  for (int i = optind; i < argc; i++) {
    cleanup_json json_t *index = NULL;
    struct image_ref ir;
    struct image img;
    if (load_named(c, argv[i], &index, &ir, &img, e) < 0)
      return -1;
    json_t *one = inspect_one(&c->store, index, &img);
    struct err *ig = NULL;
    size_t len = 0;
    cleanup_free char *raw = store_read_blob(&c->store, img.manifest_digest, &len, &ig);
    err_free(&ig);
    json_object_set_new(json_object_get(one, "Descriptor"), "size", json_integer((json_int_t)len));
    json_array_append_new(out, one);
    image_free(&img);
    image_ref_free(&ir);
  }
  cleanup_free char *text = json_dumps(out, JSON_INDENT(4));
  puts(text);
  return 0;
}

int cmd_config(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
  int o;
  while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (o == 'h') {
      fputs("Usage: cairn-image config IMAGE\n\n"
            "Print the image's OCI config exactly as stored (its digest is the image id).\n",
            stdout);
      return 0;
    }
    return err_usage(e, "config: see 'cairn-image config --help'");
  }
  if (argc - optind != 1)
    return err_usage(e, "config: exactly one IMAGE is required");
  cleanup_json json_t *index = NULL;
  struct image_ref ir;
  struct image img;
  if (load_named(c, argv[optind], &index, &ir, &img, e) < 0)
    return -1;
  size_t len;
  cleanup_free char *raw = store_read_blob(&c->store, img.config_digest, &len, e);
  image_free(&img);
  image_ref_free(&ir);
  if (raw == NULL)
    return -1;
  fwrite(raw, 1, len, stdout);
  if (isatty(1) && (len == 0 || raw[len - 1] != '\n'))
    putchar('\n');
  return 0;
}

/* docker's Ellipsis: at most n characters, the last one "…". */
static char *ellipsis(const char *s, size_t n) {
  size_t len = strlen(s);
  if (len <= n)
    return xstrdup(s);
  return xasprintf("%.*s…", (int)(n - 1), s);
}

int cmd_history(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"no-trunc", no_argument, NULL, 'n'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  int notrunc = 0, quiet = 0, json = 0, o;
  while ((o = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (o) {
      case 'n': notrunc = 1; break;
      case 'q': quiet = 1; break;
      case 'j': json = 1; break;
      case 'h':
        fputs("Usage: cairn-image history [--no-trunc] [-q] [--json] IMAGE\n\n"
              "Show the history of an image: IMAGE, CREATED, CREATED BY, SIZE, COMMENT.\n",
              stdout);
        return 0;
      default: return err_usage(e, "history: see 'cairn-image history --help'");
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "history: exactly one IMAGE is required");
  cleanup_json json_t *index = NULL;
  struct image_ref ir;
  struct image img;
  if (load_named(c, argv[optind], &index, &ir, &img, e) < 0)
    return -1;
  json_t *hist = json_get_arr(img.config, "history");
  size_t nh = json_array_size(hist);
  cleanup_json json_t *rows = json_array(); /* oldest first */
  size_t li = 0;
  for (size_t i = 0; i < nh; i++) {
    json_t *h = json_array_get(hist, i);
    int empty = json_is_true(json_object_get(h, "empty_layer"));
    int64_t size = 0;
    if (!empty && li < img.nlayers) {
      size = layer_size(&c->store, img.layers[li].diffid);
      if (size < 0)
        size = img.layers[li].size;
      li++;
    }
    json_array_append_new(rows,
                          json_pack("{s:s,s:s,s:s,s:I,s:s}", "Id", "<missing>", "Created",
                                    json_get_str(h, "created") ?: "", "CreatedBy",
                                    json_get_str(h, "created_by") ?: "", "Size", (json_int_t)size,
                                    "Comment", json_get_str(h, "comment") ?: ""));
  }
  for (; li < img.nlayers; li++) { /* layers the history does not cover */
    int64_t size = layer_size(&c->store, img.layers[li].diffid);
    json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:I,s:s}", "Id", "<missing>", "Created", "",
                                          "CreatedBy", "", "Size",
                                          (json_int_t)(size < 0 ? img.layers[li].size : size),
                                          "Comment", ""));
  }
  size_t n = json_array_size(rows);
  if (n > 0)
    json_object_set_new(json_array_get(rows, n - 1), "Id", json_string(img.config_digest));
  image_free(&img);
  image_ref_free(&ir);
  if (json) {
    cleanup_json json_t *rev = json_array();
    for (size_t i = n; i-- > 0;)
      json_array_append(rev, json_array_get(rows, i));
    cleanup_free char *text = json_dump_compact(rev);
    puts(text);
    return 0;
  }
  if (quiet) {
    for (size_t i = n; i-- > 0;) {
      const char *id = json_get_str(json_array_get(rows, i), "Id");
      char sid[13];
      short_id(id, sid);
      printf("%s\n", notrunc || strcmp(id, "<missing>") == 0 ? id : sid);
    }
    return 0;
  }
  char **cells = xcalloc((n + 1) * 5, sizeof(char *));
  size_t ci = 0;
  cells[ci++] = xstrdup("IMAGE");
  cells[ci++] = xstrdup("CREATED");
  cells[ci++] = xstrdup("CREATED BY");
  cells[ci++] = xstrdup("SIZE");
  cells[ci++] = xstrdup("COMMENT");
  for (size_t i = n; i-- > 0;) {
    json_t *r = json_array_get(rows, i);
    const char *id = json_get_str(r, "Id");
    char sid[13];
    short_id(id, sid);
    cells[ci++] = xstrdup(notrunc || strcmp(id, "<missing>") == 0 ? id : sid);
    struct timespec ts;
    struct err *te = NULL;
    const char *cr = json_get_str(r, "Created");
    cells[ci++] = cr[0] && parse_rfc3339(cr, &ts, &te) == 0 ? fmt_ago(&ts) : xstrdup("N/A");
    err_free(&te);
    cleanup_free char *by = xstrdup(json_get_str(r, "CreatedBy"));
    for (char *p = by; *p; p++)
      if (*p == '\t' || *p == '\n')
        *p = ' ';
    cells[ci++] = notrunc ? xstrdup(by) : ellipsis(by, 45);
    cells[ci++] = fmt_size((double)json_integer_value(json_object_get(r, "Size")));
    cells[ci++] = xstrdup(json_get_str(r, "Comment"));
  }
  table_print(stdout, cells, n + 1, 5);
  for (size_t k = 0; k < ci; k++)
    free(cells[k]);
  free(cells);
  return 0;
}
