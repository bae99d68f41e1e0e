/* The value formats of the Metrics API, exactly as Go writes them: Kubernetes quantities
 * (apimachinery's canonical forms), durations (time.Duration.String()) and times (metav1.Time:
 * RFC 3339, whole seconds, UTC); and the per-response caches the renderers keep of them, since
 * a response's items mostly share their timestamps and windows. Each formatter writes into a
 * small caller buffer and returns the length. */
#ifndef KMETRICS_RENDER_QUANTITY_H
#define KMETRICS_RENDER_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

#include "metrics_model.h"

enum { QTY_MAX = 32, DUR_MAX = 40, TIME_LEN = 20 };

/* Decimal digits of v. */
size_t put_u64_at(char *buf, uint64_t v);
/* CPU in nanocores as a DecimalSI quantity: 250000000 -> "250m", 7338891 -> "7338891n". */
size_t cpu_str(char *buf, uint64_t nanocores);
/* Bytes as a BinarySI quantity: 14868480 -> "14520Ki", 1000 -> "1k" as Go writes it. */
size_t mem_str(char *buf, uint64_t bytes);
/* time.Duration.String(): 15003000000 -> "15.003s". */
size_t duration_str(char *out, int64_t d);
/* "YYYY-MM-DDTHH:MM:SSZ" (TIME_LEN bytes, no NUL) from Unix seconds. */
void rfc3339_from_sec(char *out, int64_t sec);
/* Floor of ns / 1e9. */
static inline int64_t unix_sec(int64_t ns)
{
    int64_t q = ns / NS_PER_SEC;

    return ns % NS_PER_SEC != 0 && ns < 0 ? q - 1 : q;
}

struct time_cache {
    bool valid;
    int64_t sec;
    char s[TIME_LEN];
};

struct dur_cache {
    bool valid;
    int64_t ns;
    size_t len;
    char s[DUR_MAX];
};

struct rctx {
    struct time_cache ts;  /* sample timestamps */
    struct time_cache cts; /* creation timestamps */
    struct dur_cache win;
    bool have_now;
    int64_t now_ns; /* one clock read per call, used for every creation_ns == 0 */
};

void rctx_init(struct rctx *c);

/* Inline, as they run per item of a LIST and mostly find what they need cached. */

/* The RFC 3339 form of ns, reformatted only when its second differs from the last one. */
static inline const char *cached_time(struct time_cache *tc, int64_t ns)
{
    int64_t sec = unix_sec(ns);

    if (!tc->valid || tc->sec != sec) {
        rfc3339_from_sec(tc->s, sec);
        tc->sec = sec;
        tc->valid = true;
    }
    return tc->s;
}

static inline const struct dur_cache *cached_duration(struct dur_cache *dc, int64_t ns)
{
    if (!dc->valid || dc->ns != ns) {
        dc->len = duration_str(dc->s, ns);
        dc->ns = ns;
        dc->valid = true;
    }
    return dc;
}

/* An object's creation time; metrics-server stamps the time of the request, read once. */
static inline int64_t creation_ns(struct rctx *c, const struct object_meta_view *m)
{
    if (m->creation_ns != 0) return m->creation_ns;
    if (!c->have_now) {
        c->now_ns = clock_real_ns();
        c->have_now = true;
    }
    return c->now_ns;
}

#endif
