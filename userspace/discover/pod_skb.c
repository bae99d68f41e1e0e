/* Loads bpf/pod_skb.bpf.c and keeps its counters map (pod_skb_user.h). */
#include "pod_skb_user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pod_skb.skel.h"

struct pod_skb {
    struct pod_skb_bpf *skel;
    struct bpf_link *links[2]; /* ingress, egress */
    int counts_fd;
};

struct pod_skb *pod_skb_open(const char *cgroup_dir, char *err, size_t errlen)
{
    struct pod_skb *ps = calloc(1, sizeof(*ps));
    struct bpf_program *progs[2];
    int cg_fd = -1, rc;

    if (!ps) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ps->skel = pod_skb_bpf__open();
    if (!ps->skel) {
        snprintf(err, errlen, "opening the socket traffic BPF program failed: %s", strerror(errno));
        goto fail;
    }
    rc = pod_skb_bpf__load(ps->skel);
    if (rc) {
        snprintf(err, errlen, "loading the socket traffic BPF program failed: %s", strerror(-rc));
        goto fail;
    }
    cg_fd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg_fd < 0) {
        snprintf(err, errlen, "%s: %s", cgroup_dir, strerror(errno));
        goto fail;
    }
    progs[0] = ps->skel->progs.on_ingress;
    progs[1] = ps->skel->progs.on_egress;
    for (int i = 0; i < 2; i++) {
        /* A link attaches as BPF_F_ALLOW_MULTI does: beside what is there, replacing nothing. */
        ps->links[i] = bpf_program__attach_cgroup(progs[i], cg_fd);
        if (!ps->links[i]) {
            snprintf(err, errlen, "attaching cgroup_skb/%s to %s failed: %s",
                     i ? "egress" : "ingress", cgroup_dir, strerror(errno));
            goto fail;
        }
    }
    close(cg_fd);
    ps->counts_fd = bpf_map__fd(ps->skel->maps.counts);
    return ps;
fail:
    if (cg_fd >= 0) close(cg_fd);
    pod_skb_close(ps);
    return NULL;
}

int pod_skb_watch(struct pod_skb *ps, uint64_t cgroup_id)
{
    static const struct pod_skb_counts zero;

    if (bpf_map_update_elem(ps->counts_fd, &cgroup_id, &zero, BPF_NOEXIST) == 0) return 0;
    return errno == EEXIST ? 0 : -errno;
}

void pod_skb_unwatch(struct pod_skb *ps, uint64_t cgroup_id)
{
    bpf_map_delete_elem(ps->counts_fd, &cgroup_id);
}

int pod_skb_read(const struct pod_skb *ps, uint64_t cgroup_id, struct pod_skb_counts *out)
{
    return bpf_map_lookup_elem(ps->counts_fd, &cgroup_id, out) ? -errno : 0;
}

void pod_skb_close(struct pod_skb *ps)
{
    if (!ps) return;
    for (int i = 0; i < 2; i++)
        bpf_link__destroy(ps->links[i]);
    pod_skb_bpf__destroy(ps->skel);
    free(ps);
}
