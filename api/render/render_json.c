/* NodeMetrics and PodMetrics (and their lists) as JSON, field order as metrics-server emits
 * it, written forwards in one pass over the views. */
#include <string.h>

#include "append.h"
#include "json_text.h"
#include "quantity.h"
#include "render.h"

/* {"cpu":"..","memory":".."[,"swap":".."]} built on the stack, appended at once. */
static void json_usage(struct outbuf *b, const struct usage_view *u)
{
    char buf[3 * QTY_MAX + 48];
    size_t n = 0;

    memcpy(buf, "{\"cpu\":\"", 8);
    n = 8;
    n += cpu_str(buf + n, u->cpu_nanocores);
    memcpy(buf + n, "\",\"memory\":\"", 12);
    n += 12;
    n += mem_str(buf + n, u->memory_bytes);
    if (u->has_swap) {
        memcpy(buf + n, "\",\"swap\":\"", 10);
        n += 10;
        n += mem_str(buf + n, u->swap_bytes);
    }
    memcpy(buf + n, "\"}", 2);
    n += 2;
    put(b, buf, n);
}

/* ,"timestamp":"..","window":".." */
static void json_ts_window(struct outbuf *b, struct rctx *c, int64_t ts_ns, int64_t window_ns)
{
    char buf[TIME_LEN + DUR_MAX + 32];
    const struct dur_cache *d = cached_duration(&c->win, window_ns);
    size_t n;

    memcpy(buf, ",\"timestamp\":\"", 14);
    n = 14;
    memcpy(buf + n, cached_time(&c->ts, ts_ns), TIME_LEN);
    n += TIME_LEN;
    memcpy(buf + n, "\",\"window\":\"", 12);
    n += 12;
    memcpy(buf + n, d->s, d->len);
    n += d->len;
    buf[n++] = '"';
    put(b, buf, n);
}

static void json_kind_header(struct outbuf *b, const char *kind, api_version_t v)
{
    PUTLIT(b, "{\"kind\":\"");
    put_str(b, kind);
    PUTLIT(b, "\",\"apiVersion\":");
    jstr(b, v);
    PUTLIT(b, ",");
}

static void json_node_body(struct outbuf *b, struct rctx *c, const struct node_metrics_view *n)
{
    PUTLIT(b, "\"metadata\":");
    json_meta(b, c, &n->meta, true);
    json_ts_window(b, c, n->timestamp_ns, n->window_ns);
    PUTLIT(b, ",\"usage\":");
    json_usage(b, &n->usage);
    PUTLIT(b, "}");
}

static void json_pod_body(struct outbuf *b, struct rctx *c, const struct pod_metrics_view *p)
{
    PUTLIT(b, "\"metadata\":");
    json_meta(b, c, &p->meta, true);
    json_ts_window(b, c, p->timestamp_ns, p->window_ns);
    PUTLIT(b, ",\"containers\":[");
    for (size_t i = 0; i < p->ncontainers; i++) {
        const struct container_metrics_view *ct = &p->containers[i];

        if (i) PUTLIT(b, ",");
        PUTLIT(b, "{\"name\":");
        jstr(b, ct->name);
        PUTLIT(b, ",\"usage\":");
        json_usage(b, &ct->usage);
        PUTLIT(b, "}");
    }
    PUTLIT(b, "]}");
}

/* Rough response sizes so big lists grow the buffer once, not log2(n) times. */
static size_t estimate_nodes(size_t n)
{
    return 256 + n * 320;
}

static size_t estimate_pods(const struct pod_metrics_view *items, size_t n, size_t per_pod,
                            size_t per_container)
{
    size_t containers = 0;

    for (size_t i = 0; i < n; i++)
        containers += items[i].ncontainers + items[i].meta.nlabels;
    return 256 + n * per_pod + containers * per_container;
}

void render_node_json(struct outbuf *b, api_version_t v, const struct node_metrics_view *n)
{
    struct rctx c;

    rctx_init(&c);
    json_kind_header(b, "NodeMetrics", v);
    json_node_body(b, &c, n);
    terminate(b);
}

void render_node_list_json(struct outbuf *b, api_version_t v, const struct node_metrics_view *items,
                           size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, estimate_nodes(n));
    json_kind_header(b, "NodeMetricsList", v);
    PUTLIT(b, "\"metadata\":{},\"items\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) PUTLIT(b, ",");
        PUTLIT(b, "{");
        json_node_body(b, &c, &items[i]);
    }
    PUTLIT(b, "]}");
    terminate(b);
}

void render_pod_json(struct outbuf *b, api_version_t v, const struct pod_metrics_view *p)
{
    struct rctx c;

    rctx_init(&c);
    json_kind_header(b, "PodMetrics", v);
    json_pod_body(b, &c, p);
    terminate(b);
}

void render_pod_list_json(struct outbuf *b, api_version_t v, const struct pod_metrics_view *items,
                          size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, estimate_pods(items, n, 224, 96));
    json_kind_header(b, "PodMetricsList", v);
    PUTLIT(b, "\"metadata\":{},\"items\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) PUTLIT(b, ",");
        PUTLIT(b, "{");
        json_pod_body(b, &c, &items[i]);
    }
    PUTLIT(b, "]}");
    terminate(b);
}
