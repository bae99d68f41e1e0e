/* Unit tests for api/router.c: every route under both API versions, trailing slashes, names
 * that Kubernetes would reject, malformed paths. Every path is handed to the router in an
 * exact-size heap buffer without a terminating NUL, so AddressSanitizer catches any read past
 * len; returned name pointers are checked to point into that buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

#define G "/apis/metrics.k8s.io"

static const char *const VERSIONS[] = {"v1beta1", "v1"};

struct want {
    enum route_kind kind;
    enum api_version version;
    const char *ns;     /* NULL: none */
    const char *name;   /* NULL: none */
    const char *check;  /* NULL: none */
    const char *metric; /* NULL: none */
    bool all;
};

static void expect_field(const char *path, const char *what, const char *buf, size_t len,
                         const char *got, size_t got_len, const char *want)
{
    if (!want) {
        if (got || got_len) fail_msg("%s: %s set, want none", path, what);
        return;
    }
    if (!got) fail_msg("%s: no %s, want \"%s\"", path, what, want);
    if (got < buf || got + got_len > buf + len) fail_msg("%s: %s points outside", path, what);
    if (got_len != strlen(want) || memcmp(got, want, got_len) != 0)
        fail_msg("%s: %s \"%.*s\", want \"%s\"", path, what, (int)got_len, got, want);
}

static void check_len(const char *path, size_t len, struct want w)
{
    char *buf = malloc(len ? len : 1);
    struct route r;

    assert_non_null(buf);
    memcpy(buf, path, len);
    memset(&r, 0xa5, sizeof(r)); /* garbage the router must overwrite */
    route_path(buf, len, &r);
    if (r.kind != w.kind) fail_msg("'%.*s': kind %d, want %d", (int)len, path, r.kind, w.kind);
    if (r.version != w.version)
        fail_msg("'%.*s': version %d, want %d", (int)len, path, r.version, w.version);
    expect_field(path, "ns", buf, len, r.ns, r.ns_len, w.ns);
    expect_field(path, "name", buf, len, r.name, r.name_len, w.name);
    expect_field(path, "check", buf, len, r.check, r.check_len, w.check);
    expect_field(path, "metric", buf, len, r.metric, r.metric_len, w.metric);
    if (r.all != w.all) fail_msg("'%.*s': all %d, want %d", (int)len, path, r.all, w.all);
    free(buf);
}

static void check(const char *path, struct want w)
{
    check_len(path, strlen(path), w);
}

/* Both with and without one trailing '/'. */
static void check2(const char *path, struct want w)
{
    char buf[1024];

    check(path, w);
    snprintf(buf, sizeof(buf), "%s/", path);
    check(buf, w);
}

static void kind_only(const char *path, enum route_kind k)
{
    check(path, (struct want){.kind = k});
}

static char *repeat(char c, size_t n, const char *head, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);
    char *s = malloc(h + n + t + 1);

    assert_non_null(s);
    memcpy(s, head, h);
    memset(s + h, c, n);
    memcpy(s + h + n, tail, t + 1);
    return s;
}

/* ---- routes ----------------------------------------------------------------------------- */

static void test_discovery(void **state)
{
    (void)state;
    check2("/api", (struct want){.kind = ROUTE_API});
    check2("/api/v1", (struct want){.kind = ROUTE_API_V1});
    check2("/apis", (struct want){.kind = ROUTE_APIS});
    check2(G, (struct want){.kind = ROUTE_GROUP});
    check2(G "/v1beta1", (struct want){.kind = ROUTE_GROUP_VERSION, .version = API_V1BETA1});
    check2(G "/v1", (struct want){.kind = ROUTE_GROUP_VERSION, .version = API_V1});
}

/* The core minimum standalone mode serves for kubectl top; nothing else under /api/v1. */
static void test_core_minimum(void **state)
{
    (void)state;
    check2("/api/v1/nodes", (struct want){.kind = ROUTE_CORE_NODES});
    check2("/api/v1/nodes/node-1", (struct want){.kind = ROUTE_CORE_NODE, .name = "node-1"});
    check2("/api/v1/pods", (struct want){.kind = ROUTE_CORE_PODS_ALL});
    check2("/api/v1/namespaces/default/pods",
           (struct want){.kind = ROUTE_CORE_PODS_NAMESPACE, .ns = "default"});
    check2("/api/v1/namespaces/default/pods/web-0", (struct want){.kind = ROUTE_NOT_FOUND});
    check2("/api/v1/services", (struct want){.kind = ROUTE_NOT_FOUND});
    check2("/api/v2/nodes", (struct want){.kind = ROUTE_NOT_FOUND});
    check2("/api/v1/nodes/Bad_Name", (struct want){.kind = ROUTE_BAD_REQUEST});
    check2("/api/v1/namespaces/Bad_NS/pods", (struct want){.kind = ROUTE_BAD_REQUEST});
}

static void test_resources_both_versions(void **state)
{
    char p[256];

    (void)state;
    for (enum api_version v = API_V1BETA1; v <= API_V1; v++) {
        const char *ver = VERSIONS[v];

        snprintf(p, sizeof(p), G "/%s/nodes", ver);
        check2(p, (struct want){.kind = ROUTE_NODES, .version = v});
        snprintf(p, sizeof(p), G "/%s/nodes/node-1", ver);
        check2(p, (struct want){.kind = ROUTE_NODE, .version = v, .name = "node-1"});
        snprintf(p, sizeof(p), G "/%s/nodes/ip-10-0-0-1.ec2.internal", ver);
        check2(p,
               (struct want){.kind = ROUTE_NODE, .version = v, .name = "ip-10-0-0-1.ec2.internal"});
        snprintf(p, sizeof(p), G "/%s/pods", ver);
        check2(p, (struct want){.kind = ROUTE_PODS_ALL, .version = v});
        snprintf(p, sizeof(p), G "/%s/namespaces/kube-system/pods", ver);
        check2(p, (struct want){.kind = ROUTE_PODS_NAMESPACE, .version = v, .ns = "kube-system"});
        snprintf(p, sizeof(p), G "/%s/namespaces/default/pods/web-5d9c8b7f6-x2x4z", ver);
        check2(p, (struct want){.kind = ROUTE_POD,
                                .version = v,
                                .ns = "default",
                                .name = "web-5d9c8b7f6-x2x4z"});
        snprintf(p, sizeof(p), G "/%s/namespaces/a/pods/b", ver);
        check2(p, (struct want){.kind = ROUTE_POD, .version = v, .ns = "a", .name = "b"});
        snprintf(p, sizeof(p), G "/%s/namespaces/0/pods/a.b.c", ver);
        check2(p, (struct want){.kind = ROUTE_POD, .version = v, .ns = "0", .name = "a.b.c"});
        /* Resource names that are also route words are just names. */
        snprintf(p, sizeof(p), G "/%s/namespaces/pods/pods/nodes", ver);
        check2(p, (struct want){.kind = ROUTE_POD, .version = v, .ns = "pods", .name = "nodes"});
        snprintf(p, sizeof(p), G "/%s/nodes/pods", ver);
        check2(p, (struct want){.kind = ROUTE_NODE, .version = v, .name = "pods"});
        snprintf(p, sizeof(p), "/openapi/v3/apis/metrics.k8s.io/%s", ver);
        check2(p, (struct want){.kind = ROUTE_OPENAPI_V3_GROUP, .version = v});
    }
}

static void test_openapi_health_misc(void **state)
{
    (void)state;
    check2("/openapi/v2", (struct want){.kind = ROUTE_OPENAPI_V2});
    check2("/openapi/v3", (struct want){.kind = ROUTE_OPENAPI_V3});
    check2("/livez", (struct want){.kind = ROUTE_LIVEZ});
    check2("/readyz", (struct want){.kind = ROUTE_READYZ});
    check2("/healthz", (struct want){.kind = ROUTE_HEALTHZ});
    check2("/livez/ping", (struct want){.kind = ROUTE_LIVEZ, .check = "ping"});
    check2("/readyz/informer-sync", (struct want){.kind = ROUTE_READYZ, .check = "informer-sync"});
    check2("/healthz/log", (struct want){.kind = ROUTE_HEALTHZ, .check = "log"});
    check2("/healthz/0", (struct want){.kind = ROUTE_HEALTHZ, .check = "0"});
    check2("/livez/-", (struct want){.kind = ROUTE_LIVEZ, .check = "-"});
    check2("/metrics", (struct want){.kind = ROUTE_METRICS});
    check2("/ship", (struct want){.kind = ROUTE_SHIP});

    char *c63 = repeat('c', 63, "/livez/", "");
    char *c64 = repeat('c', 64, "/livez/", "");

    check(c63, (struct want){.kind = ROUTE_LIVEZ, .check = c63 + 7});
    kind_only(c64, ROUTE_BAD_REQUEST);
    free(c63);
    free(c64);
    kind_only("/livez/Ping", ROUTE_BAD_REQUEST);
    kind_only("/livez/ping_x", ROUTE_BAD_REQUEST);
    kind_only("/readyz/a.b", ROUTE_BAD_REQUEST);
    kind_only("/healthz/ping/extra", ROUTE_NOT_FOUND);
    kind_only("/livez/poststarthook/x", ROUTE_NOT_FOUND);
    kind_only("/metrics/x", ROUTE_NOT_FOUND);
    kind_only("/ship/x", ROUTE_NOT_FOUND);
    kind_only("/openapi", ROUTE_NOT_FOUND);
    kind_only("/openapi/v1", ROUTE_NOT_FOUND);
    kind_only("/openapi/v2/x", ROUTE_NOT_FOUND);
    kind_only("/openapi/v3/apis", ROUTE_NOT_FOUND);
    kind_only("/openapi/v3/apis/metrics.k8s.io", ROUTE_NOT_FOUND);
    kind_only("/openapi/v3/apis/metrics.k8s.io/v2", ROUTE_NOT_FOUND);
    kind_only("/openapi/v3/apis/other.k8s.io/v1", ROUTE_NOT_FOUND);
    kind_only("/openapi/v3/api/metrics.k8s.io/v1", ROUTE_NOT_FOUND);
    kind_only("/openapi/v3/apis/metrics.k8s.io/v1/x", ROUTE_NOT_FOUND);
}

static void test_unknown(void **state)
{
    (void)state;
    kind_only("/", ROUTE_NOT_FOUND);
    kind_only("/x", ROUTE_NOT_FOUND);
    kind_only("/API", ROUTE_NOT_FOUND);
    kind_only("/api/v2", ROUTE_NOT_FOUND);
    kind_only("/api/v1/configmaps", ROUTE_NOT_FOUND); /* the core minimum: test_core_minimum */
    kind_only("/apis/metrics.k8s.io.evil", ROUTE_NOT_FOUND);
    kind_only("/apis/custom.metrics.k8s.io.evil/v1beta1", ROUTE_NOT_FOUND);
    kind_only("/apis/apps/v1", ROUTE_NOT_FOUND);
    kind_only(G "/v2", ROUTE_NOT_FOUND);
    kind_only(G "/v1beta2/nodes", ROUTE_NOT_FOUND);
    kind_only(G "/V1/nodes", ROUTE_NOT_FOUND);
    kind_only(G "/v1/services", ROUTE_NOT_FOUND);
    kind_only(G "/v1/Nodes", ROUTE_NOT_FOUND);
    kind_only(G "/v1/nodes/a/b", ROUTE_NOT_FOUND);
    kind_only(G "/v1/pods/a", ROUTE_NOT_FOUND);
    kind_only(G "/v1/namespaces", ROUTE_NOT_FOUND);
    kind_only(G "/v1beta1/namespaces/default", ROUTE_NOT_FOUND);
    kind_only(G "/v1beta1/namespaces/default/", ROUTE_NOT_FOUND);
    kind_only(G "/v1/namespaces/default/nodes", ROUTE_NOT_FOUND);
    kind_only(G "/v1/namespaces/default/pods/a/b", ROUTE_NOT_FOUND);
    kind_only(G "/v1/namespaces/default/pods/a/b/c/d/e/f/g", ROUTE_NOT_FOUND);
    /* Unknown shapes are 404 even when they hold names no route would accept. */
    kind_only(G "/v1/namespaces/BAD", ROUTE_NOT_FOUND);
    kind_only(G "/v9/nodes/BAD", ROUTE_NOT_FOUND);
}

/* ---- custom.metrics.k8s.io ------------------------------------------------------------- */

#define CG "/apis/custom.metrics.k8s.io"

static void test_custom_metrics(void **state)
{
    static const char *const all[] = {"*", "%2A", "%2a"};
    char p[512];

    (void)state;
    check2(CG, (struct want){.kind = ROUTE_CUSTOM_GROUP});
    check2(CG "/v1beta1",
           (struct want){.kind = ROUTE_CUSTOM_GROUP_VERSION, .version = API_V1BETA1});
    check2(CG "/v1beta2",
           (struct want){.kind = ROUTE_CUSTOM_GROUP_VERSION, .version = API_V1BETA2});
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        snprintf(p, sizeof(p), CG "/v1beta2/namespaces/default/pods/%s/network_rx", all[i]);
        check2(p, (struct want){.kind = ROUTE_CUSTOM_POD_METRIC,
                                .version = API_V1BETA2,
                                .ns = "default",
                                .metric = "network_rx",
                                .all = true});
    }
    check2(CG "/v1beta1/namespaces/default/pods/web-0.x/a_b:c.d-E9",
           (struct want){.kind = ROUTE_CUSTOM_POD_METRIC,
                         .version = API_V1BETA1,
                         .ns = "default",
                         .name = "web-0.x",
                         .metric = "a_b:c.d-E9"});
    check2(CG "/v1beta2/namespaces/team-a/metrics/oom_kills",
           (struct want){.kind = ROUTE_CUSTOM_NAMESPACE_METRIC,
                         .version = API_V1BETA2,
                         .ns = "team-a",
                         .metric = "oom_kills"});
    /* Bad names in known shapes: 400. An escape other than a whole "%2A": 400 anywhere. */
    kind_only(CG "/v1beta2/namespaces/Team/pods/%2A/m", ROUTE_BAD_REQUEST);
    kind_only(CG "/v1beta2/namespaces/default/pods/Web/m", ROUTE_BAD_REQUEST);
    kind_only(CG "/v1beta2/namespaces/default/pods/%2A/m%20x", ROUTE_BAD_REQUEST);
    kind_only(CG "/v1beta2/namespaces/default/pods/%2A/m x", ROUTE_BAD_REQUEST);
    kind_only(CG "/v1beta2/namespaces/default/pods/%2F/m", ROUTE_BAD_REQUEST);
    kind_only(CG "/v1beta2/namespaces/default/pods/%2Ax/m", ROUTE_BAD_REQUEST);
    kind_only(CG "/v1beta2/namespaces/default/pods/x%2A/m", ROUTE_BAD_REQUEST);
    kind_only(CG "/v1beta2/namespaces/default/pods/%2/m", ROUTE_BAD_REQUEST);
    kind_only(G "/v1beta1/namespaces/default/pods/%2A", ROUTE_BAD_REQUEST); /* not a name */
    kind_only(CG "/v1beta2/namespaces/default/metrics/%2A", ROUTE_BAD_REQUEST);
    {
        char *longm = repeat('m', 254, CG "/v1beta2/namespaces/default/metrics/", "");
        char *okm = repeat('m', 253, CG "/v1beta2/namespaces/default/metrics/", "");
        struct route r;
        kind_only(longm, ROUTE_BAD_REQUEST);
        route_path(okm, strlen(okm), &r);
        assert_int_equal(r.kind, ROUTE_CUSTOM_NAMESPACE_METRIC);
        assert_int_equal(r.metric_len, 253);
        free(longm);
        free(okm);
    }
    /* Unknown shapes and versions: 404. */
    kind_only(CG "/v1/namespaces/default/pods/%2A/m", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta3", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta2/pods/%2A/m", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta2/namespaces/default/pods/%2A", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta2/namespaces/default/pods/a", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta2/namespaces/default/services/a/m", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta2/namespaces/default/pods/a/m/x", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta2/namespaces/default/metrics", ROUTE_NOT_FOUND);
    kind_only(CG "/v1beta2/namespaces/default/pods/a/m/x/y/z", ROUTE_NOT_FOUND);
    kind_only(G "/v1beta2/namespaces/default/pods/a/m", ROUTE_NOT_FOUND);
    assert_string_equal(custom_api_version_string(API_V1BETA2), "custom.metrics.k8s.io/v1beta2");
    assert_string_equal(custom_api_version_string(API_V1BETA1), "custom.metrics.k8s.io/v1beta1");
    assert_null(custom_api_version_string(API_V1));
    assert_string_equal(api_version_short(API_V1BETA2), "v1beta2");
    assert_null(api_version_string(API_V1BETA2));
}

/* ---- bad names -------------------------------------------------------------------------- */

static void test_bad_names(void **state)
{
    static const char *const bad_ns[] = {
        "Default", "kube_system", "-a", "a-", "a.b", "", "a b", "\xc3\xa9", "a\tb",
    };
    static const char *const bad_name[] = {
        "Web", "web_1", "-web", "web-", ".web", "web.", "a..b", "a.-b", "a-.b", "a/b", "a b",
    };
    char p[512];

    (void)state;
    for (enum api_version v = API_V1BETA1; v <= API_V1; v++) {
        for (size_t i = 0; i < sizeof(bad_ns) / sizeof(bad_ns[0]); i++) {
            if (!bad_ns[i][0]) continue; /* an empty segment: see test_malformed */
            snprintf(p, sizeof(p), G "/%s/namespaces/%s/pods", VERSIONS[v], bad_ns[i]);
            kind_only(p, ROUTE_BAD_REQUEST);
            snprintf(p, sizeof(p), G "/%s/namespaces/%s/pods/web", VERSIONS[v], bad_ns[i]);
            kind_only(p, ROUTE_BAD_REQUEST);
        }
        for (size_t i = 0; i < sizeof(bad_name) / sizeof(bad_name[0]); i++) {
            bool has_slash = strchr(bad_name[i], '/') != NULL;

            snprintf(p, sizeof(p), G "/%s/namespaces/default/pods/%s", VERSIONS[v], bad_name[i]);
            kind_only(p, has_slash ? ROUTE_NOT_FOUND : ROUTE_BAD_REQUEST);
            snprintf(p, sizeof(p), G "/%s/nodes/%s", VERSIONS[v], bad_name[i]);
            kind_only(p, has_slash ? ROUTE_NOT_FOUND : ROUTE_BAD_REQUEST);
        }
        /* ".." and "." are rejected as segments wherever they are. */
        snprintf(p, sizeof(p), G "/%s/namespaces/../pods", VERSIONS[v]);
        kind_only(p, ROUTE_BAD_REQUEST);
        snprintf(p, sizeof(p), G "/%s/nodes/..", VERSIONS[v]);
        kind_only(p, ROUTE_BAD_REQUEST);
        snprintf(p, sizeof(p), G "/%s/nodes/.", VERSIONS[v]);
        kind_only(p, ROUTE_BAD_REQUEST);
        snprintf(p, sizeof(p), G "/%s/namespaces/default/pods/...", VERSIONS[v]);
        kind_only(p, ROUTE_BAD_REQUEST); /* "..." is a segment, but no DNS subdomain */
    }
}

static void test_name_lengths(void **state)
{
    char *p;
    char label63[64], sub253[254];

    (void)state;
    memset(label63, 'n', 63);
    label63[63] = '\0';
    /* 253 = 3 labels of 63 and one of 61, dot-separated. */
    snprintf(sub253, sizeof(sub253), "%s.%s.%s.%.61s", label63, label63, label63, label63);
    assert_int_equal(strlen(sub253), 253);

    p = repeat('n', 63, G "/v1/namespaces/", "/pods");
    check(p, (struct want){.kind = ROUTE_PODS_NAMESPACE, .version = API_V1, .ns = label63});
    free(p);
    p = repeat('n', 64, G "/v1/namespaces/", "/pods");
    kind_only(p, ROUTE_BAD_REQUEST);
    free(p);
    p = repeat('n', 64, G "/v1beta1/namespaces/", "/pods/x");
    kind_only(p, ROUTE_BAD_REQUEST);
    free(p);

    char path[600];

    snprintf(path, sizeof(path), G "/v1/namespaces/default/pods/%s", sub253);
    check(path,
          (struct want){.kind = ROUTE_POD, .version = API_V1, .ns = "default", .name = sub253});
    snprintf(path, sizeof(path), G "/v1/nodes/%s", sub253);
    check(path, (struct want){.kind = ROUTE_NODE, .version = API_V1, .name = sub253});
    snprintf(path, sizeof(path), G "/v1/namespaces/default/pods/%sn", sub253);
    kind_only(path, ROUTE_BAD_REQUEST);
    p = repeat('p', 254, G "/v1beta1/namespaces/default/pods/", "");
    kind_only(p, ROUTE_BAD_REQUEST);
    free(p);
    p = repeat('p', 253, G "/v1beta1/namespaces/default/pods/", "");
    check(p, (struct want){.kind = ROUTE_POD,
                           .version = API_V1BETA1,
                           .ns = "default",
                           .name = p + strlen(p) - 253});
    free(p);
    p = repeat('p', 254, G "/v1/nodes/", "");
    kind_only(p, ROUTE_BAD_REQUEST);
    free(p);
}

/* ---- malformed paths -------------------------------------------------------------------- */

static void test_malformed(void **state)
{
    (void)state;
    kind_only("//", ROUTE_BAD_REQUEST);
    kind_only("//api", ROUTE_BAD_REQUEST);
    kind_only("/api//", ROUTE_BAD_REQUEST); /* only one trailing '/' */
    kind_only("/apis//metrics.k8s.io", ROUTE_BAD_REQUEST);
    kind_only(G "/v1/namespaces//pods", ROUTE_BAD_REQUEST);
    kind_only(G "/v1/nodes//", ROUTE_BAD_REQUEST);
    kind_only("/x//y", ROUTE_BAD_REQUEST); /* malformed even where nothing is routed */
    kind_only("/./api", ROUTE_BAD_REQUEST);
    kind_only("/api/.", ROUTE_BAD_REQUEST);
    kind_only("/apis/../api", ROUTE_BAD_REQUEST);
    kind_only("/apis/..", ROUTE_BAD_REQUEST);
    kind_only("/..", ROUTE_BAD_REQUEST);
    kind_only("/../", ROUTE_BAD_REQUEST);
    kind_only(G "/v1/namespaces/default%2Fpods/pods", ROUTE_BAD_REQUEST);
    kind_only(G "/v1/nodes/node%2F1", ROUTE_BAD_REQUEST);
    kind_only(G "/v1/nodes/%6eode", ROUTE_BAD_REQUEST);
    kind_only("/%61pi", ROUTE_BAD_REQUEST);
    kind_only("/x/%", ROUTE_BAD_REQUEST);
    kind_only("", ROUTE_BAD_REQUEST);
    kind_only("api", ROUTE_BAD_REQUEST);
    kind_only("apis/metrics.k8s.io/v1/nodes", ROUTE_BAD_REQUEST);
    kind_only("*", ROUTE_BAD_REQUEST);
    check_len("/api\0", 5, (struct want){.kind = ROUTE_BAD_REQUEST});
    check_len("/\0", 2, (struct want){.kind = ROUTE_BAD_REQUEST});
    check_len("\0/api", 5, (struct want){.kind = ROUTE_BAD_REQUEST});
    check_len(G "/v1/nodes/a\0b", sizeof(G "/v1/nodes/a\0b") - 1,
              (struct want){.kind = ROUTE_BAD_REQUEST});
    check_len(G "/v1/nodes/a\0", sizeof(G "/v1/nodes/a\0") - 1,
              (struct want){.kind = ROUTE_BAD_REQUEST});
    /* len bounds the path: what follows it is not read. */
    check_len("/apis/metrics.k8s.io/v1/nodes", 5, (struct want){.kind = ROUTE_APIS});
    check_len("/api/v1", 4, (struct want){.kind = ROUTE_API});

    struct route r;

    route_path(NULL, 0, &r);
    assert_int_equal(r.kind, ROUTE_BAD_REQUEST);
    route_path(NULL, 5, &r);
    assert_int_equal(r.kind, ROUTE_BAD_REQUEST);
    route_path("/api", 4, NULL); /* must not crash */
}

static void test_long_paths(void **state)
{
    const size_t n = 64 * 1024;
    char *p = malloc(n + 64);
    size_t o;

    (void)state;
    assert_non_null(p);
    /* 64 KiB of segments: too many for any route. */
    for (o = 0; o + 2 <= n; o += 2)
        memcpy(p + o, "/a", 2);
    check_len(p, o, (struct want){.kind = ROUTE_NOT_FOUND});
    /* ...with a '%', an empty segment or a ".." at the very end. */
    p[o - 1] = '%';
    check_len(p, o, (struct want){.kind = ROUTE_BAD_REQUEST});
    memcpy(p + o - 2, "//", 2);
    check_len(p, o, (struct want){.kind = ROUTE_BAD_REQUEST});
    memcpy(p + o - 2, "/..", 3);
    check_len(p, o + 1, (struct want){.kind = ROUTE_BAD_REQUEST});
    free(p);
    /* One 64 KiB segment as a node name and a namespace. */
    p = repeat('a', n, G "/v1/nodes/", "");
    kind_only(p, ROUTE_BAD_REQUEST);
    free(p);
    p = repeat('a', n, G "/v1/namespaces/", "/pods");
    kind_only(p, ROUTE_BAD_REQUEST);
    free(p);
    p = repeat('a', n, "/", "");
    kind_only(p, ROUTE_NOT_FOUND);
    free(p);
    p = repeat('/', n, "", "");
    kind_only(p, ROUTE_BAD_REQUEST);
    free(p);
}

static void test_version_strings(void **state)
{
    (void)state;
    assert_string_equal(api_version_string(API_V1BETA1), "metrics.k8s.io/v1beta1");
    assert_string_equal(api_version_string(API_V1), "metrics.k8s.io/v1");
    assert_string_equal(api_version_short(API_V1BETA1), "v1beta1");
    assert_string_equal(api_version_short(API_V1), "v1");
    assert_null(api_version_string((enum api_version)7));
    assert_null(api_version_short((enum api_version) - 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_core_minimum),
        cmocka_unit_test(test_resources_both_versions),
        cmocka_unit_test(test_openapi_health_misc),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_custom_metrics),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_long_paths),
        cmocka_unit_test(test_version_strings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
