/* Backoff: the doubling sequence up to its cap, jitter inside the stated percentages (and
 * different between two peers), a reset after success, delays off the sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"
#include "clock.h"

static void test_equal_jitter_doubles_to_the_cap(void **state)
{
    struct backoff b;

    (void)state;
    for (int round = 0; round < 200; round++) {
        int64_t step = 100 * NS_PER_MS;

        backoff_init(&b, 100 * NS_PER_MS, 800 * NS_PER_MS, BACKOFF_EQUAL_JITTER);
        for (int i = 0; i < 6; i++) {
            int64_t d = backoff_next(&b);
            assert_true(d >= step / 2 && d <= step);
            if (step < 800 * NS_PER_MS) step *= 2;
        }
        assert_int_equal(b.failures, 6);
        backoff_reset(&b);
        int64_t d = backoff_next(&b);
        assert_true(d >= 50 * NS_PER_MS && d <= 100 * NS_PER_MS);
    }
}

static void test_spread_around_the_step_never_above_max(void **state)
{
    struct backoff b;
    int64_t lo = INT64_MAX, hi = 0;

    (void)state;
    backoff_init(&b, NS_PER_SEC, 2 * NS_PER_SEC, 80, 120);
    for (int i = 0; i < 2000; i++) {
        backoff_reset(&b);
        int64_t d = backoff_next(&b);
        if (d < lo) lo = d;
        if (d > hi) hi = d;
    }
    assert_true(lo >= 800 * NS_PER_MS && lo < 850 * NS_PER_MS); /* the whole range is used */
    assert_true(hi <= 1200 * NS_PER_MS && hi > 1150 * NS_PER_MS);
    for (int i = 0; i < 10; i++) /* 2 s steps: +20 % would pass max */
        assert_true(backoff_next(&b) <= 2 * NS_PER_SEC);
    /* A delay off the sequence (a refused token waits the longest), still capped. */
    int64_t d = backoff_jitter(&b, 30 * NS_PER_SEC, 30 * NS_PER_SEC);
    assert_true(d >= 24 * NS_PER_SEC && d <= 30 * NS_PER_SEC);
}

static void test_peers_differ(void **state)
{
    struct backoff a, b;
    int same = 0;

    (void)state;
    backoff_init(&a, NS_PER_SEC, 30 * NS_PER_SEC, BACKOFF_EQUAL_JITTER);
    backoff_init(&b, NS_PER_SEC, 30 * NS_PER_SEC, BACKOFF_EQUAL_JITTER);
    for (int i = 0; i < 20; i++) {
        backoff_reset(&a);
        backoff_reset(&b);
        same += backoff_next(&a) == backoff_next(&b);
    }
    assert_true(same < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_jitter_doubles_to_the_cap),
        cmocka_unit_test(test_spread_around_the_step_never_above_max),
        cmocka_unit_test(test_peers_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
