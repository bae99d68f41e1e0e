#include "metrics_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pod_fields_obj {
    const struct pod_metrics_view *view;
    const char *node;
};

static const char *pod_field(const void *obj, const char *key)
{
    const struct pod_fields_obj *o = obj;

    if (strcmp(key, "metadata.name") == 0) return o->view->meta.name;
    if (strcmp(key, "metadata.namespace") == 0) return o->view->meta.namespace_;
    if (strcmp(key, "spec.nodeName") == 0) return o->node;
    return NULL;
}

static const char *node_field(const void *obj, const char *key)
{
    const struct node_metrics_view *n = obj;
    return strcmp(key, "metadata.name") == 0 ? n->meta.name : NULL;
}

static bool selected(const struct metrics_query *q, const struct object_meta_view *meta,
                     const char *(*field)(const void *, const char *), const void *obj)
{
    return (!q->labels || selector_matches_labels(q->labels, meta->labels, meta->nlabels)) &&
           (!q->fields || selector_matches_fields(q->fields, field, obj));
}

static int cmp_node_view(const void *a, const void *b)
{
    return strcmp(((const struct node_metrics_view *)a)->meta.name,
                  ((const struct node_metrics_view *)b)->meta.name);
}

static const char *table_version(enum query_format f)
{
    return f == QUERY_TABLE_V1BETA1 ? "meta.k8s.io/v1beta1" : "meta.k8s.io/v1";
}

static void render_nodes(const struct metrics_query *q, const struct node_metrics_view *views,
                         size_t n, bool single, struct outbuf *out)
{
    const char *v = q->api_version;

    if (q->format == QUERY_PROTOBUF)
        single ? render_node_pb(out, v, views) : render_node_list_pb(out, v, views, n);
    else if (q->format == QUERY_JSON)
        single ? render_node_json(out, v, views) : render_node_list_json(out, v, views, n);
    else
        render_node_table(out, table_version(q->format), views, n);
}

static void render_pods(const struct metrics_query *q, const struct pod_metrics_view *views,
                        size_t n, bool single, struct outbuf *out)
{
    const char *v = q->api_version;

    if (q->format == QUERY_PROTOBUF)
        single ? render_pod_pb(out, v, views) : render_pod_list_pb(out, v, views, n);
    else if (q->format == QUERY_JSON)
        single ? render_pod_json(out, v, views) : render_pod_list_json(out, v, views, n);
    else
        render_pod_table(out, table_version(q->format), views, n);
}

static int query_nodes(const struct store *s, const struct metrics_query *q, struct outbuf *out)
{
    struct node_metrics_view *views;
    size_t n = 0;
    const char *k;
    void *val;

    if (q->target == QUERY_NODE) {
        struct node_metrics_view view;
        struct store_node *node = strmap_get(&s->nodes, q->name);
        if (!node || !store_node_view(s, node, &view)) return 404;
        render_nodes(q, &view, 1, true, out);
        return out->failed ? -ENOMEM : 200;
    }
    views = calloc(s->nodes.len ? s->nodes.len : 1, sizeof(*views));
    if (!views) return -ENOMEM;
    for (size_t it = 0; strmap_next(&s->nodes, &it, &k, &val);) {
        if (store_node_view(s, val, &views[n]) &&
            selected(q, &views[n].meta, node_field, &views[n]))
            n++;
    }
    qsort(views, n, sizeof(*views), cmp_node_view);
    render_nodes(q, views, n, false, out);
    free(views);
    return out->failed ? -ENOMEM : 200;
}

/* Adds one pod's view when it is served and selected; its containers go to the shared
 * arrays. */
static void add_pod(const struct store *s, const struct metrics_query *q, const struct store_pod *p,
                    struct pod_metrics_view *views, size_t *nviews,
                    struct container_metrics_view *containers, size_t *ncontainers)
{
    struct pod_metrics_view *view = &views[*nviews];
    struct pod_fields_obj obj = {.view = view, .node = p->node->name};

    if (!store_pod_view(s, p, containers + *ncontainers, view)) return;
    if (!selected(q, &view->meta, pod_field, &obj)) return;
    *ncontainers += view->ncontainers;
    (*nviews)++;
}

void metrics_query_scratch_init(struct metrics_query_scratch *x)
{
    memset(x, 0, sizeof(*x));
}

void metrics_query_scratch_done(struct metrics_query_scratch *x)
{
    free(x->views);
    free(x->containers);
    metrics_query_scratch_init(x);
}

static bool scratch_reserve(struct metrics_query_scratch *scratch, size_t nviews,
                            size_t ncontainers)
{
    if (nviews > scratch->views_cap) {
        void *p = realloc(scratch->views, nviews * sizeof(*scratch->views));
        if (!p) return false;
        scratch->views = p;
        scratch->views_cap = nviews;
    }
    if (ncontainers > scratch->containers_cap) {
        void *c = realloc(scratch->containers, ncontainers * sizeof(*scratch->containers));
        if (!c) return false;
        scratch->containers = c;
        scratch->containers_cap = ncontainers;
    }
    return true;
}

/* A full LIST walks pods scattered over the heap: ask for the records a few pods ahead (and
 * their containers, whose address is in a record fetched earlier) while this one is encoded,
 * so the misses overlap instead of queuing. */
#define PREFETCH_PODS 16
#define PREFETCH_CONTAINERS 8
static inline void prefetch_ahead(struct store_pod *const *sorted, size_t i, int step, size_t n)
{
    size_t far = i + (size_t)(step * PREFETCH_PODS),
           near = i + (size_t)(step * PREFETCH_CONTAINERS);

    if (far < n) __builtin_prefetch(sorted[far]);
    if (near < n) {
        /* A pod's containers span several cache lines (136 bytes each), all of them read. */
        const char *c = (const char *)store_pod_containers(sorted[near]);
        size_t bytes = sorted[near]->ncontainers * sizeof(struct store_container);

        for (size_t off = 0; off < bytes && off < 8 * 64; off += 64)
            __builtin_prefetch(c + off);
    }
}

/* LIST in protobuf straight from the store: each pod's view is built and encoded in turn,
 * last pod first (the protobuf stream is written backwards), so nothing per pod is kept
 * between shipments and no array of views is built. */
static int query_pods_pb(struct store *s, struct metrics_query_scratch *x,
                         const struct metrics_query *q, struct outbuf *out)
{
    struct container_metrics_view containers[WIRE_MAX_CONTAINERS];
    size_t n;
    struct store_pod *const *sorted =
        store_sorted_pods(s, q->target == QUERY_NAMESPACE_PODS ? q->ns : NULL, &n);
    struct pod_list_pb *l = render_pod_list_pb_begin(
        out, x->last_pb_len ? x->last_pb_len + x->last_pb_len / 8 : 256 + n * 256);

    if (!l) return -ENOMEM;
    for (size_t i = n; i-- > 0;) {
        const struct store_pod *p = sorted[i];

        prefetch_ahead(sorted, i, -1, n);
        struct pod_metrics_view v;
        struct pod_fields_obj obj = {.view = &v, .node = p->node->name};

        if (p->ncontainers > WIRE_MAX_CONTAINERS || !store_pod_view(s, p, containers, &v)) continue;
        if (!selected(q, &v.meta, pod_field, &obj)) continue;
        render_pod_list_pb_prepend(l, &v);
    }
    render_pod_list_pb_end(l, q->api_version);
    if (out->failed) return -ENOMEM;
    if (!q->labels && !q->fields && q->target == QUERY_PODS) x->last_pb_len = out->len;
    return 200;
}

static int query_pods(struct store *s, struct metrics_query_scratch *x,
                      const struct metrics_query *q, struct outbuf *out)
{
    bool single = q->target == QUERY_POD;
    size_t npods = single ? 1 : s->npods, nconts = s->ncontainers, nviews = 0, ncontainers = 0;
    struct pod_metrics_view *views = NULL;
    struct container_metrics_view *containers = NULL;
    int rc = 200;

    if (!single && q->format == QUERY_PROTOBUF) return query_pods_pb(s, x, q, out);
    if (single) {
        const struct store_pod *p = store_find_pod(s, q->ns, q->name);
        if (!p) return 404;
        nconts = p->ncontainers;
    }
    if (!scratch_reserve(x, npods + 1, nconts + 1)) return -ENOMEM;
    views = x->views;
    containers = x->containers;
    if (single) {
        add_pod(s, q, store_find_pod(s, q->ns, q->name), views, &nviews, containers, &ncontainers);
        if (nviews == 0) {
            rc = 404; /* known, but nothing measured yet */
            goto out;
        }
    } else {
        /* Already in namespace/name order: no per-request sort. */
        size_t n;
        struct store_pod *const *sorted =
            store_sorted_pods(s, q->target == QUERY_NAMESPACE_PODS ? q->ns : NULL, &n);
        for (size_t i = 0; i < n; i++) {
            prefetch_ahead(sorted, i, 1, n);
            add_pod(s, q, sorted[i], views, &nviews, containers, &ncontainers);
        }
    }
    render_pods(q, views, nviews, single, out);
    rc = out->failed ? -ENOMEM : 200;
out:
    return rc;
}

int metrics_query_render(struct store *s, struct metrics_query_scratch *x,
                         const struct metrics_query *q, struct outbuf *out)
{
    if (q->target == QUERY_NODES || q->target == QUERY_NODE) return query_nodes(s, q, out);
    return query_pods(s, x, q, out);
}
