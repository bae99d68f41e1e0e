/* Bounded JSON loading: the byte bound is exact, values are counted before jansson allocates
 * (separators inside strings and escaped quotes do not count), the top level must be an object
 * when asked, and every refusal says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_load.h"

static int load(const char *text, const struct json_bounds *b, json_t **out, char *why)
{
    return json_load_bounded(text, strlen(text), b, out, why, 128);
}

static void test_bytes_and_type(void **state)
{
    struct json_bounds b = {.max_bytes = 9, .object = true};
    char why[128];
    json_t *j;

    (void)state;
    assert_int_equal(load("{\"a\":12}", &b, &j, why), 0); /* 8 bytes */
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 12);
    json_decref(j);
    assert_int_equal(load("{\"a\":123}", &b, &j, why), 0); /* exactly 9 */
    json_decref(j);
    assert_int_equal(load("{\"a\":1234}", &b, &j, why), -E2BIG);
    assert_null(j);
    assert_string_equal(why, "longer than 9 bytes");
    assert_int_equal(load("[1,2]", &b, &j, why), -EINVAL);
    assert_string_equal(why, "expected a JSON object");
    b.object = false;
    assert_int_equal(load("[1,2]", &b, &j, why), 0);
    json_decref(j);
    assert_int_equal(load("{\"a\":", &b, &j, why), -EINVAL);
    assert_non_null(strstr(why, "bad JSON at"));
    assert_int_equal(load("", &b, &j, why), -EINVAL);
}

static void test_value_count(void **state)
{
    struct json_bounds b = {.max_bytes = 1 << 20, .max_values = 4};
    char why[128];
    json_t *j;

    (void)state;
    /* The array, and 1, 2, 3: four values. */
    assert_int_equal(load("[1,2,3]", &b, &j, why), 0);
    json_decref(j);
    assert_int_equal(load("[1,2,3,4]", &b, &j, why), -E2BIG);
    assert_string_equal(why, "more than 4 values");
    assert_int_equal(load("[{},{},{},{}]", &b, &j, why), -E2BIG);
    /* Inside strings nothing counts, an escaped quote does not end the string. */
    assert_int_equal(load("[\"[,{,\\\",],}\",1]", &b, &j, why), 0);
    assert_string_equal(json_string_value(json_array_get(j, 0)), "[,{,\",],}");
    json_decref(j);
}

static void test_duplicates_flag(void **state)
{
    struct json_bounds b = {.max_bytes = 100, .flags = JSON_REJECT_DUPLICATES};
    char why[128];
    json_t *j;

    (void)state;
    assert_int_equal(load("{\"a\":1,\"a\":2}", &b, &j, why), -EINVAL);
    b.flags = 0;
    assert_int_equal(load("{\"a\":1,\"a\":2}", &b, &j, why), 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_and_type),
        cmocka_unit_test(test_value_count),
        cmocka_unit_test(test_duplicates_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
