/* A kubelet scrape as a full shipment (kubelet_shipment.h). */
#include "kubelet_shipment.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* A container's samples, gathered from anywhere in the body. */
struct gathered {
    const struct kubelet_sample *cpu, *memory, *start;
};

static int cmp_container(const void *a, const void *b)
{
    const struct kubelet_sample *x = *(const struct kubelet_sample *const *)a;
    const struct kubelet_sample *y = *(const struct kubelet_sample *const *)b;
    int c = strcmp(x->namespace_, y->namespace_);

    if (!c) c = strcmp(x->pod, y->pod);
    if (!c) c = strcmp(x->container, y->container);
    return c;
}

static bool same_container(const struct kubelet_sample *x, const struct kubelet_sample *y)
{
    return !strcmp(x->namespace_, y->namespace_) && !strcmp(x->pod, y->pod) &&
           !strcmp(x->container, y->container);
}

static bool same_pod(const struct kubelet_sample *x, const struct kubelet_sample *y)
{
    return !strcmp(x->namespace_, y->namespace_) && !strcmp(x->pod, y->pod);
}

/* FNV-1a over parts, from a seed: the derived ids need to be stable and distinct, not secret. */
static uint64_t hash_parts(uint64_t seed, const void *const *parts, const size_t *lens, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;

    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = parts[i];
        for (size_t k = 0; k < lens[i]; k++)
            h = (h ^ p[k]) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull; /* separator: ("ab","c") != ("a","bc") */
    }
    return h ^ h >> 29;
}

static void derive_uid(const char *ns, const char *pod, uint8_t uid[16])
{
    const void *parts[] = {ns, pod};
    size_t lens[] = {strlen(ns), strlen(pod)};

    for (int w = 0; w < 2; w++) {
        uint64_t h = hash_parts(0x6b75626c6574ull + (uint64_t)w, parts, lens, 2);
        memcpy(uid + 8 * w, &h, 8);
    }
}

/* The canonical form when the uid came from the API server (it is a UUID), 32 hex else. */
static void uid_text(const uint8_t uid[16], bool dashed, char out[WIRE_UID_MAX + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t k = 0;

    for (int i = 0; i < 16; i++) {
        if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) out[k++] = '-';
        out[k++] = digits[uid[i] >> 4];
        out[k++] = digits[uid[i] & 15];
    }
    out[k] = '\0';
}

static void derive_id(const uint8_t uid[16], const struct kubelet_sample *c, double start,
                      char out[WIRE_ID_LEN + 1])
{
    int64_t start_ms = start >= 0 && start < 9e15 ? (int64_t)llround(start * 1000) : -1;
    const void *parts[] = {uid, c->container, &start_ms};
    size_t lens[] = {16, strlen(c->container), sizeof(start_ms)};
    uint8_t id[WIRE_ID_LEN / 2];

    for (int w = 0; w < 4; w++) {
        uint64_t h = hash_parts(0x636f6e7461696eull * (uint64_t)(w + 1), parts, lens, 3);
        memcpy(id + 8 * w, &h, 8);
    }
    hex_encode(id, sizeof(id), out);
}

static struct wire_sample sample_of(const struct kubelet_sample *k, int64_t scrape_real_ns)
{
    double usec = k->value * 1e6;

    return (struct wire_sample){
        .real_ns = k->has_timestamp ? k->timestamp_ms * 1000000 : scrape_real_ns,
        .usage_usec = usec < 1.8e19 ? (uint64_t)llround(usec) : UINT64_MAX,
    };
}

static uint64_t bytes_of(double v)
{
    return v < 1.8e19 ? (uint64_t)llround(v) : UINT64_MAX;
}

static bool is_cpu(const struct kubelet_sample *k)
{
    return k->series == KUBELET_CONTAINER_CPU || k->series == KUBELET_NODE_CPU;
}

/* By series (node or container), then namespace, pod, container. */
static int cmp_cpu_key(const void *a, const void *b)
{
    const struct kubelet_sample *x = *(const struct kubelet_sample *const *)a;
    const struct kubelet_sample *y = *(const struct kubelet_sample *const *)b;

    if (x->series != y->series) return x->series < y->series ? -1 : 1;
    return cmp_container(a, b);
}

int kubelet_metrics_all_newer(const struct kubelet_metrics *earlier,
                              const struct kubelet_metrics *later)
{
    const struct kubelet_sample **old;
    size_t n = 0;
    int newer = 1;

    if (!(old = malloc((earlier->n ? earlier->n : 1) * sizeof(*old)))) return -ENOMEM;
    for (size_t i = 0; i < earlier->n; i++)
        if (is_cpu(&earlier->samples[i])) old[n++] = &earlier->samples[i];
    qsort(old, n, sizeof(*old), cmp_cpu_key);
    for (size_t i = 0; i < later->n && newer; i++) {
        const struct kubelet_sample *k = &later->samples[i], **found;
        if (!is_cpu(k) || !k->has_timestamp) continue;
        found = bsearch(&k, old, n, sizeof(*old), cmp_cpu_key);
        newer = !found || !(*found)->has_timestamp || (*found)->timestamp_ms < k->timestamp_ms;
    }
    free(old);
    return newer;
}

void kubelet_shipment_done(struct kubelet_shipment *s)
{
    free(s->pods_);
    free(s->containers_);
    free(s->samples_);
    free(s->ids_);
    free(s->uids_);
    memset(s, 0, sizeof(*s));
}

int kubelet_shipment_build(const struct kubelet_metrics *m, const struct kubelet_shipment_params *p,
                           struct kubelet_shipment *out)
{
    const struct kubelet_sample **order = NULL;
    size_t n = 0;
    struct wire_shipment *ship = &out->ship;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < m->n; i++)
        n += m->samples[i].series == KUBELET_CONTAINER_CPU ||
             m->samples[i].series == KUBELET_CONTAINER_MEMORY ||
             m->samples[i].series == KUBELET_CONTAINER_START;
    /* At most one pod and one container per sample: sized once. */
    if (!(order = malloc((n ? n : 1) * sizeof(*order))) ||
        !(out->pods_ = calloc(n ? n : 1, sizeof(*out->pods_))) ||
        !(out->containers_ = calloc(n ? n : 1, sizeof(*out->containers_))) ||
        !(out->samples_ = calloc(n + 1, sizeof(*out->samples_))) ||
        !(out->ids_ = calloc(n ? n : 1, sizeof(*out->ids_))) ||
        !(out->uids_ = calloc(n ? n : 1, sizeof(*out->uids_)))) {
        free(order);
        kubelet_shipment_done(out);
        return -ENOMEM;
    }
    ship->version = WIRE_VERSION;
    ship->flags = WIRE_FULL;
    ship->node_name = p->node;
    ship->instance = p->instance;
    ship->seq = p->seq;
    ship->sent_ns = p->scrape_real_ns;
    ship->ship_interval_ms = p->interval_ms;
    for (size_t i = 0, k = 0; i < m->n; i++) {
        const struct kubelet_sample *s = &m->samples[i];
        if (s->series == KUBELET_NODE_CPU) {
            out->samples_[n] = sample_of(s, p->scrape_real_ns); /* the last slot: the node's */
            ship->node.samples = &out->samples_[n];
            ship->node.nsamples = 1;
        } else if (s->series == KUBELET_NODE_MEMORY) {
            ship->node.memory.have = WIRE_HAVE_WORKING_SET;
            ship->node.memory.working_set = bytes_of(s->value);
        } else if (s->series != KUBELET_SCRAPE_ERROR) {
            order[k++] = s;
        }
    }
    /* Sorted by namespace, pod, container, so each container's samples and each pod's
     * containers are neighbours. */
    qsort(order, n, sizeof(*order), cmp_container);
    const struct kubelet_sample *pod_of_last = NULL; /* a sample naming the last pod kept */
    uint8_t uid[16];
    for (size_t i = 0; i < n;) {
        struct gathered g = {0};
        size_t j = i;
        for (; j < n && same_container(order[i], order[j]); j++) {
            const struct kubelet_sample *s = order[j];
            const struct kubelet_sample **slot = s->series == KUBELET_CONTAINER_CPU      ? &g.cpu
                                                 : s->series == KUBELET_CONTAINER_MEMORY ? &g.memory
                                                                                         : &g.start;
            if (!*slot || *slot < s) *slot = s; /* a repeated series: the body's later one */
        }
        const struct kubelet_sample *c = order[i];
        i = j;
        if (!g.cpu || !g.memory) {
            out->dropped++;
            continue;
        }
        if (!pod_of_last || !same_pod(pod_of_last, c)) {
            struct wire_pod *wp = &out->pods_[ship->npods++];
            bool known = p->uid_of && p->uid_of(p->uid_arg, c->namespace_, c->pod, uid);
            if (!known) {
                derive_uid(c->namespace_, c->pod, uid);
                out->uids_derived++;
            }
            uid_text(uid, known, out->uids_[ship->npods - 1]);
            wp->uid = out->uids_[ship->npods - 1];
            wp->namespace_ = c->namespace_;
            wp->name = c->pod;
            wp->containers = &out->containers_[out->containers];
            pod_of_last = c;
        }
        struct wire_pod *wp = &out->pods_[ship->npods - 1];
        struct wire_container *wc = &out->containers_[out->containers];
        derive_id(uid, c, g.start ? g.start->value : -1, out->ids_[out->containers]);
        wc->id = out->ids_[out->containers];
        wc->name = c->container;
        out->samples_[out->containers] = sample_of(g.cpu, p->scrape_real_ns);
        wc->samples = &out->samples_[out->containers];
        wc->nsamples = 1;
        wc->memory.have = WIRE_HAVE_WORKING_SET;
        wc->memory.working_set = bytes_of(g.memory->value);
        wp->ncontainers++;
        out->containers++;
    }
    ship->pods = out->pods_;
    free(order);
    return 0;
}
