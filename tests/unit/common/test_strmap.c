/* The string hash map under heavy churn: puts, gets, deletes, iteration, and tombstones that
 * must not make it grow without bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "strmap.h"

static void test_strmap_put_get_del_churn(void **state)
{
    enum { N = 5000 };
    static char keys[N][24];
    struct strmap m;
    const char *k;
    void *v;
    size_t count = 0;

    (void)state;
    strmap_init(&m);
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
            assert_int_equal(strmap_put(&m, keys[i], (void *)(intptr_t)(i + 1)), 0);
        }
        assert_int_equal(m.len, N);
        for (int i = 0; i < N; i += 2)
            assert_ptr_equal(strmap_del(&m, keys[i]), (void *)(intptr_t)(i + 1));
        for (int i = 0; i < N; i++)
            assert_ptr_equal(strmap_get(&m, keys[i]), i % 2 ? (void *)(intptr_t)(i + 1) : NULL);
        /* Tombstones must not make the table grow without bound as keys come and go. */
        assert_true(m.cap <= 4 * 8192);
    }
    for (size_t it = 0; strmap_next(&m, &it, &k, &v);)
        count++;
    assert_int_equal(count, N / 2);
    assert_null(strmap_del(&m, "absent"));
    strmap_done(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strmap_put_get_del_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
