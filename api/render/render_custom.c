/* custom.metrics.k8s.io MetricValueList in JSON and protobuf, as k8s.io/metrics' types
 * marshal: v1beta2 items carry metric{name, selector} and windowSeconds, v1beta1 items
 * metricName, window and selector. Values are DecimalSI quantities of billionths. */
#include <string.h>

#include "append.h"
#include "json_text.h"
#include "pb_writer.h"
#include "quantity.h"
#include "render.h"

static bool is_v1beta1(const char *api_version)
{
    size_t n = strlen(api_version);

    return n >= 7 && strcmp(api_version + n - 7, "v1beta1") == 0;
}

static size_t window_seconds(int64_t window_ns)
{
    return window_ns > 0 ? (size_t)(window_ns / NS_PER_SEC) : 0;
}

void render_metric_value_list_json(struct outbuf *b, const char *api_version, const char *metric,
                                   const struct metric_value_view *items, size_t n)
{
    bool v1 = is_v1beta1(api_version);
    char num[24], q[QTY_MAX], t[TIME_LEN];

    PUTLIT(b, "{\"kind\":\"MetricValueList\",\"apiVersion\":");
    jstr(b, api_version);
    PUTLIT(b, ",\"metadata\":{},\"items\":[");
    for (size_t i = 0; i < n; i++) {
        const struct metric_value_view *v = &items[i];

        if (i) PUTLIT(b, ",");
        PUTLIT(b, "{\"describedObject\":{\"kind\":");
        jstr(b, v->kind);
        if (v->namespace_) {
            PUTLIT(b, ",\"namespace\":");
            jstr(b, v->namespace_);
        }
        PUTLIT(b, ",\"name\":");
        jstr(b, v->name);
        PUTLIT(b, ",\"apiVersion\":\"v1\"},");
        if (v1) {
            PUTLIT(b, "\"metricName\":");
            jstr(b, metric);
        } else {
            PUTLIT(b, "\"metric\":{\"name\":");
            jstr(b, metric);
            PUTLIT(b, ",\"selector\":null}");
        }
        rfc3339_from_sec(t, unix_sec(v->timestamp_ns));
        PUTLIT(b, ",\"timestamp\":");
        json_time(b, t);
        if (v1)
            PUTLIT(b, ",\"window\":");
        else
            PUTLIT(b, ",\"windowSeconds\":");
        put(b, num, put_u64_at(num, window_seconds(v->window_ns)));
        PUTLIT(b, ",\"value\":\"");
        put(b, q, cpu_str(q, v->nano));
        PUTLIT(b, "\"");
        if (v1) PUTLIT(b, ",\"selector\":null");
        PUTLIT(b, "}");
    }
    PUTLIT(b, "]}");
    terminate(b);
}

/* One MetricValue, written backwards (fields last to first). */
static void pb_item(struct rw *w, bool v1, const char *metric, const struct metric_value_view *v)
{
    char q[QTY_MAX];
    size_t item = rw_size(w), m;

    /* 5: value, a Quantity{string=1} */
    m = rw_size(w);
    rw_bytes(w, q, cpu_str(q, v->nano));
    rw_varint(w, rw_size(w) - m);
    rw_byte(w, 0x0a);
    rw_close(w, m, 0x2a);
    /* 4: windowSeconds (v1beta2) or window (v1beta1), an int64 */
    rw_varint(w, window_seconds(v->window_ns));
    rw_byte(w, 0x20);
    /* 3: timestamp, metav1.Time{seconds=1, nanos=2} */
    m = rw_size(w);
    rw_bytes(w, "\x10\x00", 2);
    rw_varint(w, (uint64_t)unix_sec(v->timestamp_ns));
    rw_byte(w, 0x08);
    rw_close(w, m, 0x1a);
    /* 2: metricName (v1beta1) or metric, a MetricIdentifier{name=1} (no selector) */
    if (v1) {
        rw_field_str(w, 0x12, metric);
    } else {
        m = rw_size(w);
        rw_field_str(w, 0x0a, metric);
        rw_close(w, m, 0x12);
    }
    /* 1: describedObject, a core/v1 ObjectReference{kind=1, namespace=2, name=3, apiVersion=5} */
    m = rw_size(w);
    rw_field_str(w, 0x2a, "v1");
    rw_field_str(w, 0x1a, v->name);
    if (v->namespace_) rw_field_str(w, 0x12, v->namespace_);
    rw_field_str(w, 0x0a, v->kind);
    rw_close(w, m, 0x0a);
    rw_close(w, item, 0x12); /* MetricValueList.items */
}

void render_metric_value_list_pb(struct outbuf *b, const char *api_version, const char *metric,
                                 const struct metric_value_view *items, size_t n)
{
    bool v1 = is_v1beta1(api_version);
    struct rw w;
    size_t mark;

    rw_init(&w, b, 256 + n * 160);
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    for (size_t i = n; i-- > 0;)
        pb_item(&w, v1, metric, &items[i]);
    rw_bytes(&w, "\x0a\x00", 2); /* empty ListMeta */
    pb_envelope_head(&w, mark, api_version, "MetricValueList");
    rw_finish(&w);
}
