/* Maps a request path (without query) to what the API serves. Paths are outside input:
 * the router never allocates and validates names as Kubernetes does (a namespace is a DNS
 * label, a pod or node name a DNS subdomain), so a bad name is a 400 or 404, never a crash.
 * The one escape taken is a whole segment "%2A", the "*" of custom metrics' "all pods" as
 * client-go sends it. */
#ifndef KMETRICS_ROUTER_H
#define KMETRICS_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

enum route_kind {
    ROUTE_NOT_FOUND = 0,
    ROUTE_BAD_REQUEST,      /* malformed: empty segment, bad escape, invalid name */
    ROUTE_API,              /* /api          (core APIVersions) */
    ROUTE_API_V1,           /* /api/v1       (empty core resource list) */
    ROUTE_APIS,             /* /apis         (APIGroupList) */
    ROUTE_GROUP,            /* /apis/metrics.k8s.io */
    ROUTE_GROUP_VERSION,    /* /apis/metrics.k8s.io/{v}  (APIResourceList) */
    ROUTE_NODES,            /* .../nodes */
    ROUTE_NODE,             /* .../nodes/{name} */
    ROUTE_PODS_ALL,         /* .../pods */
    ROUTE_PODS_NAMESPACE,   /* .../namespaces/{ns}/pods */
    ROUTE_POD,              /* .../namespaces/{ns}/pods/{name} */
    ROUTE_OPENAPI_V2,       /* /openapi/v2 */
    ROUTE_OPENAPI_V3,       /* /openapi/v3 */
    ROUTE_OPENAPI_V3_GROUP, /* /openapi/v3/apis/metrics.k8s.io/{v} */
    ROUTE_LIVEZ,            /* /livez[/check] */
    ROUTE_READYZ,           /* /readyz[/check] */
    ROUTE_HEALTHZ,          /* /healthz[/check] */
    ROUTE_METRICS,          /* /metrics */
    ROUTE_SHIP,             /* /ship (collector shipments; POST) */
    /* Standalone mode's core minimum for kubectl top (handle_core.c): */
    ROUTE_CORE_NODES,          /* /api/v1/nodes */
    ROUTE_CORE_NODE,           /* /api/v1/nodes/{name} */
    ROUTE_CORE_PODS_ALL,       /* /api/v1/pods */
    ROUTE_CORE_PODS_NAMESPACE, /* /api/v1/namespaces/{ns}/pods */
    /* custom.metrics.k8s.io (handle_custom_metrics.c), versions v1beta1 and v1beta2: */
    ROUTE_CUSTOM_GROUP,            /* /apis/custom.metrics.k8s.io */
    ROUTE_CUSTOM_GROUP_VERSION,    /* /apis/custom.metrics.k8s.io/{v} (APIResourceList) */
    ROUTE_CUSTOM_POD_METRIC,       /* .../namespaces/{ns}/pods/{name or *}/{metric} */
    ROUTE_CUSTOM_NAMESPACE_METRIC, /* .../namespaces/{ns}/metrics/{metric} */
};
/* The last kind, beside the enum so it moves with it (a sentinel member would defeat -Wswitch). */
#define ROUTE_KIND_LAST ROUTE_CUSTOM_NAMESPACE_METRIC

/* v1beta2 is custom.metrics.k8s.io's only. */
enum api_version { API_V1BETA1 = 0, API_V1 = 1, API_V1BETA2 = 2 };

struct route {
    enum route_kind kind;
    enum api_version version;
    /* Pointers into the path (not NUL-terminated), valid while the path is. */
    const char *ns;
    size_t ns_len;
    const char *name;
    size_t name_len;
    const char *check; /* health check name after /livez/ etc. */
    size_t check_len;
    const char *metric; /* custom.metrics.k8s.io's metric name */
    size_t metric_len;
    bool all; /* custom metrics: pods/{*}/..., every pod of the namespace (name NULL) */
};

/* path: the request path up to (not including) '?'. A trailing '/' is tolerated. */
void route_path(const char *path, size_t len, struct route *out);

const char *api_version_string(enum api_version v); /* "metrics.k8s.io/v1beta1" ... */
const char *api_version_short(enum api_version v);  /* "v1beta1" ... */
/* "custom.metrics.k8s.io/v1beta1" or ".../v1beta2"; NULL for v1. */
const char *custom_api_version_string(enum api_version v);

#endif
