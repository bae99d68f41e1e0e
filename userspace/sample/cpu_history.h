/* The collector's CPU history of one container (or the node): common/cpu_series.c on
 * CLOCK_MONOTONIC, with each kept point's wall-clock time beside it, since rates are computed
 * on the monotonic clock but samples are shipped and shown with wall-clock stamps. */
#ifndef KMETRICS_CPU_HISTORY_H
#define KMETRICS_CPU_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_series.h"

/* Enough to span the longest window served (>= 60 s) at any interval from 100 ms. */
#define CPU_HISTORY_POINTS 64

struct cpu_history {
    struct cpu_series series;
    struct cpu_point ring[CPU_HISTORY_POINTS]; /* t_ns: CLOCK_MONOTONIC */
    int64_t ring_real_ns[CPU_HISTORY_POINTS];  /* the same samples' CLOCK_REALTIME */
    int64_t latest_real_ns;
};

/* One sample on both clocks. */
struct cpu_sample {
    int64_t mono_ns;
    int64_t real_ns;
    uint64_t usage_usec;
};

/* The parameters every history of a collector shares. history_ns: the longest window a rate
 * will be asked for; interval_ns: the sampling period. */
void cpu_history_params(struct cpu_series_params *p, int64_t history_ns, int64_t interval_ns);

void cpu_history_init(struct cpu_history *h);
/* Adds a sample; true when it was a counter reset (the history was cleared first). Samples
 * not newer than the latest are ignored. */
bool cpu_history_add(struct cpu_history *h, const struct cpu_series_params *p, int64_t mono_ns,
                     int64_t real_ns, uint64_t usage_usec);
/* Kept points, oldest first, then the latest sample when it was not kept: at most
 * CPU_HISTORY_POINTS + 1. Returns the count written to out. */
size_t cpu_history_points(const struct cpu_history *h, const struct cpu_series_params *p,
                          struct cpu_sample *out);
/* Rate over the newest window of at most window_ns (see cpu_series_rate), on the monotonic
 * clock. */
bool cpu_history_rate(const struct cpu_history *h, const struct cpu_series_params *p,
                      int64_t window_ns, struct cpu_rate *out);

#endif
