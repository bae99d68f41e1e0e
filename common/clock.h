/* Clock reads in nanoseconds. Monotonic time measures intervals (rates, timeouts, expiry);
 * real time stamps what is shown or shipped. */
#ifndef KMETRICS_CLOCK_H
#define KMETRICS_CLOCK_H

#include <stdint.h>

#define NS_PER_MS ((int64_t)1000000)
#define NS_PER_SEC ((int64_t)1000000000)

int64_t clock_mono_ns(void);
int64_t clock_real_ns(void);

#endif
