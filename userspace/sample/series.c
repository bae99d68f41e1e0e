#include "series.h"

#include <string.h>

void cpu_series_init(struct cpu_series *s, int64_t history_ns, int64_t interval_ns)
{
    memset(s, 0, sizeof(*s));
    /* Kept points must span the whole history: with SERIES_POINTS - 1 gaps of at least
     * base, a few spare points remain. */
    int64_t base = history_ns / (SERIES_POINTS - 4);

    if (interval_ns >= base) {
        /* Keep every tick. Ticks are not perfectly periodic: accept one a little early
         * rather than skip it and leave a gap of two intervals. */
        s->spacing_ns = interval_ns - interval_ns / 8;
    } else {
        s->spacing_ns = base;
    }
}

static const struct cpu_point *ring_at(const struct cpu_series *s, unsigned i)
{
    return &s->ring[(s->head + i) % SERIES_POINTS];
}

static void ring_push(struct cpu_series *s, struct cpu_point p)
{
    if (s->count == SERIES_POINTS) {
        s->head = (s->head + 1) % SERIES_POINTS;
        s->count--;
    }
    s->ring[(s->head + s->count) % SERIES_POINTS] = p;
    s->count++;
}

bool cpu_series_add(struct cpu_series *s, int64_t mono_ns, uint64_t usage_usec)
{
    return cpu_series_add_at(s, mono_ns, mono_ns, usage_usec);
}

size_t cpu_series_points(const struct cpu_series *s, struct cpu_point *out)
{
    size_t n = 0;

    for (unsigned i = 0; i < s->count; i++)
        out[n++] = *ring_at(s, i);
    if (s->has_latest && (n == 0 || out[n - 1].mono_ns != s->latest.mono_ns)) out[n++] = s->latest;
    return n;
}

bool cpu_series_add_at(struct cpu_series *s, int64_t mono_ns, int64_t real_ns, uint64_t usage_usec)
{
    struct cpu_point p = {.mono_ns = mono_ns, .real_ns = real_ns, .usage_usec = usage_usec};
    bool reset = false;

    if (s->has_latest) {
        if (mono_ns <= s->latest.mono_ns) return false;
        if (usage_usec < s->latest.usage_usec) {
            s->head = 0;
            s->count = 0;
            s->resets++;
            reset = true;
        }
    }
    s->latest = p;
    s->has_latest = true;
    if (s->count == 0 || mono_ns - ring_at(s, s->count - 1)->mono_ns >= s->spacing_ns)
        ring_push(s, p);
    return reset;
}

bool cpu_series_rate(const struct cpu_series *s, int64_t window_ns, struct cpu_rate *out)
{
    const struct cpu_point *start = NULL;
    int64_t dt;
    uint64_t du;

    if (!s->has_latest || s->count == 0) return false;
    /* Oldest kept point inside the window (points are in time order). */
    for (unsigned i = 0; i < s->count; i++) {
        const struct cpu_point *p = ring_at(s, i);
        if (p->mono_ns < s->latest.mono_ns && s->latest.mono_ns - p->mono_ns <= window_ns) {
            start = p;
            break;
        }
    }
    /* History sparser than the window: the newest kept point before the latest. */
    if (!start) {
        for (unsigned i = s->count; i-- > 0;) {
            const struct cpu_point *p = ring_at(s, i);
            if (p->mono_ns < s->latest.mono_ns) {
                start = p;
                break;
            }
        }
    }
    if (!start) return false;
    dt = s->latest.mono_ns - start->mono_ns;
    du = s->latest.usage_usec - start->usage_usec;
    /* usec * 1e3 = ns of CPU; ns_cpu / ns_wall * 1e9 = nanocores. Done in 128 bits: a
     * 1000-core node over a minute overflows 64. */
    out->nanocores = (uint64_t)((unsigned __int128)du * 1000 * 1000000000 / (uint64_t)dt);
    out->window_ns = dt;
    out->start_mono_ns = start->mono_ns;
    out->end_mono_ns = s->latest.mono_ns;
    return true;
}
