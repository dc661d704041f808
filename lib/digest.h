/* digest.h — SHA-256 through OpenSSL (uses SHA-NI / AVX2 when present).
 * Digests are written "sha256:<64 lowercase hex>" as OCI does. */
#ifndef CAIRN_DIGEST_H
#define CAIRN_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct sha256_ctx; /* opaque, streaming */

struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *buf, size_t len);
/* Finish into out ("sha256:…", DIGEST_STR_LEN + 1 bytes) and free c. */
void sha256_final(struct sha256_ctx *c, char out[DIGEST_STR_LEN + 1]);
void sha256_free(struct sha256_ctx *c);

void sha256_buf(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1]);
/* Digest of a whole fd (read from its current offset) or file. */
int sha256_fd(int fd, char out[DIGEST_STR_LEN + 1], struct err **e);
int sha256_file(const char *path, char out[DIGEST_STR_LEN + 1], struct err **e);

/* True when s is "sha256:" followed by exactly 64 lowercase hex digits. */
int digest_valid(const char *s);
/* The hex part of a valid digest (pointer into s). */
const char *digest_hex(const char *s);

/* The id of a network whose own id was never recorded: the hex SHA-256 of
 * "cairn network NAME".  cairn and cairn-net must agree on it (events,
 * inspect), so both take it from here. */
char *network_default_id(const char *name);

#endif
