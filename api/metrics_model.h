/* What the API serves, as plain read-only views: the store fills these, the renderers
 * (JSON, protobuf, Table) turn them into bytes. Strings are borrowed from the store for the
 * duration of one request. */
#ifndef KMETRICS_METRICS_MODEL_H
#define KMETRICS_METRICS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct label_view {
    const char *key;
    const char *value;
};

struct object_meta_view {
    const char *name;
    const char *namespace_; /* NULL for nodes */
    int64_t creation_ns;    /* CLOCK_REALTIME ns; 0 = unknown (rendered as the current time) */
    const struct label_view *labels; /* sorted by key */
    size_t nlabels;
};

struct usage_view {
    uint64_t cpu_nanocores;
    uint64_t memory_bytes; /* working set */
    bool has_swap;
    uint64_t swap_bytes;
};

struct node_metrics_view {
    struct object_meta_view meta;
    int64_t timestamp_ns; /* newest sample, CLOCK_REALTIME */
    int64_t window_ns;    /* the CPU rate's true window */
    struct usage_view usage;
};

struct container_metrics_view {
    const char *name;
    struct usage_view usage;
};

struct pod_metrics_view {
    struct object_meta_view meta;
    int64_t timestamp_ns;
    int64_t window_ns;
    const struct container_metrics_view *containers; /* sorted by name */
    size_t ncontainers;
};

/* One custom.metrics.k8s.io MetricValue: a figure of a pod (or a namespace's sum). */
struct metric_value_view {
    const char *kind;       /* "Pod" or "Namespace" */
    const char *namespace_; /* the pod's; NULL for a Namespace */
    const char *name;
    int64_t timestamp_ns; /* the end of the window it was measured over */
    int64_t window_ns;
    uint64_t nano; /* the value in billionths of its unit */
};

#endif
