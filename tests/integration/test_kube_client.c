/* The Kubernetes API client against a real kube-apiserver 1.20.2 (tests/e2e/cluster.sh):
 * client-certificate and token users, a rotated token file, TLS failures, refused connections,
 * size limits, timeouts, watch streams and their stop flag, many threads on one client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube_client.h"
#include "lib/kube_cluster.h"
#include "lib/test_util.h"

static struct kube_cluster cl;
static char tmp[256];
static char errbuf[512];

static int setup(void **state)
{
    (void)state;
    if (tu_tmpdir(tmp, sizeof(tmp), "kube-client")) return -1;
    return kcl_up(&cl);
}

static int teardown(void **state)
{
    (void)state;
    kcl_down(&cl);
    tu_rm_rf(tmp);
    return 0;
}

/* The admin kubeconfig's settings, to vary one thing at a time. */
static void admin_config(struct kube_config *cfg)
{
    assert_int_equal(kube_config_load(cl.kubeconfig, NULL, cfg, errbuf, sizeof(errbuf)), 0);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static json_t *parse_body(const struct kube_response *r)
{
    json_error_t je;
    json_t *j = json_loadb(r->body, r->len, 0, &je);
    if (!j) fprintf(stderr, "bad JSON (%s): %.300s\n", je.text, r->body);
    assert_non_null(j);
    return j;
}

/* Requests one after another on one client keep one HTTP/1.1 connection: only the first opens
 * it. HTTP/2 would multiplex nothing (a connection per pooled handle) and costs the
 * kube-apiserver more per request (bench/bench_first_read.c). */
static void test_requests_keep_one_http11_connection(void **state)
{
    const char *sar = "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                      "\"SubjectAccessReview\",\"spec\":{\"user\":\"someone\","
                      "\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"pods\"}}}";
    struct kube_config cfg = {0};
    struct kube_client *kc;
    struct kube_response r;
    int opened = 0;

    (void)state;
    admin_config(&cfg);
    kc = kube_client_new(&cfg, errbuf, sizeof(errbuf));
    kube_config_done(&cfg);
    assert_non_null(kc);
    for (int i = 0; i < 20; i++) {
        bool post = i % 2;
        assert_int_equal(
            kube_client_request(kc, post ? "POST" : "GET",
                                post ? "/apis/authorization.k8s.io/v1/subjectaccessreviews"
                                     : "/version",
                                NULL, post ? sar : NULL, 5000, 1 << 20, &r, errbuf, sizeof(errbuf)),
            0);
        assert_int_equal(r.status, post ? 201 : 200);
        assert_int_equal(r.http_version, 11);
        assert_true(r.new_connection == (i == 0));
        opened += r.new_connection;
        kube_response_done(&r);
    }
    assert_int_equal(opened, 1);
    kube_client_free(kc);
}

static void test_version_and_namespaces(void **state)
{
    struct kube_response r;
    json_t *j, *items;
    bool found = false;
    size_t i;
    json_t *it;

    (void)state;
    assert_int_equal(kube_client_request(cl.admin, "GET", "/version", NULL, NULL, 5000, 0, &r,
                                         errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(strlen(r.body), r.len);
    j = parse_body(&r);
    assert_string_equal(json_string_value(json_object_get(j, "gitVersion")), "v1.20.2");
    json_decref(j);
    kube_response_done(&r);
    assert_null(r.body);

    assert_int_equal(kube_client_request(cl.admin, "GET", "/api/v1/namespaces", NULL, NULL, 5000,
                                         1 << 20, &r, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(r.status, 200);
    j = parse_body(&r);
    items = json_object_get(j, "items");
    json_array_foreach(items, i, it)
    {
        const char *name =
            json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
        found |= name && strcmp(name, "default") == 0;
    }
    assert_true(found);
    json_decref(j);
    kube_response_done(&r);

    /* Any status is a response: 404 comes back with its Status body. */
    assert_int_equal(kube_client_request(cl.admin, "GET", "/api/v1/namespaces/no-such-ns", NULL,
                                         NULL, 5000, 0, &r, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "NotFound"));
    kube_response_done(&r);
}

/* A ServiceAccount's token from the TokenRequest API, written to path. */
static void sa_token_to_file(const char *sa, const char *path)
{
    char p[256], body[256];
    struct kube_response r;
    json_t *j;
    long st;

    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"}}", sa);
    st = kcl_call(&cl, "POST", "/api/v1/namespaces/default/serviceaccounts", body, NULL);
    assert_true(st == 201 || st == 409);
    snprintf(p, sizeof(p), "/api/v1/namespaces/default/serviceaccounts/%s/token", sa);
    assert_int_equal(kcl_call(&cl, "POST", p,
                              "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
                              "\"TokenRequest\",\"spec\":{\"expirationSeconds\":3600}}",
                              &r),
                     201);
    j = parse_body(&r);
    const char *tok = json_string_value(json_object_get(json_object_get(j, "status"), "token"));
    assert_non_null(tok);
    /* Written beside and renamed over, as the kubelet swaps projected tokens. */
    char tmpfile[300];
    snprintf(tmpfile, sizeof(tmpfile), "%s.new", path);
    assert_int_equal(tu_write_file(tmpfile, tok, (size_t)-1), 0);
    assert_int_equal(rename(tmpfile, path), 0);
    json_decref(j);
    kube_response_done(&r);
}

/* Who the API server thinks the client is: the 403 for reading secrets names the user. */
static void expect_user(struct kube_client *kc, const char *sa)
{
    struct kube_response r;
    char want[128];

    assert_int_equal(kube_client_request(kc, "GET", "/api/v1/namespaces/kube-system/secrets", NULL,
                                         NULL, 5000, 0, &r, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(r.status, 403);
    snprintf(want, sizeof(want), "User \\\"system:serviceaccount:default:%s\\\"", sa);
    if (!strstr(r.body, want)) fprintf(stderr, "403 body: %s\n", r.body);
    assert_non_null(strstr(r.body, want));
    kube_response_done(&r);
}

static void test_token_user_and_rotation(void **state)
{
    struct kube_config cfg, tok = {0};
    struct kube_client *kc;
    char path[300];

    (void)state;
    snprintf(path, sizeof(path), "%s/token", tmp);
    sa_token_to_file("kc-test-a", path);
    admin_config(&cfg);
    /* Token user: the CA, no client certificate, token read from the file. */
    tok.server = cfg.server;
    tok.ca_pem = cfg.ca_pem;
    tok.ca_pem_len = cfg.ca_pem_len;
    tok.token_file = path;
    tok.token = read_all(path, &(size_t){0});
    kc = kube_client_new(&tok, errbuf, sizeof(errbuf));
    assert_non_null(kc);
    free(tok.token);
    kube_config_done(&cfg); /* the client keeps copies */

    expect_user(kc, "kc-test-a");
    sa_token_to_file("kc-test-b", path);
    expect_user(kc, "kc-test-b");
    /* A file that cannot be read keeps the last good token. */
    assert_int_equal(unlink(path), 0);
    expect_user(kc, "kc-test-b");
    sa_token_to_file("kc-test-a", path);
    expect_user(kc, "kc-test-a");
    kube_client_free(kc);
}

static void test_wrong_ca_is_eproto(void **state)
{
    struct kube_config cfg;
    struct kube_client *kc;
    struct kube_response r;
    char path[PATH_MAX + 32];
    size_t len;

    (void)state;
    admin_config(&cfg);
    free(cfg.ca_pem);
    /* A real CA, just not the one that signed the API server's certificate. */
    snprintf(path, sizeof(path), "%s/front-proxy-ca.crt", cl.pki);
    cfg.ca_pem = read_all(path, &len);
    cfg.ca_pem_len = len;
    kc = kube_client_new(&cfg, errbuf, sizeof(errbuf));
    assert_non_null(kc);
    assert_int_equal(
        kube_client_request(kc, "GET", "/version", NULL, NULL, 5000, 0, &r, errbuf, sizeof(errbuf)),
        -EPROTO);
    assert_null(r.body);
    assert_non_null(strstr(errbuf, "GET /version: "));
    kube_client_free(kc);
    kube_config_done(&cfg);
}

static void test_tls_server_name(void **state)
{
    struct kube_config cfg;
    struct kube_client *kc;
    struct kube_response r;

    (void)state;
    /* The certificate names localhost and 127.0.0.1: verifying as "localhost" works ... */
    admin_config(&cfg);
    cfg.tls_server_name = strdup("localhost");
    kc = kube_client_new(&cfg, errbuf, sizeof(errbuf));
    assert_non_null(kc);
    assert_int_equal(
        kube_client_request(kc, "GET", "/version", NULL, NULL, 5000, 0, &r, errbuf, sizeof(errbuf)),
        0);
    assert_int_equal(r.status, 200);
    kube_response_done(&r);
    kube_client_free(kc);
    /* ... as a name it does not carry fails verification, though the address is the same. */
    free(cfg.tls_server_name);
    cfg.tls_server_name = strdup("kubernetes.example");
    kc = kube_client_new(&cfg, errbuf, sizeof(errbuf));
    assert_non_null(kc);
    assert_int_equal(
        kube_client_request(kc, "GET", "/version", NULL, NULL, 5000, 0, &r, errbuf, sizeof(errbuf)),
        -EPROTO);
    kube_client_free(kc);
    kube_config_done(&cfg);
}

static int count_line(void *arg, const char *line, size_t len)
{
    (void)line;
    (void)len;
    ++*(int *)arg;
    return 0;
}

static void test_nothing_listening(void **state)
{
    int lines = 0;
    struct kube_config cfg;
    struct kube_client *kc;
    struct kube_response r;
    long st;

    (void)state;
    admin_config(&cfg);
    free(cfg.server);
    cfg.server = strdup("https://127.0.0.1:1"); /* privileged, and nobody listens there */
    kc = kube_client_new(&cfg, errbuf, sizeof(errbuf));
    assert_non_null(kc);
    assert_int_equal(
        kube_client_request(kc, "GET", "/version", NULL, NULL, 5000, 0, &r, errbuf, sizeof(errbuf)),
        -ECONNREFUSED);
    assert_int_equal(kube_client_stream(kc, "/api/v1/namespaces?watch=1", NULL, 5000, 1 << 20,
                                        count_line, &lines, NULL, &st, errbuf, sizeof(errbuf)),
                     -ECONNREFUSED);
    assert_int_equal(lines, 0);
    kube_client_free(kc);
    kube_config_done(&cfg);
}

static void test_max_body(void **state)
{
    struct kube_response r;

    (void)state;
    /* With a Content-Length ... */
    assert_int_equal(kube_client_request(cl.admin, "GET", "/openapi/v2", NULL, NULL, 10000, 4096,
                                         &r, errbuf, sizeof(errbuf)),
                     -EFBIG);
    assert_null(r.body);
    /* ... and chunked (a list is streamed without one). */
    assert_int_equal(kube_client_request(cl.admin, "GET", "/api/v1/namespaces", NULL, NULL, 10000,
                                         200, &r, errbuf, sizeof(errbuf)),
                     -EFBIG);
    /* Exactly at the limit is fine. */
    assert_int_equal(kube_client_request(cl.admin, "GET", "/version", NULL, NULL, 5000, 0, &r,
                                         errbuf, sizeof(errbuf)),
                     0);
    size_t exact = r.len;
    kube_response_done(&r);
    assert_int_equal(kube_client_request(cl.admin, "GET", "/version", NULL, NULL, 5000, exact, &r,
                                         errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(r.len, exact);
    kube_response_done(&r);
}

static void test_request_timeout(void **state)
{
    struct kube_response r;
    double t0 = tu_mono_s();

    (void)state;
    /* A watch never ends by itself: the request's limit does. */
    assert_int_equal(kube_client_request(cl.admin, "GET", "/api/v1/namespaces?watch=1", NULL, NULL,
                                         300, 0, &r, errbuf, sizeof(errbuf)),
                     -ETIMEDOUT);
    assert_true(tu_mono_s() - t0 < 3.0);
}

static volatile bool cancel_flag;

static void *raise_flag_later(void *arg)
{
    (void)arg;
    usleep(300000);
    cancel_flag = true;
    return NULL;
}

static void test_request_stop_flag(void **state)
{
    struct kube_response r;
    pthread_t t;
    double t0 = tu_mono_s();

    (void)state;
    /* A request that would run for its whole 30 s limit ends when the flag goes up. */
    pthread_create(&t, NULL, raise_flag_later, NULL);
    assert_int_equal(kube_client_request_stop(cl.admin, "GET", "/api/v1/namespaces?watch=1", NULL,
                                              NULL, 30000, 0, &cancel_flag, &r, errbuf,
                                              sizeof(errbuf)),
                     -ECANCELED);
    pthread_join(t, NULL);
    assert_true(tu_mono_s() - t0 < 1.0);
    assert_null(r.body);
    assert_non_null(strstr(errbuf, "stopped"));
}

/* --- streams ------------------------------------------------------------------------------ */

struct watch_ctx {
    const char *want; /* namespace name to wait for */
    int lines;
    int bad_lines;
    bool seen;
    long opened;
    struct kube_client *kc;
    const char *path;
    long idle_ms;
    size_t max_line;
    volatile bool stop;
    long status;
    int rc;
    double ended;
    char err[512];
};

static int on_ns_line(void *arg, const char *line, size_t len)
{
    struct watch_ctx *w = arg;
    json_t *j = json_loadb(line, len, 0, NULL);
    const char *type, *name;

    w->lines++;
    if (!j || line[len] != '\0' || memchr(line, '\n', len)) {
        w->bad_lines++;
        json_decref(j);
        return 0;
    }
    type = json_string_value(json_object_get(j, "type"));
    name = json_string_value(
        json_object_get(json_object_get(json_object_get(j, "object"), "metadata"), "name"));
    if (type && strcmp(type, "ADDED") == 0 && name && w->want && strcmp(name, w->want) == 0)
        w->seen = true;
    json_decref(j);
    return w->seen ? 7 : 0;
}

static void on_open(void *arg, long status)
{
    ((struct watch_ctx *)arg)->opened = status;
}

static void *watch_thread(void *arg)
{
    struct watch_ctx *w = arg;
    w->rc = kube_client_stream_open(w->kc, w->path, NULL, w->idle_ms, w->max_line, on_open,
                                    on_ns_line, w, &w->stop, &w->status, w->err, sizeof(w->err));
    w->ended = tu_mono_s();
    return NULL;
}

/* resourceVersion of the namespace list now, so a watch starts after what exists. */
static void list_rv(char *rv, size_t n)
{
    struct kube_response r;
    json_t *j;

    assert_int_equal(kcl_call(&cl, "GET", "/api/v1/namespaces?limit=1", NULL, &r), 200);
    j = parse_body(&r);
    snprintf(rv, n, "%s",
             json_string_value(json_object_get(json_object_get(j, "metadata"), "resourceVersion")));
    json_decref(j);
    kube_response_done(&r);
}

static void test_watch_sees_new_namespace(void **state)
{
    struct watch_ctx w = {.kc = cl.admin, .idle_ms = 20000, .max_line = 1 << 20};
    char rv[64], path[128], name[64], body[128];
    pthread_t t;

    (void)state;
    snprintf(name, sizeof(name), "kc-watch-%ld", (long)time(NULL));
    list_rv(rv, sizeof(rv));
    snprintf(path, sizeof(path), "/api/v1/namespaces?watch=1&resourceVersion=%s", rv);
    w.path = path;
    w.want = name;
    pthread_create(&t, NULL, watch_thread, &w);
    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"}}", name);
    assert_int_equal(kcl_call(&cl, "POST", "/api/v1/namespaces", body, NULL), 201);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, 7); /* on_line's own value: it stopped the stream */
    assert_true(w.seen);
    assert_int_equal(w.opened, 200);
    assert_int_equal(w.status, 200);
    assert_int_equal(w.bad_lines, 0);
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", name);
    assert_int_equal(kcl_call(&cl, "DELETE", path, NULL, NULL), 200);
}

static void test_stream_stop_flag_is_prompt(void **state)
{
    struct watch_ctx w = {.kc = cl.admin,
                          .path = "/api/v1/namespaces?watch=1",
                          .idle_ms = 60000,
                          .max_line = 1 << 20};
    pthread_t t;
    double t0;

    (void)state;
    pthread_create(&t, NULL, watch_thread, &w);
    for (int i = 0; i < 100 && w.lines == 0; i++)
        usleep(50000); /* the initial ADDED events: the stream is open */
    assert_true(w.lines > 0);
    t0 = tu_mono_s();
    w.stop = true;
    pthread_join(t, NULL);
    assert_int_equal(w.rc, -ECANCELED);
    assert_true(w.ended - t0 < 0.6);
}

static void test_stream_idle_timeout(void **state)
{
    struct watch_ctx w = {.kc = cl.admin, .idle_ms = 700, .max_line = 1 << 20};
    char rv[64], path[160];
    double t0 = tu_mono_s();

    (void)state;
    /* Nothing happens in this namespace: the stream stays silent. */
    list_rv(rv, sizeof(rv));
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/kc-quiet/configmaps?watch=1&resourceVersion=%s", rv);
    w.path = path;
    watch_thread(&w);
    assert_int_equal(w.rc, -ETIMEDOUT);
    assert_int_equal(w.opened, 200);
    assert_true(w.ended - t0 >= 0.6 && w.ended - t0 < 3.0);
    assert_non_null(strstr(w.err, "nothing received"));
}

static void test_stream_line_too_long(void **state)
{
    struct watch_ctx w = {
        .kc = cl.admin, .path = "/api/v1/namespaces?watch=1", .idle_ms = 5000, .max_line = 64};

    (void)state;
    watch_thread(&w);
    assert_int_equal(w.rc, -EFBIG);
    assert_int_equal(w.lines, 0);
}

static void test_stream_error_status(void **state)
{
    struct watch_ctx w = {.kc = cl.admin,
                          .path = "/api/v1/nosuchresource?watch=1",
                          .idle_ms = 5000,
                          .max_line = 1 << 20};

    (void)state;
    watch_thread(&w);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.status, 404);
    assert_int_equal(w.lines, 0);
    assert_non_null(strstr(w.err, "HTTP 404"));
    assert_null(strchr(w.err, '\n'));
}

/* --- many threads on one client ------------------------------------------------------------ */

static int thread_failures;

static void *hammer(void *arg)
{
    char err[256];
    (void)arg;
    for (int i = 0; i < 25; i++) {
        struct kube_response r;
        int rc = kube_client_request(cl.admin, "GET", i % 2 ? "/version" : "/api/v1/namespaces",
                                     NULL, NULL, 10000, 1 << 20, &r, err, sizeof(err));
        if (rc || r.status != 200 || r.len == 0) __atomic_add_fetch(&thread_failures, 1, 0);
        kube_response_done(&r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t t[12];

    (void)state;
    for (size_t i = 0; i < 12; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (size_t i = 0; i < 12; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(thread_failures, 0);
}

static void test_bad_arguments(void **state)
{
    struct kube_config cfg = {0};
    struct kube_response r;

    (void)state;
    assert_null(kube_client_new(&cfg, errbuf, sizeof(errbuf)));
    cfg.server = "not a url at all";
    assert_null(kube_client_new(&cfg, errbuf, sizeof(errbuf)));
    assert_int_equal(kube_client_request(cl.admin, "GET", "version", NULL, NULL, 0, 0, &r, errbuf,
                                         sizeof(errbuf)),
                     -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_namespaces),
        cmocka_unit_test(test_requests_keep_one_http11_connection),
        cmocka_unit_test(test_token_user_and_rotation),
        cmocka_unit_test(test_wrong_ca_is_eproto),
        cmocka_unit_test(test_tls_server_name),
        cmocka_unit_test(test_nothing_listening),
        cmocka_unit_test(test_max_body),
        cmocka_unit_test(test_request_timeout),
        cmocka_unit_test(test_request_stop_flag),
        cmocka_unit_test(test_watch_sees_new_namespace),
        cmocka_unit_test(test_stream_stop_flag_is_prompt),
        cmocka_unit_test(test_stream_idle_timeout),
        cmocka_unit_test(test_stream_line_too_long),
        cmocka_unit_test(test_stream_error_status),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
