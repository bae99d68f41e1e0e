/* What the kubelet-scrape fallback's decision costs the event loop: kubelet_fallback_tick,
 * run every 100 ms, looks at every Node the watch knows (its store entry, whether its
 * collector is fresh, --node-selector). Here against a real store holding 1,000 and 5,000
 * nodes: whose collectors all shipped a second ago (a healthy cluster: nothing is scraped,
 * every node is looked at), and whose collectors are all silent but --node-selector leaves
 * every node out (a label match per node; no label index, so none matches: nothing is scraped
 * either). The real scraper is started (its workers sit idle). Prints the median and 99th
 * percentile of a tick, per node and as a share of one core at 10 ticks a second. Figures only: no
 * pass/fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kubelet/kubelet_fallback.h"
#include "log.h"
#include "store/selector.h"
#include "store/store.h"

#define TICKS 400
#define SEC ((int64_t)1000000000)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Node i's collector's full shipment (node name), one pod of one container, applied at now. */
static void ship(struct store *s, const char *name, size_t i, int64_t now)
{
    struct wire_sample samples[2] = {{clock_real_ns() - SEC, 1000}, {clock_real_ns(), 2000}};
    char uid[40], id[65];
    snprintf(uid, sizeof(uid), "%08zx-0000-4000-8000-000000000000", i);
    snprintf(id, sizeof(id), "%064zx", i);
    struct wire_container c = {.id = id,
                               .name = "app",
                               .samples = samples,
                               .nsamples = 2,
                               .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 1 << 20}};
    struct wire_pod pod = {
        .uid = uid, .namespace_ = "default", .name = name, .containers = &c, .ncontainers = 1};
    struct wire_shipment w = {.flags = WIRE_FULL,
                              .node_name = name,
                              .instance = 1,
                              .seq = 1,
                              .ship_interval_ms = 15000,
                              .sent_ns = samples[1].real_ns,
                              .node = {.samples = samples, .nsamples = 2},
                              .pods = &pod,
                              .npods = 1};
    enum store_apply_result r;
    if (store_apply(s, &w, now, &r) || r != STORE_APPLIED) {
        fprintf(stderr, "bench_fallback_tick: store_apply failed\n");
        exit(1);
    }
}

static void run(size_t nodes, bool with_selector)
{
    struct store s;
    struct selector sel;
    struct kube_config access = {.server = "https://127.0.0.1:1"};
    struct kubelet_fallback_config cfg = {
        .resolution_ns = 15 * SEC,
        .scraper = {.threads = 16, .timeout_ms = 10000, .access = &access, .insecure = true}};
    char err[256], name[64];
    int64_t t[TICKS];
    h2o_loop_t *loop = h2o_evloop_create();

    store_init(&s, 15 * SEC, 45 * SEC);
    if (with_selector) {
        if (label_selector_parse("pool=big", 8, &sel, err, sizeof(err))) exit(1);
        s.node_selector = &sel;
    }
    struct kubelet_fallback *fb = kubelet_fallback_start(&s, loop, &cfg, err, sizeof(err));
    if (!fb) {
        fprintf(stderr, "bench_fallback_tick: %s\n", err);
        exit(1);
    }
    int64_t now = clock_mono_ns();
    for (size_t i = 0; i < nodes; i++) {
        struct node_endpoint ep = {.port = 10250};
        snprintf(name, sizeof(name), "node-%06zu", i);
        snprintf(ep.host, sizeof(ep.host), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
        ship(&s, name, i, now);
        kubelet_fallback_on_node(fb, KUBE_NODE_UPSERT, name, &ep, NULL);
    }
    for (int i = 0; i < TICKS; i++) {
        int64_t t0 = clock_mono_ns();
        kubelet_fallback_tick(fb, now + (with_selector ? 60 : 1) * SEC);
        t[i] = clock_mono_ns() - t0;
    }
    struct kubelet_fallback_stats st;
    kubelet_fallback_get_stats(fb, &st);
    qsort(t, TICKS, sizeof(t[0]), cmp_i64);
    double p50 = (double)t[TICKS / 2], p99 = (double)t[TICKS * 99 / 100];
    printf("  %5zu nodes  %-16s  tick p50 %7.1f us  p99 %7.1f us  %5.1f ns/node  "
           "%.3f %% of a core at 10/s  (scraping %zu)\n",
           nodes, with_selector ? "silent, left out" : "fresh", p50 / 1e3, p99 / 1e3,
           p50 / (double)nodes, p50 * 10 / 1e9 * 100, st.nodes_scraping);
    kubelet_fallback_stop(fb);
    if (with_selector) selector_done(&sel);
    store_done(&s);
}

int main(void)
{
    log_set_level(LOG_WARN);
    printf("bench_fallback_tick: kubelet_fallback_tick over every known node (%d ticks each)\n",
           TICKS);
    run(1000, false);
    run(1000, true);
    run(5000, false);
    run(5000, true);
    return 0;
}
