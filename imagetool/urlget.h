/* urlget.h — fetch a URL into an unnamed temp file (import URL). */
#ifndef CAIRN_URLGET_H
#define CAIRN_URLGET_H

#include <curl/curl.h>
#include <stdbool.h>

#include "err.h"

/* Redirects (http and https only), timeouts for connecting and for a
 * stalled transfer, no signals. */
void url_easy_defaults(CURL *c);
/* Whether s is an http:// or https:// URL. */
bool url_is_http(const char *s);
/* GET url into an O_TMPFILE in tmpdir; returns the fd, rewound, or -1. */
int url_get_tmpfile(const char *url, const char *tmpdir, struct err **e);

#endif
