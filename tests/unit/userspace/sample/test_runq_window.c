/* Run-queue latency over a window from two cumulative log2 histograms: the quantiles inside
 * their bucket, the window's waits, and hostile reads (a histogram recreated so its counters
 * go backwards, a clock that does not advance, nothing at all, the open last bucket, counts
 * that would overflow a sum). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sample/runq_window.h"

#define SEC ((int64_t)1000000000)

static void test_quantile_inside_its_bucket(void **state)
{
    uint64_t slots[RUNQ_SLOTS] = {0};

    (void)state;
    /* 100 waits in [8, 16) us: the k-th of them is placed at 8 + 8 * k / 100. */
    slots[4] = 100;
    assert_int_equal(runq_quantile_us(slots, 0.50), 12);
    assert_int_equal(runq_quantile_us(slots, 0.99), 15);
    assert_int_equal(runq_quantile_us(slots, 1.0), 16);
    /* 90 waits under 1 us and 10 in [1024, 2048) us: p50 is below 1 us, p99 in the upper
     * bucket, 9 of its 10 waits in. */
    memset(slots, 0, sizeof(slots));
    slots[0] = 90;
    slots[11] = 10;
    assert_int_equal(runq_quantile_us(slots, 0.50), 0);
    assert_int_equal(runq_quantile_us(slots, 0.90), 1); /* the 90th: the bucket's top */
    assert_int_equal(runq_quantile_us(slots, 0.99), 1024 + 1024 * 9 / 10);
    /* One wait: every quantile is in its bucket, at the top. */
    memset(slots, 0, sizeof(slots));
    slots[3] = 1;
    assert_int_equal(runq_quantile_us(slots, 0.5), 8);
    assert_int_equal(runq_quantile_us(slots, 0.99), 8);
}

static void test_quantile_edges(void **state)
{
    uint64_t slots[RUNQ_SLOTS] = {0};

    (void)state;
    assert_int_equal(runq_quantile_us(slots, 0.5), 0); /* no waits */
    slots[5] = 7;
    assert_int_equal(runq_quantile_us(slots, 0), 0); /* not a quantile */
    assert_int_equal(runq_quantile_us(slots, -1), 0);
    assert_int_equal(runq_quantile_us(slots, 2), 32); /* taken as the maximum */
    /* The last bucket has no upper bound: its lower one, 2^22 us, is reported. */
    memset(slots, 0, sizeof(slots));
    slots[RUNQ_SLOTS - 1] = 3;
    assert_int_equal(runq_quantile_us(slots, 0.5), 1u << (RUNQ_SLOTS - 2));
    assert_int_equal(runq_quantile_us(slots, 0.99), 1u << (RUNQ_SLOTS - 2));
    /* Counts whose sum overflows 64 bits: saturated, still a quantile in range. */
    for (int k = 0; k < RUNQ_SLOTS; k++)
        slots[k] = UINT64_MAX / 2;
    assert_true(runq_quantile_us(slots, 0.5) <= 2);
    assert_true(runq_quantile_us(slots, 0.99) <= 2);
}

static void test_window_from_two_reads(void **state)
{
    struct runq_prev prev = {0};
    struct runq_hist h = {0};
    struct runq_window w;

    (void)state;
    h.slots[2] = 5;
    /* A first read has nothing to compare with. */
    assert_int_equal(runq_window_update(&prev, &h, 10 * SEC, &w), 0);
    assert_false(w.valid);
    /* The second: only what happened between the two. */
    h.slots[2] += 100;
    h.slots[12] += 1;
    assert_int_equal(runq_window_update(&prev, &h, 12 * SEC, &w), 0);
    assert_true(w.valid);
    assert_int_equal(w.waits, 101);
    assert_int_equal(w.window_ns, 2 * SEC);
    assert_true(w.p50_us >= 2 && w.p50_us <= 4);
    assert_int_equal(w.p99_us, 4); /* the 100th of 101 is still in [2, 4) */
    /* Nothing happened: valid, no waits, zero quantiles. */
    assert_int_equal(runq_window_update(&prev, &h, 13 * SEC, &w), 0);
    assert_true(w.valid);
    assert_int_equal(w.waits, 0);
    assert_int_equal(w.p50_us, 0);
    assert_int_equal(w.p99_us, 0);
}

static void test_hostile_reads(void **state)
{
    struct runq_prev prev = {0};
    struct runq_hist h = {0};
    struct runq_window w;

    (void)state;
    h.slots[6] = 1000;
    runq_window_update(&prev, &h, 1 * SEC, &w);
    /* The map entry was recreated: counters went backwards. No window, a new series. */
    memset(&h, 0, sizeof(h));
    h.slots[1] = 3;
    assert_int_equal(runq_window_update(&prev, &h, 2 * SEC, &w), -ERANGE);
    assert_false(w.valid);
    /* ... measured from there on. */
    h.slots[1] = 13;
    assert_int_equal(runq_window_update(&prev, &h, 3 * SEC, &w), 0);
    assert_true(w.valid);
    assert_int_equal(w.waits, 10);
    /* A clock that did not advance gives no window. */
    h.slots[1] = 20;
    assert_int_equal(runq_window_update(&prev, &h, 3 * SEC, &w), -ERANGE);
    assert_false(w.valid);
    /* Deltas whose sum would overflow: waits saturate, quantiles stay in range. */
    memset(&h, 0, sizeof(h));
    runq_window_update(&prev, &h, 4 * SEC, &w);
    for (int k = 0; k < RUNQ_SLOTS; k++)
        h.slots[k] = UINT64_MAX / 2;
    assert_int_equal(runq_window_update(&prev, &h, 5 * SEC, &w), 0);
    assert_true(w.valid);
    assert_int_equal(w.waits, UINT64_MAX);
    assert_true(w.p99_us <= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_inside_its_bucket),
        cmocka_unit_test(test_quantile_edges),
        cmocka_unit_test(test_window_from_two_reads),
        cmocka_unit_test(test_hostile_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
