/* The auth gate on a real h2o loop (on the test's thread, as on the aggregator's main thread),
 * with a fake review backend in place of the API server and kube_async's workers: the fake
 * records every call and answers from a table, on the loop thread, as the workers' messages
 * would; it can hold its answers to let requests pile up.
 * Requests are real HTTP/1.1 over loopback from libcurl. What must hold: no credentials is a
 * 401 without any call; TokenReview and SubjectAccessReview answers are cached; a burst for
 * one new token costs one review of each kind; a failed call denies and is retried after its
 * short TTL; collectors must be the collector ServiceAccount, bound to a pod that still exists
 * with the token's uid, and are handed that pod's node; a client that leaves while its
 * request waits costs nothing when the answer comes. (The real API server is reached by
 * tests/integration/test_kube_auth.c; this one is fast and exact about calls.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <h2o.h>
#include <jansson.h>

#include "auth/auth_gate.h"
#include "clock.h"
#include "http/respond.h"
#include "outbuf.h"

#define COLLECTOR_SA "system:serviceaccount:kmetrics:collector"

/* --- the fake review backend ------------------------------------------------------------- */

struct fake_call {
    char method[8];
    char path[256];
    char *body;
    kube_async_cb cb;
    void *arg;
    struct fake_call *next;
};

static struct {
    pthread_mutex_t mu;
    struct fake_call *head, **tail;
    atomic_bool hold;
    atomic_int token_reviews, access_reviews, pod_lookups;
    char last_access_review[4096];
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int fake_call(void *ctx, const char *method, const char *path, const char *body,
                     long timeout_ms, kube_async_cb cb, void *arg)
{
    struct fake_call *c = calloc(1, sizeof(*c));

    (void)ctx;
    (void)timeout_ms;
    if (!c) return -ENOMEM;
    snprintf(c->method, sizeof(c->method), "%s", method);
    snprintf(c->path, sizeof(c->path), "%s", path);
    c->body = body ? strdup(body) : NULL;
    c->cb = cb;
    c->arg = arg;
    pthread_mutex_lock(&fake.mu);
    if (strstr(path, "/tokenreviews")) fake.token_reviews++;
    if (strstr(path, "/subjectaccessreviews")) {
        fake.access_reviews++;
        snprintf(fake.last_access_review, sizeof(fake.last_access_review), "%s", body);
    }
    if (strstr(path, "/pods/")) fake.pod_lookups++;
    *fake.tail = c;
    fake.tail = &c->next;
    pthread_mutex_unlock(&fake.mu);
    return 0;
}

struct answer {
    int rc; /* 0, or a transport error */
    long status;
    char body[1024];
};

static const char *user_json(const char *token, const char *aud)
{
    static char buf[512];

    if (strcmp(token, "tok-alice") == 0) return "{\"username\":\"alice\",\"groups\":[\"dev\"]}";
    if (strcmp(token, "tok-bob") == 0) return "{\"username\":\"bob\"}";
    if (strcmp(token, "tok-carol") == 0) return "{\"username\":\"carol\"}";
    if (strcmp(token, "tok-other-sa") == 0)
        return "{\"username\":\"system:serviceaccount:default:app\"}";
    if (strncmp(token, "tok-collector", 13) == 0) {
        const char *pod = strcmp(token, "tok-collector-gone") == 0      ? "collector-gone"
                          : strcmp(token, "tok-collector-apidown") == 0 ? "collector-apidown"
                          : strcmp(token, "tok-collector-unbound") == 0 ? NULL
                                                                        : "collector-x1";
        const char *uid = strcmp(token, "tok-collector-replaced") == 0 ? "uid-old" : "uid-1";
        (void)aud;
        if (!pod) return "{\"username\":\"" COLLECTOR_SA "\"}";
        snprintf(buf, sizeof(buf),
                 "{\"username\":\"" COLLECTOR_SA "\",\"extra\":{"
                 "\"authentication.kubernetes.io/pod-name\":[\"%s\"],"
                 "\"authentication.kubernetes.io/pod-uid\":[\"%s\"]}}",
                 pod, uid);
        return buf;
    }
    return NULL;
}

/* The API server's answer to a call, from a fixed table. */
static void answer_of(const struct fake_call *c, struct answer *a)
{
    memset(a, 0, sizeof(*a));
    a->status = 200;
    if (strstr(c->path, "/tokenreviews")) {
        json_t *req = json_loads(c->body, 0, NULL);
        json_t *spec = json_object_get(req, "spec");
        const char *token = json_string_value(json_object_get(spec, "token"));
        json_t *auds = json_object_get(spec, "audiences");
        const char *aud = json_string_value(json_array_get(auds, 0));
        const char *user = token ? user_json(token, aud) : NULL;

        if (token && strcmp(token, "tok-err") == 0)
            a->rc = -ECONNREFUSED;
        else if (token && strcmp(token, "tok-500") == 0)
            a->status = 500;
        else if (!user)
            snprintf(a->body, sizeof(a->body),
                     "{\"status\":{\"authenticated\":false,\"error\":\"invalid bearer token\"}}");
        else if (aud && strcmp(token, "tok-collector-wrong-aud") != 0)
            snprintf(a->body, sizeof(a->body),
                     "{\"status\":{\"authenticated\":true,\"user\":%s,\"audiences\":[\"%s\"]}}",
                     user, aud);
        else
            snprintf(a->body, sizeof(a->body), "{\"status\":{\"authenticated\":true,\"user\":%s}}",
                     user);
        json_decref(req);
    } else if (strstr(c->path, "/subjectaccessreviews")) {
        bool allowed =
            strstr(c->body, "\"user\": \"alice\"") || strstr(c->body, "\"user\":\"alice\"") ||
            strstr(c->body, "\"user\": \"carol\"") || strstr(c->body, "\"user\":\"carol\"");
        snprintf(a->body, sizeof(a->body), "{\"status\":{\"allowed\":%s%s}}",
                 allowed ? "true" : "false", allowed ? "" : ",\"reason\":\"no RBAC rule\"");
    } else if (strstr(c->path, "/pods/collector-x1")) {
        snprintf(a->body, sizeof(a->body),
                 "{\"metadata\":{\"name\":\"collector-x1\",\"uid\":\"uid-1\"},"
                 "\"spec\":{\"nodeName\":\"node-a\"}}");
    } else if (strstr(c->path, "/pods/collector-apidown")) {
        a->rc = -ETIMEDOUT;
    } else {
        a->status = 404;
        snprintf(a->body, sizeof(a->body), "{\"kind\":\"Status\",\"code\":404}");
    }
}

/* On the loop thread: answers the calls made so far, and those the answers lead to. */
static void fake_pump(void)
{
    while (!atomic_load(&fake.hold)) {
        struct fake_call *c;
        struct answer a;
        struct kube_response resp = {0};

        pthread_mutex_lock(&fake.mu);
        c = fake.head;
        if (c) {
            fake.head = c->next;
            if (!fake.head) fake.tail = &fake.head;
        }
        pthread_mutex_unlock(&fake.mu);
        if (!c) return;
        answer_of(c, &a);
        resp.status = a.status;
        resp.body = a.body;
        resp.len = strlen(a.body);
        c->cb(c->arg, a.rc, a.rc ? NULL : &resp, a.rc ? strerror(-a.rc) : NULL);
        free(c->body);
        free(c);
    }
}

/* --- the server: the gate in front of two endpoints ---------------------------------------- */

static h2o_globalconf_t config;
static h2o_context_t ctx;
static h2o_accept_ctx_t accept_ctx;
static h2o_socket_t *listener;
static struct auth_gate *gate;
static int port;

static void on_allowed(void *arg, h2o_req_t *req)
{
    (void)arg;
    respond_text(req, 200, "text/plain", "served");
}

static void on_collector(void *arg, h2o_req_t *req, const char *node)
{
    (void)arg;
    respond_text(req, 200, "text/plain", node);
}

static void on_collector_refused(void *arg, h2o_req_t *req, int code, const char *why)
{
    (void)arg;
    respond_text(req, code, "text/plain", why);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct access_attributes a = {.verb = "list",
                                  .group = "metrics.k8s.io",
                                  .version = "v1beta1",
                                  .resource = "pods",
                                  .namespace_ = "ns1"};

    (void)self;
    if (h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/ship")))
        auth_gate_check_collector(gate, req, on_collector, on_collector_refused, NULL);
    else
        auth_gate_check(gate, req, &a, on_allowed, NULL);
    return 0;
}

static void on_accept(h2o_socket_t *sock_listener, const char *err)
{
    h2o_socket_t *sock;

    if (err || !(sock = h2o_evloop_socket_accept(sock_listener))) return;
    h2o_accept(&accept_ctx, sock);
}

/* The loop runs on the test's own thread, as it runs on the aggregator's main thread; clients
 * run on threads of their own while it turns. */
static void loop_once(void)
{
    h2o_evloop_run(ctx.loop, 5);
    fake_pump();
}

static void loop_for_ms(int ms)
{
    int64_t end = clock_mono_ns() + ms * NS_PER_MS;

    while (clock_mono_ns() < end)
        loop_once();
}

static int setup(void **state)
{
    struct auth_gate_config gc = {
        .collector_namespace = "kmetrics",
        .collector_name = "collector",
        .collector_audience = "kmetrics",
        .token_ttl_ns = 10 * NS_PER_SEC,
        .collector_ttl_ns = 300 * NS_PER_SEC,
        .allowed_ttl_ns = 10 * NS_PER_SEC,
        .denied_ttl_ns = 10 * NS_PER_SEC,
    };
    struct api_caller api = {.call = fake_call};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t alen = sizeof(a);
    h2o_hostconf_t *host;
    h2o_handler_t *handler;
    int fd;

    (void)state;
    fake.tail = &fake.head;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    gate = auth_gate_new(&gc, &api, NULL);
    if (!gate) return -1;
    h2o_config_init(&config);
    host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    handler = h2o_create_handler(h2o_config_register_path(host, "/", 0), sizeof(*handler));
    handler->on_req = on_req;
    h2o_context_init(&ctx, h2o_evloop_create(), &config);
    accept_ctx.ctx = &ctx;
    accept_ctx.hosts = config.hosts;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    port = ntohs(a.sin_port);
    listener = h2o_evloop_socket_create(ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start(listener, on_accept);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* Close the listener and let the connections the clients closed go. */
    h2o_socket_read_stop(listener);
    h2o_socket_close(listener);
    loop_for_ms(100);
    h2o_context_dispose(&ctx);
    auth_gate_free(gate);
    h2o_config_dispose(&config);
    curl_global_cleanup();
    return 0;
}

/* --- the client ---------------------------------------------------------------------------- */

struct reply {
    long status;
    char body[1024];
    size_t len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t k = sz * n, room = sizeof(r->body) - 1 - r->len;

    memcpy(r->body + r->len, p, k < room ? k : room);
    r->len += k < room ? k : room;
    r->body[r->len] = '\0';
    return k;
}

/* A request to path with "Authorization: Bearer token" (none when token is NULL). Returns
 * curl's result; r->status is 0 when no answer came within timeout_ms. */
static CURLcode request(const char *path, const char *token, long timeout_ms, struct reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[128], auth[128];
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (strcmp(path, "/ship") == 0) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    if (token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

struct client {
    pthread_t th;
    const char *path, *token;
    long timeout_ms;
    struct reply r;
    CURLcode rc;
    atomic_bool done;
};

static void *client_main(void *arg)
{
    struct client *c = arg;

    c->rc = request(c->path, c->token, c->timeout_ms, &c->r);
    atomic_store(&c->done, true);
    return NULL;
}

static void clients_start(struct client *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pthread_create(&c[i].th, NULL, client_main, &c[i]), 0);
}

/* Turns the loop until every client has its answer (or gave up). */
static void clients_finish(struct client *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (!atomic_load(&c[i].done))
            loop_once();
        pthread_join(c[i].th, NULL);
    }
}

static CURLcode exchange(const char *path, const char *token, long timeout_ms, struct reply *r)
{
    struct client c = {.path = path, .token = token, .timeout_ms = timeout_ms};

    clients_start(&c, 1);
    clients_finish(&c, 1);
    *r = c.r;
    return c.rc;
}

static long status_of(const char *path, const char *token, struct reply *r)
{
    assert_int_equal(exchange(path, token, 5000, r), CURLE_OK);
    return r->status;
}

static void calls(int token_reviews, int access_reviews, int pod_lookups)
{
    assert_int_equal(atomic_load(&fake.token_reviews), token_reviews);
    assert_int_equal(atomic_load(&fake.access_reviews), access_reviews);
    assert_int_equal(atomic_load(&fake.pod_lookups), pod_lookups);
}

static void reset_calls(void)
{
    atomic_store(&fake.token_reviews, 0);
    atomic_store(&fake.access_reviews, 0);
    atomic_store(&fake.pod_lookups, 0);
}

/* --- tests --------------------------------------------------------------------------------- */

static void test_no_credentials_no_call(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    assert_int_equal(status_of("/read", NULL, &r), 401);
    assert_non_null(strstr(r.body, "\"reason\":\"Unauthorized\""));
    assert_int_equal(status_of("/ship", NULL, &r), 401);
    assert_non_null(strstr(r.body, "no bearer token"));
    calls(0, 0, 0);
}

static void test_unknown_token_refused_and_cached(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    assert_int_equal(status_of("/read", "tok-nobody", &r), 401);
    assert_int_equal(status_of("/read", "tok-nobody", &r), 401);
    calls(1, 0, 0);
}

static void test_allowed_reviews_cached(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    assert_int_equal(status_of("/read", "tok-alice", &r), 200);
    assert_string_equal(r.body, "served");
    calls(1, 1, 0);
    /* The review asked what the API server would: the user, their groups with the implied
     * system:authenticated, and the resource attributes. */
    json_t *sar = json_loads(fake.last_access_review, 0, NULL);
    json_t *spec = json_object_get(sar, "spec"),
           *attrs = json_object_get(spec, "resourceAttributes");
    assert_string_equal(json_string_value(json_object_get(spec, "user")), "alice");
    assert_string_equal(json_string_value(json_array_get(json_object_get(spec, "groups"), 0)),
                        "dev");
    assert_string_equal(json_string_value(json_array_get(json_object_get(spec, "groups"), 1)),
                        "system:authenticated");
    assert_string_equal(json_string_value(json_object_get(attrs, "verb")), "list");
    assert_string_equal(json_string_value(json_object_get(attrs, "resource")), "pods");
    assert_string_equal(json_string_value(json_object_get(attrs, "namespace")), "ns1");
    assert_string_equal(json_string_value(json_object_get(attrs, "group")), "metrics.k8s.io");
    json_decref(sar);
    for (int i = 0; i < 5; i++)
        assert_int_equal(status_of("/read", "tok-alice", &r), 200);
    calls(1, 1, 0);
    assert_true(auth_gate_stat(gate, AUTH_STAT_CACHE_HITS) >= 10);
}

static void test_forbidden_worded_as_the_api_server(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    assert_int_equal(status_of("/read", "tok-bob", &r), 403);
    assert_non_null(strstr(r.body, "pods.metrics.k8s.io is forbidden: User \\\"bob\\\" cannot list "
                                   "resource \\\"pods\\\" in API group \\\"metrics.k8s.io\\\" in "
                                   "the namespace \\\"ns1\\\": no RBAC rule"));
    assert_non_null(strstr(r.body, "\"code\":403"));
    assert_int_equal(status_of("/read", "tok-bob", &r), 403); /* the denial is cached too */
    calls(1, 1, 0);
}

static void test_failed_call_denies_and_is_retried(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    assert_int_equal(status_of("/read", "tok-err", &r), 401);
    assert_non_null(strstr(r.body, "TokenReview failed"));
    assert_int_equal(status_of("/read", "tok-500", &r), 401);
    assert_non_null(strstr(r.body, "HTTP 500"));
    calls(2, 0, 0);
    /* Within the error TTL (1 s) the failure stands; after it, the call is made again. */
    assert_int_equal(status_of("/read", "tok-err", &r), 401);
    calls(2, 0, 0);
    loop_for_ms(1100);
    assert_int_equal(status_of("/read", "tok-err", &r), 401);
    calls(3, 0, 0);
    assert_true(auth_gate_stat(gate, AUTH_STAT_API_ERRORS) >= 3);
}

static void test_burst_costs_one_review_of_each_kind(void **state)
{
    enum { N = 20 };
    struct client c[N];
    uint64_t coalesced0 = auth_gate_stat(gate, AUTH_STAT_COALESCED);

    (void)state;
    reset_calls();
    memset(c, 0, sizeof(c));
    for (int i = 0; i < N; i++)
        c[i] = (struct client){.path = "/read", .token = "tok-carol", .timeout_ms = 10000};
    atomic_store(&fake.hold, true);
    clients_start(c, N);
    /* Let the burst arrive while the first TokenReview is unanswered. */
    for (int i = 0; i < 400 && atomic_load(&fake.token_reviews) == 0; i++)
        loop_once();
    loop_for_ms(300);
    atomic_store(&fake.hold, false);
    clients_finish(c, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].rc, CURLE_OK);
        assert_int_equal(c[i].r.status, 200);
    }
    calls(1, 1, 0);
    assert_true(auth_gate_stat(gate, AUTH_STAT_COALESCED) > coalesced0);
}

static void test_collector_handed_its_node(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    assert_int_equal(status_of("/ship", "tok-collector", &r), 200);
    assert_string_equal(r.body, "node-a");
    calls(1, 0, 1);
    /* Trusted for the collector TTL: no review or lookup per shipment. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(status_of("/ship", "tok-collector", &r), 200);
        assert_string_equal(r.body, "node-a");
    }
    calls(1, 0, 1);
}

static void test_collector_refusals(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    /* A reader's token is not a collector's. */
    assert_int_equal(status_of("/ship", "tok-other-sa", &r), 403);
    assert_non_null(strstr(r.body, "is not a kmetrics collector"));
    assert_int_equal(status_of("/ship", "tok-collector-unbound", &r), 403);
    assert_non_null(strstr(r.body, "not bound to a pod"));
    assert_int_equal(status_of("/ship", "tok-collector-gone", &r), 403);
    assert_non_null(strstr(r.body, "no longer exists"));
    assert_int_equal(status_of("/ship", "tok-collector-replaced", &r), 403);
    assert_non_null(strstr(r.body, "was replaced"));
    /* Issued for another audience: not authenticated for shipping. */
    assert_int_equal(status_of("/ship", "tok-collector-wrong-aud", &r), 401);
    assert_non_null(strstr(r.body, "audience"));
    /* The API server could not vouch for it: unavailable, not refused. */
    assert_int_equal(status_of("/ship", "tok-collector-apidown", &r), 503);
    calls(6, 0, 3);
}

static void test_client_gone_while_waiting(void **state)
{
    struct reply r;

    (void)state;
    reset_calls();
    atomic_store(&fake.hold, true);
    /* The client gives up while its TokenReview is unanswered; h2o disposes its request. */
    assert_int_equal(exchange("/read", "tok-dave", 200, &r), CURLE_OPERATION_TIMEDOUT);
    loop_for_ms(100);
    atomic_store(&fake.hold, false);
    /* The answer arrives for nobody; the gate carries on. */
    assert_int_equal(status_of("/read", "tok-alice", &r), 200);
    assert_int_equal(status_of("/read", "tok-dave", &r), 401);
    calls(1, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_credentials_no_call),
        cmocka_unit_test(test_unknown_token_refused_and_cached),
        cmocka_unit_test(test_allowed_reviews_cached),
        cmocka_unit_test(test_forbidden_worded_as_the_api_server),
        cmocka_unit_test(test_failed_call_denies_and_is_retried),
        cmocka_unit_test(test_burst_costs_one_review_of_each_kind),
        cmocka_unit_test(test_collector_handed_its_node),
        cmocka_unit_test(test_collector_refusals),
        cmocka_unit_test(test_client_gone_while_waiting),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
