/* Aggregator benchmarks at metrics-server's tested scale (5,000 nodes x 30 pods x 2
 * containers = 300,000 container series), against a real kmetrics-aggregator process:
 *   - ingest: 5,000 collectors' delta shipments (one 15 s ship interval's worth) over HTTP/2,
 *     measured as the aggregator's own CPU time (/proc/<pid>/stat), as % of one core;
 *   - LIST all pods, JSON and protobuf, full response time over loopback TLS;
 *   - RSS of the aggregator holding all of it;
 *   - GET of one pod over HTTP/2 with h2load (one aggregator thread = one core).
 * Prints figures only; targets are in the last line. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/agg_harness.h"
#include "clock.h"
#include "wire/wire_encode.h"

#define NODES 5000
#define PODS_PER_NODE 30
#define CONTAINERS_PER_POD 2
#define SAMPLES 16
#define SEC ((int64_t)1000000000)

static double cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof(buf), f)) {
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    /* Fields 14 and 15 (utime, stime) come after the ")" that ends the command name. */
    sscanf(strrchr(buf, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        sscanf(line, "VmRSS: %ld kB", &kib);
    if (f) fclose(f);
    return kib;
}

/* One node's shipment: deterministic names, usage growing with time. */
struct node_ship {
    char name[32];
    char uids[PODS_PER_NODE][40];
    char pod_names[PODS_PER_NODE][32];
    char ids[PODS_PER_NODE][CONTAINERS_PER_POD][65];
    struct wire_sample samples[PODS_PER_NODE][CONTAINERS_PER_POD][SAMPLES];
    struct wire_sample node_samples[SAMPLES];
    struct wire_container containers[PODS_PER_NODE][CONTAINERS_PER_POD];
    struct wire_pod pods[PODS_PER_NODE];
    struct wire_shipment ship;
};

static void build_node(struct node_ship *n, int node, int full, uint64_t seq, int64_t end,
                       int nsamples)
{
    snprintf(n->name, sizeof(n->name), "node-%05d", node);
    for (int i = 0; i < nsamples; i++) {
        n->node_samples[i].real_ns = end - (int64_t)(nsamples - 1 - i) * SEC;
        n->node_samples[i].usage_usec = (uint64_t)(n->node_samples[i].real_ns / 1000) / 2;
    }
    for (int p = 0; p < PODS_PER_NODE; p++) {
        unsigned u = (unsigned)(node * PODS_PER_NODE + p);
        snprintf(n->uids[p], sizeof(n->uids[p]), "%08x-0000-4000-8000-%012x", u, u);
        snprintf(n->pod_names[p], sizeof(n->pod_names[p]), "pod-%05d-%02d", node, p);
        for (int c = 0; c < CONTAINERS_PER_POD; c++) {
            for (int k = 0; k < 8; k++)
                snprintf(n->ids[p][c] + k * 8, 9, "%08x", u * 4 + (unsigned)c + (unsigned)k);
            for (int i = 0; i < nsamples; i++) {
                n->samples[p][c][i].real_ns = n->node_samples[i].real_ns;
                n->samples[p][c][i].usage_usec =
                    (uint64_t)(n->node_samples[i].real_ns / 1000) / (uint64_t)(10 + c);
            }
            n->containers[p][c] = (struct wire_container){
                .id = n->ids[p][c],
                .name = c ? "sidecar" : "app",
                .samples = n->samples[p][c],
                .nsamples = (size_t)nsamples,
                .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = (uint64_t)(20 + c) << 20}};
        }
        n->pods[p] = (struct wire_pod){.uid = n->uids[p],
                                       .namespace_ = "bench",
                                       .name = n->pod_names[p],
                                       .containers = n->containers[p],
                                       .ncontainers = CONTAINERS_PER_POD};
    }
    n->ship = (struct wire_shipment){
        .flags = full ? WIRE_FULL : 0,
        .node_name = n->name,
        .instance = (uint64_t)node + 1,
        .seq = seq,
        .base_seq = full ? 0 : seq - 1,
        .sent_ns = end,
        .node = {.cpu_cores = 32,
                 .memory_capacity = 128ull << 30,
                 .samples = n->node_samples,
                 .nsamples = (size_t)nsamples,
                 .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 64ull << 30}},
        .pods = n->pods,
        .npods = PODS_PER_NODE};
}

/* Ships every node once over a pool of HTTP/2 connections; returns wall seconds. */
static double ship_all(struct agg_harness *h, int full, uint64_t seq, int nsamples)
{
    enum { PARALLEL = 64 };
    static struct node_ship n;
    static struct outbuf bodies[PARALLEL];
    CURLM *multi = curl_multi_init();
    CURL *easy[PARALLEL] = {0};
    struct curl_slist *hdrs = NULL;
    char url[128], ca[PATH_MAX + 16];
    int next = 0, running = 0, failures = 0;
    int64_t start = clock_real_ns(), end = start;

    snprintf(url, sizeof(url), "%s/ship", h->base_url);
    snprintf(ca, sizeof(ca), "%s/certs/ca.crt", h->dir);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/vnd.kmetrics.shipment.v1");
    hdrs = curl_slist_append(hdrs, "Authorization: Bearer " AH_SHIP_TOKEN);
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    for (;;) {
        for (int s = 0; s < PARALLEL && next < NODES; s++) {
            if (easy[s]) continue;
            build_node(&n, next, full, seq, end, nsamples);
            outbuf_reset(&bodies[s]);
            if (wire_encode(&n.ship, &bodies[s]) != 0) return -1;
            easy[s] = curl_easy_init();
            curl_easy_setopt(easy[s], CURLOPT_URL, url);
            curl_easy_setopt(easy[s], CURLOPT_CAINFO, ca);
            curl_easy_setopt(easy[s], CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
            curl_easy_setopt(easy[s], CURLOPT_HTTPHEADER, hdrs);
            curl_easy_setopt(easy[s], CURLOPT_POSTFIELDS, bodies[s].data);
            curl_easy_setopt(easy[s], CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodies[s].len);
            curl_easy_setopt(easy[s], CURLOPT_WRITEFUNCTION, ah_write_cb);
            curl_easy_setopt(easy[s], CURLOPT_WRITEDATA, &bodies[s]);
            curl_easy_setopt(easy[s], CURLOPT_PRIVATE, (void *)(intptr_t)s);
            curl_multi_add_handle(multi, easy[s]);
            next++;
        }
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            intptr_t s;
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (msg->data.result != CURLE_OK || code != 200) failures++;
            curl_multi_remove_handle(multi, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            easy[s] = NULL;
        }
        if (next >= NODES && running == 0) break;
        curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    curl_slist_free_all(hdrs);
    curl_multi_cleanup(multi);
    if (failures) fprintf(stderr, "bench: %d shipments failed\n", failures);
    return (double)(clock_real_ns() - start) / 1e9;
}

static double time_get(struct agg_harness *h, const char *path, const char *accept, size_t *bytes)
{
    struct http_result r;
    int64_t t0 = clock_real_ns();

    if (ah_get(h, path, accept, NULL, &r) != 0 || r.status != 200) {
        fprintf(stderr, "bench: GET %s failed (%ld)\n", path, r.status);
        outbuf_done(&r.body);
        return -1;
    }
    double ms = (double)(clock_real_ns() - t0) / 1e6;
    *bytes = r.body.len;
    outbuf_done(&r.body);
    return ms;
}

int main(void)
{
    struct agg_harness h = {0};
    struct outbuf out;
    size_t bytes = 0;
    double best_json = 1e9, best_pb = 1e9;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (ah_start(&h, "--metric-resolution=15s --node-expiry=10m -q") != 0) {
        fprintf(stderr, "bench: aggregator did not start\n");
        return 1;
    }
    printf("aggregator at %d nodes x %d pods x %d containers = %d container series\n", NODES,
           PODS_PER_NODE, CONTAINERS_PER_POD, NODES * PODS_PER_NODE * CONTAINERS_PER_POD);

    double wall = ship_all(&h, 1, 1, SAMPLES);
    printf("initial full snapshots: %.2f s wall for %d nodes\n", wall, NODES);
    long rss = rss_kib(h.pid);

    double cpu0 = cpu_seconds(h.pid);
    wall = ship_all(&h, 0, 2, 15); /* one 15 s interval of 1 s samples per container */
    double cpu = cpu_seconds(h.pid) - cpu0;
    printf("ingest: %d delta shipments (15 samples per series) took %.2f s CPU in the aggregator "
           "(%.2f s wall) = %.1f%% of one core at a 15 s ship interval\n",
           NODES, cpu, wall, 100.0 * cpu / 15.0);
    printf("memory: aggregator RSS %ld KiB (%.1f MiB) holding %d series\n", rss, rss / 1024.0,
           NODES * PODS_PER_NODE * CONTAINERS_PER_POD);
    for (int i = 0; i < 3; i++) {
        double j = time_get(&h, "/apis/metrics.k8s.io/v1beta1/pods", "application/json", &bytes);
        if (j >= 0 && j < best_json) best_json = j;
    }
    printf("LIST all pods, JSON: %.1f ms per full response (%zu bytes), best of 3\n", best_json,
           bytes);
    for (int i = 0; i < 3; i++) {
        double p = time_get(&h, "/apis/metrics.k8s.io/v1beta1/pods",
                            "application/vnd.kubernetes.protobuf", &bytes);
        if (p >= 0 && p < best_pb) best_pb = p;
    }
    printf("LIST all pods, protobuf: %.1f ms per full response (%zu bytes), best of 3\n", best_pb,
           bytes);

    outbuf_init(&out);
    ah_sh(&out,
          "h2load -n 200000 -c 8 -m 32 -t 1 -H 'authorization: Bearer %s' "
          "%s/apis/metrics.k8s.io/v1beta1/namespaces/bench/pods/pod-00042-07 2>&1 | "
          "grep -E '^finished in|^requests:|^status codes:'",
          AH_READ_TOKEN, h.base_url);
    printf("GET one pod over HTTP/2 (h2load, 8 connections x 32 streams, 1 aggregator thread):\n"
           "%s",
           out.data ? out.data : "(h2load not found)\n");
    outbuf_done(&out);
    printf("targets: GET >= 50000 req/s; LIST JSON < 150 ms, protobuf < 60 ms; ingest < 5%% "
           "of a core; RSS < 150 MiB\n");
    ah_stop(&h);
    tu_rm_rf(h.dir);
    curl_global_cleanup();
    return 0;
}
