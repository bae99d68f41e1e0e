/* Shared between cgroup_events.bpf.c (kernel side) and userspace/cgroup_events.c: the record
 * the BPF program puts in the ring buffer for each cgroup v2 mkdir/rmdir. */
#ifndef KMETRICS_CGROUP_EVENTS_H
#define KMETRICS_CGROUP_EVENTS_H

#define CGROUP_EVENT_PATH_MAX 512 /* kubepods paths are < 300 bytes; longer ones are cut */

enum cgroup_event_kind { CGROUP_EVENT_MKDIR = 1, CGROUP_EVENT_RMDIR = 2 };

/* flags */
#define CGROUP_EVENT_USAGE 1u /* usage_ns was read (rmdir only) */

/* The most CPUs whose per-CPU counters the program sums; more possible CPUs turn it off. */
#define CGROUP_EVENT_MAX_CPUS 1024

struct cgroup_event {
    unsigned long long cgroup_id; /* kernfs id == the directory's inode number */
    unsigned int kind;            /* enum cgroup_event_kind */
    int level;                    /* depth below the hierarchy root */
    unsigned long long mono_ns;   /* when it fired, CLOCK_MONOTONIC */
    /* At rmdir, the cgroup's cumulative CPU time as its cpu.stat usage_usec would show it
     * flushed (x 1000): the flushed total plus every CPU's not yet flushed part, which
     * unflushed_ns is. */
    unsigned long long usage_ns;
    unsigned long long unflushed_ns;
    unsigned int flags;
    unsigned int pad;
    char path[CGROUP_EVENT_PATH_MAX]; /* relative to the hierarchy root, leading '/' */
};

#endif
