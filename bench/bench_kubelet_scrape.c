/* What the kubelet-scrape fallback costs the aggregator, beside collectors shipping the same
 * data: 1,000 nodes of 30 pods x 2 containers (a typical node), a 15 s period, a real
 * kmetrics-aggregator in Kubernetes mode against a real kube-apiserver 1.20.2
 * (tests/lib/kube_cluster.h) holding 1,000 Node objects.
 *   - kubelets: one fake_kubelet (tests/helpers/fake_kubelet.c, mode good) listening on the
 *     1,000 loopback addresses 127.1.0.1 to 127.1.3.232, each Node naming one of them
 *     (InternalIP, status port); the aggregator scrapes every node every --metric-resolution
 *     of 15 s with its defaults otherwise (16 workers, the kubelets' CA verified, one kept
 *     connection per kubelet);
 *   - collectors: the same 1,000 nodes' pods and containers shipped by 1,000 simulated
 *     collectors, each on its own TLS connection with the collectors' HTTP/2 client
 *     (userspace/ship/h2_client.c) and its own pod-bound ServiceAccount token, a periodic delta
 *     every 15 s (15 one-second samples per series, as the collector ships at its default
 *     --interval), spread over the period; --kubelet-fallback=false.
 * Each is measured over a steady 60 s window after a full period of warm-up: the aggregator's
 * CPU (utime + stime from /proc/PID/stat) and RSS (VmRSS, VmHWM). Prints one table. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lib/agg_harness.h"
#include "lib/kube_cluster.h"
#include "clock.h"
#include "ship/h2_client.h"
#include "wire/wire_encode.h"
#include "lib/proc_usage.h"

#define NODES 1000
#define PODS 30
#define CONTAINERS 2
#define PERIOD_S 15
#define WINDOW_S 60
#define API_WORKERS 8
#define IN_FLIGHT 64
#define SEC ((int64_t)1000000000)
#define LABEL "kmetrics-bench=kubelet-scrape"
#define FIRST_ADDR 0x7f010001u /* 127.1.0.1 */

static struct kube_cluster cl;
static char tmp[PATH_MAX], bin_dir[PATH_MAX];
static int kubelet_port;
static char *tokens[NODES];

struct figures {
    double cpu_s, events, mean_ms, other_cpu_s;
    long rss_start, rss, hwm;
    size_t nodes, pods;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "bench_kubelet_scrape: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void node_addr(int i, char *out, size_t n)
{
    struct in_addr a = {.s_addr = htonl(FIRST_ADDR + (uint32_t)i)};
    inet_ntop(AF_INET, &a, out, (socklen_t)n);
}

/* --- the API server, in parallel ----------------------------------------------------------- */

static atomic_int next_item;

static void parallel(void *(*fn)(void *))
{
    pthread_t t[API_WORKERS];

    atomic_store(&next_item, 0);
    for (int i = 0; i < API_WORKERS; i++)
        pthread_create(&t[i], NULL, fn, NULL);
    for (int i = 0; i < API_WORKERS; i++)
        pthread_join(t[i], NULL);
}

/* POST, retrying server errors (a fresh cluster refuses pods until the controller-manager has
 * made its ServiceAccount's token); the object's uid into uid when it is not NULL (from a GET
 * when it existed already). */
static long create(const char *path, const char *name, const char *body, char *uid, size_t n)
{
    struct kube_response r;
    char get[512];
    long st;

    for (int i = 0; (st = kcl_call(&cl, "POST", path, body, &r)) >= 500 && i < 100; i++) {
        kube_response_done(&r);
        usleep(200000);
    }
    if (st == 409 && uid) {
        kube_response_done(&r);
        snprintf(get, sizeof(get), "%s/%s", path, name);
        long g = kcl_call(&cl, "GET", get, NULL, &r);
        if (g != 200) {
            if (g > 0) kube_response_done(&r);
            return g;
        }
    }
    if ((st == 201 || st == 409) && uid) {
        json_t *j = json_loadb(r.body, r.len, 0, NULL);
        const char *u = json_string_value(json_object_get(json_object_get(j, "metadata"), "uid"));
        snprintf(uid, n, "%s", u ? u : "");
        json_decref(j);
    }
    if (st > 0) kube_response_done(&r);
    return st;
}

static void *create_nodes(void *arg)
{
    char body[512], name[32], addr[32];
    (void)arg;

    for (int i; (i = atomic_fetch_add(&next_item, 1)) < NODES;) {
        snprintf(name, sizeof(name), "kb-%04d", i);
        node_addr(i, addr, sizeof(addr));
        snprintf(
            body, sizeof(body),
            "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"kmetrics-bench\":\"kubelet-scrape\"}},"
            "\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"%s\"}],"
            "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":%d}}}}",
            name, addr, kubelet_port);
        long st = create("/api/v1/nodes", name, body, NULL, 0);
        if (st != 201 && st != 409) die("creating node %s: HTTP %ld", name, st);
    }
    return NULL;
}

/* A collector pod on each node and a token bound to it, as the DaemonSet's would be. */
static void *create_collectors(void *arg)
{
    char body[1024], name[32], uid[64], token[4096];
    (void)arg;

    for (int i; (i = atomic_fetch_add(&next_item, 1)) < NODES;) {
        snprintf(name, sizeof(name), "kb-collector-%04d", i);
        snprintf(
            body, sizeof(body),
            "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"kmetrics-bench\":\"kubelet-scrape\"}},"
            "\"spec\":{\"nodeName\":\"kb-%04d\",\"serviceAccountName\":\"kmetrics-collector\","
            "\"automountServiceAccountToken\":false,\"containers\":[{\"name\":\"c\","
            "\"image\":\"kmetrics-collector\"}]}}",
            name, i);
        long st = create("/api/v1/namespaces/kube-system/pods", name, body, uid, sizeof(uid));
        if (st != 201 && st != 409) die("creating pod %s: HTTP %ld", name, st);
        snprintf(body, sizeof(body),
                 "{\"spec\":{\"audiences\":[\"kmetrics\"],\"expirationSeconds\":7200,"
                 "\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"%s\","
                 "\"uid\":\"%s\"}}}",
                 name, uid);
        if (kcl_token(&cl, "kube-system", "kmetrics-collector", body, token, sizeof(token)))
            die("TokenRequest for %s failed", name);
        if (!(tokens[i] = strdup(token))) die("out of memory");
    }
    return NULL;
}

static void delete_bench_objects(void)
{
    const char *opts =
        "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0}";

    kcl_call(&cl, "DELETE", "/api/v1/nodes?labelSelector=" LABEL, opts, NULL);
    kcl_call(&cl, "DELETE", "/api/v1/namespaces/kube-system/pods?labelSelector=" LABEL, opts, NULL);
}

/* --- the aggregator ------------------------------------------------------------------------ */

/* A series' value from the aggregator's /metrics, read as the cluster admin; -1 if absent. */
static double series(struct agg_harness *h, const char *name)
{
    struct http_result r;
    struct curl_slist *hdrs;
    CURL *c = ah_curl(h, "/metrics", &r, &hdrs);
    char crt[PATH_MAX + 16], key[PATH_MAX + 16];
    size_t n = strlen(name);
    double v = -1;

    snprintf(crt, sizeof(crt), "%s/admin.crt", cl.pki);
    snprintf(key, sizeof(key), "%s/admin.key", cl.pki);
    curl_easy_setopt(c, CURLOPT_SSLCERT, crt);
    curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    ah_finish(c, hdrs, &r);
    outbuf_append(&r.body, "", 1);
    for (char *l = r.body.data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, name, n) == 0 && l[n] == ' ') v = strtod(l + n + 1, NULL);
    outbuf_done(&r.body);
    return v;
}

static void start_aggregator(struct agg_harness *h, const char *extra, struct figures *f)
{
    char flags[PATH_MAX * 2];

    snprintf(flags, sizeof(flags), "--kubeconfig=%s --metric-resolution=%ds -q %s", cl.kubeconfig,
             PERIOD_S, extra);
    memset(h, 0, sizeof(*h));
    if (ah_start_flags(h, flags)) die("the aggregator did not start (%s/aggregator.log)", h->dir);
    f->rss_start = pu_status_kib(h->pid, "VmRSS");
}

/* Waits until every node's figures come from source, then for a period more. */
static void wait_steady(struct agg_harness *h, const char *source, double deadline_s)
{
    char name[96];
    double t0 = tu_mono_s();

    snprintf(name, sizeof(name), "kmetrics_nodes_by_source{source=\"%s\"}", source);
    while (series(h, name) < NODES) {
        if (tu_mono_s() - t0 > deadline_s)
            die("only %.0f of %d nodes from %s after %.0f s", series(h, name), NODES, source,
                deadline_s);
        usleep(500000);
    }
    printf("  %s: all %d nodes served after %.1f s; a period more to settle\n", source, NODES,
           tu_mono_s() - t0);
}

static void end_window(struct agg_harness *h, const char *source, struct figures *f, double cpu0)
{
    char name[96];

    f->cpu_s = pu_cpu_seconds(h->pid) - cpu0;
    f->rss = pu_status_kib(h->pid, "VmRSS");
    f->hwm = pu_status_kib(h->pid, "VmHWM");
    snprintf(name, sizeof(name), "kmetrics_nodes_by_source{source=\"%s\"}", source);
    f->nodes = (size_t)series(h, name);
    snprintf(name, sizeof(name), "kmetrics_pods_by_source{source=\"%s\"}", source);
    f->pods = (size_t)series(h, name);
}

/* --- kubelets ------------------------------------------------------------------------------ */

static pid_t start_fake(void)
{
    char cmd[PATH_MAX * 3], path[PATH_MAX + 32];
    pid_t pid;

    snprintf(cmd, sizeof(cmd),
             "exec %s/tests/fake_kubelet --cert %s/kubelet.crt --key %s/kubelet.key --listen "
             "%d:good --bind 127.1.0.1 --bind-count %d --pods %d --containers %d >%s/fake.log 2>&1",
             bin_dir, tmp, tmp, kubelet_port, NODES, PODS, CONTAINERS, tmp);
    if ((pid = fork()) < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    snprintf(path, sizeof(path), "%s/fake.log", tmp);
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(path, "r");
        char line[256];
        bool ready = false;
        while (f && fgets(line, sizeof(line), f))
            ready = ready || strcmp(line, "ready\n") == 0;
        if (f) fclose(f);
        if (ready) return pid;
        usleep(50000);
    }
    die("fake_kubelet did not start: see %s", path);
}

static void run_kubelets(struct figures *f)
{
    struct agg_harness h;
    char extra[PATH_MAX + 256];
    const char *ok = "kmetrics_kubelet_scrapes_total{result=\"ok\"}";
    const char *dur = "kmetrics_kubelet_scrape_duration_seconds_sum";
    pid_t fake = start_fake();

    snprintf(extra, sizeof(extra),
             "--kubelet-use-node-status-port --kubelet-preferred-address-types=InternalIP "
             "--kubelet-certificate-authority=%s/ca.crt",
             tmp);
    start_aggregator(&h, extra, f);
    wait_steady(&h, "kubelet", 120);
    sleep(PERIOD_S);
    double ok0 = series(&h, ok), dur0 = series(&h, dur), fake0 = pu_cpu_seconds(fake);
    double cpu0 = pu_cpu_seconds(h.pid);
    sleep(WINDOW_S);
    end_window(&h, "kubelet", f, cpu0);
    f->other_cpu_s = pu_cpu_seconds(fake) - fake0;
    f->events = series(&h, ok) - ok0;
    f->mean_ms = f->events > 0 ? 1000 * (series(&h, dur) - dur0) / f->events : 0;
    double failed = 0;
    static const char *const bad[] = {"unreachable",  "tls",       "timeout",
                                      "unauthorized", "forbidden", "http_status",
                                      "too_large",    "malformed", "internal"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char name[96];
        snprintf(name, sizeof(name), "kmetrics_kubelet_scrapes_total{result=\"%s\"}", bad[i]);
        failed += series(&h, name);
    }
    if (failed) fprintf(stderr, "bench: %.0f kubelet scrapes failed\n", failed);
    ah_stop(&h);
    tu_rm_rf(h.dir);
    kill(fake, SIGTERM);
    waitpid(fake, NULL, 0);
}

/* --- collectors ---------------------------------------------------------------------------- */

struct collector {
    struct h2_conn *conn;
    struct h2_header headers[3];
    char *auth;
    struct outbuf body;
    struct h2_request req;
    uint64_t seq;
    bool busy, shipped;
    int64_t due_ns;
};

/* One node's shipment, rebuilt for each (the pods the fake kubelet serves, by name). */
struct node_ship {
    char name[32], uids[PODS][40], pod_names[PODS][48], ids[PODS][CONTAINERS][65];
    struct wire_sample node_samples[PERIOD_S], samples[CONTAINERS][PERIOD_S];
    struct wire_container containers[PODS][CONTAINERS];
    struct wire_pod pods[PODS];
    struct wire_shipment ship;
};

struct fleet {
    struct collector c[NODES];
    struct h2_tls *tls;
    unsigned shipped, failures;
    long last_bad;
};

/* Node i's shipment at real time now: PERIOD_S one-second samples per series, full or a
 * delta on the last one. */
static void build(struct node_ship *n, int i, struct collector *co, int64_t now)
{
    char addr[32];

    snprintf(n->name, sizeof(n->name), "kb-%04d", i);
    node_addr(i, addr, sizeof(addr));
    for (char *p = addr; *p; p++)
        if (*p == '.') *p = '-';
    for (int k = 0; k < PERIOD_S; k++) {
        int64_t t = now - (int64_t)(PERIOD_S - 1 - k) * SEC;
        n->node_samples[k] = (struct wire_sample){t, (uint64_t)(t / 1000) * 3 / 2};
        for (int c = 0; c < CONTAINERS; c++)
            n->samples[c][k] =
                (struct wire_sample){t, (uint64_t)(t / 1000) * (uint64_t)(c + 1) / 10};
    }
    for (int p = 0; p < PODS; p++) {
        unsigned u = (unsigned)(i * PODS + p);
        snprintf(n->uids[p], sizeof(n->uids[p]), "%08x-0000-4000-8000-%012x", u, u);
        snprintf(n->pod_names[p], sizeof(n->pod_names[p]), "pod-%s-%d", addr, p);
        for (int c = 0; c < CONTAINERS; c++) {
            for (int k = 0; k < 8; k++)
                snprintf(n->ids[p][c] + 8 * k, 9, "%08x", u * 4 + (unsigned)c + (unsigned)k);
            n->containers[p][c] = (struct wire_container){
                .id = n->ids[p][c],
                .name = c ? "c1" : "c0",
                .samples = n->samples[c],
                .nsamples = PERIOD_S,
                .memory = {.have = WIRE_HAVE_WORKING_SET,
                           .working_set = (uint64_t)((c + 1) * 16 + p) << 20}};
        }
        n->pods[p] = (struct wire_pod){.uid = n->uids[p],
                                       .namespace_ = "default",
                                       .name = n->pod_names[p],
                                       .containers = n->containers[p],
                                       .ncontainers = CONTAINERS};
    }
    co->seq++;
    n->ship = (struct wire_shipment){
        .flags = co->seq == 1 ? WIRE_FULL : 0,
        .node_name = n->name,
        .instance = (uint64_t)i + 1,
        .seq = co->seq,
        .base_seq = co->seq == 1 ? 0 : co->seq - 1,
        .sent_ns = now,
        .ship_interval_ms = PERIOD_S * 1000,
        .node = {.cpu_cores = 8,
                 .memory_capacity = 32ull << 30,
                 .samples = n->node_samples,
                 .nsamples = PERIOD_S,
                 .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 1ull << 30}},
        .pods = n->pods,
        .npods = PODS};
}

static void post(struct fleet *fl, int i)
{
    static struct node_ship n;
    struct collector *co = &fl->c[i];

    build(&n, i, co, clock_real_ns());
    outbuf_init(&co->body);
    if (wire_encode(&n.ship, &co->body)) die("encoding failed");
    co->req = (struct h2_request){.authority = "127.0.0.1",
                                  .path = "/ship",
                                  .headers = co->headers,
                                  .nheaders = 3,
                                  .body = co->body.data,
                                  .body_len = co->body.len};
    if (!h2_conn_post(co->conn, &co->req, clock_mono_ns())) die("post failed");
    co->busy = true;
}

/* Ships until end_ns: each collector when it is due (then again a period later), at most
 * IN_FLIGHT under way; then waits for those still under way. */
static void ship_until(struct fleet *fl, int64_t end_ns)
{
    static struct pollfd pfd[NODES];
    static int which[NODES];
    int running = 0;

    for (;;) {
        int64_t now = clock_mono_ns();
        for (int i = 0; i < NODES && running < IN_FLIGHT && now < end_ns; i++) {
            struct collector *co = &fl->c[i];
            if (co->busy || co->due_ns > now) continue;
            post(fl, i);
            co->due_ns += PERIOD_S * SEC;
            running++;
        }
        if (!running && now >= end_ns) return;
        int np = 0;
        for (int i = 0; i < NODES && np < running; i++) {
            short ev = 0;
            if (!fl->c[i].busy) continue;
            pfd[np] = (struct pollfd){.fd = h2_conn_pollfd(fl->c[i].conn, &ev)};
            pfd[np].events = ev;
            which[np++] = i;
        }
        if (poll(pfd, (nfds_t)np, 20) < 0 && errno != EINTR) die("poll: %s", strerror(errno));
        now = clock_mono_ns();
        for (int k = 0; k < np; k++) {
            struct collector *co = &fl->c[which[k]];
            if (!pfd[k].revents && h2_conn_deadline(co->conn) > now) continue;
            if (!h2_conn_on_io(co->conn, pfd[k].revents, now)) continue;
            const struct h2_response *r = h2_conn_response(co->conn);
            if (r->status == 200) {
                fl->shipped++;
                co->shipped = true;
            } else {
                fl->failures++;
                fl->last_bad = r->status;
            }
            co->busy = false;
            outbuf_done(&co->body);
            running--;
        }
    }
}

static void run_collectors(struct figures *f)
{
    static struct fleet fl;
    struct agg_harness h;
    char ca[PATH_MAX + 16];

    start_aggregator(&h, "--kubelet-fallback=false", f);
    snprintf(ca, sizeof(ca), "%s/certs/ca.crt", h.dir);
    if (!(fl.tls = h2_tls_new(ca, false))) die("TLS context");
    int64_t start = clock_mono_ns();
    for (int i = 0; i < NODES; i++) {
        struct collector *co = &fl.c[i];
        size_t len = strlen(tokens[i]) + 8;
        if (!(co->auth = malloc(len))) die("out of memory");
        snprintf(co->auth, len, "Bearer %s", tokens[i]);
        co->headers[0] =
            (struct h2_header){"content-type", "application/vnd.kmetrics.shipment.v2", false};
        co->headers[1] = (struct h2_header){"user-agent", "kmetrics-bench", false};
        co->headers[2] = (struct h2_header){"authorization", co->auth, true};
        co->conn = h2_conn_new(fl.tls, "127.0.0.1", (unsigned)h.port, NULL);
        if (!co->conn) die("connection %d", i);
        /* each collector's phase in the period, as their ticks fall */
        co->due_ns = start + (int64_t)i * PERIOD_S * SEC / NODES;
    }
    /* The first period: full snapshots (each collector's token reviewed and its pod looked
     * up), a second one to settle; then the window. */
    ship_until(&fl, start + 2 * PERIOD_S * SEC);
    if (fl.failures)
        die("%u shipments failed while starting (last HTTP %ld)", fl.failures, fl.last_bad);
    wait_steady(&h, "collector", 60);
    unsigned shipped0 = fl.shipped;
    double cpu0 = pu_cpu_seconds(h.pid);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    ship_until(&fl, clock_mono_ns() + WINDOW_S * SEC);
    getrusage(RUSAGE_SELF, &ru1);
    end_window(&h, "collector", f, cpu0);
    f->events = fl.shipped - shipped0;
    f->other_cpu_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                     (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                     (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                     (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    if (fl.failures)
        fprintf(stderr, "bench: %u shipments failed (last HTTP %ld)\n", fl.failures, fl.last_bad);
    for (int i = 0; i < NODES; i++) {
        h2_conn_free(fl.c[i].conn);
        free(fl.c[i].auth);
    }
    h2_tls_free(fl.tls);
    ah_stop(&h);
    tu_rm_rf(h.dir);
}

/* --- main ---------------------------------------------------------------------------------- */

static void make_pki(void)
{
    struct outbuf out, sans;
    char addr[32];

    outbuf_init(&sans);
    outbuf_puts(&sans, "subjectAltName=");
    for (int i = 0; i < NODES; i++) {
        node_addr(i, addr, sizeof(addr));
        outbuf_printf(&sans, "%sIP:%s", i ? "," : "", addr);
    }
    outbuf_puts(&sans, "\nextendedKeyUsage=serverAuth\n");
    char ext[PATH_MAX + 16];
    snprintf(ext, sizeof(ext), "%s/kubelet.ext", tmp);
    tu_write_file(ext, sans.data, sans.len);
    outbuf_done(&sans);
    outbuf_init(&out);
    if (ah_sh(&out,
              "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
              "-keyout ca.key -out ca.crt -days 2 -subj /CN=bench-kubelet-ca && "
              "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
              "-keyout kubelet.key -out kubelet.csr -subj /CN=bench-kubelet && "
              "openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
              "-extfile kubelet.ext -out kubelet.crt 2>&1",
              tmp) != 0)
        die("openssl: %.*s", (int)out.len, out.data);
    outbuf_done(&out);
}

static void row(const char *what, const char *fmt, double k, double c)
{
    char a[32], b[32];
    snprintf(a, sizeof(a), fmt, k);
    snprintf(b, sizeof(b), fmt, c);
    printf("  %-44s %18s %22s\n", what, a, b);
}

static double mib(long kib)
{
    return (double)kib / 1024.0;
}

int main(void)
{
    struct figures k = {0}, c = {0};
    struct rlimit rl;
    double t0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    /* 1,000 kept connections in the aggregator, the fake kubelet and here. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * NODES + 256)
        die("needs %d file descriptors, the limit is %llu", 2 * NODES + 256,
            (unsigned long long)rl.rlim_cur);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (tu_build_dir(bin_dir, sizeof(bin_dir)) || tu_tmpdir(tmp, sizeof(tmp), "kbench"))
        die("no build directory");
    printf("kubelet-scrape fallback vs collectors: %d nodes x %d pods x %d containers, %d s "
           "period, Kubernetes mode against a real kube-apiserver\n",
           NODES, PODS, CONTAINERS, PERIOD_S);
    if (kcl_up(&cl)) die("no control plane (tests/e2e/cluster.sh up failed)");
    delete_bench_objects(); /* an interrupted run's */
    make_pki();
    kubelet_port = ah_free_port(); /* the fake's, on each of its addresses */
    t0 = tu_mono_s();
    parallel(create_nodes);
    if (kcl_create(&cl, "/api/v1/namespaces/kube-system/serviceaccounts",
                   "{\"metadata\":{\"name\":\"kmetrics-collector\"}}") < 0)
        die("ServiceAccount");
    parallel(create_collectors);
    printf("  %d Node objects, collector pods and their tokens made in %.1f s\n", NODES,
           tu_mono_s() - t0);

    run_kubelets(&k);
    run_collectors(&c);

    double periods = WINDOW_S / (double)PERIOD_S;
    printf("\n  %-44s %18s %22s\n", "over a steady 60 s window", "kubelet scrapes",
           "collector shipments");
    row("aggregator CPU, % of one core", "%.2f %%", 100 * k.cpu_s / WINDOW_S,
        100 * c.cpu_s / WINDOW_S);
    row("CPU per node per 15 s period", "%.0f us", 1e6 * k.cpu_s / (NODES * periods),
        1e6 * c.cpu_s / (NODES * periods));
    row("scrapes / shipments in the window", "%.0f", k.events, c.events);
    row("RSS at start (no node's data)", "%.1f MiB", mib(k.rss_start), mib(c.rss_start));
    row("RSS, steady (VmRSS)", "%.1f MiB", mib(k.rss), mib(c.rss));
    row("peak RSS (VmHWM)", "%.1f MiB", mib(k.hwm), mib(c.hwm));
    row("RSS per node beyond the start", "%.1f KiB", (double)(k.rss - k.rss_start) / NODES,
        (double)(c.rss - c.rss_start) / NODES);
    row("nodes / pods served", "%.0f", (double)k.nodes, (double)c.nodes);
    row("", "%.0f", (double)k.pods, (double)c.pods);
    printf("  mean scrape (request, parse) %.1f ms; the other side's CPU (fake kubelets / this "
           "process's simulated collectors): %.2f / %.2f %% of one core\n",
           k.mean_ms, 100 * k.other_cpu_s / WINDOW_S, 100 * c.other_cpu_s / WINDOW_S);

    delete_bench_objects();
    kcl_down(&cl);
    tu_rm_rf(tmp);
    for (int i = 0; i < NODES; i++)
        free(tokens[i]);
    curl_global_cleanup();
    return 0;
}
