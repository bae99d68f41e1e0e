/* Metrics API renderers: JSON, protobuf (Kubernetes envelope), Table and Status.
 *
 * Value formats follow Go exactly: quantities use apimachinery's CanonicalizeBytes rules,
 * durations time.Duration.String(), times metav1.Time (RFC 3339, whole seconds, UTC).
 *
 * JSON is written forwards with a cheap inline append. Protobuf is built back to front, as
 * gogo's MarshalToSizedBuffer does, so every enclosing length is known when it is written:
 * see the protobuf section. Both are single passes over the views. */
#include "render.h"

#include <string.h>

#include "clock.h"
#include "hex.h"

#define METRICS_GROUP "metrics.k8s.io"

/* ------------------------------------------------------------------------------------------ */
/* Forward appends. The fast path keeps one spare byte so the NUL terminator always fits. */

static inline void put(struct outbuf *b, const char *s, size_t n)
{
    if (!b->failed && b->cap - b->len > n) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    } else {
        outbuf_append(b, s, n);
    }
}

/* "" lit: only string literals, so sizeof is the literal's length, never a pointer's. */
#define PUTLIT(b, lit) put((b), "" lit, sizeof(lit) - 1)

/* Views may leave strings NULL; render them as "". */
static inline const char *nz(const char *s)
{
    return s ? s : "";
}

static inline void put_str(struct outbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* The inline fast path does not write the terminator; outbuf users expect one. */
static void terminate(struct outbuf *b)
{
    if (!b->failed && b->data && b->cap > b->len) b->data[b->len] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* Value formats into small caller buffers; each returns the length written at buf. */

enum { QTY_MAX = 32, DUR_MAX = 40, TIME_LEN = 20 };

/* Writes v's decimal digits so that they end at end; returns the count. */
static inline size_t digits_rev(char *end, uint64_t v)
{
    /* Two digits per division: the per-item number formatting is on the hot path. */
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    char *p = end;

    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return (size_t)(end - p);
}

static size_t put_u64_at(char *buf, uint64_t v)
{
    size_t n = 1;

    for (uint64_t t = v; t >= 10; t /= 10)
        n++;
    digits_rev(buf + n, v);
    return n;
}

/* Go's int64Amount.AsCanonicalBytes for value*10^exp10, then the DecimalSI suffix. */
static size_t decimal_si_str(char *buf, uint64_t v, int exp10)
{
    static const char *const suffix[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    size_t n;
    int idx;

    if (v == 0) {
        buf[0] = '0';
        return 1;
    }
    while (v >= 10 && v % 10 == 0) {
        v /= 10;
        exp10++;
    }
    /* Go's % truncates like C's: align the exponent down to a multiple of 3. The multiply
     * cannot overflow, it only restores zeros just removed. */
    switch (exp10 % 3) {
    case 1:
    case -2:
        v *= 10;
        exp10 -= 1;
        break;
    case 2:
    case -1:
        v *= 100;
        exp10 -= 2;
        break;
    default:
        break;
    }
    n = put_u64_at(buf, v);
    idx = exp10 / 3 + 3;
    if (idx >= 0 && idx < (int)(sizeof(suffix) / sizeof(suffix[0]))) {
        size_t sl = strlen(suffix[idx]);
        memcpy(buf + n, suffix[idx], sl);
        n += sl;
    } else { /* unreachable for 64-bit inputs; Go would write an exponent */
        buf[n++] = 'e';
        if (exp10 < 0) {
            buf[n++] = '-';
            n += put_u64_at(buf + n, (uint64_t)-exp10);
        } else {
            n += put_u64_at(buf + n, (uint64_t)exp10);
        }
    }
    return n;
}

static size_t cpu_str(char *buf, uint64_t nanocores)
{
    return decimal_si_str(buf, nanocores, -9);
}

/* BinarySI: below 1024 Go switches to DecimalSI (so 1000 -> "1k"); otherwise the largest
 * power of 1024 that divides exactly. */
static size_t mem_str(char *buf, uint64_t bytes)
{
    static const char *const suffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    size_t n;
    int e = 0;

    if (bytes < 1024) return decimal_si_str(buf, bytes, 0);
    while (bytes >= 1024 && (bytes & 1023) == 0) {
        bytes >>= 10;
        e++;
    }
    n = put_u64_at(buf, bytes);
    if (e > 0) { /* e <= 6 for 64-bit values */
        buf[n++] = suffix[e][0];
        buf[n++] = 'i';
    }
    return n;
}

/* Go's fmtFrac: writes the fraction of v with prec digits ending at *w, trailing zeros and a
 * bare dot omitted; returns v / 10^prec. */
static uint64_t go_frac(char *buf, size_t *w, uint64_t v, int prec)
{
    bool print = false;

    for (int i = 0; i < prec; i++) {
        char digit = (char)(v % 10);
        print = print || digit != 0;
        if (print) buf[--*w] = (char)('0' + digit);
        v /= 10;
    }
    if (print) buf[--*w] = '.';
    return v;
}

static void go_int(char *buf, size_t *w, uint64_t v)
{
    *w -= digits_rev(buf + *w, v);
}

/* time.Duration.String(), written backwards into buf[DUR_MAX] as Go does. */
static size_t duration_str(char *out, int64_t d)
{
    char buf[DUR_MAX];
    size_t w = sizeof(buf);
    uint64_t u = (uint64_t)d;
    bool neg = d < 0;

    if (neg) u = -u;
    if (u < (uint64_t)NS_PER_SEC) {
        int prec;

        buf[--w] = 's';
        if (u == 0) {
            out[0] = '0';
            out[1] = 's';
            return 2;
        } else if (u < 1000) {
            prec = 0;
            buf[--w] = 'n';
        } else if (u < 1000000) {
            prec = 3;
            buf[--w] = '\xb5'; /* U+00B5 micro sign, as Go writes it */
            buf[--w] = '\xc2';
        } else {
            prec = 6;
            buf[--w] = 'm';
        }
        u = go_frac(buf, &w, u, prec);
        go_int(buf, &w, u);
    } else {
        buf[--w] = 's';
        u = go_frac(buf, &w, u, 9);
        go_int(buf, &w, u % 60);
        u /= 60;
        if (u > 0) {
            buf[--w] = 'm';
            go_int(buf, &w, u % 60);
            u /= 60;
            if (u > 0) {
                buf[--w] = 'h';
                go_int(buf, &w, u);
            }
        }
    }
    if (neg) buf[--w] = '-';
    memcpy(out, buf + w, sizeof(buf) - w);
    return sizeof(buf) - w;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SSZ" from Unix seconds (always 20 bytes: int64 ns spans 1677..2262). */
static void rfc3339_from_sec(char *out, int64_t sec)
{
    int64_t days = floor_div(sec, 86400);
    int64_t sod = sec - days * 86400;
    /* Howard Hinnant's civil_from_days. */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned year;

    if (m <= 2) y++;
    year = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    two(out, year / 100);
    two(out + 2, year % 100);
    out[4] = '-';
    two(out + 5, m);
    out[7] = '-';
    two(out + 8, d);
    out[10] = 'T';
    two(out + 11, (unsigned)(sod / 3600));
    out[13] = ':';
    two(out + 14, (unsigned)(sod / 60 % 60));
    out[16] = ':';
    two(out + 17, (unsigned)(sod % 60));
    out[19] = 'Z';
}

static int64_t unix_sec(int64_t ns)
{
    return floor_div(ns, NS_PER_SEC);
}

/* ------------------------------------------------------------------------------------------ */
/* Per-call caches: items of one response mostly share timestamps and windows. */

struct time_cache {
    bool valid;
    int64_t sec;
    char s[TIME_LEN];
};

struct dur_cache {
    bool valid;
    int64_t ns;
    size_t len;
    char s[DUR_MAX];
};

struct rctx {
    struct time_cache ts;  /* sample timestamps */
    struct time_cache cts; /* creation timestamps */
    struct dur_cache win;
    bool have_now;
    int64_t now_ns; /* one clock read per call, used for every creation_ns == 0 */
};

static void rctx_init(struct rctx *c)
{
    memset(c, 0, sizeof(*c));
}

static const char *cached_time(struct time_cache *tc, int64_t ns)
{
    int64_t sec = unix_sec(ns);

    if (!tc->valid || tc->sec != sec) {
        rfc3339_from_sec(tc->s, sec);
        tc->sec = sec;
        tc->valid = true;
    }
    return tc->s;
}

static const struct dur_cache *cached_duration(struct dur_cache *dc, int64_t ns)
{
    if (!dc->valid || dc->ns != ns) {
        dc->len = duration_str(dc->s, ns);
        dc->ns = ns;
        dc->valid = true;
    }
    return dc;
}

/* metrics-server stamps creationTimestamp with the time of the request. */
static int64_t creation_ns(struct rctx *c, const struct object_meta_view *m)
{
    if (m->creation_ns != 0) return m->creation_ns;
    if (!c->have_now) {
        c->now_ns = clock_real_ns();
        c->have_now = true;
    }
    return c->now_ns;
}

/* ------------------------------------------------------------------------------------------ */
/* Public value formatters. */

void format_cpu_quantity(struct outbuf *b, uint64_t nanocores)
{
    char buf[QTY_MAX];

    put(b, buf, cpu_str(buf, nanocores));
    terminate(b);
}

void format_memory_quantity(struct outbuf *b, uint64_t bytes)
{
    char buf[QTY_MAX];

    put(b, buf, mem_str(buf, bytes));
    terminate(b);
}

void format_go_duration(struct outbuf *b, int64_t ns)
{
    char buf[DUR_MAX];

    put(b, buf, duration_str(buf, ns));
    terminate(b);
}

void format_rfc3339(struct outbuf *b, int64_t real_ns)
{
    char buf[TIME_LEN];

    rfc3339_from_sec(buf, unix_sec(real_ns));
    put(b, buf, TIME_LEN);
    terminate(b);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON strings. Like Go's encoding/json (minus HTML escaping): \" \\ \n \r \t, other control
 * bytes as \u00XX, U+2028/U+2029 escaped, invalid UTF-8 bytes replaced by \ufffd so strict
 * parsers never reject the document. */

/* Length of a valid UTF-8 sequence at s (first byte >= 0x80), or 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s)
{
    unsigned char c = s[0];

    if (c >= 0xc2 && c <= 0xdf) return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static void json_string_body(struct outbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    const unsigned char *run = s;

    for (;;) {
        unsigned char c = *s;

        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            s++;
            continue;
        }
        if (s > run) put(b, (const char *)run, (size_t)(s - run));
        if (c == 0) return;
        if (c < 0x80) {
            char esc[6] = {'\\', 'u', '0', '0', hex_lower[c >> 4], hex_lower[c & 15]};
            switch (c) {
            case '"':
                PUTLIT(b, "\\\"");
                break;
            case '\\':
                PUTLIT(b, "\\\\");
                break;
            case '\n':
                PUTLIT(b, "\\n");
                break;
            case '\r':
                PUTLIT(b, "\\r");
                break;
            case '\t':
                PUTLIT(b, "\\t");
                break;
            default:
                put(b, esc, sizeof(esc));
            }
            s++;
        } else {
            size_t n = utf8_valid_len(s);

            if (n == 0) {
                PUTLIT(b, "\\ufffd");
                s++;
            } else if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
                put(b, s[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                s += 3;
            } else {
                put(b, (const char *)s, n);
                s += n;
            }
        }
        run = s;
    }
}

static void jstr(struct outbuf *b, const char *s)
{
    put(b, "\"", 1);
    json_string_body(b, s ? s : "");
    put(b, "\"", 1);
}

void json_put_string(struct outbuf *b, const char *s)
{
    jstr(b, s);
    terminate(b);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON objects. */

static void json_time(struct outbuf *b, const char *t)
{
    char buf[TIME_LEN + 2];

    buf[0] = '"';
    memcpy(buf + 1, t, TIME_LEN);
    buf[TIME_LEN + 1] = '"';
    put(b, buf, sizeof(buf));
}

static void json_labels(struct outbuf *b, const struct object_meta_view *m)
{
    if (m->nlabels == 0) return;
    PUTLIT(b, ",\"labels\":{");
    for (size_t i = 0; i < m->nlabels; i++) {
        if (i) PUTLIT(b, ",");
        jstr(b, m->labels[i].key);
        PUTLIT(b, ":");
        jstr(b, m->labels[i].value);
    }
    PUTLIT(b, "}");
}

/* ObjectMeta body without braces: name, namespace, creationTimestamp, labels (Go's order;
 * empty name/namespace omitted as omitempty does). */
static void json_meta(struct outbuf *b, struct rctx *c, const struct object_meta_view *m,
                      bool with_labels)
{
    bool any = false;

    PUTLIT(b, "{");
    if (m->name && m->name[0]) {
        PUTLIT(b, "\"name\":");
        jstr(b, m->name);
        any = true;
    }
    if (m->namespace_ && m->namespace_[0]) {
        if (any) PUTLIT(b, ",");
        PUTLIT(b, "\"namespace\":");
        jstr(b, m->namespace_);
        any = true;
    }
    if (any) PUTLIT(b, ",");
    PUTLIT(b, "\"creationTimestamp\":");
    json_time(b, cached_time(&c->cts, creation_ns(c, m)));
    if (with_labels) json_labels(b, m);
    PUTLIT(b, "}");
}

/* {"cpu":"..","memory":".."[,"swap":".."]} built on the stack, appended at once. */
static void json_usage(struct outbuf *b, const struct usage_view *u)
{
    char buf[3 * QTY_MAX + 48];
    size_t n = 0;

    memcpy(buf, "{\"cpu\":\"", 8);
    n = 8;
    n += cpu_str(buf + n, u->cpu_nanocores);
    memcpy(buf + n, "\",\"memory\":\"", 12);
    n += 12;
    n += mem_str(buf + n, u->memory_bytes);
    if (u->has_swap) {
        memcpy(buf + n, "\",\"swap\":\"", 10);
        n += 10;
        n += mem_str(buf + n, u->swap_bytes);
    }
    memcpy(buf + n, "\"}", 2);
    n += 2;
    put(b, buf, n);
}

/* ,"timestamp":"..","window":".." */
static void json_ts_window(struct outbuf *b, struct rctx *c, int64_t ts_ns, int64_t window_ns)
{
    char buf[TIME_LEN + DUR_MAX + 32];
    const struct dur_cache *d = cached_duration(&c->win, window_ns);
    size_t n;

    memcpy(buf, ",\"timestamp\":\"", 14);
    n = 14;
    memcpy(buf + n, cached_time(&c->ts, ts_ns), TIME_LEN);
    n += TIME_LEN;
    memcpy(buf + n, "\",\"window\":\"", 12);
    n += 12;
    memcpy(buf + n, d->s, d->len);
    n += d->len;
    buf[n++] = '"';
    put(b, buf, n);
}

static void json_kind_header(struct outbuf *b, const char *kind, api_version_t v)
{
    PUTLIT(b, "{\"kind\":\"");
    put_str(b, kind);
    PUTLIT(b, "\",\"apiVersion\":");
    jstr(b, v);
    PUTLIT(b, ",");
}

static void json_node_body(struct outbuf *b, struct rctx *c, const struct node_metrics_view *n)
{
    PUTLIT(b, "\"metadata\":");
    json_meta(b, c, &n->meta, true);
    json_ts_window(b, c, n->timestamp_ns, n->window_ns);
    PUTLIT(b, ",\"usage\":");
    json_usage(b, &n->usage);
    PUTLIT(b, "}");
}

static void json_pod_body(struct outbuf *b, struct rctx *c, const struct pod_metrics_view *p)
{
    PUTLIT(b, "\"metadata\":");
    json_meta(b, c, &p->meta, true);
    json_ts_window(b, c, p->timestamp_ns, p->window_ns);
    PUTLIT(b, ",\"containers\":[");
    for (size_t i = 0; i < p->ncontainers; i++) {
        const struct container_metrics_view *ct = &p->containers[i];

        if (i) PUTLIT(b, ",");
        PUTLIT(b, "{\"name\":");
        jstr(b, ct->name);
        PUTLIT(b, ",\"usage\":");
        json_usage(b, &ct->usage);
        PUTLIT(b, "}");
    }
    PUTLIT(b, "]}");
}

/* Rough response sizes so big lists grow the buffer once, not log2(n) times. */
static size_t estimate_nodes(size_t n)
{
    return 256 + n * 320;
}

static size_t estimate_pods(const struct pod_metrics_view *items, size_t n, size_t per_pod,
                            size_t per_container)
{
    size_t containers = 0;

    for (size_t i = 0; i < n; i++)
        containers += items[i].ncontainers + items[i].meta.nlabels;
    return 256 + n * per_pod + containers * per_container;
}

void render_node_json(struct outbuf *b, api_version_t v, const struct node_metrics_view *n)
{
    struct rctx c;

    rctx_init(&c);
    json_kind_header(b, "NodeMetrics", v);
    json_node_body(b, &c, n);
    terminate(b);
}

void render_node_list_json(struct outbuf *b, api_version_t v, const struct node_metrics_view *items,
                           size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, estimate_nodes(n));
    json_kind_header(b, "NodeMetricsList", v);
    PUTLIT(b, "\"metadata\":{},\"items\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) PUTLIT(b, ",");
        PUTLIT(b, "{");
        json_node_body(b, &c, &items[i]);
    }
    PUTLIT(b, "]}");
    terminate(b);
}

void render_pod_json(struct outbuf *b, api_version_t v, const struct pod_metrics_view *p)
{
    struct rctx c;

    rctx_init(&c);
    json_kind_header(b, "PodMetrics", v);
    json_pod_body(b, &c, p);
    terminate(b);
}

void render_pod_list_json(struct outbuf *b, api_version_t v, const struct pod_metrics_view *items,
                          size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, estimate_pods(items, n, 224, 96));
    json_kind_header(b, "PodMetricsList", v);
    PUTLIT(b, "\"metadata\":{},\"items\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) PUTLIT(b, ",");
        PUTLIT(b, "{");
        json_pod_body(b, &c, &items[i]);
    }
    PUTLIT(b, "]}");
    terminate(b);
}

/* ------------------------------------------------------------------------------------------ */
/* Tables. */

static const char table_columns[] =
    "\"columnDefinitions\":["
    "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"Name must be "
    "unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of a name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More "
    "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names\","
    "\"priority\":0},"
    "{\"name\":\"CPU\",\"type\":\"string\",\"format\":\"\",\"description\":\"CPU usage\","
    "\"priority\":0},"
    "{\"name\":\"Memory\",\"type\":\"string\",\"format\":\"\",\"description\":\"Memory usage "
    "(working set)\",\"priority\":0},"
    "{\"name\":\"Window\",\"type\":\"string\",\"format\":\"\",\"description\":\"Time window the "
    "usage was measured over\",\"priority\":0}],";

static void table_header(struct outbuf *b, const char *table_version)
{
    PUTLIT(b, "{\"kind\":\"Table\",\"apiVersion\":");
    jstr(b, table_version);
    PUTLIT(b, ",\"metadata\":{\"resourceVersion\":\"\"},");
    put(b, table_columns, sizeof(table_columns) - 1);
    PUTLIT(b, "\"rows\":[");
}

/* One row: cells, then the PartialObjectMetadata the API server attaches by default (its
 * apiVersion is the Table's group version, as the apiserver sets it). */
static void table_row(struct outbuf *b, struct rctx *c, const char *table_version, bool first,
                      const struct object_meta_view *m, uint64_t cpu, uint64_t mem,
                      int64_t window_ns)
{
    char q[QTY_MAX];
    const struct dur_cache *d = cached_duration(&c->win, window_ns);

    if (!first) PUTLIT(b, ",");
    PUTLIT(b, "{\"cells\":[");
    jstr(b, m->name);
    PUTLIT(b, ",\"");
    put(b, q, cpu_str(q, cpu));
    PUTLIT(b, "\",\"");
    put(b, q, mem_str(q, mem));
    PUTLIT(b, "\",\"");
    put(b, d->s, d->len);
    PUTLIT(b, "\"],\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":");
    jstr(b, table_version);
    PUTLIT(b, ",\"metadata\":");
    json_meta(b, c, m, true);
    PUTLIT(b, "}}");
}

void render_node_table(struct outbuf *b, const char *table_version,
                       const struct node_metrics_view *items, size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, 1024 + n * 320);
    table_header(b, table_version);
    for (size_t i = 0; i < n; i++)
        table_row(b, &c, table_version, i == 0, &items[i].meta, items[i].usage.cpu_nanocores,
                  items[i].usage.memory_bytes, items[i].window_ns);
    PUTLIT(b, "]}");
    terminate(b);
}

static uint64_t sat_add(uint64_t a, uint64_t x)
{
    return a + x < a ? UINT64_MAX : a + x;
}

void render_pod_table(struct outbuf *b, const char *table_version,
                      const struct pod_metrics_view *items, size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, 1024 + n * 320);
    table_header(b, table_version);
    for (size_t i = 0; i < n; i++) {
        const struct pod_metrics_view *p = &items[i];
        uint64_t cpu = 0, mem = 0;

        for (size_t k = 0; k < p->ncontainers; k++) {
            cpu = sat_add(cpu, p->containers[k].usage.cpu_nanocores);
            mem = sat_add(mem, p->containers[k].usage.memory_bytes);
        }
        table_row(b, &c, table_version, i == 0, &p->meta, cpu, mem, p->window_ns);
    }
    PUTLIT(b, "]}");
    terminate(b);
}

/* ------------------------------------------------------------------------------------------ */
/* Status. */

void render_status_json(struct outbuf *b, int code, const char *reason, const char *message,
                        const char *details_name, const char *details_kind)
{
    PUTLIT(b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\"");
    /* Go's omitempty on message, reason, details.name/kind and code. */
    if (message && message[0]) {
        PUTLIT(b, ",\"message\":");
        jstr(b, message);
    }
    if (reason && reason[0]) {
        PUTLIT(b, ",\"reason\":");
        jstr(b, reason);
    }
    if (details_kind) {
        PUTLIT(b, ",\"details\":{");
        if (details_name && details_name[0]) {
            PUTLIT(b, "\"name\":");
            jstr(b, details_name);
            PUTLIT(b, ",");
        }
        PUTLIT(b, "\"group\":\"" METRICS_GROUP "\"");
        if (details_kind[0]) {
            PUTLIT(b, ",\"kind\":");
            jstr(b, details_kind);
        }
        PUTLIT(b, "}");
    }
    if (code != 0) {
        char num[24];
        size_t k = 0;

        PUTLIT(b, ",\"code\":");
        if (code < 0) num[k++] = '-';
        k += put_u64_at(num + k, code < 0 ? (uint64_t)(-(int64_t)code) : (uint64_t)code);
        put(b, num, k);
    }
    PUTLIT(b, "}");
    terminate(b);
}

/* ------------------------------------------------------------------------------------------ */
/* Protobuf. Two writers cooperate:
 *  - the outer layers (envelope, list, items) are written backwards into the outbuf's spare
 *    capacity (live bytes are data[pos, top)), so a length prefix is known as soon as its body
 *    is done; the finished message is moved down to the old b->len at the end;
 *  - each item is encoded forwards, with exact nested sizes computed first, into a scratch
 *    buffer reused for the whole call, then copied into the backward stream in one piece.
 * That is one pass over the data, no quadratic copying, and a handful of memcpys per item. */

struct rw {
    struct outbuf *b;
    size_t base; /* b->len at the start; untouched until rw_finish */
    size_t pos;
    size_t top;
};

static void rw_init(struct rw *w, struct outbuf *b, size_t estimate)
{
    w->b = b;
    w->base = b->len;
    w->pos = w->top = b->len;
    /* Start at base + estimate, not at cap: the capacity is rounded up to a power of two and
     * a fresh buffer's untouched pages cost nothing only if we stay off them. */
    if (outbuf_reserve(b, estimate)) w->pos = w->top = b->len + estimate;
}

static size_t rw_size(const struct rw *w)
{
    return w->top - w->pos;
}

/* Doubles the room; realloc keeps the whole block, then the live bytes move to the new top. */
static bool rw_grow(struct rw *w, size_t need)
{
    size_t used = rw_size(w), room = w->top - w->base, newtop;

    if (w->b->failed) return false;
    if (!outbuf_reserve(w->b, room + (room > need ? room : need) + 64)) return false;
    newtop = w->b->cap - 1;
    memmove(w->b->data + newtop - used, w->b->data + w->pos, used);
    w->pos = newtop - used;
    w->top = newtop;
    return true;
}

static inline bool rw_need(struct rw *w, size_t n)
{
    return w->pos - w->base >= n ? true : rw_grow(w, n);
}

static inline void rw_bytes(struct rw *w, const void *p, size_t n)
{
    if (!rw_need(w, n)) return;
    w->pos -= n;
    memcpy(w->b->data + w->pos, p, n);
}

static inline void rw_byte(struct rw *w, uint8_t c)
{
    if (!rw_need(w, 1)) return;
    w->b->data[--w->pos] = (char)c;
}

static inline uint8_t *fw_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline void rw_varint(struct rw *w, uint64_t v)
{
    uint8_t tmp[10];

    rw_bytes(w, tmp, (size_t)(fw_varint(tmp, v) - tmp));
}

/* Length prefix and tag for everything written since mark (all our tags fit one byte). */
static inline void rw_close(struct rw *w, size_t mark, uint8_t tag)
{
    size_t n = rw_size(w) - mark;

    if (n < 0x80 && rw_need(w, 2)) {
        w->pos -= 2;
        w->b->data[w->pos] = (char)tag;
        w->b->data[w->pos + 1] = (char)n;
        return;
    }
    rw_varint(w, n);
    rw_byte(w, tag);
}

static inline void rw_field_str(struct rw *w, uint8_t tag, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    rw_bytes(w, s ? s : "", n);
    rw_varint(w, n);
    rw_byte(w, tag);
}

/* Places the finished bytes at the buffer's old end. */
static void rw_finish(struct rw *w)
{
    struct outbuf *b = w->b;
    size_t n = rw_size(w);

    if (b->failed) return;
    memmove(b->data + w->base, b->data + w->pos, n);
    b->len = w->base + n;
    b->data[b->len] = '\0';
}

/* --- forward item encoding ---------------------------------------------------------------- */

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* tag + length + bytes */
static inline size_t field_size(size_t n)
{
    return 1 + varint_len(n) + n;
}

static inline uint8_t *fw_field(uint8_t *p, uint8_t tag, const char *s, size_t n)
{
    *p++ = tag;
    p = fw_varint(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* A small pre-encoded field (Time or Duration with its tag and length), cached per call
 * because a response's items share a handful of values. */
struct pb_chunk {
    bool valid;
    int64_t key;
    uint8_t len;
    uint8_t b[16];
};

/* metav1.Time{seconds=1, nanos=2}; nanos is always 0, as the apiserver's ProtoTime. */
static const struct pb_chunk *pb_time(struct pb_chunk *c, uint8_t tag, int64_t ns)
{
    int64_t sec = unix_sec(ns);

    if (!c->valid || c->key != sec) {
        uint8_t *p = fw_varint(c->b + 3, (uint64_t)sec);

        *p++ = 0x10;
        *p++ = 0x00;
        c->b[0] = tag;
        c->b[1] = (uint8_t)(p - c->b - 2); /* at most 13 */
        c->b[2] = 0x08;
        c->len = (uint8_t)(p - c->b);
        c->key = sec;
        c->valid = true;
    }
    return c;
}

/* metav1.Duration{duration=1 int64 ns}. */
static const struct pb_chunk *pb_duration(struct pb_chunk *c, uint8_t tag, int64_t ns)
{
    if (!c->valid || c->key != ns) {
        uint8_t *p = fw_varint(c->b + 3, (uint64_t)ns);

        c->b[0] = tag;
        c->b[1] = (uint8_t)(p - c->b - 2);
        c->b[2] = 0x08;
        c->len = (uint8_t)(p - c->b);
        c->key = ns;
        c->valid = true;
    }
    return c;
}

struct pbctx {
    struct rctx c;
    struct pb_chunk created, ts, window;
    struct outbuf item; /* scratch for one item, reused */
};

static void pbctx_init(struct pbctx *x)
{
    memset(x, 0, sizeof(*x));
    outbuf_init(&x->item);
}

/* A usage map formatted up front: entry sizes must be known before their bytes. */
struct usage_enc {
    size_t n, size;
    struct {
        const char *key;
        uint8_t klen, qlen;
        char q[QTY_MAX];
    } e[3];
};

static void usage_add(struct usage_enc *ue, const char *key, uint8_t klen, size_t qlen)
{
    ue->e[ue->n].key = key;
    ue->e[ue->n].klen = klen;
    ue->e[ue->n].qlen = (uint8_t)qlen;
    /* entry = tag len {0x0a klen key, 0x12 len {0x0a qlen q}}; every length < 128 */
    ue->size += 2 + 2 + klen + 2 + 2 + qlen;
    ue->n++;
}

static void usage_prepare(struct usage_enc *ue, const struct usage_view *u)
{
    ue->n = ue->size = 0;
    /* keys padded to 8 bytes for usage_write's fixed-size copy */
    usage_add(ue, "cpu\0\0\0\0", 3, cpu_str(ue->e[0].q, u->cpu_nanocores));
    usage_add(ue, "memory\0", 6, mem_str(ue->e[1].q, u->memory_bytes));
    if (u->has_swap) usage_add(ue, "swap\0\0\0", 4, mem_str(ue->e[2].q, u->swap_bytes));
}

/* Copies past an entry's end are fine: callers reserve USAGE_SLACK extra bytes, so the
 * fixed-size memcpys below compile to a few moves instead of library calls. */
enum { USAGE_SLACK = QTY_MAX + 8 };

/* map<string, Quantity> entries {key=1, value=2 Quantity{string=1}}, keys already sorted. */
static uint8_t *usage_write(uint8_t *p, uint8_t tag, const struct usage_enc *ue)
{
    for (size_t i = 0; i < ue->n; i++) {
        uint8_t kl = ue->e[i].klen, ql = ue->e[i].qlen;

        p[0] = tag;
        p[1] = (uint8_t)(2 + kl + 2 + 2 + ql);
        p[2] = 0x0a;
        p[3] = kl;
        memcpy(p + 4, ue->e[i].key, 8); /* keys are padded to 8 bytes */
        p += 4 + kl;
        p[0] = 0x12;
        p[1] = (uint8_t)(2 + ql);
        p[2] = 0x0a;
        p[3] = ql;
        memcpy(p + 4, ue->e[i].q, QTY_MAX);
        p += 4 + ql;
    }
    return p;
}

/* Space for n more bytes at the scratch's end, or NULL (failure is sticky in the outbuf). */
static uint8_t *item_room(struct outbuf *s, size_t n)
{
    return outbuf_reserve(s, n) ? (uint8_t *)s->data + s->len : NULL;
}

static void item_done(struct outbuf *s, const uint8_t *p)
{
    s->len = (size_t)(p - (uint8_t *)s->data);
}

/* ObjectMeta (field 1): name=1, namespace=3, creationTimestamp=8, labels=11 sorted by key. */
static void item_meta(struct pbctx *x, const struct object_meta_view *m)
{
    const char *name = m->name ? m->name : "";
    size_t nl = strlen(name), nsl = m->namespace_ ? strlen(m->namespace_) : 0, body;
    const struct pb_chunk *ct = pb_time(&x->created, 0x42, creation_ns(&x->c, m));
    uint8_t *p;

    body = field_size(nl) + (m->namespace_ ? field_size(nsl) : 0) + ct->len;
    for (size_t i = 0; i < m->nlabels; i++) {
        size_t e =
            field_size(strlen(nz(m->labels[i].key))) + field_size(strlen(nz(m->labels[i].value)));
        body += 1 + varint_len(e) + e;
    }
    if (!(p = item_room(&x->item, 1 + 10 + body + sizeof(ct->b)))) return;
    *p++ = 0x0a;
    p = fw_varint(p, body);
    p = fw_field(p, 0x0a, name, nl);
    if (m->namespace_) p = fw_field(p, 0x1a, m->namespace_, nsl);
    memcpy(p, ct->b, sizeof(ct->b)); /* fixed size, the labels overwrite the excess */
    p += ct->len;
    for (size_t i = 0; i < m->nlabels; i++) {
        const char *k = nz(m->labels[i].key), *val = nz(m->labels[i].value);
        size_t kl = strlen(k), vl = strlen(val);

        *p++ = 0x5a;
        p = fw_varint(p, field_size(kl) + field_size(vl));
        p = fw_field(p, 0x0a, k, kl);
        p = fw_field(p, 0x12, val, vl);
    }
    item_done(&x->item, p);
}

/* timestamp=2, window=3 */
static void item_ts_window(struct pbctx *x, int64_t ts_ns, int64_t window_ns)
{
    const struct pb_chunk *t = pb_time(&x->ts, 0x12, ts_ns);
    const struct pb_chunk *d = pb_duration(&x->window, 0x1a, window_ns);
    uint8_t *p = item_room(&x->item, sizeof(t->b) + sizeof(d->b));

    if (!p) return;
    memcpy(p, t->b, sizeof(t->b)); /* fixed size: a few moves, not a call */
    p += t->len;
    memcpy(p, d->b, sizeof(d->b));
    item_done(&x->item, p + d->len);
}

/* NodeMetrics: metadata=1, timestamp=2, window=3, usage=4. */
static void item_node(struct pbctx *x, const struct node_metrics_view *n)
{
    struct usage_enc ue;
    uint8_t *p;

    outbuf_reset(&x->item);
    item_meta(x, &n->meta);
    item_ts_window(x, n->timestamp_ns, n->window_ns);
    usage_prepare(&ue, &n->usage);
    if ((p = item_room(&x->item, ue.size + USAGE_SLACK)))
        item_done(&x->item, usage_write(p, 0x22, &ue));
}

/* PodMetrics: metadata=1, timestamp=2, window=3, containers=4 {name=1, usage=2}. */
static void item_pod(struct pbctx *x, const struct pod_metrics_view *pm)
{
    outbuf_reset(&x->item);
    item_meta(x, &pm->meta);
    item_ts_window(x, pm->timestamp_ns, pm->window_ns);
    for (size_t i = 0; i < pm->ncontainers; i++) {
        const struct container_metrics_view *c = &pm->containers[i];
        const char *name = c->name ? c->name : "";
        size_t nl = strlen(name), body;
        struct usage_enc ue;
        uint8_t *p;

        usage_prepare(&ue, &c->usage);
        body = field_size(nl) + ue.size;
        if (!(p = item_room(&x->item, 1 + 10 + body + USAGE_SLACK))) return;
        *p++ = 0x22;
        p = fw_varint(p, body);
        p = fw_field(p, 0x0a, name, nl);
        item_done(&x->item, usage_write(p, 0x12, &ue));
    }
}

/* Copies the scratch item into the backward stream, with a length prefix if tag != 0. */
static void rw_item(struct rw *w, struct pbctx *x, uint8_t tag)
{
    size_t mark = rw_size(w);

    if (x->item.failed) {
        w->b->failed = true;
        return;
    }
    rw_bytes(w, x->item.data, x->item.len);
    if (tag) rw_close(w, mark, tag);
}

/* The tail of runtime.Unknown: contentEncoding=3 and contentType=4, both empty. Written
 * first since the stream is built backwards. */
static void pb_envelope_tail(struct rw *w)
{
    rw_bytes(w, "\x1a\x00\x22\x00", 4);
}

/* raw=2 around everything since mark, then typeMeta=1{apiVersion=1, kind=2} and the magic. */
static void pb_envelope_head(struct rw *w, size_t mark, const char *api_version, const char *kind)
{
    size_t tm;

    rw_close(w, mark, 0x12);
    tm = rw_size(w);
    rw_field_str(w, 0x12, kind);
    rw_field_str(w, 0x0a, api_version);
    rw_close(w, tm, 0x0a);
    rw_bytes(w, "k8s\0", 4);
}

/* Rough protobuf sizes (a little high: an overshoot costs untouched address space, an
 * undershoot a regrow). */
static size_t pb_estimate_pods(const struct pod_metrics_view *items, size_t n)
{
    size_t est = 256 + n * 120;

    for (size_t i = 0; i < n; i++)
        est += items[i].ncontainers * 64 + items[i].meta.nlabels * 32;
    return est;
}

void render_node_pb(struct outbuf *b, api_version_t v, const struct node_metrics_view *n)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, 512);
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    item_node(&x, n);
    rw_item(&w, &x, 0);
    pb_envelope_head(&w, mark, v, "NodeMetrics");
    rw_finish(&w);
    outbuf_free(&x.item);
}

void render_node_list_pb(struct outbuf *b, api_version_t v, const struct node_metrics_view *items,
                         size_t n)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, 256 + n * 200);
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    for (size_t i = n; i-- > 0;) {
        item_node(&x, &items[i]);
        rw_item(&w, &x, 0x12);
    }
    rw_bytes(&w, "\x0a\x00", 2); /* empty ListMeta */
    pb_envelope_head(&w, mark, v, "NodeMetricsList");
    rw_finish(&w);
    outbuf_free(&x.item);
}

void render_pod_pb(struct outbuf *b, api_version_t v, const struct pod_metrics_view *p)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, pb_estimate_pods(p, 1));
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    item_pod(&x, p);
    rw_item(&w, &x, 0);
    pb_envelope_head(&w, mark, v, "PodMetrics");
    rw_finish(&w);
    outbuf_free(&x.item);
}

void render_pod_item_pb(struct outbuf *b, const struct pod_metrics_view *p)
{
    struct pbctx x;

    pbctx_init(&x);
    item_pod(&x, p);
    if (x.item.failed)
        b->failed = true;
    else
        outbuf_append(b, x.item.data, x.item.len);
    outbuf_free(&x.item);
}

void render_pod_list_pb_items(struct outbuf *b, api_version_t v, const struct pb_slice *items,
                              size_t n)
{
    struct rw w;
    size_t mark, estimate = 64;

    for (size_t i = 0; i < n; i++)
        estimate += items[i].len + 6;
    rw_init(&w, b, estimate);
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    for (size_t i = n; i-- > 0;) {
        size_t item_mark = rw_size(&w);
        rw_bytes(&w, items[i].data, items[i].len);
        rw_close(&w, item_mark, 0x12);
    }
    rw_bytes(&w, "\x0a\x00", 2); /* empty ListMeta */
    pb_envelope_head(&w, mark, v, "PodMetricsList");
    rw_finish(&w);
}

void render_pod_list_pb(struct outbuf *b, api_version_t v, const struct pod_metrics_view *items,
                        size_t n)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, pb_estimate_pods(items, n));
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    for (size_t i = n; i-- > 0;) {
        item_pod(&x, &items[i]);
        rw_item(&w, &x, 0x12);
    }
    rw_bytes(&w, "\x0a\x00", 2); /* empty ListMeta */
    pb_envelope_head(&w, mark, v, "PodMetricsList");
    rw_finish(&w);
    outbuf_free(&x.item);
}

/* Status: metadata=1 (empty ListMeta), status=2, message=3, reason=4, details=5
 * {name=1, group=2, kind=3, retryAfterSeconds=5, uid=6}, code=6. Strings are always present,
 * as gogo emits proto2 non-pointer fields. */
void render_status_pb(struct outbuf *b, int code, const char *reason, const char *message,
                      const char *details_name, const char *details_kind)
{
    struct rw w;
    size_t mark;

    rw_init(&w, b, 256 + (message ? strlen(message) : 0));
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    rw_varint(&w, (uint64_t)(int64_t)code); /* int32: negative sign-extends to 10 bytes */
    rw_byte(&w, 0x30);
    if (details_kind) {
        size_t d = rw_size(&w);

        rw_bytes(&w, "\x28\x00\x32\x00", 4); /* retryAfterSeconds=0, uid="" */
        rw_field_str(&w, 0x1a, details_kind);
        rw_field_str(&w, 0x12, METRICS_GROUP);
        rw_field_str(&w, 0x0a, details_name);
        rw_close(&w, d, 0x2a);
    }
    rw_field_str(&w, 0x22, reason);
    rw_field_str(&w, 0x1a, message);
    rw_field_str(&w, 0x12, "Failure");
    rw_bytes(&w, "\x0a\x00", 2);
    pb_envelope_head(&w, mark, "v1", "Status");
    rw_finish(&w);
}
