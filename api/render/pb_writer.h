/* Protobuf in the Kubernetes envelope, written by two cooperating writers:
 *  - the outer layers (envelope, list, items) are written backwards into the outbuf's spare
 *    capacity (live bytes are data[pos, top)), so a length prefix is known as soon as its body
 *    is done; the finished message is moved down to the old b->len at the end;
 *  - each item is encoded forwards, with exact nested sizes computed first, into a scratch
 *    buffer reused for the whole call, then copied into the backward stream in one piece.
 * That is one pass over the data, no quadratic copying, and a handful of memcpys per item.
 * Small steps are inline: they run per field. */
#ifndef KMETRICS_RENDER_PB_WRITER_H
#define KMETRICS_RENDER_PB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "outbuf.h"

struct rw {
    struct outbuf *b;
    size_t base; /* b->len at the start; untouched until rw_finish */
    size_t pos;
    size_t top;
};

/* Starts writing at b->len, with room for estimate bytes reserved (a regrow otherwise). */
void rw_init(struct rw *w, struct outbuf *b, size_t estimate);
/* Doubles the room (the outbuf records a failure). */
bool rw_grow(struct rw *w, size_t need);
/* Places the finished bytes at the buffer's old end. */
void rw_finish(struct rw *w);

/* Bytes written so far (a mark for rw_close). */
static inline size_t rw_size(const struct rw *w)
{
    return w->top - w->pos;
}

/* Room for n more bytes in front, growing when needed. */
static inline bool rw_need(struct rw *w, size_t n)
{
    return w->pos - w->base >= n ? true : rw_grow(w, n);
}

/* Prepends n bytes. */
static inline void rw_bytes(struct rw *w, const void *p, size_t n)
{
    if (!rw_need(w, n)) return;
    w->pos -= n;
    memcpy(w->b->data + w->pos, p, n);
}

static inline void rw_byte(struct rw *w, uint8_t c)
{
    if (!rw_need(w, 1)) return;
    w->b->data[--w->pos] = (char)c;
}

/* A varint written forwards at p; returns the end. */
static inline uint8_t *fw_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline void rw_varint(struct rw *w, uint64_t v)
{
    uint8_t tmp[10];

    rw_bytes(w, tmp, (size_t)(fw_varint(tmp, v) - tmp));
}

/* Length prefix and tag for everything written since mark (all our tags fit one byte). */
static inline void rw_close(struct rw *w, size_t mark, uint8_t tag)
{
    size_t n = rw_size(w) - mark;

    if (n < 0x80 && rw_need(w, 2)) {
        w->pos -= 2;
        w->b->data[w->pos] = (char)tag;
        w->b->data[w->pos + 1] = (char)n;
        return;
    }
    rw_varint(w, n);
    rw_byte(w, tag);
}

/* A string field (tag, length, bytes), NULL as "". */
static inline void rw_field_str(struct rw *w, uint8_t tag, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    rw_bytes(w, s ? s : "", n);
    rw_varint(w, n);
    rw_byte(w, tag);
}

/* --- forward item encoding --- */

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* tag + length + bytes */
static inline size_t field_size(size_t n)
{
    return 1 + varint_len(n) + n;
}

static inline uint8_t *fw_field(uint8_t *p, uint8_t tag, const char *s, size_t n)
{
    *p++ = tag;
    p = fw_varint(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* The tail of runtime.Unknown (written first: the stream is built backwards). */
void pb_envelope_tail(struct rw *w);
/* raw=2 around everything since mark, then typeMeta and the "k8s\0" magic. */
void pb_envelope_head(struct rw *w, size_t mark, const char *api_version, const char *kind);

#endif
