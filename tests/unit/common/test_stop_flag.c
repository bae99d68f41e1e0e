/* Stoppable sleeps: a sleep runs its length when nothing stops it, ends at once when the flag
 * is raised from another thread, and does not start once the flag is up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "clock.h"
#include "stop_flag.h"

static void *raise_later(void *arg)
{
    usleep(100000);
    stop_flag_raise(arg);
    return NULL;
}

static void test_sleep_and_stop(void **state)
{
    struct stop_flag f;
    pthread_t th;
    int64_t t0;

    (void)state;
    stop_flag_init(&f);
    t0 = clock_mono_ns();
    assert_true(stop_flag_sleep(&f, 50 * NS_PER_MS));
    assert_true(clock_mono_ns() - t0 >= 50 * NS_PER_MS);
    assert_false(stop_flag_raised(&f));

    /* A 30 s sleep ends when another thread raises the flag (after 0.1 s). */
    assert_int_equal(pthread_create(&th, NULL, raise_later, &f), 0);
    t0 = clock_mono_ns();
    assert_false(stop_flag_sleep(&f, 30 * NS_PER_SEC));
    assert_true(clock_mono_ns() - t0 < 5 * NS_PER_SEC);
    pthread_join(th, NULL);
    assert_true(stop_flag_raised(&f));
    /* Raised: no sleep at all. */
    t0 = clock_mono_ns();
    assert_false(stop_flag_sleep(&f, 30 * NS_PER_SEC));
    assert_true(clock_mono_ns() - t0 < NS_PER_SEC);
    stop_flag_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleep_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
