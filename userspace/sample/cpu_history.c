#include "cpu_history.h"

void cpu_history_params(struct cpu_series_params *p, int64_t history_ns, int64_t interval_ns)
{
    p->capacity = CPU_HISTORY_POINTS;
    /* 63 gaps of at least the spacing must span the history, with a few spare points. */
    p->spacing_ns = cpu_series_spacing(history_ns, CPU_HISTORY_POINTS, 4, interval_ns);
    p->slack_pct = 0;
}

void cpu_history_init(struct cpu_history *h)
{
    cpu_series_init(&h->series);
    h->latest_real_ns = 0;
}

bool cpu_history_add(struct cpu_history *h, const struct cpu_series_params *p, int64_t mono_ns,
                     int64_t real_ns, uint64_t usage_usec)
{
    bool reset;
    int slot =
        cpu_series_add(&h->series, h->ring, p,
                       (struct cpu_point){.t_ns = mono_ns, .usage_usec = usage_usec}, &reset);

    if (slot == CPU_SERIES_IGNORED) return false;
    h->latest_real_ns = real_ns;
    if (slot >= 0) h->ring_real_ns[slot] = real_ns;
    return reset;
}

size_t cpu_history_points(const struct cpu_history *h, const struct cpu_series_params *p,
                          struct cpu_sample *out)
{
    const struct cpu_series *s = &h->series;
    size_t n = 0;

    for (unsigned i = 0; i < s->count; i++) {
        unsigned slot = cpu_series_slot(s, p, i);
        out[n++] = (struct cpu_sample){.mono_ns = h->ring[slot].t_ns,
                                       .real_ns = h->ring_real_ns[slot],
                                       .usage_usec = h->ring[slot].usage_usec};
    }
    if (s->has_latest && (n == 0 || out[n - 1].mono_ns != s->latest.t_ns))
        out[n++] = (struct cpu_sample){.mono_ns = s->latest.t_ns,
                                       .real_ns = h->latest_real_ns,
                                       .usage_usec = s->latest.usage_usec};
    return n;
}

bool cpu_history_rate(const struct cpu_history *h, const struct cpu_series_params *p,
                      int64_t window_ns, struct cpu_rate *out)
{
    return cpu_series_rate(&h->series, h->ring, p, window_ns, out);
}
