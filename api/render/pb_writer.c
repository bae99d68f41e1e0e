#include "pb_writer.h"

void rw_init(struct rw *w, struct outbuf *b, size_t estimate)
{
    w->b = b;
    w->base = b->len;
    w->pos = w->top = b->len;
    /* Start at base + estimate, not at cap: the capacity is rounded up to a power of two and
     * a fresh buffer's untouched pages cost nothing only if we stay off them. */
    if (outbuf_reserve(b, estimate)) w->pos = w->top = b->len + estimate;
}

/* Realloc keeps the whole block, then the live bytes move to the new top. */
bool rw_grow(struct rw *w, size_t need)
{
    size_t used = rw_size(w), room = w->top - w->base, newtop;

    if (w->b->failed) return false;
    if (!outbuf_reserve(w->b, room + (room > need ? room : need) + 64)) return false;
    newtop = w->b->cap - 1;
    memmove(w->b->data + newtop - used, w->b->data + w->pos, used);
    w->pos = newtop - used;
    w->top = newtop;
    return true;
}

void rw_finish(struct rw *w)
{
    struct outbuf *b = w->b;
    size_t n = rw_size(w);

    if (b->failed) return;
    memmove(b->data + w->base, b->data + w->pos, n);
    b->len = w->base + n;
    b->data[b->len] = '\0';
}

/* The tail of runtime.Unknown: contentEncoding=3 and contentType=4, both empty. Written
 * first since the stream is built backwards. */
void pb_envelope_tail(struct rw *w)
{
    rw_bytes(w, "\x1a\x00\x22\x00", 4);
}

/* raw=2 around everything since mark, then typeMeta=1{apiVersion=1, kind=2} and the magic. */
void pb_envelope_head(struct rw *w, size_t mark, const char *api_version, const char *kind)
{
    size_t tm;

    rw_close(w, mark, 0x12);
    tm = rw_size(w);
    rw_field_str(w, 0x12, kind);
    rw_field_str(w, 0x0a, api_version);
    rw_close(w, tm, 0x0a);
    rw_bytes(w, "k8s\0", 4);
}
