/* CPU history: rates over windows, bounded memory at any interval, counter resets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sample/series.h"

#define SEC ((int64_t)1000000000)

static void test_no_rate_from_one_sample(void **state)
{
    struct cpu_series s;
    struct cpu_rate r;

    (void)state;
    cpu_series_init(&s, 60 * SEC, SEC);
    assert_false(cpu_series_rate(&s, 15 * SEC, &r));
    cpu_series_add(&s, 100 * SEC, 5000);
    assert_false(cpu_series_rate(&s, 15 * SEC, &r));
}

static void test_rate_over_window_at_one_second(void **state)
{
    struct cpu_series s;
    struct cpu_rate r;

    (void)state;
    cpu_series_init(&s, 60 * SEC, SEC);
    /* Half a core: 500 ms of CPU per second, for 100 s. */
    for (int i = 0; i <= 100; i++)
        cpu_series_add(&s, (1000 + i) * SEC, (uint64_t)i * 500000);
    assert_true(cpu_series_rate(&s, 15 * SEC, &r));
    assert_int_equal(r.window_ns, 15 * SEC);
    assert_int_equal(r.nanocores, 500000000);
    assert_true(cpu_series_rate(&s, 60 * SEC, &r));
    assert_int_equal(r.window_ns, 60 * SEC);
    assert_int_equal(r.nanocores, 500000000);
    assert_true(cpu_series_rate(&s, 1 * SEC, &r));
    assert_int_equal(r.window_ns, 1 * SEC);
}

static void test_short_history_gives_true_shorter_window(void **state)
{
    struct cpu_series s;
    struct cpu_rate r;

    (void)state;
    cpu_series_init(&s, 60 * SEC, SEC);
    cpu_series_add(&s, 10 * SEC, 0);
    cpu_series_add(&s, 11 * SEC, 2000000); /* 2 cores for 1 s */
    assert_true(cpu_series_rate(&s, 15 * SEC, &r));
    assert_int_equal(r.window_ns, SEC);
    assert_int_equal(r.nanocores, 2000000000);
}

static void test_fast_interval_keeps_bounded_points_and_full_history(void **state)
{
    struct cpu_series s;
    struct cpu_rate r;

    (void)state;
    cpu_series_init(&s, 60 * SEC, SEC / 10);
    /* 100 ms ticks for 120 s: 1200 samples into a 64-point ring. */
    for (int i = 0; i <= 1200; i++)
        cpu_series_add(&s, i * (SEC / 10), (uint64_t)i * 25000); /* a quarter core */
    assert_true(s.count <= SERIES_POINTS);
    assert_true(cpu_series_rate(&s, 60 * SEC, &r));
    assert_true(r.window_ns >= 59 * SEC && r.window_ns <= 60 * SEC);
    assert_int_equal(r.nanocores, 250000000);
    assert_true(cpu_series_rate(&s, 15 * SEC, &r));
    assert_true(r.window_ns >= 14 * SEC && r.window_ns <= 15 * SEC);
}

static void test_counter_reset_starts_new_series(void **state)
{
    struct cpu_series s;
    struct cpu_rate r;

    (void)state;
    cpu_series_init(&s, 60 * SEC, SEC);
    cpu_series_add(&s, 1 * SEC, 9000000);
    cpu_series_add(&s, 2 * SEC, 9500000);
    assert_true(cpu_series_add(&s, 3 * SEC, 100));
    assert_int_equal(s.resets, 1);
    assert_false(cpu_series_rate(&s, 15 * SEC, &r));
    assert_false(cpu_series_add(&s, 4 * SEC, 100100));
    assert_true(cpu_series_rate(&s, 15 * SEC, &r));
    assert_int_equal(r.nanocores, 100000000);
    assert_int_equal(r.window_ns, SEC);
}

static void test_stale_or_duplicate_sample_ignored(void **state)
{
    struct cpu_series s;
    struct cpu_rate r;

    (void)state;
    cpu_series_init(&s, 60 * SEC, SEC);
    cpu_series_add(&s, 5 * SEC, 1000);
    cpu_series_add(&s, 6 * SEC, 2000);
    assert_false(cpu_series_add(&s, 6 * SEC, 1)); /* same time: ignored, not a reset */
    assert_false(cpu_series_add(&s, 4 * SEC, 1)); /* older: ignored */
    assert_int_equal(s.resets, 0);
    assert_true(cpu_series_rate(&s, 15 * SEC, &r));
    assert_int_equal(r.nanocores, 1000000);
}

static void test_huge_rates_do_not_overflow(void **state)
{
    struct cpu_series s;
    struct cpu_rate r;

    (void)state;
    cpu_series_init(&s, 60 * SEC, SEC);
    /* 4096 cores busy for 60 s: 2.4e11 us; the intermediate ns*1e9 needs 128 bits. */
    cpu_series_add(&s, 0, 0);
    cpu_series_add(&s, 60 * SEC, 4096ull * 60 * 1000000);
    assert_true(cpu_series_rate(&s, 60 * SEC, &r));
    assert_int_equal(r.nanocores, 4096ull * 1000000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_rate_from_one_sample),
        cmocka_unit_test(test_rate_over_window_at_one_second),
        cmocka_unit_test(test_short_history_gives_true_shorter_window),
        cmocka_unit_test(test_fast_interval_keeps_bounded_points_and_full_history),
        cmocka_unit_test(test_counter_reset_starts_new_series),
        cmocka_unit_test(test_stale_or_duplicate_sample_ignored),
        cmocka_unit_test(test_huge_rates_do_not_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
