/* The aggregator's packed container series against the shared CPU series it packs
 * (common/cpu_series.c with the store's parameters): the same rate, window and end on the same
 * samples, through hours of history (base moves), counter resets, stale samples, a container
 * too big for a full window, and gaps too long to tell against anything held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "cpu_series.h"
#include "store/store_series.h"

#define SEC NS_PER_SEC
#define WINDOW (15 * SEC)

struct pair {
    struct store_series packed;
    struct store_series_params pp;
    struct cpu_series s;
    struct cpu_point ring[STORE_POINTS];
    struct cpu_series_params p;
};

static void pair_init(struct pair *x)
{
    store_series_init(&x->packed);
    cpu_series_init(&x->s);
    x->p = (struct cpu_series_params){.capacity = STORE_POINTS,
                                      .spacing_ns = cpu_series_spacing(WINDOW, STORE_POINTS, 2, 0),
                                      .slack_pct = 10};
    x->pp = (struct store_series_params){
        .spacing_us = x->p.spacing_ns / 1000, .window_us = WINDOW / 1000, .slack_pct = 10};
}

static void add(struct pair *x, int64_t t, uint64_t usage)
{
    bool reset;

    store_series_add(&x->packed, &x->pp, t, usage);
    cpu_series_add(&x->s, x->ring, &x->p, (struct cpu_point){t, usage}, &reset);
}

/* Both agree (stamps in whole microseconds, so exactly). */
static void assert_same_rate(struct pair *x)
{
    struct cpu_rate want;
    bool have = cpu_series_rate(&x->s, x->ring, &x->p, WINDOW, &want);
    struct store_series_rate got;

    assert_int_equal(store_series_refresh_rate(&x->packed, &x->pp), have);
    assert_int_equal(store_series_rate(&x->packed, &got), have);
    if (!have) return;
    assert_int_equal(got.nanocores, want.nanocores);
    assert_int_equal(got.window_ns, want.window_ns);
    assert_int_equal(got.end_ns, want.end_ns);
}

/* The rate after refreshing, 0 without one. */
static uint64_t nanocores(struct store_series *s, const struct store_series_params *p)
{
    struct store_series_rate r;

    return store_series_refresh_rate(s, p) && store_series_rate(s, &r) ? r.nanocores : 0;
}

static void test_same_rates_as_cpu_series(void **state)
{
    struct pair x;
    int64_t t = 1700000000 * SEC + 123456000;
    uint64_t u = 5000000;
    uint32_t seed = 7;

    (void)state;
    pair_init(&x);
    assert_same_rate(&x); /* nothing yet */
    /* Jittered 1 s ticks for two hours (the base moves every ~71 minutes), with shipments of
     * 1 to 30 samples between rate refreshes, varying load. */
    for (int i = 0; i < 7200;) {
        seed = seed * 1103515245u + 12345u;
        int batch = 1 + (int)(seed >> 16) % 30;
        for (int k = 0; k < batch; k++, i++) {
            seed = seed * 1103515245u + 12345u;
            t += SEC - 50000000 + (int64_t)((seed >> 8) % 100000) * 1000;
            u += (seed >> 12) % 3000000;
            add(&x, t, u);
        }
        assert_same_rate(&x);
    }
}

static void test_reset_and_stale_samples(void **state)
{
    struct pair x;
    int64_t t = 1000 * SEC;

    (void)state;
    pair_init(&x);
    for (int i = 0; i < 20; i++)
        add(&x, t + i * SEC, 1000000 + (uint64_t)i * 500000);
    assert_same_rate(&x);
    /* Resent and older samples change nothing. */
    assert_false(store_series_add(&x.packed, &x.pp, t + 19 * SEC, 1));
    assert_false(store_series_add(&x.packed, &x.pp, t, 1));
    assert_same_rate(&x);
    /* A counter going backwards starts a new series: no rate from one sample. */
    add(&x, t + 20 * SEC, 10);
    assert_same_rate(&x);
    assert_int_equal(x.packed.rate_from, STORE_NO_RATE);
    add(&x, t + 21 * SEC, 10 + 250000);
    assert_same_rate(&x);
    assert_int_equal(nanocores(&x.packed, &x.pp), 250000000);
}

/* 1,000 cores: 15 s of it is 15,000 CPU-seconds, more than 32 bits of microseconds hold. The
 * window shrinks to what fits; the rate stays true. */
static void test_huge_container_gets_a_shorter_true_window(void **state)
{
    struct store_series s;
    struct store_series_params p = {
        .spacing_us = WINDOW / 6000, .window_us = WINDOW / 1000, .slack_pct = 10};
    struct store_series_rate r;

    (void)state;
    store_series_init(&s);
    for (int i = 0; i < 60; i++)
        assert_true(store_series_add(&s, &p, (100 + i) * SEC, (uint64_t)i * 1000000000));
    assert_int_equal(nanocores(&s, &p), 1000ull * 1000000000);
    int64_t window, end;
    assert_true(store_series_rate(&s, &r));
    assert_true(r.window_ns > 0 && r.window_ns <= 5 * SEC);
    assert_int_equal(r.end_ns, 159 * SEC);
    assert_true(store_series_span(&s, &window, &end));
    assert_int_equal(window, r.window_ns);
    assert_int_equal(end, r.end_ns);
}

/* Two samples three hours apart cannot share a base: the series starts over at the second. */
static void test_long_gap_starts_over(void **state)
{
    struct store_series s;
    struct store_series_params p = {
        .spacing_us = WINDOW / 6000, .window_us = WINDOW / 1000, .slack_pct = 10};

    (void)state;
    store_series_init(&s);
    store_series_add(&s, &p, 10 * SEC, 100);
    store_series_add(&s, &p, 11 * SEC, 200);
    assert_int_equal(nanocores(&s, &p), 100000);
    store_series_add(&s, &p, 3 * 3600 * SEC, 300);
    assert_int_equal(nanocores(&s, &p), 0);
    assert_int_equal(s.rate_from, STORE_NO_RATE);
    store_series_add(&s, &p, 3 * 3600 * SEC + SEC, 300 + 500000);
    assert_int_equal(nanocores(&s, &p), 500000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_rates_as_cpu_series),
        cmocka_unit_test(test_reset_and_stale_samples),
        cmocka_unit_test(test_huge_container_gets_a_shorter_true_window),
        cmocka_unit_test(test_long_gap_starts_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
