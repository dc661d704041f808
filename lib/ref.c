#include "ref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* The grammar of github.com/distribution/reference, matched by hand:
 *
 *   reference   := name [ ":" tag ] [ "@" digest ]
 *   name        := [ domain "/" ] path
 *   domain      := host [ ":" port ]          host: dns-ish name or [ipv6]
 *   path        := component ( "/" component )*
 *   component   := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag         := [\w][\w.-]{0,127}
 *   digest      := algorithm ":" [0-9a-fA-F]{32,}
 *
 * Go's regexp prefers the first alternative, so when the text before the
 * first "/" is a valid domain it is taken as one. */

#define NAME_MAX_LEN 255
#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"

enum ref_error {
  REF_OK,
  REF_EMPTY,
  REF_FORMAT,
  REF_UPPER,
  REF_TOO_LONG,
  REF_DIGEST_FORMAT,
  REF_DIGEST_LENGTH,
  REF_DIGEST_UNSUPPORTED,
};

static const char *const ref_error_text[] = {
    [REF_EMPTY] = "repository name must have at least one component",
    [REF_FORMAT] = "invalid reference format",
    [REF_UPPER] = "repository name must be lowercase",
    [REF_TOO_LONG] = "repository name must not be more than 255 characters",
    [REF_DIGEST_FORMAT] = "invalid checksum digest format",
    [REF_DIGEST_LENGTH] = "invalid checksum digest length",
    [REF_DIGEST_UNSUPPORTED] = "unsupported digest algorithm",
};

/* Pieces of a reference as offsets into the parsed string. */
struct span {
  const char *p;
  size_t n;
};
struct parts {
  struct span domain, path, tag, digest;
};

static int lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int any_alnum(char c) {
  return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int word(char c) {
  return any_alnum(c) || c == '_';
}

static int hexdigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int match_component(const char *s, size_t n) {
  size_t i = 0;
  if (n == 0 || !lower_alnum(s[0]))
    return 0;
  for (;;) {
    while (i < n && lower_alnum(s[i]))
      i++;
    if (i == n)
      return 1;
    if (s[i] == '.') {
      i++;
    } else if (s[i] == '_') {
      i++;
      if (i < n && s[i] == '_')
        i++;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-')
        i++;
    } else {
      return 0;
    }
    if (i == n || !lower_alnum(s[i]))
      return 0;
  }
}

static int match_path(const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '/') {
      if (!match_component(s + start, i - start))
        return 0;
      start = i + 1;
    }
  }
  return 1;
}

static int match_port(const char *s, size_t n) {
  if (n == 0)
    return 1;
  if (s[0] != ':' || n == 1)
    return 0;
  for (size_t i = 1; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

/* A DNS-ish name ("a-b.example.com", "127.0.0.1", "Foo") or a bracketed
 * IPv6 address ("[::1]"), then an optional ":port". */
static int match_domain(const char *s, size_t n) {
  if (n == 0)
    return 0;
  if (s[0] == '[') {
    size_t i = 1;
    while (i < n && (hexdigit(s[i]) || s[i] == ':'))
      i++;
    if (i == 1 || i == n || s[i] != ']')
      return 0;
    return match_port(s + i + 1, n - i - 1);
  }
  size_t i = 0;
  for (;;) {
    /* one label: alnum, or alnum [alnum-]* alnum */
    size_t start = i;
    while (i < n && (any_alnum(s[i]) || s[i] == '-'))
      i++;
    if (i == start || !any_alnum(s[start]) || !any_alnum(s[i - 1]))
      return 0;
    if (i < n && s[i] == '.') {
      i++;
      continue;
    }
    break;
  }
  return match_port(s + i, n - i);
}

static int match_tag(const char *s, size_t n) {
  if (n == 0 || n > 128 || !word(s[0]))
    return 0;
  for (size_t i = 1; i < n; i++)
    if (!word(s[i]) && s[i] != '.' && s[i] != '-')
      return 0;
  return 1;
}

/* The reference grammar's digest: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*
 * ":" and at least 32 hex digits. */
static int match_digest(const char *s, size_t n) {
  size_t i = 0;
  for (;;) {
    if (i >= n || !isalpha((unsigned char)s[i]))
      return 0;
    while (i < n && any_alnum(s[i]))
      i++;
    if (i < n && strchr("-_+.", s[i]) != NULL) {
      i++;
      continue;
    }
    break;
  }
  if (i >= n || s[i] != ':')
    return 0;
  i++;
  if (n - i < 32)
    return 0;
  for (; i < n; i++)
    if (!hexdigit(s[i]))
      return 0;
  return 1;
}

/* path [":" tag] ["@" digest] */
static int match_rest(const char *s, struct parts *pt) {
  size_t n = strcspn(s, ":@");
  if (!match_path(s, n))
    return 0;
  pt->path = (struct span){s, n};
  pt->tag = pt->digest = (struct span){NULL, 0};
  s += n;
  if (*s == ':') {
    s++;
    size_t t = strcspn(s, "@");
    if (!match_tag(s, t))
      return 0;
    pt->tag = (struct span){s, t};
    s += t;
  }
  if (*s == '@') {
    s++;
    size_t d = strlen(s);
    if (!match_digest(s, d))
      return 0;
    pt->digest = (struct span){s, d};
    s += d;
  }
  return *s == '\0';
}

static int match_reference(const char *s, struct parts *pt) {
  const char *slash = strchr(s, '/');
  if (slash != NULL && match_domain(s, (size_t)(slash - s)) && match_rest(slash + 1, pt)) {
    pt->domain = (struct span){s, (size_t)(slash - s)};
    return 1;
  }
  pt->domain = (struct span){s, 0};
  return match_rest(s, pt);
}

/* go-digest's Validate for the algorithms docker registers. */
static enum ref_error validate_digest(const char *s, size_t n) {
  static const struct {
    const char *name;
    size_t hexlen;
  } algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
  const char *colon = memchr(s, ':', n);
  if (colon == NULL || colon == s || (size_t)(colon - s) + 1 == n)
    return REF_DIGEST_FORMAT;
  size_t alen = (size_t)(colon - s), hlen = n - alen - 1;
  const char *hex = colon + 1;
  for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
    if (strlen(algs[i].name) != alen || memcmp(algs[i].name, s, alen) != 0)
      continue;
    if (hlen != algs[i].hexlen)
      return REF_DIGEST_LENGTH;
    for (size_t j = 0; j < hlen; j++)
      if (!((hex[j] >= '0' && hex[j] <= '9') || (hex[j] >= 'a' && hex[j] <= 'f')))
        return REF_DIGEST_FORMAT;
    return REF_OK;
  }
  /* Unknown algorithm: "unsupported" only when it is well-formed at all
   * ([a-z0-9]+([.+_-][a-z0-9]+)* ":" [a-zA-Z0-9=_-]+). */
  for (size_t i = 0; i < alen; i++) {
    int sep = strchr(".+_-", s[i]) != NULL;
    if (!lower_alnum(s[i]) && !sep)
      return REF_DIGEST_FORMAT;
    if (sep && (i == 0 || i + 1 == alen || !lower_alnum(s[i - 1]) || !lower_alnum(s[i + 1])))
      return REF_DIGEST_FORMAT;
  }
  for (size_t j = 0; j < hlen; j++)
    if (!any_alnum(hex[j]) && strchr("=_-", hex[j]) == NULL)
      return REF_DIGEST_FORMAT;
  return REF_DIGEST_UNSUPPORTED;
}

static int has_upper(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] >= 'A' && s[i] <= 'Z')
      return 1;
  return 0;
}

/* distribution/reference's Parse: the grammar, then the length of the path
 * and the digest. */
static enum ref_error parse_plain(const char *s, struct parts *pt) {
  if (*s == '\0')
    return REF_EMPTY;
  if (!match_reference(s, pt)) {
    if (has_upper(s, strlen(s))) {
      cleanup_free char *low = xstrdup(s);
      for (char *c = low; *c; c++)
        *c = (char)tolower((unsigned char)*c);
      struct parts ignored;
      if (match_reference(low, &ignored))
        return REF_UPPER;
    }
    return REF_FORMAT;
  }
  if (pt->path.n > NAME_MAX_LEN)
    return REF_TOO_LONG;
  if (pt->digest.p != NULL)
    return validate_digest(pt->digest.p, pt->digest.n);
  return REF_OK;
}

static int is_identifier(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return 0;
  return n == 64;
}

static char *span_dup(struct span sp) {
  return sp.p != NULL ? xstrndup(sp.p, sp.n) : NULL;
}

int ref_parse(const char *s, struct ref *r, struct err **e) {
  memset(r, 0, sizeof(*r));
  /* A bare image id is never taken for a name. */
  if (is_identifier(s))
    return err_usage(e, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
                     s);

  /* splitDockerDomain: the first component is a registry when it looks like
   * a host (a '.' or ':', "localhost", or uppercase, which a path may not
   * have); otherwise the name is on Docker Hub, under library/ when it has
   * a single component. */
  const char *slash = strchr(s, '/');
  cleanup_free char *domain = NULL, *remainder = NULL;
  if (slash == NULL) {
    domain = xstrdup(DEFAULT_DOMAIN);
    remainder = xasprintf(OFFICIAL_PREFIX "%s", s);
  } else {
    size_t dn = (size_t)(slash - s);
    cleanup_free char *first = xstrndup(s, dn);
    if (strcmp(first, LEGACY_DOMAIN) == 0) {
      domain = xstrdup(DEFAULT_DOMAIN);
      remainder = xstrdup(slash + 1);
    } else if (strcmp(first, "localhost") == 0 || strpbrk(first, ".:") != NULL ||
               has_upper(first, dn)) {
      domain = steal_ptr(&first);
      remainder = xstrdup(slash + 1);
    } else {
      domain = xstrdup(DEFAULT_DOMAIN);
      remainder = xstrdup(s);
    }
    if (strcmp(domain, DEFAULT_DOMAIN) == 0 && strchr(remainder, '/') == NULL) {
      char *p = xasprintf(OFFICIAL_PREFIX "%s", remainder);
      free(remainder);
      remainder = p;
    }
  }
  size_t remote_len = strcspn(remainder, ":");
  if (has_upper(remainder, remote_len))
    return err_usage(e, "invalid reference format: repository name (%.*s) must be lowercase",
                     (int)remote_len, remainder);

  cleanup_free char *full = xasprintf("%s/%s", domain, remainder);
  struct parts pt;
  enum ref_error rc = parse_plain(full, &pt);
  if (rc != REF_OK)
    return err_usage(e, "%s", ref_error_text[rc]);
  r->domain = span_dup(pt.domain);
  r->path = span_dup(pt.path);
  r->tag = span_dup(pt.tag);
  r->digest = span_dup(pt.digest);
  if (r->tag == NULL && r->digest == NULL) /* TagNameOnly */
    r->tag = xstrdup("latest");
  return 0;
}

void ref_free(struct ref *r) {
  if (r == NULL)
    return;
  free(r->domain);
  free(r->path);
  free(r->tag);
  free(r->digest);
  memset(r, 0, sizeof(*r));
}

static char *with_suffixes(const char *name, const struct ref *r) {
  return xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
                   r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *ref_name(const struct ref *r) {
  if (r->domain == NULL || r->domain[0] == '\0')
    return xstrdup(r->path);
  return xasprintf("%s/%s", r->domain, r->path);
}

char *ref_string(const struct ref *r) {
  cleanup_free char *name = ref_name(r);
  return with_suffixes(name, r);
}

char *ref_familiar(const struct ref *r) {
  if (r->domain == NULL || strcmp(r->domain, DEFAULT_DOMAIN) != 0) {
    cleanup_free char *name = ref_name(r);
    return with_suffixes(name, r);
  }
  const char *path = r->path;
  size_t pl = strlen(OFFICIAL_PREFIX);
  if (strncmp(path, OFFICIAL_PREFIX, pl) == 0 && strchr(path + pl, '/') == NULL)
    path += pl;
  return with_suffixes(path, r);
}

char *ref_normalize(const char *s, struct err **e) {
  struct ref r;
  if (ref_parse(s, &r, e) < 0)
    return NULL;
  char *out = ref_string(&r);
  ref_free(&r);
  return out;
}
