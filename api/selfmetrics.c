#include "selfmetrics.h"

#include <stdio.h>
#include <string.h>

static const double bucket_bounds[HIST_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1,    5};
static const char *const outcome_names[SHIP_OUTCOMES] = {"stored", "duplicate", "resync"};
static const char *const reject_names[SHIP_REJECTS] = {
    "malformed", "unauthenticated", "too_large",  "content_type",    "method",
    "internal",  "not_collector",   "wrong_node", "auth_unavailable"};
static const char *const verb_names[VERBS] = {"get", "list", "other"};

static void observe(struct histogram *h, double v)
{
    for (int i = 0; i < HIST_BUCKETS; i++) {
        if (v <= bucket_bounds[i]) {
            h->buckets[i]++;
            break;
        }
    }
    h->count++;
    h->sum += v;
}

void selfmetrics_ship(struct selfmetrics *m, enum ship_outcome o, double latency_seconds)
{
    m->shipments[o]++;
    if (o == SHIP_STORED && latency_seconds >= 0) observe(&m->ship_latency, latency_seconds);
}

void selfmetrics_reject(struct selfmetrics *m, enum ship_reject r)
{
    m->rejected[r]++;
}

void selfmetrics_request(struct selfmetrics *m, enum request_verb v, int code, double seconds)
{
    struct code_count *row = m->requests[v];

    for (int i = 0; i < 16; i++) {
        if (row[i].code == code || row[i].code == 0) {
            row[i].code = code;
            row[i].count++;
            break;
        }
    }
    observe(&m->request_duration[v], seconds);
}

static void write_histogram(struct outbuf *out, const char *name, const char *labels,
                            const struct histogram *h)
{
    uint64_t cum = 0;

    for (int i = 0; i < HIST_BUCKETS; i++) {
        cum += h->buckets[i];
        outbuf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, labels[0] ? "," : "",
                      bucket_bounds[i], (unsigned long long)cum);
    }
    outbuf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, labels[0] ? "," : "",
                  (unsigned long long)h->count);
    outbuf_printf(out, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels, h->sum, name, labels,
                  (unsigned long long)h->count);
}

void selfmetrics_write(const struct selfmetrics *m, size_t nodes, size_t pods, size_t containers,
                       uint64_t nodes_dropped_stale, struct outbuf *out)
{
    char labels[64];

    outbuf_puts(out, "# HELP kmetrics_shipments_received_total Collector shipments accepted, "
                     "by outcome.\n# TYPE kmetrics_shipments_received_total counter\n");
    for (int i = 0; i < SHIP_OUTCOMES; i++)
        outbuf_printf(out, "kmetrics_shipments_received_total{outcome=\"%s\"} %llu\n",
                      outcome_names[i], (unsigned long long)m->shipments[i]);
    outbuf_puts(out, "# HELP kmetrics_shipments_rejected_total Collector shipments rejected, by "
                     "reason.\n# TYPE kmetrics_shipments_rejected_total counter\n");
    for (int i = 0; i < SHIP_REJECTS; i++)
        outbuf_printf(out, "kmetrics_shipments_rejected_total{reason=\"%s\"} %llu\n",
                      reject_names[i], (unsigned long long)m->rejected[i]);
    outbuf_puts(out, "# HELP kmetrics_ship_latency_seconds From a collector sending a shipment "
                     "to it being stored.\n# TYPE kmetrics_ship_latency_seconds histogram\n");
    write_histogram(out, "kmetrics_ship_latency_seconds", "", &m->ship_latency);
    outbuf_puts(out, "# HELP kmetrics_series Series held in memory.\n"
                     "# TYPE kmetrics_series gauge\n");
    outbuf_printf(out,
                  "kmetrics_series{kind=\"node\"} %zu\nkmetrics_series{kind=\"pod\"} %zu\n"
                  "kmetrics_series{kind=\"container\"} %zu\n",
                  nodes, pods, containers);
    outbuf_printf(out,
                  "# HELP kmetrics_stale_nodes_dropped_total Nodes dropped after their "
                  "collector went silent.\n# TYPE kmetrics_stale_nodes_dropped_total "
                  "counter\nkmetrics_stale_nodes_dropped_total %llu\n",
                  (unsigned long long)nodes_dropped_stale);
    outbuf_puts(out, "# HELP kmetrics_requests_total API requests by verb and code.\n"
                     "# TYPE kmetrics_requests_total counter\n");
    for (int v = 0; v < VERBS; v++)
        for (int i = 0; i < 16 && m->requests[v][i].code; i++)
            outbuf_printf(out, "kmetrics_requests_total{verb=\"%s\",code=\"%d\"} %llu\n",
                          verb_names[v], m->requests[v][i].code,
                          (unsigned long long)m->requests[v][i].count);
    outbuf_puts(out, "# HELP kmetrics_request_duration_seconds API request handling time.\n"
                     "# TYPE kmetrics_request_duration_seconds histogram\n");
    for (int v = 0; v < VERBS; v++) {
        snprintf(labels, sizeof(labels), "verb=\"%s\"", verb_names[v]);
        write_histogram(out, "kmetrics_request_duration_seconds", labels, &m->request_duration[v]);
    }
}
