/* OpenSSL 3 deprecates SHA256_Init and friends in favour of EVP, but EVP's
 * first digest costs ~1.6 ms (loading openssl.cnf and the default
 * provider, then fetching the algorithm) while the low-level calls run the
 * same assembly (SHA-NI / AVX2) with no set-up at all.  A tool that hashes
 * one small manifest per run (`cairn-image unpack`, `cairn run`) spends
 * more on that set-up than on everything else it does. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

struct sha256_ctx {
  SHA256_CTX md;
};

/* The low-level calls do not fail in practice (no allocation, no
 * provider); should one ever, it is treated like out of memory. */
static void ossl_fail(void) {
  static const char msg[] = "openssl: sha256 failed\n";
  ssize_t r = write(2, msg, sizeof(msg) - 1);
  (void)r;
  abort();
}

struct sha256_ctx *sha256_new(void) {
  struct sha256_ctx *c = xmalloc(sizeof(*c));
  if (SHA256_Init(&c->md) != 1)
    ossl_fail();
  return c;
}

void sha256_update(struct sha256_ctx *c, const void *buf, size_t len) {
  if (len > 0 && SHA256_Update(&c->md, buf, len) != 1)
    ossl_fail();
}

void sha256_final(struct sha256_ctx *c, char out[DIGEST_STR_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char md[SHA256_DIGEST_LENGTH];
  const unsigned int n = SHA256_DIGEST_LENGTH;
  if (SHA256_Final(md, &c->md) != 1)
    ossl_fail();
  memcpy(out, "sha256:", 7);
  for (unsigned int i = 0; i < n; i++) {
    out[7 + 2 * i] = hex[md[i] >> 4];
    out[7 + 2 * i + 1] = hex[md[i] & 0xf];
  }
  out[DIGEST_STR_LEN] = '\0';
  sha256_free(c);
}

void sha256_free(struct sha256_ctx *c) {
  if (c == NULL)
    return;
  explicit_bzero(c, sizeof(*c));
  free(c);
}

void sha256_buf(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1]) {
  struct sha256_ctx *c = sha256_new();
  sha256_update(c, buf, len);
  sha256_final(c, out);
}

int sha256_fd(int fd, char out[DIGEST_STR_LEN + 1], struct err **e) {
  struct sha256_ctx *c = sha256_new();
  cleanup_free char *buf = xmalloc(1 << 17);
  for (;;) {
    ssize_t r = read(fd, buf, 1 << 17);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      int saved = errno;
      sha256_free(c);
      return err_set(e, saved, "read");
    }
    if (r == 0)
      break;
    sha256_update(c, buf, (size_t)r);
  }
  sha256_final(c, out);
  return 0;
}

int sha256_file(const char *path, char out[DIGEST_STR_LEN + 1], struct err **e) {
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, errno, "open '%s'", path);
  if (sha256_fd(fd, out, e) < 0)
    return err_wrap(e, "digest '%s'", path);
  return 0;
}

int digest_valid(const char *s) {
  if (s == NULL || strncmp(s, "sha256:", 7) != 0)
    return 0;
  const char *h = s + 7;
  size_t n = 0;
  for (; h[n] != '\0'; n++)
    if (!((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')))
      return 0;
  return n == DIGEST_HEX_LEN;
}

const char *digest_hex(const char *s) {
  const char *colon = strchr(s, ':');
  return colon != NULL ? colon + 1 : s;
}

char *network_default_id(const char *name) {
  cleanup_free char *seed = xasprintf("cairn network %s", name);
  char d[DIGEST_STR_LEN + 1];
  sha256_buf(seed, strlen(seed), d);
  return xstrdup(digest_hex(d));
}
