/* NodeMetrics and PodMetrics (and their lists) in protobuf, in the Kubernetes envelope
 * (pb_writer.h); a pod list also item by item, straight from the store. */
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "pb_writer.h"
#include "quantity.h"
#include "render.h"

/* A small pre-encoded field (Time or Duration with its tag and length), cached per call
 * because a response's items share a handful of values. */
struct pb_chunk {
    bool valid;
    int64_t key;
    uint8_t len;
    uint8_t b[16];
};

/* metav1.Time{seconds=1, nanos=2}; nanos is always 0, as the apiserver's ProtoTime. */
static const struct pb_chunk *pb_time(struct pb_chunk *c, uint8_t tag, int64_t ns)
{
    int64_t sec = unix_sec(ns);

    if (!c->valid || c->key != sec) {
        uint8_t *p = fw_varint(c->b + 3, (uint64_t)sec);

        *p++ = 0x10;
        *p++ = 0x00;
        c->b[0] = tag;
        c->b[1] = (uint8_t)(p - c->b - 2); /* at most 13 */
        c->b[2] = 0x08;
        c->len = (uint8_t)(p - c->b);
        c->key = sec;
        c->valid = true;
    }
    return c;
}

/* metav1.Duration{duration=1 int64 ns}. */
static const struct pb_chunk *pb_duration(struct pb_chunk *c, uint8_t tag, int64_t ns)
{
    if (!c->valid || c->key != ns) {
        uint8_t *p = fw_varint(c->b + 3, (uint64_t)ns);

        c->b[0] = tag;
        c->b[1] = (uint8_t)(p - c->b - 2);
        c->b[2] = 0x08;
        c->len = (uint8_t)(p - c->b);
        c->key = ns;
        c->valid = true;
    }
    return c;
}

struct pbctx {
    struct rctx c;
    struct pb_chunk created, ts, window;
    struct outbuf item; /* scratch for one item, reused */
};

static void pbctx_init(struct pbctx *x)
{
    memset(x, 0, sizeof(*x));
    outbuf_init(&x->item);
}

/* A usage map formatted up front: entry sizes must be known before their bytes. */
struct usage_enc {
    size_t n, size;
    struct {
        const char *key;
        uint8_t klen, qlen;
        char q[QTY_MAX];
    } e[3];
};

static void usage_add(struct usage_enc *ue, const char *key, uint8_t klen, size_t qlen)
{
    ue->e[ue->n].key = key;
    ue->e[ue->n].klen = klen;
    ue->e[ue->n].qlen = (uint8_t)qlen;
    /* entry = tag len {0x0a klen key, 0x12 len {0x0a qlen q}}; every length < 128 */
    ue->size += 2 + 2 + klen + 2 + 2 + qlen;
    ue->n++;
}

static void usage_prepare(struct usage_enc *ue, const struct usage_view *u)
{
    ue->n = ue->size = 0;
    /* keys padded to 8 bytes for usage_write's fixed-size copy */
    usage_add(ue, "cpu\0\0\0\0", 3, cpu_str(ue->e[0].q, u->cpu_nanocores));
    usage_add(ue, "memory\0", 6, mem_str(ue->e[1].q, u->memory_bytes));
    if (u->has_swap) usage_add(ue, "swap\0\0\0", 4, mem_str(ue->e[2].q, u->swap_bytes));
}

/* Copies past an entry's end are fine: callers reserve USAGE_SLACK extra bytes, so the
 * fixed-size memcpys below compile to a few moves instead of library calls. */
enum { USAGE_SLACK = QTY_MAX + 8 };

/* map<string, Quantity> entries {key=1, value=2 Quantity{string=1}}, keys already sorted. */
static uint8_t *usage_write(uint8_t *p, uint8_t tag, const struct usage_enc *ue)
{
    for (size_t i = 0; i < ue->n; i++) {
        uint8_t kl = ue->e[i].klen, ql = ue->e[i].qlen;

        p[0] = tag;
        p[1] = (uint8_t)(2 + kl + 2 + 2 + ql);
        p[2] = 0x0a;
        p[3] = kl;
        memcpy(p + 4, ue->e[i].key, 8); /* keys are padded to 8 bytes */
        p += 4 + kl;
        p[0] = 0x12;
        p[1] = (uint8_t)(2 + ql);
        p[2] = 0x0a;
        p[3] = ql;
        memcpy(p + 4, ue->e[i].q, QTY_MAX);
        p += 4 + ql;
    }
    return p;
}

/* Space for n more bytes at the scratch's end, or NULL (failure is sticky in the outbuf). */
static uint8_t *item_room(struct outbuf *s, size_t n)
{
    return outbuf_reserve(s, n) ? (uint8_t *)s->data + s->len : NULL;
}

static void item_done(struct outbuf *s, const uint8_t *p)
{
    s->len = (size_t)(p - (uint8_t *)s->data);
}

/* ObjectMeta (field 1): name=1, namespace=3, creationTimestamp=8, labels=11 sorted by key. */
static void item_meta(struct pbctx *x, const struct object_meta_view *m)
{
    const char *name = m->name ? m->name : "";
    size_t nl = strlen(name), nsl = m->namespace_ ? strlen(m->namespace_) : 0, body;
    const struct pb_chunk *ct = pb_time(&x->created, 0x42, creation_ns(&x->c, m));
    uint8_t *p;

    body = field_size(nl) + (m->namespace_ ? field_size(nsl) : 0) + ct->len;
    for (size_t i = 0; i < m->nlabels; i++) {
        size_t e =
            field_size(strlen(nz(m->labels[i].key))) + field_size(strlen(nz(m->labels[i].value)));
        body += 1 + varint_len(e) + e;
    }
    if (!(p = item_room(&x->item, 1 + 10 + body + sizeof(ct->b)))) return;
    *p++ = 0x0a;
    p = fw_varint(p, body);
    p = fw_field(p, 0x0a, name, nl);
    if (m->namespace_) p = fw_field(p, 0x1a, m->namespace_, nsl);
    memcpy(p, ct->b, sizeof(ct->b)); /* fixed size, the labels overwrite the excess */
    p += ct->len;
    for (size_t i = 0; i < m->nlabels; i++) {
        const char *k = nz(m->labels[i].key), *val = nz(m->labels[i].value);
        size_t kl = strlen(k), vl = strlen(val);

        *p++ = 0x5a;
        p = fw_varint(p, field_size(kl) + field_size(vl));
        p = fw_field(p, 0x0a, k, kl);
        p = fw_field(p, 0x12, val, vl);
    }
    item_done(&x->item, p);
}

/* timestamp=2, window=3 */
static void item_ts_window(struct pbctx *x, int64_t ts_ns, int64_t window_ns)
{
    const struct pb_chunk *t = pb_time(&x->ts, 0x12, ts_ns);
    const struct pb_chunk *d = pb_duration(&x->window, 0x1a, window_ns);
    uint8_t *p = item_room(&x->item, sizeof(t->b) + sizeof(d->b));

    if (!p) return;
    memcpy(p, t->b, sizeof(t->b)); /* fixed size: a few moves, not a call */
    p += t->len;
    memcpy(p, d->b, sizeof(d->b));
    item_done(&x->item, p + d->len);
}

/* NodeMetrics: metadata=1, timestamp=2, window=3, usage=4. */
static void item_node(struct pbctx *x, const struct node_metrics_view *n)
{
    struct usage_enc ue;
    uint8_t *p;

    outbuf_reset(&x->item);
    item_meta(x, &n->meta);
    item_ts_window(x, n->timestamp_ns, n->window_ns);
    usage_prepare(&ue, &n->usage);
    if ((p = item_room(&x->item, ue.size + USAGE_SLACK)))
        item_done(&x->item, usage_write(p, 0x22, &ue));
}

/* PodMetrics: metadata=1, timestamp=2, window=3, containers=4 {name=1, usage=2}. */
static void item_pod(struct pbctx *x, const struct pod_metrics_view *pm)
{
    outbuf_reset(&x->item);
    item_meta(x, &pm->meta);
    item_ts_window(x, pm->timestamp_ns, pm->window_ns);
    for (size_t i = 0; i < pm->ncontainers; i++) {
        const struct container_metrics_view *c = &pm->containers[i];
        const char *name = c->name ? c->name : "";
        size_t nl = strlen(name), body;
        struct usage_enc ue;
        uint8_t *p;

        usage_prepare(&ue, &c->usage);
        body = field_size(nl) + ue.size;
        if (!(p = item_room(&x->item, 1 + 10 + body + USAGE_SLACK))) return;
        *p++ = 0x22;
        p = fw_varint(p, body);
        p = fw_field(p, 0x0a, name, nl);
        item_done(&x->item, usage_write(p, 0x12, &ue));
    }
}

/* Copies the scratch item into the backward stream, with a length prefix if tag != 0. */
static void rw_item(struct rw *w, struct pbctx *x, uint8_t tag)
{
    size_t mark = rw_size(w);

    if (x->item.failed) {
        w->b->failed = true;
        return;
    }
    rw_bytes(w, x->item.data, x->item.len);
    if (tag) rw_close(w, mark, tag);
}

/* Rough protobuf sizes (a little high: an overshoot costs untouched address space, an
 * undershoot a regrow). */
static size_t pb_estimate_pods(const struct pod_metrics_view *items, size_t n)
{
    size_t est = 256 + n * 120;

    for (size_t i = 0; i < n; i++)
        est += items[i].ncontainers * 64 + items[i].meta.nlabels * 32;
    return est;
}

void render_node_pb(struct outbuf *b, api_version_t v, const struct node_metrics_view *n)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, 512);
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    item_node(&x, n);
    rw_item(&w, &x, 0);
    pb_envelope_head(&w, mark, v, "NodeMetrics");
    rw_finish(&w);
    outbuf_done(&x.item);
}

void render_node_list_pb(struct outbuf *b, api_version_t v, const struct node_metrics_view *items,
                         size_t n)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, 256 + n * 200);
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    for (size_t i = n; i-- > 0;) {
        item_node(&x, &items[i]);
        rw_item(&w, &x, 0x12);
    }
    rw_bytes(&w, "\x0a\x00", 2); /* empty ListMeta */
    pb_envelope_head(&w, mark, v, "NodeMetricsList");
    rw_finish(&w);
    outbuf_done(&x.item);
}

void render_pod_pb(struct outbuf *b, api_version_t v, const struct pod_metrics_view *p)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, pb_estimate_pods(p, 1));
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    item_pod(&x, p);
    rw_item(&w, &x, 0);
    pb_envelope_head(&w, mark, v, "PodMetrics");
    rw_finish(&w);
    outbuf_done(&x.item);
}

struct pod_list_pb {
    struct pbctx x;
    struct rw w;
    size_t mark;
};

struct pod_list_pb *render_pod_list_pb_begin(struct outbuf *b, size_t estimate)
{
    struct pod_list_pb *l = malloc(sizeof(*l));

    if (!l) {
        b->failed = true;
        return NULL;
    }
    pbctx_init(&l->x);
    rw_init(&l->w, b, estimate);
    pb_envelope_tail(&l->w);
    l->mark = rw_size(&l->w);
    return l;
}

void render_pod_list_pb_prepend(struct pod_list_pb *l, const struct pod_metrics_view *p)
{
    item_pod(&l->x, p);
    rw_item(&l->w, &l->x, 0x12);
}

void render_pod_list_pb_end(struct pod_list_pb *l, api_version_t v)
{
    if (!l) return;
    rw_bytes(&l->w, "\x0a\x00", 2); /* empty ListMeta */
    pb_envelope_head(&l->w, l->mark, v, "PodMetricsList");
    rw_finish(&l->w);
    outbuf_done(&l->x.item);
    free(l);
}

void render_pod_list_pb(struct outbuf *b, api_version_t v, const struct pod_metrics_view *items,
                        size_t n)
{
    struct pbctx x;
    struct rw w;
    size_t mark;

    pbctx_init(&x);
    rw_init(&w, b, pb_estimate_pods(items, n));
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    for (size_t i = n; i-- > 0;) {
        item_pod(&x, &items[i]);
        rw_item(&w, &x, 0x12);
    }
    rw_bytes(&w, "\x0a\x00", 2); /* empty ListMeta */
    pb_envelope_head(&w, mark, v, "PodMetricsList");
    rw_finish(&w);
    outbuf_done(&x.item);
}
