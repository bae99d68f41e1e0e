/* The kubelet's /metrics/resource (Prometheus text format 0.0.4) read as metrics-server reads
 * it, for nodes that run no collector (issue 13's kubelet-scrape fallback): only the series
 * metrics-server uses, everything else skipped. Pure: no I/O, no globals; the body is hostile.
 *
 *   node_cpu_usage_seconds_total                      S [TIMESTAMP_MS]
 *   node_memory_working_set_bytes                     B [TIMESTAMP_MS]
 *   container_cpu_usage_seconds_total{container=,namespace=,pod=}    S [TIMESTAMP_MS]
 *   container_memory_working_set_bytes{container=,namespace=,pod=}   B [TIMESTAMP_MS]
 *   container_start_time_seconds{container=,namespace=,pod=}         S [TIMESTAMP_MS]
 *   scrape_error                                      0|1
 *
 * Rules: at most KUBELET_METRICS_MAX_BYTES of body, KUBELET_METRICS_MAX_LINE per line and
 * KUBELET_METRICS_MAX_SAMPLES samples kept. Comments and other series are skipped. A sample
 * of a wanted series that breaks a rule (a label that is not a valid Kubernetes name, a
 * container series without its three labels, a repeated label, a value that is not a finite,
 * non-negative number, a bad timestamp, trailing text) is dropped alone and counted, as
 * metrics-server drops only that container; so is an over-long line. */
#ifndef KMETRICS_KUBELET_METRICS_PARSE_H
#define KMETRICS_KUBELET_METRICS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KUBELET_METRICS_MAX_BYTES (16u << 20)
#define KUBELET_METRICS_MAX_LINE 4096
#define KUBELET_METRICS_MAX_SAMPLES 65536

enum kubelet_series {
    KUBELET_NODE_CPU,         /* seconds, cumulative */
    KUBELET_NODE_MEMORY,      /* working set bytes */
    KUBELET_CONTAINER_CPU,    /* seconds, cumulative */
    KUBELET_CONTAINER_MEMORY, /* working set bytes */
    KUBELET_CONTAINER_START,  /* Unix seconds */
    KUBELET_SCRAPE_ERROR,     /* 1 when the kubelet could not read its own stats */
};

struct kubelet_sample {
    enum kubelet_series series;
    char namespace_[64]; /* "" for node series */
    char pod[254];
    char container[64];
    double value;
    bool has_timestamp;
    int64_t timestamp_ms;
};

struct kubelet_metrics {
    struct kubelet_sample *samples; /* in the body's order */
    size_t n, cap;
    size_t dropped; /* samples of wanted series that broke a rule */
    size_t skipped; /* lines of other series, comments excluded */
};

void kubelet_metrics_init(struct kubelet_metrics *m);
void kubelet_metrics_done(struct kubelet_metrics *m);

/* Parses body into m (emptied first). 0; -EMSGSIZE over KUBELET_METRICS_MAX_BYTES or
 * KUBELET_METRICS_MAX_SAMPLES (nothing kept, err says which); -ENOMEM. */
int kubelet_metrics_parse(const char *body, size_t len, struct kubelet_metrics *m, char *err,
                          size_t errlen);

#endif
