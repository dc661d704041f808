/* seccomp_cache.c — compiled seccomp programs kept in the state root.
 *
 * libseccomp turns docker's default profile into BPF in about 4 ms of CPU
 * (adding ~300 rules, then generating the program): more than the rest of
 * a container's start.  The profile changes rarely, so the program is
 * kept in ROOT/.seccomp/ (ids cannot start with a dot) and reused when the
 * same profile comes again.
 *
 * A file holds a header, the lookup key (format version, libseccomp
 * version, kernel API level, native architecture: everything besides the
 * profile that changes the program), the profile as canonical JSON, and
 * the instructions.  The name is a 64-bit FNV-1a hash of key + profile,
 * but a hit needs the stored key and profile to be byte-for-byte ours, so
 * two profiles with one name only cost a rebuild, never the wrong filter.
 * A checksum catches torn or damaged files; files not owned by us or
 * writable by others are ignored.  Writes are a temp file + rename. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "seccomp_filter.h"

#define MAGIC "CRSECCP1"
#define MAX_ENTRIES 32 /* beyond this the directory is emptied first */

struct header {
  char magic[8];
  uint32_t flags;
  uint32_t n;
  uint64_t keylen;
  uint64_t jsonlen;
  uint64_t sum;
};

static uint64_t fnv(uint64_t h, const void *buf, size_t len) {
  const unsigned char *p = buf;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

static char *entry_path(const char *dir, const char *key, const char *json) {
  uint64_t h = fnv(fnv(0xcbf29ce484222325ULL, key, strlen(key) + 1), json, strlen(json));
  char name[32];
  snprintf(name, sizeof(name), "%016llx.bpf", (unsigned long long)h);
  return path_join(dir, name);
}

struct seccomp_prog *seccomp_cache_get(const char *dir, const char *key, const char *json) {
  cleanup_free char *path = entry_path(dir, key, json);
  cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 022) != 0)
    return NULL;
  size_t keylen = strlen(key), jsonlen = strlen(json);
  struct header h;
  if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, MAGIC, 8) != 0 ||
      h.keylen != keylen || h.jsonlen != jsonlen || h.n == 0 || h.n > SECCOMP_PROG_MAX ||
      (uint64_t)st.st_size != sizeof(h) + keylen + jsonlen + (uint64_t)h.n * 8)
    return NULL;
  size_t body = (size_t)st.st_size - sizeof(h);
  cleanup_free char *buf = xmalloc(body);
  if (pread(fd, buf, body, sizeof(h)) != (ssize_t)body || memcmp(buf, key, keylen) != 0 ||
      memcmp(buf + keylen, json, jsonlen) != 0 || fnv(0xcbf29ce484222325ULL, buf, body) != h.sum)
    return NULL;
  struct seccomp_prog *p = xcalloc(1, sizeof(*p));
  p->flags = h.flags;
  p->n = h.n;
  p->insns = xmalloc((size_t)h.n * 8);
  memcpy(p->insns, buf + keylen + jsonlen, (size_t)h.n * 8);
  return p;
}

/* Keep the directory small: past MAX_ENTRIES, start over. */
static void trim(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    n += de->d_name[0] != '.';
  if (n >= MAX_ENTRIES) {
    rewinddir(d);
    while ((de = readdir(d)) != NULL)
      if (de->d_name[0] != '.')
        unlinkat(dirfd(d), de->d_name, 0);
  }
  closedir(d);
}

void seccomp_cache_put(const char *dir, const char *key, const char *json,
                       const struct seccomp_prog *p) {
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return;
  trim(dir);
  size_t keylen = strlen(key), jsonlen = strlen(json), body = keylen + jsonlen + (size_t)p->n * 8;
  cleanup_free char *buf = xmalloc(sizeof(struct header) + body);
  struct header *h = (struct header *)buf;
  char *b = buf + sizeof(*h);
  memcpy(b, key, keylen);
  memcpy(b + keylen, json, jsonlen);
  memcpy(b + keylen + jsonlen, p->insns, (size_t)p->n * 8);
  *h = (struct header){.flags = p->flags,
                       .n = p->n,
                       .keylen = keylen,
                       .jsonlen = jsonlen,
                       .sum = fnv(0xcbf29ce484222325ULL, b, body)};
  memcpy(h->magic, MAGIC, 8);
  cleanup_free char *path = entry_path(dir, key, json);
  cleanup_free char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  int ok = write_all(fd, buf, sizeof(*h) + body) == 0;
  close(fd);
  if (!ok || rename(tmp, path) < 0)
    unlink(tmp);
}
