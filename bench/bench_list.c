/* Server-side cost of LIST all pods at 300,000 container series (5,000 nodes x 30 pods x 2
 * containers): the store filled through the real decode and apply path, then
 * metrics_query_render (selection, views, rates, sorting, rendering) timed for JSON,
 * protobuf and Table. What the aggregator spends per full response before the bytes go out;
 * bench_aggregator measures the same over TLS end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/metrics_query.h"
#include "store/store.h"
#include "wire/wire_decode.h"
#include "wire/wire_encode.h"
#include "clock.h"

#define NODES 5000
#define PODS 30
#define CONTAINERS 2
#define SAMPLES 16
#define SEC ((int64_t)1000000000)

/* Kept across LISTs, as the aggregator keeps it. */
static struct metrics_query_scratch scratch;

static void fill_store(struct store *s)
{
    static char uids[PODS][40], names[PODS][32], ids[PODS][CONTAINERS][65];
    static struct wire_sample samples[SAMPLES];
    static struct wire_container cs[PODS][CONTAINERS];
    static struct wire_pod pods[PODS];
    char node[32];
    int64_t end = 1760000000 * SEC;
    struct outbuf enc;

    for (int i = 0; i < SAMPLES; i++) {
        samples[i].real_ns = end - (SAMPLES - 1 - i) * SEC;
        samples[i].usage_usec = 1000000 + (uint64_t)i * 123457;
    }
    outbuf_init(&enc);
    for (int n = 0; n < NODES; n++) {
        snprintf(node, sizeof(node), "node-%05d", n);
        for (int p = 0; p < PODS; p++) {
            unsigned u = (unsigned)(n * PODS + p);
            snprintf(uids[p], sizeof(uids[p]), "%08x-0000-4000-8000-%012x", u, u);
            snprintf(names[p], sizeof(names[p]), "pod-%05d-%02d", n, p);
            for (int c = 0; c < CONTAINERS; c++) {
                for (int k = 0; k < 8; k++)
                    snprintf(ids[p][c] + k * 8, 9, "%08x", u * 4 + (unsigned)c + (unsigned)k);
                cs[p][c] = (struct wire_container){
                    .id = ids[p][c],
                    .name = c ? "sidecar" : "app",
                    .samples = samples,
                    .nsamples = SAMPLES,
                    .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 52428800 + u}};
            }
            pods[p] = (struct wire_pod){.uid = uids[p],
                                        .namespace_ = p % 3 ? "team-a" : "team-b",
                                        .name = names[p],
                                        .containers = cs[p],
                                        .ncontainers = CONTAINERS};
        }
        struct wire_shipment ship = {.flags = WIRE_FULL,
                                     .node_name = node,
                                     .instance = (uint64_t)n + 1,
                                     .seq = 1,
                                     .sent_ns = end,
                                     .node = {.cpu_cores = 32,
                                              .memory_capacity = 1ull << 37,
                                              .samples = samples,
                                              .nsamples = SAMPLES,
                                              .memory = {.have = WIRE_HAVE_WORKING_SET}},
                                     .pods = pods,
                                     .npods = PODS};
        struct wire_shipment decoded;
        struct wire_arena arena;
        enum store_apply_result res;
        char err[128];

        outbuf_reset(&enc);
        wire_arena_init(&arena);
        if (wire_encode(&ship, &enc) ||
            wire_decode(enc.data, enc.len, &decoded, &arena, err, sizeof(err)) ||
            store_apply(s, &decoded, 0, &res)) {
            fprintf(stderr, "bench: filling the store failed: %s\n", err);
            exit(1);
        }
        wire_arena_done(&arena);
    }
    outbuf_done(&enc);
}

static void time_render(struct store *s, enum query_format m, const char *label,
                        const struct selector *labels)
{
    struct metrics_query q = {.target = QUERY_PODS,
                              .api_version = "metrics.k8s.io/v1beta1",
                              .format = m,
                              .labels = labels};
    struct outbuf out;
    double best = 1e18;
    size_t bytes = 0;

    outbuf_init(&out);
    for (int i = 0; i < 5; i++) {
        outbuf_reset(&out);
        int64_t t0 = clock_mono_ns();
        if (metrics_query_render(s, &scratch, &q, &out) != 200) {
            fprintf(stderr, "bench: render failed\n");
            exit(1);
        }
        double ms = (double)(clock_mono_ns() - t0) / 1e6;
        if (ms < best) best = ms;
        bytes = out.len;
    }
    printf("LIST all pods (%zu pods), %-8s %7.1f ms server-side per full response, %zu bytes "
           "(best of 5)\n",
           s->npods, label, best, bytes);
    outbuf_done(&out);
}

int main(void)
{
    struct store s;
    int64_t t0 = clock_mono_ns();

    store_init(&s, 15 * SEC, 3600 * SEC);
    metrics_query_scratch_init(&scratch);
    fill_store(&s);
    printf("store filled through decode+apply: %d nodes, %zu pods, %zu containers in %.2f s\n",
           NODES, s.npods, s.ncontainers, (double)(clock_mono_ns() - t0) / 1e9);
    time_render(&s, QUERY_JSON, "JSON", NULL);
    time_render(&s, QUERY_PROTOBUF, "protobuf", NULL);
    time_render(&s, QUERY_TABLE_V1, "Table", NULL);
    /* A selector nothing matches: the cost of selection and views alone, without rendering. */
    struct selector none;
    char err[64];
    if (label_selector_parse("no-such-label", 13, &none, err, sizeof(err)) == 0) {
        time_render(&s, QUERY_JSON, "views", &none);
        selector_done(&none);
    }
    printf("targets: JSON < 150 ms, protobuf < 60 ms\n");
    metrics_query_scratch_done(&scratch);
    store_done(&s);
    return 0;
}
