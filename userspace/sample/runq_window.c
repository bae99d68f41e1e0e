#include "runq_window.h"

#include <errno.h>
#include <string.h>

/* Bucket k's bounds in microseconds: [0, 1) for k = 0, [2^(k-1), 2^k) after. */
static double lower_us(int k)
{
    return k == 0 ? 0.0 : (double)(1ull << (k - 1));
}

uint32_t runq_quantile_us(const uint64_t *slots, double q)
{
    uint64_t total = 0, below = 0, rank;
    double v;

    for (int k = 0; k < RUNQ_SLOTS; k++) {
        /* Saturate: a sum of counters from a hostile or corrupt map must not wrap. */
        total = slots[k] > UINT64_MAX - total ? UINT64_MAX : total + slots[k];
    }
    if (total == 0 || !(q > 0)) return 0;
    if (q > 1) q = 1;
    /* The rank of the wanted wait, 1-based: the smallest that has q of them at or below. */
    rank = (uint64_t)((double)total * q);
    if ((double)rank < (double)total * q || rank == 0) rank++;
    if (rank > total) rank = total;
    for (int k = 0; k < RUNQ_SLOTS; k++) {
        if (slots[k] == 0 || rank - below > slots[k]) {
            below += slots[k];
            continue;
        }
        if (k == RUNQ_SLOTS - 1) return (uint32_t)lower_us(k); /* no upper bound */
        /* The rank's place among the bucket's waits, spread evenly across it. */
        v = lower_us(k) +
            (lower_us(k + 1) - lower_us(k)) * (double)(rank - below) / (double)slots[k];
        return v >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    }
    return (uint32_t)lower_us(RUNQ_SLOTS - 1); /* not reached: rank <= total */
}

int runq_window_update(struct runq_prev *prev, const struct runq_hist *cur, int64_t mono_ns,
                       struct runq_window *out)
{
    uint64_t delta[RUNQ_SLOTS];
    bool backwards = false;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    for (int k = 0; k < RUNQ_SLOTS; k++) {
        backwards |= cur->slots[k] < prev->slots[k];
        delta[k] = cur->slots[k] - prev->slots[k];
    }
    if (prev->has && (backwards || mono_ns <= prev->mono_ns)) {
        rc = -ERANGE;
    } else if (prev->has) {
        for (int k = 0; k < RUNQ_SLOTS; k++)
            out->waits = delta[k] > UINT64_MAX - out->waits ? UINT64_MAX : out->waits + delta[k];
        out->p50_us = runq_quantile_us(delta, 0.50);
        out->p99_us = runq_quantile_us(delta, 0.99);
        out->window_ns = mono_ns - prev->mono_ns;
        out->valid = true;
    }
    memcpy(prev->slots, cur->slots, sizeof(prev->slots));
    prev->mono_ns = mono_ns;
    prev->has = true;
    return rc;
}
