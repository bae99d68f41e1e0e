/* The OpenAPI documents (v2, and v3 per group version) that the kube-apiserver's aggregator
 * merges and `kubectl explain` reads. */
#include <string.h>

#include "handlers.h"
#include "http/respond.h"

/* Schemas shared by v2 (definitions) and v3 (components.schemas); REF is the prefix of a
 * reference ("#/definitions/" or "#/components/schemas/"). */
static void schemas(struct outbuf *b, const char *ref, const char *version)
{
    outbuf_printf(
        b,
        "\"io.k8s.metrics.pkg.apis.metrics.%1$s.NodeMetrics\":{\"description\":\"NodeMetrics sets "
        "resource usage metrics of a node.\",\"type\":\"object\",\"properties\":{"
        "\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
        "\"metadata\":{\"$ref\":\"%2$sio.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta\"},"
        "\"timestamp\":{\"type\":\"string\",\"format\":\"date-time\",\"description\":\"The "
        "following fields define time interval from which metrics were collected from the "
        "interval [Timestamp-Window, Timestamp].\"},"
        "\"window\":{\"type\":\"string\"},"
        "\"usage\":{\"type\":\"object\",\"description\":\"The memory usage is the memory working "
        "set.\",\"additionalProperties\":{\"type\":\"string\"}}},"
        "\"required\":[\"timestamp\",\"window\",\"usage\"],"
        "\"x-kubernetes-group-version-kind\":[{\"group\":\"metrics.k8s.io\",\"kind\":"
        "\"NodeMetrics\",\"version\":\"%1$s\"}]},"
        "\"io.k8s.metrics.pkg.apis.metrics.%1$s.NodeMetricsList\":{\"type\":\"object\","
        "\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
        "\"metadata\":{\"$ref\":\"%2$sio.k8s.apimachinery.pkg.apis.meta.v1.ListMeta\"},"
        "\"items\":{\"type\":\"array\",\"items\":{\"$ref\":\"%2$sio.k8s.metrics.pkg.apis.metrics."
        "%1$s.NodeMetrics\"}}},\"required\":[\"items\"],"
        "\"x-kubernetes-group-version-kind\":[{\"group\":\"metrics.k8s.io\",\"kind\":"
        "\"NodeMetricsList\",\"version\":\"%1$s\"}]},"
        "\"io.k8s.metrics.pkg.apis.metrics.%1$s.ContainerMetrics\":{\"type\":\"object\","
        "\"properties\":{\"name\":{\"type\":\"string\"},\"usage\":{\"type\":\"object\","
        "\"additionalProperties\":{\"type\":\"string\"}}},\"required\":[\"name\",\"usage\"]},"
        "\"io.k8s.metrics.pkg.apis.metrics.%1$s.PodMetrics\":{\"description\":\"PodMetrics sets "
        "resource usage metrics of a pod.\",\"type\":\"object\",\"properties\":{"
        "\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
        "\"metadata\":{\"$ref\":\"%2$sio.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta\"},"
        "\"timestamp\":{\"type\":\"string\",\"format\":\"date-time\"},"
        "\"window\":{\"type\":\"string\"},"
        "\"containers\":{\"type\":\"array\",\"items\":{\"$ref\":\"%2$sio.k8s.metrics.pkg.apis."
        "metrics.%1$s.ContainerMetrics\"}}},\"required\":[\"timestamp\",\"window\","
        "\"containers\"],\"x-kubernetes-group-version-kind\":[{\"group\":\"metrics.k8s.io\","
        "\"kind\":\"PodMetrics\",\"version\":\"%1$s\"}]},"
        "\"io.k8s.metrics.pkg.apis.metrics.%1$s.PodMetricsList\":{\"type\":\"object\","
        "\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
        "\"metadata\":{\"$ref\":\"%2$sio.k8s.apimachinery.pkg.apis.meta.v1.ListMeta\"},"
        "\"items\":{\"type\":\"array\",\"items\":{\"$ref\":\"%2$sio.k8s.metrics.pkg.apis.metrics."
        "%1$s.PodMetrics\"}}},\"required\":[\"items\"],"
        "\"x-kubernetes-group-version-kind\":[{\"group\":\"metrics.k8s.io\",\"kind\":"
        "\"PodMetricsList\",\"version\":\"%1$s\"}]},"
        "\"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta\":{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\"},\"namespace\":{\"type\":\"string\"},"
        "\"creationTimestamp\":{\"type\":\"string\",\"format\":\"date-time\"},"
        "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}}},"
        "\"io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta\":{\"type\":\"object\",\"properties\":{"
        "\"resourceVersion\":{\"type\":\"string\"},\"selfLink\":{\"type\":\"string\"}}}",
        version, ref);
}

static void paths_v2(struct outbuf *b, const char *version, const char *ref)
{
    static const struct {
        const char *path, *kind, *op;
    } p[] = {{"nodes", "NodeMetricsList", "list"},
             {"nodes/{name}", "NodeMetrics", "read"},
             {"pods", "PodMetricsList", "list"},
             {"namespaces/{namespace}/pods", "PodMetricsList", "list"},
             {"namespaces/{namespace}/pods/{name}", "PodMetrics", "read"}};

    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        outbuf_printf(
            b,
            "%s\"/apis/metrics.k8s.io/%s/%s\":{\"get\":{\"operationId\":\"%sMetrics%s%s\","
            "\"produces\":[\"application/json\",\"application/vnd.kubernetes.protobuf\"],"
            "\"responses\":{\"200\":{\"description\":\"OK\",\"schema\":{\"$ref\":"
            "\"%sio.k8s.metrics.pkg.apis.metrics.%s.%s\"}}},"
            "\"x-kubernetes-action\":\"%s\"}}",
            i ? "," : "", version, p[i].path, p[i].op, version, p[i].kind, ref, version, p[i].kind,
            strcmp(p[i].op, "list") == 0 ? "list" : "get");
    }
}

void handle_openapi(struct aggregator *agg, h2o_req_t *req, const struct route *r)
{
    struct outbuf b;

    (void)agg;
    outbuf_init(&b);
    if (r->kind == ROUTE_OPENAPI_V2) {
        outbuf_puts(&b, "{\"swagger\":\"2.0\",\"info\":{\"title\":\"kmetrics\",\"version\":"
                        "\"v0.1.0\"},\"paths\":{");
        paths_v2(&b, "v1beta1", "#/definitions/");
        outbuf_putc(&b, ',');
        paths_v2(&b, "v1", "#/definitions/");
        outbuf_puts(&b, "},\"definitions\":{");
        schemas(&b, "#/definitions/", "v1beta1");
        outbuf_putc(&b, ',');
        /* ObjectMeta/ListMeta would repeat: v1 schemas reference the same ones. */
        struct outbuf v1;
        outbuf_init(&v1);
        schemas(&v1, "#/definitions/", "v1");
        const char *cut = strstr(v1.data ? v1.data : "", ",\"io.k8s.apimachinery");
        outbuf_append(&b, v1.data, cut ? (size_t)(cut - v1.data) : v1.len);
        outbuf_done(&v1);
        outbuf_puts(&b, "}}");
    } else if (r->kind == ROUTE_OPENAPI_V3) {
        outbuf_puts(&b, "{\"paths\":{\"apis/metrics.k8s.io/v1beta1\":{\"serverRelativeURL\":"
                        "\"/openapi/v3/apis/metrics.k8s.io/v1beta1\"},\"apis/metrics.k8s.io/v1\":"
                        "{\"serverRelativeURL\":\"/openapi/v3/apis/metrics.k8s.io/v1\"}}}");
    } else {
        const char *v = api_version_short(r->version);
        outbuf_printf(&b, "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"kmetrics\",\"version\":"
                          "\"v0.1.0\"},\"paths\":{},\"components\":{\"schemas\":{");
        schemas(&b, "#/components/schemas/", v);
        outbuf_puts(&b, "}}}");
    }
    respond_body(req, 200, "application/json", &b);
}
