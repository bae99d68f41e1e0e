/* A container's CPU history in the aggregator, packed: the rules of common/cpu_series.h (a
 * point is kept when spacing after the last kept one, a sample not newer than the latest is
 * ignored, a counter going backwards starts a new series, the rate is taken from the oldest
 * kept point inside the window plus slack), on points stored as 32-bit offsets from a
 * per-series base: 8 bytes a point instead of 16, which at a million series is 60 MiB.
 *
 * Times are kept in microseconds (the collectors' stamps are truncated: a rate's window and
 * end are exact to the microsecond). An offset that no longer fits (about 71 minutes, or 4,295
 * CPU-seconds, from the base) moves the base to the oldest kept point; kept points that still
 * do not fit are dropped, oldest first, so a container burning more than ~245 cores gets a
 * shorter (still true) window, and two samples that cannot be expressed together (more than 71
 * minutes apart) start a new series. */
#ifndef KMETRICS_STORE_SERIES_H
#define KMETRICS_STORE_SERIES_H

#include <stdbool.h>
#include <stdint.h>

#define STORE_POINTS 8 /* kept CPU points per series, spaced to span the window */
#define STORE_NO_RATE 0xff

struct store_point {
    uint32_t dt_us;   /* since base_us */
    uint32_t du_usec; /* since base_usec */
};

struct store_series {
    int64_t base_us;
    uint64_t base_usec;
    struct store_point latest; /* the newest sample, kept or not */
    struct store_point ring[STORE_POINTS];
    uint8_t head, count; /* the oldest kept point's slot, and how many are kept */
    bool has_latest;
    uint8_t rate_from; /* slot of the current rate's start point, or STORE_NO_RATE */
};

struct store_series_params {
    int64_t spacing_us; /* minimum time between kept points */
    int64_t window_us;  /* the rate window */
    unsigned slack_pct; /* a window's start point may be this much older than the window */
};

struct store_series_rate {
    uint64_t nanocores;
    int64_t window_ns;
    int64_t end_ns;
};

void store_series_init(struct store_series *s);

/* Adds a sample (wall-clock ns, cumulative usec). Returns false when it was ignored (not newer
 * than the latest). */
bool store_series_add(struct store_series *s, const struct store_series_params *p, int64_t t_ns,
                      uint64_t usage_usec);

/* Chooses the rate's start point among the kept ones (after adding a shipment's samples);
 * false without a rate (then rate_from is STORE_NO_RATE). */
bool store_series_refresh_rate(struct store_series *s, const struct store_series_params *p);

/* The rate chosen last: from its two points, so nothing more is stored per series (one
 * division per read). False without one. */
bool store_series_rate(const struct store_series *s, struct store_series_rate *out);
/* Its window and end alone (no division). */
bool store_series_span(const struct store_series *s, int64_t *window_ns, int64_t *end_ns);

#endif
