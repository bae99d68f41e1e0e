// SPDX-License-Identifier: GPL-2.0
/* Tells the collector at once when a cgroup v2 directory is created or removed, so a tick
 * reads only known containers instead of walking the tree.
 *
 * Raw tracepoints, with the kernel struct offsets set before load by the collector from the
 * kernel's BTF (userspace/discover/kernel_btf.c), rather than tp_btf and CO-RE: libbpf would
 * load all of the kernel's BTF into the collector to relocate these five fields, ~11 MiB
 * at start. Nothing here touches a vmlinux.h struct, so the object carries no CO-RE
 * relocation. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "cgroup_events.h"

char LICENSE[] SEC("license") = "GPL";

/* ~120 records between two drains, and the collector drains as they come; a burst beyond
 * that costs a walk, not a container. Userspace maps the ring twice (it wraps around), so its
 * size counts double in the collector's RSS. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* Events the ring buffer had no room for: userspace falls back to a full walk when it grows. */
__u64 lost_events = 0;

/* Byte offsets of struct cgroup's kn, root and level, struct cgroup_root's hierarchy_id and
 * struct kernfs_node's id (a u64 since 5.5), set by userspace. */
const volatile __u32 cgroup_kn_off = 0;
const volatile __u32 cgroup_root_off = 0;
const volatile __u32 cgroup_level_off = 0;
const volatile __u32 root_hierarchy_id_off = 0;
const volatile __u32 kn_id_off = 0;

static __always_inline int emit(const char *cgrp, const char *path, unsigned int kind)
{
    struct cgroup_event *e;
    const char *root = NULL, *kn = NULL;
    int hierarchy_id = -1;

    /* The default (v2) hierarchy has id 0, as in /proc/<pid>/cgroup's "0::" line; v1
     * hierarchies on hybrid hosts fire the same tracepoints and are of no interest. */
    bpf_probe_read_kernel(&root, sizeof(root), cgrp + cgroup_root_off);
    if (!root) return 0;
    bpf_probe_read_kernel(&hierarchy_id, sizeof(hierarchy_id), root + root_hierarchy_id_off);
    if (hierarchy_id != 0) return 0;
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&lost_events, 1);
        return 0;
    }
    /* A failed read leaves zeros, as BPF_CORE_READ would. */
    bpf_probe_read_kernel(&kn, sizeof(kn), cgrp + cgroup_kn_off);
    e->cgroup_id = 0;
    if (kn) bpf_probe_read_kernel(&e->cgroup_id, sizeof(e->cgroup_id), kn + kn_id_off);
    bpf_probe_read_kernel(&e->level, sizeof(e->level), cgrp + cgroup_level_off);
    e->kind = kind;
    if (bpf_probe_read_kernel_str(e->path, sizeof(e->path), path) < 0) e->path[0] = '\0';
    bpf_ringbuf_submit(e, 0);
    return 0;
}

/* Both tracepoints pass (struct cgroup *cgrp, const char *path); userspace has checked so in
 * the kernel's BTF. */
SEC("raw_tp/cgroup_mkdir")
int on_cgroup_mkdir(__u64 *ctx)
{
    return emit((const char *)ctx[0], (const char *)ctx[1], CGROUP_EVENT_MKDIR);
}

SEC("raw_tp/cgroup_rmdir")
int on_cgroup_rmdir(__u64 *ctx)
{
    return emit((const char *)ctx[0], (const char *)ctx[1], CGROUP_EVENT_RMDIR);
}
