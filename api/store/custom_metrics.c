/* custom.metrics.k8s.io: the metric catalog and its reads (custom_metrics.h). */
#include "custom_metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"

enum value_kind {
    RATE,    /* a count over the window, per second */
    RATIO,   /* stalled µs over the window's µs, at most 1 */
    PART,    /* part / whole (throttled periods over periods) */
    SECONDS, /* microseconds, as seconds */
    COUNT,   /* as is */
};

enum source { FROM_WINDOW, FROM_TRAFFIC };

struct metric_def {
    const char *name;
    enum source from;
    uint8_t need; /* enum wire_signal_have bit (window metrics) */
    enum value_kind kind;
    bool summable;
    size_t off, whole_off; /* uint32_t or uint64_t field (see wide) */
    bool wide;
};

#define W(field) offsetof(struct store_signal_window, field)
#define T(field) offsetof(struct store_traffic, field)

static const struct metric_def metrics[] = {
    {"network_receive_bytes_per_second", FROM_TRAFFIC, 0, RATE, true, T(rx_bytes), 0, true},
    {"network_transmit_bytes_per_second", FROM_TRAFFIC, 0, RATE, true, T(tx_bytes), 0, true},
    {"network_receive_packets_per_second", FROM_TRAFFIC, 0, RATE, true, T(rx_packets), 0, false},
    {"network_transmit_packets_per_second", FROM_TRAFFIC, 0, RATE, true, T(tx_packets), 0, false},
    {"network_receive_drops_per_second", FROM_TRAFFIC, 0, RATE, true, T(rx_drops), 0, false},
    {"network_transmit_drops_per_second", FROM_TRAFFIC, 0, RATE, true, T(tx_drops), 0, false},
    {"cpu_pressure_some_ratio", FROM_WINDOW, WIRE_SIG_CPU_PRESSURE, RATIO, false,
     W(stall_some_usec[WIRE_PRESSURE_CPU]), 0, false},
    {"cpu_pressure_full_ratio", FROM_WINDOW, WIRE_SIG_CPU_PRESSURE, RATIO, false,
     W(stall_full_usec[WIRE_PRESSURE_CPU]), 0, false},
    {"memory_pressure_some_ratio", FROM_WINDOW, WIRE_SIG_MEMORY_PRESSURE, RATIO, false,
     W(stall_some_usec[WIRE_PRESSURE_MEMORY]), 0, false},
    {"memory_pressure_full_ratio", FROM_WINDOW, WIRE_SIG_MEMORY_PRESSURE, RATIO, false,
     W(stall_full_usec[WIRE_PRESSURE_MEMORY]), 0, false},
    {"io_pressure_some_ratio", FROM_WINDOW, WIRE_SIG_IO_PRESSURE, RATIO, false,
     W(stall_some_usec[WIRE_PRESSURE_IO]), 0, false},
    {"io_pressure_full_ratio", FROM_WINDOW, WIRE_SIG_IO_PRESSURE, RATIO, false,
     W(stall_full_usec[WIRE_PRESSURE_IO]), 0, false},
    {"cpu_throttled_ratio", FROM_WINDOW, WIRE_SIG_THROTTLING, PART, false, W(throttled_periods),
     W(periods), false},
    {"cpu_throttled_seconds_per_second", FROM_WINDOW, WIRE_SIG_THROTTLING, RATIO, true,
     W(throttled_usec), 0, false},
    {"oom_kills", FROM_WINDOW, WIRE_SIG_OOM, COUNT, true, W(oom_kills), 0, false},
    {"oom_kills_total", FROM_WINDOW, WIRE_SIG_OOM, COUNT, true, W(oom_kills_total), 0, false},
    {"runqueue_latency_p50_seconds", FROM_WINDOW, WIRE_SIG_RUNQ, SECONDS, false, W(runq_p50_us), 0,
     false},
    {"runqueue_latency_p99_seconds", FROM_WINDOW, WIRE_SIG_RUNQ, SECONDS, false, W(runq_p99_us), 0,
     false},
    {"runqueue_waits_per_second", FROM_WINDOW, WIRE_SIG_RUNQ, RATE, true, W(runq_waits), 0, false},
};

#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

size_t custom_metric_count(void)
{
    return NMETRICS;
}

const char *custom_metric_name(size_t i)
{
    return i < NMETRICS ? metrics[i].name : NULL;
}

bool custom_metric_summable(size_t i)
{
    return i < NMETRICS && metrics[i].summable;
}

int custom_metric_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NMETRICS; i++)
        if (strlen(metrics[i].name) == len && memcmp(metrics[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

static uint64_t field_at(const void *base, size_t off, bool wide)
{
    if (wide) {
        uint64_t v;
        memcpy(&v, (const char *)base + off, sizeof(v));
        return v;
    }
    uint32_t v;
    memcpy(&v, (const char *)base + off, sizeof(v));
    return v;
}

/* num * scale / den in 128 bits, saturated at UINT64_MAX. */
static uint64_t scaled(uint64_t num, uint64_t scale, uint64_t den)
{
    unsigned __int128 v = (unsigned __int128)num * scale / den;

    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

bool custom_metric_pod_value(const struct store_pod_signals *sg, size_t i, uint64_t *nano,
                             int64_t *end_ns, int64_t *window_ns)
{
    const struct metric_def *m;
    const void *base;
    uint32_t window_ms;
    uint64_t v;

    if (!sg || i >= NMETRICS) return false;
    m = &metrics[i];
    if (m->from == FROM_TRAFFIC) {
        if (!wire_network_has_figures(sg->net.source) || sg->net.window_ms == 0) return false;
        base = &sg->net;
        window_ms = sg->net.window_ms;
        *end_ns = sg->net.end_real_ns;
    } else {
        if (!(sg->w.have & m->need) || sg->w.window_ms == 0) return false;
        base = &sg->w;
        window_ms = sg->w.window_ms;
        *end_ns = sg->w.end_real_ns;
    }
    *window_ns = (int64_t)window_ms * 1000000;
    v = field_at(base, m->off, m->wide);
    switch (m->kind) {
    case RATE: { /* count / (window_ms / 1000) per second, to the thousandth (what the HPA
                  * reads: "463268m", not "463268365817n") */
        uint64_t r = scaled(v, 1000000, window_ms); /* milli-units */
        *nano = r > UINT64_MAX / 1000000 ? UINT64_MAX : r * 1000000;
        break;
    }
    case RATIO: { /* µs / (window_ms * 1000), at most 1 */
        uint64_t r = scaled(v, 1000000, window_ms);
        *nano = m->summable || r < 1000000000 ? r : 1000000000;
        break;
    }
    case PART: {
        uint64_t whole = field_at(base, m->whole_off, false);
        *nano = whole ? scaled(v, 1000000000, whole) : 0;
        break;
    }
    case SECONDS:
        *nano = v * 1000;
        break;
    case COUNT:
        *nano = scaled(v, 1000000000, 1);
        break;
    }
    return true;
}

/* A served pod's figure, as an item. */
static bool pod_item(const struct store *s, const struct custom_query *q, const struct store_pod *p,
                     struct metric_value_view *out)
{
    if (!p->named || !store_node_selected(s, p->node)) return false;
    if (!custom_metric_pod_value(store_pod_signals(s, p), q->metric, &out->nano, &out->timestamp_ns,
                                 &out->window_ns))
        return false;
    out->kind = "Pod";
    out->namespace_ = p->namespace_;
    out->name = p->name;
    return true;
}

static void render(const struct custom_query *q, const struct metric_value_view *items, size_t n,
                   struct outbuf *out)
{
    const char *metric = custom_metric_name(q->metric);

    if (q->protobuf)
        render_metric_value_list_pb(out, q->api_version, metric, items, n);
    else
        render_metric_value_list_json(out, q->api_version, metric, items, n);
}

int custom_query_render(struct store *s, const struct custom_query *q, struct outbuf *out)
{
    struct metric_value_view one, *items = NULL;
    struct store_pod *const *sorted;
    bool metric_match = !q->metric_labels || selector_matches_labels(q->metric_labels, NULL, 0);
    size_t n, k = 0;

    if (q->metric >= NMETRICS) return 404;
    if (q->target == CUSTOM_POD) {
        const struct store_pod *p = store_find_pod(s, q->ns, q->name);
        if (!p || !metric_match || !pod_item(s, q, p, &one)) return 404;
        render(q, &one, 1, out);
        return out->failed ? -ENOMEM : 200;
    }
    sorted = store_sorted_pods(s, q->ns, &n);
    if (q->target == CUSTOM_NAMESPACE) {
        /* The sum over the namespace's pods, stamped with the newest window. */
        uint64_t sum = 0;
        bool any = false;

        if (!custom_metric_summable(q->metric) || !metric_match) return 404;
        one = (struct metric_value_view){.kind = "Namespace", .name = q->ns};
        for (size_t i = 0; i < n; i++) {
            struct metric_value_view v;
            if (!pod_item(s, q, sorted[i], &v)) continue;
            sum = sum > UINT64_MAX - v.nano ? UINT64_MAX : sum + v.nano;
            if (v.timestamp_ns > one.timestamp_ns) {
                one.timestamp_ns = v.timestamp_ns;
                one.window_ns = v.window_ns;
            }
            any = true;
        }
        if (!any) return 404;
        one.nano = sum;
        render(q, &one, 1, out);
        return out->failed ? -ENOMEM : 200;
    }
    if (n && metric_match && !(items = malloc(n * sizeof(*items)))) return -ENOMEM;
    for (size_t i = 0; metric_match && i < n; i++) {
        const struct store_pod *p = sorted[i];
        if (q->labels && !selector_matches_labels(q->labels, p->labels, p->nlabels)) continue;
        if (pod_item(s, q, p, &items[k])) k++;
    }
    render(q, items, k, out);
    free(items);
    return out->failed ? -ENOMEM : 200;
}

void custom_metrics_write_prometheus(struct store *s, struct outbuf *out)
{
    size_t n;
    struct store_pod *const *sorted = store_sorted_pods(s, NULL, &n);

    for (size_t m = 0; m < NMETRICS; m++) {
        bool head = false;

        for (size_t i = 0; i < n; i++) {
            const struct store_pod *p = sorted[i];
            uint64_t nano;
            int64_t end, window;

            if (!p->named || !store_node_selected(s, p->node) ||
                !custom_metric_pod_value(store_pod_signals(s, p), m, &nano, &end, &window))
                continue;
            if (!head) {
                outbuf_printf(out,
                              "# HELP kmetrics_pod_%s The pod's %s over its collector's last "
                              "window (custom.metrics.k8s.io).\n# TYPE kmetrics_pod_%s gauge\n",
                              metrics[m].name, metrics[m].name, metrics[m].name);
                head = true;
            }
            /* Namespaces and pod names are DNS names: nothing in them needs escaping. */
            outbuf_printf(out, "kmetrics_pod_%s{namespace=\"%s\",pod=\"%s\"} %llu.%09llu\n",
                          metrics[m].name, p->namespace_, p->name,
                          (unsigned long long)(nano / 1000000000),
                          (unsigned long long)(nano % 1000000000));
        }
    }
}
