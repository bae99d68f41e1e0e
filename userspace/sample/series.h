/* CPU history of one container (or the node): enough cumulative-usage points to give a rate
 * over any window up to the configured history, in bounded memory whatever the sampling
 * interval. A counter that goes backwards starts a new series (a restart is never a
 * negative rate). */
#ifndef KMETRICS_SERIES_H
#define KMETRICS_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIES_POINTS 64

struct cpu_point {
    int64_t mono_ns;     /* CLOCK_MONOTONIC time of the sample: rates are computed on it */
    int64_t real_ns;     /* CLOCK_REALTIME of the same sample: what is shipped and shown */
    uint64_t usage_usec; /* cumulative usage_usec from cpu.stat */
};

struct cpu_series {
    struct cpu_point ring[SERIES_POINTS]; /* kept points, spaced >= spacing_ns apart */
    unsigned head;                        /* index of the oldest kept point */
    unsigned count;
    struct cpu_point latest; /* newest sample, kept or not */
    bool has_latest;
    int64_t spacing_ns;
    uint32_t resets; /* times the counter went backwards */
};

/* history_ns: the longest window a rate will be asked for; interval_ns: the sampling period. */
void cpu_series_init(struct cpu_series *s, int64_t history_ns, int64_t interval_ns);

/* Adds a sample. Returns true when it was a counter reset (history was cleared first).
 * Samples not newer than the latest are ignored. */
bool cpu_series_add(struct cpu_series *s, int64_t mono_ns, uint64_t usage_usec);
/* The same, recording the sample's wall-clock time too. */
bool cpu_series_add_at(struct cpu_series *s, int64_t mono_ns, int64_t real_ns, uint64_t usage_usec);

/* Kept points (oldest first) followed by the latest sample when it was not kept; at most
 * SERIES_POINTS + 1. Returns the count written to out. */
size_t cpu_series_points(const struct cpu_series *s, struct cpu_point *out);

struct cpu_rate {
    uint64_t nanocores;    /* average CPU over the window, in 1e-9 cores */
    int64_t window_ns;     /* the true window the rate covers */
    int64_t start_mono_ns; /* start and end samples of that window */
    int64_t end_mono_ns;
};

/* Rate over the newest window of at most window_ns (the oldest kept point within it, so the
 * window may be shorter while history is short). False when fewer than two samples exist. */
bool cpu_series_rate(const struct cpu_series *s, int64_t window_ns, struct cpu_rate *out);

#endif
