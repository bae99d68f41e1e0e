/* The real aggregator over real TLS and HTTP/2, with real clients: libcurl, the curl and
 * nghttp command-line clients, kubectl (every version on the machine), and protoc decoding the
 * protobuf bodies. Shipments are built with the real wire encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "lib/agg_harness.h"
#include "clock.h"

#define SEC ((int64_t)1000000000)
#define UID_A "aaaaaaaa-1111-4111-8111-111111111111"
#define UID_B "bbbbbbbb-2222-4222-8222-222222222222"

static struct agg_harness h;

/* A node with two pods; pod A has containers "app" (half a core) and "sidecar" (a tenth),
 * pod B one container "web" (a quarter). Samples 1 s apart ending at end_ns. */
struct demo {
    struct wire_sample node_s[16], app_s[16], side_s[16], web_s[16];
    struct wire_container a_containers[2], b_containers[1];
    struct wire_pod pods[2];
    struct wire_shipment ship;
};

/* Usage grows with absolute time, so shipments built at any moment agree with each other
 * (no accidental counter resets) and every rate is exact. */
static void fill_samples(struct wire_sample *s, int n, int64_t end_ns, uint64_t base,
                         uint64_t usec_per_sec)
{
    static const int64_t epoch = 1700000000 * SEC;

    end_ns -= end_ns % SEC; /* whole seconds: every shipment's samples line up exactly */
    for (int i = 0; i < n; i++) {
        s[i].real_ns = end_ns - (int64_t)(n - 1 - i) * SEC;
        s[i].usage_usec = base + (uint64_t)((s[i].real_ns - epoch) / 1000) * usec_per_sec / 1000000;
    }
}

static void demo_build(struct demo *d, const char *node, uint64_t instance, uint64_t seq,
                       uint64_t base_seq, int full, int nsamples, int64_t end_ns)
{
    memset(d, 0, sizeof(*d));
    fill_samples(d->node_s, nsamples, end_ns, 1000000000, 1200000);
    fill_samples(d->app_s, nsamples, end_ns, 5000000, 500000);
    fill_samples(d->side_s, nsamples, end_ns, 7000000, 100000);
    fill_samples(d->web_s, nsamples, end_ns, 9000000, 250000);
    d->a_containers[0] = (struct wire_container){
        .id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        .name = "app",
        .samples = d->app_s,
        .nsamples = (size_t)nsamples,
        .memory = {.have = WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS,
                   .working_set = 50 << 20,
                   .rss = 40 << 20}};
    d->a_containers[1] = (struct wire_container){
        .id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        .name = "sidecar",
        .samples = d->side_s,
        .nsamples = (size_t)nsamples,
        .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 10 << 20}};
    d->b_containers[0] = (struct wire_container){
        .id = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
        .name = "web",
        .samples = d->web_s,
        .nsamples = (size_t)nsamples,
        .memory = {
            .have = WIRE_HAVE_WORKING_SET | WIRE_HAVE_SWAP, .working_set = 14868480, .swap = 4096}};
    d->pods[0] = (struct wire_pod){.uid = UID_A,
                                   .namespace_ = "team-a",
                                   .name = "api-0",
                                   .containers = d->a_containers,
                                   .ncontainers = 2};
    d->pods[1] = (struct wire_pod){.uid = UID_B,
                                   .namespace_ = "team-b",
                                   .name = "web-0",
                                   .containers = d->b_containers,
                                   .ncontainers = 1};
    d->ship = (struct wire_shipment){
        .flags = full ? WIRE_FULL : 0,
        .node_name = node,
        .instance = instance,
        .seq = seq,
        .base_seq = full ? 0 : base_seq,
        .sent_ns = end_ns,
        .node = {.cpu_cores = 4,
                 .memory_capacity = 8ull << 30,
                 .samples = d->node_s,
                 .nsamples = (size_t)nsamples,
                 .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 1234567 * 1024ull}},
        .pods = d->pods,
        .npods = 2};
}

/* GET path with this Accept; the answer must have want_status and be JSON. */
static json_t *get_json_as(const char *path, const char *accept, long want_status)
{
    struct http_result r;
    json_t *doc;

    assert_int_equal(ah_get(&h, path, accept, NULL, &r), 0);
    if (r.status != want_status)
        fail_msg("GET %s: %ld, want %ld: %s", path, r.status, want_status,
                 r.body.data ? r.body.data : "");
    doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
    outbuf_done(&r.body);
    assert_non_null(doc);
    return doc;
}

static json_t *get_json(const char *path, long want_status)
{
    return get_json_as(path, "application/json", want_status);
}

static const char *jstr(json_t *o, const char *path)
{
    /* dotted path of object keys */
    char key[64];
    const char *p = path;

    while (o && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        o = json_object_get(o, key);
        p += n + (p[n] == '.');
    }
    return json_string_value(o);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return ah_start(&h, "--metric-resolution=5s --node-expiry=3s");
}

static int teardown(void **state)
{
    (void)state;
    int rc = ah_stop(&h);
    tu_rm_rf(h.dir);
    curl_global_cleanup();
    return rc == 0 ? 0 : -1;
}

/* The aggregator runs with --node-expiry=3s: long client runs re-ship to stay fresh. */
static void refresh_node(void)
{
    static uint64_t seq = 100;
    struct demo d;

    demo_build(&d, "node-1", 4242, ++seq, 0, 1, 6, clock_real_ns());
    assert_int_equal(ah_ship(&h, &d.ship), 200);
}

/* --- tests -------------------------------------------------------------------------------- */

static void test_discovery_over_http2(void **state)
{
    struct http_result r;

    (void)state;
    assert_int_equal(ah_get(&h, "/apis/metrics.k8s.io/v1beta1", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.http_version, CURL_HTTP_VERSION_2_0);
    outbuf_done(&r.body);
    json_t *apis = get_json("/apis", 200);
    assert_string_equal(jstr(json_array_get(json_object_get(apis, "groups"), 0), "name"),
                        "metrics.k8s.io");
    json_decref(apis);
    json_t *v1 = get_json("/apis/metrics.k8s.io/v1", 200);
    assert_string_equal(jstr(v1, "groupVersion"), "metrics.k8s.io/v1");
    json_decref(v1);
    json_t *oa = get_json("/openapi/v2", 200);
    assert_non_null(json_object_get(json_object_get(oa, "definitions"),
                                    "io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics"));
    json_decref(oa);
}

static void test_shipment_auth_and_bad_input_store_nothing(void **state)
{
    struct demo d;
    struct outbuf b;
    struct http_result r;

    (void)state;
    demo_build(&d, "node-bad", 7, 1, 0, 1, 3, clock_real_ns());
    outbuf_init(&b);
    assert_int_equal(wire_encode(&d.ship, &b), 0);
    /* No token, a wrong token, a wrong type, garbage, truncated: all refused. */
    assert_int_equal(
        ah_post_ship_raw(&h, b.data, b.len, "application/vnd.kmetrics.shipment.v2", "", &r), 0);
    assert_int_equal(r.status, 401);
    outbuf_done(&r.body);
    assert_int_equal(
        ah_post_ship_raw(&h, b.data, b.len, "application/vnd.kmetrics.shipment.v2", "nope", &r), 0);
    assert_int_equal(r.status, 401);
    outbuf_done(&r.body);
    assert_int_equal(ah_post_ship_raw(&h, b.data, b.len, "application/json", AH_SHIP_TOKEN, &r), 0);
    assert_int_equal(r.status, 415);
    outbuf_done(&r.body);
    assert_int_equal(ah_post_ship_raw(&h, "garbage!", 8, "application/vnd.kmetrics.shipment.v2",
                                      AH_SHIP_TOKEN, &r),
                     0);
    assert_int_equal(r.status, 400);
    outbuf_done(&r.body);
    assert_int_equal(ah_post_ship_raw(&h, b.data, b.len / 2, "application/vnd.kmetrics.shipment.v2",
                                      AH_SHIP_TOKEN, &r),
                     0);
    assert_int_equal(r.status, 400);
    outbuf_done(&r.body);
    /* A decompression bomb: 200 MiB of zeros in a few hundred KiB. */
    {
        z_stream z = {0};
        static unsigned char zeros[1 << 16];
        struct outbuf bomb;
        unsigned char chunk[1 << 16];
        outbuf_init(&bomb);
        deflateInit(&z, 9);
        for (int i = 0; i < 3200; i++) {
            z.next_in = zeros;
            z.avail_in = sizeof(zeros);
            do {
                z.next_out = chunk;
                z.avail_out = sizeof(chunk);
                deflate(&z, i == 3199 ? Z_FINISH : Z_NO_FLUSH);
                outbuf_append(&bomb, chunk, sizeof(chunk) - z.avail_out);
            } while (z.avail_out == 0);
        }
        deflateEnd(&z);
        assert_int_equal(ah_post_ship_raw(&h, bomb.data, bomb.len,
                                          "application/vnd.kmetrics.shipment.v2", AH_SHIP_TOKEN,
                                          &r),
                         0);
        assert_int_equal(r.status, 413);
        outbuf_done(&r.body);
        outbuf_done(&bomb);
    }
    outbuf_done(&b);
    /* Nothing was stored from any of them. */
    json_t *nodes = get_json("/apis/metrics.k8s.io/v1beta1/nodes/node-bad", 404);
    assert_string_equal(jstr(nodes, "reason"), "NotFound");
    json_decref(nodes);
    /* ... and the rejections are counted by reason. */
    assert_int_equal(ah_get(&h, "/metrics", NULL, NULL, &r), 0);
    assert_non_null(
        strstr(r.body.data, "kmetrics_shipments_rejected_total{reason=\"unauthenticated\"} 2"));
    assert_non_null(
        strstr(r.body.data, "kmetrics_shipments_rejected_total{reason=\"too_large\"} 1"));
    assert_non_null(
        strstr(r.body.data, "kmetrics_shipments_rejected_total{reason=\"malformed\"} 2"));
    outbuf_done(&r.body);
}

static void test_full_then_delta_serves_exact_json(void **state)
{
    struct demo d;
    int64_t end = clock_real_ns();

    (void)state;
    /* A delta before any full snapshot: the aggregator asks for one. */
    demo_build(&d, "node-1", 42, 5, 4, 0, 3, end);
    assert_int_equal(ah_ship(&h, &d.ship), 409);
    demo_build(&d, "node-1", 42, 1, 0, 1, 6, end);
    assert_int_equal(ah_ship(&h, &d.ship), 200);

    /* Served at once from the first shipment's history: 5 s window at 1 s samples. */
    json_t *pod = get_json("/apis/metrics.k8s.io/v1beta1/namespaces/team-a/pods/api-0", 200);
    assert_string_equal(jstr(pod, "kind"), "PodMetrics");
    assert_string_equal(jstr(pod, "apiVersion"), "metrics.k8s.io/v1beta1");
    assert_string_equal(jstr(pod, "metadata.namespace"), "team-a");
    assert_string_equal(jstr(pod, "window"), "5s");
    json_t *cs = json_object_get(pod, "containers");
    assert_int_equal(json_array_size(cs), 2);
    assert_string_equal(jstr(json_array_get(cs, 0), "name"), "app");
    assert_string_equal(jstr(json_array_get(cs, 0), "usage.cpu"), "500m");
    assert_string_equal(jstr(json_array_get(cs, 0), "usage.memory"), "50Mi");
    assert_string_equal(jstr(json_array_get(cs, 1), "name"), "sidecar");
    assert_string_equal(jstr(json_array_get(cs, 1), "usage.cpu"), "100m");
    json_decref(pod);

    json_t *web = get_json("/apis/metrics.k8s.io/v1/namespaces/team-b/pods/web-0", 200);
    assert_string_equal(jstr(web, "apiVersion"), "metrics.k8s.io/v1");
    assert_string_equal(jstr(json_array_get(json_object_get(web, "containers"), 0), "usage.memory"),
                        "14520Ki");
    assert_string_equal(jstr(json_array_get(json_object_get(web, "containers"), 0), "usage.swap"),
                        "4Ki");
    json_decref(web);

    json_t *node = get_json("/apis/metrics.k8s.io/v1beta1/nodes/node-1", 200);
    assert_string_equal(jstr(node, "usage.cpu"), "1200m");
    assert_string_equal(jstr(node, "usage.memory"), "1234567Ki");
    json_decref(node);

    /* A delta with newer samples moves the window forward; a resent one is acknowledged and
     * changes nothing. */
    demo_build(&d, "node-1", 42, 2, 1, 0, 3, end + 3 * SEC);
    assert_int_equal(ah_ship(&h, &d.ship), 200);
    assert_int_equal(ah_ship(&h, &d.ship), 200);
    json_t *list = get_json("/apis/metrics.k8s.io/v1beta1/pods", 200);
    assert_string_equal(jstr(list, "kind"), "PodMetricsList");
    assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
    json_decref(list);
    /* A gap (base newer than what the aggregator holds) asks for a full snapshot. */
    demo_build(&d, "node-1", 42, 9, 8, 0, 3, end + 4 * SEC);
    assert_int_equal(ah_ship(&h, &d.ship), 409);
}

static void test_selectors_and_errors(void **state)
{
    struct http_result r;

    (void)state;
    json_t *l = get_json(
        "/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=metadata.namespace%3Dteam-b", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=spec.nodeName%3Dnode-1", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    json_decref(l);
    /* Standalone pods have no labels: app=web matches none, !app matches all. */
    l = get_json("/apis/metrics.k8s.io/v1beta1/namespaces/team-a/pods?labelSelector=app%3Dweb",
                 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1beta1/pods?labelSelector=%21app", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%20in%20(", 400);
    assert_string_equal(jstr(l, "reason"), "BadRequest");
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1beta1/namespaces/team-a/pods/missing", 404);
    assert_string_equal(jstr(l, "message"),
                        "podmetrics.metrics.k8s.io \"team-a/missing\" not found");
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1beta1/namespaces/Bad_NS/pods", 400);
    json_decref(l);
    /* Watching: refused as metrics-server refuses it (its storage has no Watcher), on lists
     * and objects alike; watch=false is a plain read. */
    l = get_json("/apis/metrics.k8s.io/v1beta1/pods?watch=true", 405);
    assert_string_equal(jstr(l, "reason"), "MethodNotAllowed");
    assert_string_equal(jstr(l, "message"),
                        "watch is not supported on resources of kind \"pods.metrics.k8s.io\"");
    assert_string_equal(json_string_value(json_object_get(json_object_get(l, "details"), "kind")),
                        "pods");
    assert_int_equal(json_integer_value(json_object_get(l, "code")), 405);
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1/nodes/node-1?labelSelector=x&watch=1", 405);
    assert_string_equal(jstr(l, "message"),
                        "watch is not supported on resources of kind \"nodes.metrics.k8s.io\"");
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1beta1/pods?watch=false", 200);
    json_decref(l);

    /* The core minimum kubectl top reads in standalone mode. */
    refresh_node();
    l = get_json("/api/v1/nodes", 200);
    assert_string_equal(jstr(l, "kind"), "NodeList");
    assert_string_equal(jstr(json_array_get(json_object_get(l, "items"), 0), "metadata.name"),
                        "node-1");
    assert_string_equal(
        jstr(json_array_get(json_object_get(l, "items"), 0), "status.allocatable.cpu"), "4");
    json_decref(l);
    l = get_json("/api/v1/nodes/node-1", 200);
    assert_string_equal(jstr(l, "kind"), "Node");
    json_decref(l);
    l = get_json("/api/v1/nodes/node-9", 404);
    json_decref(l);
    l = get_json("/api/v1/namespaces/team-a/pods", 200);
    assert_string_equal(jstr(l, "kind"), "PodList");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(l, "items"), 0), "spec.nodeName"),
                        "node-1");
    json_decref(l);
    l = get_json("/api/v1/pods", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    json_decref(l);

    /* Metadata only, as client-go's metadata client asks (protobuf first, then JSON). */
    static const char partial_list[] =
        "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    static const char partial_one[] =
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    static const char partial_list_json[] =
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    /* Its first choice, protobuf: the envelope names the kind; both pods are in it. */
    assert_int_equal(ah_get(&h, "/apis/metrics.k8s.io/v1beta1/pods", partial_list, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(
        r.content_type,
        "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io");
    assert_true(r.body.len > 4 && memcmp(r.body.data, "k8s\0", 4) == 0);
    assert_non_null(memmem(r.body.data, r.body.len, "\x12\x19PartialObjectMetadataList", 27));
    assert_non_null(memmem(r.body.data, r.body.len,
                           "\x0a\x05"
                           "api-0",
                           7));
    assert_null(memmem(r.body.data, r.body.len, "PodMetrics", 10));
    outbuf_done(&r.body);
    /* Its second, JSON. */
    assert_int_equal(ah_get(&h, "/apis/metrics.k8s.io/v1beta1/pods", partial_list_json, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type,
                        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io");
    l = json_loadb(r.body.data, r.body.len, 0, NULL);
    outbuf_done(&r.body);
    assert_string_equal(jstr(l, "kind"), "PartialObjectMetadataList");
    assert_string_equal(jstr(l, "apiVersion"), "meta.k8s.io/v1");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    assert_string_equal(jstr(json_array_get(json_object_get(l, "items"), 0), "kind"),
                        "PartialObjectMetadata");
    assert_string_equal(jstr(json_array_get(json_object_get(l, "items"), 0), "metadata.name"),
                        "api-0");
    assert_null(json_object_get(json_array_get(json_object_get(l, "items"), 0), "containers"));
    json_decref(l);
    l = get_json_as("/apis/metrics.k8s.io/v1beta1/nodes/node-1", partial_one, 200);
    assert_string_equal(jstr(l, "kind"), "PartialObjectMetadata");
    assert_string_equal(jstr(l, "metadata.name"), "node-1");
    assert_null(json_object_get(l, "usage"));
    json_decref(l);
    /* The object form for a list is refused, as the API server refuses it. */
    l = get_json_as("/apis/metrics.k8s.io/v1beta1/nodes", partial_one, 406);
    assert_string_equal(jstr(l, "reason"), "NotAcceptable");
    json_decref(l);
    assert_int_equal(ah_get(&h, "/apis/metrics.k8s.io/v1beta1/nodes", "text/html", NULL, &r), 0);
    assert_int_equal(r.status, 406);
    outbuf_done(&r.body);
    assert_int_equal(ah_get(&h, "/apis/metrics.k8s.io/v1beta1/nodes", NULL, "wrong", &r), 0);
    assert_int_equal(r.status, 401);
    outbuf_done(&r.body);
    assert_int_equal(ah_post_ship_raw(&h, "x", 1, "application/json", NULL, &r), 0);
    assert_int_equal(r.status, 401); /* /ship without credentials */
    outbuf_done(&r.body);
}

static void test_real_clients_curl_nghttp_kubectl_protoc(void **state)
{
    struct outbuf out;
    int rc;

    (void)state;
    outbuf_init(&out);
    refresh_node();
    rc = ah_sh(&out,
               "curl -s --http2 --cacert %s/certs/ca.crt -H 'Authorization: Bearer %s' "
               "-w '\\n%%{http_version}' %s/apis/metrics.k8s.io/v1beta1/nodes",
               h.dir, AH_READ_TOKEN, h.base_url);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out.data, "\"name\":\"node-1\""));
    assert_non_null(strstr(out.data, "\n2"));
    outbuf_reset(&out);
    rc = ah_sh(&out,
               "nghttp -v -H 'authorization: Bearer %s' %s/apis/metrics.k8s.io/v1beta1/pods 2>&1",
               AH_READ_TOKEN, h.base_url);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out.data, "The negotiated protocol: h2"));
    assert_non_null(strstr(out.data, "PodMetricsList"));
    outbuf_reset(&out);
    /* Protobuf: strip the 4-byte "k8s\0" magic, decode the runtime.Unknown envelope, then the
     * object it carries. */
    rc = ah_sh(&out,
               "curl -s --http2 --cacert %s/certs/ca.crt -H 'Authorization: Bearer %s' "
               "-H 'Accept: application/vnd.kubernetes.protobuf' "
               "%s/apis/metrics.k8s.io/v1beta1/namespaces/team-a/pods/api-0 | tee %s/pod.pb "
               "| tail -c +5 | protoc --decode_raw",
               h.dir, AH_READ_TOKEN, h.base_url, h.dir);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out.data, "\"metrics.k8s.io/v1beta1\""));
    assert_non_null(strstr(out.data, "\"PodMetrics\""));
    assert_non_null(strstr(out.data, "\"api-0\""));
    assert_non_null(strstr(out.data, "\"500m\""));
    outbuf_reset(&out);
    rc = ah_sh(&out, "head -c 4 %s/pod.pb | od -c | head -1", h.dir);
    assert_non_null(strstr(out.data, "k   8   s  \\0"));
    outbuf_reset(&out);
    /* YAML, read back by PyYAML, is the JSON document, for an object, a list and a Status. */
    const char *yaml_paths[] = {"namespaces/team-a/pods/api-0", "pods", "nodes",
                                "namespaces/team-a/pods/missing"};
    for (size_t i = 0; i < sizeof(yaml_paths) / sizeof(yaml_paths[0]); i++) {
        rc = ah_sh(&out,
                   "get() { curl -s --http2 --cacert %s/certs/ca.crt -H 'Authorization: Bearer "
                   "%s' -H \"Accept: $1\" -D %s/headers %s/apis/metrics.k8s.io/v1beta1/%s; }; "
                   "get application/json >%s/doc.json && get application/yaml >%s/doc.yaml && "
                   "grep -i '^content-type: application/yaml' %s/headers && "
                   "python3 -c 'import json, sys, yaml; "
                   "j = json.load(open(sys.argv[1])); y = yaml.safe_load(open(sys.argv[2])); "
                   "sys.exit(0 if j == y else \"differ: %%s\\n%%s\" %% (j, y))' "
                   "%s/doc.json %s/doc.yaml 2>&1",
                   h.dir, AH_READ_TOKEN, h.dir, h.base_url, yaml_paths[i], h.dir, h.dir, h.dir,
                   h.dir, h.dir);
        if (rc != 0) fail_msg("YAML of %s: %d\n%s", yaml_paths[i], rc, out.data);
        outbuf_reset(&out);
    }
    rc = ah_sh(&out,
               "cat %s/doc.yaml; echo; curl -s --http2 --cacert %s/certs/ca.crt -H "
               "'Authorization: Bearer %s' -H 'Accept: application/yaml' "
               "%s/apis/metrics.k8s.io/v1beta1/namespaces/team-a/pods/api-0",
               h.dir, h.dir, AH_READ_TOKEN, h.base_url);
    assert_non_null(strstr(out.data, "reason: NotFound\n"));
    assert_non_null(
        strstr(out.data, "apiVersion: metrics.k8s.io/v1beta1\ncontainers:\n- name: app\n"));
    assert_non_null(strstr(out.data, "\nkind: PodMetrics\nmetadata:\n"));
    assert_non_null(strstr(out.data, "\ntimestamp: \"20")); /* a timestamp stays a string */
    outbuf_reset(&out);

    /* kubectl: every version on the machine (kubectl.1.NN next to the real kubectl, as the
     * e2e suite finds them), protobuf by default for get --raw is JSON. */
    const char *versions[] = {"", ".1.27", ".1.28", ".1.29", ".1.30", ".1.31", ".1.32", ".1.33"};
    char kdir[PATH_MAX] = "";
    if (ah_sh(&out, "dirname \"$(readlink -f \"$(command -v kubectl)\")\"") == 0 && out.len)
        snprintf(kdir, sizeof(kdir), "%.*s", (int)strcspn(out.data, "\n"), out.data);
    outbuf_reset(&out);
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        char kubectl[PATH_MAX + 32];
        snprintf(kubectl, sizeof(kubectl), "kubectl");
        if (i > 0) {
            char path[PATH_MAX + 32];
            snprintf(path, sizeof(path), "%s/kubectl%s", kdir, versions[i]);
            if (!kdir[0] || access(path, X_OK) != 0) continue;
            snprintf(kubectl, sizeof(kubectl), "%s", path);
        }
        refresh_node();
        rc = ah_sh(&out, "%s --kubeconfig %s/kubeconfig get nodemetrics 2>&1", kubectl, h.dir);
        if (rc != 0 || !strstr(out.data, "node-1") || !strstr(out.data, "1200m"))
            fail_msg("%s get nodemetrics: %d\n%s", kubectl, rc, out.data);
        outbuf_reset(&out);
        rc = ah_sh(&out, "%s --kubeconfig %s/kubeconfig get podmetrics -A 2>&1", kubectl, h.dir);
        if (rc != 0 || !strstr(out.data, "api-0") || !strstr(out.data, "web-0"))
            fail_msg("%s get podmetrics -A: %d\n%s", kubectl, rc, out.data);
        outbuf_reset(&out);
        rc = ah_sh(&out,
                   "%s --kubeconfig %s/kubeconfig get --raw "
                   "/apis/metrics.k8s.io/v1beta1/namespaces/team-b/pods/web-0 2>&1",
                   kubectl, h.dir);
        if (rc != 0 || !strstr(out.data, "\"14520Ki\""))
            fail_msg("%s get --raw: %d\n%s", kubectl, rc, out.data);
        outbuf_reset(&out);
        /* kubectl top in standalone mode: it reads /api/v1/nodes for allocatable (node-1:
         * 4 cores, so 1200m is 30%) and, for pods, the metrics list. */
        refresh_node();
        rc = ah_sh(&out, "%s --kubeconfig %s/kubeconfig top node 2>&1", kubectl, h.dir);
        if (rc != 0 || !strstr(out.data, "node-1") || !strstr(out.data, "1200m") ||
            !strstr(out.data, "30%"))
            fail_msg("%s top node: %d\n%s", kubectl, rc, out.data);
        outbuf_reset(&out);
        rc = ah_sh(&out, "%s --kubeconfig %s/kubeconfig top pod -A --containers 2>&1", kubectl,
                   h.dir);
        if (rc != 0 || !strstr(out.data, "api-0") || !strstr(out.data, "sidecar"))
            fail_msg("%s top pod -A: %d\n%s", kubectl, rc, out.data);
        outbuf_reset(&out);
        /* A namespace with no pods: "No resources found", from the pod list, not an error. */
        rc = ah_sh(&out, "%s --kubeconfig %s/kubeconfig top pod -n empty 2>&1", kubectl, h.dir);
        if (rc != 0 || !strstr(out.data, "No resources found"))
            fail_msg("%s top pod -n empty: %d\n%s", kubectl, rc, out.data);
        outbuf_reset(&out);
        /* -w: the list, then the error metrics-server gives (newer kubectls print the
         * Status's message, older ones their own for a 405), not a decode error. */
        rc = ah_sh(&out, "timeout 20 %s --kubeconfig %s/kubeconfig get podmetrics -A -w 2>&1",
                   kubectl, h.dir);
        if (rc == 0 || rc == 124 || !strstr(out.data, "api-0") ||
            !strstr(out.data, "Error from server (MethodNotAllowed): "))
            fail_msg("%s get podmetrics -w: %d\n%s", kubectl, rc, out.data);
        outbuf_reset(&out);
        fprintf(stderr, "%s: ok\n", kubectl);
    }
    outbuf_done(&out);
}

/* Standalone nodes have no labels: --node-selector=!role serves them, role=x none; a bad
 * selector stops the start with a clear message. */
/* Signals as a collector ships them (wire version 2): pod A's two containers read on one
 * tick, a 15 s window; pod A measured at its interfaces, pod B in the node's namespace. */
static void demo_signals(struct demo *d, int64_t end_ns)
{
    d->a_containers[0].signals = (struct wire_signals){
        .have = WIRE_SIG_CPU_PRESSURE | WIRE_SIG_THROTTLING | WIRE_SIG_OOM | WIRE_SIG_RUNQ,
        .end_real_ns = end_ns,
        .window_ms = 15000,
        .stall_some_usec = {1500000},
        .periods = 150,
        .throttled_periods = 30,
        .throttled_usec = 600000,
        .oom_kills = 1,
        .oom_kills_total = 2,
        .runq_waits = 15000,
        .runq_p50_us = 3,
        .runq_p99_us = 2000};
    d->a_containers[1].signals =
        (struct wire_signals){.have = WIRE_SIG_CPU_PRESSURE | WIRE_SIG_RUNQ,
                              .end_real_ns = end_ns - 2000000, /* read 2 ms later */
                              .window_ms = 15000,
                              .stall_some_usec = {3000000},
                              .runq_waits = 3000,
                              .runq_p50_us = 40,
                              .runq_p99_us = 5000};
    d->pods[0].network = (struct wire_network){.source = WIRE_NET_INTERFACES,
                                               .end_real_ns = end_ns,
                                               .window_ms = 15000,
                                               .rx_bytes = 15000000,
                                               .rx_packets = 15000,
                                               .tx_bytes = 30000,
                                               .tx_packets = 300};
    d->pods[1].network = (struct wire_network){.source = WIRE_NET_HOST};
}

/* The value of the only item of a MetricValueList. */
static const char *only_value(json_t *doc)
{
    json_t *items = json_object_get(doc, "items");

    if (json_array_size(items) != 1) fail_msg("want one item, got %zu", json_array_size(items));
    return json_string_value(json_object_get(json_array_get(items, 0), "value"));
}

static void test_custom_metrics(void **state)
{
#define CM "/apis/custom.metrics.k8s.io/v1beta2/namespaces/"
    static const struct {
        const char *path, *value;
    } want[] = {
        {CM "team-a/pods/%2A/network_receive_bytes_per_second", "1M"},
        {CM "team-a/pods/*/network_transmit_bytes_per_second", "2k"},
        {CM "team-a/pods/%2a/network_receive_packets_per_second", "1k"},
        {CM "team-a/pods/%2A/cpu_pressure_some_ratio", "200m"}, /* the most stalled container */
        {CM "team-a/pods/%2A/cpu_throttled_ratio", "200m"},
        {CM "team-a/pods/%2A/cpu_throttled_seconds_per_second", "40m"},
        {CM "team-a/pods/%2A/oom_kills", "1"},
        {CM "team-a/pods/%2A/oom_kills_total", "2"},
        {CM "team-a/pods/%2A/runqueue_latency_p50_seconds", "40u"},
        {CM "team-a/pods/%2A/runqueue_latency_p99_seconds", "5m"},
        {CM "team-a/pods/%2A/runqueue_waits_per_second", "1200"},
        {CM "team-a/pods/api-0/cpu_pressure_some_ratio", "200m"},
        {CM "team-a/metrics/network_receive_bytes_per_second", "1M"},
        {CM "team-a/pods/%2A/cpu_pressure_some_ratio?metricLabelSelector=%21code", "200m"},
    };
    int64_t now = clock_real_ns();
    struct http_result r;
    struct outbuf out;
    struct demo d;
    json_t *doc, *item;

    (void)state;
    demo_build(&d, "node-1", 4243, 1, 0, 1, 6, now);
    demo_signals(&d, now);
    assert_int_equal(ah_ship(&h, &d.ship), 200);

    /* Discovery: every metric, both versions, v1beta2 preferred; /apis lists the group. */
    doc = get_json("/apis/custom.metrics.k8s.io/v1beta2", 200);
    assert_true(json_array_size(json_object_get(doc, "resources")) > 19);
    item = json_array_get(json_object_get(doc, "resources"), 0);
    assert_string_equal(jstr(item, "name"), "pods/network_receive_bytes_per_second");
    assert_string_equal(jstr(item, "kind"), "MetricValueList");
    assert_true(json_is_true(json_object_get(item, "namespaced")));
    json_decref(doc);
    doc = get_json("/apis/custom.metrics.k8s.io", 200);
    assert_string_equal(jstr(doc, "preferredVersion.version"), "v1beta2");
    json_decref(doc);
    doc = get_json("/apis", 200);
    assert_string_equal(jstr(json_array_get(json_object_get(doc, "groups"), 1), "name"),
                        "custom.metrics.k8s.io");
    json_decref(doc);

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        doc = get_json(want[i].path, 200);
        if (strcmp(only_value(doc), want[i].value) != 0)
            fail_msg("%s: %s, want %s", want[i].path, only_value(doc), want[i].value);
        json_decref(doc);
    }
    doc = get_json(CM "team-a/pods/%2A/network_receive_bytes_per_second", 200);
    assert_string_equal(jstr(doc, "kind"), "MetricValueList");
    assert_string_equal(jstr(doc, "apiVersion"), "custom.metrics.k8s.io/v1beta2");
    item = json_array_get(json_object_get(doc, "items"), 0);
    assert_string_equal(jstr(item, "describedObject.kind"), "Pod");
    assert_string_equal(jstr(item, "describedObject.namespace"), "team-a");
    assert_string_equal(jstr(item, "describedObject.name"), "api-0");
    assert_string_equal(jstr(item, "metric.name"), "network_receive_bytes_per_second");
    assert_int_equal(json_integer_value(json_object_get(item, "windowSeconds")), 15);
    assert_non_null(jstr(item, "timestamp"));
    json_decref(doc);
    doc = get_json(CM "team-a/metrics/oom_kills_total", 200);
    item = json_array_get(json_object_get(doc, "items"), 0);
    assert_string_equal(jstr(item, "describedObject.kind"), "Namespace");
    assert_string_equal(jstr(item, "describedObject.name"), "team-a");
    assert_null(json_object_get(json_object_get(item, "describedObject"), "namespace"));
    json_decref(doc);

    /* v1beta1: metricName and window. */
    doc = get_json("/apis/custom.metrics.k8s.io/v1beta1/namespaces/team-a/pods/%2A/oom_kills", 200);
    item = json_array_get(json_object_get(doc, "items"), 0);
    assert_string_equal(jstr(item, "metricName"), "oom_kills");
    assert_int_equal(json_integer_value(json_object_get(item, "window")), 15);
    assert_true(json_is_null(json_object_get(item, "selector")));
    json_decref(doc);

    /* Only pods that have the figure and match: pod B (hostNetwork) has no traffic of its own,
     * a label selector nothing carries (standalone: no labels), a metric label selector these
     * label-less series cannot meet. */
    static const char *const empty[] = {
        CM "team-b/pods/%2A/network_receive_bytes_per_second",
        CM "team-a/pods/%2A/network_receive_bytes_per_second?labelSelector=app%3Dweb",
        CM "team-a/pods/%2A/cpu_pressure_some_ratio?metricLabelSelector=code+in+%28200%2C204%29",
        CM "team-c/pods/%2A/cpu_pressure_some_ratio",
    };
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        doc = get_json(empty[i], 200);
        if (json_array_size(json_object_get(doc, "items")) != 0)
            fail_msg("%s: not empty", empty[i]);
        json_decref(doc);
    }
    /* NotFound as a Status: unknown metric, a pod without the figure, a namespace sum of a
     * ratio. Bad input: 400. */
    static const struct {
        const char *path;
        long status;
        const char *message;
    } errors[] = {
        {CM "team-a/pods/%2A/no_such_metric", 404,
         "the server could not find the metric no_such_metric for pods"},
        {CM "team-b/pods/web-0/network_receive_bytes_per_second", 404,
         "the server could not find the metric network_receive_bytes_per_second for pods "
         "team-b/web-0"},
        {CM "team-a/metrics/cpu_pressure_some_ratio", 404,
         "the server could not find the metric cpu_pressure_some_ratio for namespaces"},
        {CM "team-a/pods/%2A/oom_kills?metricLabelSelector=a+in+%28", 400,
         "unable to parse metricLabelSelector"},
        {CM "Team-A/pods/%2A/oom_kills", 400, "the request path is not valid"},
        {CM "team-a/pods/%2F/oom_kills", 400, "the request path is not valid"},
        {CM "team-a/pods/%2Ax/oom_kills", 400, "the request path is not valid"},
        {CM "team-a/pods/%2A/oom%20kills", 400, "the request path is not valid"},
        {"/apis/custom.metrics.k8s.io/v1/namespaces/team-a/pods/%2A/oom_kills", 404, NULL},
    };
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        doc = get_json(errors[i].path, errors[i].status);
        assert_string_equal(jstr(doc, "kind"), "Status");
        if (errors[i].message && !strstr(jstr(doc, "message"), errors[i].message))
            fail_msg("%s: %s", errors[i].path, jstr(doc, "message"));
        json_decref(doc);
    }

    /* Protobuf, as the HPA asks for it, decoded by protoc. */
    outbuf_init(&out);
    assert_int_equal(ah_sh(&out,
                           "curl -s --http2 --cacert %s/certs/ca.crt -H 'Authorization: Bearer %s' "
                           "-H 'Accept: application/vnd.kubernetes.protobuf, */*' "
                           "'%s" CM
                           "team-a/pods/%%2A/network_receive_bytes_per_second' | tee %s/cm.pb "
                           "| tail -c +5 | protoc --decode_raw",
                           h.dir, AH_READ_TOKEN, h.base_url, h.dir),
                     0);
    /* protoc decodes the object inside runtime.Unknown too: items (2) { describedObject (1)
     * {kind, namespace, name, apiVersion}, metric (2) {name}, timestamp (3), windowSeconds
     * (4), value (5) {string} } */
    static const char *const pb_want[] = {"\"custom.metrics.k8s.io/v1beta2\"",
                                          "\"MetricValueList\"",
                                          "1: \"Pod\"",
                                          "2: \"team-a\"",
                                          "3: \"api-0\"",
                                          "5: \"v1\"",
                                          "1: \"network_receive_bytes_per_second\"",
                                          "4: 15",
                                          "1: \"1M\""};
    for (size_t i = 0; i < sizeof(pb_want) / sizeof(pb_want[0]); i++)
        if (!strstr(out.data, pb_want[i])) fail_msg("no %s in\n%s", pb_want[i], out.data);
    outbuf_done(&out);

    /* A shipment of version 1 (an older collector) is still taken: no signals, the rest as
     * ever. */
    demo_build(&d, "node-1", 4244, 1, 0, 1, 6, now); /* a new collector instance */
    d.ship.version = WIRE_VERSION_1;
    d.pods[0].uid = "cccccccc-3333-4333-8333-333333333333";
    d.pods[0].name = "old-0";
    d.pods[1].uid = "dddddddd-4444-4444-8444-444444444444";
    d.pods[1].name = "old-1";
    demo_signals(&d, now); /* not carried by version 1 */
    assert_int_equal(ah_ship(&h, &d.ship), 200);
    doc = get_json("/apis/metrics.k8s.io/v1beta1/namespaces/team-a/pods/old-0", 200);
    assert_string_equal(jstr(doc, "metadata.name"), "old-0");
    json_decref(doc);
    json_decref(get_json(CM "team-a/pods/old-0/cpu_pressure_some_ratio", 404));
    /* A body whose version is not its content type's: refused, nothing stored. */
    {
        struct outbuf b;
        outbuf_init(&b);
        d.ship.version = WIRE_VERSION;
        d.ship.seq = 2;
        assert_int_equal(wire_encode(&d.ship, &b), 0);
        assert_int_equal(ah_post_ship_raw(&h, b.data, b.len, "application/vnd.kmetrics.shipment.v1",
                                          AH_SHIP_TOKEN, &r),
                         0);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body.data, "wire version 2, its content type says 1"));
        outbuf_done(&r.body);
        outbuf_reset(&b);
        assert_int_equal(ah_post_ship_raw(&h, b.data, 0, "application/vnd.kmetrics.shipment.v3",
                                          AH_SHIP_TOKEN, &r),
                         0);
        assert_int_equal(r.status, 415);
        outbuf_done(&r.body);
        outbuf_done(&b);
    }
#undef CM
}

/* --expose-pod-signals: the same figures on /metrics, as Prometheus gauges; off by default. */
static void test_expose_pod_signals_flag(void **state)
{
    struct agg_harness a = h; /* same certificates and tokens, another port */
    struct http_result r;
    struct demo d;
    int64_t now = clock_real_ns();

    (void)state;
    demo_build(&d, "node-1", 8, 1, 0, 1, 6, now);
    demo_signals(&d, now);
    assert_int_equal(ah_ship(&h, &d.ship), 200);
    assert_int_equal(ah_get(&h, "/metrics", NULL, NULL, &r), 0);
    assert_null(strstr(r.body.data, "kmetrics_pod_"));
    outbuf_done(&r.body);
    /* YAML, as for the Metrics API */
    assert_int_equal(ah_get(&h,
                            "/apis/custom.metrics.k8s.io/v1beta2/namespaces/team-a/pods/%2A/"
                            "oom_kills_total",
                            "application/yaml", NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "kind: MetricValueList\n"));
    assert_non_null(strstr(r.body.data, "value: \"2\"\n"));
    outbuf_done(&r.body);

    a.pid = 0;
    a.port = ah_free_port();
    assert_int_equal(ah_start(&a, "--expose-pod-signals"), 0);
    demo_build(&d, "node-1", 9, 1, 0, 1, 6, now);
    demo_signals(&d, now);
    assert_int_equal(ah_ship(&a, &d.ship), 200);
    assert_int_equal(ah_get(&a, "/metrics", NULL, NULL, &r), 0);
    assert_non_null(strstr(r.body.data,
                           "# TYPE kmetrics_pod_network_receive_bytes_per_second gauge\n"
                           "kmetrics_pod_network_receive_bytes_per_second{namespace="
                           "\"team-a\",pod=\"api-0\"} 1000000.000000000\n"));
    assert_non_null(strstr(r.body.data, "kmetrics_pod_cpu_pressure_some_ratio{namespace=\"team-a\","
                                        "pod=\"api-0\"} 0.200000000\n"));
    /* pod B (hostNetwork) has no traffic of its own: no sample */
    assert_null(
        strstr(r.body.data, "kmetrics_pod_network_receive_bytes_per_second{namespace=\"team-b\""));
    outbuf_done(&r.body);
    ah_stop(&a);
}

static void test_node_selector_flag(void **state)
{
    struct agg_harness a = h; /* same certificates and tokens, another port */
    struct outbuf out;
    json_t *l;

    (void)state;
    outbuf_init(&out);
    assert_int_not_equal(
        ah_sh(&out, "%s/kmetrics-aggregator --node-selector='a in (' 2>&1", h.bin_dir), 0);
    assert_non_null(strstr(out.data, "--node-selector=a in (:"));
    outbuf_done(&out);
    for (int k = 0; k < 2; k++) {
        struct demo d;
        struct http_result r;
        a.pid = 0;
        a.port = ah_free_port();
        assert_int_equal(ah_start(&a, k ? "--node-selector=role=x" : "--node-selector=!role"), 0);
        demo_build(&d, "node-1", 7, 1, 0, 1, 6, clock_real_ns());
        assert_int_equal(ah_ship(&a, &d.ship), 200);
        assert_int_equal(ah_get(&a, "/apis/metrics.k8s.io/v1beta1/pods", NULL, NULL, &r), 0);
        l = json_loadb(r.body.data, r.body.len, 0, NULL);
        outbuf_done(&r.body);
        assert_int_equal(json_array_size(json_object_get(l, "items")), k ? 0 : 2);
        json_decref(l);
        assert_int_equal(ah_get(&a, "/apis/metrics.k8s.io/v1beta1/nodes/node-1", NULL, NULL, &r),
                         0);
        assert_int_equal(r.status, k ? 404 : 200);
        outbuf_done(&r.body);
        ah_stop(&a);
    }
}

static void test_silent_node_dropped_and_health(void **state)
{
    struct http_result r;

    (void)state;
    refresh_node();
    assert_int_equal(ah_get(&h, "/readyz?verbose", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "[+]data-received ok"));
    assert_non_null(strstr(r.body.data, "readyz check passed"));
    outbuf_done(&r.body);
    /* --node-expiry=3s: after 4 s without shipments node-1 and its pods are gone. */
    sleep(4);
    json_t *l = get_json("/apis/metrics.k8s.io/v1beta1/pods", 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
    l = get_json("/apis/metrics.k8s.io/v1beta1/nodes/node-1", 404);
    json_decref(l);
    assert_int_equal(ah_get(&h, "/readyz/collectors-fresh", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 500);
    outbuf_done(&r.body);
    assert_int_equal(ah_get(&h, "/metrics", NULL, NULL, &r), 0);
    assert_non_null(strstr(r.body.data, "kmetrics_stale_nodes_dropped_total 1"));
    outbuf_done(&r.body);
}

/* Oversized headers and many streams: refused or capped by the server, which keeps serving. */
static void test_header_and_stream_limits(void **state)
{
    struct outbuf out;
    char path[PATH_MAX + 16];
    struct http_result r;

    (void)state;
    snprintf(path, sizeof(path), "%s/bighdr", h.dir);
    {
        static char line[200032];
        memcpy(line, "X-Big: ", 7);
        memset(line + 7, 'a', 200000);
        line[200007] = '\n';
        assert_int_equal(tu_write_file(path, line, 200008), 0);
    }
    outbuf_init(&out);
    for (int v = 0; v < 2; v++) {
        outbuf_reset(&out);
        ah_sh(&out,
              "curl -s %s --cacert %s/certs/ca.crt -o /dev/null -w '%%{http_code}' -H @%s "
              "%s/livez",
              v ? "--http1.1" : "--http2", h.dir, path, h.base_url);
        /* 200 KB of header: the connection is refused (000) or a 4xx, never served. */
        assert_true(out.data && (strcmp(out.data, "000") == 0 || out.data[0] == '4'));
    }
    /* 300 concurrent streams on one HTTP/2 connection: all answered, in batches of at most
     * 100 in flight (SETTINGS_MAX_CONCURRENT_STREAMS). */
    outbuf_reset(&out);
    assert_int_equal(ah_sh(&out,
                           "h2load -n 300 -c 1 -m 300 -H 'authorization: Bearer %s' "
                           "%s/livez 2>&1 | grep -E '^status codes'",
                           AH_READ_TOKEN, h.base_url),
                     0);
    assert_non_null(strstr(out.data, "300 2xx"));
    outbuf_done(&out);
    assert_int_equal(ah_get(&h, "/livez", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200); /* still serving */
    outbuf_done(&r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_over_http2),
        cmocka_unit_test(test_shipment_auth_and_bad_input_store_nothing),
        cmocka_unit_test(test_full_then_delta_serves_exact_json),
        cmocka_unit_test(test_selectors_and_errors),
        cmocka_unit_test(test_custom_metrics),
        cmocka_unit_test(test_real_clients_curl_nghttp_kubectl_protoc),
        cmocka_unit_test(test_silent_node_dropped_and_health),
        cmocka_unit_test(test_header_and_stream_limits),
        /* Last: it takes seconds, in which node-1 would expire under the test above. */
        cmocka_unit_test(test_node_selector_flag),
        /* Last, with test_node_selector_flag: a second aggregator rewrites the kubeconfig. */
        cmocka_unit_test(test_expose_pod_signals_flag),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
