/* Bounded history of one cumulative CPU counter (cpu.stat usage_usec) and its average rate
 * over a window: the product's core number, computed the same way in both programs.
 *
 * The owner keeps the points: a ring of up to 255 of them inside its own struct (a million
 * series in the aggregator cost no pointer each), and one cpu_series_params for all its
 * series. The two programs differ only in those parameters:
 *   - the collector keeps 64 points on CLOCK_MONOTONIC (a wall-clock step must not bend its
 *     rates) and asks for exact windows;
 *   - the aggregator keeps 8 points on the collectors' wall-clock stamps (that is all a
 *     shipment carries) and accepts a window's start up to 10 % early, because with 8 points
 *     the nearest one inside the window can be a sixth of it short.
 * The rules are shared: a point is kept when it is spacing_ns after the last kept one, a
 * sample not newer than the latest is ignored, and a counter that goes backwards starts a new
 * series, so a rate is never negative. */
#ifndef KMETRICS_CPU_SERIES_H
#define KMETRICS_CPU_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpu_point {
    int64_t t_ns;        /* on the owner's clock */
    uint64_t usage_usec; /* cumulative */
};

struct cpu_series_params {
    unsigned capacity;  /* points in the owner's ring, at most 255 */
    int64_t spacing_ns; /* minimum time between kept points */
    unsigned slack_pct; /* a window's start point may be this much older than the window */
};

struct cpu_series {
    struct cpu_point latest; /* the newest sample, kept or not */
    uint8_t head, count;     /* the oldest kept point's slot, and how many are kept */
    bool has_latest;
    uint32_t resets; /* times the counter went backwards */
};

struct cpu_rate {
    uint64_t nanocores; /* average CPU over the window, in 1e-9 cores */
    int64_t window_ns;  /* the true window the rate covers */
    int64_t start_ns;   /* its start and end samples */
    int64_t end_ns;
};

/* Spacing that lets capacity points span span_ns with spare points to spare; sampled every
 * interval_ns (0: unknown), every sample is kept when that is coarser (a little early tick is
 * accepted rather than skipped, which would leave a gap of two intervals). */
int64_t cpu_series_spacing(int64_t span_ns, unsigned capacity, unsigned spare, int64_t interval_ns);

void cpu_series_init(struct cpu_series *s);

/* The ring slot of the i-th kept point (0: the oldest). */
static inline unsigned cpu_series_slot(const struct cpu_series *s,
                                       const struct cpu_series_params *p, unsigned i)
{
    unsigned at = s->head + i; /* both below capacity: no division needed */

    return at >= p->capacity ? at - p->capacity : at;
}

enum { CPU_SERIES_IGNORED = -2, CPU_SERIES_NOT_KEPT = -1 };
/* Adds a sample. Returns the ring slot it was kept in, CPU_SERIES_NOT_KEPT (it is the latest
 * but too close to the last kept point) or CPU_SERIES_IGNORED (not newer than the latest).
 * *reset: the counter went backwards, so the history was cleared first. Inline: the
 * aggregator adds every sample of every shipment. */
static inline int cpu_series_add(struct cpu_series *s, struct cpu_point *ring,
                                 const struct cpu_series_params *p, struct cpu_point pt,
                                 bool *reset)
{
    unsigned slot;

    *reset = false;
    if (s->has_latest) {
        if (pt.t_ns <= s->latest.t_ns) return CPU_SERIES_IGNORED; /* resent: harmless */
        if (pt.usage_usec < s->latest.usage_usec) {
            s->head = 0; /* a restarted counter is a new series */
            s->count = 0;
            s->resets++;
            *reset = true;
        }
    }
    s->latest = pt;
    s->has_latest = true;
    if (s->count > 0 && pt.t_ns - ring[cpu_series_slot(s, p, s->count - 1u)].t_ns < p->spacing_ns)
        return CPU_SERIES_NOT_KEPT;
    if (s->count == p->capacity) {
        s->head = (uint8_t)cpu_series_slot(s, p, 1);
        s->count--;
    }
    slot = cpu_series_slot(s, p, s->count);
    ring[slot] = pt;
    s->count++;
    return (int)slot;
}

/* Rate over the newest window of at most window_ns (plus slack): from the oldest kept point
 * inside it, or, with sparser history, from the newest kept point before the latest (a
 * shorter, true window). False with fewer than two samples. */
bool cpu_series_rate(const struct cpu_series *s, const struct cpu_point *ring,
                     const struct cpu_series_params *p, int64_t window_ns, struct cpu_rate *out);

#endif
