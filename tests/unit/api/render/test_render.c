/* The Metrics API renderers: Go-exact value formats, byte-exact JSON, protobuf decoded by hand
 * (and by protoc --decode_raw when installed), Tables, Status, and a timing print at 300,000
 * containers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "render/render.h"
#include "lib/test_util.h"

#define V1B1 "metrics.k8s.io/v1beta1"
#define NS 1000000000LL

/* ---- helpers ------------------------------------------------------------------------------ */

static int64_t utc_ns(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm) * NS;
}

static json_t *parse_ok(const struct outbuf *b)
{
    json_error_t err;
    json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &err);

    if (!j) fail_msg("invalid JSON (%s at %d): %.*s", err.text, err.position, (int)b->len, b->data);
    return j;
}

typedef void (*fmt_u64_fn)(struct outbuf *, uint64_t);

static void check_u64(fmt_u64_fn f, uint64_t v, const char *want)
{
    struct outbuf b;

    outbuf_init(&b);
    f(&b, v);
    assert_false(b.failed);
    if (strcmp(b.data, want) != 0)
        fail_msg("%llu: got \"%s\", want \"%s\"", (unsigned long long)v, b.data, want);
    outbuf_done(&b);
}

static void check_dur(int64_t ns, const char *want)
{
    struct outbuf b;

    outbuf_init(&b);
    format_go_duration(&b, ns);
    if (strcmp(b.data, want) != 0)
        fail_msg("%lld: got \"%s\", want \"%s\"", (long long)ns, b.data, want);
    outbuf_done(&b);
}

/* ---- a minimal protobuf reader ----------------------------------------------------------- */

struct pbf {
    uint32_t num;
    unsigned wt;
    uint64_t v;       /* varint value */
    const uint8_t *p; /* length-delimited payload */
    size_t n;
};

static bool rd_varint(const uint8_t **cur, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;

    for (int shift = 0; shift < 64 && *cur < end; shift += 7) {
        uint8_t c = *(*cur)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static bool pb_next(const uint8_t **cur, const uint8_t *end, struct pbf *f)
{
    uint64_t key, len;

    if (*cur >= end || !rd_varint(cur, end, &key)) return false;
    f->num = (uint32_t)(key >> 3);
    f->wt = (unsigned)(key & 7);
    f->p = NULL;
    f->n = 0;
    f->v = 0;
    if (f->wt == 0) return rd_varint(cur, end, &f->v);
    if (f->wt == 2) {
        if (!rd_varint(cur, end, &len) || len > (uint64_t)(end - *cur)) return false;
        f->p = *cur;
        f->n = (size_t)len;
        *cur += len;
        return true;
    }
    return false; /* we never emit other wire types */
}

/* Checks the whole message parses, fields ascend (gogo order), and returns the field count. */
static size_t pb_validate(const uint8_t *p, size_t n)
{
    const uint8_t *cur = p, *end = p + n;
    struct pbf f;
    uint32_t last = 0;
    size_t count = 0;

    while (cur < end) {
        assert_true(pb_next(&cur, end, &f));
        assert_true(f.num >= last);
        last = f.num;
        count++;
    }
    assert_ptr_equal(cur, end);
    return count;
}

/* idx-th occurrence of field num. */
static bool pb_get(const uint8_t *p, size_t n, uint32_t num, size_t idx, struct pbf *out)
{
    const uint8_t *cur = p, *end = p + n;

    while (pb_next(&cur, end, out))
        if (out->num == num && idx-- == 0) return true;
    return false;
}

static size_t pb_count(const uint8_t *p, size_t n, uint32_t num)
{
    const uint8_t *cur = p, *end = p + n;
    struct pbf f;
    size_t c = 0;

    while (pb_next(&cur, end, &f))
        c += f.num == num;
    return c;
}

static void pb_expect_str(const uint8_t *p, size_t n, uint32_t num, const char *want)
{
    struct pbf f;

    assert_true(pb_get(p, n, num, 0, &f));
    assert_int_equal(f.wt, 2);
    if (f.n != strlen(want) || memcmp(f.p, want, f.n) != 0)
        fail_msg("field %u: got \"%.*s\", want \"%s\"", num, (int)f.n, (const char *)f.p, want);
}

static uint64_t pb_expect_varint(const uint8_t *p, size_t n, uint32_t num)
{
    struct pbf f;

    assert_true(pb_get(p, n, num, 0, &f));
    assert_int_equal(f.wt, 0);
    return f.v;
}

static struct pbf pb_expect_msg(const uint8_t *p, size_t n, uint32_t num, size_t idx)
{
    struct pbf f;

    assert_true(pb_get(p, n, num, idx, &f));
    assert_int_equal(f.wt, 2);
    pb_validate(f.p, f.n);
    return f;
}

/* Time{seconds=1, nanos=2}. */
static void pb_expect_time(struct pbf t, int64_t ns)
{
    assert_int_equal(pb_count(t.p, t.n, 1), 1);
    assert_int_equal((int64_t)pb_expect_varint(t.p, t.n, 1), ns / NS);
    assert_int_equal(pb_expect_varint(t.p, t.n, 2), 0);
}

/* usage map entry idx: {key=1, value=2 Quantity{string=1}}. */
static void pb_expect_usage(const uint8_t *p, size_t n, uint32_t num, size_t idx, const char *key,
                            const char *qty)
{
    struct pbf e = pb_expect_msg(p, n, num, idx), q;

    pb_expect_str(e.p, e.n, 1, key);
    q = pb_expect_msg(e.p, e.n, 2, 0);
    pb_expect_str(q.p, q.n, 1, qty);
}

/* Checks "k8s\0" + Unknown{typeMeta, raw, "", ""} and returns the raw object. */
static struct pbf pb_unwrap(const struct outbuf *b, size_t off, const char *apiv, const char *kind)
{
    const uint8_t *p = (const uint8_t *)b->data + off;
    size_t n = b->len - off;
    struct pbf tm, raw, f;

    assert_true(n > 4);
    assert_memory_equal(p, "k8s\0", 4);
    p += 4;
    n -= 4;
    assert_int_equal(pb_validate(p, n), 4);
    tm = pb_expect_msg(p, n, 1, 0);
    pb_expect_str(tm.p, tm.n, 1, apiv);
    pb_expect_str(tm.p, tm.n, 2, kind);
    raw = pb_expect_msg(p, n, 2, 0);
    assert_true(pb_get(p, n, 3, 0, &f));
    assert_int_equal(f.n, 0);
    assert_true(pb_get(p, n, 4, 0, &f));
    assert_int_equal(f.n, 0);
    return raw;
}

/* Runs protoc --decode_raw over the object bytes; returns malloc'd text or NULL if absent. */
static char *protoc_decode(const uint8_t *p, size_t n)
{
    char path[] = "/tmp/test_render_pbXXXXXX", cmd[256], *out;
    size_t cap = 1 << 16, len = 0, r;
    FILE *f;
    int fd;

    if (system("command -v protoc >/dev/null 2>&1") != 0) return NULL;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    snprintf(cmd, sizeof(cmd), "protoc --decode_raw < %s", path);
    f = popen(cmd, "r");
    assert_non_null(f);
    out = malloc(cap);
    while ((r = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (len + 1 == cap) out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    assert_int_equal(pclose(f), 0);
    unlink(path);
    return out;
}

static void expect_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("missing \"%s\" in:\n%s", needle, hay);
}

/* ---- fixtures ------------------------------------------------------------------------------ */

static const struct label_view node_labels[] = {{"kubernetes.io/hostname", "node-1"}};

static struct node_metrics_view sample_node(void)
{
    struct node_metrics_view n = {
        .meta = {.name = "node-1",
                 .creation_ns = utc_ns(2026, 8, 4, 10, 0, 5),
                 .labels = node_labels,
                 .nlabels = 1},
        .timestamp_ns = utc_ns(2026, 8, 4, 9, 59, 52) + 123456789, /* fraction truncated */
        .window_ns = 15003000000LL,
        .usage = {.cpu_nanocores = 123456789, .memory_bytes = 1234568ULL * 1024},
    };
    return n;
}

static const struct label_view pod_labels[] = {{"app", "web"}, {"tier", "front"}};
static const struct container_metrics_view pod_containers[] = {
    {"istio-proxy", {.cpu_nanocores = 2000000, .memory_bytes = 52428800}},
    {"nginx", {.cpu_nanocores = 7338891, .memory_bytes = 14868480}},
};

static struct pod_metrics_view sample_pod(void)
{
    struct pod_metrics_view p = {
        .meta = {.name = "web-0",
                 .namespace_ = "default",
                 .creation_ns = utc_ns(2026, 8, 4, 10, 0, 5),
                 .labels = pod_labels,
                 .nlabels = 2},
        .timestamp_ns = utc_ns(2026, 8, 4, 9, 59, 52),
        .window_ns = 15 * NS,
        .containers = pod_containers,
        .ncontainers = 2,
    };
    return p;
}

static void expect_json(void (*render)(struct outbuf *), const char *want)
{
    struct outbuf b;
    json_t *j;

    outbuf_init(&b);
    render(&b);
    assert_false(b.failed);
    assert_int_equal(strlen(b.data), b.len);
    if (strcmp(b.data, want) != 0) fail_msg("got:\n%s\nwant:\n%s", b.data, want);
    j = parse_ok(&b);
    json_decref(j);
    outbuf_done(&b);
}

/* ---- value formats --------------------------------------------------------------------------- */

static void test_cpu_quantity(void **state)
{
    static const struct {
        uint64_t v;
        const char *s;
    } t[] = {
        {0, "0"},
        {1, "1n"},
        {10, "10n"},
        {100, "100n"},
        {999, "999n"},
        {1000, "1u"},
        {1001, "1001n"},
        {1010, "1010n"},
        {12000, "12u"},
        {999999, "999999n"},
        {1000000, "1m"},
        {1500000, "1500u"},
        {1000100, "1000100n"},
        {7338891, "7338891n"},
        {250000000, "250m"},
        {999000000, "999m"},
        {999999999, "999999999n"},
        {1000000000, "1"},
        {1500000000, "1500m"},
        {2000000000, "2"},
        {10000000000ULL, "10"},
        {100000000000ULL, "100"},
        {1000000000000ULL, "1k"}, /* Go's DecimalSI keeps going past cores */
        {1200000000000ULL, "1200"},
        {1000000000000000ULL, "1M"},
        {10000000000000000000ULL, "10G"},
        {9223372036854775807ULL, "9223372036854775807n"},
        {9223372036854775808ULL, "9223372036854775808n"},
        {18446744073709551615ULL, "18446744073709551615n"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        check_u64(format_cpu_quantity, t[i].v, t[i].s);
}

static void test_memory_quantity(void **state)
{
    static const struct {
        uint64_t v;
        const char *s;
    } t[] = {
        {0, "0"},
        {1, "1"},
        {10, "10"},
        {100, "100"},
        {500, "500"},
        {999, "999"},
        {1000, "1k"}, /* < 1024: Go's CanonicalizeBytes falls back to DecimalSI */
        {1023, "1023"},
        {1024, "1Ki"},
        {1025, "1025"},
        {1536, "1536"},
        {2000, "2000"}, /* >= 1024 stays BinarySI: no decimal suffix */
        {2048, "2Ki"},
        {1024000, "1000Ki"},
        {14868480, "14520Ki"},
        {52428800, "50Mi"},
        {1ULL << 30, "1Gi"},
        {3ULL << 30, "3Gi"},
        {(1ULL << 30) + 1024, "1048577Ki"},
        {1ULL << 40, "1Ti"},
        {1ULL << 50, "1Pi"},
        {1ULL << 60, "1Ei"},
        {1ULL << 62, "4Ei"},
        {1ULL << 63, "8Ei"},
        {9223372036854775807ULL, "9223372036854775807"},
        {18446744073709551615ULL, "18446744073709551615"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        check_u64(format_memory_quantity, t[i].v, t[i].s);
}

static void test_go_duration(void **state)
{
    (void)state;
    check_dur(0, "0s");
    check_dur(1, "1ns");
    check_dur(999, "999ns");
    check_dur(1000, "1\xc2\xb5s");
    check_dur(1500, "1.5\xc2\xb5s");
    check_dur(2000, "2µs");
    check_dur(999999, "999.999µs");
    check_dur(1000000, "1ms");
    check_dur(1234567, "1.234567ms");
    check_dur(500000000, "500ms");
    check_dur(999999999, "999.999999ms");
    check_dur(NS, "1s");
    check_dur(NS + 1, "1.000000001s");
    check_dur(1500000000, "1.5s");
    check_dur(15 * NS, "15s");
    check_dur(15003000000LL, "15.003s");
    check_dur(59 * NS, "59s");
    check_dur(60 * NS, "1m0s");
    check_dur(90500000000LL, "1m30.5s");
    check_dur(3600 * NS, "1h0m0s");
    check_dur(3661 * NS, "1h1m1s");
    check_dur(-1500000000, "-1.5s");
    check_dur(-1, "-1ns");
    check_dur(INT64_MAX, "2562047h47m16.854775807s");
    check_dur(INT64_MIN, "-2562047h47m16.854775808s");
}

static void test_rfc3339(void **state)
{
    struct outbuf b;
    char want[32];

    (void)state;
    outbuf_init(&b);
    format_rfc3339(&b, 0);
    assert_string_equal(b.data, "1970-01-01T00:00:00Z");
    outbuf_reset(&b);
    format_rfc3339(&b, utc_ns(2026, 8, 4, 9, 59, 52) + 999999999);
    assert_string_equal(b.data, "2026-08-04T09:59:52Z");
    outbuf_reset(&b);
    format_rfc3339(&b, -1); /* floors, as Go's Unix() does */
    assert_string_equal(b.data, "1969-12-31T23:59:59Z");
    outbuf_reset(&b);
    format_rfc3339(&b, utc_ns(2000, 2, 29, 23, 59, 59));
    assert_string_equal(b.data, "2000-02-29T23:59:59Z");
    /* Sweep against gmtime_r: every ~37 hours from 1900 to 2200. */
    for (int64_t s = -2208988800LL; s < 7258118400LL; s += 133337) {
        time_t t = (time_t)s;
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
        outbuf_reset(&b);
        format_rfc3339(&b, s * NS + 7);
        if (strcmp(b.data, want) != 0) fail_msg("%lld: got %s want %s", (long long)s, b.data, want);
    }
    outbuf_done(&b);
}

static void test_json_escape(void **state)
{
    struct outbuf b;
    json_t *j;

    (void)state;
    outbuf_init(&b);
    json_put_string(&b, "a\"b\\c\n\r\t\x01\x1f/é☃😀\xe2\x80\xa8<>&");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f/é☃😀\\u2028<>&\"");
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "a\"b\\c\n\r\t\x01\x1f/é☃😀\xe2\x80\xa8<>&");
    json_decref(j);
    /* Invalid UTF-8 (stray continuation, truncated sequence, surrogate, overlong) becomes
     * U+FFFD per byte, as Go does, so strict parsers still accept the document. */
    outbuf_reset(&b);
    json_put_string(&b, "x\x80y\xe2\x82z\xed\xa0\x80\xc0\xaf\xff");
    assert_string_equal(b.data,
                        "\"x\\ufffdy\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    json_decref(j);
    outbuf_reset(&b);
    json_put_string(&b, "");
    assert_string_equal(b.data, "\"\"");
    outbuf_done(&b);
}

/* ---- JSON objects ------------------------------------------------------------------------- */

static void r_node(struct outbuf *b)
{
    struct node_metrics_view n = sample_node();
    render_node_json(b, V1B1, &n);
}

static void test_node_json(void **state)
{
    (void)state;
    expect_json(r_node, "{\"kind\":\"NodeMetrics\",\"apiVersion\":\"metrics.k8s.io/v1beta1\","
                        "\"metadata\":{\"name\":\"node-1\",\"creationTimestamp\":"
                        "\"2026-08-04T10:00:05Z\",\"labels\":{\"kubernetes.io/hostname\":"
                        "\"node-1\"}},\"timestamp\":\"2026-08-04T09:59:52Z\",\"window\":"
                        "\"15.003s\",\"usage\":{\"cpu\":\"123456789n\",\"memory\":"
                        "\"1234568Ki\"}}");
}

static void r_pod(struct outbuf *b)
{
    struct pod_metrics_view p = sample_pod();
    render_pod_json(b, V1B1, &p);
}

static void test_pod_json(void **state)
{
    (void)state;
    expect_json(r_pod,
                "{\"kind\":\"PodMetrics\",\"apiVersion\":\"metrics.k8s.io/v1beta1\","
                "\"metadata\":{\"name\":\"web-0\",\"namespace\":\"default\","
                "\"creationTimestamp\":\"2026-08-04T10:00:05Z\",\"labels\":{\"app\":\"web\","
                "\"tier\":\"front\"}},\"timestamp\":\"2026-08-04T09:59:52Z\",\"window\":\"15s\","
                "\"containers\":[{\"name\":\"istio-proxy\",\"usage\":{\"cpu\":\"2m\","
                "\"memory\":\"50Mi\"}},{\"name\":\"nginx\",\"usage\":{\"cpu\":\"7338891n\","
                "\"memory\":\"14520Ki\"}}]}");
}

static void r_node_list_empty(struct outbuf *b)
{
    render_node_list_json(b, V1B1, NULL, 0);
}
static void r_pod_list_empty(struct outbuf *b)
{
    render_pod_list_json(b, "metrics.k8s.io/v1", NULL, 0);
}

static void r_node_list_two(struct outbuf *b)
{
    struct node_metrics_view n[2] = {sample_node(), sample_node()};

    n[1].meta.name = "node-2";
    n[1].meta.nlabels = 0;
    n[1].window_ns = 60 * NS;
    n[1].usage.cpu_nanocores = 2000000000;
    n[1].usage.memory_bytes = 1000;
    n[1].usage.has_swap = true;
    n[1].usage.swap_bytes = 1 << 20;
    render_node_list_json(b, V1B1, n, 2);
}

static void r_pod_list_two(struct outbuf *b)
{
    struct pod_metrics_view p[2] = {sample_pod(), sample_pod()};

    p[1].meta.name = "web-1";
    p[1].meta.nlabels = 0;
    p[1].ncontainers = 0;
    render_pod_list_json(b, V1B1, p, 2);
}

static void test_lists_json(void **state)
{
    (void)state;
    expect_json(r_node_list_empty, "{\"kind\":\"NodeMetricsList\",\"apiVersion\":"
                                   "\"metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[]}");
    expect_json(r_pod_list_empty, "{\"kind\":\"PodMetricsList\",\"apiVersion\":"
                                  "\"metrics.k8s.io/v1\",\"metadata\":{},\"items\":[]}");
    expect_json(r_node_list_two,
                "{\"kind\":\"NodeMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\","
                "\"metadata\":{},\"items\":[{\"metadata\":{\"name\":\"node-1\","
                "\"creationTimestamp\":\"2026-08-04T10:00:05Z\",\"labels\":{"
                "\"kubernetes.io/hostname\":\"node-1\"}},\"timestamp\":\"2026-08-04T09:59:52Z\","
                "\"window\":\"15.003s\",\"usage\":{\"cpu\":\"123456789n\",\"memory\":"
                "\"1234568Ki\"}},{\"metadata\":{\"name\":\"node-2\",\"creationTimestamp\":"
                "\"2026-08-04T10:00:05Z\"},\"timestamp\":\"2026-08-04T09:59:52Z\",\"window\":"
                "\"1m0s\",\"usage\":{\"cpu\":\"2\",\"memory\":\"1k\",\"swap\":\"1Mi\"}}]}");
    expect_json(r_pod_list_two,
                "{\"kind\":\"PodMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\","
                "\"metadata\":{},\"items\":[{\"metadata\":{\"name\":\"web-0\",\"namespace\":"
                "\"default\",\"creationTimestamp\":\"2026-08-04T10:00:05Z\",\"labels\":{"
                "\"app\":\"web\",\"tier\":\"front\"}},\"timestamp\":\"2026-08-04T09:59:52Z\","
                "\"window\":\"15s\",\"containers\":[{\"name\":\"istio-proxy\",\"usage\":{"
                "\"cpu\":\"2m\",\"memory\":\"50Mi\"}},{\"name\":\"nginx\",\"usage\":{\"cpu\":"
                "\"7338891n\",\"memory\":\"14520Ki\"}}]},{\"metadata\":{\"name\":\"web-1\","
                "\"namespace\":\"default\",\"creationTimestamp\":\"2026-08-04T10:00:05Z\"},"
                "\"timestamp\":\"2026-08-04T09:59:52Z\",\"window\":\"15s\","
                "\"containers\":[]}]}");
}

static const char hostile[] = "we\"ird\\na\nme\x01\x7f-é☃😀";

static void test_hostile_names_json(void **state)
{
    static const struct label_view labels[] = {{"a\"k", "v\\1"}, {"z\t", "\xff"}};
    static const struct container_metrics_view cs[] = {{hostile, {.cpu_nanocores = 1}}};
    struct pod_metrics_view p = sample_pod();
    struct outbuf b;
    json_t *j, *meta, *c0;

    (void)state;
    p.meta.name = hostile;
    p.meta.namespace_ = "n\"s";
    p.meta.labels = labels;
    p.meta.nlabels = 2;
    p.containers = cs;
    p.ncontainers = 1;
    outbuf_init(&b);
    render_pod_json(&b, V1B1, &p);
    j = parse_ok(&b);
    meta = json_object_get(j, "metadata");
    assert_string_equal(json_string_value(json_object_get(meta, "name")), hostile);
    assert_string_equal(json_string_value(json_object_get(meta, "namespace")), "n\"s");
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "labels"), "a\"k")),
                        "v\\1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "labels"), "z\t")),
                        "\xef\xbf\xbd");
    c0 = json_array_get(json_object_get(j, "containers"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "name")), hostile);
    json_decref(j);

    /* The same through the table and a Status message. */
    outbuf_reset(&b);
    render_pod_table(&b, "meta.k8s.io/v1", &p, 1);
    j = parse_ok(&b);
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_array_get(json_object_get(j, "rows"), 0), "cells"), 0)),
        hostile);
    json_decref(j);
    outbuf_reset(&b);
    render_status_json(&b, 404, "NotFound", hostile, hostile, "podmetrics");
    j = parse_ok(&b);
    assert_string_equal(json_string_value(json_object_get(j, "message")), hostile);
    json_decref(j);
    outbuf_done(&b);
}

static void test_creation_now_and_prefix(void **state)
{
    struct node_metrics_view n = sample_node();
    struct outbuf b;
    json_t *j;
    const char *ct;
    struct tm tm = {0};
    time_t t;

    (void)state;
    n.meta.creation_ns = 0;
    outbuf_init(&b);
    outbuf_puts(&b, "["); /* renderers append, never overwrite */
    render_node_json(&b, V1B1, &n);
    outbuf_puts(&b, "]");
    j = parse_ok(&b);
    ct = json_string_value(
        json_object_get(json_object_get(json_array_get(j, 0), "metadata"), "creationTimestamp"));
    assert_non_null(ct);
    assert_non_null(strptime(ct, "%Y-%m-%dT%H:%M:%SZ", &tm));
    t = timegm(&tm);
    assert_true(llabs((long long)(t - time(NULL))) <= 5);
    json_decref(j);
    outbuf_done(&b);
}

/* ---- Table and Status --------------------------------------------------------------------- */

static void test_tables(void **state)
{
    static const char *const cols[] = {"Name", "CPU", "Memory", "Window"};
    struct pod_metrics_view p[2] = {sample_pod(), sample_pod()};
    struct node_metrics_view n = sample_node();
    struct outbuf b;
    json_t *j, *row, *cells, *obj, *defs;

    (void)state;
    p[1].meta.name = "empty";
    p[1].ncontainers = 0;
    outbuf_init(&b);
    render_pod_table(&b, "meta.k8s.io/v1", p, 2);
    j = parse_ok(&b);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "Table");
    assert_string_equal(json_string_value(json_object_get(j, "apiVersion")), "meta.k8s.io/v1");
    defs = json_object_get(j, "columnDefinitions");
    assert_int_equal(json_array_size(defs), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *d = json_array_get(defs, i);
        assert_string_equal(json_string_value(json_object_get(d, "name")), cols[i]);
        assert_string_equal(json_string_value(json_object_get(d, "type")), "string");
        assert_int_equal(json_integer_value(json_object_get(d, "priority")), 0);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(defs, 0), "format")),
                        "name");
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 2);
    row = json_array_get(json_object_get(j, "rows"), 0);
    cells = json_object_get(row, "cells");
    assert_int_equal(json_array_size(cells), 4);
    assert_string_equal(json_string_value(json_array_get(cells, 0)), "web-0");
    /* 2000000 + 7338891 n; 52428800 + 14868480 B = 67297280 = 65720Ki */
    assert_string_equal(json_string_value(json_array_get(cells, 1)), "9338891n");
    assert_string_equal(json_string_value(json_array_get(cells, 2)), "65720Ki");
    assert_string_equal(json_string_value(json_array_get(cells, 3)), "15s");
    obj = json_object_get(row, "object");
    assert_string_equal(json_string_value(json_object_get(obj, "kind")), "PartialObjectMetadata");
    assert_string_equal(json_string_value(json_object_get(obj, "apiVersion")), "meta.k8s.io/v1");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace")),
        "default");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "creationTimestamp")),
        "2026-08-04T10:00:05Z");
    cells = json_object_get(json_array_get(json_object_get(j, "rows"), 1), "cells");
    assert_string_equal(json_string_value(json_array_get(cells, 1)), "0");
    assert_string_equal(json_string_value(json_array_get(cells, 2)), "0");
    json_decref(j);

    outbuf_reset(&b);
    render_node_table(&b, "meta.k8s.io/v1beta1", &n, 1);
    j = parse_ok(&b);
    assert_string_equal(json_string_value(json_object_get(j, "apiVersion")), "meta.k8s.io/v1beta1");
    row = json_array_get(json_object_get(j, "rows"), 0);
    cells = json_object_get(row, "cells");
    assert_string_equal(json_string_value(json_array_get(cells, 0)), "node-1");
    assert_string_equal(json_string_value(json_array_get(cells, 1)), "123456789n");
    assert_string_equal(json_string_value(json_array_get(cells, 2)), "1234568Ki");
    assert_string_equal(json_string_value(json_array_get(cells, 3)), "15.003s");
    obj = json_object_get(json_object_get(row, "object"), "metadata");
    assert_null(json_object_get(obj, "namespace"));
    assert_string_equal(json_string_value(json_object_get(obj, "name")), "node-1");
    json_decref(j);

    outbuf_reset(&b);
    render_node_table(&b, "meta.k8s.io/v1", NULL, 0);
    j = parse_ok(&b);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "columnDefinitions")), 4);
    json_decref(j);
    outbuf_done(&b);
}

static void r_status_404(struct outbuf *b)
{
    render_status_json(b, 404, "NotFound", "podmetrics.metrics.k8s.io \"ns/name\" not found",
                       "ns/name", "podmetrics");
}

static void r_status_400(struct outbuf *b)
{
    render_status_json(b, 400, "BadRequest", "bad selector", NULL, NULL);
}

static void test_status_json(void **state)
{
    (void)state;
    expect_json(r_status_404,
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                "\"Failure\",\"message\":\"podmetrics.metrics.k8s.io \\\"ns/name\\\" not found\","
                "\"reason\":\"NotFound\",\"details\":{\"name\":\"ns/name\",\"group\":"
                "\"metrics.k8s.io\",\"kind\":\"podmetrics\"},\"code\":404}");
    expect_json(r_status_400, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                              "\"status\":\"Failure\",\"message\":\"bad selector\",\"reason\":"
                              "\"BadRequest\",\"code\":400}");
}

/* ---- protobuf ------------------------------------------------------------------------------ */

static void test_node_pb(void **state)
{
    struct node_metrics_view n = sample_node();
    struct outbuf b;
    struct pbf raw, meta, f;
    char *txt;

    (void)state;
    outbuf_init(&b);
    outbuf_puts(&b, "PFX");
    render_node_pb(&b, V1B1, &n);
    assert_false(b.failed);
    assert_memory_equal(b.data, "PFX", 3);
    raw = pb_unwrap(&b, 3, V1B1, "NodeMetrics");
    assert_int_equal(pb_validate(raw.p, raw.n), 5); /* metadata, timestamp, window, 2 usage */
    meta = pb_expect_msg(raw.p, raw.n, 1, 0);
    pb_expect_str(meta.p, meta.n, 1, "node-1");
    assert_int_equal(pb_count(meta.p, meta.n, 3), 0);
    pb_expect_time(pb_expect_msg(meta.p, meta.n, 8, 0), n.meta.creation_ns);
    f = pb_expect_msg(meta.p, meta.n, 11, 0);
    pb_expect_str(f.p, f.n, 1, "kubernetes.io/hostname");
    pb_expect_str(f.p, f.n, 2, "node-1");
    pb_expect_time(pb_expect_msg(raw.p, raw.n, 2, 0), n.timestamp_ns);
    f = pb_expect_msg(raw.p, raw.n, 3, 0);
    assert_int_equal(pb_expect_varint(f.p, f.n, 1), 15003000000ULL);
    assert_int_equal(pb_count(raw.p, raw.n, 4), 2);
    pb_expect_usage(raw.p, raw.n, 4, 0, "cpu", "123456789n");
    pb_expect_usage(raw.p, raw.n, 4, 1, "memory", "1234568Ki");

    txt = protoc_decode(raw.p, raw.n);
    if (txt) {
        expect_contains(txt, "1 {\n  1: \"node-1\"");
        expect_contains(txt, "8 {\n    1: 1785837605\n    2: 0\n  }");
        expect_contains(txt, "11 {\n    1: \"kubernetes.io/hostname\"\n    2: \"node-1\"");
        expect_contains(txt, "2 {\n  1: 1785837592\n  2: 0\n}");
        expect_contains(txt, "3 {\n  1: 15003000000\n}");
        expect_contains(txt, "4 {\n  1: \"cpu\"\n  2 {\n    1: \"123456789n\"\n  }\n}");
        /* "1234568Ki" happens to parse as a message, so protoc shows it as one. */
        expect_contains(txt, "4 {\n  1: \"memory\"\n  2 {\n    1 {");
        free(txt);
    } else {
        print_message("protoc not installed: skipped --decode_raw cross-check\n");
    }
    outbuf_done(&b);
}

static void test_pod_list_pb(void **state)
{
    static const struct container_metrics_view swap_c[] = {
        {"c", {.cpu_nanocores = 0, .memory_bytes = 0, .has_swap = true, .swap_bytes = 4096}}};
    struct pod_metrics_view p[3] = {sample_pod(), sample_pod(), sample_pod()};
    struct outbuf b;
    struct pbf raw, item, meta, c, f;
    char *txt;

    (void)state;
    p[1].meta.name = "web-1";
    p[1].meta.nlabels = 0;
    p[1].window_ns = -1; /* negative int64: 10-byte varint */
    p[1].containers = swap_c;
    p[1].ncontainers = 1;
    p[2].meta.name = "web-2";
    p[2].ncontainers = 0;
    outbuf_init(&b);
    render_pod_list_pb(&b, "metrics.k8s.io/v1", p, 3);
    raw = pb_unwrap(&b, 0, "metrics.k8s.io/v1", "PodMetricsList");
    assert_int_equal(pb_validate(raw.p, raw.n), 4);
    f = pb_expect_msg(raw.p, raw.n, 1, 0);
    assert_int_equal(f.n, 0);
    assert_int_equal(pb_count(raw.p, raw.n, 2), 3);

    item = pb_expect_msg(raw.p, raw.n, 2, 0);
    meta = pb_expect_msg(item.p, item.n, 1, 0);
    pb_expect_str(meta.p, meta.n, 1, "web-0");
    pb_expect_str(meta.p, meta.n, 3, "default");
    assert_int_equal(pb_count(meta.p, meta.n, 11), 2);
    f = pb_expect_msg(meta.p, meta.n, 11, 1);
    pb_expect_str(f.p, f.n, 1, "tier");
    pb_expect_str(f.p, f.n, 2, "front");
    pb_expect_time(pb_expect_msg(item.p, item.n, 2, 0), p[0].timestamp_ns);
    f = pb_expect_msg(item.p, item.n, 3, 0);
    assert_int_equal(pb_expect_varint(f.p, f.n, 1), 15 * NS);
    assert_int_equal(pb_count(item.p, item.n, 4), 2);
    c = pb_expect_msg(item.p, item.n, 4, 1);
    pb_expect_str(c.p, c.n, 1, "nginx");
    pb_expect_usage(c.p, c.n, 2, 0, "cpu", "7338891n");
    pb_expect_usage(c.p, c.n, 2, 1, "memory", "14520Ki");

    item = pb_expect_msg(raw.p, raw.n, 2, 1);
    meta = pb_expect_msg(item.p, item.n, 1, 0);
    pb_expect_str(meta.p, meta.n, 1, "web-1");
    assert_int_equal(pb_count(meta.p, meta.n, 11), 0);
    f = pb_expect_msg(item.p, item.n, 3, 0);
    assert_int_equal((int64_t)pb_expect_varint(f.p, f.n, 1), -1);
    c = pb_expect_msg(item.p, item.n, 4, 0);
    assert_int_equal(pb_count(c.p, c.n, 2), 3);
    pb_expect_usage(c.p, c.n, 2, 0, "cpu", "0");
    pb_expect_usage(c.p, c.n, 2, 1, "memory", "0");
    pb_expect_usage(c.p, c.n, 2, 2, "swap", "4Ki");

    item = pb_expect_msg(raw.p, raw.n, 2, 2);
    assert_int_equal(pb_count(item.p, item.n, 4), 0);

    txt = protoc_decode(raw.p, raw.n);
    if (txt) {
        expect_contains(txt, "1: \"\"\n2 {"); /* protoc shows an empty message so */
        expect_contains(txt, "    1: \"web-0\"\n    3: \"default\"");
        expect_contains(txt, "1: \"nginx\"\n    2 {\n      1: \"cpu\"\n      2 {\n        1: "
                             "\"7338891n\"");
        expect_contains(txt, "1: \"swap\"\n      2 {\n        1: \"4Ki\"");
        expect_contains(txt, "1: 18446744073709551615"); /* window -1 as raw varint */
        free(txt);
    }
    outbuf_done(&b);
}

static void test_single_pod_and_empty_lists_pb(void **state)
{
    struct pod_metrics_view p = sample_pod();
    struct outbuf b;
    struct pbf raw;

    (void)state;
    outbuf_init(&b);
    render_pod_pb(&b, V1B1, &p);
    raw = pb_unwrap(&b, 0, V1B1, "PodMetrics");
    assert_int_equal(pb_count(raw.p, raw.n, 4), 2);
    outbuf_reset(&b);
    render_node_list_pb(&b, V1B1, NULL, 0);
    raw = pb_unwrap(&b, 0, V1B1, "NodeMetricsList");
    assert_int_equal(raw.n, 2); /* just the empty ListMeta */
    outbuf_reset(&b);
    render_pod_list_pb(&b, V1B1, NULL, 0);
    raw = pb_unwrap(&b, 0, V1B1, "PodMetricsList");
    assert_int_equal(raw.n, 2);
    outbuf_done(&b);
}

static void test_node_list_pb_and_growth(void **state)
{
    enum { BIG = 200000 };
    struct node_metrics_view n[2] = {sample_node(), sample_node()};
    char *bigname = malloc(BIG + 1);
    struct outbuf b;
    struct pbf raw, item, meta;

    (void)state;
    memset(bigname, 'x', BIG);
    bigname[BIG] = '\0';
    n[1].meta.name = bigname; /* far past the estimate: forces the reverse buffer to grow */
    outbuf_init(&b);
    outbuf_puts(&b, "keep-me");
    render_node_list_pb(&b, V1B1, n, 2);
    assert_false(b.failed);
    assert_memory_equal(b.data, "keep-me", 7);
    raw = pb_unwrap(&b, 7, V1B1, "NodeMetricsList");
    assert_int_equal(pb_count(raw.p, raw.n, 2), 2);
    item = pb_expect_msg(raw.p, raw.n, 2, 0);
    meta = pb_expect_msg(item.p, item.n, 1, 0);
    pb_expect_str(meta.p, meta.n, 1, "node-1");
    item = pb_expect_msg(raw.p, raw.n, 2, 1);
    meta = pb_expect_msg(item.p, item.n, 1, 0);
    pb_expect_str(meta.p, meta.n, 1, bigname);
    assert_int_equal(b.data[b.len], '\0');
    outbuf_done(&b);
    free(bigname);
}

static void test_status_pb(void **state)
{
    struct outbuf b;
    struct pbf raw, f;
    char *txt;

    (void)state;
    outbuf_init(&b);
    render_status_pb(&b, 404, "NotFound", "podmetrics.metrics.k8s.io \"ns/name\" not found",
                     "ns/name", "podmetrics");
    raw = pb_unwrap(&b, 0, "v1", "Status");
    assert_int_equal(pb_validate(raw.p, raw.n), 6);
    f = pb_expect_msg(raw.p, raw.n, 1, 0);
    assert_int_equal(f.n, 0);
    pb_expect_str(raw.p, raw.n, 2, "Failure");
    pb_expect_str(raw.p, raw.n, 3, "podmetrics.metrics.k8s.io \"ns/name\" not found");
    pb_expect_str(raw.p, raw.n, 4, "NotFound");
    f = pb_expect_msg(raw.p, raw.n, 5, 0);
    pb_expect_str(f.p, f.n, 1, "ns/name");
    pb_expect_str(f.p, f.n, 2, "metrics.k8s.io");
    pb_expect_str(f.p, f.n, 3, "podmetrics");
    assert_int_equal(pb_expect_varint(f.p, f.n, 5), 0);
    pb_expect_str(f.p, f.n, 6, "");
    assert_int_equal(pb_expect_varint(raw.p, raw.n, 6), 404);
    txt = protoc_decode(raw.p, raw.n);
    if (txt) {
        expect_contains(txt, "2: \"Failure\"");
        expect_contains(txt, "4: \"NotFound\"");
        expect_contains(txt, "5 {\n  1: \"ns/name\"\n  2: \"metrics.k8s.io\"\n  3: \"podmetrics\"");
        expect_contains(txt, "6: 404");
        free(txt);
    }

    outbuf_reset(&b);
    render_status_pb(&b, 403, "Forbidden", "no", NULL, NULL);
    raw = pb_unwrap(&b, 0, "v1", "Status");
    assert_int_equal(pb_count(raw.p, raw.n, 5), 0);
    assert_int_equal(pb_expect_varint(raw.p, raw.n, 6), 403);
    outbuf_done(&b);
}

/* ---- scale ------------------------------------------------------------------------------- */

static void test_scale_timing(void **state)
{
    enum { PODS = 150000, PER = 2, ROUNDS = 6 };
    static const struct label_view labels[] = {{"app", "web"}, {"pod-template-hash", "5d4f8c7b9"}};
    struct pod_metrics_view *pods = calloc(PODS, sizeof(*pods));
    struct container_metrics_view *cs = calloc((size_t)PODS * PER, sizeof(*cs));
    char(*names)[32] = calloc(PODS, sizeof(*names));
    int64_t ts = utc_ns(2026, 8, 4, 9, 59, 52);
    double cold[3] = {0}, warm[3] = {1e9, 1e9, 1e9};
    struct outbuf b[3];
    json_t *j;

    (void)state;
    for (size_t i = 0; i < PODS; i++) {
        snprintf(names[i], sizeof(names[i]), "deploy-%zu-7f9c6d5b8-x2k4q", i);
        for (size_t k = 0; k < PER; k++) {
            struct container_metrics_view *c = &cs[i * PER + k];
            c->name = k ? "sidecar" : "app";
            c->usage.cpu_nanocores = 1000003ULL * (i % 977) + k;
            c->usage.memory_bytes = (uint64_t)(i % 4096 + 1) * 1024 * 1024 + k * 4096;
        }
        pods[i] = (struct pod_metrics_view){
            .meta = {.name = names[i],
                     .namespace_ = "production",
                     .creation_ns = 0,
                     .labels = labels,
                     .nlabels = 2},
            .timestamp_ns = ts + (int64_t)(i % 3) * NS,
            .window_ns = 15003000000LL,
            .containers = &cs[i * PER],
            .ncontainers = PER,
        };
    }
    /* Round 0 renders into a fresh buffer (page faults included), later rounds reuse it as a
     * server reusing its response buffers would. */
    for (int f = 0; f < 3; f++) {
        outbuf_init(&b[f]);
        for (int r = 0; r < ROUNDS; r++) {
            double t0 = tu_mono_s(), t;

            outbuf_reset(&b[f]);
            if (f == 0)
                render_pod_list_json(&b[f], V1B1, pods, PODS);
            else if (f == 1)
                render_pod_list_pb(&b[f], V1B1, pods, PODS);
            else
                render_pod_table(&b[f], "meta.k8s.io/v1", pods, PODS);
            t = (tu_mono_s() - t0) * 1e3;
            assert_false(b[f].failed);
            if (r == 0)
                cold[f] = t;
            else if (t < warm[f])
                warm[f] = t;
        }
    }
    print_message("timing, %d pods x %d containers, cold buffer / best warm of %d:\n"
                  "  JSON     %6.1f / %6.1f ms  (%.1f MB)\n"
                  "  protobuf %6.1f / %6.1f ms  (%.1f MB)\n"
                  "  Table    %6.1f / %6.1f ms  (%.1f MB)\n",
                  PODS, PER, ROUNDS - 1, cold[0], warm[0], (double)b[0].len / 1e6, cold[1], warm[1],
                  (double)b[1].len / 1e6, cold[2], warm[2], (double)b[2].len / 1e6);
    /* Validity of the big documents, after the timing: jansson's millions of small frees
     * would otherwise make glibc consolidate its heap inside the next timed malloc. */
    for (int f = 0; f < 3; f++) {
        if (f == 1) {
            struct pbf raw = pb_unwrap(&b[f], 0, V1B1, "PodMetricsList");
            assert_int_equal(pb_count(raw.p, raw.n, 2), PODS);
        } else {
            j = parse_ok(&b[f]);
            assert_int_equal(json_array_size(json_object_get(j, f ? "rows" : "items")), PODS);
            json_decref(j);
        }
        outbuf_done(&b[f]);
    }
    free(names);
    free(cs);
    free(pods);
}

/* A list built item by item, last first (as a LIST renders from the store), is byte for byte
 * the list rendered from an array of views. */
static void test_pod_list_pb_streamed_matches(void **state)
{
    struct container_metrics_view c[3] = {
        {.name = "app", .usage = {.cpu_nanocores = 250000000, .memory_bytes = 52428800}},
        {.name = "sidecar", .usage = {.cpu_nanocores = 7338891, .memory_bytes = 14868480}},
        {.name = "web", .usage = {.cpu_nanocores = 0, .memory_bytes = 1000, .has_swap = true}}};
    struct label_view labels[1] = {{"app", "web"}};
    struct pod_metrics_view pods[3] = {
        {.meta = {.name = "a", .namespace_ = "ns", .creation_ns = 1760000000 * 1000000000LL},
         .timestamp_ns = 1760000001 * 1000000000LL,
         .window_ns = 15000000000LL,
         .containers = c,
         .ncontainers = 2},
        {.meta = {.name = "b",
                  .namespace_ = "ns",
                  .creation_ns = 1760000000 * 1000000000LL,
                  .labels = labels,
                  .nlabels = 1},
         .timestamp_ns = 1760000002 * 1000000000LL,
         .window_ns = 14500000000LL,
         .containers = c + 2,
         .ncontainers = 1},
        {.meta = {.name = "c", .namespace_ = "other", .creation_ns = 1760000000 * 1000000000LL},
         .timestamp_ns = 1760000003 * 1000000000LL,
         .window_ns = 1,
         .containers = c,
         .ncontainers = 3}};
    struct outbuf whole, streamed;

    (void)state;
    outbuf_init(&whole);
    outbuf_init(&streamed);
    render_pod_list_pb(&whole, "metrics.k8s.io/v1beta1", pods, 3);
    /* An estimate far too small: the stream grows while items are prepended. */
    struct pod_list_pb *l = render_pod_list_pb_begin(&streamed, 8);
    assert_non_null(l);
    for (int i = 3; i-- > 0;)
        render_pod_list_pb_prepend(l, &pods[i]);
    render_pod_list_pb_end(l, "metrics.k8s.io/v1beta1");
    assert_false(streamed.failed);
    assert_int_equal(streamed.len, whole.len);
    assert_memory_equal(streamed.data, whole.data, whole.len);
    /* Empty, with an estimate far too large, after bytes already in the buffer. */
    outbuf_reset(&whole);
    outbuf_reset(&streamed);
    outbuf_append(&whole, "x", 1);
    outbuf_append(&streamed, "x", 1);
    render_pod_list_pb(&whole, "metrics.k8s.io/v1", pods, 0);
    l = render_pod_list_pb_begin(&streamed, 1 << 20);
    render_pod_list_pb_end(l, "metrics.k8s.io/v1");
    assert_int_equal(streamed.len, whole.len);
    assert_memory_equal(streamed.data, whole.data, whole.len);
    outbuf_done(&whole);
    outbuf_done(&streamed);
}

/* YAML: keys sorted, block style, and every string that YAML 1.1 would read as something
 * else (a number, a boolean, null, a timestamp, nothing) double-quoted; others plain. */
static void test_yaml_from_json(void **state)
{
    static const char json[] =
        "{\"zeta\":\"0\",\"alpha\":{\"b\":\"true\",\"a\":\"1e3\"},\"list\":[\"500m\","
        "\"2026-12-02T23:13:20Z\",\"\",\"null\",\"~\",\"yes\",\"a: b\",\"- x\",\"14520Ki\"],"
        "\"empty\":[],\"obj\":{},\"n\":404,\"t\":true}";
    static const char want[] = "alpha:\n"
                               "  a: \"1e3\"\n"
                               "  b: \"true\"\n"
                               "empty: []\n"
                               "list:\n"
                               "- 500m\n"
                               "- \"2026-12-02T23:13:20Z\"\n"
                               "- \"\"\n"
                               "- \"null\"\n"
                               "- \"~\"\n"
                               "- \"yes\"\n"
                               "- 'a: b'\n"
                               "- '- x'\n"
                               "- 14520Ki\n"
                               "n: 404\n"
                               "obj: {}\n"
                               "t: true\n"
                               "zeta: \"0\"\n";
    struct outbuf b;

    (void)state;
    outbuf_init(&b);
    assert_int_equal(render_yaml_from_json(&b, json, sizeof(json) - 1), 0);
    outbuf_putc(&b, '\0');
    assert_string_equal(b.data, want);
    outbuf_reset(&b);
    assert_int_equal(render_yaml_from_json(&b, "{not json", 9), -1);
    outbuf_done(&b);
}

/* Metadata only: each object's metadata as rendered, in PartialObjectMetadata[List]. */
static void test_partial_from_json(void **state)
{
    static const char list[] =
        "{\"kind\":\"PodMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{},"
        "\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"labels\":{\"app\":"
        "\"x\"}},\"timestamp\":\"t\",\"window\":\"15s\",\"containers\":[]},{\"metadata\":{"
        "\"name\":\"b\"}}]}";
    static const char one[] = "{\"kind\":\"NodeMetrics\",\"metadata\":{\"name\":\"n1\"},"
                              "\"usage\":{\"cpu\":\"1\"}}";
    struct outbuf b;

    (void)state;
    outbuf_init(&b);
    assert_int_equal(render_partial_from_json(&b, list, sizeof(list) - 1, true, "meta.k8s.io/v1"),
                     0);
    outbuf_putc(&b, '\0');
    assert_string_equal(
        b.data, "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/v1\","
                "\"metadata\":{},\"items\":[{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
                "\"meta.k8s.io/v1\",\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\","
                "\"labels\":{\"app\":\"x\"}}},{\"kind\":\"PartialObjectMetadata\","
                "\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"name\":\"b\"}}]}");
    outbuf_reset(&b);
    assert_int_equal(
        render_partial_from_json(&b, one, sizeof(one) - 1, false, "meta.k8s.io/v1beta1"), 0);
    outbuf_putc(&b, '\0');
    assert_string_equal(b.data, "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
                                "\"meta.k8s.io/v1beta1\",\"metadata\":{\"name\":\"n1\"}}");
    outbuf_reset(&b);
    /* The wrong form, or not JSON: refused. */
    assert_int_equal(render_partial_from_json(&b, one, sizeof(one) - 1, true, "meta.k8s.io/v1"),
                     -1);
    assert_int_equal(render_partial_from_json(&b, "[", 1, false, "meta.k8s.io/v1"), -1);
    outbuf_done(&b);
}

/* The same in protobuf, checked field by field against protoc --decode_raw when written:
 * typeMeta{apiVersion, kind}, raw = PartialObjectMetadataList{ListMeta{}, items: ObjectMeta
 * {name, namespace, creationTimestamp{seconds}, labels sorted by key}}, empty contentEncoding
 * and contentType. */
static void test_partial_pb_from_json(void **state)
{
    static const char list[] =
        "{\"kind\":\"PodMetricsList\",\"metadata\":{},\"items\":[{\"metadata\":{\"name\":\"a\","
        "\"namespace\":\"ns\",\"creationTimestamp\":\"2026-12-03T10:00:00Z\",\"labels\":{\"z\":"
        "\"1\",\"app\":\"x\"}},\"containers\":[]},{\"metadata\":{\"name\":\"b\"}}]}";
    static const char want[] =
        "k8s\0\x0a\x2b\x0a\x0emeta.k8s.io/v1\x12\x19PartialObjectMetadataList\x12\x2e\x0a\x00"
        "\x12\x23\x0a\x21\x0a\x01\x61\x1a\x02ns\x42\x06\x08\xa0\xfb\xc4\xd8\x06\x5a\x08\x0a"
        "\x03\x61pp\x12\x01x\x5a\x06\x0a\x01z\x12\x01\x31\x12\x05\x0a\x03\x0a\x01\x62\x1a\x00"
        "\x22\x00";
    static const char one[] = "{\"kind\":\"NodeMetrics\",\"metadata\":{\"name\":\"n1\"},"
                              "\"usage\":{\"cpu\":\"1\"}}";
    static const char want_one[] =
        "k8s\0\x0a\x2c\x0a\x13meta.k8s.io/v1beta1\x12\x15"
        "PartialObjectMetadata\x12\x06\x0a\x04\x0a\x02n1\x1a\x00\x22\x00";
    struct outbuf b;

    (void)state;
    outbuf_init(&b);
    assert_int_equal(
        render_partial_pb_from_json(&b, list, sizeof(list) - 1, true, "meta.k8s.io/v1"), 0);
    assert_int_equal(b.len, sizeof(want) - 1);
    assert_memory_equal(b.data, want, sizeof(want) - 1);
    outbuf_reset(&b);
    assert_int_equal(
        render_partial_pb_from_json(&b, one, sizeof(one) - 1, false, "meta.k8s.io/v1beta1"), 0);
    assert_int_equal(b.len, sizeof(want_one) - 1);
    assert_memory_equal(b.data, want_one, sizeof(want_one) - 1);
    outbuf_reset(&b);
    /* The wrong form, or not JSON: refused. */
    assert_int_equal(render_partial_pb_from_json(&b, one, sizeof(one) - 1, true, "meta.k8s.io/v1"),
                     -1);
    assert_int_equal(render_partial_pb_from_json(&b, "[", 1, false, "meta.k8s.io/v1"), -1);
    outbuf_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_quantity),
        cmocka_unit_test(test_memory_quantity),
        cmocka_unit_test(test_go_duration),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_node_json),
        cmocka_unit_test(test_pod_json),
        cmocka_unit_test(test_lists_json),
        cmocka_unit_test(test_hostile_names_json),
        cmocka_unit_test(test_creation_now_and_prefix),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_status_json),
        cmocka_unit_test(test_node_pb),
        cmocka_unit_test(test_pod_list_pb),
        cmocka_unit_test(test_single_pod_and_empty_lists_pb),
        cmocka_unit_test(test_node_list_pb_and_growth),
        cmocka_unit_test(test_status_pb),
        cmocka_unit_test(test_scale_timing),
        cmocka_unit_test(test_pod_list_pb_streamed_matches),
        cmocka_unit_test(test_yaml_from_json),
        cmocka_unit_test(test_partial_from_json),
        cmocka_unit_test(test_partial_pb_from_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
