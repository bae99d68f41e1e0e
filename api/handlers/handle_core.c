/* Standalone mode only: the read-only minimum of the core API that `kubectl top` needs when no
 * API server is there. kubectl reads nodes for their allocatable CPU and memory (top node) and
 * lists pods when no pod metrics come back (top pod, to tell "no pods" from an error); both
 * are answered from what the collectors report. In Kubernetes mode the API server owns these
 * paths: 404. Always JSON (client-go decodes by the answer's Content-Type). */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "http/respond.h"
#include "render/json_text.h"
#include "render/render.h"

/* One Node; head goes first inside it (the kind and apiVersion of a single object). */
static void node_json(struct outbuf *b, const struct store_node *n, const char *head)
{
    struct outbuf q;

    outbuf_putc(b, '{');
    outbuf_puts(b, head);
    outbuf_puts(b, "\"metadata\":{\"name\":");
    jstr(b, n->name);
    outbuf_puts(b, ",\"creationTimestamp\":\"");
    format_rfc3339(b, n->first_seen_ns);
    outbuf_puts(b, "\"},\"spec\":{},\"status\":{");
    outbuf_init(&q);
    outbuf_puts(&q, "{\"cpu\":\"");
    format_cpu_quantity(&q, (uint64_t)n->cpu_cores * 1000000000u);
    outbuf_puts(&q, "\",\"memory\":\"");
    format_memory_quantity(&q, n->memory_capacity);
    outbuf_puts(&q, "\"}");
    outbuf_puts(b, "\"capacity\":");
    outbuf_append(b, q.data, q.len);
    outbuf_puts(b, ",\"allocatable\":");
    outbuf_append(b, q.data, q.len);
    outbuf_done(&q);
    outbuf_puts(b, ",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
}

static void pod_json(struct outbuf *b, const struct store_pod *p)
{
    char uid[WIRE_UID_MAX + 1];

    store_pod_uid(p, uid);
    outbuf_puts(b, "{\"metadata\":{\"name\":");
    jstr(b, p->name);
    outbuf_puts(b, ",\"namespace\":");
    jstr(b, p->namespace_);
    outbuf_puts(b, ",\"uid\":");
    jstr(b, uid);
    outbuf_puts(b, "},\"spec\":{\"nodeName\":");
    jstr(b, p->node->name);
    outbuf_puts(b, "},\"status\":{\"phase\":\"Running\"}}");
}

static void list_start(struct outbuf *b, const char *kind)
{
    outbuf_puts(b, "{\"kind\":\"");
    outbuf_puts(b, kind);
    outbuf_puts(b, "\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"\"},\"items\":[");
}

enum request_verb handle_core(struct aggregator *agg, h2o_req_t *req, const struct route *r)
{
    struct outbuf b;
    char name[256], ns[64];
    size_t n = 0;

    if (agg->cfg.kube_mode) {
        respond_status(req, MEDIA_JSON, 404, "NotFound",
                       "the server could not find the requested resource", NULL, NULL);
        return VERB_OTHER;
    }
    if (!request_method_is(req, "GET") && !request_method_is(req, "HEAD")) {
        respond_status(req, MEDIA_JSON, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource", NULL,
                       NULL);
        return VERB_OTHER;
    }
    outbuf_init(&b);
    snprintf(name, sizeof(name), "%.*s", (int)r->name_len, r->name ? r->name : "");
    snprintf(ns, sizeof(ns), "%.*s", (int)r->ns_len, r->ns ? r->ns : "");
    if (r->kind == ROUTE_CORE_NODE) {
        const struct store_node *node = strmap_get(&agg->store.nodes, name);
        char msg[300];
        if (!node || !store_node_selected(&agg->store, node)) {
            outbuf_done(&b);
            snprintf(msg, sizeof(msg), "nodes \"%s\" not found", name);
            respond_status(req, MEDIA_JSON, 404, "NotFound", msg, name, "nodes");
            return VERB_GET;
        }
        node_json(&b, node, "\"kind\":\"Node\",\"apiVersion\":\"v1\",");
        respond_body(req, 200, "application/json", &b);
        return VERB_GET;
    }
    if (r->kind == ROUTE_CORE_NODES) {
        const char *k;
        void *v;
        list_start(&b, "NodeList");
        for (size_t it = 0; strmap_next(&agg->store.nodes, &it, &k, &v);) {
            if (!store_node_selected(&agg->store, v)) continue;
            if (n++) outbuf_putc(&b, ',');
            node_json(&b, v, "");
        }
    } else {
        size_t count;
        struct store_pod *const *pods = store_sorted_pods(
            &agg->store, r->kind == ROUTE_CORE_PODS_NAMESPACE ? ns : NULL, &count);
        list_start(&b, "PodList");
        for (size_t i = 0; i < count; i++) {
            if (!pods[i]->named || !store_node_selected(&agg->store, pods[i]->node)) continue;
            if (n++) outbuf_putc(&b, ',');
            pod_json(&b, pods[i]);
        }
    }
    outbuf_puts(&b, "]}");
    if (b.failed) {
        outbuf_done(&b);
        respond_status(req, MEDIA_JSON, 500, "InternalError", "out of memory", NULL, NULL);
    } else {
        respond_body(req, 200, "application/json", &b);
    }
    return VERB_LIST;
}
