/* The first read of an object by a new caller (issue 11): what a SubjectAccessReview costs on
 * top of a cached read, and where that time goes. Against a real etcd + kube-apiserver 1.20.2
 * (tests/lib/kube_cluster.c: ETCD_PORT, APISERVER_PORT, KMETRICS_E2E_KUBE_DIR, KMETRICS_E2E_KEEP)
 * and a real aggregator in Kubernetes mode that talks to it as deployed: with a ServiceAccount
 * token holding deploy/base's grants.
 *
 * 1. End to end: GET of one PodMetrics object on one kept HTTP/2 connection, with the front
 *    proxy's certificate and identity headers, as the kube-apiserver's aggregation layer sends
 *    them; each caller is new (X-Remote-User differs; group bench-readers, RBAC-bound to read
 *    pods.metrics.k8s.io) and reads twice: the first read misses the authorization cache, the
 *    second is served from it.
 * 2. The parts of the miss, each measured on its own with the aggregator's own code: building
 *    the review (access_cache_key, which is the document sent), the SubjectAccessReview round
 *    trip through kube_client (a kept connection, as the workers keep theirs, and a new one:
 *    TCP + TLS setup, split by libcurl's timers), libcurl alone on a kept HTTP/2 and HTTP/1.1
 *    connection, the kube-apiserver's own time for it
 *    (its apiserver_request_duration_seconds and APF wait, as means), the handoff from the
 *    event loop to a worker thread and back (kube_async on a real h2o loop), and parsing the
 *    answer (access_review_parse). The aggregator's own handling after authorization (route,
 *    store query, rendering) is its kmetrics_request_duration_seconds.
 * 3. Whether the aggregator made new connections to the kube-apiserver while it reviewed (its
 *    sockets before and after, from ss).
 *
 * BENCH_FIRST_READ_N callers (default 400); p50/p95 of each. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <h2o.h>

#include "auth/kube_async.h"
#include "auth/kube_review.h"
#include "kube/kube_client.h"
#include "kube/kube_config.h"
#include "lib/agg_harness.h"
#include "lib/kube_cluster.h"
#include "wire/wire_encode.h"
#include "clock.h"

#define SEC 1000000000LL
#define NODE "bench-fr-node"
#define NS "bench-fr"
#define POD "web-0"
#define OBJECT "/apis/metrics.k8s.io/v1beta1/namespaces/" NS "/pods/" POD
#define SAR_PATH "/apis/authorization.k8s.io/v1/subjectaccessreviews"
#define READERS "bench-readers"

static struct kube_cluster cl;
static struct agg_harness agg;
static char dir[PATH_MAX], agg_kubeconfig[PATH_MAX + 32];
static int n_callers = 400;
static int kc_http_version; /* what kube_client spoke to the kube-apiserver: 11, 20 */

static void die(const char *what)
{
    fprintf(stderr, "bench_first_read: %s\n", what);
    if (agg.pid > 0) ah_stop(&agg);
    if (cl.admin) kcl_down(&cl);
    exit(1);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of n samples in ns, as ms; sorts v. */
static double pct_ms(int64_t *v, int n, double p)
{
    int i;

    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof(*v), cmp_i64);
    i = (int)(p / 100.0 * (n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

static void row(const char *what, int64_t *v, int n)
{
    double p50 = pct_ms(v, n, 50), p95 = pct_ms(v, n, 95);
    printf("  %-66s %8.3f %8.3f   (n=%d)\n", what, p50, p95, n);
}

static void row_mean(const char *what, double ms, const char *note)
{
    printf("  %-66s %8.3f %8s   %s\n", what, ms, "", note);
}

/* Creates an object as the cluster admin: 201, or 409 when an earlier run made it. */
static void create(const char *path, const char *json)
{
    long s = kcl_create(&cl, path, json);
    if (s != 201 && s != 409) die("creating the bench's objects failed");
}

static void token_request(const char *ns, const char *sa, const char *spec, char *out, size_t n)
{
    if (kcl_token(&cl, ns, sa, spec, out, n)) die("TokenRequest failed");
}

/* The aggregator's identity, as deployed: ServiceAccount kube-system/kmetrics-aggregator with
 * deploy/base's grants, in a kubeconfig holding its token. The reader's role and the collector
 * (its ServiceAccount, node, pod and a token bound to the pod) are made too. */
static void make_cluster_objects(char *collector_token, size_t n)
{
    char token[4096], spec[1024], yaml[8192];
    struct kube_response r;

    create("/api/v1/namespaces/kube-system/serviceaccounts",
           "{\"metadata\":{\"name\":\"kmetrics-aggregator\"}}");
    create("/apis/rbac.authorization.k8s.io/v1/clusterroles",
           "{\"metadata\":{\"name\":\"kmetrics-aggregator\"},\"rules\":[{\"apiGroups\":[\"\"],"
           "\"resources\":[\"pods\",\"nodes\"],\"verbs\":[\"get\",\"list\",\"watch\"]}]}");
    create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
           "{\"metadata\":{\"name\":\"kmetrics-aggregator\"},\"roleRef\":{\"apiGroup\":"
           "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"kmetrics-"
           "aggregator\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"kmetrics-"
           "aggregator\",\"namespace\":\"kube-system\"}]}");
    create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
           "{\"metadata\":{\"name\":\"kmetrics-aggregator:system:auth-delegator\"},\"roleRef\":{"
           "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":"
           "\"system:auth-delegator\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":"
           "\"kmetrics-aggregator\",\"namespace\":\"kube-system\"}]}");
    create("/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings",
           "{\"metadata\":{\"name\":\"kmetrics-aggregator-auth-reader\"},\"roleRef\":{"
           "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":"
           "\"extension-apiserver-authentication-reader\"},\"subjects\":[{\"kind\":"
           "\"ServiceAccount\",\"name\":\"kmetrics-aggregator\",\"namespace\":\"kube-system\"}]}");
    token_request("kube-system", "kmetrics-aggregator", "{\"spec\":{\"expirationSeconds\":7200}}",
                  token, sizeof(token));
    snprintf(agg_kubeconfig, sizeof(agg_kubeconfig), "%s/aggregator.kubeconfig", dir);
    snprintf(yaml, sizeof(yaml),
             "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: %s\n"
             "    certificate-authority: %s/ca.crt\nusers:\n- name: u\n  user:\n    token: %s\n"
             "contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n"
             "current-context: c\n",
             cl.apiserver, cl.pki, token);
    if (tu_write_file(agg_kubeconfig, yaml, (size_t)-1)) die("writing the kubeconfig");

    create("/apis/rbac.authorization.k8s.io/v1/clusterroles",
           "{\"metadata\":{\"name\":\"bench-pod-metrics\"},\"rules\":[{\"apiGroups\":["
           "\"metrics.k8s.io\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\"]}]}");
    create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
           "{\"metadata\":{\"name\":\"bench-pod-metrics\"},\"roleRef\":{\"apiGroup\":"
           "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"bench-pod-"
           "metrics\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"" READERS
           "\",\"apiGroup\":\"rbac.authorization.k8s.io\"}]}");

    create("/api/v1/namespaces/kube-system/serviceaccounts",
           "{\"metadata\":{\"name\":\"kmetrics-collector\"}}");
    create("/api/v1/nodes", "{\"metadata\":{\"name\":\"" NODE "\"}}");
    create("/api/v1/namespaces/kube-system/pods",
           "{\"metadata\":{\"name\":\"bench-fr-collector\"},\"spec\":{\"nodeName\":\"" NODE
           "\",\"serviceAccountName\":\"kmetrics-collector\",\"containers\":[{\"name\":\"c\","
           "\"image\":\"kmetrics-collector\"}]}}");
    if (kcl_call(&cl, "GET", "/api/v1/namespaces/kube-system/pods/bench-fr-collector", NULL, &r) !=
        200)
        die("reading the collector pod");
    json_t *pod = json_loadb(r.body, r.len, 0, NULL);
    snprintf(spec, sizeof(spec),
             "{\"spec\":{\"audiences\":[\"kmetrics\"],\"expirationSeconds\":3600,"
             "\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":"
             "\"bench-fr-collector\",\"uid\":\"%s\"}}}",
             json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid")));
    json_decref(pod);
    kube_response_done(&r);
    token_request("kube-system", "kmetrics-collector", spec, collector_token, n);
}

/* One pod with one container and a rate, for the node the collector's pod is on. */
static void ship_pod(const char *collector_token)
{
    int64_t now = (int64_t)time(NULL) * SEC;
    struct wire_sample s[2] = {{.real_ns = now - 2 * SEC, .usage_usec = 1000},
                               {.real_ns = now, .usage_usec = 201000}};
    struct wire_container c = {.id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
                                     "cdef",
                               .name = "app",
                               .samples = s,
                               .nsamples = 2,
                               .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 1 << 24}};
    struct wire_pod p = {.uid = "5b1f7a3e-0000-4000-8000-000000000001",
                         .namespace_ = NS,
                         .name = POD,
                         .containers = &c,
                         .ncontainers = 1};
    struct wire_shipment w = {
        .flags = WIRE_FULL,
        .node_name = NODE,
        .instance = 7,
        .seq = 1,
        .sent_ns = now,
        .node = {.cpu_cores = 2, .memory_capacity = 1 << 30, .samples = s, .nsamples = 2},
        .pods = &p,
        .npods = 1};
    struct outbuf b;
    struct http_result r;

    outbuf_init(&b);
    if (wire_encode(&w, &b) != 0 ||
        ah_post_ship_raw(&agg, b.data, b.len, "application/vnd.kmetrics.shipment.v2",
                         collector_token, &r) != 0 ||
        r.status != 200)
        die("shipping the bench's pod failed");
    outbuf_done(&r.body);
    outbuf_done(&b);
}

/* The kube-apiserver's side of the aggregation layer: one kept HTTP/2 connection with the front
 * proxy's client certificate. */
struct proxy {
    CURL *c;
    struct outbuf body;
};

static void proxy_open(struct proxy *p)
{
    char url[256], ca[PATH_MAX + 16], crt[PATH_MAX + 32], key[PATH_MAX + 32];

    memset(p, 0, sizeof(*p));
    outbuf_init(&p->body);
    p->c = curl_easy_init();
    snprintf(url, sizeof(url), "%s%s", agg.base_url, OBJECT);
    snprintf(ca, sizeof(ca), "%s/certs/ca.crt", agg.dir);
    snprintf(crt, sizeof(crt), "%s/front-proxy-client.crt", cl.pki);
    snprintf(key, sizeof(key), "%s/front-proxy-client.key", cl.pki);
    curl_easy_setopt(p->c, CURLOPT_URL, url);
    curl_easy_setopt(p->c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(p->c, CURLOPT_SSLCERT, crt);
    curl_easy_setopt(p->c, CURLOPT_SSLKEY, key);
    curl_easy_setopt(p->c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(p->c, CURLOPT_WRITEFUNCTION, ah_write_cb);
    curl_easy_setopt(p->c, CURLOPT_WRITEDATA, &p->body);
    curl_easy_setopt(p->c, CURLOPT_TIMEOUT, 20L);
}

/* GET the object as user; returns the HTTP status, *ns the time, *connects new connections. */
static long proxy_get(struct proxy *p, const char *user, int64_t *ns, long *connects)
{
    struct curl_slist *h = NULL;
    char line[256];
    long status = 0;
    int64_t t0;
    CURLcode rc;

    snprintf(line, sizeof(line), "X-Remote-User: %s", user);
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "X-Remote-Group: " READERS);
    h = curl_slist_append(h, "X-Remote-Group: system:authenticated");
    h = curl_slist_append(h, "Accept: application/json");
    curl_easy_setopt(p->c, CURLOPT_HTTPHEADER, h);
    outbuf_reset(&p->body);
    t0 = clock_mono_ns();
    rc = curl_easy_perform(p->c);
    *ns = clock_mono_ns() - t0;
    curl_easy_getinfo(p->c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(p->c, CURLINFO_NUM_CONNECTS, connects);
    curl_slist_free_all(h);
    return rc == CURLE_OK ? status : -1;
}

/* Sum and count of a histogram series from a Prometheus text page: the lines NAME_sum{...} and
 * NAME_count{...} whose labels contain every string of want (NULL-terminated), summed. */
static void histogram(const char *page, const char *name, const char *const *want, double *sum,
                      double *count)
{
    char sname[128], cname[128];
    size_t sl, clen;

    *sum = *count = 0;
    sl = (size_t)snprintf(sname, sizeof(sname), "%s_sum", name);
    clen = (size_t)snprintf(cname, sizeof(cname), "%s_count", name);
    for (const char *l = page; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *end = strchr(l, '\n'), *sp;
        bool is_sum = strncmp(l, sname, sl) == 0 && (l[sl] == '{' || l[sl] == ' ');
        bool is_count = strncmp(l, cname, clen) == 0 && (l[clen] == '{' || l[clen] == ' ');
        bool match = true;

        if (!is_sum && !is_count) continue;
        if (!end) end = l + strlen(l);
        sp = memrchr(l, ' ', (size_t)(end - l));
        if (!sp) continue;
        for (const char *const *w = want; w && *w; w++) {
            char *hit = memmem(l, (size_t)(sp - l), *w, strlen(*w));
            if (!hit) match = false;
        }
        if (!match) continue;
        if (is_sum)
            *sum += strtod(sp + 1, NULL);
        else
            *count += strtod(sp + 1, NULL);
    }
}

/* The kube-apiserver's /metrics, as the cluster admin. */
static char *apiserver_metrics(void)
{
    struct kube_response r;

    if (kcl_call(&cl, "GET", "/metrics", NULL, &r) != 200) die("kube-apiserver /metrics");
    return r.body; /* NUL-terminated, caller frees */
}

/* The aggregator's /metrics, read as the front proxy's system:masters user. */
static char *aggregator_metrics(void)
{
    struct http_result r;
    struct curl_slist *h;
    char crt[PATH_MAX + 32], key[PATH_MAX + 32];
    CURL *c = ah_curl(&agg, "/metrics", &r, &h);

    snprintf(crt, sizeof(crt), "%s/front-proxy-client.crt", cl.pki);
    snprintf(key, sizeof(key), "%s/front-proxy-client.key", cl.pki);
    curl_easy_setopt(c, CURLOPT_SSLCERT, crt);
    curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    h = curl_slist_append(h, "X-Remote-User: bench-admin");
    h = curl_slist_append(h, "X-Remote-Group: system:masters");
    if (ah_finish(c, h, &r) != 0 || r.status != 200) die("aggregator /metrics");
    outbuf_append(&r.body, "", 1);
    return r.body.data;
}

/* The aggregator's established connections to the kube-apiserver: their local ports, sorted,
 * as one string. */
static void agg_api_sockets(char *out, size_t n, int *count)
{
    struct outbuf o;
    const char *port = strrchr(cl.apiserver, ':');

    outbuf_init(&o);
    ah_sh(&o,
          "ss -tnpH state established '( dport = :%s )' | grep 'pid=%d,' | awk '{print $3}' | "
          "sort | tr '\\n' ' '",
          port ? port + 1 : "0", (int)agg.pid);
    outbuf_append(&o, "", 1);
    snprintf(out, n, "%s", o.data);
    *count = 0;
    for (const char *s = o.data; *s; s++)
        *count += *s == ' ';
    outbuf_done(&o);
}

/* --- the review on its own --------------------------------------------------------------- */

static const struct access_attributes attrs = {.verb = "get",
                                               .group = "metrics.k8s.io",
                                               .version = "v1beta1",
                                               .resource = "pods",
                                               .namespace_ = NS,
                                               .name = POD};

/* The user the gate builds for caller i (front-proxy headers plus system:authenticated). */
static void caller(struct user_info *u, const char *tag, int i)
{
    char name[64];

    memset(u, 0, sizeof(*u));
    snprintf(name, sizeof(name), "%s-%d-%d", tag, (int)getpid(), i);
    u->name = strdup(name);
    user_info_add_group(u, READERS, strlen(READERS));
    user_info_add_group(u, "system:authenticated", strlen("system:authenticated"));
}

static struct kube_client *aggregator_client(void)
{
    struct kube_config cfg = {0};
    struct kube_client *kc;
    char err[512];

    if (kube_config_load(agg_kubeconfig, NULL, &cfg, err, sizeof(err))) die(err);
    kc = kube_client_new(&cfg, err, sizeof(err));
    kube_config_done(&cfg);
    if (!kc) die(err);
    return kc;
}

/* One review through kube_client; dies unless it is answered "allowed". */
static void review(struct kube_client *kc, const char *body, struct kube_response *keep)
{
    struct kube_response r;
    char err[512], why[256];

    if (kube_client_request(kc, "POST", SAR_PATH, NULL, body, 10000, KUBE_REVIEW_MAX_BODY, &r, err,
                            sizeof(err)) != 0)
        die(err);
    if (r.status != 201 || access_review_parse(r.body, r.len, why, sizeof(why)) != 1)
        die("SubjectAccessReview not allowed");
    kc_http_version = r.http_version;
    if (keep)
        *keep = r;
    else
        kube_response_done(&r);
}

struct async_wait {
    bool done;
    int rc;
};

static void async_done(void *arg, int rc, const struct kube_response *resp, const char *err)
{
    struct async_wait *w = arg;

    (void)resp, (void)err;
    w->rc = rc == 0 && resp->status == 201 ? 0 : -1;
    w->done = true;
}

/* A libcurl handle posting reviews to the kube-apiserver as kube_client does (its CA, the
 * bearer token, JSON), speaking http_version; the body is set per review. *h is the header list
 * to free after the handle. */
static CURL *review_curl(const char *token, long http_version, struct outbuf *out,
                         struct curl_slist **h)
{
    char url[256], ca[PATH_MAX + 16], auth[4200];
    CURL *c = curl_easy_init();

    snprintf(url, sizeof(url), "%s%s", cl.apiserver, SAR_PATH);
    snprintf(ca, sizeof(ca), "%s/ca.crt", cl.pki);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    *h = curl_slist_append(NULL, auth);
    *h = curl_slist_append(*h, "Content-Type: application/json");
    *h = curl_slist_append(*h, "Accept: application/json");
    *h = curl_slist_append(*h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *h);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, http_version);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ah_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    return c;
}

/* libcurl's timers for one review on a new connection (no reuse), in the protocol kube_client
 * speaks: TCP, TLS, the rest. */
struct phases {
    int64_t connect, tls, request, total;
    long version;
};

static void cold_review_phases(const char *token, const char *body, struct phases *ph)
{
    struct curl_slist *h;
    struct outbuf out;
    curl_off_t connect, app, total;
    CURL *c;

    outbuf_init(&out);
    c = review_curl(token, kc_http_version == 20 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1,
                    &out, &h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(c) != CURLE_OK) die("cold review failed");
    curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect);
    curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &app);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &ph->version);
    ph->connect = (int64_t)connect * 1000;
    ph->tls = (int64_t)(app - connect) * 1000;
    ph->request = (int64_t)(total - app) * 1000;
    ph->total = (int64_t)total * 1000;
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    outbuf_done(&out);
}

/* The bearer token in the aggregator's kubeconfig. */
static void kubeconfig_token(char *out, size_t n)
{
    struct kube_config cfg = {0};
    char err[256];

    if (kube_config_load(agg_kubeconfig, NULL, &cfg, err, sizeof(err)) || !cfg.token) die(err);
    snprintf(out, n, "%s", cfg.token);
    kube_config_done(&cfg);
}

/* n reviews on one kept connection of one libcurl easy handle. */
static void kept_raw(const char *token, long http_version, int64_t *out, int n)
{
    struct curl_slist *h;
    struct user_info u;
    struct outbuf body_out;
    long version = 0;
    CURL *c;

    outbuf_init(&body_out);
    c = review_curl(token, http_version, &body_out, &h);
    for (int i = -1; i < n; i++) {
        caller(&u, http_version == CURL_HTTP_VERSION_1_1 ? "h1" : "h2", i);
        char *body = access_review_request(&u, &attrs);
        user_info_done(&u);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        outbuf_reset(&body_out);
        int64_t t0 = clock_mono_ns();
        if (curl_easy_perform(c) != CURLE_OK) die("libcurl review failed");
        if (i >= 0) out[i] = clock_mono_ns() - t0;
        free(body);
    }
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &version);
    if ((http_version == CURL_HTTP_VERSION_1_1) != (version == CURL_HTTP_VERSION_1_1))
        die("libcurl did not speak the HTTP version asked for");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    outbuf_done(&body_out);
}

static void parts(void)
{
    int n = n_callers, ncold = n / 4 < 50 ? 50 : n / 4;
    int64_t *warm = calloc((size_t)n, sizeof(int64_t)), *async = calloc((size_t)n, sizeof(int64_t));
    int64_t *c_conn = calloc((size_t)ncold, sizeof(int64_t));
    int64_t *c_tls = calloc((size_t)ncold, sizeof(int64_t));
    int64_t *c_req = calloc((size_t)ncold, sizeof(int64_t));
    int64_t *c_total = calloc((size_t)ncold, sizeof(int64_t));
    int64_t *c_client = calloc((size_t)ncold, sizeof(int64_t));
    int64_t *h1 = calloc((size_t)n, sizeof(int64_t)), *version = calloc((size_t)n, sizeof(int64_t));
    int64_t *raw_h2 = calloc((size_t)n, sizeof(int64_t));
    struct kube_client *kc = aggregator_client();
    struct kube_response answer;
    struct user_info u;
    char token[4096], why[256], label[128];
    long h2_seen = 0;
    int64_t t0;
    double sum0, cnt0, sum1, cnt1, wsum0, wcnt0, wsum1, wcnt1;
    const char *sar[] = {"resource=\"subjectaccessreviews\"", "verb=\"POST\"", NULL};
    const char *apf[] = {"execute=\"true\"", "flow_schema=\"kube-system-service-accounts\"", NULL};
    char *page;
    enum { BUILDS = 20000 };

    if (!warm || !async || !c_conn || !c_tls || !c_req || !c_total || !c_client || !h1 ||
        !version || !raw_h2)
        die("out of memory");
    kubeconfig_token(token, sizeof(token));

    /* Building the document (the gate's cache key is the document it sends). */
    caller(&u, "build", 0);
    t0 = clock_mono_ns();
    for (int i = 0; i < BUILDS; i++) {
        char *k = access_cache_key(&u, &attrs);
        if (!k) die("out of memory");
        free(k);
    }
    double build_ms = (double)(clock_mono_ns() - t0) / BUILDS / 1e6;
    char *doc = access_cache_key(&u, &attrs);
    user_info_done(&u);

    /* The round trip on a kept connection, as a worker makes it: the first call opens it. */
    review(kc, doc, &answer);
    page = apiserver_metrics();
    histogram(page, "apiserver_request_duration_seconds", sar, &sum0, &cnt0);
    histogram(page, "apiserver_flowcontrol_request_wait_duration_seconds", apf, &wsum0, &wcnt0);
    free(page);
    for (int i = 0; i < n; i++) {
        caller(&u, "warm", i);
        char *body = access_review_request(&u, &attrs);
        user_info_done(&u);
        t0 = clock_mono_ns();
        review(kc, body, NULL);
        warm[i] = clock_mono_ns() - t0;
        free(body);
    }
    page = apiserver_metrics();
    histogram(page, "apiserver_request_duration_seconds", sar, &sum1, &cnt1);
    histogram(page, "apiserver_flowcontrol_request_wait_duration_seconds", apf, &wsum1, &wcnt1);
    free(page);

    /* Parsing the answer. */
    t0 = clock_mono_ns();
    for (int i = 0; i < BUILDS; i++)
        if (access_review_parse(answer.body, answer.len, why, sizeof(why)) != 1)
            die("parse failed");
    double parse_ms = (double)(clock_mono_ns() - t0) / BUILDS / 1e6;

    /* The same round trip from an event loop through the worker threads. */
    h2o_evloop_t *loop = h2o_evloop_create();
    struct kube_async *ka = kube_async_start(loop, kc, 2);
    if (!ka) die("kube_async_start");
    for (int i = 0; i < n; i++) {
        struct async_wait w = {0};
        caller(&u, "async", i);
        char *body = access_review_request(&u, &attrs);
        user_info_done(&u);
        t0 = clock_mono_ns();
        if (kube_async_call(ka, "POST", SAR_PATH, body, 10000, async_done, &w) != 0)
            die("kube_async_call");
        while (!w.done)
            h2o_evloop_run(loop, 1000);
        async[i] = clock_mono_ns() - t0;
        if (w.rc) die("async review failed");
        free(body);
    }
    kube_async_stop(ka);

    /* A new connection per review: a new client each time (kube_client's own setup), and
     * libcurl's timers for the phases, HTTP/2 and HTTP/1.1. */
    for (int i = 0; i < ncold; i++) {
        struct kube_client *fresh;
        struct phases ph;
        caller(&u, "cold", i);
        char *body = access_review_request(&u, &attrs);
        user_info_done(&u);
        t0 = clock_mono_ns();
        fresh = aggregator_client();
        review(fresh, body, NULL);
        kube_client_free(fresh);
        c_client[i] = clock_mono_ns() - t0;
        cold_review_phases(token, body, &ph);
        c_conn[i] = ph.connect;
        c_tls[i] = ph.tls;
        c_req[i] = ph.request;
        c_total[i] = ph.total;
        h2_seen += ph.version == CURL_HTTP_VERSION_2_0;
        free(body);
    }

    /* libcurl on its own on a kept connection (one easy handle), HTTP/2 and HTTP/1.1: what
     * kube_client adds, and what HTTP/2's framing costs against HTTP/1.1. */
    kept_raw(token, CURL_HTTP_VERSION_2TLS, raw_h2, n);
    kept_raw(token, CURL_HTTP_VERSION_1_1, h1, n);

    /* GET /version on the kept connection: a kube-apiserver round trip that authorizes nothing
     * of ours (authentication, APF and the filters only). */
    for (int i = -1; i < n; i++) {
        struct kube_response r;
        char err[256];
        t0 = clock_mono_ns();
        if (kube_client_request(kc, "GET", "/version", NULL, NULL, 10000, 1 << 20, &r, err,
                                sizeof(err)) != 0 ||
            r.status != 200)
            die("GET /version");
        if (i >= 0) version[i] = clock_mono_ns() - t0;
        kube_response_done(&r);
    }

    printf("\nthe parts of a first read, each measured on its own (ms):%*sp50      p95\n", 19, "");
    row_mean("building the SubjectAccessReview (access_cache_key)", build_ms, "mean");
    snprintf(label, sizeof(label), "review round trip, kube_client's kept connection (HTTP/%s)",
             kc_http_version == 20 ? "2" : "1.1");
    row(label, warm, n);
    row_mean("  of which the kube-apiserver's own time (its request duration)",
             cnt1 > cnt0 ? (sum1 - sum0) / (cnt1 - cnt0) * 1e3 : 0, "mean");
    row_mean("  and its APF queue wait (flow schema kube-system-service-accounts)",
             wcnt1 > wcnt0 ? (wsum1 - wsum0) / (wcnt1 - wcnt0) * 1e3 : 0,
             "mean, shared with the controller-manager");
    row("review from an event loop through kube_async's workers", async, n);
    row("GET /version, kept connection (authn + filters, nothing authorized)", version, n);
    row("review, kept HTTP/2 connection (libcurl alone, one easy handle)", raw_h2, n);
    row("review, kept HTTP/1.1 connection (libcurl alone, one easy handle)", h1, n);
    row("review, new client and connection each time (kube_client_new..free)", c_client, ncold);
    row("  new connection: TCP connect", c_conn, ncold);
    row("  new connection: TLS handshake", c_tls, ncold);
    row("  new connection: request and answer after the handshake", c_req, ncold);
    row("  new connection: total", c_total, ncold);
    row_mean("parsing the answer (access_review_parse)", parse_ms, "mean");
    printf("  (new connections spoke HTTP/2: %ld of %d)\n", h2_seen, ncold);

    free(doc);
    kube_response_done(&answer);
    kube_client_free(kc);
    free(warm);
    free(async);
    free(c_conn);
    free(c_tls);
    free(c_req);
    free(c_total);
    free(c_client);
    free(h1);
    free(raw_h2);
    free(version);
}

/* --- end to end ------------------------------------------------------------------------- */

static void end_to_end(void)
{
    int n = n_callers;
    int64_t *miss = calloc((size_t)n, sizeof(int64_t)), *hit = calloc((size_t)n, sizeof(int64_t));
    int64_t *extra = calloc((size_t)n, sizeof(int64_t));
    const char *sar_calls = "kmetrics_auth_api_calls_total{kind=\"subjectaccessreview\"}";
    const char *get[] = {"verb=\"get\"", NULL};
    char before[1024], after[1024], user[64];
    int nbefore, nafter;
    long connects = 0, new_conns = 0;
    double gsum0, gcnt0, gsum1, gcnt1, calls0 = 0, calls1 = 0;
    struct proxy p;
    char *page;

    if (!miss || !hit || !extra) die("out of memory");
    proxy_open(&p);
    snprintf(user, sizeof(user), "warmup-%d", (int)getpid());
    for (int i = 0; i < 3; i++)
        if (proxy_get(&p, user, &miss[0], &connects) != 200) die("warm-up read failed");

    page = aggregator_metrics();
    histogram(page, "kmetrics_request_duration_seconds", get, &gsum0, &gcnt0);
    for (const char *l = strstr(page, sar_calls); l; l = NULL)
        calls0 = strtod(l + strlen(sar_calls) + 1, NULL);
    free(page);
    agg_api_sockets(before, sizeof(before), &nbefore);
    for (int i = 0; i < n; i++) {
        snprintf(user, sizeof(user), "caller-%d-%d", (int)getpid(), i);
        if (proxy_get(&p, user, &miss[i], &connects) != 200) die("first read not 200");
        new_conns += connects;
        if (proxy_get(&p, user, &hit[i], &connects) != 200) die("second read not 200");
        new_conns += connects;
        extra[i] = miss[i] - hit[i];
    }
    agg_api_sockets(after, sizeof(after), &nafter);
    page = aggregator_metrics();
    histogram(page, "kmetrics_request_duration_seconds", get, &gsum1, &gcnt1);
    for (const char *l = strstr(page, sar_calls); l; l = NULL)
        calls1 = strtod(l + strlen(sar_calls) + 1, NULL);
    free(page);

    printf("\nGET %s through the aggregator, one kept HTTP/2 connection with the front proxy's "
           "certificate, %d new callers (ms):\n",
           OBJECT, n);
    printf("  %-66s %8s %8s\n", "", "p50", "p95");
    row("first read by a new caller (authorization cache miss)", miss, n);
    row("second read by the same caller (cached answer)", hit, n);
    row("the first read's extra (per caller: first - second)", extra, n);
    row_mean("the aggregator's own handling once authorized (route, query, render)",
             gcnt1 > gcnt0 ? (gsum1 - gsum0) / (gcnt1 - gcnt0) * 1e3 : 0,
             "mean, kmetrics_request_duration_seconds");
    printf("  SubjectAccessReviews made: %.0f for %d callers; client connections opened "
           "meanwhile: %ld\n",
           calls1 - calls0, n, new_conns);
    printf("  the aggregator's connections to the kube-apiserver before: %d [%s], after: %d "
           "[%s]\n",
           nbefore, before, nafter, after);
    curl_easy_cleanup(p.c);
    outbuf_done(&p.body);
    free(miss);
    free(hit);
    free(extra);
}

int main(void)
{
    char collector_token[4096], flags[PATH_MAX * 2];
    const char *env = getenv("BENCH_FIRST_READ_N");

    if (env && atoi(env) > 10) n_callers = atoi(env);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (kcl_up(&cl)) die("no control plane (tests/e2e/cluster.sh up failed)");
    if (tu_tmpdir(dir, sizeof(dir), "firstread")) die("no temporary directory");
    make_cluster_objects(collector_token, sizeof(collector_token));
    snprintf(flags, sizeof(flags), "--kubeconfig=%s", agg_kubeconfig);
    if (ah_start_flags(&agg, flags)) die("the aggregator did not start");
    for (int i = 0; i < 100; i++) {
        struct http_result r;
        /* Steady state: the trust configuration read, the label watches open. */
        if (ah_get(&agg, "/readyz/authentication-config", NULL, NULL, &r) == 0 && r.status == 200 &&
            (outbuf_done(&r.body), 1) && ah_get(&agg, "/readyz/kube-api", NULL, NULL, &r) == 0 &&
            r.status == 200) {
            outbuf_done(&r.body);
            break;
        }
        outbuf_done(&r.body);
        usleep(100000);
    }
    ship_pod(collector_token);
    printf("bench_first_read: kube-apiserver 1.20.2 at %s, the aggregator as ServiceAccount "
           "kube-system/kmetrics-aggregator (token), %ld CPUs\n",
           cl.apiserver, sysconf(_SC_NPROCESSORS_ONLN));
    end_to_end();
    parts();
    ah_stop(&agg);
    tu_rm_rf(dir);
    kcl_down(&cl);
    curl_global_cleanup();
    return 0;
}
