// SPDX-License-Identifier: GPL-2.0
/* Per-cgroup traffic at the sockets of hostNetwork pods: a hostNetwork pod shares the node's
 * interfaces, so no interface counter is its own; what its containers' sockets send and
 * receive is. cgroup_skb programs, attached (as bpf_links, so alongside anyone else's
 * programs, never replacing them) to the cgroup the collector watches: they run for every
 * packet of every socket below it, at the IP layer (ip_finish_output for egress, the socket's
 * filter for ingress), and count skb->len, the packet from its IP header on, for the socket's
 * cgroup when userspace registered it (the containers of pods found to be hostNetwork).
 * Tasks of any other cgroup cost one hash lookup per packet. Every packet passes: both
 * programs always return 1. Nothing here touches a kernel struct. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "pod_skb.h"

char LICENSE[] SEC("license") = "GPL";

/* cgroup id (kernfs id, the directory's inode) -> its traffic. Userspace adds a container's
 * cgroup when it finds its pod in the node's network namespace and deletes it when the
 * container goes. One shared value per cgroup with atomic adds (a per-CPU map would cost its
 * kernel memory times the CPU count). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, POD_SKB_MAX_CGROUPS);
    __type(key, __u64);
    __type(value, struct pod_skb_counts);
} counts SEC(".maps");

/* Adds one packet of skb->len bytes to its socket's cgroup, when registered; lets it pass. */
static __always_inline int count(struct __sk_buff *skb, int egress)
{
    __u64 id = bpf_skb_cgroup_id(skb);
    struct pod_skb_counts *c = bpf_map_lookup_elem(&counts, &id);

    if (!c) return 1;
    __sync_fetch_and_add(egress ? &c->tx_bytes : &c->rx_bytes, skb->len);
    __sync_fetch_and_add(egress ? &c->tx_packets : &c->rx_packets, 1);
    return 1;
}

SEC("cgroup_skb/ingress")
int on_ingress(struct __sk_buff *skb)
{
    return count(skb, 0);
}

SEC("cgroup_skb/egress")
int on_egress(struct __sk_buff *skb)
{
    return count(skb, 1);
}
