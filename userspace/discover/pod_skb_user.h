/* Userspace side of the hostNetwork traffic BPF program (bpf/pod_skb.bpf.c): loads it, attaches
 * its cgroup_skb ingress and egress programs to a cgroup directory (bpf_links: alongside any
 * other programs there, and gone with the collector), adds and removes the cgroups it counts,
 * and reads a cgroup's cumulative counters. Beside the other BPF loaders, as their model has
 * it. When the kernel refuses (no CAP_BPF or CAP_NET_ADMIN, no cgroup_skb), open says why in
 * one line and the collector runs without it. */
#ifndef KMETRICS_POD_SKB_USER_H
#define KMETRICS_POD_SKB_USER_H

#include <stddef.h>
#include <stdint.h>

#include "pod_skb.h"

struct pod_skb;

/* Loads the programs and attaches them to cgroup_dir (every socket below it). NULL with a
 * reason in err when they cannot be. */
struct pod_skb *pod_skb_open(const char *cgroup_dir, char *err, size_t errlen);
/* Starts counting cgroup_id's traffic from zero; one already counted keeps its counters.
 * 0, or -errno (-E2BIG: POD_SKB_MAX_CGROUPS are counted). */
int pod_skb_watch(struct pod_skb *ps, uint64_t cgroup_id);
/* Stops counting cgroup_id (nothing when it was not). */
void pod_skb_unwatch(struct pod_skb *ps, uint64_t cgroup_id);
/* cgroup_id's counters: 0, -ENOENT when it is not counted, or -errno. */
int pod_skb_read(const struct pod_skb *ps, uint64_t cgroup_id, struct pod_skb_counts *out);
void pod_skb_close(struct pod_skb *ps);

#endif
