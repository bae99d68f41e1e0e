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
                    struct container_metrics_view *containers, char (*names)[32],
                    size_t *ncontainers)
{
    struct pod_metrics_view *view = &views[*nviews];
    struct pod_fields_obj obj = {.view = view, .node = p->node->name};

    if (!store_pod_view(s, p, containers + *ncontainers, names + *ncontainers, view)) return;
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
    free(x->names);
    free(x->slices);
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
        void *n = realloc(scratch->names, ncontainers * sizeof(*scratch->names));
        if (!n) return false;
        scratch->names = n;
        scratch->containers_cap = ncontainers;
    }
    return true;
}

/* LIST in protobuf from each pod's stored message (rendered when its shipment arrived): only
 * selection and framing happen per request. */
static int query_pods_pb_cached(struct store *s, struct metrics_query_scratch *x,
                                const struct metrics_query *q, struct outbuf *out)
{
    size_t n, nsel = 0;
    struct store_pod *const *sorted =
        store_sorted_pods(s, q->target == QUERY_NAMESPACE_PODS ? q->ns : NULL, &n);

    if (n > x->slices_cap) {
        struct pb_slice *grown = realloc(x->slices, n * sizeof(*x->slices));
        if (!grown) return -ENOMEM;
        x->slices = grown;
        x->slices_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const struct store_pod *p = sorted[i];
        struct pod_metrics_view v = {.meta = {.name = p->name, .namespace_ = p->namespace_}};
        struct pod_fields_obj obj = {.view = &v, .node = p->node->name};

        if (!p->pb || !store_node_selected(s, p->node)) continue;
        if (q->labels) store_pod_labels(s, p, &v.meta.labels, &v.meta.nlabels);
        if (!selected(q, &v.meta, pod_field, &obj)) continue;
        x->slices[nsel++] = (struct pb_slice){p->pb, p->pb_len};
    }
    render_pod_list_pb_items(out, q->api_version, x->slices, nsel);
    return out->failed ? -ENOMEM : 200;
}

static int query_pods(struct store *s, struct metrics_query_scratch *x,
                      const struct metrics_query *q, struct outbuf *out)
{
    bool single = q->target == QUERY_POD;
    size_t npods = single ? 1 : s->npods, nconts = s->ncontainers, nviews = 0, ncontainers = 0;
    struct pod_metrics_view *views = NULL;
    struct container_metrics_view *containers = NULL;
    char(*names)[32] = NULL;
    int rc = 200;

    if (!single && q->format == QUERY_PROTOBUF) return query_pods_pb_cached(s, x, q, out);
    if (single) {
        const struct store_pod *p = store_find_pod(s, q->ns, q->name);
        if (!p) return 404;
        nconts = p->ncontainers;
    }
    if (!scratch_reserve(x, npods + 1, nconts + 1)) return -ENOMEM;
    views = x->views;
    containers = x->containers;
    names = x->names;
    if (single) {
        add_pod(s, q, store_find_pod(s, q->ns, q->name), views, &nviews, containers, names,
                &ncontainers);
        if (nviews == 0) {
            rc = 404; /* known, but nothing measured yet */
            goto out;
        }
    } else {
        /* Already in namespace/name order: no per-request sort. */
        size_t n;
        struct store_pod *const *sorted =
            store_sorted_pods(s, q->target == QUERY_NAMESPACE_PODS ? q->ns : NULL, &n);
        for (size_t i = 0; i < n; i++)
            add_pod(s, q, sorted[i], views, &nviews, containers, names, &ncontainers);
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
