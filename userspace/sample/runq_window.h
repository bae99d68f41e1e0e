/* Run-queue latency over a window, from two cumulative histograms of runq_latency.bpf.c read
 * one window apart: the number of waits and their p50 and p99, interpolated inside the log2
 * bucket the quantile falls in. A container keeps only its previous histogram. */
#ifndef KMETRICS_RUNQ_WINDOW_H
#define KMETRICS_RUNQ_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "runq_latency.h"

/* What is reported for a container (and shipped: keep the names). */
struct runq_window {
    uint64_t waits;          /* waits that ended in the window */
    uint32_t p50_us, p99_us; /* 0 when there were none */
    int64_t window_ns;
    bool valid; /* two reads of one histogram exist */
};

/* The previous read of a container's histogram. */
struct runq_prev {
    uint64_t slots[RUNQ_SLOTS];
    int64_t mono_ns;
    bool has; /* a read exists */
};

/* The q-quantile (0 < q <= 1) in microseconds of waits counted per slot, interpolated
 * linearly inside its bucket; the last (open) bucket gives its lower bound. 0 when there are
 * no waits. */
uint32_t runq_quantile_us(const uint64_t *slots, double q);

/* Takes a new read cur at mono_ns: out is the window since prev, valid when prev had a read
 * and no counter went backwards (a histogram recreated: the read starts a new series, and
 * -ERANGE is returned) nor the clock. prev becomes cur. 0 or -ERANGE. */
int runq_window_update(struct runq_prev *prev, const struct runq_hist *cur, int64_t mono_ns,
                       struct runq_window *out);

#endif
