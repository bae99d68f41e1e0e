/* The kernel struct offsets the cgroup lifecycle BPF program reads, found in the kernel's BTF
 * (/sys/kernel/btf/vmlinux) read as a stream, a few KiB at a time. libbpf's CO-RE would load
 * that whole file for these fields, twice over (~11 MiB on a 6.x kernel): most of the
 * collector's peak memory. The checks are CO-RE's: each member is found by name in its struct,
 * at a whole-byte offset, of the kind the program reads (a pointer, or an integer of the size
 * it reads); and, as tp_btf would, the tracepoints' prototypes are checked to pass
 * (struct cgroup *, const char *). The rmdir usage read's members are optional: when one is
 * missing, the events load without it (usage false, usage_why says why). */
#ifndef KMETRICS_KERNEL_BTF_H
#define KMETRICS_KERNEL_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KERNEL_BTF_PATH "/sys/kernel/btf/vmlinux"

struct cgroup_event_offsets {
    uint32_t cgroup_kn;         /* struct cgroup: kn, a struct kernfs_node * */
    uint32_t cgroup_root;       /* struct cgroup: root, a struct cgroup_root * */
    uint32_t cgroup_level;      /* struct cgroup: level, a 4-byte integer */
    uint32_t root_hierarchy_id; /* struct cgroup_root: hierarchy_id, a 4-byte integer */
    uint32_t kn_id;             /* struct kernfs_node: id, an 8-byte integer (kernel >= 5.5) */

    /* What the program needs to read a removed cgroup's CPU usage as cpu.stat would show it
     * after a flush (optional: the lifecycle events work without). usage_why says why not. */
    bool usage;
    char usage_why[96];
    char usage_layout[32];         /* the per-CPU struct read, for the log */
    uint32_t cgroup_bstat_sum;     /* struct cgroup: bstat.cputime.sum_exec_runtime (u64) */
    uint32_t cgroup_rstat;         /* struct cgroup: rstat_base_cpu (6.15 on) or rstat_cpu */
    uint32_t rstat_bstat_sum;      /* in that per-CPU struct: bstat.cputime.sum_exec_runtime */
    uint32_t rstat_last_bstat_sum; /* and last_bstat.cputime.sum_exec_runtime */
    uint32_t task_cfs_rq;          /* struct task_struct: se.cfs_rq */
    uint32_t cfs_rq_rq;            /* struct cfs_rq: rq */
    uint32_t pcpu_runqueues;       /* per-CPU variables' offsets in .data..percpu */
    uint32_t pcpu_this_cpu_off;
};

/* Copies up to len bytes from offset off of the BTF into buf; returns the count (short only at
 * its end) or -errno. */
typedef ssize_t (*btf_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Finds the offsets in the BTF that read gives. 0, or -errno with a reason in err: -ENOENT
 * when a struct, member or tracepoint is not there, -EINVAL when the BTF is malformed or a
 * member is not what the program reads, -ENOMEM. Never reads past what read returns. */
int kernel_btf_cgroup_offsets(btf_read_fn read, void *ctx, struct cgroup_event_offsets *out,
                              char *err, size_t errlen);

/* The same from a file (KERNEL_BTF_PATH). */
int kernel_btf_cgroup_offsets_file(const char *path, struct cgroup_event_offsets *out, char *err,
                                   size_t errlen);

#endif
