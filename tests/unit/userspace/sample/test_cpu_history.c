/* The collector's CPU history: rates on the monotonic clock, while each kept point and the
 * latest sample keep their own wall-clock time (what is shipped), through wraps and resets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "sample/cpu_history.h"

#define SEC NS_PER_SEC

static void test_points_keep_their_wall_clock(void **state)
{
    struct cpu_series_params p;
    struct cpu_history h;
    struct cpu_sample pts[CPU_HISTORY_POINTS + 1];
    struct cpu_rate r;
    size_t n;

    (void)state;
    cpu_history_params(&p, 60 * SEC, SEC);
    cpu_history_init(&h);
    /* Wall time runs 1 h ahead of monotonic time and steps back 5 s after sample 100. */
    for (int i = 0; i <= 200; i++) {
        int64_t mono = (int64_t)i * SEC, real = 3600 * SEC + mono - (i > 100 ? 5 * SEC : 0);
        assert_false(cpu_history_add(&h, &p, mono, real, (uint64_t)i * 100000));
    }
    n = cpu_history_points(&h, &p, pts);
    assert_true(n >= 60 && n <= CPU_HISTORY_POINTS + 1);
    for (size_t i = 0; i < n; i++) {
        int64_t step = pts[i].mono_ns > 100 * SEC ? 5 * SEC : 0;
        assert_int_equal(pts[i].real_ns, 3600 * SEC + pts[i].mono_ns - step);
        assert_int_equal(pts[i].usage_usec, (uint64_t)(pts[i].mono_ns / SEC) * 100000);
    }
    assert_int_equal(pts[n - 1].mono_ns, 200 * SEC);
    /* The rate ignores the wall-clock step. */
    assert_true(cpu_history_rate(&h, &p, 15 * SEC, &r));
    assert_int_equal(r.nanocores, 100000000);
    assert_int_equal(r.window_ns, 15 * SEC);

    /* A reset keeps only the new sample, with its own wall time. */
    assert_true(cpu_history_add(&h, &p, 201 * SEC, 9000 * SEC, 5));
    assert_int_equal(h.series.resets, 1);
    n = cpu_history_points(&h, &p, pts);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].real_ns, 9000 * SEC);
    /* A sample not newer than the latest changes nothing, its wall time included. */
    assert_false(cpu_history_add(&h, &p, 201 * SEC, 1, 6));
    assert_int_equal(h.latest_real_ns, 9000 * SEC);
}

static void test_fast_interval_latest_not_kept(void **state)
{
    struct cpu_series_params p;
    struct cpu_history h;
    struct cpu_sample pts[CPU_HISTORY_POINTS + 1];
    size_t n;

    (void)state;
    cpu_history_params(&p, 60 * SEC, SEC / 10);
    cpu_history_init(&h);
    for (int i = 0; i <= 25; i++)
        cpu_history_add(&h, &p, i * (SEC / 10), 7 * SEC + i * (SEC / 10), (uint64_t)i);
    n = cpu_history_points(&h, &p, pts);
    /* Points 1 s apart, then the latest (2.5 s), which was not kept, with its wall time. */
    assert_int_equal(pts[n - 1].mono_ns, 25 * (SEC / 10));
    assert_int_equal(pts[n - 1].real_ns, 7 * SEC + 25 * (SEC / 10));
    assert_true(pts[n - 2].mono_ns < pts[n - 1].mono_ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_keep_their_wall_clock),
        cmocka_unit_test(test_fast_interval_latest_not_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
