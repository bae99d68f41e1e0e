// SPDX-License-Identifier: GPL-2.0
/* Tells the collector at once when a cgroup v2 directory is created or removed, so a tick
 * reads only known containers instead of walking the tree.
 *
 * Raw tracepoints, with the kernel struct offsets set before load by the collector from the
 * kernel's BTF (userspace/discover/kernel_btf.c), rather than tp_btf and CO-RE: libbpf would
 * load all of the kernel's BTF into the collector to relocate these fields, ~11 MiB
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

/* Reading a removed cgroup's last CPU usage (userspace/discover/kernel_btf.c finds these;
 * usage_cpus stays 0 when it cannot): struct cgroup's bstat.cputime.sum_exec_runtime, its
 * per-CPU base stats pointer (rstat_base_cpu since 6.15, rstat_cpu before) and, in those,
 * bstat's and last_bstat's sum_exec_runtime; current->se.cfs_rq and cfs_rq->rq; where
 * runqueues and this_cpu_off are in the per-CPU section. */
const volatile __u32 usage_cpus = 0; /* possible CPUs */
const volatile __u32 cgroup_bstat_sum_off = 0;
const volatile __u32 cgroup_rstat_off = 0;
const volatile __u32 rstat_bstat_sum_off = 0;
const volatile __u32 rstat_last_bstat_sum_off = 0;
const volatile __u32 task_cfs_rq_off = 0;
const volatile __u32 cfs_rq_rq_off = 0;
const volatile __u64 pcpu_runqueues = 0;
const volatile __u64 pcpu_this_cpu_off = 0;

/* One slot per CPU whose addresses give the distance between any CPU's per-CPU area and the
 * running one's. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} pcpu_anchor SEC(".maps");

/* What cpu.stat's usage_usec would show (x 1000) if read now: the kernel's flush
 * (kernel/cgroup/rstat.c, cgroup_base_stat_flush, 6.1 and 6.18 alike) adds each CPU's
 * bstat - last_bstat to the cgroup's bstat; a removed cgroup is flushed into its parent only
 * when freed. A per-CPU pointer's copy for a CPU is at the pointer plus that CPU's offset
 * (__per_cpu_offset, not in kallsyms without KALLSYMS_ALL). Found here: the running CPU's
 * runqueues (current->se.cfs_rq->rq) less runqueues' place in the per-CPU section is where
 * this CPU's copy of the section starts; its this_cpu_off there is the CPU's offset, and the
 * section's link address follows (0 where x86-64 per-CPU data is zero-based, as on 6.1, the
 * kernel image's since 6.15). Another CPU's offset differs from this one's as the anchor's
 * slots do, and is checked against that CPU's own this_cpu_off. On any doubt the event goes
 * without usage. */
static __always_inline void read_usage(const char *cgrp, struct cgroup_event *e)
{
    const char *task = (const char *)bpf_get_current_task(), *cfs_rq = NULL, *rq = NULL;
    const char *rstat = NULL;
    __u64 copy_here, off_here = 0, section, flushed = 0, unflushed = 0;
    __u32 key = 0, here = bpf_get_smp_processor_id();
    char *anchor_here;

    if (!usage_cpus || !task) return;
    if (bpf_probe_read_kernel(&cfs_rq, sizeof(cfs_rq), task + task_cfs_rq_off) || !cfs_rq) return;
    if (bpf_probe_read_kernel(&rq, sizeof(rq), cfs_rq + cfs_rq_rq_off) || !rq) return;
    copy_here = (__u64)rq - pcpu_runqueues;
    if (bpf_probe_read_kernel(&off_here, sizeof(off_here),
                              (const char *)(copy_here + pcpu_this_cpu_off)))
        return;
    section = copy_here - off_here;
    anchor_here = bpf_map_lookup_percpu_elem(&pcpu_anchor, &key, here);
    if (!anchor_here) return;
    if (bpf_probe_read_kernel(&rstat, sizeof(rstat), cgrp + cgroup_rstat_off) || !rstat) return;
    if (bpf_probe_read_kernel(&flushed, sizeof(flushed), cgrp + cgroup_bstat_sum_off)) return;
    for (__u32 cpu = 0; cpu < CGROUP_EVENT_MAX_CPUS; cpu++) {
        char *anchor;
        const char *pc;
        __u64 off, check = 0, now = 0, last = 0;

        if (cpu >= usage_cpus) break;
        anchor = bpf_map_lookup_percpu_elem(&pcpu_anchor, &key, cpu);
        if (!anchor) return;
        off = off_here + (anchor - anchor_here);
        if (bpf_probe_read_kernel(&check, sizeof(check),
                                  (const char *)(section + pcpu_this_cpu_off + off)) ||
            check != off)
            return;
        pc = rstat + off;
        if (bpf_probe_read_kernel(&now, sizeof(now), pc + rstat_bstat_sum_off) ||
            bpf_probe_read_kernel(&last, sizeof(last), pc + rstat_last_bstat_sum_off))
            return;
        unflushed += now - last;
    }
    e->usage_ns = flushed + unflushed;
    e->unflushed_ns = unflushed;
    e->flags |= CGROUP_EVENT_USAGE;
}

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
    e->mono_ns = bpf_ktime_get_ns();
    e->usage_ns = e->unflushed_ns = 0;
    e->flags = e->pad = 0;
    if (kind == CGROUP_EVENT_RMDIR) read_usage(cgrp, e);
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
