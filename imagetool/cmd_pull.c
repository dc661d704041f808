/* cairn-image pull — an image from a registry into the store.
 *
 * Progress goes to stderr; the result to stdout as one JSON line:
 *   {"ref":"docker.io/library/busybox:latest","digest":"sha256:…" (the
 *    manifest stored),"id":"sha256:…" (the config digest),"config":{…}} */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fetch.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "lock.h"
#include "mem.h"
#include "progress.h"
#include "pull.h"
#include "ref.h"
#include "registry.h"

static const char *const accept_manifests[] = {
    "Accept: " MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_MANIFEST ", " MT_DOCKER_LIST, NULL};

/* The media type without parameters, or NULL for the generic ones that
 * say nothing about a manifest. */
static char *media_type_of(const char *ct) {
  if (ct == NULL)
    return NULL;
  char *m = xstrndup(ct, strcspn(ct, "; "));
  if (strcmp(m, "application/json") == 0 || strcmp(m, "text/plain") == 0 ||
      strcmp(m, "application/octet-stream") == 0) {
    free(m);
    return NULL;
  }
  return m;
}

int fetch_manifest(struct registry *r, const char *what, const char *want, struct manifest_doc *out,
                   struct err **e) {
  memset(out, 0, sizeof(*out));
  cleanup_free char *url = xasprintf("/v2/%s/manifests/%s", r->repo, what);
  struct err *first = NULL;
  for (size_t ep = 0; ep < r->neps; ep++) {
    registry_use_endpoint(r, ep);
    struct http_resp p;
    struct http_req q = {.method = "GET", .url = url, .headers = accept_manifests, .body_fd = -1};
    struct err *le = NULL;
    int rc = registry_do(r, &q, &p, &le);
    if (rc == 0 && p.status != 200) {
      const char *sep = strncmp(what, "sha256:", 7) == 0 ? "@" : ":";
      rc = p.status == 404
               ? registry_error(&p, &le, "manifest for %s/%s%s%s not found", r->domain, r->repo,
                                sep, what)
               : registry_error(&p, &le, "pull %s/%s%s%s", r->domain, r->repo, sep, what);
    }
    if (rc < 0) {
      http_resp_free(&p);
      if (r->eps[ep].mirror) { /* a mirror that fails is skipped */
        err_free(&le);
        continue;
      }
      err_free(&first);
      *e = le;
      return -1;
    }
    sha256_buf(p.body ? p.body : "", p.len, out->digest);
    if (want != NULL && strcmp(want, out->digest) != 0) {
      int r2 = err_setc(e, ERR_USAGE, 0, "manifest %s: digest mismatch: got %s", want, out->digest);
      http_resp_free(&p);
      return r2;
    }
    if (p.digest != NULL && digest_valid(p.digest) && strcmp(p.digest, out->digest) != 0) {
      int r2 =
          err_setc(e, ERR_USAGE, 0, "manifest %s: the registry says digest %s, the bytes are %s",
                   what, p.digest, out->digest);
      http_resp_free(&p);
      return r2;
    }
    out->body = p.body ? p.body : xstrdup("");
    out->len = p.len;
    p.body = NULL;
    out->media_type = media_type_of(p.content_type);
    http_resp_free(&p);
    json_error_t je;
    out->json = json_loadb(out->body, out->len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(out->json)) {
      manifest_doc_free(out);
      return err_setc(e, ERR_USAGE, 0, "manifest %s: not JSON: %s", what,
                      je.text[0] ? je.text : "not an object");
    }
    if (out->media_type == NULL && json_get_str(out->json, "mediaType") != NULL)
      out->media_type = xstrdup(json_get_str(out->json, "mediaType"));
    return 0;
  }
  return err_set(e, 0, "manifest %s: no endpoint answered", what);
}

void manifest_doc_free(struct manifest_doc *m) {
  free(m->body);
  free(m->media_type);
  json_decref(m->json);
  memset(m, 0, sizeof(*m));
}

/* What the registry's tag points at now, from a HEAD (no body to fetch
 * and, on Docker Hub, no pull counted), as docker checks a present image.
 * NULL when it cannot tell: then the caller does the full GET, which
 * reports any error properly. */
static char *head_manifest(struct registry *r, const char *tag) {
  cleanup_free char *url = xasprintf("/v2/%s/manifests/%s", r->repo, tag);
  for (size_t ep = 0; ep < r->neps; ep++) {
    registry_use_endpoint(r, ep);
    struct http_resp p;
    struct http_req q = {.method = "HEAD", .url = url, .headers = accept_manifests, .body_fd = -1};
    struct err *le = NULL;
    int rc = registry_do(r, &q, &p, &le);
    err_free(&le);
    char *d = rc == 0 && p.status == 200 && digest_valid(p.digest) ? xstrdup(p.digest) : NULL;
    int mirror = r->eps[ep].mirror;
    http_resp_free(&p);
    if (d != NULL || !mirror)
      return d;
  }
  return NULL;
}

/* The image is for the platform asked (any, when none was). */
static int platform_matches(const char *want, const struct image *img) {
  if (want == NULL)
    return 1;
  struct platform p;
  struct err *ig = NULL;
  if (platform_parse(want, &p, &ig) < 0) {
    err_free(&ig);
    return 0;
  }
  const char *os = json_get_str(img->config, "os"),
             *arch = json_get_str(img->config, "architecture");
  const char *var = json_get_str(img->config, "variant");
  return os && arch && strcmp(os, p.os) == 0 && strcmp(arch, p.arch) == 0 &&
         (p.variant[0] == '\0' || (var && strcmp(var, p.variant) == 0));
}

/* All of img's blobs and layer dirs are in the store. */
static int complete(const struct store *s, const struct image *img) {
  if (!store_has_blob(s, img->manifest_digest) || !store_has_blob(s, img->config_digest))
    return 0;
  for (size_t i = 0; i < img->nlayers; i++)
    if (!store_has_blob(s, img->layers[i].digest) || !store_has_layer(s, img->layers[i].diffid))
      return 0;
  return 1;
}

/* A config from the store or the registry, checked against its digest. */
static char *get_config(const struct store *s, struct registry *r, const struct image *img,
                        size_t *len, struct err **e) {
  if (store_has_blob(s, img->config_digest))
    return store_read_blob(s, img->config_digest, len, e);
  cleanup_free char *url = xasprintf("/v2/%s/blobs/%s", r->repo, img->config_digest);
  struct http_req q = {.method = "GET", .url = url, .body_fd = -1, .max = 16u << 20};
  struct http_resp p;
  if (registry_do(r, &q, &p, e) < 0)
    return NULL;
  if (p.status != 200) {
    registry_error(&p, e, "config %s", img->config_digest);
    http_resp_free(&p);
    return NULL;
  }
  char d[DIGEST_STR_LEN + 1];
  sha256_buf(p.body ? p.body : "", p.len, d);
  if (strcmp(d, img->config_digest) != 0 || (int64_t)p.len != img->config_size) {
    err_setc(e, ERR_USAGE, 0, "config %s: digest or size mismatch (got %s, %zu bytes)",
             img->config_digest, d, p.len);
    http_resp_free(&p);
    return NULL;
  }
  char *body = p.body ? p.body : xstrdup("");
  p.body = NULL;
  *len = p.len;
  http_resp_free(&p);
  return body;
}

int pull_image(struct store *s, const char *name, const struct pull_opts *o, json_t **result,
               struct err **e) {
  struct ref ref;
  if (ref_parse(name, &ref, e) < 0)
    return err_wrap(e, "pull '%s'", name);
  cleanup_free char *refstr = ref_string(&ref);
  cleanup_free char *familiar = ref_familiar(&ref);
  const char *what = ref.digest ? ref.digest : ref.tag;
  struct progress *pg = o->progress;
  progress_msg(pg, "%s: Pulling from %s", what, ref.path);
  struct registry r;
  int opened = 0, rc = 0;
  struct manifest_doc top = {0}, sub = {0};
  struct image img = {0};
  cleanup_free char *cfg_text = NULL;
  cleanup_json json_t *cfg = NULL;
  const struct manifest_doc *man = &top;
  cleanup_json json_t *desc = NULL, *index = NULL;
  cleanup_free char *have_manifest = NULL; /* a tag already here, complete */
  int fresh = 0, uptodate = 0;
  /* By digest and already here: nothing to ask the registry. */
  if (ref.digest != NULL && store_has_blob(s, ref.digest)) {
    struct err *ie = NULL;
    if (image_load(s, ref.digest, o->platform, &img, &ie) == 0 && complete(s, &img))
      goto have;
    err_free(&ie);
    image_free(&img);
    memset(&img, 0, sizeof(img));
  }
  if (ref.digest == NULL) {
    struct err *ie = NULL;
    struct image_ref cur = {0};
    if ((index = store_index_load(s, &ie)) != NULL &&
        store_resolve(s, index, refstr, &cur, &ie) == 0 && cur.name != NULL &&
        strcmp(cur.name, refstr) == 0 && image_load(s, cur.manifest, NULL, &img, &ie) == 0 &&
        complete(s, &img) && platform_matches(o->platform, &img))
      have_manifest = xstrdup(cur.manifest);
    err_free(&ie);
    image_ref_free(&cur);
    if (have_manifest != NULL && o->policy != POLICY_ALWAYS) {
      uptodate = 1; /* --policy missing|never: what we have will do */
      goto have;
    }
    if (have_manifest == NULL) { /* img stays loaded for the HEAD below */
      image_free(&img);
      memset(&img, 0, sizeof(img));
    }
    json_decref(index);
    index = NULL;
  }
  if (o->policy == POLICY_NEVER) {
    rc = err_setc(e, ERR_NOTFOUND, 0, "%s: not in the store, and --policy never", refstr);
    goto out;
  }
  if ((rc = registry_open(&r, ref.domain, ref.path, "pull", e)) < 0)
    goto out;
  opened = 1;
  if (o->asked != NULL)
    *o->asked = 1;
  /* A tag already here: one HEAD tells whether the registry still points
   * it at the manifest we have, as docker checks.  (A multi-platform tag
   * points at its index, never equal to the platform manifest we keep: it
   * takes the full path below, which downloads no layer either.) */
  if (have_manifest != NULL) {
    cleanup_free char *now = head_manifest(&r, what);
    if (now != NULL && strcmp(now, have_manifest) == 0) {
      uptodate = 1;
      goto have;
    }
    image_free(&img);
    memset(&img, 0, sizeof(img));
  }
  if ((rc = fetch_manifest(&r, what, ref.digest, &top, e)) < 0)
    goto out;
  if (media_is_index(top.media_type) ||
      (top.media_type == NULL && json_get_arr(top.json, "manifests") != NULL)) {
    struct platform p;
    if ((rc = platform_parse(o->platform, &p, e)) < 0)
      goto out;
    json_t *d = index_choose(top.json, &p, refstr, e);
    if (d == NULL) {
      rc = -1;
      goto out;
    }
    cleanup_free char *dd = xstrdup(json_get_str(d, "digest") ?: "");
    if ((rc = fetch_manifest(&r, dd, dd, &sub, e)) < 0)
      goto out;
    if (sub.media_type == NULL && json_get_str(d, "mediaType") != NULL)
      sub.media_type = xstrdup(json_get_str(d, "mediaType"));
    man = &sub;
  }
  img.manifest_digest = xstrdup(man->digest);
  if ((rc = image_parse_manifest(&img, man->json, man->media_type, refstr, e)) < 0)
    goto out;
  size_t cfg_len = 0;
  if ((cfg_text = get_config(s, &r, &img, &cfg_len, e)) == NULL) {
    rc = -1;
    goto out;
  }
  json_error_t je;
  cfg = json_loadb(cfg_text, cfg_len, JSON_REJECT_DUPLICATES, &je);
  if (cfg == NULL) {
    rc = err_setc(e, ERR_USAGE, 0, "%s: config %s: not JSON: %s", refstr, img.config_digest,
                  je.text);
    goto out;
  }
  if ((rc = image_parse_config(&img, cfg, refstr, e)) < 0)
    goto out;
  if (!complete(s, &img)) {
    fresh = 1;
    struct fetch_opts fo = {.parallel = o->parallel, .max_size = o->max_size, .progress = pg};
    if ((rc = fetch_layers(s, &r, &img, &fo, e)) < 0) {
      err_wrap(e, "pull %s", refstr);
      goto out;
    }
    if ((rc = store_put_blob(s, cfg_text, cfg_len, img.config_digest, NULL, e)) < 0 ||
        (rc = store_put_blob(s, man->body, man->len, man->digest, NULL, e)) < 0)
      goto out;
  }
have:
  if (uptodate) /* the ref already names this manifest: nothing to write */
    goto done;
  desc = json_pack("{s:s,s:s,s:I}", "mediaType", img.manifest_type, "digest", img.manifest_digest,
                   "size", (json_int_t)(man->body ? man->len : 0));
  if (man->body == NULL) { /* found locally by digest */
    size_t n = 0;
    cleanup_free char *b = store_read_blob(s, img.manifest_digest, &n, e);
    if (b == NULL) {
      rc = -1;
      goto out;
    }
    json_object_set_new(desc, "size", json_integer((json_int_t)n));
  }
  if ((index = store_index_load(s, e)) == NULL) {
    rc = -1;
    goto out;
  }
  struct image_ref cur;
  struct err *ne = NULL;
  if (!fresh && store_resolve(s, index, refstr, &cur, &ne) == 0) {
    fresh = strcmp(cur.manifest, img.manifest_digest) != 0;
    image_ref_free(&cur);
  } else {
    fresh = 1;
  }
  err_free(&ne);
  if ((rc = store_set_ref(s, refstr, desc, e)) < 0)
    goto out;
done:
  progress_msg(pg, "Digest: %s", top.body ? top.digest : img.manifest_digest);
  progress_msg(pg, "Status: %s for %s", fresh ? "Downloaded newer image" : "Image is up to date",
               familiar);
  *result = json_pack("{s:s,s:s,s:s,s:O}", "ref", refstr, "digest", img.manifest_digest, "id",
                      img.config_digest, "config", img.config);
  rc = 0;
out:
  manifest_doc_free(&top);
  manifest_doc_free(&sub);
  image_free(&img);
  if (opened)
    registry_close(&r);
  ref_free(&ref);
  return rc;
}

int cmd_pull(struct ctx *c, int argc, char **argv, struct err **e) {
  static const struct option opts[] = {{"platform", required_argument, NULL, 'p'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"progress", required_argument, NULL, 'P'},
                                       {"max-concurrent-downloads", required_argument, NULL, 'c'},
                                       {"max-layer-size", required_argument, NULL, 'm'},
                                       {"policy", required_argument, NULL, 'y'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  struct pull_opts po = {.parallel = 3, .policy = POLICY_ALWAYS};
  const char *progress = "auto";
  int quiet = 0, o;
  if (layer_max_from_env(&po.max_size, e) < 0)
    return -1;
  while ((o = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (o) {
      case 'p': po.platform = optarg; break;
      case 'q': quiet = 1; break;
      case 'P': progress = optarg; break;
      case 'c': {
        char *end;
        long n = strtol(optarg, &end, 10);
        if (*end || n < 1 || n > 64)
          return err_usage(e, "--max-concurrent-downloads: expected 1 to 64, not '%s'", optarg);
        po.parallel = (int)n;
        break;
      }
      case 'm':
        if (parse_max_size(optarg, &po.max_size, e) < 0)
          return -1;
        break;
      case 'y':
        if (strcmp(optarg, "always") == 0)
          po.policy = POLICY_ALWAYS;
        else if (strcmp(optarg, "missing") == 0)
          po.policy = POLICY_MISSING;
        else if (strcmp(optarg, "never") == 0)
          po.policy = POLICY_NEVER;
        else
          return err_usage(e, "--policy: expected always, missing or never, not '%s'", optarg);
        break;
      case 'h':
        fputs("Usage: cairn-image pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
              "Pull an image from a registry.  Progress on stderr; the result on stdout as\n"
              "JSON: {\"ref\",\"digest\",\"id\",\"config\"}.\n\n"
              "      --platform OS/ARCH[/VARIANT]   from a multi-platform image (default: this "
              "host)\n"
              "  -q, --quiet                        no progress\n"
              "      --progress auto|tty|plain|json how to show progress (default auto)\n"
              "      --max-concurrent-downloads N   parallel layer downloads (default 3)\n"
              "      --max-layer-size SIZE          refuse layers bigger than this uncompressed\n"
              "      --policy always|missing|never  always: ask the registry whether a tag\n"
              "                                     moved (default, as docker); missing: only\n"
              "                                     when not here; never: only the store\n",
              stdout);
        return 0;
      default: return err_usage(e, "pull: see 'cairn-image pull --help'");
    }
  }
  if (argc - optind != 1)
    return err_usage(e, "pull: exactly one image NAME is required");
  if (po.platform != NULL) {
    struct platform p;
    if (platform_parse(po.platform, &p, e) < 0)
      return -1;
  }
  enum progress_mode mode;
  if (progress_mode_parse(progress, &mode, e) < 0)
    return -1;
  if (quiet)
    mode = PROGRESS_NONE;
  struct store *s = ctx_store(c, e);
  if (s == NULL)
    return -1;
  int lk = store_gc_lock(s, 0, e);
  if (lk < 0)
    return -1;
  po.progress = progress_new(mode, stderr);
  int asked = 0;
  po.asked = &asked;
  json_t *result = NULL;
  int r = pull_image(s, argv[optind], &po, &result, e);
  progress_free(po.progress);
  lock_release(lk);
  if (r == 0) {
    cleanup_free char *text = json_dump_compact(result);
    puts(text);
    if (asked)
      image_event_ref(s, "pull", json_get_str(result, "ref"));
  }
  json_decref(result);
  return r;
}
