/* registry.h — a client for the OCI distribution API (Docker registry HTTP
 * API v2) over libcurl: endpoints and mirrors, anonymous Bearer tokens and
 * Basic credentials, and the registry's own error texts.
 *
 * docker.io maps to registry-1.docker.io; localhost, 127.0.0.0/8, ::1 and
 * hosts marked insecure in /etc/cairn/registries.json ($CAIRN_REGISTRIES_CONF)
 * speak plain HTTP; everything else TLS with the system CAs.  That file
 * also lists mirrors, tried before the registry itself for pulls:
 *
 *   {"docker.io": {"mirrors": ["mirror.local:5000"]},
 *    "reg.lan:5000": {"insecure": true}}
 */
#ifndef CAIRN_IMAGE_REGISTRY_H
#define CAIRN_IMAGE_REGISTRY_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "err.h"

struct creds {
  char *user, *secret; /* NULL when anonymous */
};

struct endpoint {
  char *host; /* "registry-1.docker.io", "127.0.0.1:5000" */
  char *base; /* "https://registry-1.docker.io" */
  int mirror;
};

struct registry {
  char *domain;        /* as in the reference: "docker.io" */
  char *repo;          /* "library/busybox" */
  const char *actions; /* token scope actions: "pull" or "pull,push" */
  struct endpoint *eps;
  size_t neps;
  size_t ep; /* the endpoint in use */
  struct creds creds;
  char *auth_header; /* "Authorization: Bearer …" or "…: Basic …", once known */
  CURLSH *share;     /* connections and DNS shared by every handle */
  char *challenge;   /* the last WWW-Authenticate answered, to renew a token */
  unsigned auth_gen; /* bumped whenever auth_header changes */
  /* Requests may run in several threads at once (push): mu (recursive)
   * guards the credentials and the share handle's creation; share_mu are
   * the locks libcurl asks for around the data the share holds. */
  pthread_mutex_t mu;
  pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
};

/* Set up a client for repo at domain; actions is "pull" or "pull,push".
 * Reads registries.json and the credentials for domain. */
int registry_open(struct registry *r, const char *domain, const char *repo, const char *actions,
                  struct err **e);
void registry_close(struct registry *r);

/* Switch to endpoint ep (a mirror, or the registry itself): it has its
 * own credentials dance. */
void registry_use_endpoint(struct registry *r, size_t ep);

/* The base URL of the endpoint in use. */
const char *registry_base(const struct registry *r);

struct http_req {
  const char *method;         /* GET HEAD PUT POST PATCH DELETE */
  const char *url;            /* absolute, or a path appended to the base URL */
  const char *const *headers; /* NULL-terminated extra headers */
  const void *body;           /* request body for PUT/POST/PATCH */
  size_t body_len;
  int body_fd; /* or a file to upload (-1: none) */
  uint64_t body_fd_len;
  size_t max; /* keep at most this much response (0: 4 MiB) */
  int no_redirect;
  /* called as the body goes up (uploads) */
  void (*progress)(void *arg, uint64_t sent, uint64_t total);
  void *progress_arg;
};

struct http_resp {
  long status;
  char *body;
  size_t len;
  char *content_type;
  char *digest; /* Docker-Content-Digest */
  char *location;
  char *www_auth;
  char *link; /* Link: the next page of a list */
  int64_t content_length;
};
void http_resp_free(struct http_resp *p);

/* One request, with the credentials known so far; a 401 with a challenge
 * fetches a token (or uses Basic) and retries once; so does a 401 after
 * earlier successes, when a token expired.  Safe to call from several
 * threads at once: one of them renews the token, the others reuse it.  Transport failures
 * are errors; HTTP statuses are the caller's to judge. */
int registry_do(struct registry *r, const struct http_req *q, struct http_resp *p, struct err **e);

/* A request made with its own handle (registry_easy) got a 401: renew the
 * credentials once for everyone.  seen_gen is the auth_gen the request
 * went out with; when another request renewed them since, nothing is
 * fetched.  Returns 0 to retry, 1 when there is nothing to renew with. */
int registry_reauth(struct registry *r, unsigned seen_gen, struct err **e);

/* The error for an unexpected status: the registry's own code and message
 * ("unauthorized: authentication required", "manifest unknown: manifest
 * unknown"), or "HTTP 500" when it sent none.  Returns -1. */
int registry_error(const struct http_resp *p, struct err **e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepare an easy handle (URL, method GET, auth header, TLS, timeouts,
 * share) for the caller's own transfer, as registry_do would. */
CURL *registry_easy(struct registry *r, const char *url, struct curl_slist **headers);

/* An absolute URL for a Location the registry sent (maybe relative). */
char *registry_url(const struct registry *r, const char *location);

/* The scheme+host for a registry domain as docker writes it into
 * config.json ("https://index.docker.io/v1/" for docker.io). */
char *registry_auth_key(const char *domain);

#endif
