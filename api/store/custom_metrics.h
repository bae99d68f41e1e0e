/* The per-pod signals served through custom.metrics.k8s.io (docs/custom-metrics.md): the
 * catalog of metric names, each one's value from a pod's stored signals, and one read of the
 * store answered as a MetricValueList. No HTTP here: handlers/handle_custom_metrics.c maps a
 * request to a query. */
#ifndef KMETRICS_CUSTOM_METRICS_H
#define KMETRICS_CUSTOM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"

#include "selector.h"
#include "store.h"

#define CUSTOM_GROUP "custom.metrics.k8s.io"

/* How many metrics there are; their names, in discovery's order. */
size_t custom_metric_count(void);
const char *custom_metric_name(size_t i);
/* Whether a namespace's figure is the sum of its pods' (rates and counts; not ratios or
 * percentiles). */
bool custom_metric_summable(size_t i);
/* The metric named name[0..len), or -1. */
int custom_metric_find(const char *name, size_t len);

/* A pod's figure for metric i in billionths of its unit (bytes per second, a ratio,
 * seconds...), with the window it was measured over; false when the pod has none. */
bool custom_metric_pod_value(const struct store_pod_signals *sg, size_t i, uint64_t *nano,
                             int64_t *end_ns, int64_t *window_ns);

enum custom_target {
    CUSTOM_PODS,      /* the pods of a namespace (name "*"), by label selector */
    CUSTOM_POD,       /* one pod */
    CUSTOM_NAMESPACE, /* the namespace itself: its pods' sum */
};

struct custom_query {
    enum custom_target target;
    const char *api_version; /* "custom.metrics.k8s.io/v1beta2" or ".../v1beta1" */
    const char *ns;
    const char *name; /* CUSTOM_POD */
    size_t metric;
    const struct selector *labels; /* the pods' labelSelector; may be NULL */
    /* metricLabelSelector, may be NULL: these series have no labels of their own, so it
     * selects all of them when it matches an empty label set, none otherwise. */
    const struct selector *metric_labels;
    bool protobuf;
};

/* Every served pod's figures in Prometheus text format, one family per metric
 * (kmetrics_pod_<metric>{namespace,pod}), for clusters that already run Prometheus
 * (--expose-pod-signals). */
void custom_metrics_write_prometheus(struct store *s, struct outbuf *out);

/* 200 with the MetricValueList in out; 404 when one pod or the namespace has no figure (out
 * untouched); -ENOMEM. Only pods the store serves (named, on a selected node) and that have
 * the figure are listed: the HPA averages whatever it gets. */
int custom_query_render(struct store *s, const struct custom_query *q, struct outbuf *out);

#endif
