#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"

int media_is_index(const char *mt) {
  return mt != NULL && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0);
}

int media_is_manifest(const char *mt) {
  return mt != NULL && (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0);
}

int layer_compression(const char *mt, struct err **e) {
  static const struct {
    const char *mt;
    enum compression c;
  } known[] = {
      {MT_OCI_LAYER, COMP_NONE},
      {MT_OCI_LAYER_GZIP, COMP_GZIP},
      {MT_OCI_LAYER_ZSTD, COMP_ZSTD},
      {MT_DOCKER_LAYER, COMP_GZIP},
      {MT_DOCKER_FOREIGN, COMP_GZIP},
      {"application/vnd.docker.image.rootfs.diff.tar", COMP_NONE},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar", COMP_NONE},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", COMP_GZIP},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", COMP_ZSTD},
  };
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (mt != NULL && strcmp(mt, known[i].mt) == 0)
      return (int)known[i].c;
  return err_setc(e, ERR_USAGE, 0, "unsupported layer media type '%s'", mt ? mt : "(none)");
}

static void layer_desc_free(struct layer_desc *l) {
  free(l->digest);
  free(l->media_type);
  free(l->diffid);
}

void image_free(struct image *img) {
  free(img->manifest_digest);
  free(img->manifest_type);
  json_decref(img->manifest);
  free(img->config_digest);
  free(img->config_type);
  json_decref(img->config);
  for (size_t i = 0; i < img->nlayers; i++)
    layer_desc_free(&img->layers[i]);
  free(img->layers);
  memset(img, 0, sizeof(*img));
}

/* A descriptor: mediaType, a valid digest and a non-negative size. */
static int check_desc(json_t *d, const char *what, const char *name, const char **mt,
                      const char **digest, int64_t *size, struct err **e) {
  json_int_t sz = -1;
  *mt = NULL;
  if (json_unpack_err(d, e, name, "{s?s,s:s,s:I}", "mediaType", mt, "digest", digest, "size", &sz) <
      0)
    return err_wrap(e, "%s", what);
  if (!digest_valid(*digest))
    return err_setc(e, ERR_USAGE, 0, "%s: %s: invalid digest '%s'", name, what, *digest);
  if (sz < 0)
    return err_setc(e, ERR_USAGE, 0, "%s: %s: negative size", name, what);
  *size = sz;
  return 0;
}

int image_parse_manifest(struct image *img, json_t *man, const char *mt, const char *name,
                         struct err **e) {
  if (!json_is_object(man))
    return err_setc(e, ERR_USAGE, 0, "%s: manifest is not a JSON object", name);
  const char *own = json_get_str(man, "mediaType");
  if (mt == NULL)
    mt = own;
  if (mt == NULL && json_get_arr(man, "layers") != NULL)
    mt = MT_OCI_MANIFEST; /* OCI lets the field be absent */
  if (!media_is_manifest(mt))
    return err_setc(e, ERR_USAGE, 0, "%s: unsupported manifest media type '%s'", name,
                    mt ? mt : "(none)");
  if (own != NULL && strcmp(own, mt) != 0)
    return err_setc(e, ERR_USAGE, 0, "%s: manifest says media type '%s' but was served as '%s'",
                    name, own, mt);
  json_int_t sv = 0;
  json_t *cfg = NULL, *layers = NULL;
  if (json_unpack_err(man, e, name, "{s:I,s:o,s:o}", "schemaVersion", &sv, "config", &cfg, "layers",
                      &layers) < 0)
    return -1;
  if (sv != 2)
    return err_setc(e, ERR_USAGE, 0, "%s: unsupported manifest schemaVersion %lld", name,
                    (long long)sv);
  if (!json_is_array(layers))
    return err_setc(e, ERR_USAGE, 0, "%s: manifest \"layers\" is not an array", name);
  const char *cmt, *cdig;
  int64_t csz;
  if (check_desc(cfg, "config", name, &cmt, &cdig, &csz, e) < 0)
    return -1;
  img->manifest_type = xstrdup(mt);
  img->manifest = json_incref(man);
  img->config_digest = xstrdup(cdig);
  img->config_size = csz;
  img->config_type = xstrdup(cmt ? cmt : MT_OCI_CONFIG);
  img->nlayers = json_array_size(layers);
  img->layers = xcalloc(img->nlayers ? img->nlayers : 1, sizeof(*img->layers));
  for (size_t i = 0; i < img->nlayers; i++) {
    const char *lmt, *ldig;
    int64_t lsz;
    cleanup_free char *what = xasprintf("layer %zu", i + 1);
    if (check_desc(json_array_get(layers, i), what, name, &lmt, &ldig, &lsz, e) < 0)
      return -1;
    int c = layer_compression(lmt, e);
    if (c < 0)
      return err_wrap(e, "%s: layer %s", name, ldig);
    img->layers[i].digest = xstrdup(ldig);
    img->layers[i].media_type = xstrdup(lmt);
    img->layers[i].size = lsz;
    img->layers[i].comp = (enum compression)c;
  }
  return 0;
}

int image_parse_config(struct image *img, json_t *cfg, const char *name, struct err **e) {
  json_t *rootfs = json_get_obj(cfg, "rootfs");
  json_t *ids = json_get_arr(rootfs, "diff_ids");
  if (!json_is_object(cfg) || ids == NULL)
    return err_setc(e, ERR_USAGE, 0, "%s: config %s has no rootfs.diff_ids", name,
                    img->config_digest);
  if (json_array_size(ids) != img->nlayers)
    return err_setc(e, ERR_USAGE, 0, "%s: config lists %zu diff_ids for %zu layers", name,
                    json_array_size(ids), img->nlayers);
  for (size_t i = 0; i < img->nlayers; i++) {
    const char *d = json_string_value(json_array_get(ids, i));
    if (d == NULL || !digest_valid(d))
      return err_setc(e, ERR_USAGE, 0, "%s: config diff_id %zu is not a sha256 digest", name, i);
    img->layers[i].diffid = xstrdup(d);
  }
  img->config = json_incref(cfg);
  return 0;
}

int platform_parse(const char *s, struct platform *p, struct err **e) {
  memset(p, 0, sizeof(*p));
  if (s == NULL) {
    snprintf(p->os, sizeof(p->os), "linux");
#if defined(__x86_64__)
    snprintf(p->arch, sizeof(p->arch), "amd64");
#elif defined(__aarch64__)
    snprintf(p->arch, sizeof(p->arch), "arm64");
#elif defined(__i386__)
    snprintf(p->arch, sizeof(p->arch), "386");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    snprintf(p->arch, sizeof(p->arch), "ppc64le");
#elif defined(__s390x__)
    snprintf(p->arch, sizeof(p->arch), "s390x");
#elif defined(__riscv) && __riscv_xlen == 64
    snprintf(p->arch, sizeof(p->arch), "riscv64");
#elif defined(__arm__)
    snprintf(p->arch, sizeof(p->arch), "arm");
#else
#error "unknown architecture: add its OCI name"
#endif
    return 0;
  }
  const char *a = strchr(s, '/');
  const char *v = a ? strchr(a + 1, '/') : NULL;
  size_t ol = a ? (size_t)(a - s) : 0;
  size_t al = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
  size_t vl = v ? strlen(v + 1) : 0;
  if (a == NULL || ol == 0 || al == 0 || (v && vl == 0) || ol >= sizeof(p->os) ||
      al >= sizeof(p->arch) || vl >= sizeof(p->variant) || (v && strchr(v + 1, '/')))
    return err_usage(e, "invalid platform '%s': expected os/arch[/variant]", s);
  memcpy(p->os, s, ol);
  memcpy(p->arch, a + 1, al);
  if (v)
    memcpy(p->variant, v + 1, vl);
  return 0;
}

/* The variant an arch implies when an index leaves it out. */
static const char *default_variant(const char *arch) {
  if (strcmp(arch, "arm64") == 0)
    return "v8";
  return "";
}

json_t *index_choose(json_t *index, const struct platform *p, const char *name, struct err **e) {
  json_t *arr = json_get_arr(index, "manifests");
  if (arr == NULL) {
    err_setc(e, ERR_USAGE, 0, "%s: index has no \"manifests\" array", name);
    return NULL;
  }
  json_t *best = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(arr, i, m) {
    json_t *pl = json_get_obj(m, "platform");
    const char *os = json_get_str(pl, "os"), *arch = json_get_str(pl, "architecture");
    const char *var = json_get_str(pl, "variant");
    if (os == NULL || arch == NULL || strcmp(os, p->os) != 0 || strcmp(arch, p->arch) != 0)
      continue;
    if (!media_is_manifest(json_get_str(m, "mediaType")))
      continue;
    if (p->variant[0]) {
      const char *have = var ? var : default_variant(arch);
      if (strcmp(have, p->variant) != 0 && strcmp(have, "") != 0)
        continue;
      if (strcmp(have, p->variant) == 0) {
        best = m;
        break;
      }
    }
    if (best == NULL)
      best = m;
  }
  if (best != NULL)
    return best;
  /* Name what there is, so the user can pick with --platform. */
  cleanup_free char *have = xstrdup("");
  json_array_foreach(arr, i, m) {
    json_t *pl = json_get_obj(m, "platform");
    const char *os = json_get_str(pl, "os"), *arch = json_get_str(pl, "architecture");
    const char *var = json_get_str(pl, "variant");
    if (os == NULL || arch == NULL)
      continue;
    char *n = xasprintf("%s%s%s/%s%s%s", have, have[0] ? ", " : "", os, arch, var ? "/" : "",
                        var ? var : "");
    free(have);
    have = n;
  }
  err_setc(e, ERR_NOTFOUND, 0, "%s: no manifest for platform %s/%s%s%s in the index (it has: %s)",
           name, p->os, p->arch, p->variant[0] ? "/" : "", p->variant, have[0] ? have : "none");
  return NULL;
}

int image_load(const struct store *s, const char *digest, const char *platform, struct image *img,
               struct err **e) {
  memset(img, 0, sizeof(*img));
  cleanup_json json_t *man = store_read_json_blob(s, digest, e);
  if (man == NULL)
    return err_wrap(e, "manifest");
  const char *mt = json_get_str(man, "mediaType");
  if (media_is_index(mt) || (mt == NULL && json_get_arr(man, "manifests") != NULL)) {
    struct platform p;
    if (platform_parse(platform, &p, e) < 0)
      return -1;
    json_t *d = index_choose(man, &p, digest, e);
    if (d == NULL)
      return -1;
    cleanup_free char *sub = xstrdup(json_get_str(d, "digest") ?: "");
    return image_load(s, sub, NULL, img, e);
  }
  img->manifest_digest = xstrdup(digest);
  cleanup_json json_t *cfg = NULL;
  if (image_parse_manifest(img, man, NULL, digest, e) < 0 ||
      (cfg = store_read_json_blob(s, img->config_digest, e)) == NULL ||
      image_parse_config(img, cfg, digest, e) < 0) {
    image_free(img);
    return -1;
  }
  return 0;
}
