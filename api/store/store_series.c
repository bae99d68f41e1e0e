#include "store_series.h"

#include <string.h>

static unsigned slot(const struct store_series *s, unsigned i)
{
    unsigned at = s->head + i; /* both below STORE_POINTS */

    return at >= STORE_POINTS ? at - STORE_POINTS : at;
}

void store_series_init(struct store_series *s)
{
    memset(s, 0, sizeof(*s));
    s->rate_from = STORE_NO_RATE;
}

/* The series holds only (t, u): latest and first kept point at offset 0. */
static void start_at(struct store_series *s, int64_t t, uint64_t u)
{
    s->base_us = t;
    s->base_usec = u;
    s->latest = (struct store_point){0, 0};
    s->ring[0] = s->latest;
    s->head = 0;
    s->count = 1;
    s->has_latest = true;
}

static bool fits(const struct store_series *s, int64_t t, uint64_t u)
{
    return t - s->base_us <= (int64_t)UINT32_MAX && u - s->base_usec <= UINT32_MAX;
}

/* Moves the base to the oldest point held (the oldest kept one, else the latest). */
static void rebase(struct store_series *s)
{
    struct store_point o = s->count ? s->ring[s->head] : s->latest;

    s->base_us += o.dt_us;
    s->base_usec += o.du_usec;
    s->latest.dt_us -= o.dt_us;
    s->latest.du_usec -= o.du_usec;
    for (unsigned i = 0; i < s->count; i++) {
        s->ring[slot(s, i)].dt_us -= o.dt_us;
        s->ring[slot(s, i)].du_usec -= o.du_usec;
    }
}

bool store_series_add(struct store_series *s, const struct store_series_params *p, int64_t t_ns,
                      uint64_t usage_usec)
{
    int64_t t = t_ns >= 0 ? t_ns / 1000 : -((-t_ns + 999) / 1000); /* floor */
    struct store_point pt;

    if (!s->has_latest) {
        start_at(s, t, usage_usec);
        return true;
    }
    if (t <= s->base_us + (int64_t)s->latest.dt_us) return false; /* resent: harmless */
    if (usage_usec < s->base_usec + s->latest.du_usec) {
        start_at(s, t, usage_usec); /* a restarted counter is a new series */
        return true;
    }
    if (!fits(s, t, usage_usec)) {
        rebase(s);
        while (!fits(s, t, usage_usec) && s->count > 0) {
            s->head = (uint8_t)slot(s, 1);
            s->count--;
            rebase(s);
        }
        if (!fits(s, t, usage_usec)) {
            start_at(s, t, usage_usec); /* cannot be told against anything held */
            return true;
        }
    }
    pt = (struct store_point){(uint32_t)(t - s->base_us), (uint32_t)(usage_usec - s->base_usec)};
    s->latest = pt;
    if (s->count > 0 && (int64_t)pt.dt_us - s->ring[slot(s, s->count - 1u)].dt_us < p->spacing_us)
        return true; /* the latest, not kept */
    if (s->count == STORE_POINTS) {
        s->head = (uint8_t)slot(s, 1);
        s->count--;
    }
    s->ring[slot(s, s->count)] = pt;
    s->count++;
    return true;
}

bool store_series_refresh_rate(struct store_series *s, const struct store_series_params *p)
{
    int64_t limit = p->window_us + p->window_us * (int64_t)p->slack_pct / 100;
    uint32_t lt = s->latest.dt_us;
    int from = -1;

    s->rate_from = STORE_NO_RATE;
    if (!s->has_latest) return false;
    /* Points are in time order: the oldest inside the window, else (sparser history) the
     * newest before the latest, a shorter, true window. */
    for (unsigned i = 0; i < s->count && from < 0; i++) {
        const struct store_point *q = &s->ring[slot(s, i)];
        if (q->dt_us < lt && (int64_t)(lt - q->dt_us) <= limit) from = (int)slot(s, i);
    }
    for (unsigned i = s->count; from < 0 && i-- > 0;)
        if (s->ring[slot(s, i)].dt_us < lt) from = (int)slot(s, i);
    if (from < 0) return false;
    s->rate_from = (uint8_t)from;
    return true;
}

bool store_series_span(const struct store_series *s, int64_t *window_ns, int64_t *end_ns)
{
    if (s->rate_from == STORE_NO_RATE) return false;
    *window_ns = (int64_t)(s->latest.dt_us - s->ring[s->rate_from].dt_us) * 1000;
    *end_ns = (s->base_us + (int64_t)s->latest.dt_us) * 1000;
    return true;
}

bool store_series_rate(const struct store_series *s, struct store_series_rate *out)
{
    const struct store_point *from;
    uint32_t dt;

    if (s->rate_from == STORE_NO_RATE) return false;
    from = &s->ring[s->rate_from];
    dt = s->latest.dt_us - from->dt_us; /* > 0: the start is older than the latest */
    /* usec / usec = cores; the CPU offset is below 2^32, so * 1e9 fits 64 bits. */
    out->nanocores = (uint64_t)(s->latest.du_usec - from->du_usec) * 1000000000u / dt;
    out->window_ns = (int64_t)dt * 1000;
    out->end_ns = (s->base_us + (int64_t)s->latest.dt_us) * 1000;
    return true;
}
