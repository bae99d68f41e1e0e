/* Userspace side of the run-queue latency BPF program: loads and attaches it, adds and removes
 * the cgroups it measures, and reads a cgroup's cumulative histogram. It lives beside the other
 * BPF loader because the kernel struct offsets it needs come from discover/kernel_btf.c (and
 * sample/, below discover/, may not include it). When the kernel refuses (no BTF, no CAP_BPF,
 * a tracepoint missing), open says why in one line and the collector runs without it. */
#ifndef KMETRICS_RUNQ_LATENCY_USER_H
#define KMETRICS_RUNQ_LATENCY_USER_H

#include <stddef.h>
#include <stdint.h>

#include "runq_latency.h"

struct runq_latency;

/* Loads and attaches the programs. NULL with a reason in err when they cannot be. */
struct runq_latency *runq_latency_open(char *err, size_t errlen);
/* Starts measuring cgroup_id with an empty histogram; one that is already measured keeps
 * its own. 0, or -errno (-E2BIG: RUNQ_MAX_CGROUPS are measured). */
int runq_latency_watch(struct runq_latency *rq, uint64_t cgroup_id);
/* Stops measuring cgroup_id (nothing when it was not). */
void runq_latency_unwatch(struct runq_latency *rq, uint64_t cgroup_id);
/* cgroup_id's cumulative histogram: 0, -ENOENT when it is not measured, or -errno. */
int runq_latency_read(const struct runq_latency *rq, uint64_t cgroup_id, struct runq_hist *out);
/* Waits not measured because too many tasks were runnable at once (monotonic). */
uint64_t runq_latency_missed(const struct runq_latency *rq);
/* For the benchmark: the kernel's run-time statistics summed over the three programs (they
 * count only while BPF_ENABLE_STATS is held). 0 or -errno. */
int runq_latency_prog_stats(const struct runq_latency *rq, uint64_t *run_ns, uint64_t *runs);
void runq_latency_close(struct runq_latency *rq);

#endif
