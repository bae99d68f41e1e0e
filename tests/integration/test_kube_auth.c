/* The aggregator in Kubernetes mode against a real kube-apiserver 1.20.2: who may read
 * (client certificates, front-proxy headers, bearer tokens via TokenReview, authorization via
 * SubjectAccessReview), who may ship (pod-bound collector tokens, held to their node), and
 * what happens when the API server hangs, goes away, comes back, or publishes a bad CA. */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "lib/agg_harness.h"
#include "lib/kube_cluster.h"
#include "clock.h"

#define SEC 1000000000LL
#define NODE "kauth-node"
#define METRICS "/apis/metrics.k8s.io/v1beta1"

static struct kube_cluster cl;
static struct agg_harness agg;
static char pki[PATH_MAX], tmp[PATH_MAX];
static char reader_token[4096], collector_token[4096], unbound_token[4096], other_token[4096];

/* A request to the aggregator with any mix of client certificate (NAME: pki/NAME.crt and .key,
 * or a path under tmp when it starts with '/'), bearer token and extra header lines. */
static long call(const char *path, const char *cert, const char *token, struct http_result *r, ...)
{
    struct curl_slist *hdrs;
    CURL *c = ah_curl(&agg, path, r, &hdrs);
    char line[8192], crt[PATH_MAX + 16], key[PATH_MAX + 16];
    const char *h;
    va_list ap;

    if (cert) {
        snprintf(crt, sizeof(crt), "%s/%s.crt", cert[0] == '/' ? tmp : pki, cert);
        snprintf(key, sizeof(key), "%s/%s.key", cert[0] == '/' ? tmp : pki, cert);
        curl_easy_setopt(c, CURLOPT_SSLCERT, crt);
        curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    }
    if (token) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
        hdrs = curl_slist_append(hdrs, line);
    }
    va_start(ap, r);
    while ((h = va_arg(ap, const char *)) != NULL)
        hdrs = curl_slist_append(hdrs, h);
    va_end(ap);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (ah_finish(c, hdrs, r) != 0) r->status = -1;
    return r->status;
}

static long status_of(const char *path, const char *cert, const char *token, const char *h1,
                      const char *h2)
{
    struct http_result r;
    long s = call(path, cert, token, &r, h1, h2, NULL);
    outbuf_done(&r.body);
    return s;
}

/* A counter from the aggregator's /metrics (read as the cluster admin). */
static double counter(const char *series)
{
    struct http_result r;
    double v = -1;

    call("/metrics", "admin", NULL, &r, NULL);
    outbuf_append(&r.body, "", 1);
    for (char *l = r.body.data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, series, strlen(series)) == 0 && l[strlen(series)] == ' ')
            v = strtod(l + strlen(series) + 1, NULL);
    outbuf_done(&r.body);
    return v;
}

static void sh_ok(const char *fmt, const char *a, const char *b, const char *c)
{
    struct outbuf out;
    char cmd[8192];

    outbuf_init(&out);
    snprintf(cmd, sizeof(cmd), fmt, a, b, c);
    int rc = ah_sh(&out, "%s", cmd);
    if (rc != 0) fprintf(stderr, "%s\n-> %.*s\n", cmd, (int)out.len, out.data);
    outbuf_done(&out);
    assert_int_equal(rc, 0);
}

/* Creates an object as the cluster admin (201, or 409 when it exists from an earlier run). */
static void create(const char *path, const char *json)
{
    long s = kcl_create(&cl, path, json);
    assert_true(s == 201 || s == 409);
}

/* A token from the TokenRequest API. */
static void token_request(const char *ns, const char *sa, const char *spec, char *out, size_t n)
{
    assert_int_equal(kcl_token(&cl, ns, sa, spec, out, n), 0);
}

static int setup(void **state)
{
    struct kube_response r;
    json_error_t e;
    char spec[1024], flags[PATH_MAX * 2];
    (void)state;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (kcl_up(&cl)) return -1;
    snprintf(pki, sizeof(pki), "%s", cl.pki);
    if (tu_tmpdir(tmp, sizeof(tmp), "kauth")) return -1;
    /* A user the cluster CA vouches for, with no RBAC rights. */
    sh_ok("cd %s && openssl ecparam -name prime256v1 -genkey -noout -out nobody.key && "
          "openssl req -new -key nobody.key -subj /CN=nobody -out nobody.csr && "
          "printf 'extendedKeyUsage=clientAuth\\n' > ext && "
          "openssl x509 -req -in nobody.csr -CA %s/ca.crt -CAkey %s/ca.key -CAcreateserial "
          "-days 2 -extfile ext -out nobody.crt",
          tmp, pki, pki);
    create("/api/v1/namespaces/default/serviceaccounts",
           "{\"metadata\":{\"name\":\"metrics-reader\"}}");
    create("/apis/rbac.authorization.k8s.io/v1/clusterroles",
           "{\"metadata\":{\"name\":\"kauth-pod-metrics\"},\"rules\":[{\"apiGroups\":["
           "\"metrics.k8s.io\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\"]}]}");
    create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
           "{\"metadata\":{\"name\":\"kauth-pod-metrics\"},\"roleRef\":{\"apiGroup\":"
           "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"kauth-pod-"
           "metrics\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"metrics-reader\","
           "\"namespace\":\"default\"}]}");
    token_request("default", "metrics-reader", "{\"spec\":{\"expirationSeconds\":3600}}",
                  reader_token, sizeof(reader_token));
    /* A collector: its ServiceAccount, a node, a pod on it, a token bound to that pod. */
    create("/api/v1/namespaces/kube-system/serviceaccounts",
           "{\"metadata\":{\"name\":\"kmetrics-collector\"}}");
    create("/api/v1/namespaces/kube-system/serviceaccounts",
           "{\"metadata\":{\"name\":\"not-a-collector\"}}");
    create("/api/v1/nodes", "{\"metadata\":{\"name\":\"" NODE "\"}}");
    create("/api/v1/namespaces/kube-system/pods",
           "{\"metadata\":{\"name\":\"kauth-collector\"},\"spec\":{\"nodeName\":\"" NODE
           "\",\"serviceAccountName\":\"kmetrics-collector\",\"containers\":[{\"name\":\"c\","
           "\"image\":\"kmetrics-collector\"}]}}");
    assert_int_equal(
        kcl_call(&cl, "GET", "/api/v1/namespaces/kube-system/pods/kauth-collector", NULL, &r), 200);
    json_t *pod = json_loadb(r.body, r.len, 0, &e);
    snprintf(spec, sizeof(spec),
             "{\"spec\":{\"audiences\":[\"kmetrics\"],\"expirationSeconds\":3600,"
             "\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":"
             "\"kauth-collector\",\"uid\":\"%s\"}}}",
             json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid")));
    json_decref(pod);
    kube_response_done(&r);
    token_request("kube-system", "kmetrics-collector", spec, collector_token,
                  sizeof(collector_token));
    token_request("kube-system", "kmetrics-collector",
                  "{\"spec\":{\"audiences\":[\"kmetrics\"],\"expirationSeconds\":3600}}",
                  unbound_token, sizeof(unbound_token));
    token_request("kube-system", "not-a-collector",
                  "{\"spec\":{\"audiences\":[\"kmetrics\"],\"expirationSeconds\":3600}}",
                  other_token, sizeof(other_token));
    snprintf(flags, sizeof(flags),
             "--kubeconfig=%s --authentication-token-webhook-cache-ttl=1s "
             "--authorization-webhook-cache-authorized-ttl=3s "
             "--authorization-webhook-cache-unauthorized-ttl=3s -v",
             cl.kubeconfig);
    if (ah_start_flags(&agg, flags)) return -1;
    /* Ready once the trust configuration is read from the ConfigMap. */
    for (int i = 0;
         i < 100 && status_of("/readyz/authentication-config", NULL, NULL, NULL, NULL) != 200; i++)
        usleep(100000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ah_stop(&agg);
    kcl_down(&cl);
    curl_global_cleanup();
    return 0;
}

static void assert_status_reason(struct http_result *r, long code, const char *reason,
                                 const char *message_part)
{
    json_error_t e;
    json_t *j = json_loadb(r->body.data, r->body.len, 0, &e);

    assert_int_equal(r->status, code);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "Status");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), reason);
    assert_int_equal(json_integer_value(json_object_get(j, "code")), code);
    if (message_part) {
        const char *m = json_string_value(json_object_get(j, "message"));
        if (!m || !strstr(m, message_part)) fprintf(stderr, "message: %s\n", m ? m : "(none)");
        assert_non_null(strstr(m, message_part));
    }
    json_decref(j);
}

static void test_anonymous_is_401_health_is_open(void **state)
{
    struct http_result r;
    (void)state;

    call(METRICS "/nodes", NULL, NULL, &r, NULL);
    assert_status_reason(&r, 401, "Unauthorized", NULL);
    outbuf_done(&r.body);
    assert_int_equal(status_of("/livez", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(status_of("/healthz", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(status_of("/metrics", NULL, NULL, NULL, NULL), 401);
    assert_int_equal(status_of(METRICS, NULL, NULL, NULL, NULL), 401);
}

static void test_client_certificates(void **state)
{
    struct http_result r;
    (void)state;

    assert_int_equal(status_of(METRICS "/nodes", "admin", NULL, NULL, NULL), 200);
    call(METRICS "/nodes", "/nobody", NULL, &r, NULL);
    assert_status_reason(&r, 403, "Forbidden",
                         "User \"nobody\" cannot list resource \"nodes\" in API group "
                         "\"metrics.k8s.io\" at the cluster scope");
    outbuf_done(&r.body);
    /* Every authenticated user is in system:authenticated, which RBAC lets read discovery and
     * OpenAPI: nobody's certificate names no group, and neither does this proxied user. */
    assert_int_equal(status_of(METRICS, "/nobody", NULL, NULL, NULL), 200);
    assert_int_equal(status_of("/openapi/v2", "front-proxy-client", NULL,
                               "X-Remote-User: system:aggregator", NULL),
                     200);
    /* /metrics is a non-resource URL: nobody may not get it either. */
    call("/metrics", "/nobody", NULL, &r, NULL);
    assert_status_reason(&r, 403, "Forbidden", "cannot get path \"/metrics\"");
    outbuf_done(&r.body);
}

static void test_front_proxy_headers_trusted_only_from_the_proxy(void **state)
{
    struct http_result r;
    (void)state;

    assert_int_equal(status_of(METRICS "/nodes", "front-proxy-client", NULL, "X-Remote-User: alice",
                               "X-Remote-Group: system:masters"),
                     200);
    call(METRICS "/namespaces/default/pods", "front-proxy-client", NULL, &r, "X-Remote-User: alice",
         NULL);
    assert_status_reason(&r, 403, "Forbidden", "User \"alice\" cannot list resource \"pods\"");
    assert_non_null(strstr(r.body.data, "in the namespace \\\"default\\\""));
    outbuf_done(&r.body);
    /* The proxy's certificate without a user header authenticates no one. */
    assert_int_equal(status_of(METRICS "/nodes", "front-proxy-client", NULL, NULL, NULL), 401);
    /* A certificate from the client CA claiming to be someone else: the claim is ignored. */
    call(METRICS "/nodes", "/nobody", NULL, &r, "X-Remote-User: system:admin",
         "X-Remote-Group: system:masters", NULL);
    assert_status_reason(&r, 403, "Forbidden", "User \"nobody\"");
    outbuf_done(&r.body);
    /* And with no certificate at all, headers alone are nobody. */
    assert_int_equal(status_of(METRICS "/nodes", NULL, NULL, "X-Remote-User: system:admin",
                               "X-Remote-Group: system:masters"),
                     401);
}

static void test_bearer_tokens_reviewed(void **state)
{
    struct http_result r;
    (void)state;

    assert_int_equal(status_of(METRICS "/pods", NULL, reader_token, NULL, NULL), 200);
    call(METRICS "/nodes", NULL, reader_token, &r, NULL);
    assert_status_reason(&r, 403, "Forbidden",
                         "User \"system:serviceaccount:default:metrics-reader\"");
    outbuf_done(&r.body);
    call(METRICS "/pods", NULL, "not-a-real-token", &r, NULL);
    assert_status_reason(&r, 401, "Unauthorized", NULL);
    outbuf_done(&r.body);
    /* A collector's token is for the collector audience only, not for reading. */
    assert_int_equal(status_of(METRICS "/pods", NULL, collector_token, NULL, NULL), 401);
}

/* 100 concurrent reads by one new user over HTTP/2 cost at most a couple of API calls. */
static void test_burst_shares_one_review(void **state)
{
    CURLM *m = curl_multi_init();
    CURL *easy[100];
    struct http_result res[100];
    struct curl_slist *hdrs[100];
    double before = counter("kmetrics_auth_api_calls_total{kind=\"subjectaccessreview\"}");
    int running = 0, ok = 0;
    char crt[PATH_MAX + 32], key[PATH_MAX + 32];
    (void)state;

    snprintf(crt, sizeof(crt), "%s/front-proxy-client.crt", pki);
    snprintf(key, sizeof(key), "%s/front-proxy-client.key", pki);
    curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    for (int i = 0; i < 100; i++) {
        easy[i] = ah_curl(&agg, METRICS "/pods", &res[i], &hdrs[i]);
        hdrs[i] = curl_slist_append(hdrs[i], "X-Remote-User: burst-user");
        hdrs[i] = curl_slist_append(hdrs[i], "X-Remote-Group: system:masters");
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdrs[i]);
        curl_easy_setopt(easy[i], CURLOPT_SSLCERT, crt);
        curl_easy_setopt(easy[i], CURLOPT_SSLKEY, key);
        curl_easy_setopt(easy[i], CURLOPT_PIPEWAIT, 1L);
        curl_multi_add_handle(m, easy[i]);
    }
    do {
        curl_multi_perform(m, &running);
        if (running) curl_multi_poll(m, NULL, 0, 1000, NULL);
    } while (running);
    for (int i = 0; i < 100; i++) {
        long code = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &code);
        ok += code == 200;
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
        curl_slist_free_all(hdrs[i]);
        outbuf_done(&res[i].body);
    }
    curl_multi_cleanup(m);
    double calls = counter("kmetrics_auth_api_calls_total{kind=\"subjectaccessreview\"}") - before;
    printf("burst of 100 reads by a new user: %d answered 200, %.0f SubjectAccessReview call(s) "
           "(the /metrics read included)\n",
           ok, calls);
    assert_int_equal(ok, 100);
    assert_true(calls >= 1 && calls <= 3);
}

static long ship(const char *token, const char *node)
{
    struct wire_sample s[2] = {{.real_ns = (int64_t)time(NULL) * SEC - SEC, .usage_usec = 1000},
                               {.real_ns = (int64_t)time(NULL) * SEC, .usage_usec = 2000}};
    struct wire_shipment w = {
        .flags = WIRE_FULL,
        .node_name = node,
        .instance = 42,
        .seq = 1,
        .sent_ns = (int64_t)time(NULL) * SEC,
        .node = {.cpu_cores = 2, .memory_capacity = 1 << 30, .samples = s, .nsamples = 2}};
    struct outbuf b;
    struct http_result r;
    long status = -1;

    outbuf_init(&b);
    if (wire_encode(&w, &b) == 0 &&
        ah_post_ship_raw(&agg, b.data, b.len, "application/vnd.kmetrics.shipment.v2", token, &r) ==
            0) {
        status = r.status;
        outbuf_done(&r.body);
    }
    outbuf_done(&b);
    return status;
}

static void test_only_collectors_ship_and_only_for_their_node(void **state)
{
    double wrong = counter("kmetrics_shipments_rejected_total{reason=\"wrong_node\"}");
    double notc = counter("kmetrics_shipments_rejected_total{reason=\"not_collector\"}");
    double unauth = counter("kmetrics_shipments_rejected_total{reason=\"unauthenticated\"}");
    (void)state;

    assert_int_equal(ship(collector_token, NODE), 200);
    assert_int_equal(ship(collector_token, "someone-elses-node"), 403);
    assert_int_equal(ship(other_token, NODE), 403);
    assert_int_equal(ship(unbound_token, NODE), 403);
    assert_int_equal(ship(reader_token, NODE), 401); /* wrong audience */
    assert_int_equal(ship("garbage", NODE), 401);
    assert_int_equal(ship(NULL, NODE), 401);
    assert_true(counter("kmetrics_shipments_rejected_total{reason=\"wrong_node\"}") == wrong + 1);
    assert_true(counter("kmetrics_shipments_rejected_total{reason=\"not_collector\"}") == notc + 2);
    assert_true(counter("kmetrics_shipments_rejected_total{reason=\"unauthenticated\"}") ==
                unauth + 3);
    /* What was accepted is served. */
    assert_int_equal(status_of(METRICS "/nodes/" NODE, "admin", NULL, NULL, NULL), 200);
}

/* A collector that passed is trusted for --collector-token-cache-ttl (5 m), not for the 1 s
 * given to other tokens here: no new review or pod lookup per shipment. */
static void test_collector_answer_outlives_token_ttl(void **state)
{
    const char *reviews = "kmetrics_auth_api_calls_total{kind=\"tokenreview\"}";
    const char *lookups = "kmetrics_auth_api_calls_total{kind=\"pod\"}";
    (void)state;

    assert_int_equal(ship(collector_token, NODE), 200);
    double r0 = counter(reviews), p0 = counter(lookups);
    usleep(1500000);
    assert_int_equal(ship(collector_token, NODE), 200);
    assert_true(counter(reviews) == r0);
    assert_true(counter(lookups) == p0);
    /* Another token past the 1 s TTL is reviewed again. */
    assert_int_equal(status_of(METRICS "/pods", NULL, reader_token, NULL, NULL), 200);
    usleep(1500000);
    assert_int_equal(status_of(METRICS "/pods", NULL, reader_token, NULL, NULL), 200);
    assert_true(counter(reviews) >= r0 + 1);
}

static long get_configmap(struct kube_response *r)
{
    return kcl_call(&cl, "GET",
                    "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication",
                    NULL, r);
}

/* A ConfigMap whose CA does not parse is refused; the trust in force stays. */
static void test_bad_ca_in_configmap_keeps_current_trust(void **state)
{
    double errors = counter("kmetrics_authn_config_errors_total");
    struct kube_response r;
    json_error_t e;
    (void)state;

    assert_int_equal(get_configmap(&r), 200);
    json_t *cm = json_loadb(r.body, r.len, 0, &e);
    kube_response_done(&r);
    json_t *orig = json_deep_copy(cm);
    json_object_set_new(json_object_get(cm, "data"), "requestheader-client-ca-file",
                        json_string("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
                                    "-----END CERTIFICATE-----\n"));
    char *body = json_dumps(cm, JSON_COMPACT);
    assert_int_equal(kcl_call(&cl, "PUT",
                              "/api/v1/namespaces/kube-system/configmaps/"
                              "extension-apiserver-authentication",
                              body, NULL),
                     200);
    free(body);
    for (int i = 0; i < 100 && counter("kmetrics_authn_config_errors_total") <= errors; i++)
        usleep(100000);
    assert_true(counter("kmetrics_authn_config_errors_total") > errors);
    assert_int_equal(status_of(METRICS "/nodes", "front-proxy-client", NULL,
                               "X-Remote-User: after-bad-ca", "X-Remote-Group: system:masters"),
                     200);
    /* Put the real one back (the API server would, too, on its next sync). */
    json_object_del(json_object_get(orig, "metadata"), "resourceVersion");
    body = json_dumps(orig, JSON_COMPACT);
    assert_int_equal(kcl_call(&cl, "PUT",
                              "/api/v1/namespaces/kube-system/configmaps/"
                              "extension-apiserver-authentication",
                              body, NULL),
                     200);
    free(body);
    json_decref(cm);
    json_decref(orig);
}

static pid_t apiserver_pid(void)
{
    char path[PATH_MAX + 32], buf[32] = "";
    snprintf(path, sizeof(path), "%s/kube-apiserver.pid", cl.dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(buf, sizeof(buf), f)) buf[0] = '\0';
        fclose(f);
    }
    return (pid_t)atoi(buf);
}

struct bg_call {
    const char *user;
    long status;
    int64_t took;
    char message[512];
};

static void *bg_read(void *arg)
{
    struct bg_call *b = arg;
    char hdr[128];
    struct http_result r;
    int64_t t0 = clock_mono_ns();

    snprintf(hdr, sizeof(hdr), "X-Remote-User: %s", b->user);
    b->status = call(METRICS "/nodes", "front-proxy-client", NULL, &r, hdr,
                     "X-Remote-Group: system:masters", NULL);
    b->took = clock_mono_ns() - t0;
    snprintf(b->message, sizeof(b->message), "%.*s", (int)r.body.len, r.body.data);
    outbuf_done(&r.body);
    return NULL;
}

/* A hung API server: the request that needs it is denied when the call times out, and the
 * server keeps answering everything else meanwhile. A stopped one: new users are denied at
 * once, known answers are still served; it comes back, and so does everything. */
static void test_apiserver_hung_down_and_back(void **state)
{
    pid_t pid = apiserver_pid();
    struct bg_call hung = {.user = "hung-user"};
    pthread_t t;
    (void)state;

    assert_true(pid > 0);
    /* Cached while the API server is healthy. */
    assert_int_equal(status_of(METRICS "/nodes", "front-proxy-client", NULL,
                               "X-Remote-User: known-user", "X-Remote-Group: system:masters"),
                     200);
    kill(pid, SIGSTOP);
    pthread_create(&t, NULL, bg_read, &hung);
    usleep(300000);
    int64_t t0 = clock_mono_ns();
    assert_int_equal(status_of("/livez", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(status_of(METRICS "/nodes", "front-proxy-client", NULL,
                               "X-Remote-User: known-user", "X-Remote-Group: system:masters"),
                     200);
    int64_t busy = clock_mono_ns() - t0;
    pthread_join(t, NULL);
    kill(pid, SIGCONT);
    printf("hung API server: a new user's read was denied after %.1f s (%ld); meanwhile /livez "
           "and a cached user's read took %.0f ms\n",
           (double)hung.took / SEC, hung.status, (double)busy / 1e6);
    assert_int_equal(hung.status, 403);
    assert_non_null(strstr(hung.message, "SubjectAccessReview failed"));
    assert_true(busy < SEC);

    /* Stopped: refused connections deny new users at once. */
    assert_int_equal(kcl_script(&cl, "stop-apiserver"), 0);
    struct bg_call down = {.user = "user-while-down"};
    bg_read(&down);
    assert_int_equal(down.status, 403);
    assert_true(down.took < 5 * SEC);
    assert_int_equal(status_of(METRICS "/pods", NULL, "token-while-down", NULL, NULL), 401);
    /* Back: the same user is allowed without restarting anything. */
    assert_int_equal(kcl_script(&cl, "start-apiserver"), 0);
    long st = 0;
    for (int i = 0; i < 50 && st != 200; i++) {
        st = status_of(METRICS "/nodes", "front-proxy-client", NULL,
                       "X-Remote-User: user-while-down", "X-Remote-Group: system:masters");
        if (st != 200) usleep(200000);
    }
    assert_int_equal(st, 200);
    assert_int_equal(status_of(METRICS "/pods", NULL, reader_token, NULL, NULL), 200);
}

/* Started while the API server is down: alive, honestly not ready, and ready by itself once
 * the API server appears. */
static void test_start_without_apiserver(void **state)
{
    char flags[PATH_MAX * 2];
    long st = 0;
    (void)state;

    ah_stop(&agg);
    assert_int_equal(kcl_script(&cl, "stop-apiserver"), 0);
    snprintf(flags, sizeof(flags), "--kubeconfig=%s -v", cl.kubeconfig);
    assert_int_equal(ah_start_flags(&agg, flags), 0);
    assert_int_equal(status_of("/livez", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(status_of("/readyz/authentication-config", NULL, NULL, NULL, NULL), 500);
    assert_int_equal(status_of("/readyz/kube-api", NULL, NULL, NULL, NULL), 500);
    assert_int_equal(status_of(METRICS "/nodes", "front-proxy-client", NULL, "X-Remote-User: early",
                               "X-Remote-Group: system:masters"),
                     401);
    assert_int_equal(kcl_script(&cl, "start-apiserver"), 0);
    for (int i = 0; i < 150 && st != 200; i++) {
        st = status_of("/readyz/authentication-config", NULL, NULL, NULL, NULL);
        if (st != 200) usleep(200000);
    }
    assert_int_equal(st, 200);
    assert_int_equal(status_of(METRICS "/nodes", "front-proxy-client", NULL, "X-Remote-User: early",
                               "X-Remote-Group: system:masters"),
                     200);
    /* The label watches connect by themselves too (their backoff is capped at 30 s). */
    st = 0;
    for (int i = 0; i < 200 && st != 200; i++) {
        st = status_of("/readyz/kube-api", NULL, NULL, NULL, NULL);
        if (st != 200) usleep(200000);
    }
    assert_int_equal(st, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anonymous_is_401_health_is_open),
        cmocka_unit_test(test_client_certificates),
        cmocka_unit_test(test_front_proxy_headers_trusted_only_from_the_proxy),
        cmocka_unit_test(test_bearer_tokens_reviewed),
        cmocka_unit_test(test_burst_shares_one_review),
        cmocka_unit_test(test_only_collectors_ship_and_only_for_their_node),
        cmocka_unit_test(test_collector_answer_outlives_token_ttl),
        cmocka_unit_test(test_bad_ca_in_configmap_keeps_current_trust),
        cmocka_unit_test(test_apiserver_hung_down_and_back),
        cmocka_unit_test(test_start_without_apiserver),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
