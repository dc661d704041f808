/* cairn-image push | tags | catalog — sending an image to a registry,
 * listing a repository's tags and a registry's repositories.
 *
 * push: blobs go up a few at a time (--max-concurrent-uploads, 5 by
 * default as docker's daemon), each in a thread of its own doing plain
 * blocking requests.  Each blob is HEADed first and skipped when present;
 * a blob some other repository of the same registry holds (as far as our
 * store knows) is mounted from there; the rest is uploaded in one PUT, or
 * in PATCH chunks when larger than --chunk-size.  The manifest goes last,
 * once every blob is there, byte for byte as stored, so its digest is
 * unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "fmt.h"
#include "image.h"
#include "json.h"
#include "mem.h"
#include "progress.h"
#include "ref.h"
#include "registry.h"

#define CHUNK_DEFAULT (64ull << 20)

struct blob {
  const char *digest;
  int64_t size;
};

struct push {
  struct store *s;
  struct registry *r;
  struct progress *pg;
  json_t *index;
  uint64_t chunk;
  /* the work queue the upload threads share, under mu */
  pthread_mutex_t mu;
  struct blob *blobs;
  size_t n, next;
  struct err *err; /* the first failure; the others stop taking blobs */
};

/* Progress from any of the upload threads. */
static void say(struct push *p, const char *id, const char *status, uint64_t cur, uint64_t total) {
  pthread_mutex_lock(&p->mu);
  progress_item(p->pg, id, status, cur, total);
  pthread_mutex_unlock(&p->mu);
}

struct up_progress {
  struct push *p;
  const char *id;
  uint64_t base, total;
};

static void on_up(void *arg, uint64_t sent, uint64_t total) {
  struct up_progress *u = arg;
  (void)total;
  say(u->p, u->id, "Pushing", u->base + sent, u->total);
}

/* Another repository on the same registry whose image (in our store) has
 * this blob: worth a mount request. */
static char *mount_source(struct push *p, const char *digest) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(p->index, "manifests"), i, m) {
    const char *name = json_get_str(json_get_obj(m, "annotations"), ANNOT_REF_NAME);
    const char *md = json_get_str(m, "digest");
    struct ref rf;
    struct err *ig = NULL;
    if (name == NULL || md == NULL || ref_parse(name, &rf, &ig) < 0) {
      err_free(&ig);
      continue;
    }
    int same = strcmp(rf.domain, p->r->domain) == 0 && strcmp(rf.path, p->r->repo) != 0;
    char *repo = same ? xstrdup(rf.path) : NULL;
    ref_free(&rf);
    if (repo == NULL)
      continue;
    struct image img;
    if (image_load(p->s, md, NULL, &img, &ig) == 0) {
      int has = strcmp(img.config_digest, digest) == 0;
      for (size_t k = 0; k < img.nlayers; k++)
        has |= strcmp(img.layers[k].digest, digest) == 0;
      image_free(&img);
      if (has)
        return repo;
    }
    err_free(&ig);
    free(repo);
  }
  return NULL;
}

/* A Location plus a query parameter. */
static char *with_param(struct push *p, const char *loc, const char *param) {
  cleanup_free char *u = registry_url(p->r, loc);
  return xasprintf("%s%s%s", u, strchr(u, '?') ? "&" : "?", param);
}

static int push_blob(struct push *p, const char *digest, int64_t size, struct err **e) {
  char id[13];
  snprintf(id, sizeof(id), "%s", digest_hex(digest));
  cleanup_free char *head = xasprintf("/v2/%s/blobs/%s", p->r->repo, digest);
  struct http_req q = {.method = "HEAD", .url = head, .body_fd = -1};
  struct http_resp rp;
  if (registry_do(p->r, &q, &rp, e) < 0)
    return -1;
  long st = rp.status;
  http_resp_free(&rp);
  if (st == 200) {
    say(p, id, "Layer already exists", 0, 0);
    return 0;
  }
  cleanup_free char *from = mount_source(p, digest);
  cleanup_free char *start =
      from ? xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", p->r->repo, digest, from)
           : xasprintf("/v2/%s/blobs/uploads/", p->r->repo);
  struct http_req sq = {.method = "POST", .url = start, .body_fd = -1, .no_redirect = 1};
  if (registry_do(p->r, &sq, &rp, e) < 0)
    return -1;
  if (rp.status == 201 && from != NULL) {
    http_resp_free(&rp);
    cleanup_free char *st2 = xasprintf("Mounted from %s", from);
    say(p, id, st2, 0, 0);
    return 0;
  }
  if (rp.status != 202 || rp.location == NULL) {
    int r = registry_error(&rp, e, "push blob %s: start upload", digest);
    http_resp_free(&rp);
    return r;
  }
  cleanup_free char *loc = xstrdup(rp.location);
  http_resp_free(&rp);
  cleanup_free char *path = store_blob_path(p->s, digest);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "push blob %s: open '%s'", digest, path);
  struct up_progress up = {p, id, 0, (uint64_t)size};
  uint64_t off = 0;
  /* Large blobs go up in PATCH chunks, each its own request. */
  while ((uint64_t)size > p->chunk && off < (uint64_t)size) {
    uint64_t n = (uint64_t)size - off < p->chunk ? (uint64_t)size - off : p->chunk;
    char range[96], len[64];
    snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)off,
             (unsigned long long)(off + n - 1));
    snprintf(len, sizeof(len), "Content-Length: %llu", (unsigned long long)n);
    const char *hdrs[] = {"Content-Type: application/octet-stream", range, len, NULL};
    cleanup_free char *url = registry_url(p->r, loc);
    if (lseek(fd, (off_t)off, SEEK_SET) < 0)
      return err_set(e, errno, "seek '%s'", path);
    up.base = off;
    struct http_req cq = {.method = "PATCH",
                          .url = url,
                          .headers = hdrs,
                          .body_fd = fd,
                          .body_fd_len = n,
                          .no_redirect = 1,
                          .progress = on_up,
                          .progress_arg = &up};
    if (registry_do(p->r, &cq, &rp, e) < 0)
      return -1;
    if (rp.status != 202 || rp.location == NULL) {
      int r =
          registry_error(&rp, e, "push blob %s: chunk at %llu", digest, (unsigned long long)off);
      http_resp_free(&rp);
      return r;
    }
    free(loc);
    loc = xstrdup(rp.location);
    http_resp_free(&rp);
    off += n;
  }
  cleanup_free char *dparam = xasprintf("digest=%s", digest);
  cleanup_free char *url = with_param(p, loc, dparam);
  uint64_t rest = (uint64_t)size - off;
  const char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
  if (lseek(fd, (off_t)off, SEEK_SET) < 0)
    return err_set(e, errno, "seek '%s'", path);
  up.base = off;
  struct http_req pq = {.method = "PUT",
                        .url = url,
                        .headers = hdrs,
                        .body_fd = fd,
                        .body_fd_len = rest,
                        .no_redirect = 1,
                        .progress = on_up,
                        .progress_arg = &up};
  if (registry_do(p->r, &pq, &rp, e) < 0)
    return -1;
  if (rp.status != 201) {
    int r = registry_error(&rp, e, "push blob %s", digest);
    http_resp_free(&rp);
    return r;
  }
  http_resp_free(&rp);
  say(p, id, "Pushed", 0, 0);
  return 0;
}

static void *uploader(void *arg) {
  struct push *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    if (p->err != NULL || p->next == p->n) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    struct blob *b = &p->blobs[p->next++];
    pthread_mutex_unlock(&p->mu);
    struct err *le = NULL;
    if (push_blob(p, b->digest, b->size, &le) < 0) {
      pthread_mutex_lock(&p->mu);
      if (p->err == NULL)
        p->err = le;
      else
        err_free(&le);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

/* Every blob of img (layers, then the config; each digest once), with at
 * most `parallel` uploads at a time. */
static int push_blobs(struct push *p, const struct image *img, int parallel, struct err **e) {
  p->blobs = xcalloc(img->nlayers + 1, sizeof(*p->blobs));
  for (size_t i = 0; i <= img->nlayers; i++) {
    const char *d = i < img->nlayers ? img->layers[i].digest : img->config_digest;
    int dup = 0;
    for (size_t k = 0; k < p->n; k++)
      dup |= strcmp(p->blobs[k].digest, d) == 0;
    if (!dup)
      p->blobs[p->n++] =
          (struct blob){d, i < img->nlayers ? img->layers[i].size : img->config_size};
  }
  size_t nth = (size_t)parallel < p->n ? (size_t)parallel : p->n;
  pthread_t *th = xcalloc(nth ? nth : 1, sizeof(*th));
  size_t started = 0;
  for (; started + 1 < nth; started++) /* the calling thread is one of them */
    if (pthread_create(&th[started], NULL, uploader, p) != 0)
      break;
  uploader(p);
  for (size_t i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  free(th);
  free(p->blobs);
  p->blobs = NULL;
  if (p->err != NULL) {
    *e = p->err;
    p->err = NULL;
    return -1;
  }
  return 0;
}

int cmd_push(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"progress", required_argument, NULL, 'P'},
                                       {"chunk-size", required_argument, NULL, 'c'},
                                       {"max-concurrent-uploads", required_argument, NULL, 'u'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  const char *progress = "auto";
  int quiet = 0, o, parallel = 5;
  uint64_t chunk = CHUNK_DEFAULT;
  while ((o = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (o) {
      case 'q': quiet = 1; break;
      case 'P': progress = optarg; break;
      case 'c': {
        int64_t n;
        if (parse_size(optarg, &n, e) < 0 || n <= 0)
          return n <= 0 && *e == NULL ? err_usage(e, "--chunk-size: must be positive")
                                      : err_wrap(e, "--chunk-size");
        chunk = (uint64_t)n;
        break;
      }
      case 'u': {
        char *end;
        long n = strtol(optarg, &end, 10);
        if (*end || n < 1 || n > 64)
          return err_usage(e, "--max-concurrent-uploads: expected 1 to 64, not '%s'", optarg);
        parallel = (int)n;
        break;
      }
      case 'h':
        fputs("Usage: cairn-image push [-q] [--progress MODE] [--chunk-size SIZE]\n"
              "                        [--max-concurrent-uploads N] NAME[:TAG]\n\n"
              "Push an image to the registry its name points at.  Blobs the registry has\n"
              "are skipped, blobs another repository there has are mounted; the others go\n"
              "up N at a time (default 5), in chunks when larger than --chunk-size (64m).\n"
              "The result on stdout as JSON: {\"ref\",\"digest\",\"size\"}.\n",
              stdout);
        return 0;
      default: return err_usage(e, "push: see 'cairn-image push --help'");
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "push: exactly one image NAME is required");
  const char *name = argv[optind];
  struct ref rf;
  if (ref_parse(name, &rf, e) < 0)
    return err_wrap(e, "push '%s'", name);
  cleanup_free char *refstr = ref_string(&rf);
  enum progress_mode mode;
  if (progress_mode_parse(progress, &mode, e) < 0) {
    ref_free(&rf);
    return -1;
  }
  struct store *s = ctx_store(c, e);
  cleanup_json json_t *index = s ? store_index_load(s, e) : NULL;
  struct image_ref ir = {0};
  struct image img = {0};
  if (index == NULL || store_resolve(s, index, refstr, &ir, e) < 0 ||
      image_load(s, ir.manifest, NULL, &img, e) < 0) {
    image_ref_free(&ir);
    ref_free(&rf);
    return -1;
  }
  image_ref_free(&ir);
  struct registry r;
  struct progress *pg = progress_new(quiet ? PROGRESS_NONE : mode, stderr);
  struct push p = {.s = s, .r = &r, .pg = pg, .index = index, .chunk = chunk};
  pthread_mutex_init(&p.mu, NULL);
  int rc = registry_open(&r, rf.domain, rf.path, "pull,push", e);
  const char *tag = rf.digest ? rf.digest : rf.tag;
  if (rc == 0)
    progress_msg(pg, "The push refers to repository [%s/%s]", rf.domain, rf.path);
  for (size_t i = 0; rc == 0 && i < img.nlayers; i++) {
    char id[13];
    snprintf(id, sizeof(id), "%s", digest_hex(img.layers[i].digest));
    progress_item(pg, id, "Preparing", 0, 0);
  }
  if (rc == 0 && push_blobs(&p, &img, parallel, e) < 0)
    rc = -1;
  size_t mlen = 0;
  cleanup_free char *mbody = rc == 0 ? store_read_blob(s, img.manifest_digest, &mlen, e) : NULL;
  if (rc == 0 && mbody == NULL)
    rc = -1;
  if (rc == 0) {
    cleanup_free char *url = xasprintf("/v2/%s/manifests/%s", r.repo, tag);
    cleanup_free char *ct = xasprintf("Content-Type: %s", img.manifest_type);
    const char *hdrs[] = {ct, NULL};
    struct http_req q = {.method = "PUT",
                         .url = url,
                         .headers = hdrs,
                         .body = mbody,
                         .body_len = mlen,
                         .body_fd = -1,
                         .no_redirect = 1};
    struct http_resp rp;
    rc = registry_do(&r, &q, &rp, e);
    if (rc == 0 && rp.status != 201)
      rc = registry_error(&rp, e, "push manifest %s", refstr);
    http_resp_free(&rp);
  }
  if (rc == 0) {
    progress_msg(pg, "%s: digest: %s size: %zu", tag, img.manifest_digest, mlen);
    cleanup_json json_t *out = json_pack("{s:s,s:s,s:I}", "ref", refstr, "digest",
                                         img.manifest_digest, "size", (json_int_t)mlen);
    cleanup_free char *text = json_dump_compact(out);
    puts(text);
    image_event_ref(s, "push", refstr);
  } else {
    err_wrap(e, "push %s", refstr);
  }
  progress_free(pg);
  pthread_mutex_destroy(&p.mu);
  registry_close(&r);
  image_free(&img);
  ref_free(&rf);
  return rc;
}

static int cmd_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* GET url and the pages its Link headers name; the strings of each page's
 * key array appended to all, sorted at the end (the spec asks registries
 * for lexical order; not all keep it). */
static int paged_list(struct registry *r, const char *first, const char *key, json_t *all,
                      const char *what, struct err **e) {
  int rc = 0;
  char *url = xstrdup(first);
  while (rc == 0 && url != NULL) {
    struct http_req q = {.method = "GET", .url = url, .body_fd = -1};
    struct http_resp rp;
    rc = registry_do(r, &q, &rp, e);
    if (rc == 0 && rp.status != 200)
      rc = registry_error(&rp, e, "%s", what);
    json_t *j = rc == 0 ? json_load_str(rp.body ? rp.body : "", what, e) : NULL;
    if (rc == 0 && j == NULL)
      rc = -1;
    size_t i;
    json_t *t;
    json_array_foreach(json_get_arr(j, key), i, t) json_array_append(all, t);
    json_decref(j);
    free(url);
    url = NULL;
    /* Link: </v2/…?last=x&n=y>; rel="next" */
    if (rc == 0 && rp.link != NULL && strstr(rp.link, "rel=\"next\"") != NULL) {
      const char *a = strchr(rp.link, '<'), *b = a ? strchr(a, '>') : NULL;
      if (a != NULL && b != NULL)
        url = xstrndup(a + 1, (size_t)(b - a - 1));
    }
    http_resp_free(&rp);
  }
  free(url);
  if (rc < 0)
    return -1;
  size_t n = json_array_size(all);
  const char **v = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    v[i] = json_string_value(json_array_get(all, i)) ?: "";
  qsort(v, n, sizeof(char *), cmd_str);
  cleanup_json json_t *sorted = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(sorted, json_string(v[i]));
  free(v);
  json_array_clear(all);
  json_array_extend(all, sorted);
  return 0;
}

static void print_list(const json_t *all, int json) {
  if (json) {
    cleanup_free char *text = json_dump_compact(all);
    puts(text);
    return;
  }
  size_t i;
  json_t *t;
  json_array_foreach(all, i, t) puts(json_string_value(t) ?: "");
}

/* The flags of tags and catalog: --json and --help.  Returns 1 when the
 * help was printed, 0 with *json set, -1 on a bad flag. */
static int list_flags(int argc, char **argv, const char *cmd, const char *help, int *json,
                      struct err **e) {
  static const struct option opts[] = {
      {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
  int o;
  *json = 0;
  while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (o) {
      case 'j': *json = 1; break;
      case 'h': fputs(help, stdout); return 1;
      default: return err_usage(e, "%s: see 'cairn-image %s --help'", cmd, cmd);
    }
  }
  return 0;
}

int cmd_tags(struct ctx *c, int argc, char **argv, struct err **e) {
  (void)c;
  int json;
  int fr = list_flags(argc, argv, "tags",
                      "Usage: cairn-image tags [--json] REPOSITORY\n\n"
                      "List the tags of a repository in its registry, one per line.\n",
                      &json, e);
  if (fr != 0)
    return fr > 0 ? 0 : -1;
  if (argc - optind != 1)
    return err_usage(e, "tags: exactly one REPOSITORY is required");
  struct ref rf;
  if (ref_parse(argv[optind], &rf, e) < 0)
    return err_wrap(e, "tags '%s'", argv[optind]);
  struct registry r;
  int rc = registry_open(&r, rf.domain, rf.path, "pull", e);
  cleanup_json json_t *all = json_array();
  cleanup_free char *url = xasprintf("/v2/%s/tags/list", rf.path);
  cleanup_free char *what = xasprintf("tags of %s/%s", rf.domain, rf.path);
  if (rc == 0)
    rc = paged_list(&r, url, "tags", all, what, e);
  if (rc == 0)
    print_list(all, json);
  registry_close(&r);
  ref_free(&rf);
  return rc;
}

int cmd_catalog(struct ctx *c, int argc, char **argv, struct err **e) {
  (void)c;
  int json;
  int fr = list_flags(argc, argv, "catalog",
                      "Usage: cairn-image catalog [--json] REGISTRY\n\n"
                      "List the repositories a registry serves (GET /v2/_catalog), one per "
                      "line.\n",
                      &json, e);
  if (fr != 0)
    return fr > 0 ? 0 : -1;
  if (argc - optind != 1)
    return err_usage(e, "catalog: exactly one REGISTRY is required");
  const char *domain = argv[optind];
  if (*domain == '\0' || strchr(domain, '/') != NULL)
    return err_usage(e, "catalog: invalid registry '%s' (a host[:port])", domain);
  struct registry r;
  int rc = registry_open(&r, domain, "", "pull", e);
  cleanup_json json_t *all = json_array();
  cleanup_free char *what = xasprintf("catalog of %s", domain);
  if (rc == 0)
    rc = paged_list(&r, "/v2/_catalog", "repositories", all, what, e);
  if (rc == 0)
    print_list(all, json);
  registry_close(&r);
  return rc;
}
