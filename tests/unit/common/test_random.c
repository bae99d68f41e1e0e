/* Seeds differ between calls (and are never 0, which xorshift would keep forever); the
 * sequence does not repeat early and uses its whole range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "random.h"

static void test_seed_and_sequence(void **state)
{
    uint64_t a = random_seed(), b = random_seed(), s = 1, first, or_bits = 0;

    (void)state;
    assert_true(a != 0 && b != 0 && a != b);
    first = random_next(&s);
    for (int i = 0; i < 100000; i++) {
        uint64_t v = random_next(&s);
        assert_true(v != first && s != 0);
        or_bits |= v;
    }
    assert_true(or_bits == UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_and_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
