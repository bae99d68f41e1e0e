/* The CPU series both programs use, with both programs' parameters: the collector's (64
 * points, exact windows) and the aggregator's (8 points, a start up to 10 % early). Rates over
 * windows, bounded memory at any interval, counter resets, stale and repeated samples, and
 * rates that need 128 bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "cpu_series.h"

#define SEC NS_PER_SEC
#define RING_MAX 64

struct series {
    struct cpu_series s;
    struct cpu_point ring[RING_MAX];
    struct cpu_series_params p;
};

/* The collector's: 64 points spanning 60 s of history, sampled every interval. */
static void collector_like(struct series *x, int64_t interval_ns)
{
    cpu_series_init(&x->s);
    x->p = (struct cpu_series_params){
        .capacity = 64, .spacing_ns = cpu_series_spacing(60 * SEC, 64, 4, interval_ns)};
}

/* The aggregator's: 8 points spanning its window, a start 10 % early accepted. */
static void store_like(struct series *x, int64_t window_ns)
{
    cpu_series_init(&x->s);
    x->p = (struct cpu_series_params){
        .capacity = 8, .spacing_ns = cpu_series_spacing(window_ns, 8, 2, 0), .slack_pct = 10};
}

static bool add(struct series *x, int64_t t, uint64_t usage)
{
    bool reset;

    cpu_series_add(&x->s, x->ring, &x->p, (struct cpu_point){t, usage}, &reset);
    return reset;
}

static bool rate(const struct series *x, int64_t window, struct cpu_rate *r)
{
    return cpu_series_rate(&x->s, x->ring, &x->p, window, r);
}

static void test_no_rate_from_one_sample(void **state)
{
    struct series x;
    struct cpu_rate r;

    (void)state;
    collector_like(&x, SEC);
    assert_false(rate(&x, 15 * SEC, &r));
    add(&x, 100 * SEC, 5000);
    assert_false(rate(&x, 15 * SEC, &r));
}

static void test_rate_over_window_at_one_second(void **state)
{
    struct series x;
    struct cpu_rate r;

    (void)state;
    collector_like(&x, SEC);
    /* Half a core: 500 ms of CPU per second, for 100 s. */
    for (int i = 0; i <= 100; i++)
        add(&x, (1000 + i) * SEC, (uint64_t)i * 500000);
    assert_true(rate(&x, 15 * SEC, &r));
    assert_int_equal(r.window_ns, 15 * SEC);
    assert_int_equal(r.nanocores, 500000000);
    assert_int_equal(r.end_ns, 1100 * SEC);
    assert_int_equal(r.start_ns, 1085 * SEC);
    assert_true(rate(&x, 60 * SEC, &r));
    assert_int_equal(r.window_ns, 60 * SEC);
    assert_int_equal(r.nanocores, 500000000);
    assert_true(rate(&x, 1 * SEC, &r));
    assert_int_equal(r.window_ns, 1 * SEC);
}

static void test_short_history_gives_true_shorter_window(void **state)
{
    struct series x;
    struct cpu_rate r;

    (void)state;
    collector_like(&x, SEC);
    add(&x, 10 * SEC, 0);
    add(&x, 11 * SEC, 2000000); /* 2 cores for 1 s */
    assert_true(rate(&x, 15 * SEC, &r));
    assert_int_equal(r.window_ns, SEC);
    assert_int_equal(r.nanocores, 2000000000);
}

static void test_fast_interval_keeps_bounded_points_and_full_history(void **state)
{
    struct series x;
    struct cpu_rate r;

    (void)state;
    collector_like(&x, SEC / 10);
    /* 100 ms ticks for 120 s: 1200 samples into a 64-point ring. */
    for (int i = 0; i <= 1200; i++)
        add(&x, i * (SEC / 10), (uint64_t)i * 25000); /* a quarter core */
    assert_true(x.s.count <= 64);
    assert_true(rate(&x, 60 * SEC, &r));
    assert_true(r.window_ns >= 59 * SEC && r.window_ns <= 60 * SEC);
    assert_int_equal(r.nanocores, 250000000);
    assert_true(rate(&x, 15 * SEC, &r));
    assert_true(r.window_ns >= 14 * SEC && r.window_ns <= 15 * SEC);
}

static void test_store_window_slack(void **state)
{
    struct series x;
    struct cpu_rate r;

    (void)state;
    /* A 15 s window kept in 8 points spaced 2.5 s; samples every second for a minute. */
    store_like(&x, 15 * SEC);
    for (int i = 0; i <= 60; i++)
        add(&x, i * SEC, (uint64_t)i * 100000); /* a tenth of a core */
    assert_true(x.s.count <= 8);
    assert_true(rate(&x, 15 * SEC, &r));
    /* The oldest kept point within 16.5 s (15 s + 10 %): a true window near 15 s. */
    assert_true(r.window_ns > 12 * SEC && r.window_ns <= 16500000000LL);
    assert_int_equal(r.nanocores, 100000000);
    /* The same history without the slack: never past the window. */
    x.p.slack_pct = 0;
    assert_true(rate(&x, 15 * SEC, &r));
    assert_true(r.window_ns <= 15 * SEC);
}

static void test_counter_reset_starts_new_series(void **state)
{
    struct series x;
    struct cpu_rate r;

    (void)state;
    collector_like(&x, SEC);
    add(&x, 1 * SEC, 9000000);
    add(&x, 2 * SEC, 9500000);
    assert_true(add(&x, 3 * SEC, 100));
    assert_int_equal(x.s.resets, 1);
    assert_false(rate(&x, 15 * SEC, &r));
    assert_false(add(&x, 4 * SEC, 100100));
    assert_true(rate(&x, 15 * SEC, &r));
    assert_int_equal(r.nanocores, 100000000);
    assert_int_equal(r.window_ns, SEC);
}

static void test_stale_or_duplicate_sample_ignored(void **state)
{
    struct series x;
    struct cpu_rate r;
    bool reset;

    (void)state;
    store_like(&x, 15 * SEC);
    add(&x, 5 * SEC, 1000);
    add(&x, 6 * SEC, 2000);
    /* Same time, or older (a resent shipment): ignored, not a reset. */
    assert_int_equal(cpu_series_add(&x.s, x.ring, &x.p, (struct cpu_point){6 * SEC, 1}, &reset),
                     CPU_SERIES_IGNORED);
    assert_false(reset);
    assert_int_equal(cpu_series_add(&x.s, x.ring, &x.p, (struct cpu_point){4 * SEC, 1}, &reset),
                     CPU_SERIES_IGNORED);
    assert_int_equal(x.s.resets, 0);
    assert_true(rate(&x, 15 * SEC, &r));
    assert_int_equal(r.nanocores, 1000000);
}

static void test_slots_and_latest(void **state)
{
    struct series x;
    bool reset;

    (void)state;
    store_like(&x, 6 * SEC); /* spacing 1 s */
    assert_int_equal(cpu_series_add(&x.s, x.ring, &x.p, (struct cpu_point){0, 0}, &reset), 0);
    /* Too close to the last kept point: the latest, but not kept. */
    assert_int_equal(cpu_series_add(&x.s, x.ring, &x.p, (struct cpu_point){SEC / 2, 10}, &reset),
                     CPU_SERIES_NOT_KEPT);
    assert_int_equal(x.s.latest.usage_usec, 10);
    assert_int_equal(cpu_series_add(&x.s, x.ring, &x.p, (struct cpu_point){SEC, 20}, &reset), 1);
    /* A full ring drops its oldest: the slot wraps. */
    for (int i = 2; i <= 8; i++)
        cpu_series_add(&x.s, x.ring, &x.p, (struct cpu_point){i * SEC, (uint64_t)i * 10}, &reset);
    assert_int_equal(x.s.count, 8);
    assert_int_equal(x.ring[cpu_series_slot(&x.s, &x.p, 0)].t_ns, SEC);
    assert_int_equal(x.ring[cpu_series_slot(&x.s, &x.p, 7)].t_ns, 8 * SEC);
}

static void test_huge_rates_do_not_overflow(void **state)
{
    struct series x;
    struct cpu_rate r;

    (void)state;
    collector_like(&x, SEC);
    /* 4096 cores busy for 60 s: 2.4e11 us; the intermediate ns*1e9 needs 128 bits. */
    add(&x, 0, 0);
    add(&x, 60 * SEC, 4096ull * 60 * 1000000);
    assert_true(rate(&x, 60 * SEC, &r));
    assert_int_equal(r.nanocores, 4096ull * 1000000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_rate_from_one_sample),
        cmocka_unit_test(test_rate_over_window_at_one_second),
        cmocka_unit_test(test_short_history_gives_true_shorter_window),
        cmocka_unit_test(test_fast_interval_keeps_bounded_points_and_full_history),
        cmocka_unit_test(test_store_window_slack),
        cmocka_unit_test(test_counter_reset_starts_new_series),
        cmocka_unit_test(test_stale_or_duplicate_sample_ignored),
        cmocka_unit_test(test_slots_and_latest),
        cmocka_unit_test(test_huge_rates_do_not_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
