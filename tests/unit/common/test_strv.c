/* String lists: splitting flags (empty items dropped), copies that are whole or nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "strv.h"

static void test_split_dup_free(void **state)
{
    char **v, **copy;

    (void)state;
    v = strv_split("a,bc,,d,", ',');
    assert_non_null(v);
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], "bc");
    assert_string_equal(v[2], "d");
    assert_null(v[3]);
    copy = strv_dup(v);
    strv_free(v);
    assert_string_equal(copy[2], "d");
    assert_null(copy[3]);
    strv_free(copy);
    v = strv_split("", ',');
    assert_non_null(v);
    assert_null(v[0]);
    strv_free(v);
    v = strv_split(",,,", ',');
    assert_null(v[0]);
    strv_free(v);
    assert_null(strv_dup(NULL));
    strv_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_dup_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
