/* GET and LIST of NodeMetrics and PodMetrics, with selectors and content negotiation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "http/respond.h"
#include "render/render.h"
#include "store/metrics_query.h"
#include "store/selector.h"

#define SELECTOR_TEXT_MAX (SELECTOR_MAX_LEN + 1)

static const char *const node_fields[] = {"metadata.name", NULL};
/* spec.nodeName too: metrics-server refuses it and kubectl works around that client-side. */
static const char *const pod_fields[] = {"metadata.name", "metadata.namespace", "spec.nodeName",
                                         NULL};

/* Parses labelSelector and fieldSelector; on a bad one responds 400 and returns -1. */
static int parse_selectors(h2o_req_t *req, enum media m, struct query q, const char *const *fields,
                           struct selector *labels, struct selector *fsel)
{
    char *text = h2o_mem_alloc_pool(&req->pool, SELECTOR_TEXT_MAX), err[256], msg[320];
    int n;

    memset(labels, 0, sizeof(*labels));
    memset(fsel, 0, sizeof(*fsel));
    n = query_param(q.s, q.len, "labelSelector", text, SELECTOR_TEXT_MAX);
    if (n == -EINVAL || n == -E2BIG) {
        respond_status(req, m, 400, "BadRequest",
                       "labelSelector is not validly encoded or too "
                       "long",
                       NULL, NULL);
        return -1;
    }
    if (n >= 0 && label_selector_parse(text, (size_t)n, labels, err, sizeof(err)) != 0) {
        snprintf(msg, sizeof(msg), "unable to parse labelSelector: %s", err);
        respond_status(req, m, 400, "BadRequest", msg, NULL, NULL);
        return -1;
    }
    n = query_param(q.s, q.len, "fieldSelector", text, SELECTOR_TEXT_MAX);
    if (n == -EINVAL || n == -E2BIG) {
        selector_done(labels);
        respond_status(req, m, 400, "BadRequest",
                       "fieldSelector is not validly encoded or too "
                       "long",
                       NULL, NULL);
        return -1;
    }
    if (n >= 0 && field_selector_parse(text, (size_t)n, fields, fsel, err, sizeof(err)) != 0) {
        selector_done(labels);
        snprintf(msg, sizeof(msg), "unable to parse fieldSelector: %s", err);
        respond_status(req, m, 400, "BadRequest", msg, NULL, NULL);
        return -1;
    }
    return 0;
}

/* Whether the query asks to watch (Go's strconv.ParseBool, as the API server reads it). */
static bool wants_watch(struct query q)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    char v[8];
    int n = query_param(q.s, q.len, "watch", v, sizeof(v));

    for (size_t i = 0; n > 0 && i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strcmp(v, yes[i]) == 0) return true;
    return false;
}

static const char *content_type(enum media m)
{
    return m == MEDIA_PROTOBUF     ? "application/vnd.kubernetes.protobuf"
           : m == MEDIA_JSON       ? "application/json"
           : m == MEDIA_YAML       ? "application/yaml"
           : m == MEDIA_PARTIAL_V1 ? "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
           : m == MEDIA_PARTIAL_V1BETA1
               ? "application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io"
           : m == MEDIA_PARTIAL_LIST_V1
               ? "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
           : m == MEDIA_PARTIAL_LIST_V1BETA1
               ? "application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io"
           : m == MEDIA_PARTIAL_PB_V1
               ? "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
           : m == MEDIA_PARTIAL_PB_V1BETA1
               ? "application/"
                 "vnd.kubernetes.protobuf;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io"
           : m == MEDIA_PARTIAL_LIST_PB_V1
               ? "application/"
                 "vnd.kubernetes.protobuf;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
           : m == MEDIA_PARTIAL_LIST_PB_V1BETA1
               ? "application/"
                 "vnd.kubernetes.protobuf;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io"
           : m == MEDIA_TABLE_V1BETA1 ? "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
                                      : "application/json;as=Table;v=v1;g=meta.k8s.io";
}

static enum query_target query_target_of(enum route_kind k)
{
    return k == ROUTE_NODES            ? QUERY_NODES
           : k == ROUTE_NODE           ? QUERY_NODE
           : k == ROUTE_PODS_NAMESPACE ? QUERY_NAMESPACE_PODS
           : k == ROUTE_POD            ? QUERY_POD
                                       : QUERY_PODS;
}

static enum query_format query_format_of(enum media m)
{
    return m == MEDIA_PROTOBUF        ? QUERY_PROTOBUF
           : m == MEDIA_TABLE_V1BETA1 ? QUERY_TABLE_V1BETA1
           : m == MEDIA_TABLE_V1      ? QUERY_TABLE_V1
                                      : QUERY_JSON; /* YAML and metadata only: made from it */
}

static bool is_partial(enum media m)
{
    return m >= MEDIA_PARTIAL_V1 && m <= MEDIA_LAST;
}

static bool is_partial_list(enum media m)
{
    return m == MEDIA_PARTIAL_LIST_V1 || m == MEDIA_PARTIAL_LIST_V1BETA1 ||
           m == MEDIA_PARTIAL_LIST_PB_V1 || m == MEDIA_PARTIAL_LIST_PB_V1BETA1;
}

/* The JSON just rendered, in the form the client asked for: YAML or metadata only. */
static int convert(enum media m, const struct outbuf *json, struct outbuf *out)
{
    bool v1 = m == MEDIA_PARTIAL_V1 || m == MEDIA_PARTIAL_LIST_V1 || m == MEDIA_PARTIAL_PB_V1 ||
              m == MEDIA_PARTIAL_LIST_PB_V1;
    const char *api_version = v1 ? "meta.k8s.io/v1" : "meta.k8s.io/v1beta1";

    if (m == MEDIA_YAML) return render_yaml_from_json(out, json->data, json->len);
    if (media_is_protobuf(m))
        return render_partial_pb_from_json(out, json->data, json->len, is_partial_list(m),
                                           api_version);
    return render_partial_from_json(out, json->data, json->len, is_partial_list(m), api_version);
}

static void serve(struct aggregator *agg, h2o_req_t *req, const struct route *r, enum media m,
                  const struct selector *labels, const struct selector *fields)
{
    char ns[64], name[256], msg[400], details[64 + 1 + 256];
    struct metrics_query q = {.target = query_target_of(r->kind),
                              .api_version = api_version_string(r->version),
                              .ns = ns,
                              .name = name,
                              .format = query_format_of(m),
                              .labels = labels,
                              .fields = fields};
    struct outbuf b;
    int rc;

    snprintf(ns, sizeof(ns), "%.*s", (int)r->ns_len, r->ns ? r->ns : "");
    snprintf(name, sizeof(name), "%.*s", (int)r->name_len, r->name ? r->name : "");
    respond_buffer_acquire(&agg->responses, &b);
    rc = metrics_query_render(&agg->store, &agg->query_scratch, &q, &b);
    if (rc == 200 && (m == MEDIA_YAML || is_partial(m))) {
        struct outbuf conv;
        respond_buffer_acquire(&agg->responses, &conv);
        if (convert(m, &b, &conv) == 0) {
            outbuf_done(&b);
            respond_body_pooled(req, &agg->responses, 200, content_type(m), &conv);
            return;
        }
        outbuf_done(&conv);
        rc = 500;
    }
    if (rc == 200) {
        respond_body_pooled(req, &agg->responses, 200, content_type(m), &b);
        return;
    }
    outbuf_done(&b);
    if (rc == 404 && r->kind == ROUTE_NODE) {
        snprintf(msg, sizeof(msg), "nodemetrics.metrics.k8s.io \"%s\" not found", name);
        respond_status(req, m, 404, "NotFound", msg, name, "nodes");
    } else if (rc == 404) {
        snprintf(details, sizeof(details), "%s/%s", ns, name);
        snprintf(msg, sizeof(msg), "podmetrics.metrics.k8s.io \"%s\" not found", details);
        respond_status(req, m, 404, "NotFound", msg, details, "pods");
    } else {
        respond_status(req, m, 500, "InternalError", "out of memory", NULL, NULL);
    }
}

enum request_verb handle_metrics(struct aggregator *agg, h2o_req_t *req, const struct route *r,
                                 struct query q)
{
    bool single = r->kind == ROUTE_NODE || r->kind == ROUTE_POD;
    h2o_iovec_t accept = request_header(req, H2O_TOKEN_ACCEPT);
    enum media m = negotiate_accept(accept.base, accept.len, true);
    struct selector labels, fsel;

    if (m == MEDIA_NONE) {
        respond_status(req, MEDIA_JSON, 406, "NotAcceptable",
                       "only application/json, application/yaml, "
                       "application/vnd.kubernetes.protobuf, application/json;as=Table and "
                       "as=PartialObjectMetadata or as=PartialObjectMetadataList "
                       "(g=meta.k8s.io, JSON or protobuf) are served",
                       NULL, NULL);
        return single ? VERB_GET : VERB_LIST;
    }
    if (is_partial(m) && is_partial_list(m) == single) {
        /* As the API server answers it: the list form for a list, the object form for an
         * object. */
        respond_status(req, MEDIA_JSON, 406, "NotAcceptable",
                       single ? "you requested PartialObjectMetadataList, but the requested "
                                "object is not a list"
                              : "you requested PartialObjectMetadata, but the requested object "
                                "is a list",
                       NULL, NULL);
        return single ? VERB_GET : VERB_LIST;
    }
    if (!request_method_is(req, "GET") && !request_method_is(req, "HEAD")) {
        respond_status(req, m, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource (only "
                       "get and list)",
                       NULL, NULL);
        return VERB_OTHER;
    }
    if (wants_watch(q)) {
        /* Metrics are sampled, not stored objects with versions: like metrics-server (whose
         * storage implements no Watcher), refuse rather than answer a list a watcher cannot
         * decode. */
        bool nodes = r->kind == ROUTE_NODES || r->kind == ROUTE_NODE;
        respond_status(req, m, 405, "MethodNotAllowed",
                       nodes
                           ? "watch is not supported on resources of kind \"nodes.metrics.k8s.io\""
                           : "watch is not supported on resources of kind \"pods.metrics.k8s.io\"",
                       "", nodes ? "nodes" : "pods");
        return VERB_OTHER;
    }
    if (single) {
        serve(agg, req, r, m, NULL, NULL);
        return VERB_GET;
    }
    if (parse_selectors(req, m, q, r->kind == ROUTE_NODES ? node_fields : pod_fields, &labels,
                        &fsel))
        return VERB_LIST;
    serve(agg, req, r, m, &labels, &fsel);
    selector_done(&labels);
    selector_done(&fsel);
    return VERB_LIST;
}
