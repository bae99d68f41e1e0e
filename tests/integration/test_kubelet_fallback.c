/* The kubelet-scrape fallback against a real kube-apiserver 1.20.2 and scripted kubelets
 * (tests/helpers/fake_kubelet.c): Node objects whose status names 127.0.0.1 and a port, one
 * per kubelet behaviour (a good one; junk, a 20 MiB body, a body dripping a byte every 500 ms,
 * an answer that never comes, a certificate from another CA, 401, 403, 500; a port nothing
 * listens on; a node with no address of the type asked for), and a real aggregator scraping them
 * with fewer workers than there are slow kubelets. Each failure is counted under its reason and
 * logged once with its node; the good node and its pods (labels from the pod watch) are served at
 * the fake's exact rates, scraped every resolution despite the slow ones holding workers; the
 * hostile nodes are never served; a deleted Node is no longer scraped nor served. */
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "lib/agg_harness.h"
#include "lib/kube_cluster.h"

#define METRICS "/apis/metrics.k8s.io/v1beta1"
#define RESOLUTION_S 2.0
#define TIMEOUT_S 2.0
/* The fake's stated rates (fake_kubelet.c): container c at (c + 1) * 100 millicores, working
 * set (c + 1) * 16 MiB + pod index MiB; the node at 1.5 cores and 1 GiB. Its pods are named
 * after the address scraped: 127.0.0.1. */
#define POD_PREFIX "pod-127-0-0-1-"
#define PODS 3

/* One Node object per kubelet behaviour; reason: what its scrapes must be counted as. */
struct fk_node {
    const char *name, *mode, *reason;
    int port; /* 0: no address at all */
};

static struct fk_node nodes[] = {
    {"fk-good", "good", "ok", 0},         {"fk-junk", "junk", "malformed", 0},
    {"fk-huge", "huge", "too_large", 0},  {"fk-drip", "drip", "timeout", 0},
    {"fk-stall", "stall", "timeout", 0},  {"fk-tls", "good", "tls", 0},
    {"fk-401", "401", "unauthorized", 0}, {"fk-403", "403", "forbidden", 0},
    {"fk-500", "500", "http_status", 0},  {"fk-refused", NULL, "unreachable", 0},
    {"fk-noaddr", NULL, NULL, 0},
};
#define NNODES (sizeof(nodes) / sizeof(nodes[0]))
#define GOOD (&nodes[0])

static struct kube_cluster cl;
static struct agg_harness agg;
static char tmp[PATH_MAX];
static pid_t fake_pid;

/* --- helpers ------------------------------------------------------------------------------- */

static void sh_ok(const char *cmd)
{
    struct outbuf out;
    int rc;

    outbuf_init(&out);
    rc = ah_sh(&out, "%s 2>&1", cmd);
    if (rc != 0) fprintf(stderr, "%s\n-> %.*s\n", cmd, (int)out.len, out.data);
    outbuf_done(&out);
    assert_int_equal(rc, 0);
}

/* GET as the cluster admin (client certificate); the body NUL-terminated. */
static long get(const char *path, struct http_result *r)
{
    struct curl_slist *hdrs;
    CURL *c = ah_curl(&agg, path, r, &hdrs);
    char crt[PATH_MAX + 16], key[PATH_MAX + 16];

    snprintf(crt, sizeof(crt), "%s/admin.crt", cl.pki);
    snprintf(key, sizeof(key), "%s/admin.key", cl.pki);
    curl_easy_setopt(c, CURLOPT_SSLCERT, crt);
    curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    if (ah_finish(c, hdrs, r) != 0) r->status = -1;
    outbuf_append(&r->body, "", 1);
    r->body.len--;
    return r->status;
}

static long status_of(const char *path)
{
    struct http_result r;
    long s = get(path, &r);
    outbuf_done(&r.body);
    return s;
}

/* A series' value from the aggregator's /metrics, -1 when absent. */
static double series(const char *name)
{
    struct http_result r;
    double v = -1;
    size_t n = strlen(name);

    get("/metrics", &r);
    for (char *l = r.body.data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, name, n) == 0 && l[n] == ' ') v = strtod(l + n + 1, NULL);
    outbuf_done(&r.body);
    return v;
}

static double scrapes(const char *result)
{
    char name[128];
    snprintf(name, sizeof(name), "kmetrics_kubelet_scrapes_total{result=\"%s\"}", result);
    return series(name);
}

/* A Kubernetes quantity ("1500m", "7338891n", "16Mi", "1Gi", "17408Ki", "2") as a number. */
static double quantity(const char *q)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"n", 1e-9}, {"u", 1e-6},       {"m", 1e-3}, {"k", 1e3},          {"Ki", 1024.0},
                 {"M", 1e6},  {"Mi", 1048576.0}, {"G", 1e9},  {"Gi", 1073741824.0}};
    char *end;
    double v;

    if (!q) return -1;
    v = strtod(q, &end);
    if (!*end) return v;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(end, units[i].suffix)) return v * units[i].mult;
    return -1;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    struct outbuf b;
    char chunk[4096];
    size_t n;

    outbuf_init(&b);
    while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        outbuf_append(&b, chunk, n);
    if (f) fclose(f);
    outbuf_append(&b, "", 1);
    return b.data;
}

static char *agg_log(void)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/aggregator.log", agg.dir);
    return read_text(path);
}

/* The fake's good answers on port within [from_ms, to_ms) of the real clock; the longest gap
 * between two of them in *max_gap_s when not NULL. */
static int fake_answers(int port, long long from_ms, long long to_ms, double *max_gap_s)
{
    char path[PATH_MAX + 32], want[64];
    char *log, *save = NULL;
    long long last = 0;
    int n = 0;

    snprintf(path, sizeof(path), "%s/fake.log", tmp);
    snprintf(want, sizeof(want), "127.0.0.1:%d good 200", port);
    log = read_text(path);
    if (max_gap_s) *max_gap_s = 0;
    for (char *l = strtok_r(log, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long long ms = atoll(l);
        char *sp = strchr(l, ' ');
        if (!sp || strcmp(sp + 1, want) != 0 || ms < from_ms || ms >= to_ms) continue;
        if (n++ && max_gap_s && (double)(ms - last) / 1000 > *max_gap_s)
            *max_gap_s = (double)(ms - last) / 1000;
        last = ms;
    }
    free(log);
    return n;
}

static long long real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void delete_nodes_and_pods(void)
{
    char path[256];

    for (size_t i = 0; i < NNODES; i++) {
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", nodes[i].name);
        kcl_call(&cl, "DELETE", path, NULL, NULL);
    }
    for (int i = 0; i < PODS; i++) {
        snprintf(path, sizeof(path), "/api/v1/namespaces/default/pods/" POD_PREFIX "%d", i);
        kcl_call(&cl, "DELETE", path, NULL, NULL);
    }
}

/* --- setup --------------------------------------------------------------------------------- */

/* A CA and a serving certificate for 127.0.0.1 signed by it, as DIR/NAME-ca.crt and
 * DIR/NAME.{crt,key}. */
static void make_pki(const char *name)
{
    char cmd[4096];

    snprintf(cmd, sizeof(cmd),
             "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout %s-ca.key -out %s-ca.crt -days 2 -subj /CN=%s-kubelet-ca && "
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s.key "
             "-out %s.csr -subj /CN=fake-kubelet && "
             "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > %s.ext && "
             "openssl x509 -req -in %s.csr -CA %s-ca.crt -CAkey %s-ca.key -CAcreateserial "
             "-days 2 -extfile %s.ext -out %s.crt",
             tmp, name, name, name, name, name, name, name, name, name, name, name);
    sh_ok(cmd);
}

static void start_fake(void)
{
    char cmd[PATH_MAX * 4], bin[PATH_MAX], path[PATH_MAX + 32];
    size_t k;

    assert_int_equal(tu_build_dir(bin, sizeof(bin)), 0);
    k = (size_t)snprintf(cmd, sizeof(cmd),
                         "exec %s/tests/fake_kubelet --cert %s/kubelet.crt --key %s/kubelet.key",
                         bin, tmp, tmp);
    for (size_t i = 0; i < NNODES; i++) {
        if (!nodes[i].mode) continue;
        nodes[i].port = ah_free_port();
        k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, " --listen %d:%s", nodes[i].port,
                              nodes[i].mode);
        if (!strcmp(nodes[i].name, "fk-tls"))
            k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, ":%s/other.crt:%s/other.key", tmp, tmp);
    }
    for (size_t i = 0; i < NNODES; i++)
        if (!nodes[i].mode && nodes[i].reason) nodes[i].port = ah_free_port(); /* refused */
    snprintf(cmd + k, sizeof(cmd) - k, " --pods %d --containers 2 >%s/fake.log 2>&1", PODS, tmp);
    fake_pid = fork();
    assert_true(fake_pid >= 0);
    if (fake_pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    snprintf(path, sizeof(path), "%s/fake.log", tmp);
    for (int i = 0; i < 100; i++) {
        char *log = read_text(path);
        bool ready = strstr(log, "ready\n") != NULL;
        free(log);
        if (ready) return;
        usleep(50000);
    }
    fail_msg("fake_kubelet did not start: see %s", path);
}

static void create_node(const struct fk_node *n)
{
    char body[1024];
    long st;

    if (n->port)
        snprintf(body, sizeof(body),
                 "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"kmetrics-test\":\"fallback\"}},"
                 "\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"%s\"},"
                 "{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}],"
                 "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":%d}}}}",
                 n->name, n->name, n->port);
    else /* a port, but only an address of a type not asked for */
        snprintf(body, sizeof(body),
                 "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"kmetrics-test\":\"fallback\"}},"
                 "\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"%s\"}],"
                 "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}}}}",
                 n->name, n->name);
    st = kcl_create(&cl, "/api/v1/nodes", body);
    assert_int_equal(st, 201);
}

static int setup(void **state)
{
    char flags[PATH_MAX * 3], name[64];
    (void)state;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (kcl_up(&cl)) return -1;
    if (tu_tmpdir(tmp, sizeof(tmp), "kfallback")) return -1;
    delete_nodes_and_pods(); /* left by an interrupted run */
    make_pki("kubelet");
    make_pki("other"); /* fk-tls's certificate: right name, another CA */
    start_fake();
    for (size_t i = 0; i < NNODES; i++)
        create_node(&nodes[i]);
    if (kcl_namespace(&cl, "default")) return -1;
    for (int i = 0; i < PODS; i++) {
        snprintf(name, sizeof(name), POD_PREFIX "%d", i);
        if (kcl_create_pod(&cl, "default", name, "{\"app\":\"fk\"}", NULL, 0) != 201) return -1;
    }
    snprintf(flags, sizeof(flags),
             "--kubeconfig=%s --kubelet-use-node-status-port "
             "--kubelet-preferred-address-types=InternalIP "
             "--kubelet-certificate-authority=%s/kubelet-ca.crt --kubelet-request-timeout=2s "
             "--metric-resolution=2s --kubelet-scrape-concurrency=3",
             cl.kubeconfig, tmp);
    return ah_start_flags(&agg, flags);
}

static int teardown(void **state)
{
    (void)state;
    ah_stop(&agg);
    if (fake_pid > 0) {
        kill(fake_pid, SIGTERM);
        waitpid(fake_pid, NULL, 0);
    }
    if (cl.admin) delete_nodes_and_pods();
    kcl_down(&cl); /* tmp (certificates, the fake's log) and the aggregator's log are kept */
    curl_global_cleanup();
    return 0;
}

/* --- tests --------------------------------------------------------------------------------- */

/* The log line each node must have: where its kubelet is not, or how its scrape fails. */
static void expected_line(const struct fk_node *n, char *line, size_t cap)
{
    if (!n->port)
        snprintf(line, cap,
                 "node %s: its kubelet cannot be scraped: no address of a preferred type", n->name);
    else if (n == GOOD)
        snprintf(line, cap, "node %s: figures now from its kubelet (no collector heard from)",
                 n->name);
    else
        snprintf(line, cap,
                 "node %s: kubelet scrape of https://127.0.0.1:%d/metrics/resource failed (%s): ",
                 n->name, n->port, n->reason);
}

static bool all_lines_logged(void)
{
    char *log = agg_log(), line[512];
    bool all = true;

    for (size_t i = 0; i < NNODES && all; i++) {
        expected_line(&nodes[i], line, sizeof(line));
        all = strstr(log, line) != NULL;
    }
    free(log);
    return all;
}

/* Every behaviour is counted under its reason and logged once, naming its node and endpoint;
 * the server stays alive meanwhile. */
static void test_each_failure_counted_and_logged(void **state)
{
    double t0 = tu_mono_s();
    char *log, line[512];
    (void)state;

    while (!all_lines_logged() && tu_mono_s() - t0 < 40) {
        assert_int_equal(status_of("/livez"), 200);
        usleep(250000);
    }
    printf("every node's outcome logged after %.1f s; scrapes by result:", tu_mono_s() - t0);
    for (size_t i = 0; i < NNODES; i++)
        if (nodes[i].reason) printf(" %s=%.0f", nodes[i].reason, scrapes(nodes[i].reason));
    printf(" internal=%.0f\n", scrapes("internal"));
    for (size_t i = 0; i < NNODES; i++)
        if (nodes[i].reason && scrapes(nodes[i].reason) < 1)
            fail_msg("%s: no scrape counted as %s", nodes[i].name, nodes[i].reason);
    assert_true(scrapes("internal") == 0);

    log = agg_log();
    printf("aggregator log, the fallback's lines:\n");
    for (char *l = log, *e; (e = strchr(l, '\n')); l = e + 1)
        if (strstr(l, "node fk-") && strstr(l, "node fk-") < e) printf("  %.*s\n", (int)(e - l), l);
    for (size_t i = 0; i < NNODES; i++) {
        const struct fk_node *n = &nodes[i];
        if (n->port) {
            snprintf(line, sizeof(line), "node %s: kubelet at 127.0.0.1:%d\n", n->name, n->port);
            if (!strstr(log, line)) fail_msg("no line \"%s\" in the log", line);
        }
        expected_line(n, line, sizeof(line));
        if (!strstr(log, line)) fail_msg("no line \"%s\" in the log", line);
        /* Logged when the outcome changes, not at every scrape. */
        if (strstr(strstr(log, line) + 1, line)) fail_msg("\"%s\" logged more than once", line);
    }
    free(log);
}

static json_t *get_json(const char *path)
{
    struct http_result r;
    json_t *j = NULL;

    if (get(path, &r) == 200) j = json_loadb(r.body.data, r.body.len, 0, NULL);
    outbuf_done(&r.body);
    return j;
}

static const char *usage_of(json_t *obj, const char *what)
{
    return json_string_value(json_object_get(json_object_get(obj, "usage"), what));
}

/* The good node and its pods are served at the fake's rates, with the pods' labels from the
 * API server; the hostile nodes are not served at all. */
static void test_good_node_served_hostile_not(void **state)
{
    char path[256];
    json_t *n = NULL;
    double t0 = tu_mono_s();
    (void)state;

    while (!(n = get_json(METRICS "/nodes/fk-good")) && tu_mono_s() - t0 < 20)
        usleep(200000);
    assert_non_null(n);
    double cpu = quantity(usage_of(n, "cpu")), mem = quantity(usage_of(n, "memory"));
    printf("fk-good: cpu %s (%.4f cores, stated 1.5), memory %s\n", usage_of(n, "cpu"), cpu,
           usage_of(n, "memory"));
    assert_true(cpu > 1.5 * 0.999 && cpu < 1.5 * 1.001);
    assert_true(mem == 1073741824.0);
    json_decref(n);

    for (int i = 0; i < PODS; i++) {
        snprintf(path, sizeof(path), METRICS "/namespaces/default/pods/" POD_PREFIX "%d", i);
        json_t *p = get_json(path);
        assert_non_null(p);
        json_t *cs = json_object_get(p, "containers");
        assert_int_equal(json_array_size(cs), 2);
        const char *app = json_string_value(
            json_object_get(json_object_get(json_object_get(p, "metadata"), "labels"), "app"));
        assert_non_null(app);
        assert_string_equal(app, "fk");
        for (int c = 0; c < 2; c++) {
            char cname[8];
            snprintf(cname, sizeof(cname), "c%d", c);
            json_t *ct = tu_json_find_by(cs, "name", cname);
            assert_non_null(ct);
            double ccpu = quantity(usage_of(ct, "cpu")), cmem = quantity(usage_of(ct, "memory"));
            double want = 0.1 * (c + 1);
            if (i == 0)
                printf("  pod %d %s: cpu %s (stated %.0fm), memory %s\n", i, cname,
                       usage_of(ct, "cpu"), want * 1000, usage_of(ct, "memory"));
            assert_true(ccpu > want * 0.999 && ccpu < want * 1.001);
            assert_true(cmem == (double)((c + 1) * 16 + i) * 1048576.0);
        }
        json_decref(p);
    }
    /* Selected by the labels the pod watch brought. */
    json_t *list = get_json(METRICS "/namespaces/default/pods?labelSelector=app%3Dfk");
    assert_non_null(list);
    assert_int_equal(json_array_size(json_object_get(list, "items")), PODS);
    json_decref(list);

    for (size_t i = 1; i < NNODES; i++) {
        snprintf(path, sizeof(path), METRICS "/nodes/%s", nodes[i].name);
        assert_int_equal(status_of(path), 404);
    }
    list = get_json(METRICS "/nodes?labelSelector=kmetrics-test%3Dfallback");
    assert_non_null(list);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 1);
    json_decref(list);
}

/* Over a measured interval, the good kubelet is scraped every resolution although the two slow
 * kubelets each hold one of the three workers for the whole timeout at every round; the
 * failing ones keep being retried every resolution too. */
static void test_freshness_despite_slow_kubelets(void **state)
{
    static const char *const reasons[] = {"malformed",   "too_large",    "timeout",
                                          "tls",         "unauthorized", "forbidden",
                                          "http_status", "unreachable"};
    double before[8], interval = 12.0, t0;
    char last_ts[64] = "";
    int timestamps_seen = 0;
    long long from;
    json_t *n;
    (void)state;

    for (int i = 0; i < 8; i++)
        before[i] = scrapes(reasons[i]);
    n = get_json(METRICS "/nodes/fk-good");
    assert_non_null(n);
    snprintf(last_ts, sizeof(last_ts), "%s",
             json_string_value(json_object_get(n, "timestamp"))
                 ? json_string_value(json_object_get(n, "timestamp"))
                 : "");
    json_decref(n);
    from = real_ms();
    t0 = tu_mono_s();
    while (tu_mono_s() - t0 < interval) {
        assert_int_equal(status_of("/livez"), 200);
        n = get_json(METRICS "/nodes/fk-good");
        assert_non_null(n); /* served all along */
        const char *ts = json_string_value(json_object_get(n, "timestamp"));
        if (ts && strcmp(ts, last_ts) != 0) {
            timestamps_seen++;
            snprintf(last_ts, sizeof(last_ts), "%s", ts);
        }
        json_decref(n);
        usleep(250000);
    }
    double max_gap;
    int good = fake_answers(GOOD->port, from, real_ms(), &max_gap);
    double expected = interval / RESOLUTION_S;
    printf("over %.0f s at a %.0f s resolution, 3 workers, 2 kubelets holding one each for %.0f "
           "s: the good kubelet answered %d scrapes (%.0f expected); the served timestamp "
           "changed %d times; longest gap between two scrapes %.2f s\n",
           interval, RESOLUTION_S, TIMEOUT_S, good, expected, timestamps_seen, max_gap);
    printf("  failing scrapes over the interval:");
    for (int i = 0; i < 8; i++)
        printf(" %s +%.0f", reasons[i], scrapes(reasons[i]) - before[i]);
    printf("\n");
    assert_true(good >= expected - 1 && good <= expected + 1);
    /* Waiting behind a slow kubelet would show as a gap of resolution + timeout. */
    assert_true(max_gap < 1.5 * RESOLUTION_S);
    /* The served window ends at the newest scrape; second-granularity timestamps may repeat. */
    assert_true(timestamps_seen >= expected / 2);
    for (int i = 0; i < 8; i++) {
        /* drip and stall both count as timeouts */
        double want = (strcmp(reasons[i], "timeout") ? 1 : 2) * (expected - 2);
        if (scrapes(reasons[i]) - before[i] < want)
            fail_msg("%s: %.0f scrapes over %.0f s, want >= %.0f", reasons[i],
                     scrapes(reasons[i]) - before[i], interval, want);
    }
}

/* /readyz?verbose says how many nodes come from their kubelets; /metrics says it by state. */
static void test_readyz_and_gauges(void **state)
{
    struct http_result r;
    const char *line;
    unsigned served = 0, known = 0, scraping = 0, failing = 0, noaddr = 0;
    (void)state;

    get("/readyz?verbose", &r);
    line = strstr(r.body.data, "[+]kubelet-fallback ok (");
    if (!line) fail_msg("no kubelet-fallback line in:\n%s", r.body.data);
    printf("%.*s\n", (int)strcspn(line, "\n"), line);
    assert_int_equal(sscanf(line,
                            "[+]kubelet-fallback ok (%u of %u nodes served from their kubelets, "
                            "%u without a fresh collector, %u failing, %u without an address)",
                            &served, &known, &scraping, &failing, &noaddr),
                     5);
    outbuf_done(&r.body);
    /* Other tests' nodes may share this API server: at least ours are there. */
    assert_int_equal(served, 1);
    assert_true(known >= NNODES);
    assert_true(scraping >= NNODES);
    assert_true(failing >= NNODES - 2);
    assert_true(noaddr >= 1);
    assert_true(series("kmetrics_nodes_by_source{source=\"kubelet\"}") == 1);
    assert_true(series("kmetrics_pods_by_source{source=\"kubelet\"}") == PODS);
    assert_true(series("kmetrics_kubelet_fallback_nodes{state=\"failing\"}") >= NNODES - 2);
    assert_true(series("kmetrics_kubelet_fallback_nodes{state=\"no_address\"}") >= 1);
    assert_true(series("kmetrics_kubelet_scrape_duration_seconds_sum") > 0);
}

/* A deleted Node is scraped no more, and its figures go once they are stale. */
static void test_deleted_node_not_scraped(void **state)
{
    double t0;
    long long deleted, quiet_from;
    (void)state;

    assert_int_equal(kcl_call(&cl, "DELETE", "/api/v1/nodes/fk-good", NULL, NULL), 200);
    deleted = real_ms();
    t0 = tu_mono_s();
    while (status_of(METRICS "/nodes/fk-good") == 200 && tu_mono_s() - t0 < 20)
        usleep(200000);
    printf("fk-good deleted: served for %.1f s more\n", tu_mono_s() - t0);
    assert_int_equal(status_of(METRICS "/nodes/fk-good"), 404);
    /* Dropped as the watch tells of the deletion, not when its figures would expire (3
     * resolutions after its last scrape: at least 4 s here). */
    assert_true(tu_mono_s() - t0 < 2.0);
    /* A scrape already queued when the deletion arrived may still answer: watch a window of
     * three resolutions after that. */
    quiet_from = real_ms();
    usleep((useconds_t)(3 * RESOLUTION_S * 1e6));
    int after = fake_answers(GOOD->port, quiet_from, real_ms(), NULL);
    printf("good kubelet's answers after the deletion: %d within the first %.1f s, %d in the %.0f "
           "s after\n",
           fake_answers(GOOD->port, deleted, quiet_from, NULL),
           (double)(quiet_from - deleted) / 1000, after, 3 * RESOLUTION_S);
    assert_int_equal(after, 0);
    assert_int_equal(status_of("/livez"), 200);
}

/* The aggregator stops cleanly (in the sanitizer build: without a leak or error report). */
static void test_clean_stop(void **state)
{
    char *log;
    (void)state;

    assert_int_equal(ah_stop(&agg), 0);
    log = agg_log();
    assert_null(strstr(log, "Sanitizer"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_failure_counted_and_logged),
        cmocka_unit_test(test_good_node_served_hostile_not),
        cmocka_unit_test(test_freshness_despite_slow_kubelets),
        cmocka_unit_test(test_readyz_and_gauges),
        cmocka_unit_test(test_deleted_node_not_scraped),
        cmocka_unit_test(test_clean_stop),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    return cmocka_run_group_tests(tests, setup, teardown);
}
