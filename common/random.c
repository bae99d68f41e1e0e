#include "random.h"

#include <errno.h>
#include <sys/random.h>

#include "clock.h"

uint64_t random_seed(void)
{
    uint64_t v = 0;

    /* Blocks only until the kernel's pool is initialised, long done once pods run. */
    while (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v) && errno == EINTR)
        ;
    if (v == 0) v = (uint64_t)clock_real_ns() ^ ((uint64_t)clock_mono_ns() << 17);
    return v ? v : 1;
}

uint64_t random_next(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}
