/* cmd_events.c — `events [--stats] [--interval N] ID`: the container's
 * cgroup statistics as runc prints them, {"type":"stats","id":…,"data":…},
 * once with --stats; else every interval until the container stops, with
 * {"type":"oom","id":…} as soon as the memory controller meets an OOM in
 * the container's cgroup (runc's two event types). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "json.h"
#include "lifecycle.h"
#include "mem.h"

static void print_event(json_t *ev) {
  cleanup_free char *text = json_dump_compact(ev);
  printf("%s\n", text);
  fflush(stdout);
  json_decref(ev);
}

static int print_stats(struct cgroup *cg, const char *id, struct err **e) {
  json_t *data = cgroup_stats(cg, e);
  if (data == NULL)
    return -1;
  print_event(json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id, "data", data));
  return 0;
}

static void print_oom(const char *id) {
  print_event(json_pack("{s:s,s:s}", "type", "oom", "id", id));
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The container's state: its cgroup and a pidfd of its process, or 0 when
 * it is stopped or gone. */
static int open_container(struct rt_opts *g, const char *id, struct cgroup **cg, int *pidfd,
                          struct err **e) {
  cleanup_close int dfd = state_open(g->root, id, 0, e);
  if (dfd < 0)
    return -1;
  struct rt_state st;
  if (state_read(dfd, id, &st, e) < 0)
    return -1;
  int r = 1;
  if (state_status(dfd, &st) == ST_STOPPED) {
    r = 0;
  } else if ((*cg = st.cgroup_path ? rt_cgroup(g, st.cgroup_path, id, e) : NULL) == NULL) {
    r = st.cgroup_path ? -1 : err_set(e, 0, "container \"%s\" has no cgroup", id);
  } else if ((*pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0)) < 0) {
    /* gone between the two looks */
    cgroup_free(*cg);
    *cg = NULL;
    r = errno == ESRCH ? 0 : err_set(e, errno, "pidfd_open %d", (int)st.pid);
  }
  state_free(&st);
  return r;
}

int cmd_events(struct rt_opts *g, int argc, char **argv, struct err **e) {
  static const struct option lo[] = {{"stats", no_argument, NULL, 's'},
                                     {"interval", required_argument, NULL, 'i'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  int once = 0, c;
  double interval = 5;
  while ((c = rt_getopt(argc, argv, "+:h", lo, "events", e)) != -1) {
    if (c == '?')
      return -1;
    if (c == 's') {
      once = 1;
      continue;
    }
    if (c == 'i') {
      char *end;
      interval = strtod(optarg, &end);
      if (*end == 's')
        end++;
      if (*end != '\0' || interval <= 0)
        return err_usage(e, "events: --interval: expected seconds, got '%s'", optarg);
      continue;
    }
    rt_help("events [--stats] [--interval SECONDS] ID",
            "Print the container's resource statistics as JSON, once with --stats, else\n"
            "every interval (default 5s) until it stops, and an {\"type\":\"oom\"} event\n"
            "whenever its memory cgroup runs out of memory (an OOM).\n");
    return 0;
  }
  const char *id = rt_arg_id(argc, argv, "events", e);
  if (id == NULL)
    return -1;
  struct cgroup *cg = NULL;
  cleanup_close int pidfd = -1;
  int r = open_container(g, id, &cg, &pidfd, e);
  if (r <= 0)
    return r < 0 ? -1 : once ? err_set(e, 0, "container \"%s\" is not running", id) : 0;
  if (once) {
    r = print_stats(cg, id, e);
    cgroup_free(cg);
    return r;
  }
  /* watch before the first stats line: whoever reads it may rely on every
   * OOM after it being reported */
  int64_t seen = cgroup_oom_count(cg);
  struct err *we = NULL;
  cleanup_close int watch = cgroup_oom_watch(cg, &we);
  if (watch < 0) {
    log_warn("events: no OOM events for \"%s\": %s", id, we->msg);
    err_free(&we);
  }
  double next = now_s();
  for (;;) {
    if (now_s() >= next) {
      if (print_stats(cg, id, e) < 0) {
        /* the cgroup went away under us: the container was deleted */
        cgroup_free(cg);
        err_free(e);
        return 0;
      }
      next += interval;
    }
    struct pollfd p[2] = {{pidfd, POLLIN, 0}, {watch, POLLIN, 0}};
    double wait_ms = (next - now_s()) * 1000;
    int n = poll(p, watch >= 0 ? 2 : 1, wait_ms < 0 ? 0 : (int)wait_ms + 1);
    if (n < 0 && errno != EINTR) {
      cgroup_free(cg);
      return err_set(e, errno, "poll");
    }
    if (n > 0 && watch >= 0 && (p[1].revents & POLLIN) && cgroup_oom_woken(cg, watch, &seen))
      print_oom(id);
    if (n > 0 && (p[0].revents & POLLIN)) {
      /* it stopped: an OOM kill that stopped it was counted by now, even if
       * its wake-up has not reached us yet */
      if (cgroup_oom_count(cg) > seen)
        print_oom(id);
      cgroup_free(cg);
      return 0;
    }
  }
}
