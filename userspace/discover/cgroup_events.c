#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "log.h"

#include "cgroup_events.skel.h"
#include "cgroup_events_user.h"
#include "kernel_btf.h"

struct cgroup_events {
    struct cgroup_events_bpf *skel;
    struct ring_buffer *rb;
    cgroup_event_fn fn;
    void *ctx;
};

/* libbpf's own messages go to our log at debug level: the caller reports the one-line reason. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    char line[512];

    if (level == LIBBPF_DEBUG || log_get_level() < LOG_DEBUG) return 0;
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_debug("libbpf: %s", line);
    return 0;
}

static int on_ringbuf_record(void *ctx, void *data, size_t size)
{
    struct cgroup_events *ev = ctx;
    struct cgroup_event event;

    if (size < sizeof(event)) return 0;
    memcpy(&event, data, sizeof(event));
    event.path[sizeof(event.path) - 1] = '\0';
    ev->fn(ev->ctx, &event);
    return 0;
}

/* The last CPU usage of a removed cgroup, when this kernel's layout is known: without it the
 * events still work, and an exited container keeps its last sampled usage (one log line). */
static void set_usage_offsets(struct cgroup_events_bpf *skel,
                              const struct cgroup_event_offsets *off)
{
    int ncpus = libbpf_num_possible_cpus();

    if (!off->usage) {
        log_info("the CPU of containers exiting between samples is not read at removal: %s",
                 off->usage_why);
        return;
    }
    if (ncpus <= 0 || ncpus > CGROUP_EVENT_MAX_CPUS) {
        log_info("the CPU of containers exiting between samples is not read at removal: %d "
                 "possible CPUs (at most %d are summed)",
                 ncpus, CGROUP_EVENT_MAX_CPUS);
        return;
    }
    skel->rodata->usage_cpus = (uint32_t)ncpus;
    skel->rodata->cgroup_bstat_sum_off = off->cgroup_bstat_sum;
    skel->rodata->cgroup_rstat_off = off->cgroup_rstat;
    skel->rodata->rstat_bstat_sum_off = off->rstat_bstat_sum;
    skel->rodata->rstat_last_bstat_sum_off = off->rstat_last_bstat_sum;
    skel->rodata->task_cfs_rq_off = off->task_cfs_rq;
    skel->rodata->cfs_rq_rq_off = off->cfs_rq_rq;
    skel->rodata->pcpu_runqueues = off->pcpu_runqueues;
    skel->rodata->pcpu_this_cpu_off = off->pcpu_this_cpu_off;
    log_debug("removed cgroups' CPU usage read from struct %s over %d CPUs", off->usage_layout,
              ncpus);
}

struct cgroup_events *cgroup_events_open(cgroup_event_fn fn, void *ctx, char *err, size_t errlen)
{
    struct cgroup_events *ev = calloc(1, sizeof(*ev));
    struct cgroup_event_offsets off;
    char why[256];
    int rc;

    if (!ev) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ev->fn = fn;
    ev->ctx = ctx;
    libbpf_set_print(libbpf_print);
    /* The struct offsets the program reads, from the kernel's BTF, in small reads. */
    rc = kernel_btf_cgroup_offsets_file(KERNEL_BTF_PATH, &off, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "kernel BTF: %s", why);
        goto fail;
    }
    ev->skel = cgroup_events_bpf__open();
    if (!ev->skel) {
        snprintf(err, errlen, "opening the cgroup lifecycle BPF program failed: %s",
                 strerror(errno));
        goto fail;
    }
    ev->skel->rodata->cgroup_kn_off = off.cgroup_kn;
    ev->skel->rodata->cgroup_root_off = off.cgroup_root;
    ev->skel->rodata->cgroup_level_off = off.cgroup_level;
    ev->skel->rodata->root_hierarchy_id_off = off.root_hierarchy_id;
    ev->skel->rodata->kn_id_off = off.kn_id;
    set_usage_offsets(ev->skel, &off);
    rc = cgroup_events_bpf__load(ev->skel);
    if (rc) {
        snprintf(err, errlen, "loading the cgroup lifecycle BPF program failed: %s", strerror(-rc));
        goto fail;
    }
    rc = cgroup_events_bpf__attach(ev->skel);
    if (rc) {
        snprintf(err, errlen, "attaching to cgroup_mkdir/cgroup_rmdir failed: %s", strerror(-rc));
        goto fail;
    }
    ev->rb = ring_buffer__new(bpf_map__fd(ev->skel->maps.events), on_ringbuf_record, ev, NULL);
    if (!ev->rb) {
        snprintf(err, errlen, "opening the event ring buffer failed: %s", strerror(errno));
        goto fail;
    }
    return ev;
fail:
    cgroup_events_close(ev);
    return NULL;
}

int cgroup_events_fd(const struct cgroup_events *ev)
{
    return ring_buffer__epoll_fd(ev->rb);
}

int cgroup_events_drain(struct cgroup_events *ev)
{
    return ring_buffer__consume(ev->rb);
}

uint64_t cgroup_events_lost(const struct cgroup_events *ev)
{
    return __atomic_load_n(&ev->skel->bss->lost_events, __ATOMIC_RELAXED);
}

void cgroup_events_close(struct cgroup_events *ev)
{
    if (!ev) return;
    ring_buffer__free(ev->rb);
    cgroup_events_bpf__destroy(ev->skel);
    free(ev);
}
