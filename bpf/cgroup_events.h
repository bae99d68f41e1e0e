/* Shared between cgroup_events.bpf.c (kernel side) and userspace/cgroup_events.c: the record
 * the BPF program puts in the ring buffer for each cgroup v2 mkdir/rmdir. */
#ifndef KMETRICS_CGROUP_EVENTS_H
#define KMETRICS_CGROUP_EVENTS_H

#define CGROUP_EVENT_PATH_MAX 512 /* kubepods paths are < 300 bytes; longer ones are cut */

enum cgroup_event_kind { CGROUP_EVENT_MKDIR = 1, CGROUP_EVENT_RMDIR = 2 };

struct cgroup_event {
    unsigned long long cgroup_id;     /* kernfs id == the directory's inode number */
    unsigned int kind;                /* enum cgroup_event_kind */
    int level;                        /* depth below the hierarchy root */
    char path[CGROUP_EVENT_PATH_MAX]; /* relative to the hierarchy root, leading '/' */
};

#endif
