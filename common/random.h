/* Random numbers that only need to differ between processes and threads (jitter, a
 * collector's instance id): seeded from the kernel once, then xorshift64*. Not for secrets. */
#ifndef KMETRICS_RANDOM_H
#define KMETRICS_RANDOM_H

#include <stdint.h>

/* A non-zero seed from getrandom(2), or from the clocks if that fails. */
uint64_t random_seed(void);
/* The next number of the sequence in *state (which must not be 0). */
uint64_t random_next(uint64_t *state);

#endif
