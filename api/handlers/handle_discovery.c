/* API discovery: /api, /apis, the metrics.k8s.io group and its versions, and (through
 * handle_custom_metrics.c) custom.metrics.k8s.io's. */
#include <string.h>

#include "handlers.h"
#include "http/respond.h"

static const char api_versions[] =
    "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
    "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"\"}]}";

static const char api_v1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[]}";

/* v1beta1 first and preferred: what every client today understands (REFERENCE §1). */
#define GROUP_FIELDS                                                                               \
    "\"name\":\"metrics.k8s.io\",\"versions\":[{\"groupVersion\":\"metrics.k8s.io/v1beta1\","      \
    "\"version\":\"v1beta1\"},{\"groupVersion\":\"metrics.k8s.io/v1\",\"version\":\"v1\"}],"       \
    "\"preferredVersion\":{\"groupVersion\":\"metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}"

/* /apis: metrics.k8s.io, then custom.metrics.k8s.io (handle_custom_metrics.c). */
static const char apis_head[] =
    "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[{" GROUP_FIELDS "},";
static const char group[] = "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\"," GROUP_FIELDS "}";

static void resource_list(struct outbuf *b, const char *version)
{
    outbuf_printf(b,
                  "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
                  "\"metrics.k8s.io/%s\",\"resources\":["
                  "{\"name\":\"nodes\",\"singularName\":\"\",\"namespaced\":false,"
                  "\"kind\":\"NodeMetrics\",\"verbs\":[\"get\",\"list\"]},"
                  "{\"name\":\"pods\",\"singularName\":\"\",\"namespaced\":true,"
                  "\"kind\":\"PodMetrics\",\"verbs\":[\"get\",\"list\"]}]}",
                  version);
}

void handle_discovery(struct aggregator *agg, h2o_req_t *req, const struct route *r)
{
    struct outbuf b;

    (void)agg;
    if (!request_method_is(req, "GET") && !request_method_is(req, "HEAD")) {
        respond_status(req, MEDIA_JSON, 405, "MethodNotAllowed", "only get is allowed here", NULL,
                       NULL);
        return;
    }
    outbuf_init(&b);
    switch (r->kind) {
    case ROUTE_API:
        outbuf_puts(&b, api_versions);
        break;
    case ROUTE_API_V1:
        outbuf_puts(&b, api_v1);
        break;
    case ROUTE_APIS:
        outbuf_puts(&b, apis_head);
        outbuf_puts(&b, custom_group_json);
        outbuf_puts(&b, "]}");
        break;
    case ROUTE_GROUP:
        outbuf_puts(&b, group);
        break;
    case ROUTE_CUSTOM_GROUP:
    case ROUTE_CUSTOM_GROUP_VERSION:
        custom_discovery(&b, r);
        break;
    default:
        resource_list(&b, api_version_short(r->version));
        break;
    }
    respond_body(req, 200, "application/json", &b);
}
