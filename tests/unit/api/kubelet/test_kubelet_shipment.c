/* Unit tests for kubelet/kubelet_shipment.c: kubelet scrapes turned into full shipments and
 * applied to a real store as the fallback applies them: rates between two scrapes, a
 * container missing a value dropped alone, a restart or a counter reset starting a new
 * series, uids from the pod watch, and a collector's shipment replacing the kubelet's pods
 * (never both). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kubelet/kubelet_shipment.h"
#include "lib/store_fixture.h"
#include "store/store.h"

#define SEC 1000000000ll
#define T0_MS 1606154096000ll

/* One scrape's body: pod web-1 (containers app, sidecar), pod db-0 (container db, no working
 * set: dropped alone), the node; CPU seconds given, stamped t_ms, but the sidecar 9 s earlier:
 * a kubelet samples each container on its own schedule (cAdvisor's housekeeping), which a
 * real node showed must not make a container look exited. */
static void body(char *out, size_t cap, double app_s, double sidecar_s, double start_s,
                 double node_s, long long t_ms)
{
    snprintf(out, cap,
             "# TYPE container_cpu_usage_seconds_total counter\n"
             "container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\","
             "pod=\"web-1\"} %.6f %lld\n"
             "container_cpu_usage_seconds_total{container=\"sidecar\",namespace=\"default\","
             "pod=\"web-1\"} %.6f %lld\n"
             "container_cpu_usage_seconds_total{container=\"db\",namespace=\"data\","
             "pod=\"db-0\"} 5 %lld\n"
             "container_memory_working_set_bytes{container=\"app\",namespace=\"default\","
             "pod=\"web-1\"} 5.24288e+07 %lld\n"
             "container_memory_working_set_bytes{container=\"sidecar\",namespace=\"default\","
             "pod=\"web-1\"} 1048576 %lld\n"
             "container_start_time_seconds{container=\"app\",namespace=\"default\","
             "pod=\"web-1\"} %.3f %lld\n"
             "node_cpu_usage_seconds_total %.6f %lld\n"
             "node_memory_working_set_bytes 1.073741824e+09 %lld\n"
             "scrape_error 0\n",
             app_s, t_ms, sidecar_s, t_ms - 9000, t_ms, t_ms, t_ms - 9000, start_s, t_ms, node_s,
             t_ms, t_ms);
}

static const uint8_t web1_uid[16] = {0x6a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x40, 0x71,
                                     0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, 0xf9};

/* The pod watch knows web-1 only. */
static bool lookup(void *arg, const char *ns, const char *name, uint8_t uid[16])
{
    (*(int *)arg)++;
    if (strcmp(ns, "default") || strcmp(name, "web-1")) return false;
    memcpy(uid, web1_uid, 16);
    return true;
}

/* Parses text and applies it as scrape seq of session instance. */
static void apply_scrape(struct store *s, const char *text, uint64_t instance, uint64_t seq)
{
    struct kubelet_metrics m;
    struct kubelet_shipment ks;
    enum store_apply_result r;
    int calls = 0;
    struct kubelet_shipment_params p = {.node = "win-1",
                                        .instance = instance,
                                        .seq = seq,
                                        .scrape_real_ns = T0_MS * 1000000,
                                        .interval_ms = 15000,
                                        .uid_of = lookup,
                                        .uid_arg = &calls};

    kubelet_metrics_init(&m);
    assert_int_equal(kubelet_metrics_parse(text, strlen(text), &m, NULL, 0), 0);
    assert_int_equal(kubelet_shipment_build(&m, &p, &ks), 0);
    assert_int_equal(calls, 1); /* once per pod kept, not per sample */
    assert_int_equal(store_apply_from(s, &ks.ship, STORE_SOURCE_KUBELET, 0, &r), 0);
    assert_int_equal(r, STORE_APPLIED);
    kubelet_shipment_done(&ks);
    kubelet_metrics_done(&m);
}

/* Applies one scrape of the body() with these figures and returns web-1's served view (false:
 * not served). */
static bool scrape_and_view(struct store *s, uint64_t seq, double app_s, double sidecar_s,
                            double start_s, double node_s, long long t_ms,
                            struct container_metrics_view *cv, struct pod_metrics_view *pv)
{
    char text[4096];
    struct store_pod *p;

    body(text, sizeof(text), app_s, sidecar_s, start_s, node_s, t_ms);
    apply_scrape(s, text, 9, seq);
    p = store_find_pod(s, "default", "web-1");
    assert_non_null(p);
    return store_pod_view(s, p, cv, pv);
}

static const struct container_metrics_view *container(const struct pod_metrics_view *pv,
                                                      const char *name)
{
    for (size_t i = 0; i < pv->ncontainers; i++)
        if (!strcmp(pv->containers[i].name, name)) return &pv->containers[i];
    return NULL;
}

static void test_shipment_shape(void **state)
{
    char text[4096];
    struct kubelet_metrics m;
    struct kubelet_shipment ks;
    int calls = 0;
    struct kubelet_shipment_params p = {.node = "win-1",
                                        .instance = 7,
                                        .seq = 1,
                                        .scrape_real_ns = 42,
                                        .interval_ms = 15000,
                                        .uid_of = lookup,
                                        .uid_arg = &calls};

    (void)state;
    body(text, sizeof(text), 10.25, 1.5, 1.6e9, 4087.13, T0_MS);
    kubelet_metrics_init(&m);
    assert_int_equal(kubelet_metrics_parse(text, strlen(text), &m, NULL, 0), 0);
    assert_int_equal(kubelet_shipment_build(&m, &p, &ks), 0);
    const struct wire_shipment *w = &ks.ship;
    assert_int_equal(w->flags, WIRE_FULL);
    assert_int_equal(w->instance, 7);
    assert_int_equal(w->seq, 1);
    assert_int_equal(w->ship_interval_ms, 15000);
    assert_string_equal(w->node_name, "win-1");
    assert_int_equal(w->node.nsamples, 1);
    assert_int_equal(w->node.samples[0].usage_usec, 4087130000ull);
    assert_int_equal(w->node.samples[0].real_ns, T0_MS * 1000000);
    assert_int_equal(w->node.memory.working_set, 1073741824ull);
    /* db-0's only container lacks a working set: dropped, and its pod with it. */
    assert_int_equal(ks.dropped, 1);
    assert_int_equal(w->npods, 1);
    assert_string_equal(w->pods[0].uid, "6a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9");
    assert_string_equal(w->pods[0].namespace_, "default");
    assert_string_equal(w->pods[0].name, "web-1");
    assert_int_equal(w->pods[0].ncontainers, 2);
    assert_string_equal(w->pods[0].containers[0].name, "app");
    assert_int_equal(w->pods[0].containers[0].samples[0].usage_usec, 10250000ull);
    assert_int_equal(w->pods[0].containers[0].memory.working_set, 52428800ull);
    assert_int_equal(strlen(w->pods[0].containers[0].id), 64);
    assert_string_not_equal(w->pods[0].containers[0].id, w->pods[0].containers[1].id);
    char app_id[65];
    snprintf(app_id, sizeof(app_id), "%s", w->pods[0].containers[0].id);
    kubelet_shipment_done(&ks);

    /* The same container again: the same id. Started again (a new start time): a new id. An
     * unknown pod: a uid derived from its name, stable, as 32 hex. */
    assert_int_equal(kubelet_shipment_build(&m, &p, &ks), 0);
    assert_string_equal(ks.ship.pods[0].containers[0].id, app_id);
    kubelet_shipment_done(&ks);
    body(text, sizeof(text), 0.5, 1.5, 1.7e9, 4087.13, T0_MS);
    kubelet_metrics_done(&m);
    assert_int_equal(kubelet_metrics_parse(text, strlen(text), &m, NULL, 0), 0);
    assert_int_equal(kubelet_shipment_build(&m, &p, &ks), 0);
    assert_string_not_equal(ks.ship.pods[0].containers[0].id, app_id);
    kubelet_shipment_done(&ks);
    p.uid_of = NULL;
    assert_int_equal(kubelet_shipment_build(&m, &p, &ks), 0);
    assert_int_equal(ks.uids_derived, 1);
    assert_int_equal(strlen(ks.ship.pods[0].uid), 32);
    char uid[40];
    snprintf(uid, sizeof(uid), "%s", ks.ship.pods[0].uid);
    kubelet_shipment_done(&ks);
    assert_int_equal(kubelet_shipment_build(&m, &p, &ks), 0);
    assert_string_equal(ks.ship.pods[0].uid, uid);
    kubelet_shipment_done(&ks);
    kubelet_metrics_done(&m);

    /* Nothing but comments: an empty shipment (the node is still named). */
    kubelet_metrics_init(&m);
    assert_int_equal(kubelet_metrics_parse("# nothing\n", 10, &m, NULL, 0), 0);
    assert_int_equal(kubelet_shipment_build(&m, &p, &ks), 0);
    assert_int_equal(ks.ship.npods, 0);
    assert_int_equal(ks.ship.node.nsamples, 0);
    kubelet_shipment_done(&ks);
    kubelet_metrics_done(&m);
}

/* Two scrapes 15 s apart: the rate is the counters' growth over the kubelet's own
 * timestamps, as metrics-server computes it. */
static void test_rates_between_scrapes(void **state)
{
    struct store s;
    struct container_metrics_view cv[4];
    struct pod_metrics_view pv;
    struct node_metrics_view nv;

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    /* One point: no rate yet. */
    assert_false(scrape_and_view(&s, 1, 10.0, 1.0, 1.6e9, 4000.0, T0_MS, cv, &pv));
    assert_true(scrape_and_view(&s, 2, 13.0, 1.15, 1.6e9, 4030.0, T0_MS + 15000, cv, &pv));
    assert_int_equal(pv.window_ns, 15 * SEC);
    assert_int_equal(container(&pv, "app")->usage.cpu_nanocores, 200000000); /* 3 s / 15 s */
    assert_int_equal(container(&pv, "sidecar")->usage.cpu_nanocores, 10000000);
    assert_int_equal(container(&pv, "app")->usage.memory_bytes, 52428800);
    assert_int_equal(container(&pv, "sidecar")->usage.memory_bytes, 1048576);
    assert_true(store_node_view(&s, store_node_get(&s, "win-1"), &nv));
    assert_int_equal(nv.usage.cpu_nanocores, 2000000000); /* 30 s / 15 s */
    assert_int_equal(nv.usage.memory_bytes, 1073741824);
    assert_int_equal(store_node_get(&s, "win-1")->source, STORE_SOURCE_KUBELET);
    assert_null(store_find_pod(&s, "data", "db-0"));

    /* The same kubelet sample again (a cached figure): nothing changes. */
    assert_true(scrape_and_view(&s, 3, 13.0, 1.15, 1.6e9, 4030.0, T0_MS + 15000, cv, &pv));
    assert_int_equal(container(&pv, "app")->usage.cpu_nanocores, 200000000);

    /* The app container restarts (new start time, counter from 0): a new series, no rate
     * until its second scrape; the sidecar keeps its rate. Never a negative or huge rate. */
    assert_true(scrape_and_view(&s, 4, 0.3, 1.3, 1.7e9, 4060.0, T0_MS + 30000, cv, &pv));
    assert_null(container(&pv, "app"));
    assert_int_equal(container(&pv, "sidecar")->usage.cpu_nanocores, 10000000);
    assert_true(scrape_and_view(&s, 5, 1.8, 1.45, 1.7e9, 4090.0, T0_MS + 45000, cv, &pv));
    assert_int_equal(container(&pv, "app")->usage.cpu_nanocores, 100000000);

    /* A counter that goes back without a restart (a kubelet bug metrics-server drops the pod
     * for): that container's series starts again, alone. */
    assert_true(scrape_and_view(&s, 6, 0.1, 1.6, 1.7e9, 4120.0, T0_MS + 60000, cv, &pv));
    assert_null(container(&pv, "app"));
    assert_int_equal(container(&pv, "sidecar")->usage.cpu_nanocores, 10000000);
    store_done(&s);
}

/* The collector starts shipping for a node served from its kubelet: its full shipment (its
 * own instance) replaces the kubelet's pods, so the pod is there once, with the collector's
 * figures; the kubelet's session coming back later replaces the collector's. */
static void test_sources_never_add_up(void **state)
{
    struct store s;
    char text[4096];
    const char *names[] = {"web-1"};
    const char *uids[] = {"6a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9"};
    size_t nodes[STORE_SOURCES], pods[STORE_SOURCES];

    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    body(text, sizeof(text), 10.0, 1.0, 1.6e9, 4000.0, T0_MS);
    apply_scrape(&s, text, 9, 1);
    body(text, sizeof(text), 13.0, 1.15, 1.6e9, 4030.0, T0_MS + 15000);
    apply_scrape(&s, text, 9, 2);
    store_count_by_source(&s, nodes, pods);
    assert_int_equal(nodes[STORE_SOURCE_KUBELET], 1);
    assert_int_equal(pods[STORE_SOURCE_KUBELET], 1);
    assert_int_equal(s.ncontainers, 2);

    assert_int_equal(sf_ship(&s, "win-1", "default", names, uids, 1, 1, T0_MS * 1000000 + 20 * SEC),
                     0);
    assert_int_equal(store_node_get(&s, "win-1")->source, STORE_SOURCE_COLLECTOR);
    store_count_by_source(&s, nodes, pods);
    assert_int_equal(nodes[STORE_SOURCE_COLLECTOR], 1);
    assert_int_equal(nodes[STORE_SOURCE_KUBELET], 0);
    assert_int_equal(s.npods, 1);
    assert_int_equal(s.ncontainers, 1); /* the collector's one container, not three */

    /* The fallback keeps a silent collector's node past its expiry while a first scrape
     * waits for a second (store_node_keep): dropped only after both. sf_ship stamps now 0,
     * expiry 45 s. */
    store_node_keep(&s, "win-1", 60 * SEC);
    assert_int_equal(store_expire(&s, 50 * SEC), 0);
    assert_non_null(store_node_get(&s, "win-1"));
    store_node_keep(&s, "win-1", 55 * SEC); /* never shortened */
    assert_int_equal(store_expire(&s, 59 * SEC), 0);
    store_node_keep(&s, "nobody", 99 * SEC); /* an unknown node: nothing */

    /* The collector goes silent; a new scrape session takes the node back. */
    body(text, sizeof(text), 20.0, 2.0, 1.6e9, 4100.0, T0_MS + 60000);
    apply_scrape(&s, text, 10, 1);
    store_count_by_source(&s, nodes, pods);
    assert_int_equal(nodes[STORE_SOURCE_KUBELET], 1);
    assert_int_equal(s.npods, 1);
    assert_int_equal(s.ncontainers, 2);
    assert_int_equal(store_expire(&s, 61 * SEC), 1); /* silent since 0: 45 s, kept to 60 s */
    store_done(&s);
}

static int all_newer(const char *earlier, const char *later)
{
    struct kubelet_metrics a, b;
    int rc;

    kubelet_metrics_init(&a);
    kubelet_metrics_init(&b);
    assert_int_equal(kubelet_metrics_parse(earlier, strlen(earlier), &a, NULL, 0), 0);
    assert_int_equal(kubelet_metrics_parse(later, strlen(later), &b, NULL, 0), 0);
    rc = kubelet_metrics_all_newer(&a, &b);
    kubelet_metrics_done(&a);
    kubelet_metrics_done(&b);
    return rc;
}

/* What the fallback waits for before a session's first two scrapes are stored: every series
 * with a newer sample (the real node showed idle containers keeping theirs for a whole
 * resolution: their pods dropped out at the switch). */
static void test_all_newer(void **state)
{
    char t0[4096], t1[4096];
    static const char idle_then[] =
        "container_cpu_usage_seconds_total{container=\"hold\",namespace=\"w\",pod=\"memhold\"} "
        "1.5 1000\nnode_cpu_usage_seconds_total 0 1000\n";
    static const char idle_same[] =
        "container_cpu_usage_seconds_total{container=\"hold\",namespace=\"w\",pod=\"memhold\"} "
        "1.5 1000\nnode_cpu_usage_seconds_total 0 16000\n";
    static const char idle_newer[] =
        "container_cpu_usage_seconds_total{container=\"hold\",namespace=\"w\",pod=\"memhold\"} "
        "1.5 14000\nnode_cpu_usage_seconds_total 0 16000\n"
        "container_cpu_usage_seconds_total{container=\"new\",namespace=\"w\",pod=\"late\"} 0.1 "
        "500\n";

    (void)state;
    body(t0, sizeof(t0), 10.0, 1.0, 1.6e9, 4000.0, T0_MS);
    body(t1, sizeof(t1), 13.0, 1.15, 1.6e9, 4030.0, T0_MS + 15000);
    assert_int_equal(all_newer(t0, t1), 1);
    assert_int_equal(all_newer(t0, t0), 0);
    assert_int_equal(all_newer(t1, t0), 0);
    /* The node moved on, the idle container did not: not yet. */
    assert_int_equal(all_newer(idle_then, idle_same), 0);
    /* Both moved; a container only in the later scrape has nothing to compare. */
    assert_int_equal(all_newer(idle_then, idle_newer), 1);
    /* Samples without a timestamp are taken at the scrape: newer. */
    assert_int_equal(all_newer(idle_then, "node_cpu_usage_seconds_total 0\n"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_newer),
        cmocka_unit_test(test_shipment_shape),
        cmocka_unit_test(test_rates_between_scrapes),
        cmocka_unit_test(test_sources_never_add_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
