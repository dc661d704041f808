/* auth.h — registry credentials where docker keeps them:
 * $DOCKER_CONFIG/config.json (default ~/.docker/config.json), "auths"
 * entries with base64 "user:secret", or a credential helper
 * (credHelpers.<host> / credsStore → docker-credential-<name> get|store|erase).
 * The file is rewritten atomically with mode 0600, keeping what else is in it. */
#ifndef CAIRN_IMAGE_AUTH_H
#define CAIRN_IMAGE_AUTH_H

#include "err.h"
#include "registry.h"

char *docker_config_path(void);
/* Credentials for a registry domain; anonymous (both NULL) when none. */
int creds_lookup(const char *domain, struct creds *out, struct err **e);
int creds_store(const char *domain, const char *user, const char *secret, struct err **e);
/* *found is set when there was something to remove. */
int creds_erase(const char *domain, int *found, struct err **e);
void creds_free(struct creds *c);

/* Base64 (standard alphabet, padded). */
char *b64_encode(const void *buf, size_t len);
char *b64_decode(const char *s, size_t *len);

#endif
