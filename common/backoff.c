#include "backoff.h"

#include "random.h"

void backoff_init(struct backoff *b, int64_t initial_ns, int64_t max_ns, unsigned low_pct,
                  unsigned high_pct)
{
    b->initial_ns = initial_ns > 0 ? initial_ns : 1;
    b->max_ns = max_ns > b->initial_ns ? max_ns : b->initial_ns;
    b->low_pct = low_pct;
    b->high_pct = high_pct > low_pct ? high_pct : low_pct;
    b->failures = 0;
    b->rng = random_seed();
}

int64_t backoff_jitter(struct backoff *b, int64_t step_ns, int64_t max_ns)
{
    /* Percent arithmetic on step / 100 keeps a 30 s step far from overflowing. */
    int64_t unit = step_ns / 100, lo = unit * b->low_pct, span = unit * (b->high_pct - b->low_pct);
    int64_t d = lo + (span > 0 ? (int64_t)(random_next(&b->rng) % (uint64_t)(span + 1)) : 0);

    return d > max_ns ? max_ns : d;
}

int64_t backoff_next(struct backoff *b)
{
    int64_t step = b->initial_ns;

    for (unsigned i = 0; i < b->failures && step < b->max_ns; i++)
        step *= 2;
    if (step > b->max_ns) step = b->max_ns;
    if (b->failures < 64) b->failures++;
    return backoff_jitter(b, step, b->max_ns);
}

void backoff_reset(struct backoff *b)
{
    b->failures = 0;
}
