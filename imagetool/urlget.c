/* urlget.c — the options every HTTP transfer of cairn-image sets, and a
 * plain HTTP(S) GET into an unnamed temp file for `import URL` (docker's
 * `import https://…/rootfs.tgz`): no registry, no auth. */
#include "urlget.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct sink {
  int fd;
  int werr;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg) {
  struct sink *s = arg;
  size_t len = sz * n, off = 0;
  while (off < len) {
    ssize_t w = write(s->fd, p + off, len - off);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      s->werr = errno;
      return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    off += (size_t)w;
  }
  return len;
}

void url_easy_defaults(CURL *c) {
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  /* A stalled connection (no byte for a minute) is an error, not a hang. */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
}

bool url_is_http(const char *s) {
  return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

int url_get_tmpfile(const char *url, const char *tmpdir, struct err **e) {
  int fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return err_set(e, errno, "a temp file in '%s'", tmpdir);
  CURL *c = curl_easy_init();
  if (c == NULL) {
    close(fd);
    return err_set(e, ENOMEM, "curl");
  }
  struct sink s = {.fd = fd};
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, url);
  url_easy_defaults(c);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  int r = 0;
  if (s.werr != 0)
    r = err_set(e, s.werr, "download '%s': write", url);
  else if (rc != CURLE_OK)
    r = err_set(e, 0, "download '%s': %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  else if (status >= 400)
    r = err_set(e, 0, "download '%s': the server answered %ld", url, status);
  else if (lseek(fd, 0, SEEK_SET) < 0)
    r = err_set(e, errno, "download '%s': rewind", url);
  if (r < 0) {
    close(fd);
    return -1;
  }
  return fd;
}
