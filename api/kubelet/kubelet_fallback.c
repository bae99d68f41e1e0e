/* Which nodes are scraped at their kubelets, and their scrapes into the store
 * (kubelet_fallback.h). */
#include "kubelet_fallback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "random.h"
#include "strmap.h"

#include "kubelet_shipment.h"

enum served { SERVED_NONE, SERVED_COLLECTOR, SERVED_KUBELET };

struct fb_node {
    char name[NODE_ADDRESS_HOST_MAX + 1]; /* the table's key */
    bool has_endpoint;
    struct node_endpoint ep;
    uint32_t mark; /* relist generation last seen in */
    bool gone;     /* deleted while its scrape was in flight: freed when it returns */
    bool in_flight;
    uint64_t ticket; /* of the scrape in flight: a late answer for an older one is ignored */
    int64_t next_due_ns;
    /* The scrape session: its instance (0: none) and last sequence number. */
    uint64_t instance, seq;
    /* A session's first scrape, held back until one with newer samples can make rates with
     * it (a silent collector's figures are served meanwhile). */
    bool has_held;
    struct kubelet_metrics held;
    int64_t held_real_ns;
    unsigned held_waits; /* scrapes that brought no newer sample since */
    enum served logged;  /* the source last logged */
    enum kubelet_scrape_reason last_reason;
    bool warned_no_endpoint;
};

struct kubelet_fallback {
    struct kubelet_fallback_config cfg;
    struct store *store;
    struct kubelet_scraper *scraper;
    struct strmap nodes; /* name -> fb_node */
    uint32_t gen;
    uint64_t next_ticket;
    uint64_t rng;
    struct kubelet_fallback_stats stats;
};

/* --- nodes -------------------------------------------------------------------------------- */

static void drop_held(struct fb_node *fn)
{
    if (fn->has_held) kubelet_metrics_done(&fn->held);
    fn->has_held = false;
    fn->held_waits = 0;
}

static void node_free(struct kubelet_fallback *fb, struct fb_node *fn)
{
    strmap_del(&fb->nodes, fn->name);
    drop_held(fn);
    free(fn);
}

static void end_session(struct kubelet_fallback *fb, struct fb_node *fn);

/* Deleted: at once, or when its scrape in flight returns. Figures its kubelet gave are
 * dropped with it (metrics-server stops serving a deleted node at once too); a collector's
 * stay until they expire, as they always have. */
static void node_delete(struct kubelet_fallback *fb, struct fb_node *fn)
{
    const struct store_node *n = store_node_get(fb->store, fn->name);

    if (n && n->source == STORE_SOURCE_KUBELET) store_node_drop(fb->store, fn->name);
    end_session(fb, fn);
    if (fn->in_flight) {
        fn->gone = true;
        fn->has_endpoint = false;
        return;
    }
    node_free(fb, fn);
}

/* The first scrape of a node is spread over the first second (a thousand nodes at start do
 * not all go at once); later ones every resolution, give or take 5 %. */
static int64_t jitter(struct kubelet_fallback *fb, int64_t span_ns)
{
    return span_ns > 0 ? (int64_t)(random_next(&fb->rng) % (uint64_t)span_ns) : 0;
}

void kubelet_fallback_on_node(void *arg, enum kube_node_change change, const char *name,
                              const struct node_endpoint *ep, const char *why)
{
    struct kubelet_fallback *fb = arg;
    struct fb_node *fn;
    const char *k;
    void *v;

    switch (change) {
    case KUBE_NODE_RELIST_BEGIN:
        fb->gen++;
        return;
    case KUBE_NODE_RELIST_END:
        for (size_t it = 0; strmap_next(&fb->nodes, &it, &k, &v);) {
            fn = v;
            if (fn->mark != fb->gen && !fn->gone) node_delete(fb, fn);
        }
        return;
    case KUBE_NODE_DELETE:
        if ((fn = strmap_get(&fb->nodes, name)) && !fn->gone) node_delete(fb, fn);
        return;
    case KUBE_NODE_UPSERT:
        break;
    }
    if (strlen(name) > NODE_ADDRESS_HOST_MAX) return; /* not a node name: the watch checked */
    fn = strmap_get(&fb->nodes, name);
    if (!fn) {
        if (!(fn = calloc(1, sizeof(*fn)))) {
            log_error("kubelet fallback: out of memory: node %s is not scraped", name);
            return;
        }
        snprintf(fn->name, sizeof(fn->name), "%s", name);
        kubelet_metrics_init(&fn->held);
        fn->next_due_ns = clock_mono_ns() + jitter(fb, 1000000000);
        if (strmap_put(&fb->nodes, fn->name, fn)) {
            free(fn);
            log_error("kubelet fallback: out of memory: node %s is not scraped", name);
            return;
        }
    }
    fn->gone = false;
    fn->mark = fb->gen;
    if (ep) {
        if (!fn->has_endpoint || strcmp(fn->ep.host, ep->host) || fn->ep.port != ep->port) {
            log_info("node %s: kubelet at %s%s%s:%u", name, ep->ipv6 ? "[" : "", ep->host,
                     ep->ipv6 ? "]" : "", (unsigned)ep->port);
            if (fn->has_endpoint) kubelet_scraper_forget(fb->scraper, &fn->ep); /* moved */
        }
        fn->ep = *ep;
        fn->has_endpoint = true;
    } else {
        if (fn->has_endpoint || !fn->warned_no_endpoint)
            log_warn("node %s: its kubelet cannot be scraped: %s", name, why ? why : "no address");
        if (fn->has_endpoint) kubelet_scraper_forget(fb->scraper, &fn->ep);
        fn->has_endpoint = false;
        fn->warned_no_endpoint = true; /* logged once */
    }
}

/* --- sources ------------------------------------------------------------------------------ */

static int64_t grace_of(const struct kubelet_fallback *fb, const struct store_node *n)
{
    return fb->cfg.grace_ns ? fb->cfg.grace_ns : 2 * n->expiry_ns / 3;
}

static bool collector_fresh(const struct kubelet_fallback *fb, const struct store_node *n,
                            int64_t now)
{
    return n && n->source == STORE_SOURCE_COLLECTOR &&
           now - n->last_ship_mono_ns <= grace_of(fb, n);
}

static enum served served_by(const struct store_node *n)
{
    return !n ? SERVED_NONE : n->source == STORE_SOURCE_KUBELET ? SERVED_KUBELET : SERVED_COLLECTOR;
}

/* One log line whenever a node's figures change source (a node first seen with its collector's
 * is not a change: at debug only, or a cluster's start would log every node). */
static void note_source(struct kubelet_fallback *fb, struct fb_node *fn, const struct store_node *n)
{
    enum served s = served_by(n);

    if (s == fn->logged) return;
    if (s == SERVED_KUBELET)
        log_info("node %s: figures now from its kubelet (%s)", fn->name,
                 fn->logged == SERVED_COLLECTOR ? "its collector went silent"
                                                : "no collector heard from");
    else if (s == SERVED_COLLECTOR && fn->logged == SERVED_KUBELET)
        log_info("node %s: figures now from its collector (kubelet scrapes stop)", fn->name);
    else if (s == SERVED_COLLECTOR)
        log_debug("node %s: figures from its collector", fn->name);
    else
        log_info("node %s: no figures (neither its collector nor its kubelet heard from lately)",
                 fn->name);
    if (fn->logged != SERVED_NONE || s != SERVED_COLLECTOR) fb->stats.source_changes++;
    fn->logged = s;
}

static bool uid_of(void *arg, const char *ns, const char *name, uint8_t uid[16])
{
    const struct label_index *li = arg;
    return li && label_index_pod_uid(li, ns, name, uid);
}

/* Stores one scrape as the node's figures. */
static void store_scrape(struct kubelet_fallback *fb, struct fb_node *fn,
                         const struct kubelet_metrics *m, int64_t real_ns)
{
    struct kubelet_shipment ks;
    enum store_apply_result result;
    struct kubelet_shipment_params p = {
        .node = fn->name,
        .instance = fn->instance,
        .seq = ++fn->seq,
        .scrape_real_ns = real_ns,
        .interval_ms = (uint32_t)(fb->cfg.resolution_ns / 1000000),
        .uid_of = uid_of,
        .uid_arg = (void *)fb->store->labels,
    };

    if (kubelet_shipment_build(m, &p, &ks) ||
        store_apply_from(fb->store, &ks.ship, STORE_SOURCE_KUBELET, clock_mono_ns(), &result)) {
        LOG_RATELIMITED(LOG_ERROR, "node %s: out of memory storing its kubelet's figures",
                        fn->name);
        kubelet_shipment_done(&ks);
        return;
    }
    fb->stats.stored++;
    fb->stats.stored_rated += fn->seq >= 2;
    fb->stats.containers_dropped += ks.dropped;
    if (ks.dropped)
        log_debug("node %s: %zu container(s) without CPU or working set left out", fn->name,
                  ks.dropped);
    kubelet_shipment_done(&ks);
}

static void end_session(struct kubelet_fallback *fb, struct fb_node *fn)
{
    if ((fn->seq > 0 || fn->has_held) && fn->has_endpoint)
        kubelet_scraper_forget(fb->scraper, &fn->ep); /* its kept connection */
    drop_held(fn);
    fn->instance = 0;
    fn->seq = 0;
}

void kubelet_fallback_tick(struct kubelet_fallback *fb, int64_t now)
{
    const char *k;
    void *v;
    size_t scraping = 0, failing = 0, no_ep = 0, known = 0;

    for (size_t it = 0; strmap_next(&fb->nodes, &it, &k, &v);) {
        struct fb_node *fn = v;
        const struct store_node *n;

        if (fn->gone) continue;
        known++;
        n = store_node_get(fb->store, fn->name);
        note_source(fb, fn, n);
        /* A node --node-selector leaves out is never served: not scraped either. */
        if (collector_fresh(fb, n, now) || !store_node_name_selected(fb->store, fn->name)) {
            end_session(fb, fn);
            continue;
        }
        scraping++;
        if (!fn->has_endpoint) {
            no_ep++;
            continue;
        }
        failing += fn->last_reason != SCRAPE_OK;
        if (fn->in_flight || now < fn->next_due_ns) continue;
        uint64_t ticket = ++fb->next_ticket;
        /* A connection is kept once the node is being served from its kubelet (or is about
         * to be: a first scrape is held); a one-off scrape closes its own. */
        bool keep = fn->seq > 0 || fn->has_held;
        int rc = kubelet_scraper_submit(fb->scraper, fn->name, &fn->ep, ticket, keep);
        if (rc) {
            fb->stats.scrapes[SCRAPE_INTERNAL]++;
            LOG_RATELIMITED(LOG_ERROR, "node %s: kubelet scrape not queued: %s", fn->name,
                            strerror(-rc));
            fn->next_due_ns = now + fb->cfg.resolution_ns;
            continue;
        }
        fn->in_flight = true;
        fn->ticket = ticket;
        fn->next_due_ns = now + fb->cfg.resolution_ns - fb->cfg.resolution_ns / 20 +
                          jitter(fb, fb->cfg.resolution_ns / 10);
    }
    fb->stats.nodes_known = known;
    fb->stats.nodes_scraping = scraping;
    fb->stats.nodes_failing = failing;
    fb->stats.nodes_without_endpoint = no_ep;
}

/* What to do about a failure, where it is the usual one. */
static const char *hint_of(enum kubelet_scrape_reason r)
{
    switch (r) {
    case SCRAPE_TLS:
        return " (is the kubelet's serving certificate signed by the CA in use? "
               "--kubelet-certificate-authority, or --kubelet-insecure-tls for self-signed "
               "kubelet certificates)";
    case SCRAPE_UNAUTHORIZED:
        return " (the kubelet did not take the aggregator's credentials: is its webhook "
               "authentication on?)";
    case SCRAPE_FORBIDDEN:
        return " (the aggregator's ClusterRole needs get on nodes/metrics)";
    case SCRAPE_TIMEOUT:
        return " (a dead or overloaded kubelet, or a firewall dropping the port)";
    default:
        return "";
    }
}

static void log_outcome(struct fb_node *fn, const struct kubelet_scrape_result *r)
{
    if (r->reason == fn->last_reason) {
        if (r->reason != SCRAPE_OK)
            log_debug("node %s: kubelet scrape failed again (%s): %s", fn->name,
                      kubelet_scrape_reason_name(r->reason), r->err);
        return;
    }
    if (r->reason == SCRAPE_OK)
        log_info("node %s: kubelet scrape works again", fn->name);
    else
        log_warn("node %s: kubelet scrape of https://%s%s%s:%u/metrics/resource failed (%s): %s%s",
                 fn->name, fn->ep.ipv6 ? "[" : "", fn->ep.host, fn->ep.ipv6 ? "]" : "",
                 (unsigned)fn->ep.port, kubelet_scrape_reason_name(r->reason), r->err,
                 hint_of(r->reason));
}

static void on_result(void *arg, struct kubelet_scrape_result *r)
{
    struct kubelet_fallback *fb = arg;
    struct fb_node *fn = strmap_get(&fb->nodes, r->node);
    int64_t now = clock_mono_ns();
    const struct store_node *n;

    fb->stats.scrapes[r->reason < SCRAPE_REASONS ? r->reason : SCRAPE_INTERNAL]++;
    fb->stats.duration_sum_s += (double)r->duration_ns / 1e9;
    if (!fn || !fn->in_flight || fn->ticket != r->ticket) return;
    fn->in_flight = false;
    if (fn->gone) {
        node_free(fb, fn);
        return;
    }
    log_outcome(fn, r);
    fn->last_reason = r->reason;
    if (r->reason != SCRAPE_OK) return;
    n = store_node_get(fb->store, fn->name);
    if (collector_fresh(fb, n, now)) {
        fb->stats.superseded++; /* the collector is back: its figures, not both */
        return;
    }
    if (!store_node_name_selected(fb->store, fn->name)) return; /* left out meanwhile */
    if (!fn->instance) {
        fn->instance = random_next(&fb->rng) | 1;
        fn->seq = 0;
    }
    /* A session's first scrape gives no rate: stored alone it would replace a silent
     * collector's last figures (still served) with nothing servable, or, at the start, flip a
     * node whose collector is about to ship. So it is held until a scrape in which every
     * series has a newer sample (a kubelet's samples are cached, an idle container's refreshed
     * less often: a pod whose containers got no second sample would drop out), and a silent
     * collector's figures are kept that long. After three scrapes that do not, the held one
     * and the newest are stored anyway: a stuck series must not hold up the node. */
    if (fn->seq == 0) {
        bool wait = true;
        if (!fn->has_held) {
            fn->held = r->metrics;
            fn->held_real_ns = r->real_ns;
            fn->has_held = true;
            kubelet_metrics_init(&r->metrics);
        } else {
            wait = kubelet_metrics_all_newer(&fn->held, &r->metrics) != 1 && ++fn->held_waits <= 3;
        }
        if (wait) {
            if (n && n->source == STORE_SOURCE_COLLECTOR)
                store_node_keep(fb->store, fn->name,
                                now + fb->cfg.resolution_ns + fb->cfg.scraper.timeout_ms * 1000000);
            return;
        }
    }
    if (fn->has_held) {
        store_scrape(fb, fn, &fn->held, fn->held_real_ns);
        drop_held(fn);
    }
    store_scrape(fb, fn, &r->metrics, r->real_ns);
    note_source(fb, fn, store_node_get(fb->store, fn->name));
}

/* --- lifetime ----------------------------------------------------------------------------- */

struct kubelet_fallback *kubelet_fallback_start(struct store *store, h2o_loop_t *loop,
                                                const struct kubelet_fallback_config *cfg,
                                                char *err, size_t errlen)
{
    struct kubelet_fallback *fb = calloc(1, sizeof(*fb));

    if (!fb) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fb->cfg = *cfg;
    fb->store = store;
    fb->rng = random_seed();
    strmap_init(&fb->nodes);
    fb->scraper = kubelet_scraper_start(loop, &cfg->scraper, on_result, fb, err, errlen);
    if (!fb->scraper) {
        strmap_done(&fb->nodes);
        free(fb);
        return NULL;
    }
    return fb;
}

void kubelet_fallback_get_stats(const struct kubelet_fallback *fb,
                                struct kubelet_fallback_stats *out)
{
    *out = fb->stats;
}

void kubelet_fallback_stop(struct kubelet_fallback *fb)
{
    const char *k;
    void *v;

    if (!fb) return;
    kubelet_scraper_stop(fb->scraper); /* no callback after this */
    for (size_t it = 0; strmap_next(&fb->nodes, &it, &k, &v);) {
        struct fb_node *fn = v;
        drop_held(fn);
        free(fn);
    }
    strmap_done(&fb->nodes);
    free(fb);
}
