// SPDX-License-Identifier: GPL-2.0
/* Run-queue latency per watched cgroup: how long each task of a container waited for a CPU,
 * from the moment it became runnable (woken, newly forked, or preempted while runnable) to
 * the moment it ran, as a log2 histogram of microseconds (runq_latency.h).
 *
 * Raw tracepoints with struct offsets set before load by the collector from the kernel's BTF
 * (userspace/discover/kernel_btf.c), as cgroup_events.bpf.c does, rather than tp_btf and
 * CO-RE: libbpf would load the kernel's whole BTF into the collector (~11 MiB) for five
 * fields. Nothing here touches a vmlinux.h struct. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "runq_latency.h"

char LICENSE[] SEC("license") = "GPL";

/* cgroup id (kernfs id, the directory's inode) -> its waits. Userspace adds a container's
 * cgroup when it starts measuring it and deletes it when the container goes: tasks of any
 * other cgroup cost one lookup at wakeup and nothing more.
 *
 * One shared histogram per cgroup with atomic adds, not a per-CPU map: its kernel memory is
 * RUNQ_MAX_CGROUPS values whatever the CPU count (a per-CPU map is that times the CPUs: 54 MiB
 * preallocated on a 64-CPU node), and userspace reads one value per container. The cost is a
 * locked add on a line other CPUs may hold, only for tasks of the same container switching in
 * at once on several CPUs; bench_runq measures the cost per context switch. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, RUNQ_MAX_CGROUPS);
    __type(key, __u64);
    __type(value, struct runq_hist);
} hists SEC(".maps");

/* When a task of a watched cgroup became runnable, and that cgroup: the switch that runs it
 * then needs no walk from the task to its cgroup. */
struct enqueued {
    __u64 ts;
    __u64 cgroup_id;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, RUNQ_MAX_PIDS);
    __type(key, __u32);
    __type(value, struct enqueued);
} start SEC(".maps");

/* Waits not measured because the start map was full. */
__u64 missed = 0;

/* Byte offsets of task_struct's pid and cgroups, css_set's dfl_cgrp, cgroup's kn and
 * kernfs_node's id (a u64 since 5.5), set by userspace. */
const volatile __u32 task_pid_off = 0;
const volatile __u32 task_cgroups_off = 0;
const volatile __u32 css_set_dfl_cgrp_off = 0;
const volatile __u32 cgroup_kn_off = 0;
const volatile __u32 kn_id_off = 0;

/* task->cgroups->dfl_cgrp->kn->id: the task's cgroup v2 id; 0 when a read fails. */
static __always_inline __u64 task_cgroup_id(const char *task)
{
    const char *cset = NULL, *cgrp = NULL, *kn = NULL;
    __u64 id = 0;

    bpf_probe_read_kernel(&cset, sizeof(cset), task + task_cgroups_off);
    if (!cset) return 0;
    bpf_probe_read_kernel(&cgrp, sizeof(cgrp), cset + css_set_dfl_cgrp_off);
    if (!cgrp) return 0;
    bpf_probe_read_kernel(&kn, sizeof(kn), cgrp + cgroup_kn_off);
    if (!kn) return 0;
    bpf_probe_read_kernel(&id, sizeof(id), kn + kn_id_off);
    return id;
}

static __always_inline void enqueue(__u32 pid, __u64 cgroup_id)
{
    struct enqueued e;

    /* pid 0 is a CPU's idle task: never waits. */
    if (!pid || !cgroup_id || !bpf_map_lookup_elem(&hists, &cgroup_id)) return;
    e.ts = bpf_ktime_get_ns();
    e.cgroup_id = cgroup_id;
    if (bpf_map_update_elem(&start, &pid, &e, BPF_ANY)) __sync_fetch_and_add(&missed, 1);
}

static __always_inline void enqueue_task(const char *task)
{
    __u64 cgroup_id = task_cgroup_id(task);
    __u32 pid = 0;

    if (!cgroup_id || !bpf_map_lookup_elem(&hists, &cgroup_id)) return;
    bpf_probe_read_kernel(&pid, sizeof(pid), task + task_pid_off);
    enqueue(pid, cgroup_id);
}

/* floor(log2(v)) for v > 0. */
static __always_inline __u32 log2_u64(__u64 v)
{
    __u32 r = 0, shift;

    shift = (v > 0xffffffffULL) << 5;
    v >>= shift;
    r |= shift;
    shift = (v > 0xffff) << 4;
    v >>= shift;
    r |= shift;
    shift = (v > 0xff) << 3;
    v >>= shift;
    r |= shift;
    shift = (v > 0xf) << 2;
    v >>= shift;
    r |= shift;
    shift = (v > 0x3) << 1;
    v >>= shift;
    r |= shift;
    r |= (__u32)(v >> 1);
    return r;
}

/* Both pass (struct task_struct *p); userspace has checked so in the kernel's BTF. */
SEC("raw_tp/sched_wakeup")
int on_sched_wakeup(__u64 *ctx)
{
    enqueue_task((const char *)ctx[0]);
    return 0;
}

SEC("raw_tp/sched_wakeup_new")
int on_sched_wakeup_new(__u64 *ctx)
{
    enqueue_task((const char *)ctx[0]);
    return 0;
}

/* (bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
 * on 6.1 and 6.18 alike, checked in the kernel's BTF. Called with prev current. */
SEC("raw_tp/sched_switch")
int on_sched_switch(__u64 *ctx)
{
    const char *next = (const char *)ctx[2];
    struct enqueued *e;
    struct runq_hist *h;
    /* slot is 64-bit: a 32-bit one is bounds-checked on a zero-extended copy that the
     * verifier does not relate to the register used to index. */
    __u64 now = bpf_ktime_get_ns(), delta, us, cgroup_id, slot;
    __u32 pid = 0;

    /* prev stays on the run queue when preempted, or when it had not set itself to sleep
     * (prev_state TASK_RUNNING, as runqlat has it): its wait starts now. */
    if ((__u8)ctx[0] || (__u32)ctx[3] == 0)
        enqueue((__u32)bpf_get_current_pid_tgid(), bpf_get_current_cgroup_id());

    bpf_probe_read_kernel(&pid, sizeof(pid), next + task_pid_off);
    if (!pid) return 0;
    e = bpf_map_lookup_elem(&start, &pid);
    if (!e) return 0;
    delta = now - e->ts;
    cgroup_id = e->cgroup_id;
    bpf_map_delete_elem(&start, &pid);
    /* A clock read on another CPU can be a little ahead of this one's. */
    if ((__s64)delta < 0) return 0;
    h = bpf_map_lookup_elem(&hists, &cgroup_id);
    if (!h) return 0; /* no longer watched */
    us = delta / 1000;
    slot = us ? log2_u64(us) + 1 : 0;
    if (slot >= RUNQ_SLOTS) slot = RUNQ_SLOTS - 1;
    __sync_fetch_and_add(&h->slots[slot], 1);
    __sync_fetch_and_add(&h->total_ns, delta);
    __sync_fetch_and_add(&h->count, 1);
    return 0;
}
