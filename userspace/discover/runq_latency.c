#include "runq_latency_user.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel_btf.h"
#include "runq_latency.skel.h"

struct runq_latency {
    struct runq_latency_bpf *skel;
    int hists_fd;
};

/* What runq_latency.bpf.c reads, in the order of the rodata offsets set below. */
static const struct kernel_btf_member members[] = {
    KERNEL_BTF_MEMBER("task_struct", "pid", 4),  KERNEL_BTF_MEMBER("task_struct", "cgroups", 0),
    KERNEL_BTF_MEMBER("css_set", "dfl_cgrp", 0), KERNEL_BTF_MEMBER("cgroup", "kn", 0),
    KERNEL_BTF_MEMBER("kernfs_node", "id", 8),
};
#define NMEMBERS (sizeof(members) / sizeof(members[0]))

/* The arguments the programs read, as 6.1 and 6.18 pass them. */
static const struct kernel_btf_tracepoint tracepoints[] = {
    {"sched_wakeup", 1, {{"task_struct", 0}}},
    {"sched_wakeup_new", 1, {{"task_struct", 0}}},
    {"sched_switch", 4, {{NULL, 1}, {"task_struct", 0}, {"task_struct", 0}, {NULL, 4}}},
};
#define NTRACEPOINTS (sizeof(tracepoints) / sizeof(tracepoints[0]))

struct runq_latency *runq_latency_open(char *err, size_t errlen)
{
    struct runq_latency *rq = calloc(1, sizeof(*rq));
    uint32_t off[NMEMBERS];
    char why[256];
    int rc;

    if (!rq) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rc = kernel_btf_offsets_file(KERNEL_BTF_PATH, members, NMEMBERS, tracepoints, NTRACEPOINTS, off,
                                 why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "kernel BTF: %s", why);
        goto fail;
    }
    rq->skel = runq_latency_bpf__open();
    if (!rq->skel) {
        snprintf(err, errlen, "opening the run-queue BPF program failed: %s", strerror(errno));
        goto fail;
    }
    rq->skel->rodata->task_pid_off = off[0];
    rq->skel->rodata->task_cgroups_off = off[1];
    rq->skel->rodata->css_set_dfl_cgrp_off = off[2];
    rq->skel->rodata->cgroup_kn_off = off[3];
    rq->skel->rodata->kn_id_off = off[4];
    rc = runq_latency_bpf__load(rq->skel);
    if (rc) {
        snprintf(err, errlen, "loading the run-queue BPF program failed: %s", strerror(-rc));
        goto fail;
    }
    rc = runq_latency_bpf__attach(rq->skel);
    if (rc) {
        snprintf(err, errlen, "attaching to sched_wakeup/sched_switch failed: %s", strerror(-rc));
        goto fail;
    }
    rq->hists_fd = bpf_map__fd(rq->skel->maps.hists);
    return rq;
fail:
    runq_latency_close(rq);
    return NULL;
}

int runq_latency_watch(struct runq_latency *rq, uint64_t cgroup_id)
{
    static const struct runq_hist empty;

    if (bpf_map_update_elem(rq->hists_fd, &cgroup_id, &empty, BPF_NOEXIST) == 0) return 0;
    return errno == EEXIST ? 0 : -errno;
}

void runq_latency_unwatch(struct runq_latency *rq, uint64_t cgroup_id)
{
    bpf_map_delete_elem(rq->hists_fd, &cgroup_id);
}

int runq_latency_read(const struct runq_latency *rq, uint64_t cgroup_id, struct runq_hist *out)
{
    return bpf_map_lookup_elem(rq->hists_fd, &cgroup_id, out) ? -errno : 0;
}

uint64_t runq_latency_missed(const struct runq_latency *rq)
{
    return __atomic_load_n(&rq->skel->bss->missed, __ATOMIC_RELAXED);
}

int runq_latency_prog_stats(const struct runq_latency *rq, uint64_t *run_ns, uint64_t *runs)
{
    const struct bpf_program *progs[] = {rq->skel->progs.on_sched_wakeup,
                                         rq->skel->progs.on_sched_wakeup_new,
                                         rq->skel->progs.on_sched_switch};

    *run_ns = *runs = 0;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        struct bpf_prog_info info;
        uint32_t len = sizeof(info);

        memset(&info, 0, sizeof(info));
        if (bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len)) return -errno;
        *run_ns += info.run_time_ns;
        *runs += info.run_cnt;
    }
    return 0;
}

void runq_latency_close(struct runq_latency *rq)
{
    if (!rq) return;
    runq_latency_bpf__destroy(rq->skel);
    free(rq);
}
