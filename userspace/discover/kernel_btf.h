/* The kernel struct offsets the collector's BPF programs read (raw tracepoints), found in the
 * kernel's BTF (/sys/kernel/btf/vmlinux) read as a stream, a few KiB at a time. libbpf's CO-RE
 * would load that whole file for these few fields, twice over (~11 MiB on a 6.x kernel): most
 * of the collector's peak memory. The checks are CO-RE's: each member is found by name in its
 * struct, at a whole-byte offset, of the kind the program reads (a pointer, or an integer of
 * the size it reads); and, as tp_btf would, each tracepoint's prototype is checked to pass
 * the arguments the program reads (cgroup_mkdir: struct cgroup *, const char *). */
#ifndef KMETRICS_KERNEL_BTF_H
#define KMETRICS_KERNEL_BTF_H

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
};

#define KERNEL_BTF_MAX_ARGS 4

/* A member a program reads: int_size 0 for a pointer, else an integer of that many bytes. */
struct kernel_btf_member {
    const char *strct, *member;
    uint32_t int_size;
};

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

/* Finds each member's byte offset (into offsets[], in order) and checks each tracepoint, in the
 * BTF that read gives. 0, or -errno with a reason in err: -ENOENT when a struct, member or
 * tracepoint is not there, -EINVAL when the BTF is malformed, a member or an argument is not
 * what the program reads, or the query is larger than a scan holds, -ENOMEM. Never reads past
 * what read returns. */
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
 */
int kernel_btf_cgroup_offsets(btf_read_fn read, void *ctx, struct cgroup_event_offsets *out,
                              char *err, size_t errlen);

/* The same from a file (KERNEL_BTF_PATH). */
int kernel_btf_cgroup_offsets_file(const char *path, struct cgroup_event_offsets *out, char *err,
                                   size_t errlen);

#endif
