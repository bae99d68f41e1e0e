#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* At a million containers each byte of their record is a MiB. */
_Static_assert(sizeof(struct store_container) <= 128, "a container record grew");

/* --- series ------------------------------------------------------------------------------- */

static void node_series_add_all(struct store *s, struct node_series *ser,
                                const struct wire_sample *samples, size_t n)
{
    bool reset;

    for (size_t i = 0; i < n; i++)
        cpu_series_add(
            &ser->s, ser->ring, &s->cpu_params,
            (struct cpu_point){.t_ns = samples[i].real_ns, .usage_usec = samples[i].usage_usec},
            &reset);
}

/* Rates are computed when samples arrive (every ship interval) rather than on every read. */
static void node_refresh_rate(const struct store *s, const struct node_series *ser,
                              struct store_rate *r)
{
    struct cpu_rate rate;

    if (!cpu_series_rate(&ser->s, ser->ring, &s->cpu_params, s->window_ns, &rate)) {
        memset(r, 0, sizeof(*r));
        return;
    }
    r->nanocores = rate.nanocores;
    r->window_ns = rate.window_ns;
    r->end_ns = rate.end_ns;
}

/* --- lifetime ----------------------------------------------------------------------------- */

void store_init(struct store *s, int64_t window_ns, int64_t node_expiry_ns)
{
    memset(s, 0, sizeof(*s));
    s->window_ns = window_ns;
    /* STORE_POINTS - 2 gaps span the window, one point spare for jitter; see cpu_series.h for
     * why the aggregator accepts a start 10 % older than the window. */
    s->cpu_params = (struct cpu_series_params){
        .capacity = STORE_POINTS,
        .spacing_ns = cpu_series_spacing(window_ns, STORE_POINTS, 2, 0),
        .slack_pct = 10,
    };
    s->series_params = (struct store_series_params){
        .spacing_us = s->cpu_params.spacing_ns / 1000,
        .window_us = window_ns / 1000,
        .slack_pct = 10,
    };
    s->node_expiry_ns = node_expiry_ns;
    strmap_init(&s->nodes);
    pod_index_init(&s->pods, POD_BY_NAME);
    pod_index_init(&s->uids, POD_BY_UID);
    signal_index_init(&s->signals);
    strmap_init(&s->names);
}

/* Interned container names: the count of users sits before the characters. */
struct interned {
    size_t refs;
    char s[];
};

static const char *intern(struct store *s, const char *name)
{
    struct interned *in = strmap_get(&s->names, name);

    if (!in) {
        size_t len = strlen(name);
        in = malloc(sizeof(*in) + len + 1);
        if (!in) return NULL;
        in->refs = 0;
        memcpy(in->s, name, len + 1);
        if (strmap_put(&s->names, in->s, in)) {
            free(in);
            return NULL;
        }
    }
    in->refs++;
    return in->s;
}

static void unintern(struct store *s, const char *name)
{
    struct interned *in;

    if (!name) return;
    in = strmap_get(&s->names, name);
    if (in && --in->refs == 0) {
        strmap_del(&s->names, name);
        free(in);
    }
}

static void container_clear(struct store *s, struct store_container *c)
{
    unintern(s, c->name);
}

static void pod_unindex(struct store *s, struct store_pod *p)
{
    s->membership_gen++;
    if (p->named) pod_index_del(&s->pods, p);
    pod_index_del(&s->uids, p);
}

static void pod_free(struct store *s, struct store_pod *p)
{
    struct store_container *cs = store_pod_containers(p);

    pod_unindex(s, p);
    for (size_t i = 0; i < p->ncontainers; i++)
        container_clear(s, &cs[i]);
    s->ncontainers -= p->ncontainers;
    p->node->ncontainers -= p->ncontainers;
    s->npods--;
    p->node->npods--;
    unintern(s, p->namespace_);
    signal_index_del(&s->signals, p->uid);
    free(p);
}

static void node_remove_pod(struct store *s, struct store_node *n, struct store_pod *p)
{
    for (struct store_pod **pp = &n->pods; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    pod_free(s, p);
}

static void node_free(struct store *s, struct store_node *n)
{
    while (n->pods)
        node_remove_pod(s, n, n->pods);
    if (strmap_get(&s->nodes, n->name) == n) strmap_del(&s->nodes, n->name);
    free(n->name);
    free(n);
}

void store_done(struct store *s)
{
    const char *k;
    void *v;

    for (size_t it = 0; strmap_next(&s->nodes, &it, &k, &v);)
        node_free(s, v);
    strmap_done(&s->nodes);
    pod_index_done(&s->pods);
    pod_index_done(&s->uids);
    signal_index_done(&s->signals); /* empty: each record went with its pod */
    strmap_done(&s->names);         /* empty: every name was released with its container or pod */
    free(s->sorted);
}

static int cmp_pod_key(const void *a, const void *b)
{
    const struct store_pod *x = *(struct store_pod *const *)a, *y = *(struct store_pod *const *)b;
    int c = strcmp(x->namespace_, y->namespace_);
    return c ? c : strcmp(x->name, y->name);
}

struct store_pod *const *store_sorted_pods(struct store *s, const char *ns, size_t *n)
{
    struct store_pod *p;
    size_t lo, hi;

    if (!s->sorted || s->sorted_gen != s->membership_gen) {
        struct store_pod **arr = realloc(s->sorted, (s->pods.len + 1) * sizeof(*arr));
        if (!arr) {
            *n = 0;
            return NULL;
        }
        s->sorted = arr;
        s->nsorted = 0;
        for (size_t it = 0; (p = pod_index_next(&s->pods, &it));)
            s->sorted[s->nsorted++] = p;
        qsort(s->sorted, s->nsorted, sizeof(*s->sorted), cmp_pod_key);
        s->sorted_gen = s->membership_gen;
    }
    if (!ns) {
        *n = s->nsorted;
        return s->sorted;
    }
    /* The namespace's pods are one contiguous run: find its bounds by binary search. */
    lo = 0;
    hi = s->nsorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->sorted[mid]->namespace_, ns) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    hi = lo;
    while (hi < s->nsorted && strcmp(s->sorted[hi]->namespace_, ns) == 0)
        hi++;
    *n = hi - lo;
    return s->sorted + lo;
}

/* --- applying shipments ------------------------------------------------------------------- */

static struct store_node *node_get_or_create(struct store *s, const char *name, int64_t now_real)
{
    struct store_node *n = strmap_get(&s->nodes, name);

    if (n) return n;
    n = calloc(1, sizeof(*n));
    if (!n || !(n->name = strdup(name)) || strmap_put(&s->nodes, n->name, n)) {
        if (n) free(n->name);
        free(n);
        return NULL;
    }
    n->first_seen_ns = now_real;
    return n;
}

/* Pod uids are a canonical UUID or 32 hex (the wire decoder checked): 16 bytes either way. */
static bool uid_parse(const char *uid, uint8_t out[16], bool *dashed)
{
    char hex[32];
    size_t n = 0;

    *dashed = strlen(uid) == 36;
    for (const char *c = uid; *c && n < sizeof(hex); c++)
        if (*c != '-') hex[n++] = *c;
    return n == sizeof(hex) && hex_decode(hex, 16, out);
}

void store_pod_uid(const struct store_pod *p, char out[WIRE_UID_MAX + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;

    for (unsigned i = 0; i < 16; i++) {
        if (p->uid_dashed && (i == 4 || i == 6 || i == 8 || i == 10)) out[o++] = '-';
        out[o++] = digits[p->uid[i] >> 4];
        out[o++] = digits[p->uid[i] & 15];
    }
    out[o] = '\0';
}

const struct store_pod_signals *store_pod_signals(const struct store *s, const struct store_pod *p)
{
    return signal_index_get(&s->signals, p->uid);
}

struct store_pod *store_find_pod(const struct store *s, const char *ns, const char *name)
{
    return pod_index_by_name(&s->pods, ns, name);
}

/* Looks up a named pod's labels (by namespace/name, and by uid when it was sent as a UUID),
 * none without an index or a matching API object. */
static void pod_lookup_labels(const struct store *s, struct store_pod *p)
{
    const struct label_view *labels = NULL;
    size_t n = 0;

    if (s->labels && p->named)
        label_index_pod_bin(s->labels, p->namespace_, p->name, p->uid_dashed ? p->uid : NULL,
                            &labels, &n);
    p->labels = labels;
    p->nlabels = (uint32_t)n;
}

/* The pod at p's place in the sorted list, when that list is current and holds it. */
static struct store_pod **sorted_slot(const struct store *s, const struct store_pod *p)
{
    size_t lo = 0, hi = s->nsorted;

    if (!s->sorted || s->sorted_gen != s->membership_gen || !p->named) return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_pod_key(&s->sorted[mid], &p);
        if (c == 0) return s->sorted[mid] == p ? &s->sorted[mid] : NULL;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* np, a copy of p in a new allocation, takes p's place in the uid index, the name index (if p
 * holds its name), the sorted list and its node's list; p is freed. */
static void pod_replace(struct store *s, struct store_pod *p, struct store_pod *np)
{
    struct store_pod **slot = sorted_slot(s, p);

    pod_index_put(&s->uids, np); /* same key: replaced in place, the table does not grow */
    if (p->named && pod_index_by_name(&s->pods, p->namespace_, p->name) == p)
        pod_index_put(&s->pods, np);
    if (slot) *slot = np;
    for (struct store_pod **pp = &p->node->pods; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = np;
            break;
        }
    free(p);
}

/* A pod with the wire pod's names: p itself when they did not change, else a new allocation
 * (the name is inline) that takes p's place everywhere; NULL on allocation failure, p then
 * unchanged. */
static struct store_pod *pod_set_names(struct store *s, struct store_pod *p,
                                       const struct wire_pod *wp)
{
    size_t ml = strlen(wp->name), nc = p ? p->ncontainers : 0;
    const char *ns;
    struct store_pod *np;

    if (p && strcmp(p->namespace_, wp->namespace_) == 0 && strcmp(p->name, wp->name) == 0) return p;
    if (ml > UINT8_MAX || !(ns = intern(s, wp->namespace_))) return NULL;
    np = malloc(store_pod_containers_offset(ml) + nc * sizeof(struct store_container));
    if (!np) {
        unintern(s, ns);
        return NULL;
    }
    if (p) {
        memcpy(np, p, sizeof(*np));
        np->name_len = (uint8_t)ml;
        memcpy(store_pod_containers(np), store_pod_containers(p),
               nc * sizeof(struct store_container));
        if (p->named) pod_index_del(&s->pods, p);
        np->named = false; /* out of the name index until put back below */
        pod_replace(s, p, np);
        unintern(s, np->namespace_);
    } else {
        memset(np, 0, sizeof(*np));
    }
    np->namespace_ = ns;
    np->name_len = (uint8_t)ml;
    memcpy(np->name, wp->name, ml + 1);
    np->named = ns[0] && ml;
    s->membership_gen++;
    np->labels = NULL;
    np->nlabels = 0;
    if (np->named) {
        /* A newer pod with the same namespace/name (a recreated StatefulSet pod) takes over;
         * the one it displaces is no longer served, nor told of label changes. */
        struct store_pod *old = pod_index_by_name(&s->pods, np->namespace_, np->name);
        if (pod_index_put(&s->pods, np)) {
            np->named = false;
        } else if (old) {
            old->labels = NULL;
            old->nlabels = 0;
        }
    }
    return np;
}

static struct store_pod *pod_get_or_create(struct store *s, struct store_node *n,
                                           const struct wire_pod *wp)
{
    uint8_t uid[16];
    bool dashed;
    struct store_pod *p;

    if (!uid_parse(wp->uid, uid, &dashed)) return NULL;
    p = pod_index_by_uid(&s->uids, uid);
    if (p && p->node != n) {
        /* The pod moved (or a stale node still claims it): the newest shipment owns it. */
        node_remove_pod(s, p->node, p);
        p = NULL;
    }
    if (p) {
        struct store_pod *np = pod_set_names(s, p, wp);
        if (np && np != p) pod_lookup_labels(s, np);
        return np;
    }
    if (!(p = pod_set_names(s, NULL, wp))) return NULL;
    memcpy(p->uid, uid, 16);
    p->uid_dashed = dashed;
    pod_lookup_labels(s, p);
    p->node = n;
    if (pod_index_put(&s->uids, p)) {
        if (p->named) pod_index_del(&s->pods, p);
        unintern(s, p->namespace_);
        free(p);
        return NULL;
    }
    p->next = n->pods;
    n->pods = p;
    n->npods++;
    s->npods++;
    return p;
}

static void pod_remove_container(struct store *s, struct store_pod *p, size_t i)
{
    struct store_container *cs = store_pod_containers(p);

    container_clear(s, &cs[i]);
    cs[i] = cs[p->ncontainers - 1];
    p->ncontainers--; /* the allocation keeps its room: a pod rarely shrinks for long */
    p->node->ncontainers--;
    s->ncontainers--;
}

/* What a container is known by (struct store_container's id_hash). */
static uint64_t container_key(const char *hex_id)
{
    uint8_t id[WIRE_ID_LEN / 2];
    uint64_t w[4], h;

    hex_decode(hex_id, sizeof(id), id); /* 64 hex: the wire decoder checked */
    memcpy(w, id, sizeof(w));
    /* Every bit of the id reaches the hash (independent multiplies: cheap per sample). */
    h = w[0] * 0x9e3779b97f4a7c15ull + w[1] * 0xc2b2ae3d27d4eb4full + w[2] * 0x165667b19e3779f9ull +
        w[3] * 0xd6e8feb86659fd93ull;
    return h ^ h >> 32;
}

/* The name a container is served by: the runtime's, or for one it did not name
 * "container-" and the first 12 hex digits of its id (distinct and stable). */
static const char *container_served_name(const struct wire_container *wc,
                                         char buf[sizeof("container-") + 12])
{
    if (wc->name[0]) return wc->name;
    memcpy(buf, "container-", 10);
    memcpy(buf + 10, wc->id, 12);
    buf[22] = '\0';
    return buf;
}

/* The pod's container with wc's id; with create, a new one when there is none, *pp then
 * possibly moved to a larger allocation. NULL when absent (or on allocation failure). */
static struct store_container *pod_container(struct store *s, struct store_pod **pp,
                                             const struct wire_container *wc, bool create)
{
    struct store_pod *p = *pp, *np;
    struct store_container *cs = store_pod_containers(p), *c;
    uint64_t key = container_key(wc->id);
    char generated[sizeof("container-") + 12];
    size_t head = store_pod_containers_offset(p->name_len);
    const char *name;

    for (size_t i = 0; i < p->ncontainers; i++)
        if (cs[i].id_hash == key) return &cs[i];
    if (!create || p->ncontainers >= UINT16_MAX) return NULL;
    if (!(name = intern(s, container_served_name(wc, generated)))) return NULL;
    /* Exactly sized: the pod and its containers are one allocation, so it moves. */
    np = malloc(head + (p->ncontainers + 1u) * sizeof(*c));
    if (!np) {
        unintern(s, name);
        return NULL;
    }
    memcpy(np, p, head + p->ncontainers * sizeof(*c));
    pod_replace(s, p, np);
    *pp = np;
    c = &store_pod_containers(np)[np->ncontainers];
    memset(c, 0, sizeof(*c));
    c->id_hash = key;
    c->name = name;
    store_series_init(&c->cpu);
    np->ncontainers++;
    np->node->ncontainers++;
    s->ncontainers++;
    return c;
}

/* --- signals (wire version 2) ------------------------------------------------------------- */

static uint32_t add_sat32(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* Adds one container's window to the pod's combination. */
static void signals_combine(struct store_signal_window *g, const struct wire_signals *w)
{
    g->have |= (uint8_t)w->have;
    if (w->window_ms > g->window_ms) g->window_ms = w->window_ms;
    if (w->end_real_ns > g->end_real_ns) g->end_real_ns = w->end_real_ns;
    for (int k = 0; k < WIRE_PRESSURES; k++) {
        g->stall_some_usec[k] = max32(g->stall_some_usec[k], w->stall_some_usec[k]);
        g->stall_full_usec[k] = max32(g->stall_full_usec[k], w->stall_full_usec[k]);
    }
    g->periods = add_sat32(g->periods, w->periods);
    g->throttled_periods = add_sat32(g->throttled_periods, w->throttled_periods);
    g->throttled_usec = add_sat32(g->throttled_usec, w->throttled_usec);
    g->oom_kills = add_sat32(g->oom_kills, w->oom_kills);
    g->oom_kills_total = add_sat32(g->oom_kills_total, w->oom_kills_total);
    g->runq_waits = add_sat32(g->runq_waits, w->runq_waits);
    g->runq_p50_us = max32(g->runq_p50_us, w->runq_p50_us);
    g->runq_p99_us = max32(g->runq_p99_us, w->runq_p99_us);
}

/* What the wire pod brings that is newer than what the pod holds: its containers' newest
 * windows, combined, and its traffic. A delta names every container whose window is new, and
 * a collector reads all of a pod's containers on the same tick, so the newest windows (those
 * ending within half a window of the newest) are the whole pod's. */
static int apply_pod_signals(struct store *s, struct store_pod *p, const struct wire_pod *wp)
{
    struct store_pod_signals *sg = signal_index_get(&s->signals, p->uid);
    const struct wire_network *net = &wp->network;
    int64_t newest = 0, slack = 0;
    bool containers_newer, net_newer;

    for (size_t i = 0; i < wp->ncontainers; i++) {
        const struct wire_signals *w = &wp->containers[i].signals;
        if (!wp->containers[i].removed && w->have && w->end_real_ns > newest) {
            newest = w->end_real_ns;
            slack = (int64_t)w->window_ms * 500000; /* half the window, in ns */
        }
    }
    containers_newer = newest && (!sg || newest > sg->w.end_real_ns);
    /* hostNetwork without figures has no window: it is news whenever it is said. */
    net_newer = net->source != WIRE_NET_NONE && (!wire_network_has_figures(net->source) || !sg ||
                                                 net->end_real_ns >= sg->net.end_real_ns);
    if (!containers_newer && !net_newer) return 0;
    if (!sg && !(sg = signal_index_get_or_add(&s->signals, p->uid))) return -ENOMEM;
    if (containers_newer) {
        struct store_signal_window g = {0};
        for (size_t i = 0; i < wp->ncontainers; i++) {
            const struct wire_signals *w = &wp->containers[i].signals;
            if (!wp->containers[i].removed && w->have && w->end_real_ns > newest - slack)
                signals_combine(&g, w);
        }
        sg->w = g;
    }
    if (net_newer)
        sg->net = (struct store_traffic){.end_real_ns = net->end_real_ns,
                                         .window_ms = net->window_ms,
                                         .source = (uint8_t)net->source,
                                         .rx_bytes = net->rx_bytes,
                                         .tx_bytes = net->tx_bytes,
                                         .rx_packets = sat32(net->rx_packets),
                                         .rx_drops = sat32(net->rx_drops),
                                         .tx_packets = sat32(net->tx_packets),
                                         .tx_drops = sat32(net->tx_drops)};
    return 0;
}

static int apply_pod(struct store *s, struct store_node *n, const struct wire_pod *wp, bool full)
{
    struct store_pod *p;

    if (wp->removed) {
        uint8_t uid[16];
        bool dashed;
        p = uid_parse(wp->uid, uid, &dashed) ? pod_index_by_uid(&s->uids, uid) : NULL;
        if (p && p->node == n) node_remove_pod(s, n, p);
        return 0;
    }
    p = pod_get_or_create(s, n, wp);
    if (!p) return -ENOMEM;
    p->listed = true;
    for (size_t i = 0; i < wp->ncontainers; i++) {
        const struct wire_container *wc = &wp->containers[i];
        struct store_container *c = pod_container(s, &p, wc, !wc->removed);
        char generated[sizeof("container-") + 12];
        const char *want;

        if (wc->removed) {
            if (c) pod_remove_container(s, p, (size_t)(c - store_pod_containers(p)));
            continue;
        }
        if (!c) return -ENOMEM;
        want = container_served_name(wc, generated);
        if (strcmp(c->name, want) != 0) {
            const char *nm = intern(s, want);
            if (!nm) return -ENOMEM;
            unintern(s, c->name);
            c->name = nm;
        }
        for (size_t k = 0; k < wc->nsamples; k++)
            store_series_add(&c->cpu, &s->series_params, wc->samples[k].real_ns,
                             wc->samples[k].usage_usec);
        store_series_refresh_rate(&c->cpu, &s->series_params);
        c->working_set =
            wc->memory.have & WIRE_HAVE_WORKING_SET ? wc->memory.working_set : STORE_NOT_MEASURED;
        c->swap = wc->memory.have & WIRE_HAVE_SWAP ? wc->memory.swap : STORE_NOT_MEASURED;
    }
    if (full) {
        /* A snapshot lists every live container: the rest are gone. */
        for (size_t i = p->ncontainers; i-- > 0;) {
            bool listed = false;
            uint64_t key = store_pod_containers(p)[i].id_hash;
            for (size_t j = 0; j < wp->ncontainers && !listed; j++)
                listed = container_key(wp->containers[j].id) == key;
            if (!listed) pod_remove_container(s, p, i);
        }
    }
    return apply_pod_signals(s, p, wp);
}

static uint64_t n_last_seq(const struct store_node *n)
{
    return n ? n->last_seq : 0;
}

void store_count_by_source(const struct store *s, size_t *nodes, size_t *pods)
{
    const char *k;
    void *v;

    memset(nodes, 0, STORE_SOURCES * sizeof(*nodes));
    memset(pods, 0, STORE_SOURCES * sizeof(*pods));
    for (size_t it = 0; strmap_next(&s->nodes, &it, &k, &v);) {
        const struct store_node *n = v;
        nodes[n->source]++;
        pods[n->source] += n->npods;
    }
}

const struct store_node *store_node_get(const struct store *s, const char *name)
{
    return strmap_get(&s->nodes, name);
}

int store_apply(struct store *s, const struct wire_shipment *ship, int64_t now_mono_ns,
                enum store_apply_result *result)
{
    return store_apply_from(s, ship, STORE_SOURCE_COLLECTOR, now_mono_ns, result);
}

int store_apply_from(struct store *s, const struct wire_shipment *ship, enum store_source source,
                     int64_t now_mono_ns, enum store_apply_result *result)
{
    bool full = ship->flags & WIRE_FULL;
    struct store_node *n = strmap_get(&s->nodes, ship->node_name);

    if (!full) {
        if (ship->seq <= n_last_seq(n) && n && n->instance == ship->instance) {
            *result = STORE_DUPLICATE;
            return 0;
        }
        /* A delta must follow exactly what we hold: after a lost acknowledgement the
         * collector's base is older, and its delta could miss a container that came and went
         * in between. A full snapshot settles it. */
        if (!n || n->instance != ship->instance || ship->base_seq != n->last_seq) {
            s->stats.resyncs_requested++;
            *result = STORE_NEED_FULL;
            return 0;
        }
    }
    n = node_get_or_create(s, ship->node_name, ship->sent_ns);
    if (!n) return -ENOMEM;
    if (full && n->instance != ship->instance) {
        /* A new collector: its history starts now; drop what the old one said. */
        while (n->pods)
            node_remove_pod(s, n, n->pods);
    }
    n->instance = ship->instance;
    n->source = (uint8_t)source;
    n->last_seq = ship->seq;
    n->last_ship_mono_ns = now_mono_ns;
    n->expiry_ns =
        ship->ship_interval_ms ? 3 * (int64_t)ship->ship_interval_ms * 1000000 : s->node_expiry_ns;
    n->cpu_cores = ship->node.cpu_cores;
    n->memory_capacity = ship->node.memory_capacity;
    n->memory = ship->node.memory;
    node_series_add_all(s, &n->cpu, ship->node.samples, ship->node.nsamples);
    node_refresh_rate(s, &n->cpu, &n->rate);

    for (struct store_pod *p = n->pods; p; p = p->next)
        p->listed = false;
    for (size_t i = 0; i < ship->npods; i++) {
        if (apply_pod(s, n, &ship->pods[i], full)) {
            node_free(s, n); /* never leave a node half-applied */
            return -ENOMEM;
        }
    }
    if (full) {
        /* A snapshot lists every live pod: the rest are gone. */
        for (struct store_pod *p = n->pods, *next; p; p = next) {
            next = p->next;
            if (!p->listed) node_remove_pod(s, n, p);
        }
    }
    *result = STORE_APPLIED;
    return 0;
}

void store_node_drop(struct store *s, const char *name)
{
    struct store_node *n = strmap_get(&s->nodes, name);

    if (n) node_free(s, n);
}

void store_node_keep(struct store *s, const char *name, int64_t until_mono_ns)
{
    struct store_node *n = strmap_get(&s->nodes, name);

    if (n && until_mono_ns > n->keep_until_mono_ns) n->keep_until_mono_ns = until_mono_ns;
}

size_t store_expire(struct store *s, int64_t now_mono_ns)
{
    const char *k;
    void *v;
    size_t dropped = 0;

    for (size_t it = 0; strmap_next(&s->nodes, &it, &k, &v);) {
        struct store_node *n = v;
        if (now_mono_ns - n->last_ship_mono_ns > n->expiry_ns &&
            now_mono_ns >= n->keep_until_mono_ns) {
            node_free(s, n);
            dropped++;
        }
    }
    s->stats.nodes_dropped_stale += dropped;
    return dropped;
}

/* --- labels ------------------------------------------------------------------------------- */

void store_pod_labels(const struct store *s, const struct store_pod *p,
                      const struct label_view **labels, size_t *nlabels)
{
    (void)s;
    *labels = p->labels;
    *nlabels = p->nlabels;
}

void store_set_label_index(struct store *s, const struct label_index *li)
{
    struct store_pod *p;

    s->labels = li;
    for (size_t it = 0; (p = pod_index_next(&s->pods, &it));)
        pod_lookup_labels(s, p);
}

void store_labels_changed(struct store *s, enum label_kind kind, const char *key)
{
    const char *slash = strchr(key, '/');
    char ns[WIRE_LABEL_MAX + 1];
    struct store_pod *p;

    if (kind != LABEL_POD || !slash || (size_t)(slash - key) >= sizeof(ns)) return;
    memcpy(ns, key, (size_t)(slash - key));
    ns[slash - key] = '\0';
    if ((p = pod_index_by_name(&s->pods, ns, slash + 1))) pod_lookup_labels(s, p);
}

/* --- views -------------------------------------------------------------------------------- */

/* Containers of one pod are sampled in the same collector tick, microseconds apart; one whose
 * newest sample is older than its pod's by more than this has stopped. */
#define EXITED_SLACK_NS 50000000

bool store_node_selected(const struct store *s, const struct store_node *n)
{
    return store_node_name_selected(s, n->name);
}

bool store_node_name_selected(const struct store *s, const char *name)
{
    const struct label_view *labels = NULL;
    size_t nlabels = 0;

    if (!s->node_selector) return true;
    if (s->labels) label_index_node(s->labels, name, &labels, &nlabels);
    return selector_matches_labels(s->node_selector, labels, nlabels);
}

bool store_node_view(const struct store *s, const struct store_node *n,
                     struct node_metrics_view *out)
{
    if (n->rate.window_ns == 0 || !store_node_selected(s, n)) return false;
    memset(out, 0, sizeof(*out));
    out->meta.name = n->name;
    if (s->labels) label_index_node(s->labels, n->name, &out->meta.labels, &out->meta.nlabels);
    out->timestamp_ns = n->rate.end_ns;
    out->window_ns = n->rate.window_ns;
    out->usage.cpu_nanocores = n->rate.nanocores;
    out->usage.memory_bytes = n->memory.have & WIRE_HAVE_WORKING_SET ? n->memory.working_set : 0;
    out->usage.has_swap = n->memory.have & WIRE_HAVE_SWAP;
    out->usage.swap_bytes = n->memory.swap;
    return true;
}

static void container_memory(const struct store_container *c, struct usage_view *u)
{
    u->memory_bytes = c->working_set != STORE_NOT_MEASURED ? c->working_set : 0;
    u->has_swap = c->swap != STORE_NOT_MEASURED;
    u->swap_bytes = u->has_swap ? c->swap : 0;
}

bool store_pod_view(const struct store *s, const struct store_pod *p,
                    struct container_metrics_view *containers, struct pod_metrics_view *out)
{
    const struct store_container *cs = store_pod_containers(p);
    size_t n = 0;
    int64_t newest = 0, window = 0;

    /* Rates were computed when the samples arrived. */
    if (!p->named) return false; /* nothing named it: it cannot be addressed through the API */
    if (!store_node_selected(s, p->node)) return false;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < p->ncontainers; i++) {
        int64_t w, end;
        if (store_series_span(&cs[i].cpu, &w, &end) && end > newest) {
            newest = end;
            window = w;
        }
    }
    for (size_t i = 0; i < p->ncontainers; i++) {
        const struct store_container *c = &cs[i];
        struct store_series_rate rate;
        uint64_t cpu;
        bool gone;
        size_t j;

        /* A container without a rate yet is left out; its pod is still served. */
        if (!store_series_rate(&c->cpu, &rate)) continue;
        cpu = rate.nanocores;
        /* A container whose samples stopped before its pod's newest (it exited: the collector
         * ships its last figures for a while) counts only for the CPU it used inside the
         * pod's window, so a restart or a finished job does not add its old rate on top of
         * the new container's, and its memory is no longer in use. */
        /* Not for a kubelet's figures: it samples each container on its own schedule (its
         * stamps lie up to a housekeeping interval apart) and lists only live containers. */
        gone = p->node->source != STORE_SOURCE_KUBELET && newest - rate.end_ns > EXITED_SLACK_NS;
        if (gone) {
            int64_t from = rate.end_ns - rate.window_ns, lo = newest - window;
            int64_t inside = rate.end_ns - (from > lo ? from : lo);
            if (inside <= 0) continue; /* ended before the window: nothing to show */
            cpu = (uint64_t)((double)rate.nanocores * (double)inside / (double)window);
        }
        /* One entry per container name: a restarted container's runs are summed. Names are
         * interned, so equal names are the same pointer. */
        for (j = 0; j < n && containers[j].name != c->name; j++)
            ;
        if (j < n) {
            containers[j].usage.cpu_nanocores += cpu;
            if (!gone) container_memory(c, &containers[j].usage);
            continue;
        }
        containers[n].name = c->name;
        memset(&containers[n].usage, 0, sizeof(containers[n].usage));
        containers[n].usage.cpu_nanocores = cpu;
        if (!gone) container_memory(c, &containers[n].usage);
        n++;
    }
    out->timestamp_ns = newest;
    out->window_ns = window;
    if (n == 0) return false;
    /* Stable output: containers sorted by name (insertion sort; pods have a handful). */
    for (size_t i = 1; i < n; i++) {
        struct container_metrics_view tmp = containers[i];
        size_t j = i;
        for (; j > 0 && strcmp(containers[j - 1].name, tmp.name) > 0; j--)
            containers[j] = containers[j - 1];
        containers[j] = tmp;
    }
    out->meta.name = p->name;
    out->meta.namespace_ = p->namespace_;
    /* creation_ns 0: the time of the request, as metrics-server sets it. */
    out->meta.labels = p->labels;
    out->meta.nlabels = p->nlabels;
    out->containers = containers;
    out->ncontainers = n;
    return true;
}
