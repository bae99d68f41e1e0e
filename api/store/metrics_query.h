/* Answers one metrics.k8s.io read from the store: selects nodes or pods (namespace, name,
 * label and field selectors), builds their views and renders them in the asked format. No
 * HTTP here: handlers/handle_metrics.c maps a request to a query; benchmarks and tests call
 * it directly. */
#ifndef KMETRICS_METRICS_QUERY_H
#define KMETRICS_METRICS_QUERY_H

#include <stddef.h>

#include "outbuf.h"

#include "metrics_model.h"
#include "render/render.h"
#include "selector.h"
#include "store.h"

enum query_target { QUERY_NODES, QUERY_NODE, QUERY_PODS, QUERY_NAMESPACE_PODS, QUERY_POD };
enum query_format { QUERY_JSON, QUERY_PROTOBUF, QUERY_TABLE_V1, QUERY_TABLE_V1BETA1 };

struct metrics_query {
    enum query_target target;
    const char *api_version; /* "metrics.k8s.io/v1beta1" or "metrics.k8s.io/v1" */
    const char *ns;          /* NUL-terminated; pods in a namespace or one pod */
    const char *name;        /* one node or pod */
    enum query_format format;
    const struct selector *labels; /* may be NULL */
    const struct selector *fields; /* may be NULL */
};

/* Arrays for views, kept by their owner between queries: a LIST of every pod needs tens of MB
 * of them, and fresh allocations that size would fault their pages in on every LIST. */
struct metrics_query_scratch {
    struct pod_metrics_view *views;
    struct container_metrics_view *containers;
    size_t views_cap, containers_cap;
    size_t last_pb_len; /* the last full protobuf LIST's size: the next one's estimate */
};

void metrics_query_scratch_init(struct metrics_query_scratch *x);
void metrics_query_scratch_done(struct metrics_query_scratch *x);

/* Returns 200 with the rendering in out, 404 when a single object does not exist (out
 * untouched), or -ENOMEM. */
int metrics_query_render(struct store *s, struct metrics_query_scratch *x,
                         const struct metrics_query *q, struct outbuf *out);

#endif
