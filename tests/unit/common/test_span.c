/* Spans: comparisons bounded by the length (never by a NUL), Go's string order, trimming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "span.h"

static void test_compare(void **state)
{
    struct span pods = {"pods/x", 4}, podsx = {"podsx", 5}, empty = {"", 0}, nul = {"a\0b", 3};

    (void)state;
    assert_true(span_is(pods, "pods"));
    assert_false(span_is(pods, "pod"));
    assert_false(span_is(podsx, "pods"));
    assert_true(span_is(empty, ""));
    assert_false(span_is(nul, "a")); /* the length counts, not the NUL */
    assert_true(span_eq(pods, (struct span){"pods", 4}));
    assert_false(span_eq(pods, podsx));
    assert_true(span_eq(empty, (struct span){NULL, 0}));
    /* Bytewise, a prefix first, as Go orders strings. */
    assert_true(span_cmp(pods, podsx) < 0);
    assert_true(span_cmp(podsx, pods) > 0);
    assert_int_equal(span_cmp(pods, (struct span){"pods", 4}), 0);
    assert_true(span_cmp((struct span){"\xff", 1}, (struct span){"a", 1}) > 0);
    assert_true(span_cmp(empty, pods) < 0);
}

static void test_trim(void **state)
{
    struct span s = {"kubepods-burstable.slice", 24};

    (void)state;
    assert_true(span_has_prefix(s, "kubepods-"));
    assert_true(span_has_suffix(s, ".slice"));
    assert_false(span_has_suffix(s, "kubepods-burstable.slice.x"));
    assert_false(span_has_prefix((struct span){"ku", 2}, "kubepods"));
    assert_true(span_is(span_chop(span_skip(s, 9), 6), "burstable"));
    assert_int_equal(span_skip(s, 24).n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
