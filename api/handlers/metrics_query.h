/* Answers one metrics.k8s.io read from the store: selects nodes or pods (namespace, name,
 * label and field selectors), builds their views and renders them in the negotiated format.
 * No HTTP here: handle_metrics.c wraps it, benchmarks and tests call it directly. */
#ifndef KMETRICS_METRICS_QUERY_H
#define KMETRICS_METRICS_QUERY_H

#include "outbuf.h"

#include "http/http_parse.h"
#include "http/router.h"
#include "store/selector.h"
#include "store/store.h"

struct metrics_query {
    enum route_kind
        kind; /* ROUTE_NODES, ROUTE_NODE, ROUTE_PODS_ALL, ROUTE_PODS_NAMESPACE, ROUTE_POD */
    enum api_version version;
    const char *ns;   /* NUL-terminated; pods in a namespace or one pod */
    const char *name; /* one node or pod */
    enum media media;
    const struct selector *labels; /* may be NULL */
    const struct selector *fields; /* may be NULL */
};

/* Returns 200 with the rendering in out, 404 when a single object does not exist (out
 * untouched), or -ENOMEM. */
int metrics_query_render(struct store *s, const struct metrics_query *q, struct outbuf *out);

#endif
