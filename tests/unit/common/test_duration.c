/* Go-style duration flags: every unit, fractions, compound forms; and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "duration.h"

static void test_duration_valid(void **state)
{
    int64_t ns;

    (void)state;
    assert_int_equal(duration_parse("100ms", &ns), 0);
    assert_int_equal(ns, 100000000);
    assert_int_equal(duration_parse("1.5s", &ns), 0);
    assert_int_equal(ns, 1500000000);
    assert_int_equal(duration_parse("1m30s", &ns), 0);
    assert_int_equal(ns, 90000000000);
    assert_int_equal(duration_parse("2", &ns), 0); /* bare number: seconds */
    assert_int_equal(ns, 2000000000);
    assert_int_equal(duration_parse("250us", &ns), 0);
    assert_int_equal(ns, 250000);
    assert_int_equal(duration_parse("1h", &ns), 0);
    assert_int_equal(ns, 3600000000000);
}

static void test_duration_invalid(void **state)
{
    const char *bad[] = {"", "s", "-1s", "1x", "1.s5", "ms", "1s ", " 1s", "1..5s", "1e3s"};
    int64_t ns;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = duration_parse(bad[i], &ns);
        if (rc != -EINVAL) fail_msg("\"%s\" gave %d", bad[i], rc);
    }
    assert_int_equal(duration_parse("99999999999999999h", &ns), -ERANGE);
    assert_int_equal(duration_parse(NULL, &ns), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_valid),
        cmocka_unit_test(test_duration_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
