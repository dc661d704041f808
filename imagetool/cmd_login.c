/* cairn-image login | logout — credentials in docker's config.json (or its
 * credential helper), checked against the registry before they are kept. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "cmd.h"
#include "fs.h"
#include "mem.h"
#include "ref.h"
#include "registry.h"

/* "docker.io" for none or Docker Hub's spellings; else the host as given. */
static char *server_domain(const char *arg) {
  if (arg == NULL)
    return xstrdup("docker.io");
  const char *h = arg;
  if (strncmp(h, "https://", 8) == 0)
    h += 8;
  else if (strncmp(h, "http://", 7) == 0)
    h += 7;
  char *d = xstrndup(h, strcspn(h, "/"));
  if (strcmp(d, "index.docker.io") == 0 || strcmp(d, "registry-1.docker.io") == 0) {
    free(d);
    d = xstrdup("docker.io");
  }
  return d;
}

static char *read_password(int from_stdin, struct err **e) {
  if (from_stdin) {
    char *p = read_fd(0, "stdin", 1 << 16, NULL, e);
    if (p == NULL)
      return NULL;
    p[strcspn(p, "\r\n")] = '\0';
    return p;
  }
  if (!isatty(0)) {
    err_usage(e, "login: no password: use --password-stdin or -p");
    return NULL;
  }
  /* A prompt with echo off, as docker does. */
  fputs("Password: ", stderr);
  fflush(stderr);
  struct termios old, quiet;
  int have = tcgetattr(0, &old) == 0;
  if (have) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(0, TCSAFLUSH, &quiet);
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (have)
    tcsetattr(0, TCSAFLUSH, &old);
  fputc('\n', stderr);
  if (n < 0) {
    free(line);
    err_usage(e, "login: no password given");
    return NULL;
  }
  line[strcspn(line, "\r\n")] = '\0';
  return line;
}

/* GET /v2/ with these credentials: 200 means they are good. */
static int check_login(const char *domain, const char *user, const char *pass, struct err **e) {
  struct registry r;
  int rc = registry_open(&r, domain, "", "pull", e);
  if (rc == 0) {
    creds_free(&r.creds);
    r.creds.user = xstrdup(user);
    r.creds.secret = xstrdup(pass);
    struct http_req q = {.method = "GET", .url = "/v2/", .body_fd = -1};
    struct http_resp p;
    rc = registry_do(&r, &q, &p, e);
    if (rc == 0 && p.status != 200)
      rc = registry_error(&p, e, "login to %s", domain);
    http_resp_free(&p);
  }
  registry_close(&r);
  return rc;
}

int cmd_login(struct ctx *c, int argc, char **argv, struct err **e) {
  (void)c;
  static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
                                       {"password", required_argument, NULL, 'p'},
                                       {"password-stdin", no_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  const char *user = NULL, *pass_arg = NULL;
  int from_stdin = 0, o;
  while ((o = getopt_long(argc, argv, "u:p:h", opts, NULL)) != -1) {
    switch (o) {
      case 'u': user = optarg; break;
      case 'p': pass_arg = optarg; break;
      case 's': from_stdin = 1; break;
      case 'h':
        fputs("Usage: cairn-image login [-u USER] [-p PASS | --password-stdin] [SERVER]\n\n"
              "Check the credentials against SERVER (default Docker Hub) and store them in\n"
              "$DOCKER_CONFIG/config.json (~/.docker/config.json, mode 0600) or its\n"
              "credential helper.\n",
              stdout);
        return 0;
      default: return err_usage(e, "login: see 'cairn-image login --help'");
    }
  }
  if (argc - optind > 1)
    return err_usage(e, "login: at most one SERVER");
  if (pass_arg != NULL && from_stdin)
    return err_usage(e, "login: --password and --password-stdin are mutually exclusive");
  if (from_stdin && user == NULL)
    return err_usage(e, "login: --password-stdin needs --username");
  cleanup_free char *domain = server_domain(optind < argc ? argv[optind] : NULL);
  cleanup_free char *uline = NULL;
  if (user == NULL) {
    if (!isatty(0))
      return err_usage(e, "login: no username: use -u");
    fputs("Username: ", stderr);
    size_t cap = 0;
    if (getline(&uline, &cap, stdin) < 0)
      return err_usage(e, "login: no username given");
    uline[strcspn(uline, "\r\n")] = '\0';
    user = uline;
  }
  if (user[0] == '\0')
    return err_usage(e, "login: empty username");
  if (pass_arg != NULL)
    fputs("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n", stderr);
  cleanup_free char *pass = pass_arg ? xstrdup(pass_arg) : read_password(from_stdin, e);
  if (pass == NULL)
    return -1;
  if (pass[0] == '\0')
    return err_usage(e, "login: empty password");
  int r = check_login(domain, user, pass, e);
  if (r == 0)
    r = creds_store(domain, user, pass, e);
  explicit_bzero(pass, strlen(pass));
  if (r < 0)
    return -1;
  printf("Login Succeeded\n");
  return 0;
}

int cmd_logout(struct ctx *c, int argc, char **argv, struct err **e) {
  (void)c;
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs("Usage: cairn-image logout [SERVER]\n\nRemove the stored credentials for SERVER "
          "(default Docker Hub).\n",
          stdout);
    return 0;
  }
  if (argc > 2)
    return err_usage(e, "logout: at most one SERVER");
  cleanup_free char *domain = server_domain(argc == 2 ? argv[1] : NULL);
  cleanup_free char *key = registry_auth_key(domain);
  int found;
  if (creds_erase(domain, &found, e) < 0)
    return -1;
  if (found)
    printf("Removing login credentials for %s\n", key);
  else
    printf("Not logged in to %s\n", key);
  return 0;
}
