/* Shared between runq_latency.bpf.c (kernel side) and the collector: the per-cgroup histogram
 * of run-queue waits (wakeup, or preemption, to running), and the maps' sizes. */
#ifndef KMETRICS_RUNQ_LATENCY_H
#define KMETRICS_RUNQ_LATENCY_H

/* log2 buckets of microseconds: slot 0 holds waits under 1 us, slot k (1..RUNQ_SLOTS-2) waits
 * of [2^(k-1), 2^k) us, the last slot every wait of 2^(RUNQ_SLOTS-2) us (4.2 s) or more. */
#define RUNQ_SLOTS 24

#define RUNQ_MAX_CGROUPS 4096 /* watched containers: far above the kubelet's 110 pods */
#define RUNQ_MAX_PIDS 10240   /* tasks runnable and not yet running, at once */

/* One cgroup's waits since userspace started watching it; every field only grows. */
struct runq_hist {
    unsigned long long slots[RUNQ_SLOTS];
    unsigned long long total_ns; /* the waits' sum */
    unsigned long long count;    /* the waits: the slots' sum */
};

#endif
