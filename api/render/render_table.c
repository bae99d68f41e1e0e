/* meta.k8s.io Tables for `kubectl get nodemetrics|podmetrics`: columns Name, CPU, Memory,
 * Window, each row with the PartialObjectMetadata the API server attaches. */
#include <string.h>

#include "append.h"
#include "json_text.h"
#include "quantity.h"
#include "render.h"

static const char table_columns[] =
    "\"columnDefinitions\":["
    "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"Name must be "
    "unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of a name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More "
    "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names\","
    "\"priority\":0},"
    "{\"name\":\"CPU\",\"type\":\"string\",\"format\":\"\",\"description\":\"CPU usage\","
    "\"priority\":0},"
    "{\"name\":\"Memory\",\"type\":\"string\",\"format\":\"\",\"description\":\"Memory usage "
    "(working set)\",\"priority\":0},"
    "{\"name\":\"Window\",\"type\":\"string\",\"format\":\"\",\"description\":\"Time window the "
    "usage was measured over\",\"priority\":0}],";

static void table_header(struct outbuf *b, const char *table_version)
{
    PUTLIT(b, "{\"kind\":\"Table\",\"apiVersion\":");
    jstr(b, table_version);
    PUTLIT(b, ",\"metadata\":{\"resourceVersion\":\"\"},");
    put(b, table_columns, sizeof(table_columns) - 1);
    PUTLIT(b, "\"rows\":[");
}

/* One row: cells, then the PartialObjectMetadata the API server attaches by default (its
 * apiVersion is the Table's group version, as the apiserver sets it). */
static void table_row(struct outbuf *b, struct rctx *c, const char *table_version, bool first,
                      const struct object_meta_view *m, uint64_t cpu, uint64_t mem,
                      int64_t window_ns)
{
    char q[QTY_MAX];
    const struct dur_cache *d = cached_duration(&c->win, window_ns);

    if (!first) PUTLIT(b, ",");
    PUTLIT(b, "{\"cells\":[");
    jstr(b, m->name);
    PUTLIT(b, ",\"");
    put(b, q, cpu_str(q, cpu));
    PUTLIT(b, "\",\"");
    put(b, q, mem_str(q, mem));
    PUTLIT(b, "\",\"");
    put(b, d->s, d->len);
    PUTLIT(b, "\"],\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":");
    jstr(b, table_version);
    PUTLIT(b, ",\"metadata\":");
    json_meta(b, c, m, true);
    PUTLIT(b, "}}");
}

void render_node_table(struct outbuf *b, const char *table_version,
                       const struct node_metrics_view *items, size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, 1024 + n * 320);
    table_header(b, table_version);
    for (size_t i = 0; i < n; i++)
        table_row(b, &c, table_version, i == 0, &items[i].meta, items[i].usage.cpu_nanocores,
                  items[i].usage.memory_bytes, items[i].window_ns);
    PUTLIT(b, "]}");
    terminate(b);
}

static uint64_t sat_add(uint64_t a, uint64_t x)
{
    return a + x < a ? UINT64_MAX : a + x;
}

void render_pod_table(struct outbuf *b, const char *table_version,
                      const struct pod_metrics_view *items, size_t n)
{
    struct rctx c;

    rctx_init(&c);
    outbuf_reserve(b, 1024 + n * 320);
    table_header(b, table_version);
    for (size_t i = 0; i < n; i++) {
        const struct pod_metrics_view *p = &items[i];
        uint64_t cpu = 0, mem = 0;

        for (size_t k = 0; k < p->ncontainers; k++) {
            cpu = sat_add(cpu, p->containers[k].usage.cpu_nanocores);
            mem = sat_add(mem, p->containers[k].usage.memory_bytes);
        }
        table_row(b, &c, table_version, i == 0, &p->meta, cpu, mem, p->window_ns);
    }
    PUTLIT(b, "]}");
    terminate(b);
}
