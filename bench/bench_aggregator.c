/* Aggregator benchmark at cluster scale, against a real kmetrics-aggregator process, with the
 * collectors connected as they really connect: 5,000 simulated nodes, each with its own TLS
 * connection made and driven by the collector's own HTTP/2 client (userspace/ship/h2_client.c),
 * held open between shipments as the shipper holds it. Run at 30 pods per node (metrics-server's
 * tested scale) and at 110 (the kubelet's default pod limit), 2 containers per pod:
 *   - memory: RSS with nothing stored, with 5,000 idle connections, and holding every series
 *     (bytes per idle connection and per series);
 *   - ingest: the aggregator's own CPU (/proc/<pid>/stat) for one ship interval of periodic
 *     deltas from every node, at several ship intervals (a delta carries one 1 s sample per
 *     series per second of interval), and per changes-only delta (a pod starting or going
 *     away: what the collectors ship between intervals);
 *   - LIST all pods in protobuf and JSON end to end over loopback TLS (bench_list gives the
 *     server-side part), and GET one pod with h2load.
 * Prints figures only; the targets are in the last line. */
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lib/agg_harness.h"
#include "clock.h"
#include "ship/h2_client.h"
#include "wire/wire_encode.h"
#include "lib/proc_usage.h"

#define NODES 5000
#define MAX_PODS 110
#define CONTAINERS_PER_POD 2
#define MAX_SAMPLES 32
#define IN_FLIGHT 256 /* shipments under way at once (collectors' ticks are spread out) */
#define SEC ((int64_t)1000000000)
#define CONTENT_TYPE "application/vnd.kmetrics.shipment.v2"

static double mib(long kib)
{
    return (double)kib / 1024.0;
}

/* What a round ships from every node. */
enum round {
    ROUND_HELLO,   /* a full snapshot of the node alone: opens the connection, stores no pod */
    ROUND_FULL,    /* a full snapshot of every pod */
    ROUND_DELTA,   /* a periodic delta: every series' samples since the last one */
    ROUND_START,   /* changes-only: one new pod with its first rate */
    ROUND_REMOVAL, /* changes-only: that pod gone */
};

/* One node's shipment, rebuilt for each round (names are deterministic). */
struct node_ship {
    char name[32];
    char uids[MAX_PODS + 1][40];
    char pod_names[MAX_PODS + 1][32];
    char ids[MAX_PODS + 1][CONTAINERS_PER_POD][65];
    struct wire_sample samples[MAX_SAMPLES];
    struct wire_container containers[MAX_PODS + 1][CONTAINERS_PER_POD];
    struct wire_pod pods[MAX_PODS + 1];
    struct wire_shipment ship;
};

struct sim_node {
    struct h2_conn *conn;
    struct outbuf body;
    struct h2_request req;
    uint64_t seq;
    bool busy;
};

struct bench {
    struct agg_harness h;
    struct h2_tls *tls;
    struct h2_header headers[3];
    char auth[128];
    struct sim_node nodes[NODES];
    int pods_per_node;
    bool signals;     /* shipments carry every signal (wire version 2) */
    int64_t clock_ns; /* the simulated collectors' sample clock */
    unsigned failures;
    long last_bad_status;
    char last_error[256];
};

/* What a collector ships for a container and a pod when every signal is on: a 15 s window
 * ending now, pressure of every kind, throttling, OOM kills, run-queue latency, traffic. */
static void set_signals(struct node_ship *n, int p, int64_t end_ns)
{
    for (int c = 0; c < CONTAINERS_PER_POD; c++)
        n->containers[p][c].signals = (struct wire_signals){.have = WIRE_SIG_ALL,
                                                            .end_real_ns = end_ns,
                                                            .window_ms = 15000,
                                                            .stall_some_usec = {1000, 200, 30},
                                                            .stall_full_usec = {0, 100, 10},
                                                            .periods = 150,
                                                            .throttled_periods = 3,
                                                            .throttled_usec = 9000,
                                                            .oom_kills_total = 1,
                                                            .runq_waits = 4000,
                                                            .runq_p50_us = 5,
                                                            .runq_p99_us = 900};
    n->pods[p].network = (struct wire_network){.source = WIRE_NET_INTERFACES,
                                               .end_real_ns = end_ns,
                                               .window_ms = 15000,
                                               .rx_bytes = 1500000,
                                               .rx_packets = 1200,
                                               .tx_bytes = 800000,
                                               .tx_packets = 900};
}

static void set_pod(struct node_ship *n, int node, int p, int nsamples)
{
    unsigned u = (unsigned)(node * (MAX_PODS + 1) + p);

    snprintf(n->uids[p], sizeof(n->uids[p]), "%08x-0000-4000-8000-%012x", u, u);
    snprintf(n->pod_names[p], sizeof(n->pod_names[p]), "pod-%05d-%03d", node, p);
    for (int c = 0; c < CONTAINERS_PER_POD; c++) {
        for (int k = 0; k < 8; k++)
            snprintf(n->ids[p][c] + k * 8, 9, "%08x", u * 4 + (unsigned)c + (unsigned)k);
        n->containers[p][c] = (struct wire_container){
            .id = n->ids[p][c],
            .name = c ? "sidecar" : "app",
            .samples = n->samples,
            .nsamples = (size_t)nsamples,
            .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = (uint64_t)(20 + c) << 20}};
    }
    n->pods[p] = (struct wire_pod){.uid = n->uids[p],
                                   .namespace_ = "bench",
                                   .name = n->pod_names[p],
                                   .containers = n->containers[p],
                                   .ncontainers = CONTAINERS_PER_POD};
}

static void build_node(struct bench *b, struct node_ship *n, int node, enum round r, int nsamples)
{
    struct sim_node *sn = &b->nodes[node];
    int npods = 0;

    snprintf(n->name, sizeof(n->name), "node-%05d", node);
    for (int i = 0; i < nsamples; i++) {
        n->samples[i].real_ns = b->clock_ns - (int64_t)(nsamples - 1 - i) * SEC;
        n->samples[i].usage_usec = (uint64_t)(n->samples[i].real_ns / 1000) / 4;
    }
    switch (r) {
    case ROUND_HELLO:
        break;
    case ROUND_FULL:
    case ROUND_DELTA:
        for (int p = 0; p < b->pods_per_node; p++) {
            set_pod(n, node, p, nsamples);
            if (b->signals) set_signals(n, p, b->clock_ns);
        }
        npods = b->pods_per_node;
        break;
    case ROUND_START:
    case ROUND_REMOVAL:
        set_pod(n, node, MAX_PODS, nsamples);
        if (r == ROUND_REMOVAL) {
            n->pods[0] = n->pods[MAX_PODS];
            n->pods[0].removed = true;
            n->pods[0].ncontainers = 0;
        } else {
            n->pods[0] = n->pods[MAX_PODS];
        }
        npods = 1;
        break;
    }
    sn->seq++;
    n->ship = (struct wire_shipment){
        .flags = r == ROUND_HELLO || r == ROUND_FULL ? WIRE_FULL : 0,
        .node_name = n->name,
        .instance = (uint64_t)node + 1,
        .seq = sn->seq,
        .base_seq = r == ROUND_HELLO || r == ROUND_FULL ? 0 : sn->seq - 1,
        .sent_ns = b->clock_ns,
        .ship_interval_ms = 15000,
        .node = {.cpu_cores = 32,
                 .memory_capacity = 128ull << 30,
                 .samples = n->samples,
                 .nsamples = (size_t)nsamples,
                 .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 64ull << 30}},
        .pods = n->pods,
        .npods = (size_t)npods};
}

static void finish(struct bench *b, struct sim_node *sn)
{
    const struct h2_response *resp = h2_conn_response(sn->conn);

    if (resp->status != 200) {
        b->failures++;
        b->last_bad_status = resp->status;
        snprintf(b->last_error, sizeof(b->last_error), "%s", resp->error);
    }
    sn->busy = false;
    outbuf_done(&sn->body); /* a collector keeps its buffer; the bench holds 5,000 */
}

/* Ships one round from every node, each over its own connection (opened on first use and
 * kept), at most IN_FLIGHT at once. Returns wall seconds. */
static double ship_round(struct bench *b, enum round r, int nsamples)
{
    static struct node_ship n;
    static struct pollfd pfd[IN_FLIGHT];
    static int which[IN_FLIGHT];
    int next = 0, running = 0;
    int64_t start = clock_mono_ns();

    while (next < NODES || running > 0) {
        while (next < NODES && running < IN_FLIGHT) {
            struct sim_node *sn = &b->nodes[next];
            build_node(b, &n, next, r, nsamples);
            outbuf_init(&sn->body);
            if (wire_encode(&n.ship, &sn->body) != 0) {
                fprintf(stderr, "bench: encoding failed\n");
                exit(1);
            }
            sn->req = (struct h2_request){.authority = "127.0.0.1",
                                          .path = "/ship",
                                          .headers = b->headers,
                                          .nheaders = 3,
                                          .body = sn->body.data,
                                          .body_len = sn->body.len};
            if (!h2_conn_post(sn->conn, &sn->req, clock_mono_ns())) {
                fprintf(stderr, "bench: post failed\n");
                exit(1);
            }
            sn->busy = true;
            running++;
            next++;
        }
        int np = 0;
        int64_t now = clock_mono_ns(), deadline = INT64_MAX;
        for (int i = 0; i < NODES && np < running; i++) {
            struct sim_node *sn = &b->nodes[i];
            short ev = 0;
            if (!sn->busy) continue;
            int fd = h2_conn_pollfd(sn->conn, &ev);
            int64_t d = h2_conn_deadline(sn->conn);
            if (d < deadline) deadline = d;
            pfd[np] = (struct pollfd){.fd = fd, .events = ev};
            which[np++] = i;
        }
        int wait_ms = deadline == INT64_MAX ? 100
                      : deadline <= now     ? 0
                                            : (int)((deadline - now) / 1000000 + 1);
        if (wait_ms > 100) wait_ms = 100;
        if (poll(pfd, (nfds_t)np, wait_ms) < 0 && errno != EINTR) {
            perror("poll");
            exit(1);
        }
        now = clock_mono_ns();
        for (int k = 0; k < np; k++) {
            struct sim_node *sn = &b->nodes[which[k]];
            if (!pfd[k].revents && h2_conn_deadline(sn->conn) > now) continue;
            if (h2_conn_on_io(sn->conn, pfd[k].revents, now)) {
                finish(b, sn);
                running--;
            }
        }
    }
    return (double)(clock_mono_ns() - start) / 1e9;
}

static void report_failures(struct bench *b, const char *what)
{
    if (!b->failures) return;
    fprintf(stderr, "bench: %u %s shipments failed (last: status %ld, %s)\n", b->failures, what,
            b->last_bad_status, b->last_error);
    b->failures = 0;
}

static double time_get(struct agg_harness *h, const char *path, const char *accept, size_t *bytes)
{
    struct http_result r;
    int64_t t0 = clock_mono_ns();

    if (ah_get(h, path, accept, NULL, &r) != 0 || r.status != 200) {
        fprintf(stderr, "bench: GET %s failed (%ld)\n", path, r.status);
        outbuf_done(&r.body);
        return -1;
    }
    double ms = (double)(clock_mono_ns() - t0) / 1e6;
    *bytes = r.body.len;
    outbuf_done(&r.body);
    return ms;
}

static void best_of_3(struct agg_harness *h, const char *label, const char *accept)
{
    double best = 1e9;
    size_t bytes = 0;

    for (int i = 0; i < 3; i++) {
        double t = time_get(h, "/apis/metrics.k8s.io/v1beta1/pods", accept, &bytes);
        if (t >= 0 && t < best) best = t;
    }
    printf("  LIST all pods, %-8s %7.1f ms end to end over TLS (%zu bytes), best of 3\n", label,
           best, bytes);
}

/* Ingest CPU of one periodic round at a ship interval of interval_s (1 s samples). */
static double delta_round_cpu(struct bench *b, int interval_s)
{
    b->clock_ns += interval_s * SEC;
    double cpu0 = pu_cpu_seconds(b->h.pid);
    ship_round(b, ROUND_DELTA, interval_s);
    report_failures(b, "delta");
    return pu_cpu_seconds(b->h.pid) - cpu0;
}

static void get_one_pod(struct bench *b)
{
    struct outbuf out;

    outbuf_init(&out);
    ah_sh(&out,
          "h2load -n 200000 -c 8 -m 32 -t 1 -H 'authorization: Bearer %s' "
          "%s/apis/metrics.k8s.io/v1beta1/namespaces/bench/pods/pod-00042-007 2>&1 | "
          "grep -E '^finished in|^requests:|^status codes:'",
          AH_READ_TOKEN, b->h.base_url);
    printf("  GET one pod over HTTP/2 (h2load, 8 connections x 32 streams, 1 aggregator "
           "thread):\n%s",
           out.data ? out.data : "(h2load not found)\n");
    outbuf_done(&out);
}

static int run_scale(struct bench *b, int pods_per_node)
{
    long series = (long)NODES * pods_per_node * CONTAINERS_PER_POD;
    char ca[PATH_MAX + 16];

    memset(b->nodes, 0, sizeof(b->nodes));
    memset(&b->h, 0, sizeof(b->h));
    b->pods_per_node = pods_per_node;
    b->clock_ns = clock_real_ns() - 60 * SEC;
    if (ah_start(&b->h, "--metric-resolution=15s -q") != 0) {
        fprintf(stderr, "bench: aggregator did not start\n");
        return -1;
    }
    snprintf(ca, sizeof(ca), "%s/certs/ca.crt", b->h.dir);
    b->tls = h2_tls_new(ca, false);
    if (!b->tls) return -1;
    for (int i = 0; i < NODES; i++) {
        b->nodes[i].conn = h2_conn_new(b->tls, "127.0.0.1", (unsigned)b->h.port, NULL);
        if (!b->nodes[i].conn) return -1;
    }
    printf("aggregator at %d nodes x %d pods x %d containers = %ld container series, one TLS "
           "connection per node (the collectors' HTTP/2 client)\n",
           NODES, pods_per_node, CONTAINERS_PER_POD, series);
    usleep(300000);
    long empty = pu_status_kib(b->h.pid, "VmRSS");
    printf("  memory, nothing stored and no connection: RSS %.1f MiB\n", mib(empty));

    ship_round(b, ROUND_HELLO, 2);
    report_failures(b, "hello");
    usleep(300000);
    long conns = pu_status_kib(b->h.pid, "VmRSS");
    printf("  memory, %d idle connections (each after one small shipment): RSS %.1f MiB = "
           "%.1f KiB per idle connection\n",
           NODES, mib(conns), (double)(conns - empty) / NODES);

    double wall = ship_round(b, ROUND_FULL, MAX_SAMPLES);
    report_failures(b, "full");
    usleep(300000);
    long full = pu_status_kib(b->h.pid, "VmRSS");
    printf("  memory, every series stored (full snapshots took %.1f s wall): RSS %.1f MiB = %.0f "
           "bytes per series beyond the connections\n",
           wall, mib(full), (double)(full - conns) * 1024.0 / (double)series);

    /* Warm the steady state once (every series has its history), then measure. */
    delta_round_cpu(b, 15);
    static const int intervals[] = {5, 10, 15, 30};
    for (size_t i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
        double cpu = delta_round_cpu(b, intervals[i]);
        printf("  ingest, ship interval %2d s: one round of %d periodic deltas (%d samples per "
               "series) = %.2f s CPU = %.1f%% of one core\n",
               intervals[i], NODES, intervals[i], cpu, 100.0 * cpu / intervals[i]);
    }
    b->clock_ns += SEC;
    double cpu0 = pu_cpu_seconds(b->h.pid);
    ship_round(b, ROUND_START, 2);
    b->clock_ns += SEC;
    ship_round(b, ROUND_REMOVAL, 0);
    report_failures(b, "changes-only");
    double churn = pu_cpu_seconds(b->h.pid) - cpu0;
    printf("  ingest, changes-only deltas: %.0f us CPU each (%d pod starts and %d removals); one "
           "per node every 15 s adds %.1f%% of one core\n",
           churn * 1e6 / (2 * NODES), NODES, NODES, 100.0 * churn / 2 / 15.0);
    long peak = pu_status_kib(b->h.pid, "VmHWM");
    full = pu_status_kib(b->h.pid, "VmRSS");
    printf("  memory after ingest: RSS %.1f MiB (peak %.1f MiB) = %.0f bytes per pod beyond the "
           "connections\n",
           mib(full), mib(peak), (double)(full - conns) * 1024.0 / ((double)NODES * pods_per_node));

    /* Every signal on (wire version 2): each pod's combined windows and traffic are kept. */
    b->signals = true;
    delta_round_cpu(b, 15);
    double sig_cpu = delta_round_cpu(b, 15);
    usleep(300000);
    long with_signals = pu_status_kib(b->h.pid, "VmRSS");
    printf("  signals on (every container's pressure, throttling, OOM kills, run-queue latency; "
           "every pod's traffic): RSS %.1f MiB = %.0f bytes per pod more (%.0f in all per pod); "
           "a round of periodic deltas with them at 15 s = %.2f s CPU = %.1f%% of one core\n",
           mib(with_signals),
           (double)(with_signals - full) * 1024.0 / ((double)NODES * pods_per_node),
           (double)(with_signals - conns) * 1024.0 / ((double)NODES * pods_per_node), sig_cpu,
           100.0 * sig_cpu / 15);
    b->signals = false;

    best_of_3(&b->h, "protobuf", "application/vnd.kubernetes.protobuf");
    best_of_3(&b->h, "JSON", "application/json");

    if (pods_per_node == MAX_PODS) get_one_pod(b);
    for (int i = 0; i < NODES; i++) {
        h2_conn_free(b->nodes[i].conn);
        outbuf_done(&b->nodes[i].body);
    }
    h2_tls_free(b->tls);
    b->tls = NULL;
    ah_stop(&b->h);
    tu_rm_rf(b->h.dir);
    return 0;
}

int main(void)
{
    static struct bench b;
    struct rlimit rl;
    int rc;

    /* 5,000 client sockets here and as many in the aggregator (which inherits this limit). */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * NODES + 256) {
        fprintf(stderr, "bench: needs %d file descriptors, the limit is %llu\n", 2 * NODES + 256,
                (unsigned long long)rl.rlim_cur);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(b.auth, sizeof(b.auth), "Bearer %s", AH_SHIP_TOKEN);
    b.headers[0] = (struct h2_header){"content-type", CONTENT_TYPE, false};
    b.headers[1] = (struct h2_header){"user-agent", "kmetrics-bench", false};
    b.headers[2] = (struct h2_header){"authorization", b.auth, true};

    rc = run_scale(&b, 30);
    if (rc == 0) rc = run_scale(&b, MAX_PODS);
    printf("targets: RSS <= 300 MiB at 110 pods per node; ingest < 10%% of one core at the default "
           "ship interval; LIST protobuf < 150 ms server-side (bench_list)\n");
    curl_global_cleanup();
    return rc;
}
