/* Forward appends for the text renderers (JSON, Table, Status): inline, since they run per
 * field of every item of a LIST. The fast path keeps one spare byte so the NUL terminator
 * always fits. */
#ifndef KMETRICS_RENDER_APPEND_H
#define KMETRICS_RENDER_APPEND_H

#include <string.h>

#include "outbuf.h"

static inline void put(struct outbuf *b, const char *s, size_t n)
{
    if (!b->failed && b->cap - b->len > n) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    } else {
        outbuf_append(b, s, n);
    }
}

/* "" lit: only string literals, so sizeof is the literal's length, never a pointer's. */
#define PUTLIT(b, lit) put((b), "" lit, sizeof(lit) - 1)

/* Views may leave strings NULL; render them as "". */
static inline const char *nz(const char *s)
{
    return s ? s : "";
}

static inline void put_str(struct outbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* The inline fast path does not write the terminator; outbuf users expect one. */
static inline void terminate(struct outbuf *b)
{
    if (!b->failed && b->data && b->cap > b->len) b->data[b->len] = '\0';
}

#endif
