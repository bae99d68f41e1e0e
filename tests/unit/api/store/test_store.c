/* The aggregator's store: sequence rules, rates over the true window, counter resets, removals,
 * node expiry, and memory that stays bounded as series come and go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/store_fixture.h"
#include "store/metrics_query.h"
#include "render/render.h"
#include "store/custom_metrics.h"
#include "store/store.h"

#define SEC ((int64_t)1000000000)
#define T0 (1760000000 * SEC)
#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define UID "11111111-2222-4333-8444-555555555555"

struct one_pod {
    struct wire_sample a[32], b[32], node[32];
    struct wire_container c[2];
    struct wire_pod pod;
    struct wire_shipment ship;
};

/* Pod "ns/p" with containers a (0.5 core) and b (0.1 core), n samples 1 s apart from t. */
static void build(struct one_pod *o, uint32_t flags, uint64_t inst, uint64_t seq, uint64_t base,
                  int64_t t, int n, int with_b)
{
    memset(o, 0, sizeof(*o));
    for (int i = 0; i < n; i++) {
        int64_t ts = t + i * SEC;
        o->a[i] = (struct wire_sample){ts, (uint64_t)((ts - T0) / 2000)};
        o->b[i] = (struct wire_sample){ts, (uint64_t)((ts - T0) / 10000)};
        o->node[i] = (struct wire_sample){ts, (uint64_t)((ts - T0) / 1000)};
    }
    o->c[0] =
        (struct wire_container){.id = ID_A,
                                .name = "a",
                                .samples = o->a,
                                .nsamples = (size_t)n,
                                .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 100}};
    o->c[1] =
        (struct wire_container){.id = ID_B, .name = "b", .samples = o->b, .nsamples = (size_t)n};
    o->pod = (struct wire_pod){.uid = UID,
                               .namespace_ = "ns",
                               .name = "p",
                               .containers = o->c,
                               .ncontainers = with_b ? 2 : 1};
    o->ship = (struct wire_shipment){.flags = flags,
                                     .node_name = "n1",
                                     .instance = inst,
                                     .seq = seq,
                                     .base_seq = base,
                                     .sent_ns = t,
                                     .node = {.samples = o->node, .nsamples = (size_t)n},
                                     .pods = &o->pod,
                                     .npods = 1};
}

static struct store_pod *pod(struct store *s)
{
    return store_find_pod(s, "ns", "p");
}

/* Signals: a pod's containers' newest windows combined, an older window or a resend ignored,
 * traffic kept while the containers' part changes, a pod without any left without a record;
 * custom_metric_pod_value's arithmetic on the result. */
static void test_signals_combined_per_pod(void **state)
{
    struct store s;
    struct one_pod o;
    enum store_apply_result r;
    const struct store_pod_signals *g;
    uint64_t nano;
    int64_t end, window;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_null(store_pod_signals(&s, pod(&s))); /* none shipped: no record */
    assert_false(custom_metric_pod_value(store_pod_signals(&s, pod(&s)), 0, &nano, &end, &window));

    build(&o, 0, 1, 2, 1, T0 + 3 * SEC, 3, 1);
    o.c[0].signals = (struct wire_signals){.have = WIRE_SIG_CPU_PRESSURE | WIRE_SIG_OOM,
                                           .end_real_ns = T0 + 5 * SEC,
                                           .window_ms = 10000,
                                           .stall_some_usec = {1000000},
                                           .oom_kills = 1,
                                           .oom_kills_total = 1};
    o.c[1].signals = (struct wire_signals){.have = WIRE_SIG_CPU_PRESSURE | WIRE_SIG_OOM,
                                           .end_real_ns = T0 + 5 * SEC + 1000,
                                           .window_ms = 10000,
                                           .stall_some_usec = {4000000},
                                           .oom_kills = 2,
                                           .oom_kills_total = 5};
    o.pod.network = (struct wire_network){.source = WIRE_NET_INTERFACES,
                                          .end_real_ns = T0 + 5 * SEC,
                                          .window_ms = 10000,
                                          .rx_bytes = 5000,
                                          .rx_packets = 1ull << 40}; /* saturates */
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    g = store_pod_signals(&s, pod(&s));
    assert_non_null(g);
    assert_int_equal(g->w.stall_some_usec[WIRE_PRESSURE_CPU], 4000000); /* the most stalled */
    assert_int_equal(g->w.oom_kills, 3);                                /* summed */
    assert_int_equal(g->w.oom_kills_total, 6);
    assert_true(g->w.end_real_ns == T0 + 5 * SEC + 1000);
    assert_int_equal(g->net.rx_packets, UINT32_MAX);
    /* cpu_pressure_some_ratio: 4 s stalled in 10 s */
    int cpu_some = custom_metric_find("cpu_pressure_some_ratio", 23);
    int rx = custom_metric_find("network_receive_bytes_per_second", 32);
    assert_true(cpu_some >= 0 && rx >= 0);
    assert_true(custom_metric_pod_value(g, (size_t)cpu_some, &nano, &end, &window));
    assert_int_equal(nano, 400000000);
    assert_true(window == 10 * SEC);
    assert_true(custom_metric_pod_value(g, (size_t)rx, &nano, &end, &window));
    assert_int_equal(nano, 500ull * 1000000000); /* 500 bytes/s */
    /* Rates are served to the thousandth (what the HPA reads): 1000 bytes in 7 s is
     * 142.857142... bytes/s, served as 142857m, not 142857142857n. */
    {
        struct store_pod_signals odd = *g;
        odd.net.rx_bytes = 1000;
        odd.net.window_ms = 7000;
        assert_true(custom_metric_pod_value(&odd, (size_t)rx, &nano, &end, &window));
        assert_int_equal(nano, 142857000000ull);
    }

    /* A delta whose container windows are older (a resend) changes nothing; a newer window
     * from one container replaces the containers' part and leaves the traffic. */
    build(&o, 0, 1, 3, 2, T0 + 6 * SEC, 3, 1);
    o.c[0].signals = (struct wire_signals){.have = WIRE_SIG_OOM,
                                           .end_real_ns = T0 + 4 * SEC,
                                           .window_ms = 10000,
                                           .oom_kills = 9,
                                           .oom_kills_total = 9};
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(store_pod_signals(&s, pod(&s))->w.oom_kills, 3);
    build(&o, 0, 1, 4, 3, T0 + 9 * SEC, 3, 1);
    o.c[0].signals.end_real_ns = T0 + 15 * SEC;
    o.c[0].signals.have = WIRE_SIG_THROTTLING;
    o.c[0].signals.window_ms = 10000;
    o.c[0].signals.periods = 100;
    o.c[0].signals.throttled_periods = 25;
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    g = store_pod_signals(&s, pod(&s));
    assert_int_equal(g->w.have, WIRE_SIG_THROTTLING);
    assert_int_equal(g->w.oom_kills, 0);
    assert_int_equal(g->net.rx_bytes, 5000);
    assert_false(custom_metric_pod_value(g, (size_t)cpu_some, &nano, &end, &window));
    assert_true(custom_metric_pod_value(g, (size_t)custom_metric_find("cpu_throttled_ratio", 19),
                                        &nano, &end, &window));
    assert_int_equal(nano, 250000000);
    /* hostNetwork without figures: the traffic is no longer served. */
    build(&o, 0, 1, 5, 4, T0 + 12 * SEC, 3, 1);
    o.pod.network = (struct wire_network){.source = WIRE_NET_HOST};
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_false(
        custom_metric_pod_value(store_pod_signals(&s, pod(&s)), (size_t)rx, &nano, &end, &window));
    store_done(&s); /* ASan: the record goes with its pod */
}

static void test_sequences(void **state)
{
    struct store s;
    struct one_pod o;
    enum store_apply_result r;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, 0, 1, 2, 1, T0, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_NEED_FULL); /* unknown node */
    assert_null(pod(&s));
    build(&o, WIRE_FULL, 1, 1, 0, T0, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
    build(&o, 0, 1, 2, 1, T0 + 3 * SEC, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_DUPLICATE);
    build(&o, 0, 1, 5, 4, T0 + 6 * SEC, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_NEED_FULL); /* gap */
    build(&o, 0, 2, 3, 2, T0 + 6 * SEC, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_NEED_FULL); /* another instance: a restarted collector */
    /* A delta on an older base (the collector missed our ack) is resolved by a full one. */
    build(&o, 0, 1, 3, 1, T0 + 6 * SEC, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_NEED_FULL);
    build(&o, 0, 1, 3, 2, T0 + 6 * SEC, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
    store_done(&s);
}

static void test_rates_window_and_views(void **state)
{
    struct store s;
    struct one_pod o;
    enum store_apply_result r;
    struct container_metrics_view cv[2];
    struct pod_metrics_view pv;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 30, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_true(store_pod_view(&s, pod(&s), cv, &pv));
    assert_int_equal(pv.ncontainers, 2);
    assert_string_equal(cv[0].name, "a");
    assert_int_equal(cv[0].usage.cpu_nanocores, 500000000);
    assert_int_equal(cv[1].usage.cpu_nanocores, 100000000);
    assert_int_equal(cv[0].usage.memory_bytes, 100);
    /* The true window: within the configured 15 s (+10% jitter), at whole sample spacing. */
    assert_true(pv.window_ns >= 12 * SEC && pv.window_ns <= 16 * SEC);
    assert_int_equal(pv.timestamp_ns, T0 + 29 * SEC);
    struct node_metrics_view nv;
    assert_true(store_node_view(&s, strmap_get(&s.nodes, "n1"), &nv));
    assert_int_equal(nv.usage.cpu_nanocores, 1000000000);
    store_done(&s);
}

/* A container restarted under the same name: the old run's samples stop while the new one's
 * go on. The pod shows one entry, the new run's rate plus only what the old run used inside
 * the window, and the new run's memory; a run that ended before the window adds nothing. */
static void test_exited_run_counts_only_inside_the_window(void **state)
{
    struct store s;
    struct one_pod o;
    enum store_apply_result r;
    struct container_metrics_view cv[2];
    struct pod_metrics_view pv;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 30, 1);
    o.c[1].name = "a"; /* the old run (0.1 core), last sampled at T0+19 s */
    o.c[1].nsamples = 20;
    o.c[1].memory = (struct wire_usage){.have = WIRE_HAVE_WORKING_SET, .working_set = 999};
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_true(store_pod_view(&s, pod(&s), cv, &pv));
    assert_int_equal(pv.ncontainers, 1);
    assert_string_equal(cv[0].name, "a");
    assert_int_equal(pv.timestamp_ns, T0 + 29 * SEC);
    /* The old run used 0.1 core from the window's start (T0+29 s - window) to T0+19 s. */
    double inside = (double)(19 * SEC - (29 * SEC - pv.window_ns));
    double want = 500000000 + 100000000 * inside / (double)pv.window_ns;
    assert_true(inside > 0);
    assert_true((double)cv[0].usage.cpu_nanocores > want - 1e6 &&
                (double)cv[0].usage.cpu_nanocores < want + 1e6);
    assert_int_equal(cv[0].usage.memory_bytes, 100);
    store_done(&s);

    /* Ended before the window began: only the live run. */
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 30, 1);
    o.c[1].name = "a";
    o.c[1].nsamples = 8;
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_true(store_pod_view(&s, pod(&s), cv, &pv));
    assert_int_equal(pv.ncontainers, 1);
    assert_int_equal(cv[0].usage.cpu_nanocores, 500000000);
    store_done(&s);
}

static void test_counter_reset_and_missing_values(void **state)
{
    struct store s;
    struct one_pod o;
    enum store_apply_result r;
    struct container_metrics_view cv[2];
    struct pod_metrics_view pv;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 10, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    /* Container a restarts: its counter drops to near zero and grows again. */
    build(&o, 0, 1, 2, 1, T0 + 10 * SEC, 4, 1);
    for (int i = 0; i < 4; i++)
        o.a[i].usage_usec = 1000 + (uint64_t)i * 250000;
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_true(store_pod_view(&s, pod(&s), cv, &pv));
    assert_string_equal(cv[0].name, "a");
    assert_int_equal(cv[0].usage.cpu_nanocores, 250000000); /* new series, never negative */
    /* Container b has only one sample: no rate, so the pod is served with a alone. */
    store_done(&s);
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 5, 1);
    o.c[1].nsamples = 1;
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_true(store_pod_view(&s, pod(&s), cv, &pv));
    assert_int_equal(pv.ncontainers, 1);
    assert_string_equal(cv[0].name, "a");
    store_done(&s);
}

static void test_removals_full_snapshot_and_expiry(void **state)
{
    struct store s;
    struct one_pod o;
    enum store_apply_result r;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 5, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(s.ncontainers, 2);
    /* A full snapshot without b: b is gone. */
    build(&o, WIRE_FULL, 1, 2, 0, T0 + 5 * SEC, 5, 0);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(s.ncontainers, 1);
    /* A delta removing the pod. */
    build(&o, 0, 1, 3, 2, T0 + 10 * SEC, 1, 0);
    o.pod.removed = true;
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_null(pod(&s));
    assert_int_equal(s.npods, 0);
    /* Silent nodes expire: after --node-expiry when the collector did not say its interval, */
    assert_int_equal(store_expire(&s, 44 * SEC), 0);
    assert_int_equal(store_expire(&s, 46 * SEC), 1);
    assert_int_equal(s.nodes.len, 0);
    /* ... else after three of its ship intervals. */
    build(&o, WIRE_FULL, 3, 1, 0, T0, 5, 1);
    o.ship.ship_interval_ms = 1000;
    assert_int_equal(store_apply(&s, &o.ship, 100 * SEC, &r), 0);
    assert_int_equal(store_expire(&s, 102 * SEC + SEC / 2), 0);
    assert_int_equal(store_expire(&s, 103 * SEC + SEC / 10), 1);
    store_done(&s);
}

/* 20,000 short-lived pods come and go on one node: the store ends with what is live. */
static void test_churn_stays_bounded(void **state)
{
    struct store s;
    enum store_apply_result r;
    struct wire_sample smp[2] = {{T0, 1}, {T0 + SEC, 2}};
    char uid[40];
    struct wire_container c = {.id = ID_A, .name = "c", .samples = smp, .nsamples = 2};
    struct wire_pod p = {
        .uid = uid, .namespace_ = "churn", .name = "x", .containers = &c, .ncontainers = 1};
    struct wire_shipment ship = {.node_name = "n1", .instance = 1, .pods = &p, .npods = 1};

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    uint64_t seq = 0;
    for (unsigned i = 0; i < 20000; i++) {
        snprintf(uid, sizeof(uid), "%08x-0000-4000-8000-000000000000", i);
        for (int removed = 0; removed < 2; removed++) {
            ship.flags = seq == 0 ? WIRE_FULL : 0;
            ship.base_seq = seq;
            ship.seq = ++seq;
            p.removed = removed;
            assert_int_equal(store_apply(&s, &ship, 0, &r), 0);
            assert_int_equal(r, STORE_APPLIED);
        }
    }
    assert_int_equal(s.npods, 0);
    assert_int_equal(s.ncontainers, 0);
    assert_int_equal(s.pods.len, 0);
    assert_int_equal(s.uids.len, 0);
    assert_int_equal(s.names.len, 0); /* interned container names released with their users */
    /* The indexes reuse their tombstones rather than grow with every pod ever seen. */
    assert_true(s.uids.cap <= 64);
    store_done(&s);
}

/* Real-time second now: pods' creationTimestamp is the time of the request (as metrics-server
 * sets it), so two renderings compared byte for byte must fall in the same second. */
static int64_t now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

/* The protobuf LIST, rendered pod by pod from the store, equals rendering the pods' views, and
 * follows every shipment. */
static void test_pb_list_matches_views(void **state)
{
    struct store s;
    struct one_pod o;
    enum store_apply_result r;
    struct metrics_query q = {
        .target = QUERY_PODS, .api_version = "metrics.k8s.io/v1beta1", .format = QUERY_PROTOBUF};
    struct outbuf cached, direct;
    struct container_metrics_view cv[2];
    struct pod_metrics_view pv;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    outbuf_init(&cached);
    outbuf_init(&direct);
    for (int round = 0; round < 2; round++) {
        if (round == 0)
            build(&o, WIRE_FULL, 1, 1, 0, T0, 10, 1);
        else
            build(&o, 0, 1, 2, 1, T0 + 10 * SEC, 5, 1); /* a delta: new samples, new rates */
        if (round == 1)
            for (int i = 0; i < 5; i++)
                o.a[i].usage_usec += (uint64_t)i * 1000000; /* container a got busier */
        assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
        for (int64_t t = -1; t != now_sec();) {
            t = now_sec();
            outbuf_reset(&cached);
            outbuf_reset(&direct);
            assert_int_equal(sf_render(&s, &q, &cached), 200);
            assert_true(store_pod_view(&s, pod(&s), cv, &pv));
            render_pod_list_pb(&direct, "metrics.k8s.io/v1beta1", &pv, 1);
        }
        assert_int_equal(cached.len, direct.len);
        assert_memory_equal(cached.data, direct.data, direct.len);
    }
    /* creationTimestamp is the time of the request (metrics-server's), not the shipment's. */
    struct metrics_query one = {.target = QUERY_POD,
                                .api_version = "metrics.k8s.io/v1beta1",
                                .ns = "ns",
                                .name = "p",
                                .format = QUERY_JSON};
    char today[32], before[32];
    time_t t1 = time(NULL), t0 = t1 - 5;
    outbuf_reset(&cached);
    assert_int_equal(sf_render(&s, &one, &cached), 200);
    strftime(today, sizeof(today), "\"creationTimestamp\":\"%Y-%m-%d", gmtime(&t1));
    strftime(before, sizeof(before), "\"creationTimestamp\":\"%Y-%m-%d", gmtime(&t0));
    assert_true(strstr(cached.data, today) || strstr(cached.data, before));
    /* A field selector that matches nothing: an empty list. */
    struct selector none;
    char err[64];
    static const char *const fields[] = {"metadata.name", NULL};
    assert_int_equal(field_selector_parse("metadata.name=zz", 16, fields, &none, err, sizeof(err)),
                     0);
    q.fields = &none;
    outbuf_reset(&cached);
    outbuf_reset(&direct);
    assert_int_equal(sf_render(&s, &q, &cached), 200);
    render_pod_list_pb(&direct, "metrics.k8s.io/v1beta1", NULL, 0);
    assert_int_equal(cached.len, direct.len);
    selector_done(&none);
    outbuf_done(&cached);
    outbuf_done(&direct);
    store_done(&s);
}

/* After pods change one at a time, go, come, or gain a container, a protobuf LIST still equals
 * rendering every pod's view. */
static void assert_pb_list_fresh(struct store *s)
{
    struct metrics_query q = {
        .target = QUERY_PODS, .api_version = "metrics.k8s.io/v1beta1", .format = QUERY_PROTOBUF};
    struct outbuf cached, direct;
    struct container_metrics_view cv[8][4];
    struct pod_metrics_view pv[8];
    size_t n, nv = 0;
    struct store_pod *const *sorted = store_sorted_pods(s, NULL, &n);

    assert_true(n <= 8);
    outbuf_init(&cached);
    outbuf_init(&direct);
    for (int64_t t = -1; t != now_sec();) {
        t = now_sec();
        nv = 0;
        for (size_t i = 0; i < n; i++)
            if (store_pod_view(s, sorted[i], cv[nv], &pv[nv])) nv++;
        outbuf_reset(&cached);
        outbuf_reset(&direct);
        assert_int_equal(sf_render(s, &q, &cached), 200);
        render_pod_list_pb(&direct, "metrics.k8s.io/v1beta1", pv, nv);
    }
    assert_int_equal(cached.len, direct.len);
    assert_memory_equal(cached.data, direct.data, direct.len);
    outbuf_done(&cached);
    outbuf_done(&direct);
}

/* Applies the next changes-only delta of o's node, carrying pod wp alone. */
static void ship_delta(struct store *s, struct one_pod *o, uint64_t *seq, struct wire_pod *wp)
{
    enum store_apply_result r;

    o->ship.seq = ++*seq;
    o->ship.base_seq = *seq - 1;
    o->ship.pods = wp;
    o->ship.npods = 1;
    assert_int_equal(store_apply(s, &o->ship, 0, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
}

static void test_pb_list_after_changes_removals_and_arrivals(void **state)
{
    static const char *const uids[5] = {
        "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-000000000004",
        "0123456789abcdef0123456789abcdef"};
    static const char *const pnames[5] = {"p0", "p1", "p2", "p3", "p4"};
    struct store s;
    struct one_pod o;
    struct wire_pod pods[5];
    struct wire_container cs[5][2];
    char ids[5][2][65];
    enum store_apply_result r;
    uint64_t seq = 1;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 10, 1);
    for (int i = 0; i < 5; i++) {
        for (int c = 0; c < 2; c++) {
            memset(ids[i][c], "0123456789abcdef"[i * 2 + c], 64);
            ids[i][c][64] = '\0';
            cs[i][c] = o.c[c];
            cs[i][c].id = ids[i][c];
        }
        pods[i] = (struct wire_pod){.uid = uids[i],
                                    .namespace_ = "ns",
                                    .name = pnames[i],
                                    .containers = cs[i],
                                    .ncontainers = 2};
    }
    o.ship.pods = pods;
    o.ship.npods = 4; /* p4 comes later */
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_pb_list_fresh(&s);
    /* One pod changes alone (a changes-only delta). */
    seq++;
    build(&o, 0, 1, seq, seq - 1, T0 + 10 * SEC, 3, 1);
    for (int i = 0; i < 3; i++)
        o.a[i].usage_usec += 5000000; /* busier */
    cs[2][0].samples = o.a;
    cs[2][0].nsamples = 3;
    cs[2][1].samples = o.b;
    cs[2][1].nsamples = 3;
    o.ship.pods = &pods[2];
    o.ship.npods = 1;
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
    assert_pb_list_fresh(&s);
    /* One goes, one comes (in a 32-hex uid), another goes. */
    struct wire_pod gone = {.uid = uids[1], .removed = true};
    ship_delta(&s, &o, &seq, &gone);
    assert_pb_list_fresh(&s);
    ship_delta(&s, &o, &seq, &pods[4]);
    assert_pb_list_fresh(&s);
    gone.uid = uids[0];
    ship_delta(&s, &o, &seq, &gone);
    assert_int_equal(s.npods, 3);
    assert_pb_list_fresh(&s);
    char uid[WIRE_UID_MAX + 1];
    store_pod_uid(store_find_pod(&s, "ns", "p4"), uid);
    assert_string_equal(uid, uids[4]); /* sent as 32 hex, served as sent */
    store_pod_uid(store_find_pod(&s, "ns", "p2"), uid);
    assert_string_equal(uid, uids[2]);

    /* p3 gains a container (its record moves: pod and containers are one allocation) while
     * the sorted list is current; then a runtime that names nothing starts one in p2. */
    const struct store_pod *before = store_find_pod(&s, "ns", "p3");
    struct wire_container third = cs[3][0];
    third.id = "feedfacecafe0123456789abcdef0123456789abcdef0123456789abcdef0123";
    third.name = "late";
    cs[3][0] = third;
    pods[3].ncontainers = 1;
    ship_delta(&s, &o, &seq, &pods[3]);
    assert_ptr_not_equal(store_find_pod(&s, "ns", "p3"), before);
    assert_int_equal(store_find_pod(&s, "ns", "p3")->ncontainers, 3);
    assert_pb_list_fresh(&s);
    third.name = "";
    cs[2][0] = third;
    pods[2].ncontainers = 1;
    ship_delta(&s, &o, &seq, &pods[2]);
    assert_pb_list_fresh(&s);
    struct container_metrics_view cv[3];
    struct pod_metrics_view pv;
    assert_true(store_pod_view(&s, store_find_pod(&s, "ns", "p2"), cv, &pv));
    assert_int_equal(pv.ncontainers, 3);
    assert_string_equal(pv.containers[2].name, "container-feedfacecafe"); /* id's first 12 */
    /* Every way to the moved pods still leads to them. */
    size_t n;
    struct store_pod *const *sorted = store_sorted_pods(&s, NULL, &n);
    assert_int_equal(n, 3);
    assert_ptr_equal(sorted[1], store_find_pod(&s, "ns", "p3"));
    assert_int_equal(s.uids.len, 3);
    assert_int_equal(s.ncontainers, 8); /* 3 pods of 2, and the two that came */
    store_done(&s);
}

/* A pod first seen without names, named later, renamed; another pod taking its name over; a
 * pod moving to another node: each time the pod record is replaced (its name is inline) and
 * every way to find it follows. */
static void test_names_change_and_pods_move(void **state)
{
    static const char *const uid2 = "99999999-0000-4000-8000-000000000002";
    struct store s;
    struct one_pod o;
    enum store_apply_result r;
    struct container_metrics_view cv[2];
    struct pod_metrics_view pv;
    char uid[WIRE_UID_MAX + 1];

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    build(&o, WIRE_FULL, 1, 1, 0, T0, 10, 1);
    o.pod.namespace_ = "";
    o.pod.name = "";
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(s.npods, 1);
    assert_null(pod(&s)); /* unnamed: not addressable */
    build(&o, 0, 1, 2, 1, T0 + 10 * SEC, 3, 1);
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_non_null(pod(&s));
    assert_true(store_pod_view(&s, pod(&s), cv, &pv));
    assert_int_equal(pv.ncontainers, 2);
    assert_int_equal(s.npods, 1);
    assert_int_equal(s.uids.len, 1);
    /* Renamed (a longer name). */
    build(&o, 0, 1, 3, 2, T0 + 13 * SEC, 3, 1);
    o.pod.name = "p-with-a-longer-name";
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_null(pod(&s));
    struct store_pod *p = store_find_pod(&s, "ns", "p-with-a-longer-name");
    assert_non_null(p);
    assert_int_equal(p->ncontainers, 2);
    store_pod_uid(p, uid);
    assert_string_equal(uid, UID);
    size_t n;
    assert_int_equal(store_sorted_pods(&s, "ns", &n)[0], p);
    assert_int_equal(n, 1);
    /* Another pod of that name on node n2 (a recreated StatefulSet pod) takes it over. */
    build(&o, WIRE_FULL, 7, 1, 0, T0 + 14 * SEC, 3, 1);
    o.ship.node_name = "n2";
    o.pod.uid = uid2;
    o.pod.name = "p-with-a-longer-name";
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    p = store_find_pod(&s, "ns", "p-with-a-longer-name");
    store_pod_uid(p, uid);
    assert_string_equal(uid, uid2);
    assert_int_equal(s.npods, 2);
    /* The first pod now ships from n2 too: it moves, n1 keeps nothing. */
    struct wire_pod both[2] = {o.pod, o.pod};
    both[1].uid = UID;
    both[1].name = "p";
    o.ship.pods = both;
    o.ship.npods = 2;
    o.ship.seq = 2;
    o.ship.base_seq = 1;
    o.ship.sent_ns = T0 + 15 * SEC;
    assert_int_equal(store_apply(&s, &o.ship, 0, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
    assert_int_equal(s.npods, 2);
    assert_string_equal(pod(&s)->node->name, "n2");
    assert_int_equal(((struct store_node *)strmap_get(&s.nodes, "n1"))->npods, 0);
    assert_int_equal(((struct store_node *)strmap_get(&s.nodes, "n2"))->npods, 2);
    store_done(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_signals_combined_per_pod),
        cmocka_unit_test(test_rates_window_and_views),
        cmocka_unit_test(test_exited_run_counts_only_inside_the_window),
        cmocka_unit_test(test_counter_reset_and_missing_values),
        cmocka_unit_test(test_removals_full_snapshot_and_expiry),
        cmocka_unit_test(test_churn_stays_bounded),
        cmocka_unit_test(test_pb_list_matches_views),
        cmocka_unit_test(test_pb_list_after_changes_removals_and_arrivals),
        cmocka_unit_test(test_names_change_and_pods_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
