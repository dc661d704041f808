/* cgroup.h — one container's control groups: create, limit, freeze, list,
 * signal, measure, remove.  The contract between cairn-runtime's core and
 * the cgroup module (runtime/cgroup*.c).
 *
 * Layouts, detected at run time (statfs of /sys/fs/cgroup and
 * /sys/fs/cgroup/unified, v1 mount points from /proc/self/mountinfo):
 *   CGROUP_V1      v1 controllers, each hierarchy wherever it is mounted
 *                  (co-mounted ones such as "cpu,cpuacct" are found too).
 *   CGROUP_V2      one cgroup2 hierarchy at /sys/fs/cgroup.
 *   CGROUP_HYBRID  v1 controllers + a cgroup2 mount at /sys/fs/cgroup/unified.
 *
 * Which hierarchy does what:
 *
 *   feature           v1 files                 v2 files                hybrid
 *   memory            memory.limit/soft/memsw  memory.max/low/swap.max  v1
 *   cpu shares        cpu.shares               cpu.weight (converted)   v1
 *   cpu quota/period  cpu.cfs_period/quota_us  cpu.max                  v1
 *   cpu realtime      cpu.rt_period/runtime_us (refused on v2)          v1
 *   cpus/mems         cpuset.cpus/mems         cpuset.cpus/mems         v1
 *   pids limit        pids.max                 pids.max                 v1
 *   blockIO           blkio(.bfq).weight[_device], blkio.throttle.*     v1
 *                                              io(.bfq).weight, io.max
 *   hugepages         hugetlb.SIZE.limit_in_bytes  hugetlb.SIZE.max     v1, else v2 (a)
 *   devices           devices.deny "a" + rules eBPF CGROUP_DEVICE prog  v1
 *   freezer           freezer.state            cgroup.freeze/.events    v1
 *   pids listing      the freezer's cgroup.procs (recursive) / v2's     v1
 *   kill --all        freeze, kill each, thaw  cgroup.kill for SIGKILL  v1
 *   stats             cpuacct, cpu, memory…    cpu.stat, memory.*…      v1 (+a)
 *   OOM kills         memory.oom_control       memory.events oom_kill   v1
 *   unified (raw)     refused                  written as given         refused
 *
 * (a) A controller no v1 hierarchy has but the cgroup2 tree offers (this
 * test machine's hugetlb) is driven through the unified directory; it is
 * enabled in the cgroup2 ancestors' subtree_control only when used.
 * On hybrid the process is also moved into /sys/fs/cgroup/unified/<path>
 * (as runc does), so tools that look at the v2 tree see it in its own
 * group.  On v2 every controller the root offers is enabled in the
 * ancestors (best effort, like runc), so stats work without limits.
 *
 * Devices: when resources has a "devices" array (even empty) the cgroup
 * starts from deny-all and the rules apply in order, the last matching
 * rule winning (the kernel's v1 semantics; the eBPF program checks the
 * rules from last to first; a type "a" rule covers every device whatever
 * its numbers).  The module adds no rules of its own: the caller appends
 * allow rules for the default devices it creates (/dev/null, zero, full,
 * random, urandom, tty, ptmx, the pts devices), as runc's specconv does.
 * No "devices" key leaves device access untouched (inherited: all
 * allowed).  An update on v1 rewrites the list from deny-all (a brief
 * window of denial); on v2 the new program is attached before the old one
 * is detached.
 *
 * Units and conversions follow runc: cpu.weight = 1 + ((shares - 2) * 9999)
 * / 262142; io.weight = 1 + ((weight - 10) * 9999) / 990 (BFQ takes the
 * weight as is); v2 memory.swap.max = swap - limit (OCI's swap is
 * memory+swap); -1 means unlimited ("max"); 0 means "not set".  A swap
 * limit needs swap accounting (memory.memsw.limit_in_bytes on v1,
 * memory.swap.max on v2); without it setup fails saying so.  v2 refuses
 * memory.swappiness and disableOOMKiller=true (no such v2 knobs).
 *
 * Failure: cgroup_setup checks every value before creating anything;
 * when the kernel rejects a value later, the directories it made are
 * removed and the pid is left where it was.
 *
 * Exercised only on a real v2 host with controllers (not on the hybrid test
 * machine): the v2 memory/cpu/cpuset/pids/io files, v2 memory/pids/io
 * stats and v2 OOM detection; their arithmetic is unit-tested
 * (tests/unit/test_cgroup_v2.c).  The controller-less v2 parts (mkdir,
 * cgroup.procs, cgroup.freeze, cgroup.kill, the eBPF device filter, cpu.stat,
 * hugetlb, rmdir) are tested for real on a private cgroup2 mount
 * (tests/runtime/cgroup_v2.bats).
 */
#ifndef CAIRN_CGROUP_H
#define CAIRN_CGROUP_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

enum cgroup_layout { CGROUP_V1, CGROUP_V2, CGROUP_HYBRID };
/* What this host has, detected at run time from /proc/self/mountinfo and
 * /sys/fs/cgroup (cached).  Hybrid = v1 controllers + a cgroup2 mount at
 * /sys/fs/cgroup/unified (used only for the v2-only parts: the process is
 * also placed there, like runc does). */
enum cgroup_layout cgroup_layout(void);
/* /proc/self/mountinfo as it was at the first call: the kernel takes
 * ~0.3 ms to format it here, and the layout detection, cgjoin.c and the
 * container's cgroup mounts all need it once per process. */
const char *cg_mountinfo(void);
/* "v1", "v2" or "hybrid". */
const char *cgroup_layout_name(enum cgroup_layout l);

struct cgroup; /* opaque: the paths of one container's cgroup in each hierarchy */

/* The container's cgroup from the config's linux.cgroupsPath: absolute path
 * ("/cairn/ID"), relative path (taken under the runtime's cgroup parent, i.e.
 * relative to the root of each hierarchy), or NULL → "/cairn/<id>".
 * Computes the paths only; creates nothing. "slice:prefix:name" systemd form:
 * error "systemd cgroup driver is not supported" unless you implement it. */
struct cgroup *cgroup_new(const char *cgroups_path, const char *id, struct err **e);
/* Check linux.resources (may be NULL) without touching the system: the same
 * parse cgroup_setup/cgroup_update do first, so bad input is reported
 * before anything is created. */
int cgroup_validate(json_t *resources, struct err **e);
/* Create the directories (mkdir -p in each hierarchy that has a controller we
 * use, plus the v2 one), apply linux.resources (may be NULL), and move pid in.
 * On failure undoes what it created. */
int cgroup_setup(struct cgroup *cg, json_t *resources, pid_t pid, struct err **e);
/* Move another pid in (exec). */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct err **e);
/* Apply new linux.resources values (runtime update). */
int cgroup_update(struct cgroup *cg, json_t *resources, struct err **e);
/* Freeze (1) or thaw (0): v1 freezer / v2 cgroup.freeze; waits until done. */
int cgroup_freeze(struct cgroup *cg, int frozen, struct err **e);
/* Is it frozen now? */
int cgroup_frozen(struct cgroup *cg);
/* Every pid in the cgroup (cgroup.procs); caller frees *pids. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct err **e);
/* Send sig to every process in it (kill --all). */
int cgroup_signal_all(struct cgroup *cg, int sig, struct err **e);
/* runc's `events --stats` data object: {"cpu":{...},"memory":{...},"pids":{...},...} */
json_t *cgroup_stats(struct cgroup *cg, struct err **e);
/* Did the memory controller record an OOM kill? (for the shim's oomKilled) */
int cgroup_oom_killed(struct cgroup *cg);
/* How many processes the memory controller has OOM-killed in this cgroup
 * (v1 memory.oom_control oom_kill, v2 memory.events oom_kill); -1 when
 * there is no memory controller to ask. */
int64_t cgroup_oom_count(struct cgroup *cg);
/* An fd (O_NONBLOCK, close-on-exec) that polls readable when the memory
 * controller meets an OOM in this cgroup: v1 an eventfd registered in
 * cgroup.event_control (also signalled when the cgroup is removed), v2 an
 * inotify watch on memory.events.  Only the v1 way is exercised on the
 * hybrid test machine. */
int cgroup_oom_watch(struct cgroup *cg, struct err **e);
/* After fd polled readable: consume the wake-up and say whether it was an
 * OOM (v1: any signal while the cgroup exists, like runc — the kernel
 * signals before it kills, so oom_kill may not have moved yet; v2: the
 * oom_kill count went above *seen).  *seen gets the current count. */
int cgroup_oom_woken(struct cgroup *cg, int fd, int64_t *seen);
/* Remove the directories (kills nothing; fails with EBUSY if procs remain,
 * after a short retry). Missing dirs are fine. */
int cgroup_destroy(struct cgroup *cg, struct err **e);
void cgroup_free(struct cgroup *cg);
/* The path the state remembers, to cgroup_new again in later commands. */
const char *cgroup_path(const struct cgroup *cg);
/* {"layout":"hybrid","path":"/cairn/x","dirs":{"memory":"/sys/fs/cgroup/
 * memory/cairn/x",…,"unified":…}}: where each hierarchy's directory is
 * (for debugging and tests; the keys are the controllers in use). */
json_t *cgroup_describe(const struct cgroup *cg);

#endif
