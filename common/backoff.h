/* Retrying after failures: the delays initial, 2 x initial, ... up to max, each drawn at
 * random between low_pct and high_pct percent of its step (so peers that failed together do
 * not retry together) and never above max. A success starts the sequence over. */
#ifndef KMETRICS_BACKOFF_H
#define KMETRICS_BACKOFF_H

#include <stdint.h>

struct backoff {
    int64_t initial_ns, max_ns;
    unsigned low_pct, high_pct;
    unsigned failures; /* delays handed out since the last reset */
    uint64_t rng;
};

/* Equal jitter, the usual choice: each delay half fixed, half random ([step / 2, step]). */
#define BACKOFF_EQUAL_JITTER 50, 100

void backoff_init(struct backoff *b, int64_t initial_ns, int64_t max_ns, unsigned low_pct,
                  unsigned high_pct);
/* The delay before the next attempt; counts a failure. */
int64_t backoff_next(struct backoff *b);
/* step_ns with this backoff's jitter, at most max_ns (for a delay off the usual sequence). */
int64_t backoff_jitter(struct backoff *b, int64_t step_ns, int64_t max_ns);
/* A success: the next delay is initial again. */
void backoff_reset(struct backoff *b);

#endif
