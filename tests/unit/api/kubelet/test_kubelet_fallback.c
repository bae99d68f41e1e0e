/* Unit tests for kubelet/kubelet_fallback.c: which nodes are scraped, and when, and what
 * becomes of each answer, against a real store. The scraper is scripted here (this file
 * defines kubelet_scraper.h's functions, so the archive's kubelet_scraper.o is not linked):
 * the order of a scrape's answer against a collector's shipment, a node's deletion or a
 * relist is what these tests are about, and real kubelets (test_kubelet_fallback, the real
 * node) cannot be made to answer at a chosen moment. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "kubelet/kubelet_fallback.h"
#include "store/selector.h"
#include "store/store.h"

#define SEC 1000000000ll
#define RES (15 * SEC)

/* --- the scripted scraper ------------------------------------------------------------------ */

struct submitted {
    char node[64];
    struct node_endpoint ep;
    uint64_t ticket;
    bool keep;
};

static struct {
    kubelet_scrape_cb cb;
    void *arg;
    int submit_rc; /* what the next submits return */
    struct submitted subs[64];
    size_t nsubs;
    struct node_endpoint forgot[16];
    size_t nforgot;
    bool stopped;
} fake;

const char *kubelet_scrape_reason_name(enum kubelet_scrape_reason r)
{
    return r == SCRAPE_OK ? "ok" : "failed";
}

struct kubelet_scraper *kubelet_scraper_start(h2o_loop_t *loop,
                                              const struct kubelet_scraper_config *cfg,
                                              kubelet_scrape_cb cb, void *arg, char *err,
                                              size_t errlen)
{
    (void)loop, (void)cfg, (void)err, (void)errlen;
    memset(&fake, 0, sizeof(fake));
    fake.cb = cb;
    fake.arg = arg;
    return (struct kubelet_scraper *)&fake;
}

int kubelet_scraper_submit(struct kubelet_scraper *sc, const char *node,
                           const struct node_endpoint *ep, uint64_t ticket, bool keep)
{
    (void)sc;
    if (fake.submit_rc) return fake.submit_rc;
    assert_true(fake.nsubs < 64);
    struct submitted *s = &fake.subs[fake.nsubs++];
    snprintf(s->node, sizeof(s->node), "%s", node);
    s->ep = *ep;
    s->ticket = ticket;
    s->keep = keep;
    return 0;
}

void kubelet_scraper_forget(struct kubelet_scraper *sc, const struct node_endpoint *ep)
{
    (void)sc;
    assert_true(fake.nforgot < 16);
    fake.forgot[fake.nforgot++] = *ep;
}

void kubelet_scraper_stop(struct kubelet_scraper *sc)
{
    (void)sc;
    fake.stopped = true;
}

/* --- fixtures ------------------------------------------------------------------------------ */

static const struct node_endpoint EP = {.host = "10.0.0.7", .port = 10250};
static const struct node_endpoint EP2 = {.host = "10.0.0.8", .port = 10250};

/* Two clocks: kubelet_fallback_tick takes its now (the tests move it ahead a resolution at a
 * time), an answer is judged at the real monotonic clock (the fallback reads it), which stays
 * behind. So a collector shipment meant to be fresh is stamped on the tick clock (then it is
 * fresh on both), one meant to be silent on the real clock (then it is silent on both). */
struct fx {
    struct store s;
    struct kubelet_fallback *fb;
    int64_t now; /* the tick clock */
};

static void fx_start(struct fx *f, int64_t grace_ns)
{
    char err[128];
    struct kubelet_fallback_config cfg = {
        .resolution_ns = RES, .grace_ns = grace_ns, .scraper = {.threads = 1, .timeout_ms = 1000}};

    store_init(&f->s, RES, 45 * SEC);
    f->fb = kubelet_fallback_start(&f->s, NULL, &cfg, err, sizeof(err));
    assert_non_null(f->fb);
    f->now = clock_mono_ns();
}

static void fx_stop(struct fx *f)
{
    kubelet_fallback_stop(f->fb);
    assert_true(fake.stopped);
    store_done(&f->s);
}

/* Ticks at the tick clock plus ahead_ns; returns how many scrapes it submitted. */
static size_t tick(struct fx *f, int64_t ahead_ns)
{
    size_t before = fake.nsubs;
    f->now += ahead_ns;
    kubelet_fallback_tick(f->fb, f->now);
    return fake.nsubs - before;
}

/* Started with node n1 at EP known, its first scrape due and submitted. */
static void fx_first_scrape(struct fx *f, int64_t grace_ns)
{
    fx_start(f, grace_ns);
    kubelet_fallback_on_node(f->fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    assert_int_equal(tick(f, SEC + 1), 1);
}

/* A due tick: a resolution and its jitter (±5 %) later. */
static size_t tick_due(struct fx *f)
{
    return tick(f, RES + RES / 10);
}

static struct kubelet_fallback_stats stats_of(struct fx *f)
{
    struct kubelet_fallback_stats st;
    kubelet_fallback_get_stats(f->fb, &st);
    return st;
}

/* The body a kubelet gives: pod default/web-1 with containers app (busy) and idle, and the
 * node; CPU seconds and stamps given (idle's own stamp: a kubelet refreshes an idle
 * container's sample less often). */
static void answer(const struct submitted *sub, enum kubelet_scrape_reason reason, double app_s,
                   long long t_ms, long long idle_t_ms)
{
    struct kubelet_scrape_result *r = calloc(1, sizeof(*r));
    char text[2048];

    assert_non_null(r);
    snprintf(r->node, sizeof(r->node), "%s", sub->node);
    r->ticket = sub->ticket;
    r->reason = reason;
    r->real_ns = t_ms * 1000000;
    r->duration_ns = 5000000;
    kubelet_metrics_init(&r->metrics);
    if (reason == SCRAPE_OK) {
        snprintf(text, sizeof(text),
                 "container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\","
                 "pod=\"web-1\"} %.3f %lld\n"
                 "container_cpu_usage_seconds_total{container=\"idle\",namespace=\"default\","
                 "pod=\"web-1\"} 0.5 %lld\n"
                 "container_memory_working_set_bytes{container=\"app\",namespace=\"default\","
                 "pod=\"web-1\"} 2097152 %lld\n"
                 "container_memory_working_set_bytes{container=\"idle\",namespace=\"default\","
                 "pod=\"web-1\"} 1048576 %lld\n"
                 "node_cpu_usage_seconds_total %.3f %lld\n"
                 "node_memory_working_set_bytes 1.073741824e+09 %lld\n",
                 app_s, t_ms, idle_t_ms, t_ms, idle_t_ms, 1000 + app_s, t_ms, t_ms);
        assert_int_equal(kubelet_metrics_parse(text, strlen(text), &r->metrics, NULL, 0), 0);
    } else {
        r->status = reason == SCRAPE_FORBIDDEN ? 403 : 0;
        snprintf(r->err, sizeof(r->err), "scripted failure");
    }
    fake.cb(fake.arg, r); /* as the scraper does: r is the callback's only during the call */
    kubelet_metrics_done(&r->metrics);
    free(r);
}

/* An answer whose every series moved: app burned cpu_s more, t_ms later. */
static void answer_ok(const struct submitted *sub, double app_s, long long t_ms)
{
    answer(sub, SCRAPE_OK, app_s, t_ms, t_ms);
}

#define T0_MS 1606154096000ll

/* The node's collector ships a full snapshot (instance 5) with pod web-1 (a UUID the
 * kubelet's derived uid is not), as of mono time at_mono_ns, announcing interval_ms. */
static void collector_ship(struct fx *f, const char *node, uint64_t seq, uint32_t interval_ms,
                           int64_t at_mono_ns)
{
    int64_t t = T0_MS * 1000000 + (int64_t)seq * 10 * SEC;
    struct wire_sample samples[2] = {{t, seq * 1000000}, {t + SEC, seq * 1000000 + 250000}};
    struct wire_container c = {
        .id = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
        .name = "app",
        .samples = samples,
        .nsamples = 2,
        .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 4 << 20}};
    struct wire_pod pod = {.uid = "11111111-2222-4333-8444-555555555555",
                           .namespace_ = "default",
                           .name = "web-1",
                           .containers = &c,
                           .ncontainers = 1};
    struct wire_shipment ship = {.flags = WIRE_FULL,
                                 .node_name = node,
                                 .instance = 5,
                                 .seq = seq,
                                 .ship_interval_ms = interval_ms,
                                 .sent_ns = t + SEC,
                                 .node = {.samples = samples, .nsamples = 2},
                                 .pods = &pod,
                                 .npods = 1};
    enum store_apply_result r;
    assert_int_equal(store_apply(&f->s, &ship, at_mono_ns, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
}

static enum store_source source_of(struct fx *f, const char *node)
{
    const struct store_node *n = store_node_get(&f->s, node);
    assert_non_null(n);
    return (enum store_source)n->source;
}

/* web-1's served CPU in nanocores and its container count (-1: not served). */
static long long web1_cpu(struct fx *f, size_t *ncontainers)
{
    struct container_metrics_view cv[4];
    struct pod_metrics_view pv;
    struct store_pod *p = store_find_pod(&f->s, "default", "web-1");

    if (!p || !store_pod_view(&f->s, p, cv, &pv)) return -1;
    long long sum = 0;
    for (size_t i = 0; i < pv.ncontainers; i++)
        sum += (long long)cv[i].usage.cpu_nanocores;
    if (ncontainers) *ncontainers = pv.ncontainers;
    return sum;
}

/* --- tests --------------------------------------------------------------------------------- */

/* A node without a collector: its first scrape is held (nothing servable yet), the second
 * stores both, and the pod is served at the rate between the kubelet's own stamps. */
static void test_first_scrape_held_then_rated(void **state)
{
    struct fx f;
    size_t nc = 0;

    (void)state;
    fx_start(&f, 30 * SEC);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    assert_int_equal(tick(&f, 0), 0);       /* first scrape spread over a second */
    assert_int_equal(tick(&f, SEC + 1), 1); /* ... and then due */
    assert_string_equal(fake.subs[0].node, "n1");
    assert_string_equal(fake.subs[0].ep.host, "10.0.0.7");
    assert_false(fake.subs[0].keep);  /* a one-off scrape closes its connection */
    assert_int_equal(tick(&f, 0), 0); /* in flight: never twice */

    answer_ok(&fake.subs[0], 10.0, T0_MS);
    assert_null(store_node_get(&f.s, "n1")); /* held: one point is no rate */
    assert_int_equal(stats_of(&f).stored, 0);
    assert_int_equal(stats_of(&f).scrapes[SCRAPE_OK], 1);

    assert_int_equal(tick(&f, RES - RES / 10), 0); /* not due before 95 % of a resolution */
    assert_int_equal(tick(&f, RES / 5), 1);
    assert_true(fake.subs[1].keep); /* a session: the connection is kept */
    answer_ok(&fake.subs[1], 11.5, T0_MS + 15000);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_KUBELET);
    assert_int_equal(web1_cpu(&f, &nc), 100000000); /* 1.5 s over 15 s, idle at 0 */
    assert_int_equal(nc, 2);
    struct kubelet_fallback_stats st = stats_of(&f);
    assert_int_equal(st.stored, 2);
    assert_int_equal(st.stored_rated, 1);
    assert_int_equal(st.source_changes, 1);
    tick(&f, 0);
    st = stats_of(&f);
    assert_int_equal(st.nodes_known, 1);
    assert_int_equal(st.nodes_scraping, 1);
    assert_int_equal(st.nodes_failing, 0);
    fx_stop(&f);
}

/* An idle container's sample not refreshed: the first scrape stays held (a pod without a
 * second point for one container would drop out) for three scrapes, and the fourth that
 * still brings none stores both anyway. Meanwhile the silent collector's node is kept past
 * its expiry. */
static void test_hold_waits_for_every_series(void **state)
{
    struct fx f;
    size_t n = 0;

    (void)state;
    fx_start(&f, 30 * SEC);
    int64_t silent_since = clock_mono_ns() - 40 * SEC; /* past grace, not yet expired */
    collector_ship(&f, "n1", 1, 15000, silent_since);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    assert_int_equal(tick(&f, SEC + 1), 1);
    answer(&fake.subs[n++], SCRAPE_OK, 10.0, T0_MS, T0_MS);
    for (int i = 1; i <= 4; i++) {
        assert_int_equal(tick_due(&f), 1);
        assert_true(fake.subs[n].keep);
        /* app moves, idle's stamp does not */
        answer(&fake.subs[n++], SCRAPE_OK, 10.0 + 1.5 * i, T0_MS + 15000 * i, T0_MS);
        if (i <= 3) {
            assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_COLLECTOR);
            /* kept: the collector's figures outlive their 45 s expiry while the scrape waits */
            assert_int_equal(store_expire(&f.s, silent_since + 50 * SEC), 0);
            assert_non_null(store_node_get(&f.s, "n1"));
        }
    }
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_KUBELET);
    assert_int_equal(stats_of(&f).stored, 2);
    fx_stop(&f);

    /* The same with the third scrape's every series newer: stored at once with it. */
    fx_start(&f, 30 * SEC);
    n = 0;
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    assert_int_equal(tick(&f, SEC + 1), 1);
    answer(&fake.subs[n++], SCRAPE_OK, 10.0, T0_MS, T0_MS);
    assert_int_equal(tick_due(&f), 1);
    answer(&fake.subs[n++], SCRAPE_OK, 11.0, T0_MS + 15000, T0_MS);
    assert_null(store_node_get(&f.s, "n1"));
    assert_int_equal(tick_due(&f), 1);
    answer(&fake.subs[n++], SCRAPE_OK, 13.0, T0_MS + 30000, T0_MS + 29000);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_KUBELET);
    assert_int_equal(web1_cpu(&f, NULL), 100000000); /* (13 - 10) s over 30 s */
    fx_stop(&f);
}

/* Served from the kubelet, then the collector ships: its figures replace the kubelet's, the
 * scrape in flight is dropped when it returns (never both), the kept connection is closed
 * and scraping stops. Silent past the grace period: scraping resumes, a new session. */
static void test_collector_back_then_silent(void **state)
{
    struct fx f;
    size_t n = 0;

    (void)state;
    fx_first_scrape(&f, 30 * SEC);
    answer_ok(&fake.subs[n++], 10.0, T0_MS);
    assert_int_equal(tick_due(&f), 1);
    answer_ok(&fake.subs[n++], 11.5, T0_MS + 15000);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_KUBELET);
    assert_int_equal(tick_due(&f), 1); /* in flight when the collector comes back */

    collector_ship(&f, "n1", 1, 15000, f.now);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_COLLECTOR);
    answer_ok(&fake.subs[n++], 13.0, T0_MS + 30000);
    assert_int_equal(stats_of(&f).superseded, 1);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_COLLECTOR);
    assert_int_equal(web1_cpu(&f, NULL), 250000000); /* the collector's, alone */

    assert_int_equal(fake.nforgot, 0);
    assert_int_equal(tick_due(&f), 0); /* a fresh collector: not scraped */
    assert_int_equal(fake.nforgot, 1); /* and the kept connection closed */
    assert_string_equal(fake.forgot[0].host, "10.0.0.7");
    assert_int_equal(stats_of(&f).source_changes, 2);
    assert_int_equal(stats_of(&f).nodes_scraping, 0);

    /* Silent: its last shipment 31 s ago (grace 30 s). */
    collector_ship(&f, "n1", 2, 15000, clock_mono_ns() - 31 * SEC);
    assert_int_equal(tick(&f, 0), 1);
    assert_false(fake.subs[n].keep); /* a new session's first */
    answer_ok(&fake.subs[n++], 20.0, T0_MS + 60000);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_COLLECTOR); /* held meanwhile */
    assert_int_equal(tick_due(&f), 1);
    answer_ok(&fake.subs[n++], 23.0, T0_MS + 75000);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_KUBELET);
    assert_int_equal(web1_cpu(&f, NULL), 200000000);
    assert_int_equal(stats_of(&f).source_changes, 3);
    fx_stop(&f);
}

/* At the aggregator's start every node is scraped until its collector is heard from; one
 * that ships before the second scrape never changes source, and nothing is logged as a
 * change. The grace period without --collector-grace: two thirds of the node's expiry (three
 * of its collector's ship intervals). */
static void test_start_and_default_grace(void **state)
{
    struct fx f;

    (void)state;
    fx_start(&f, 0);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    assert_int_equal(tick(&f, SEC + 1), 1);
    collector_ship(&f, "n1", 1, 3000, f.now + RES + RES / 10); /* fresh at the next tick */
    answer_ok(&fake.subs[0], 10.0, T0_MS);
    assert_int_equal(stats_of(&f).superseded, 1);
    assert_int_equal(tick_due(&f), 0);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_COLLECTOR);
    assert_int_equal(stats_of(&f).source_changes, 0);
    assert_int_equal(fake.nforgot, 0); /* a one-off scrape kept nothing */

    /* 3 s intervals: expiry 9 s, grace 6 s. Silent 5 s: fresh; 7 s: scraped. */
    collector_ship(&f, "n1", 2, 3000, f.now + RES + RES / 10 - 5 * SEC); /* at the next tick */
    assert_int_equal(tick_due(&f), 0);
    collector_ship(&f, "n1", 3, 3000, clock_mono_ns() - 7 * SEC);
    assert_int_equal(tick_due(&f), 1);
    fx_stop(&f);
}

/* A Node deleted while its scrape is in flight: the answer is not stored, the node is freed
 * when it returns (ASan: no leak). A node served from its kubelet deleted: its figures go at
 * once. A relist that no longer has a node deletes it. */
static void test_deleted_nodes(void **state)
{
    struct fx f;
    size_t n = 0;

    (void)state;
    fx_start(&f, 30 * SEC);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n2", &EP2, NULL);
    assert_int_equal(tick(&f, SEC + 1), 2);
    struct submitted *s1 = !strcmp(fake.subs[0].node, "n1") ? &fake.subs[0] : &fake.subs[1];
    struct submitted *s2 = s1 == &fake.subs[0] ? &fake.subs[1] : &fake.subs[0];
    n = 2;
    kubelet_fallback_on_node(f.fb, KUBE_NODE_DELETE, "n1", NULL, NULL);
    answer_ok(s1, 10.0, T0_MS); /* after its deletion */
    assert_int_equal(stats_of(&f).scrapes[SCRAPE_OK], 1);
    answer_ok(s2, 10.0, T0_MS);
    assert_int_equal(tick_due(&f), 1); /* n2 only */
    assert_string_equal(fake.subs[n].node, "n2");
    answer_ok(&fake.subs[n++], 11.5, T0_MS + 15000);
    assert_null(store_node_get(&f.s, "n1"));
    assert_int_equal(source_of(&f, "n2"), STORE_SOURCE_KUBELET);
    assert_int_equal(stats_of(&f).nodes_known, 1);

    /* n1 comes back; then a relist without n2: n2's kubelet figures go at once, its kept
     * connection is closed. */
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_RELIST_BEGIN, NULL, NULL, NULL);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    size_t forgot = fake.nforgot;
    kubelet_fallback_on_node(f.fb, KUBE_NODE_RELIST_END, NULL, NULL, NULL);
    assert_null(store_node_get(&f.s, "n2"));
    assert_int_equal(fake.nforgot, forgot + 1);
    assert_string_equal(fake.forgot[forgot].host, "10.0.0.8");
    tick(&f, 0);
    assert_int_equal(stats_of(&f).nodes_known, 1);
    fx_stop(&f);
}

/* Failures cost their node only: counted by reason, not stored, the node counted failing; an
 * answer to an older ticket is ignored; a full queue is counted and retried a resolution
 * later. */
static void test_failures_and_stale_answers(void **state)
{
    struct fx f;
    size_t n = 0;

    (void)state;
    fx_first_scrape(&f, 30 * SEC);
    answer(&fake.subs[n++], SCRAPE_FORBIDDEN, 0, T0_MS, T0_MS);
    tick(&f, 0);
    struct kubelet_fallback_stats st = stats_of(&f);
    assert_int_equal(st.scrapes[SCRAPE_FORBIDDEN], 1);
    assert_int_equal(st.nodes_failing, 1);
    assert_int_equal(st.stored, 0);
    assert_null(store_node_get(&f.s, "n1"));

    /* An answer for a ticket that is not the one in flight: counted, otherwise ignored. */
    assert_int_equal(tick_due(&f), 1);
    struct submitted stale = fake.subs[n];
    stale.ticket += 1000;
    answer_ok(&stale, 10.0, T0_MS);
    assert_int_equal(tick_due(&f), 0); /* the real one is still in flight */
    answer_ok(&fake.subs[n++], 10.0, T0_MS);
    assert_null(store_node_get(&f.s, "n1")); /* held: the stale one was not a first point */
    assert_int_equal(tick(&f, 0), 1);        /* overdue while in flight: goes at once */
    assert_int_equal(stats_of(&f).nodes_failing, 0);
    answer_ok(&fake.subs[n++], 11.5, T0_MS + 15000);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_KUBELET);

    fake.submit_rc = -EAGAIN;
    assert_int_equal(tick_due(&f), 0);
    assert_int_equal(stats_of(&f).scrapes[SCRAPE_INTERNAL], 1);
    fake.submit_rc = 0;
    assert_int_equal(tick(&f, SEC), 0); /* retried a resolution later, not at once */
    assert_int_equal(tick_due(&f), 1);
    answer_ok(&fake.subs[n++], 14.5, T0_MS + 45000);
    assert_int_equal(web1_cpu(&f, NULL), 100000000); /* 3 s over 30 s: the gap spans both */
    fx_stop(&f);
}

/* A node without an address is counted and never scraped until it has one; a moved kubelet
 * has its old connection closed; a node --node-selector leaves out is not scraped. */
static void test_endpoints_and_selector(void **state)
{
    struct fx f;
    struct selector sel;
    char err[128];

    (void)state;
    fx_start(&f, 30 * SEC);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", NULL, "no InternalIP address");
    assert_int_equal(tick(&f, SEC + 1), 0);
    assert_int_equal(stats_of(&f).nodes_without_endpoint, 1);
    assert_int_equal(stats_of(&f).nodes_scraping, 1);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP, NULL);
    assert_int_equal(tick(&f, 0), 1);
    answer_ok(&fake.subs[0], 10.0, T0_MS);
    assert_int_equal(stats_of(&f).nodes_without_endpoint, 0);
    kubelet_fallback_on_node(f.fb, KUBE_NODE_UPSERT, "n1", &EP2, NULL);
    assert_int_equal(fake.nforgot, 1);
    assert_string_equal(fake.forgot[0].host, "10.0.0.7");
    assert_int_equal(tick_due(&f), 1);
    assert_string_equal(fake.subs[1].ep.host, "10.0.0.8");
    answer_ok(&fake.subs[1], 11.5, T0_MS + 15000);
    assert_int_equal(source_of(&f, "n1"), STORE_SOURCE_KUBELET);

    /* Left out by --node-selector (no labels here: "pool=a" matches none): not scraped. */
    assert_int_equal(label_selector_parse("pool=a", 6, &sel, err, sizeof(err)), 0);
    f.s.node_selector = &sel;
    assert_int_equal(tick_due(&f), 0);
    assert_int_equal(stats_of(&f).nodes_scraping, 0);
    f.s.node_selector = NULL;
    assert_int_equal(tick_due(&f), 1);
    /* ... and the answer of one left out while its scrape was in flight is dropped, not even
     * held: once back in, its next scrape is a session's first again. */
    f.s.node_selector = &sel;
    uint64_t stored = stats_of(&f).stored;
    answer_ok(&fake.subs[2], 13.0, T0_MS + 30000);
    f.s.node_selector = NULL;
    assert_int_equal(tick_due(&f), 1);
    assert_false(fake.subs[3].keep);
    answer_ok(&fake.subs[3], 14.5, T0_MS + 45000);
    assert_int_equal(stats_of(&f).stored, stored);
    selector_done(&sel);
    fx_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_scrape_held_then_rated),
        cmocka_unit_test(test_hold_waits_for_every_series),
        cmocka_unit_test(test_collector_back_then_silent),
        cmocka_unit_test(test_start_and_default_grace),
        cmocka_unit_test(test_deleted_nodes),
        cmocka_unit_test(test_failures_and_stale_answers),
        cmocka_unit_test(test_endpoints_and_selector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
