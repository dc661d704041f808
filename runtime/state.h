/* state.h — a container's state directory, --root/<id>/:
 *
 *   state.json   runc's state fields + what later commands need (the init
 *                process's start time against pid reuse, the cgroup path),
 *                written atomically
 *   config.json  the config as given to create (exec uses it)
 *   exec.fifo    exists from create until start (the container is
 *                "created" while it does)
 *
 * Commands that change a container hold an exclusive flock on the
 * directory itself; readers need none (state.json is replaced by rename). */
#ifndef CAIRN_RT_STATE_H
#define CAIRN_RT_STATE_H

#include <jansson.h>
#include <sys/types.h>

#include "err.h"

enum rt_status { ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };

struct rt_state {
  char *id;
  pid_t pid;
  unsigned long long start_time; /* of pid, from /proc/PID/stat */
  char *bundle;
  char *rootfs;
  char *created;       /* RFC 3339 */
  json_t *annotations; /* or NULL */
  char *cgroup_path;
  unsigned hooks; /* bit k: the config has hooks of kind k */
};

const char *status_name(enum rt_status s);

/* root/id; caller frees. */
char *state_path(const char *root, const char *id);
/* Make root/id (the id must be new: "container with given ID already
 * exists") and lock it.  Returns the directory fd. */
int state_create(const char *root, const char *id, struct err **e);
/* Open and lock root/id (exclusive or shared); "container \"ID\" does not
 * exist" when it is not there (or is being deleted). */
int state_open(const char *root, const char *id, int exclusive, struct err **e);
int state_write(int dirfd, const struct rt_state *s, struct err **e);
int state_read(int dirfd, const char *id, struct rt_state *s, struct err **e);
void state_free(struct rt_state *s);
/* created/running/paused/stopped, from the process and the fifo. */
enum rt_status state_status(int dirfd, const struct rt_state *s);
/* runc's state JSON (pid 0 when stopped). */
json_t *state_json(const struct rt_state *s, enum rt_status st);
/* Remove the files and the directory. */
int state_remove(const char *root, const char *id, int dirfd, struct err **e);
/* Start time of pid (field 22 of /proc/PID/stat), 0 when it is gone or a
 * zombie. */
unsigned long long proc_start_time(pid_t pid);

#endif
