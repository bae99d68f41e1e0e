/* User information as authentication produces it: limits on groups and extras, joining of
 * extra values under one key, deep copies that share nothing with their source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/user_info.h"

static bool all_zero(const struct user_info *u)
{
    static const struct user_info zero;
    return memcmp(u, &zero, sizeof(zero)) == 0;
}

static void test_groups(void **state)
{
    struct user_info u = {0};
    char g[32];

    (void)state;
    /* len bounds the copy: the group is the first len bytes, NUL-terminated */
    assert_int_equal(user_info_add_group(&u, "system:authenticatedXYZ", 20), 0);
    assert_int_equal(u.ngroups, 1);
    assert_string_equal(u.groups[0], "system:authenticated");
    for (int i = 1; i < USER_INFO_MAX_GROUPS; i++) {
        snprintf(g, sizeof(g), "g%d", i);
        assert_int_equal(user_info_add_group(&u, g, strlen(g)), 0);
    }
    assert_int_equal(u.ngroups, USER_INFO_MAX_GROUPS);
    assert_int_equal(user_info_add_group(&u, "one-too-many", 12), -E2BIG);
    assert_int_equal(u.ngroups, USER_INFO_MAX_GROUPS);
    assert_string_equal(u.groups[USER_INFO_MAX_GROUPS - 1], "g255");
    user_info_done(&u);
    assert_true(all_zero(&u));
    user_info_done(&u); /* freeing an empty struct is harmless */
}

static void test_extra_join_and_limits(void **state)
{
    struct user_info u = {0};
    char k[32];

    (void)state;
    assert_int_equal(user_info_add_extra(&u, "pod-name", 8, "web-0", 5), 0);
    assert_int_equal(user_info_add_extra(&u, "pod-uid", 7, "1234", 4), 0);
    /* same key: joined; the key is matched on its whole length, not as a prefix */
    assert_int_equal(user_info_add_extra(&u, "pod-name", 8, "web-1", 5), 0);
    assert_int_equal(user_info_add_extra(&u, "pod-nameX", 8, "web-2xx", 5), 0);
    assert_int_equal(user_info_add_extra(&u, "pod", 3, "p", 1), 0);
    assert_int_equal(u.nextra, 3);
    assert_string_equal(u.extra[0].key, "pod-name");
    assert_int_equal(u.extra[0].nvalues, 3);
    assert_string_equal(u.extra[0].values[0], "web-0");
    assert_string_equal(u.extra[0].values[1], "web-1");
    assert_string_equal(u.extra[0].values[2], "web-2");
    assert_string_equal(u.extra[2].key, "pod");

    assert_string_equal(user_info_extra(&u, "pod-name"), "web-0");
    assert_string_equal(user_info_extra(&u, "pod-uid"), "1234");
    assert_null(user_info_extra(&u, "pod-nam"));
    assert_null(user_info_extra(&u, "absent"));

    /* values per key */
    for (size_t i = u.extra[1].nvalues; i < USER_INFO_MAX_VALUES; i++)
        assert_int_equal(user_info_add_extra(&u, "pod-uid", 7, "v", 1), 0);
    assert_int_equal(u.extra[1].nvalues, USER_INFO_MAX_VALUES);
    assert_int_equal(user_info_add_extra(&u, "pod-uid", 7, "v", 1), -E2BIG);
    assert_int_equal(u.extra[1].nvalues, USER_INFO_MAX_VALUES);

    /* keys */
    for (size_t i = u.nextra; i < USER_INFO_MAX_EXTRA; i++) {
        snprintf(k, sizeof(k), "key-%zu", i);
        assert_int_equal(user_info_add_extra(&u, k, strlen(k), "v", 1), 0);
    }
    assert_int_equal(u.nextra, USER_INFO_MAX_EXTRA);
    assert_int_equal(user_info_add_extra(&u, "new-key", 7, "v", 1), -E2BIG);
    assert_int_equal(u.nextra, USER_INFO_MAX_EXTRA);
    /* an existing key still takes values when the key table is full */
    assert_int_equal(user_info_add_extra(&u, "pod", 3, "q", 1), 0);
    assert_int_equal(u.extra[2].nvalues, 2);
    user_info_done(&u);
    assert_true(all_zero(&u));
}

static void test_copy(void **state)
{
    struct user_info src = {0}, dst, empty = {0};

    (void)state;
    src.name = strdup("system:serviceaccount:kmetrics:collector");
    src.uid = strdup("0b9c6a0e-6f8e-4e8c-9f1e-2b0b3a1c8d7e");
    assert_int_equal(user_info_add_group(&src, "system:serviceaccounts", 22), 0);
    assert_int_equal(user_info_add_group(&src, "system:authenticated", 20), 0);
    assert_int_equal(user_info_add_extra(&src, "a", 1, "1", 1), 0);
    assert_int_equal(user_info_add_extra(&src, "a", 1, "2", 1), 0);
    assert_int_equal(user_info_add_extra(&src, "b", 1, "3", 1), 0);

    memset(&dst, 0x5a, sizeof(dst)); /* garbage in: overwritten, never freed */
    assert_int_equal(user_info_copy(&dst, &src), 0);
    user_info_done(&src); /* the copy shares nothing with its source */
    assert_string_equal(dst.name, "system:serviceaccount:kmetrics:collector");
    assert_string_equal(dst.uid, "0b9c6a0e-6f8e-4e8c-9f1e-2b0b3a1c8d7e");
    assert_int_equal(dst.ngroups, 2);
    assert_string_equal(dst.groups[0], "system:serviceaccounts");
    assert_string_equal(dst.groups[1], "system:authenticated");
    assert_int_equal(dst.nextra, 2);
    assert_string_equal(dst.extra[0].key, "a");
    assert_int_equal(dst.extra[0].nvalues, 2);
    assert_string_equal(dst.extra[0].values[1], "2");
    assert_string_equal(dst.extra[1].key, "b");
    assert_string_equal(dst.extra[1].values[0], "3");
    user_info_done(&dst);

    /* no name: an empty one; no uid stays none */
    assert_int_equal(user_info_copy(&dst, &empty), 0);
    assert_string_equal(dst.name, "");
    assert_null(dst.uid);
    assert_int_equal(dst.ngroups, 0);
    assert_int_equal(dst.nextra, 0);
    user_info_done(&dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_extra_join_and_limits),
        cmocka_unit_test(test_copy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
