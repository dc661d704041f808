#include "auth.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "spawn.h"

char *docker_config_path(void) {
  const char *d = getenv("DOCKER_CONFIG");
  if (d != NULL && d[0])
    return path_join(d, "config.json");
  const char *home = getenv("HOME");
  return xasprintf("%s/.docker/config.json", home && home[0] ? home : "/root");
}

char *b64_encode(const void *buf, size_t len) {
  char *out = xmalloc(4 * ((len + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
  return out;
}

char *b64_decode(const char *s, size_t *len) {
  size_t n = strlen(s);
  if (n % 4 != 0)
    return NULL;
  unsigned char *out = xmalloc(n / 4 * 3 + 1);
  int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
  if (r < 0) {
    free(out);
    return NULL;
  }
  /* EVP_DecodeBlock counts the padding as zero bytes. */
  size_t m = (size_t)r;
  for (size_t i = n; i > 0 && s[i - 1] == '='; i--)
    m--;
  out[m] = '\0';
  *len = m;
  return (char *)out;
}

void creds_free(struct creds *c) {
  free(c->user);
  if (c->secret != NULL)
    explicit_bzero(c->secret, strlen(c->secret));
  free(c->secret);
  c->user = c->secret = NULL;
}

static json_t *load_config(struct err **e) {
  cleanup_free char *p = docker_config_path();
  if (access(p, F_OK) < 0)
    return json_object();
  json_t *j = json_load_path(p, e);
  if (j != NULL && !json_is_object(j)) {
    json_decref(j);
    err_setc(e, ERR_USAGE, 0, "'%s' is not a JSON object", p);
    return NULL;
  }
  return j;
}

static int save_config(json_t *j, struct err **e) {
  cleanup_free char *p = docker_config_path();
  cleanup_free char *dir = xstrdup(p);
  char *slash = strrchr(dir, '/');
  if (slash != NULL) {
    *slash = '\0';
    if (mkdir_p(dir, 0700, e) < 0)
      return -1;
  }
  cleanup_free char *text = json_dumps(j, JSON_INDENT(2));
  cleanup_free char *withnl = xasprintf("%s\n", text);
  return write_file_atomic(p, withnl, strlen(withnl), 0600, e);
}

/* The helper that holds this domain's credentials, if any. */
static const char *helper_for(json_t *cfg, const char *key, const char *domain) {
  json_t *h = json_get_obj(cfg, "credHelpers");
  const char *n = json_get_str(h, domain);
  if (n == NULL)
    n = json_get_str(h, key);
  if (n == NULL)
    n = json_get_str(cfg, "credsStore");
  return n && n[0] ? n : NULL;
}

static int run_helper(const char *helper, const char *verb, const char *input,
                      struct spawn_result *res, struct err **e) {
  cleanup_free char *prog = xasprintf("docker-credential-%s", helper);
  const char *argv[] = {prog, verb, NULL};
  struct spawn_opts o = {.argv = argv,
                         .stdin_buf = input,
                         .stdin_len = strlen(input),
                         .capture_stdout = 1,
                         .capture_stderr = 1};
  if (spawn_run(&o, res, e) < 0)
    return err_wrap(e, "credential helper");
  return 0;
}

/* auths entry for a domain: docker writes several key forms. */
static json_t *auths_entry(json_t *cfg, const char *key, const char *domain) {
  json_t *auths = json_get_obj(cfg, "auths");
  json_t *a = json_get_obj(auths, key);
  if (a == NULL)
    a = json_get_obj(auths, domain);
  if (a == NULL) {
    cleanup_free char *k1 = xasprintf("https://%s", domain);
    cleanup_free char *k2 = xasprintf("http://%s", domain);
    a = json_get_obj(auths, k1);
    if (a == NULL)
      a = json_get_obj(auths, k2);
  }
  return a;
}

int creds_lookup(const char *domain, struct creds *out, struct err **e) {
  memset(out, 0, sizeof(*out));
  cleanup_json json_t *cfg = load_config(e);
  if (cfg == NULL)
    return -1;
  cleanup_free char *key = registry_auth_key(domain);
  const char *helper = helper_for(cfg, key, domain);
  if (helper != NULL) {
    struct spawn_result res = {0};
    if (run_helper(helper, "get", key, &res, e) < 0)
      return -1;
    int st = spawn_status(&res);
    if (st != 0) {
      /* "credentials not found" is how helpers say: anonymous */
      int notfound = res.out && strstr(res.out, "credentials not found") != NULL;
      spawn_result_free(&res);
      if (notfound)
        return 0;
      return err_set(e, 0, "credential helper docker-credential-%s get: exit status %d", helper,
                     st);
    }
    struct err *je = NULL;
    cleanup_json json_t *j = json_load_str(res.out ? res.out : "", "credential helper", &je);
    spawn_result_free(&res);
    if (j == NULL) {
      *e = je;
      return -1;
    }
    const char *u = json_get_str(j, "Username"), *s = json_get_str(j, "Secret");
    if (u != NULL && s != NULL) {
      out->user = xstrdup(u);
      out->secret = xstrdup(s);
    }
    return 0;
  }
  json_t *a = auths_entry(cfg, key, domain);
  const char *auth = json_get_str(a, "auth");
  if (auth == NULL || auth[0] == '\0')
    return 0;
  size_t n;
  cleanup_free char *dec = b64_decode(auth, &n);
  char *colon = dec ? strchr(dec, ':') : NULL;
  if (colon == NULL) {
    cleanup_free char *p = docker_config_path();
    return err_setc(e, ERR_USAGE, 0, "'%s': auths[\"%s\"].auth is not base64 of user:password", p,
                    key);
  }
  *colon = '\0';
  out->user = xstrdup(dec);
  out->secret = xstrdup(colon + 1);
  explicit_bzero(dec, n);
  return 0;
}

int creds_store(const char *domain, const char *user, const char *secret, struct err **e) {
  cleanup_json json_t *cfg = load_config(e);
  if (cfg == NULL)
    return -1;
  cleanup_free char *key = registry_auth_key(domain);
  const char *helper = helper_for(cfg, key, domain);
  if (helper != NULL) {
    cleanup_json json_t *in =
        json_pack("{s:s,s:s,s:s}", "ServerURL", key, "Username", user, "Secret", secret);
    cleanup_free char *text = json_dump_compact(in);
    struct spawn_result res = {0};
    int r = run_helper(helper, "store", text, &res, e);
    explicit_bzero(text, strlen(text));
    if (r < 0)
      return -1;
    int st = spawn_status(&res);
    spawn_result_free(&res);
    if (st != 0)
      return err_set(e, 0, "credential helper docker-credential-%s store: exit status %d", helper,
                     st);
    /* the file still records that the helper has this domain */
    json_object_set_new(json_obj_ensure(cfg, "auths"), key, json_object());
    return save_config(cfg, e);
  }
  cleanup_free char *pair = xasprintf("%s:%s", user, secret);
  cleanup_free char *enc = b64_encode(pair, strlen(pair));
  explicit_bzero(pair, strlen(pair));
  json_t *auths = json_obj_ensure(cfg, "auths");
  /* one entry per domain: drop the other spellings */
  json_object_del(auths, domain);
  json_object_set_new(auths, key, json_pack("{s:s}", "auth", enc));
  return save_config(cfg, e);
}

int creds_erase(const char *domain, int *found, struct err **e) {
  *found = 0;
  cleanup_json json_t *cfg = load_config(e);
  if (cfg == NULL)
    return -1;
  cleanup_free char *key = registry_auth_key(domain);
  const char *helper = helper_for(cfg, key, domain);
  if (helper != NULL) {
    struct spawn_result res = {0};
    if (run_helper(helper, "erase", key, &res, e) < 0)
      return -1;
    *found = spawn_status(&res) == 0;
    spawn_result_free(&res);
  }
  json_t *auths = json_get_obj(cfg, "auths");
  cleanup_free char *k1 = xasprintf("https://%s", domain);
  cleanup_free char *k2 = xasprintf("http://%s", domain);
  const char *keys[] = {key, domain, k1, k2};
  for (size_t i = 0; i < 4; i++) {
    if (json_object_get(auths, keys[i]) != NULL) {
      json_object_del(auths, keys[i]);
      *found = 1;
    }
  }
  if (!*found)
    return 0;
  return save_config(cfg, e);
}
