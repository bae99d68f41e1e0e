#include "cpu_series.h"

#include <string.h>

int64_t cpu_series_spacing(int64_t span_ns, unsigned capacity, unsigned spare, int64_t interval_ns)
{
    int64_t base = span_ns / (int64_t)(capacity - spare);

    return interval_ns > 0 && interval_ns >= base ? interval_ns - interval_ns / 8 : base;
}

void cpu_series_init(struct cpu_series *s)
{
    memset(s, 0, sizeof(*s));
}

bool cpu_series_rate(const struct cpu_series *s, const struct cpu_point *ring,
                     const struct cpu_series_params *p, int64_t window_ns, struct cpu_rate *out)
{
    const struct cpu_point *start = NULL;
    int64_t limit = window_ns + window_ns * (int64_t)p->slack_pct / 100, dt;
    uint64_t du;

    if (!s->has_latest) return false;
    /* Points are in time order: the oldest inside the window. */
    for (unsigned i = 0; i < s->count; i++) {
        const struct cpu_point *pt = &ring[cpu_series_slot(s, p, i)];
        if (pt->t_ns < s->latest.t_ns && s->latest.t_ns - pt->t_ns <= limit) {
            start = pt;
            break;
        }
    }
    for (unsigned i = s->count; !start && i-- > 0;) {
        const struct cpu_point *pt = &ring[cpu_series_slot(s, p, i)];
        if (pt->t_ns < s->latest.t_ns) start = pt;
    }
    if (!start) return false;
    dt = s->latest.t_ns - start->t_ns;
    du = s->latest.usage_usec - start->usage_usec;
    /* usec * 1e3 = ns of CPU; ns_cpu / ns_wall * 1e9 = nanocores. Done in 128 bits: a
     * 1000-core node over a minute overflows 64. */
    out->nanocores = (uint64_t)((unsigned __int128)du * 1000 * 1000000000 / (uint64_t)dt);
    out->window_ns = dt;
    out->start_ns = start->t_ns;
    out->end_ns = s->latest.t_ns;
    return true;
}
