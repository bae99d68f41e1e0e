/* custom.metrics.k8s.io (v1beta1 and v1beta2): discovery of the per-pod signals, and their
 * MetricValueLists for the pods of a namespace, one pod, or a namespace's sum
 * (docs/custom-metrics.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "http/respond.h"
#include "render/render.h"
#include "store/custom_metrics.h"
#include "store/selector.h"

#define SELECTOR_TEXT_MAX (SELECTOR_MAX_LEN + 1)

/* v1beta2 preferred: the HPA asks the preferred version only, and v1beta2 is its first
 * choice (REFERENCE §9). */
#define CUSTOM_GROUP_FIELDS                                                                        \
    "\"name\":\"" CUSTOM_GROUP "\",\"versions\":[{\"groupVersion\":\"" CUSTOM_GROUP "/v1beta2\","  \
    "\"version\":\"v1beta2\"},{\"groupVersion\":\"" CUSTOM_GROUP "/v1beta1\",\"version\":"         \
    "\"v1beta1\"}],\"preferredVersion\":{\"groupVersion\":\"" CUSTOM_GROUP "/v1beta2\","           \
    "\"version\":\"v1beta2\"}"

const char custom_group_json[] = "{" CUSTOM_GROUP_FIELDS "}";

/* Every metric as pods/<name>, and the summable ones as namespaces/<name> too: never an empty
 * list (client-go does not cache one, and kubectl would fetch discovery on every call). */
static void resource_list(struct outbuf *b, const char *version)
{
    outbuf_printf(b,
                  "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
                  "\"" CUSTOM_GROUP "/%s\",\"resources\":[",
                  version);
    for (size_t i = 0; i < custom_metric_count(); i++)
        outbuf_printf(b,
                      "%s{\"name\":\"pods/%s\",\"singularName\":\"\",\"namespaced\":true,"
                      "\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]}",
                      i ? "," : "", custom_metric_name(i));
    for (size_t i = 0; i < custom_metric_count(); i++)
        if (custom_metric_summable(i))
            outbuf_printf(b,
                          ",{\"name\":\"namespaces/%s\",\"singularName\":\"\",\"namespaced\":"
                          "false,\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]}",
                          custom_metric_name(i));
    outbuf_puts(b, "]}");
}

void custom_discovery(struct outbuf *b, const struct route *r)
{
    if (r->kind == ROUTE_CUSTOM_GROUP)
        outbuf_printf(b, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",%s", custom_group_json + 1);
    else
        resource_list(b, api_version_short(r->version));
}

/* One selector parameter; on a bad one responds 400 and returns -1 (0 when absent). */
static int parse_label_param(h2o_req_t *req, enum media m, struct query q, const char *key,
                             struct selector *out, bool *given)
{
    char *text = h2o_mem_alloc_pool(&req->pool, SELECTOR_TEXT_MAX), err[256], msg[400];
    int n = query_param(q.s, q.len, key, text, SELECTOR_TEXT_MAX);

    memset(out, 0, sizeof(*out));
    *given = n >= 0;
    if (n == -EINVAL || n == -E2BIG) {
        snprintf(msg, sizeof(msg), "%s is not validly encoded or too long", key);
        respond_status(req, m, 400, "BadRequest", msg, NULL, NULL);
        return -1;
    }
    if (n >= 0 && label_selector_parse(text, (size_t)n, out, err, sizeof(err)) != 0) {
        snprintf(msg, sizeof(msg), "unable to parse %s: %s", key, err);
        respond_status(req, m, 400, "BadRequest", msg, NULL, NULL);
        return -1;
    }
    return 0;
}

static void not_found(h2o_req_t *req, enum media m, const char *metric, const struct route *r,
                      const char *ns, const char *name)
{
    char msg[640];
    bool pods = r->kind == ROUTE_CUSTOM_POD_METRIC;

    if (pods && !r->all)
        snprintf(msg, sizeof(msg), "the server could not find the metric %s for pods %s/%s", metric,
                 ns, name);
    else
        snprintf(msg, sizeof(msg), "the server could not find the metric %s for %s", metric,
                 pods ? "pods" : "namespaces");
    respond_status(req, m, 404, "NotFound", msg, metric, pods ? "pods" : "namespaces");
}

static void serve(struct aggregator *agg, h2o_req_t *req, const struct route *r, enum media m,
                  int metric, const struct selector *labels, const struct selector *metric_labels)
{
    char ns[64], name[256], mname[256];
    struct custom_query q = {.api_version = custom_api_version_string(r->version),
                             .ns = ns,
                             .name = name,
                             .labels = labels,
                             .metric_labels = metric_labels,
                             .protobuf = m == MEDIA_PROTOBUF};
    struct outbuf b;
    int rc;

    snprintf(ns, sizeof(ns), "%.*s", (int)r->ns_len, r->ns);
    snprintf(name, sizeof(name), "%.*s", (int)r->name_len, r->name ? r->name : "");
    snprintf(mname, sizeof(mname), "%.*s", (int)r->metric_len, r->metric);
    if (metric < 0) {
        not_found(req, m, mname, r, ns, name);
        return;
    }
    q.metric = (size_t)metric;
    q.target = r->kind == ROUTE_CUSTOM_NAMESPACE_METRIC ? CUSTOM_NAMESPACE
               : r->all                                 ? CUSTOM_PODS
                                                        : CUSTOM_POD;
    respond_buffer_acquire(&agg->responses, &b);
    rc = custom_query_render(&agg->store, &q, &b);
    if (rc == 200 && m == MEDIA_YAML) {
        struct outbuf y;
        respond_buffer_acquire(&agg->responses, &y);
        rc = render_yaml_from_json(&y, b.data, b.len) == 0 ? 200 : -ENOMEM;
        outbuf_done(&b);
        b = y;
    }
    if (rc == 200) {
        respond_body_pooled(req, &agg->responses, 200,
                            m == MEDIA_PROTOBUF ? "application/vnd.kubernetes.protobuf"
                            : m == MEDIA_YAML   ? "application/yaml"
                                                : "application/json",
                            &b);
        return;
    }
    outbuf_done(&b);
    if (rc == 404)
        not_found(req, m, mname, r, ns, name);
    else
        respond_status(req, m, 500, "InternalError", "out of memory", NULL, NULL);
}

enum request_verb handle_custom_metrics(struct aggregator *agg, h2o_req_t *req,
                                        const struct route *r, struct query q)
{
    h2o_iovec_t accept = request_header(req, H2O_TOKEN_ACCEPT);
    enum media m = negotiate_accept(accept.base, accept.len, false);
    struct selector labels, metric_labels;
    bool has_labels, has_metric_labels;

    if (m != MEDIA_JSON && m != MEDIA_PROTOBUF && m != MEDIA_YAML) {
        respond_status(req, MEDIA_JSON, 406, "NotAcceptable",
                       "only application/json, application/yaml and "
                       "application/vnd.kubernetes.protobuf are served",
                       NULL, NULL);
        return VERB_GET;
    }
    if (!request_method_is(req, "GET") && !request_method_is(req, "HEAD")) {
        respond_status(req, m, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource (only get)",
                       NULL, NULL);
        return VERB_OTHER;
    }
    if (parse_label_param(req, m, q, "labelSelector", &labels, &has_labels)) return VERB_GET;
    if (parse_label_param(req, m, q, "metricLabelSelector", &metric_labels, &has_metric_labels)) {
        selector_done(&labels);
        return VERB_GET;
    }
    serve(agg, req, r, m, custom_metric_find(r->metric, r->metric_len), has_labels ? &labels : NULL,
          has_metric_labels ? &metric_labels : NULL);
    selector_done(&labels);
    selector_done(&metric_labels);
    return VERB_GET;
}
