/* Snapshots of the collector for shipping, and the full/delta shipments made from them. */
#include "ship_snapshot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "wire/wire_check.h"

#include "collector.h"

/* dst gets src when ok, else "": an odd name is dropped rather than the whole shipment. */
static void copy_name(char *dst, size_t cap, const char *src, bool ok)
{
    size_t n = src ? strlen(src) : 0;

    dst[0] = '\0';
    if (n == 0 || n >= cap || !ok) return;
    memcpy(dst, src, n + 1);
}

/* ---- building ---------------------------------------------------------------------------- */

struct ship_snapshot *ship_snapshot_new(size_t npods, size_t ncontainers, size_t nsamples)
{
    struct ship_snapshot *s = calloc(1, sizeof(*s));

    if (!s) return NULL;
    atomic_init(&s->refs, 1);
    s->taken_real_ns = clock_real_ns();
    s->pods = calloc(npods ? npods : 1, sizeof(*s->pods));
    s->container_pool = calloc(ncontainers ? ncontainers : 1, sizeof(*s->container_pool));
    s->sample_pool = malloc((nsamples ? nsamples : 1) * sizeof(*s->sample_pool));
    if (!s->pods || !s->container_pool || !s->sample_pool) {
        ship_snapshot_unref(s);
        return NULL;
    }
    s->pods_cap = npods;
    s->containers_cap = ncontainers;
    s->samples_cap = nsamples;
    return s;
}

static const struct wire_sample *copy_samples(struct ship_snapshot *s,
                                              const struct wire_sample *samples, size_t n)
{
    struct wire_sample *dst = s->sample_pool + s->samples_used;

    if (n > s->samples_cap - s->samples_used) return NULL;
    if (n) memcpy(dst, samples, n * sizeof(*dst));
    s->samples_used += n;
    return dst;
}

int ship_snapshot_set_node(struct ship_snapshot *s, uint32_t cpu_cores, uint64_t memory_capacity,
                           const struct wire_sample *samples, size_t n,
                           const struct wire_usage *memory)
{
    const struct wire_sample *copy = copy_samples(s, samples, n);

    if (!copy) return -ENOSPC;
    s->cpu_cores = cpu_cores;
    s->memory_capacity = memory_capacity;
    s->node_samples = copy;
    s->node_nsamples = n;
    s->node_memory = memory ? *memory : (struct wire_usage){0};
    return 0;
}

struct ship_pod *ship_snapshot_add_pod(struct ship_snapshot *s, const char *uid,
                                       const char *namespace_, const char *name)
{
    struct ship_pod *p;

    if (!uid || !wire_valid_uid(uid, strlen(uid)) || s->npods == s->pods_cap) return NULL;
    p = &s->pods[s->npods++];
    memset(p, 0, sizeof(*p));
    memcpy(p->uid, uid, strlen(uid) + 1);
    copy_name(p->namespace_, sizeof(p->namespace_), namespace_,
              namespace_ && wire_valid_label(namespace_, strlen(namespace_)));
    copy_name(p->name, sizeof(p->name), name, name && wire_valid_subdomain(name, strlen(name)));
    p->containers = s->container_pool + s->containers_used;
    return p;
}

struct ship_container *ship_snapshot_add_container(struct ship_snapshot *s, struct ship_pod *pod,
                                                   const char *id, const char *name,
                                                   const struct wire_sample *samples, size_t n,
                                                   const struct wire_usage *memory)
{
    struct ship_container *c;
    const struct wire_sample *copy;

    /* A pod's containers are one run of the pool, so only the last pod can grow. */
    if (!id || !wire_valid_id(id, strlen(id)) || s->npods == 0 || pod != &s->pods[s->npods - 1] ||
        s->containers_used == s->containers_cap || pod->ncontainers == WIRE_MAX_CONTAINERS ||
        n > WIRE_MAX_SAMPLES)
        return NULL;
    copy = copy_samples(s, samples, n);
    if (!copy) return NULL;
    c = &s->container_pool[s->containers_used++];
    memset(c, 0, sizeof(*c));
    memcpy(c->id, id, WIRE_ID_LEN + 1);
    copy_name(c->name, sizeof(c->name), name, name && wire_valid_label(name, strlen(name)));
    c->samples = copy;
    c->nsamples = n;
    if (memory) c->memory = *memory;
    pod->ncontainers++;
    return c;
}

static int cmp_pod(const void *a, const void *b)
{
    return strcmp(((const struct ship_pod *)a)->uid, ((const struct ship_pod *)b)->uid);
}

static int cmp_container(const void *a, const void *b)
{
    return strcmp(((const struct ship_container *)a)->id, ((const struct ship_container *)b)->id);
}

void ship_snapshot_seal(struct ship_snapshot *s)
{
    /* Moving pods leaves their container runs where they are; each run sorts in place. */
    qsort(s->pods, s->npods, sizeof(*s->pods), cmp_pod);
    for (size_t i = 0; i < s->npods; i++)
        qsort(s->pods[i].containers, s->pods[i].ncontainers, sizeof(*s->pods[i].containers),
              cmp_container);
}

/* The newest points of a history taken within history_ns: walking back from the newest while
 * wall time strictly decreases, so a clock step drops the older side, never the newest
 * samples. */
static size_t recent_samples(const struct cpu_history *h, const struct cpu_series_params *cp,
                             int64_t cutoff_real_ns, struct wire_sample *out)
{
    struct cpu_sample pts[CPU_HISTORY_POINTS + 1];
    size_t n = cpu_history_points(h, cp, pts), first = n;

    while (first > 0) {
        const struct cpu_sample *p = &pts[first - 1];

        if (p->real_ns < cutoff_real_ns || (first < n && p->real_ns >= pts[first].real_ns)) break;
        first--;
    }
    for (size_t i = first; i < n; i++)
        out[i - first] = (struct wire_sample){pts[i].real_ns, pts[i].usage_usec};
    return n - first;
}

static struct wire_usage container_usage(const struct cgroup_sample *s)
{
    struct wire_usage u = {0};

    if (s->have & SAMPLE_WORKING_SET) {
        u.have |= WIRE_HAVE_WORKING_SET;
        u.working_set = s->working_set;
    }
    if (s->have & SAMPLE_RSS) {
        u.have |= WIRE_HAVE_RSS;
        u.rss = s->rss;
    }
    if (s->have & SAMPLE_SWAP) {
        u.have |= WIRE_HAVE_SWAP;
        u.swap = s->swap;
    }
    return u;
}

static struct wire_usage node_usage(const struct node_sample *n)
{
    struct wire_usage u = {0};

    if (n->memory_source != NODE_MEMORY_NONE) {
        u.have |= WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS;
        u.working_set = n->working_set;
        u.rss = n->rss;
    }
    if (n->have_swap) {
        u.have |= WIRE_HAVE_SWAP;
        u.swap = n->swap;
    }
    return u;
}

static bool reported(const struct container *ct)
{
    return !ct->sandbox && ct->has_sample;
}

/* What a shipment carries of a pod: nothing once its directory is gone (see collector.c). */
static size_t reported_count(const struct pod *p)
{
    size_t n = 0;

    if (p->gone) return 0;
    for (const struct container *ct = p->containers; ct; ct = ct->next)
        n += reported(ct);
    return n < WIRE_MAX_CONTAINERS ? n : WIRE_MAX_CONTAINERS;
}

static void add_pod_from(struct ship_snapshot *s, const struct pod *p,
                         const struct cpu_series_params *cp, int64_t cutoff)
{
    struct wire_sample samples[CPU_HISTORY_POINTS + 1];
    struct ship_pod *sp = ship_snapshot_add_pod(s, p->uid, p->namespace_, p->name);

    if (!sp) {
        LOG_RATELIMITED(LOG_WARN, "not shipping pod %s: uid not shippable or too many pods",
                        p->uid);
        return;
    }
    for (const struct container *ct = p->containers; ct; ct = ct->next) {
        struct wire_usage mem;
        size_t n;

        if (!reported(ct)) continue;
        n = recent_samples(ct->cpu, cp, cutoff, samples);
        mem = container_usage(&ct->last);
        struct ship_container *sc =
            ship_snapshot_add_container(s, sp, ct->id, ct->name, samples, n, &mem);
        if (sc)
            sc->signals = ct->signals;
        else
            LOG_RATELIMITED(LOG_WARN, "not shipping container %s of pod %s", ct->id, p->uid);
    }
    sp->network = p->net_window;
    if (sp->ncontainers == 0) s->npods--; /* nothing shippable in it after all */
}

struct ship_snapshot *ship_snapshot_build(const struct collector *c, int64_t history_ns)
{
    struct wire_sample node_samples[CPU_HISTORY_POINTS + 1], scratch[CPU_HISTORY_POINTS + 1];
    struct wire_usage node_mem = {0};
    struct ship_snapshot *s;
    size_t npods = 0, ncontainers = 0, nsamples, nnode;
    int64_t taken = clock_real_ns(), cutoff = taken - history_ns;
    const char *key;
    void *v;

    /* The sample pool is sized to what is shipped (16 points a container at the defaults),
     * not to whole histories (65): it is taken and freed every shipment. */
    nnode = recent_samples(&c->node_cpu, &c->cpu_params, cutoff, node_samples);
    nsamples = nnode;
    for (size_t it = 0; strmap_next(&c->reg.pods, &it, &key, &v);) {
        const struct pod *p = v;
        size_t n = reported_count(p);

        npods += n > 0;
        ncontainers += n;
        for (const struct container *ct = p->containers; n > 0 && ct; ct = ct->next)
            if (reported(ct)) nsamples += recent_samples(ct->cpu, &c->cpu_params, cutoff, scratch);
    }
    if (npods > WIRE_MAX_PODS) npods = WIRE_MAX_PODS;
    s = ship_snapshot_new(npods, ncontainers, nsamples);
    if (!s) return NULL;
    s->taken_real_ns = taken;

    if (c->has_node) node_mem = node_usage(&c->node);
    ship_snapshot_set_node(s, c->has_node ? c->node.capacity_cpus : 0,
                           c->has_node ? c->node.capacity_memory : 0, node_samples, nnode,
                           &node_mem);
    for (size_t it = 0; strmap_next(&c->reg.pods, &it, &key, &v);)
        if (reported_count(v) > 0) add_pod_from(s, v, &c->cpu_params, cutoff);
    ship_snapshot_seal(s);
    return s;
}

struct ship_snapshot *ship_snapshot_ref(struct ship_snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void ship_snapshot_unref(struct ship_snapshot *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    free(s->pods);
    free(s->container_pool);
    free(s->sample_pool);
    free(s);
}

/* ---- changes only ------------------------------------------------------------------------ */

static const struct ship_pod *find_pod(const struct ship_snapshot *s, size_t *j, const char *uid)
{
    while (*j < s->npods && strcmp(s->pods[*j].uid, uid) < 0)
        (*j)++;
    return *j < s->npods && strcmp(s->pods[*j].uid, uid) == 0 ? &s->pods[*j] : NULL;
}

static const struct ship_container *find_container(const struct ship_pod *p, size_t *j,
                                                   const char *id)
{
    if (!p) return NULL;
    while (*j < p->ncontainers && strcmp(p->containers[*j].id, id) < 0)
        (*j)++;
    return *j < p->ncontainers && strcmp(p->containers[*j].id, id) == 0 ? &p->containers[*j] : NULL;
}

/* Whether the aggregator could rate what base shipped of a container (two samples): if not,
 * the container's first rate is a change to ship. */
static bool settled(const struct ship_container *base)
{
    return base && base->nsamples >= 2;
}

struct ship_snapshot *ship_snapshot_changes_only(const struct ship_snapshot *base,
                                                 const struct ship_snapshot *cur)
{
    size_t nsamples = base->node_nsamples, jp = 0;
    struct ship_snapshot *s;

    for (size_t i = 0; i < cur->npods; i++) {
        const struct ship_pod *cp = &cur->pods[i], *bp = find_pod(base, &jp, cp->uid);
        size_t jc = 0;
        for (size_t k = 0; k < cp->ncontainers; k++) {
            const struct ship_container *bc = find_container(bp, &jc, cp->containers[k].id);
            nsamples += settled(bc) ? bc->nsamples : cp->containers[k].nsamples;
        }
    }
    s = ship_snapshot_new(cur->npods, cur->containers_used, nsamples);
    if (!s) return NULL;
    s->taken_real_ns = cur->taken_real_ns;
    ship_snapshot_set_node(s, base->cpu_cores, base->memory_capacity, base->node_samples,
                           base->node_nsamples, &base->node_memory);
    jp = 0;
    for (size_t i = 0; i < cur->npods; i++) {
        const struct ship_pod *cp = &cur->pods[i], *bp = find_pod(base, &jp, cp->uid);
        struct ship_pod *p = ship_snapshot_add_pod(s, cp->uid, cp->namespace_, cp->name);
        size_t jc = 0;

        if (p) p->network = bp ? bp->network : cp->network;
        for (size_t k = 0; p && k < cp->ncontainers; k++) {
            const struct ship_container *cc = &cp->containers[k];
            const struct ship_container *from = find_container(bp, &jc, cc->id);
            struct ship_container *sc;
            if (!settled(from)) from = cc;
            sc = ship_snapshot_add_container(s, p, cc->id, cc->name, from->samples, from->nsamples,
                                             &from->memory);
            if (sc) sc->signals = from->signals;
        }
    }
    /* cur was sealed, and it was copied in its order. */
    return s;
}

/* ---- shipments --------------------------------------------------------------------------- */

/* Samples of a series newer than the newest of its acknowledged version (all without one). */
static void samples_since(const struct wire_sample *s, size_t n, const struct wire_sample *base,
                          size_t nbase, const struct wire_sample **out, size_t *nout)
{
    size_t first = 0;

    if (nbase > 0) {
        int64_t last = base[nbase - 1].real_ns;
        while (first < n && s[first].real_ns <= last)
            first++;
    }
    *out = first < n ? s + first : NULL;
    *nout = n - first;
}

struct builder {
    struct wire_pod *pods;
    size_t npods;
    struct wire_container *containers;
    size_t ncontainers;
};

static bool same_usage(const struct wire_usage *a, const struct wire_usage *b)
{
    return a->have == b->have && a->working_set == b->working_set && a->rss == b->rss &&
           a->swap == b->swap;
}

/* A window is known by when it ended: the collector makes each one once. */
static bool same_signals(const struct wire_signals *a, const struct wire_signals *b)
{
    return a->have == b->have && a->end_real_ns == b->end_real_ns;
}

static bool same_network(const struct wire_network *a, const struct wire_network *b)
{
    return a->source == b->source && a->end_real_ns == b->end_real_ns;
}

/* A container of the delta; one the aggregator already has exactly (no newer sample, the same
 * memory and name: an exited container in its window, or one a changes-only shipment leaves
 * as it was) is left out, which a delta means as "unchanged". */
static void put_container(struct builder *b, const struct ship_container *c,
                          const struct ship_container *base)
{
    struct wire_container *w = &b->containers[b->ncontainers];

    w->id = c->id;
    w->name = c->name;
    samples_since(c->samples, c->nsamples, base ? base->samples : NULL, base ? base->nsamples : 0,
                  &w->samples, &w->nsamples);
    w->memory = c->memory;
    w->signals = c->signals;
    if (base && w->nsamples == 0 && same_usage(&c->memory, &base->memory) &&
        same_signals(&c->signals, &base->signals) && strcmp(c->name, base->name) == 0)
        return;
    b->ncontainers++;
}

static void put_removed_container(struct builder *b, const struct ship_container *base)
{
    b->containers[b->ncontainers++] =
        (struct wire_container){.id = base->id, .name = base->name, .removed = true};
}

/* A live pod: its containers merged with those it had in base (NULL: a new pod). */
static void put_pod(struct builder *b, const struct ship_pod *p, const struct ship_pod *base)
{
    struct wire_pod *w = &b->pods[b->npods++];
    size_t i = 0, j = 0, nbase = base ? base->ncontainers : 0;

    w->uid = p->uid;
    w->namespace_ = p->namespace_;
    w->name = p->name;
    w->containers = &b->containers[b->ncontainers];
    w->network = p->network;
    while (i < p->ncontainers || j < nbase) {
        int cmp = i == p->ncontainers ? 1
                  : j == nbase        ? -1
                                      : strcmp(p->containers[i].id, base->containers[j].id);
        if (cmp < 0)
            put_container(b, &p->containers[i++], NULL);
        else if (cmp > 0)
            put_removed_container(b, &base->containers[j++]);
        else
            put_container(b, &p->containers[i++], &base->containers[j++]);
    }
    w->ncontainers = (size_t)(&b->containers[b->ncontainers] - w->containers);
    /* Nothing new in a pod the aggregator has under the same names: left out as well. */
    if (base && w->ncontainers == 0 && strcmp(p->namespace_, base->namespace_) == 0 &&
        strcmp(p->name, base->name) == 0 && same_network(&p->network, &base->network))
        b->npods--;
}

static void put_removed_pod(struct builder *b, const struct ship_pod *base)
{
    b->pods[b->npods++] = (struct wire_pod){
        .uid = base->uid, .namespace_ = base->namespace_, .name = base->name, .removed = true};
}

int ship_snapshot_encode(const struct ship_snapshot *base, const struct ship_snapshot *cur,
                         const struct ship_meta *m, struct outbuf *out)
{
    size_t i = 0, j = 0, nbase = base ? base->npods : 0;
    size_t pods_cap = cur->npods + nbase;
    size_t containers_cap = cur->containers_used + (base ? base->containers_used : 0);
    struct builder b = {
        .pods = calloc(pods_cap ? pods_cap : 1, sizeof(*b.pods)),
        .containers = calloc(containers_cap ? containers_cap : 1, sizeof(*b.containers)),
    };
    struct wire_shipment s = {
        .version = m->version,
        .flags = base ? 0 : WIRE_FULL,
        .node_name = m->node_name,
        .instance = m->instance,
        .seq = m->seq,
        .base_seq = base ? m->base_seq : 0,
        .sent_ns = m->sent_ns,
        .ship_interval_ms = m->ship_interval_ms,
        .node = {.cpu_cores = cur->cpu_cores,
                 .memory_capacity = cur->memory_capacity,
                 .memory = cur->node_memory},
    };
    int rc;

    if (!b.pods || !b.containers) {
        rc = -ENOMEM;
        goto out;
    }
    samples_since(cur->node_samples, cur->node_nsamples, base ? base->node_samples : NULL,
                  base ? base->node_nsamples : 0, &s.node.samples, &s.node.nsamples);
    while (i < cur->npods || j < nbase) {
        int cmp = i == cur->npods ? 1
                  : j == nbase    ? -1
                                  : strcmp(cur->pods[i].uid, base->pods[j].uid);
        if (cmp < 0)
            put_pod(&b, &cur->pods[i++], NULL);
        else if (cmp > 0)
            put_removed_pod(&b, &base->pods[j++]);
        else
            put_pod(&b, &cur->pods[i++], &base->pods[j++]);
    }
    s.pods = b.pods;
    s.npods = b.npods;
    rc = wire_encode(&s, out);
out:
    free(b.pods);
    free(b.containers);
    return rc;
}
