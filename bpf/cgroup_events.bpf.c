// SPDX-License-Identifier: GPL-2.0
/* Tells the collector at once when a cgroup v2 directory is created or removed, so a tick
 * reads only known containers instead of walking the tree. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "cgroup_events.h"

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Events the ring buffer had no room for: userspace falls back to a full walk when it grows. */
__u64 lost_events = 0;

static __always_inline int emit(struct cgroup *cgrp, const char *path, unsigned int kind)
{
    struct cgroup_event *e;

    /* The default (v2) hierarchy has id 0, as in /proc/<pid>/cgroup's "0::" line; v1
     * hierarchies on hybrid hosts fire the same tracepoints and are of no interest. */
    if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0) return 0;
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&lost_events, 1);
        return 0;
    }
    e->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
    e->kind = kind;
    e->level = BPF_CORE_READ(cgrp, level);
    if (bpf_probe_read_kernel_str(e->path, sizeof(e->path), path) < 0) e->path[0] = '\0';
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
    return emit(cgrp, path, CGROUP_EVENT_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(on_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
    return emit(cgrp, path, CGROUP_EVENT_RMDIR);
}
