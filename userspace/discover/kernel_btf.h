/* The kernel struct offsets the collector's BPF programs read (raw tracepoints), found in the
 * kernel's BTF (/sys/kernel/btf/vmlinux) read as a stream, a few KiB at a time. libbpf's CO-RE
 * would load that whole file for these few fields, twice over (~11 MiB on a 6.x kernel): most
 * of the collector's peak memory. The checks are CO-RE's: each member is found by name in its
 * struct, at a whole-byte offset, of the kind the program reads (a pointer, or an integer of
 * the size it reads, or a struct of the name it expects in place); and, as tp_btf would, each
 * tracepoint's prototype is checked to pass the arguments the program reads (cgroup_mkdir:
 * struct cgroup *, const char *). A member may be optional (the program does without it) and
 * may be a per-CPU variable's place in its section. */
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
    char usage_why[128];
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

#define KERNEL_BTF_MAX_ARGS 4

/* A member a program reads: int_size 0 for a pointer, else an integer of that many bytes; or,
 * with of_struct, a struct of that name in place (its own members' offsets add to this one's).
 * A strct starting with '.' is a data section (".data..percpu"): the member is one of its
 * variables, its offset the variable's place in the section, and what the variable is is
 * checked as a member's type is. An optional member that is missing, a bitfield or not what it
 * must be is no error: its offset is KERNEL_BTF_ABSENT. */
struct kernel_btf_member {
    const char *strct, *member;
    uint32_t int_size;
    const char *of_struct;
    bool optional;
};

#define KERNEL_BTF_ABSENT UINT32_MAX

/* A required member: a pointer (size 0) or an integer of size bytes. */
#define KERNEL_BTF_MEMBER(strct_, member_, size_)                                                  \
    {                                                                                              \
        .strct = strct_, .member = member_, .int_size = size_                                      \
    }

/* A tracepoint argument as read: int_size as above; a pointer to struct strct when given. */
struct kernel_btf_arg {
    const char *strct;
    uint32_t int_size;
};

/* A raw tracepoint the program attaches to, and its arguments after the hidden first. */
struct kernel_btf_tracepoint {
    const char *name; /* "sched_switch": the kernel's typedef btf_trace_sched_switch */
    unsigned nargs;
    struct kernel_btf_arg args[KERNEL_BTF_MAX_ARGS];
};

/* Copies up to len bytes from offset off of the BTF into buf; returns the count (short only at
 * its end) or -errno. */
typedef ssize_t (*btf_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Finds each member's byte offset (into offsets[], in order; KERNEL_BTF_ABSENT for an optional
 * one that is not there as read) and checks each tracepoint, in the BTF that read gives. 0, or
 * -errno with a reason in err: -ENOENT when a struct, a required member or a tracepoint is not
 * there, -EINVAL when the BTF is malformed, a required member or an argument is not what the
 * program reads, or the query is larger than a scan holds, -ENOMEM. Never reads past what read
 * returns. Variables are found in their section when the BTF lists them before it, as the
 * kernel's does. */
int kernel_btf_offsets(btf_read_fn read, void *ctx, const struct kernel_btf_member *members,
                       size_t nmembers, const struct kernel_btf_tracepoint *tps, size_t ntps,
                       uint32_t *offsets, char *err, size_t errlen);
/* The same from a file (KERNEL_BTF_PATH). */
int kernel_btf_offsets_file(const char *path, const struct kernel_btf_member *members,
                            size_t nmembers, const struct kernel_btf_tracepoint *tps, size_t ntps,
                            uint32_t *offsets, char *err, size_t errlen);

/* What cgroup_events.bpf.c reads: the offsets in the BTF that read gives. 0, or -errno with a
 * reason in err: -ENOENT when a struct, member or tracepoint is not there, -EINVAL when the BTF is
 * malformed or a member is not what the program reads, -ENOMEM. Never reads past what read returns.
 * The rmdir usage read's members are optional: when one is not there as read, the events load
 * without it (usage false, usage_why says why). */
int kernel_btf_cgroup_offsets(btf_read_fn read, void *ctx, struct cgroup_event_offsets *out,
                              char *err, size_t errlen);

/* The same from a file (KERNEL_BTF_PATH). */
int kernel_btf_cgroup_offsets_file(const char *path, struct cgroup_event_offsets *out, char *err,
                                   size_t errlen);

#endif
