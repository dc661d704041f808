/* user.c — "-u user[:group]" into process.user, as docker resolves it
 * (runc's libcontainer/user.GetExecUser rules):
 *
 *   - user and group are names or numbers; names are looked up in the
 *     rootfs's /etc/passwd and /etc/group, so they need --rootfs;
 *   - an empty user is uid 0; a number not in passwd is used as is, gid 0;
 *   - with no explicit group the gid is the passwd entry's, and every group
 *     of /etc/group that lists the user name is a supplementary group;
 *   - additionalGids = [gid] + supplementary + --group-add, docker's order.
 *
 * The files are opened inside the rootfs (open_in_root), so a symlink
 * in an image (etc/passwd -> /etc/shadow) cannot reach the host's files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "mem.h"
#include "spec.h"

struct idfile {
  char *buf; /* whole file, NULL when absent */
};

/* Read rootfs/<rel> confined to rootfs; absent file -> buf NULL, 0. */
static int read_in_root(const char *rootfs, const char *rel, struct idfile *f, struct err **e) {
  f->buf = NULL;
  struct err *oe = NULL;
  cleanup_close int fd = open_in_root(rootfs, rel, O_RDONLY | O_CLOEXEC, &oe);
  if (fd < 0) {
    int missing = oe->errnum == ENOENT || oe->errnum == ENOTDIR;
    if (missing) {
      err_free(&oe);
      return 0;
    }
    *e = oe;
    return -1;
  }
  size_t len;
  f->buf = read_fd(fd, rel, 4 << 20, &len, e);
  return f->buf ? 0 : -1;
}

/* Parse a decimal id (0 .. 2^31-1); -1 when s is not one. */
static long parse_id(const char *s) {
  if (*s == '\0')
    return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || errno != 0 || v < 0 || v > INT_MAX || s[0] == '-' || s[0] == '+')
    return -1;
  return v;
}

/* Split a colon line in place into at most n fields; returns the count. */
static size_t fields(char *line, char **f, size_t n) {
  size_t k = 0;
  f[k++] = line;
  for (char *p = line; *p && k < n; p++) {
    if (*p == ':') {
      *p = '\0';
      f[k++] = p + 1;
    }
  }
  return k;
}

/* Walk the lines of a passwd/group file: cb gets the fields of each.  The
 * buffer is copied so it can be walked again. */
typedef int (*line_cb)(char **f, size_t n, void *arg);
static int each_line(const struct idfile *file, size_t nf, line_cb cb, void *arg) {
  if (file->buf == NULL)
    return 0;
  cleanup_free char *copy = xstrdup(file->buf);
  for (char *line = copy, *next; line != NULL; line = next) {
    next = strchr(line, '\n');
    if (next != NULL)
      *next++ = '\0';
    if (line[0] == '\0' || line[0] == '#')
      continue;
    char *f[8];
    size_t n = fields(line, f, nf);
    if (cb(f, n, arg))
      return 1;
  }
  return 0;
}

struct pw_match {
  const char *want; /* name or number; "" for uid 0 */
  long uid, gid;
  char *name;
};

static int pw_cb(char **f, size_t n, void *arg) {
  struct pw_match *m = arg;
  if (n < 4)
    return 0;
  long uid = parse_id(f[2]), gid = parse_id(f[3]);
  if (uid < 0 || gid < 0)
    return 0;
  int hit = m->want[0] == '\0' ? uid == 0 : strcmp(f[0], m->want) == 0 || parse_id(m->want) == uid;
  if (!hit)
    return 0;
  m->uid = uid;
  m->gid = gid;
  m->name = xstrdup(f[0]);
  return 1;
}

struct gr_match {
  const char *want; /* group name or number, or NULL for membership */
  const char *member;
  long gid;
  json_t *sgids;
};

static int gr_cb(char **f, size_t n, void *arg) {
  struct gr_match *m = arg;
  if (n < 3)
    return 0;
  long gid = parse_id(f[2]);
  if (gid < 0)
    return 0;
  if (m->want != NULL) {
    if (strcmp(f[0], m->want) != 0 && parse_id(m->want) != gid)
      return 0;
    m->gid = gid;
    return 1;
  }
  if (n < 4)
    return 0;
  for (char *save = NULL, *u = strtok_r(f[3], ",", &save); u; u = strtok_r(NULL, ",", &save)) {
    if (strcmp(u, m->member) == 0) {
      json_array_append_new(m->sgids, json_integer(gid));
      break;
    }
  }
  return 0;
}

/* A group name or number into a gid, through /etc/group. */
static int lookup_group(const struct idfile *group, const char *g, int have_root, long *gid,
                        struct err **e) {
  struct gr_match m = {.want = g, .gid = -1};
  if (each_line(group, 4, gr_cb, &m)) {
    *gid = m.gid;
    return 0;
  }
  long n = parse_id(g);
  if (n >= 0) {
    *gid = n;
    return 0;
  }
  if (!have_root)
    return err_usage(e, "group name '%s' needs --rootfs to be resolved", g);
  return err_usage(e, "unable to find group %s: no matching entries in group file", g);
}

int resolve_user(const char *rootfs, const char *spec, const char *what, char **group_add,
                 json_t *out, struct err **e) {
  /* Plain returns only: cleanup locals must never be jumped over. */
  cleanup_free char *passwd_buf = NULL, *group_buf = NULL, *name = NULL;
  struct idfile passwd = {0}, group = {0};
  if (rootfs != NULL) {
    int r1 = read_in_root(rootfs, "etc/passwd", &passwd, e);
    passwd_buf = passwd.buf;
    if (r1 < 0)
      return err_wrap(e, "%s", what);
    int r2 = read_in_root(rootfs, "etc/group", &group, e);
    group_buf = group.buf;
    if (r2 < 0)
      return err_wrap(e, "%s", what);
  }

  cleanup_free char *user_arg = xstrdup(spec);
  char *group_arg = strchr(user_arg, ':');
  if (group_arg != NULL)
    *group_arg++ = '\0';

  struct pw_match pm = {.want = user_arg, .uid = 0, .gid = 0};
  long uid = 0, gid = 0;
  if (each_line(&passwd, 7, pw_cb, &pm)) {
    uid = pm.uid;
    gid = pm.gid;
    name = pm.name;
  } else if (user_arg[0] != '\0') {
    uid = parse_id(user_arg);
    if (uid < 0 && rootfs == NULL)
      return err_usage(e, "%s: user name '%s' needs --rootfs to be resolved", what, user_arg);
    if (uid < 0)
      return err_usage(e, "%s: unable to find user %s: no matching entries in passwd file", what,
                       user_arg);
  }

  if (group_arg != NULL) {
    if (group_arg[0] == '\0')
      return err_usage(e, "%s '%s': empty group", what, spec);
    if (lookup_group(&group, group_arg, rootfs != NULL, &gid, e) < 0)
      return err_wrap(e, "%s", what);
  }
  cleanup_json json_t *sgids = json_array();
  json_array_append_new(sgids, json_integer(gid));
  if (group_arg == NULL && name != NULL) {
    struct gr_match gm = {.member = name, .sgids = sgids};
    each_line(&group, 4, gr_cb, &gm);
  }
  for (size_t i = 0; group_add != NULL && group_add[i] != NULL; i++) {
    long g;
    if (lookup_group(&group, group_add[i], rootfs != NULL, &g, e) < 0)
      return err_wrap(e, "--group-add");
    json_array_append_new(sgids, json_integer(g));
  }
  json_object_set_new(out, "uid", json_integer(uid));
  json_object_set_new(out, "gid", json_integer(gid));
  json_object_set_new(out, "additionalGids", steal_ptr(&sgids));
  return 0;
}
