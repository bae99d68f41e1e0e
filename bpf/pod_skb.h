/* Shared between pod_skb.bpf.c (kernel side) and the collector: the traffic counted at the
 * sockets of each registered cgroup (a hostNetwork pod's containers), and the map's size. */
#ifndef KMETRICS_POD_SKB_H
#define KMETRICS_POD_SKB_H

#define POD_SKB_MAX_CGROUPS 4096 /* registered containers: far above the kubelet's 110 pods */

/* One cgroup's traffic since userspace registered it; every field only grows. Bytes are the
 * packets' lengths from the IP header on, as the cgroup_skb hooks see them. */
struct pod_skb_counts {
    unsigned long long rx_bytes, rx_packets;
    unsigned long long tx_bytes, tx_packets;
};

#endif
