#include "clock.h"

#include <time.h>

static int64_t read_ns(clockid_t clk)
{
    struct timespec ts;

    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_mono_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}

int64_t clock_real_ns(void)
{
    return read_ns(CLOCK_REALTIME);
}
