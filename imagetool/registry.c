#include "registry.h"
#include "urlget.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "fs.h"
#include "json.h"
#include "mem.h"

#define RESP_MAX_DEFAULT (4u << 20)
#define USER_AGENT "cairn-image/0.1"

char *registry_auth_key(const char *domain) {
  if (strcmp(domain, "docker.io") == 0)
    return xstrdup("https://index.docker.io/v1/");
  return xstrdup(domain);
}

/* Hosts that get plain HTTP without asking, as docker does. */
static int local_host(const char *host) {
  return strncmp(host, "localhost", 9) == 0 && (host[9] == '\0' || host[9] == ':') ? 1
         : strncmp(host, "127.", 4) == 0                                           ? 1
         : strncmp(host, "[::1]", 5) == 0                                          ? 1
                                                                                   : 0;
}

static json_t *load_registries_conf(struct err **e) {
  const char *p = getenv("CAIRN_REGISTRIES_CONF");
  if (p == NULL || p[0] == '\0')
    p = "/etc/cairn/registries.json";
  if (access(p, F_OK) < 0)
    return json_object();
  json_t *j = json_load_path(p, e);
  if (j != NULL && !json_is_object(j)) {
    json_decref(j);
    err_setc(e, ERR_USAGE, 0, "'%s': not a JSON object", p);
    return NULL;
  }
  return j;
}

static void add_ep(struct registry *r, const char *spec, int insecure, int mirror) {
  r->eps = xrealloc(r->eps, (r->neps + 1) * sizeof(*r->eps));
  struct endpoint *ep = &r->eps[r->neps++];
  const char *host = spec;
  const char *scheme = NULL;
  if (strncmp(spec, "http://", 7) == 0) {
    host = spec + 7;
    scheme = "http";
  } else if (strncmp(spec, "https://", 8) == 0) {
    host = spec + 8;
    scheme = "https";
  }
  size_t hl = strcspn(host, "/");
  ep->host = xstrndup(host, hl);
  if (scheme == NULL)
    scheme = insecure || local_host(ep->host) ? "http" : "https";
  ep->base = xasprintf("%s://%s", scheme, ep->host);
  ep->mirror = mirror;
}

int registry_open(struct registry *r, const char *domain, const char *repo, const char *actions,
                  struct err **e) {
  memset(r, 0, sizeof(*r));
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&r->mu, &ma);
  pthread_mutexattr_destroy(&ma);
  for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&r->share_mu[i], NULL);
  r->domain = xstrdup(domain);
  r->repo = xstrdup(repo);
  r->actions = actions;
  cleanup_json json_t *conf = load_registries_conf(e);
  if (conf == NULL)
    return -1;
  json_t *mine = json_get_obj(conf, domain);
  int insecure = json_is_true(json_object_get(mine, "insecure"));
  if (strcmp(actions, "pull") == 0) {
    size_t i;
    json_t *m;
    json_array_foreach(json_get_arr(mine, "mirrors"), i, m) {
      if (json_is_string(m)) {
        const char *h = json_string_value(m);
        const char *bare = strstr(h, "://") ? strstr(h, "://") + 3 : h;
        cleanup_free char *mh = xstrndup(bare, strcspn(bare, "/"));
        add_ep(r, h, json_is_true(json_object_get(json_get_obj(conf, mh), "insecure")), 1);
      }
    }
  }
  add_ep(r, strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain, insecure, 0);
  if (creds_lookup(domain, &r->creds, e) < 0)
    return err_wrap(e, "credentials for '%s'", domain);
  return 0;
}

void registry_close(struct registry *r) {
  free(r->domain);
  free(r->repo);
  for (size_t i = 0; i < r->neps; i++) {
    free(r->eps[i].host);
    free(r->eps[i].base);
  }
  free(r->eps);
  creds_free(&r->creds);
  if (r->auth_header != NULL)
    explicit_bzero(r->auth_header, strlen(r->auth_header));
  free(r->auth_header);
  if (r->share != NULL)
    curl_share_cleanup(r->share);
  free(r->challenge);
  pthread_mutex_destroy(&r->mu);
  for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_destroy(&r->share_mu[i]);
  memset(r, 0, sizeof(*r));
}

void registry_use_endpoint(struct registry *r, size_t ep) {
  if (ep == r->ep)
    return;
  pthread_mutex_lock(&r->mu);
  if (r->auth_header != NULL)
    explicit_bzero(r->auth_header, strlen(r->auth_header));
  free(r->auth_header);
  free(r->challenge);
  r->auth_header = r->challenge = NULL;
  r->auth_gen++;
  r->ep = ep;
  pthread_mutex_unlock(&r->mu);
}

const char *registry_base(const struct registry *r) {
  return r->eps[r->ep].base;
}

void http_resp_free(struct http_resp *p) {
  free(p->body);
  free(p->content_type);
  free(p->digest);
  free(p->location);
  free(p->www_auth);
  free(p->link);
  memset(p, 0, sizeof(*p));
}

static void share_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *arg) {
  (void)c;
  (void)a;
  struct registry *r = arg;
  pthread_mutex_lock(&r->share_mu[(size_t)d < CURL_LOCK_DATA_LAST ? d : 0]);
}

static void share_unlock(CURL *c, curl_lock_data d, void *arg) {
  (void)c;
  struct registry *r = arg;
  pthread_mutex_unlock(&r->share_mu[(size_t)d < CURL_LOCK_DATA_LAST ? d : 0]);
}

CURL *registry_easy(struct registry *r, const char *url, struct curl_slist **headers) {
  pthread_mutex_lock(&r->mu);
  if (r->share == NULL) { /* made at the first request: no curl until then */
    r->share = curl_share_init();
    curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
    curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  CURL *c = curl_easy_init();
  if (c == NULL)
    abort(); /* out of memory */
  cleanup_free char *full = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0
                                ? xstrdup(url)
                                : xasprintf("%s%s", registry_base(r), url);
  curl_easy_setopt(c, CURLOPT_URL, full);
  curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
  curl_easy_setopt(c, CURLOPT_SHARE, r->share);
  url_easy_defaults(c);
  if (getenv("CAIRN_DEBUG_HTTP") != NULL)
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  /* The Authorization header is custom: curl drops it on a redirect to
   * another host (blob storage), which is what we want. */
  if (r->auth_header != NULL)
    *headers = curl_slist_append(*headers, r->auth_header);
  pthread_mutex_unlock(&r->mu);
  return c;
}

struct xfer {
  const struct http_req *q;
  struct http_resp *p;
  size_t max;
  int too_big;
  const char *src;
  size_t left;
  int fd;
};

static size_t on_body(char *ptr, size_t size, size_t n, void *arg) {
  struct xfer *x = arg;
  size_t len = size * n;
  if (x->p->len + len > x->max) {
    x->too_big = 1;
    return 0;
  }
  x->p->body = xrealloc(x->p->body, x->p->len + len + 1);
  memcpy(x->p->body + x->p->len, ptr, len);
  x->p->len += len;
  x->p->body[x->p->len] = '\0';
  return len;
}

static char *header_value(const char *line, size_t len, const char *name) {
  size_t nl = strlen(name);
  if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return NULL;
  const char *v = line + nl + 1;
  const char *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  return xstrndup(v, (size_t)(end - v));
}

static size_t on_header(char *line, size_t size, size_t n, void *arg) {
  struct xfer *x = arg;
  size_t len = size * n;
  struct http_resp *p = x->p;
  char *v;
  /* A new status line (after a redirect or 100-continue) starts over. */
  if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
    free(p->content_type);
    free(p->digest);
    free(p->location);
    free(p->www_auth);
    free(p->link);
    p->content_type = p->digest = p->location = p->www_auth = p->link = NULL;
    p->content_length = -1;
  } else if ((v = header_value(line, len, "Content-Type")) != NULL) {
    free(p->content_type);
    p->content_type = v;
  } else if ((v = header_value(line, len, "Docker-Content-Digest")) != NULL) {
    free(p->digest);
    p->digest = v;
  } else if ((v = header_value(line, len, "Location")) != NULL) {
    free(p->location);
    p->location = v;
  } else if ((v = header_value(line, len, "WWW-Authenticate")) != NULL) {
    free(p->www_auth);
    p->www_auth = v;
  } else if ((v = header_value(line, len, "Link")) != NULL) {
    free(p->link);
    p->link = v;
  } else if ((v = header_value(line, len, "Content-Length")) != NULL) {
    p->content_length = strtoll(v, NULL, 10);
    free(v);
  }
  return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg) {
  struct xfer *x = arg;
  size_t want = size * n;
  if (x->fd >= 0) {
    if (want > x->left)
      want = x->left;
    ssize_t r;
    do
      r = read(x->fd, buf, want);
    while (r < 0 && errno == EINTR);
    if (r < 0)
      return CURL_READFUNC_ABORT;
    x->left -= (size_t)r;
    return (size_t)r;
  }
  if (want > x->left)
    want = x->left;
  memcpy(buf, x->src, want);
  x->src += want;
  x->left -= want;
  return want;
}

static int on_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  (void)dltotal;
  (void)dlnow;
  struct xfer *x = arg;
  if (ultotal > 0)
    x->q->progress(x->q->progress_arg, (uint64_t)ulnow, (uint64_t)ultotal);
  return 0;
}

char *registry_url(const struct registry *r, const char *location) {
  if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0)
    return xstrdup(location);
  return xasprintf("%s%s%s", registry_base(r), location[0] == '/' ? "" : "/", location);
}

/* key="value" from a challenge's parameter list. */
static char *challenge_param(const char *ch, const char *key) {
  size_t kl = strlen(key);
  const char *p = ch;
  while ((p = strcasestr(p, key)) != NULL) {
    if ((p == ch || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=') {
      const char *v = p + kl + 1;
      if (*v == '"') {
        const char *end = strchr(v + 1, '"');
        return end ? xstrndup(v + 1, (size_t)(end - v - 1)) : NULL;
      }
      return xstrndup(v, strcspn(v, ", "));
    }
    p += kl;
  }
  return NULL;
}

static char *url_escape(const char *s) {
  char *t = curl_easy_escape(NULL, s, 0);
  char *r = xstrdup(t);
  curl_free(t);
  return r;
}

/* Answer a 401 challenge: 0 when there is something new to retry with. */
static int authenticate(struct registry *r, const char *challenge, struct err **e) {
  if (strncasecmp(challenge, "Basic", 5) == 0) {
    if (r->creds.user == NULL)
      return 1;
    cleanup_free char *pair = xasprintf("%s:%s", r->creds.user, r->creds.secret);
    cleanup_free char *enc = b64_encode(pair, strlen(pair));
    explicit_bzero(pair, strlen(pair));
    free(r->auth_header);
    r->auth_header = xasprintf("Authorization: Basic %s", enc);
    r->auth_gen++;
    return 0;
  }
  if (strncasecmp(challenge, "Bearer", 6) != 0)
    return 1;
  cleanup_free char *realm = challenge_param(challenge + 6, "realm");
  cleanup_free char *service = challenge_param(challenge + 6, "service");
  if (realm == NULL)
    return err_set(e, 0, "token challenge without a realm: %s", challenge);
  /* no repository: the catalog's scope */
  cleanup_free char *scope =
      *r->repo ? xasprintf("repository:%s:%s", r->repo, r->actions) : xstrdup("registry:catalog:*");
  cleanup_free char *es = url_escape(scope);
  cleanup_free char *esv = service ? url_escape(service) : NULL;
  cleanup_free char *url = xasprintf("%s%sscope=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", es,
                                     esv ? "&service=" : "", esv ? esv : "");
  struct curl_slist *h = NULL;
  char *saved = r->auth_header;
  r->auth_header = NULL; /* the token request carries Basic creds, if any */
  CURL *c = registry_easy(r, url, &h);
  r->auth_header = saved;
  if (r->creds.user != NULL) {
    curl_easy_setopt(c, CURLOPT_USERNAME, r->creds.user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, r->creds.secret);
  }
  struct http_resp p = {.content_length = -1};
  struct xfer x = {.p = &p, .max = RESP_MAX_DEFAULT, .fd = -1};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p.status);
  curl_easy_cleanup(c);
  curl_slist_free_all(h);
  int ret = -1;
  if (rc != CURLE_OK) {
    err_set(e, 0, "get a token from %s: %s", realm, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  } else if (p.status != 200) {
    registry_error(&p, e, "get a token from %s", realm);
  } else {
    struct err *je = NULL;
    cleanup_json json_t *j = json_load_str(p.body ? p.body : "", "token response", &je);
    const char *tok = json_get_str(j, "token") ?: json_get_str(j, "access_token");
    if (tok == NULL) {
      err_free(&je);
      err_set(e, 0, "token response from %s has no token", realm);
    } else {
      free(r->auth_header);
      r->auth_header = xasprintf("Authorization: Bearer %s", tok);
      r->auth_gen++;
      ret = 0;
    }
    err_free(&je);
  }
  http_resp_free(&p);
  return ret;
}

int registry_do(struct registry *r, const struct http_req *q, struct http_resp *p, struct err **e) {
  memset(p, 0, sizeof(*p));
  off_t fd_start = q->body_fd >= 0 ? lseek(q->body_fd, 0, SEEK_CUR) : 0;
  for (int attempt = 0;; attempt++) {
    http_resp_free(p);
    p->content_length = -1;
    struct curl_slist *h = NULL;
    pthread_mutex_lock(&r->mu);
    unsigned seen_gen = r->auth_gen;
    CURL *c = registry_easy(r, q->url, &h);
    pthread_mutex_unlock(&r->mu);
    for (const char *const *x = q->headers; x && *x; x++)
      h = curl_slist_append(h, *x);
    struct xfer x = {.q = q, .p = p, .max = q->max ? q->max : RESP_MAX_DEFAULT, .fd = -1};
    if (q->progress != NULL) {
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    }
    if (strcmp(q->method, "HEAD") == 0) {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "GET") != 0) {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
      if (q->body_fd >= 0) {
        lseek(q->body_fd, fd_start, SEEK_SET);
        x.fd = q->body_fd;
        x.left = q->body_fd_len;
      } else {
        x.src = q->body;
        x.left = q->body_len;
      }
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &x);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                       (curl_off_t)(q->body_fd >= 0 ? q->body_fd_len : q->body_len));
      /* no "Expect: 100-continue" round trip */
      h = curl_slist_append(h, "Expect:");
    }
    if (q->no_redirect)
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    char *url = NULL;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &url);
    cleanup_free char *where = xasprintf("%s %s", q->method, url ? url : q->url);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (x.too_big)
      return err_setc(e, ERR_USAGE, 0, "%s: response larger than %zu bytes", where, x.max);
    if (rc != CURLE_OK)
      return err_set(e, 0, "%s: %s", where, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (p->status != 401 || attempt > 0 || p->www_auth == NULL)
      return 0;
    pthread_mutex_lock(&r->mu);
    int a = 0; /* another thread renewed them since: retry with theirs */
    if (r->auth_gen == seen_gen) {
      free(r->challenge);
      r->challenge = xstrdup(p->www_auth);
      cleanup_free char *ch = xstrdup(p->www_auth);
      a = authenticate(r, ch, e);
    }
    pthread_mutex_unlock(&r->mu);
    if (a < 0)
      return -1;
    if (a > 0)
      return 0; /* nothing to answer with: the caller reports the 401 */
  }
}

int registry_reauth(struct registry *r, unsigned seen_gen, struct err **e) {
  pthread_mutex_lock(&r->mu);
  int a = 0; /* renewed meanwhile: retry with what we have now */
  if (r->auth_gen == seen_gen) {
    cleanup_free char *ch = r->challenge ? xstrdup(r->challenge) : NULL;
    a = ch ? authenticate(r, ch, e) : 1;
  }
  pthread_mutex_unlock(&r->mu);
  return a;
}

int registry_error(const struct http_resp *p, struct err **e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *ctx = xvasprintf(fmt, ap);
  va_end(ap);
  cleanup_free char *msg = NULL;
  if (p->body != NULL) {
    json_error_t je;
    cleanup_json json_t *j = json_loads(p->body, 0, &je);
    size_t i;
    json_t *er;
    json_array_foreach(json_get_arr(j, "errors"), i, er) {
      cleanup_free char *code = xstrdup(json_get_str(er, "code") ?: "unknown");
      for (char *c = code; *c; c++)
        *c = *c == '_' ? ' ' : (char)tolower((unsigned char)*c);
      const char *m = json_get_str(er, "message") ?: "";
      char *n = xasprintf("%s%s%s: %s", msg ? msg : "", msg ? ", " : "", code, m);
      free(msg);
      msg = n;
    }
  }
  if (msg == NULL && p->status == 401)
    msg = xstrdup("unauthorized: authentication required");
  if (msg == NULL && p->status == 404)
    msg = xstrdup("not found");
  if (msg == NULL)
    msg = xasprintf("unexpected HTTP status %ld", p->status);
  int code = p->status == 404 ? ERR_NOTFOUND : ERR_FAIL;
  return err_setc(e, code, 0, "%s: %s", ctx, msg);
}
