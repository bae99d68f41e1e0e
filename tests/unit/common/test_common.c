/* The small building blocks in common/: the string hash map under heavy churn, duration
 * flags, token files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "k8s_names.h"
#include "strmap.h"
#include "lib/test_util.h"
#include "token_file.h"

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

static void test_token_files(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], err[256], big[TOKEN_FILE_MAX + 10];
    char *t;

    (void)state;
    assert_int_equal(tu_tmpdir(dir, sizeof(dir), "token"), 0);
    snprintf(path, sizeof(path), "%s/t", dir);
    tu_write_file(path, "  s3cr3t-Token_1.2\n\n", (size_t)-1);
    t = token_file_read(path, err, sizeof(err));
    assert_non_null(t);
    assert_string_equal(t, "s3cr3t-Token_1.2");
    free(t);
    const char *bad[] = {"", " \n\t ", "two words", "ctl\x01char", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tu_write_file(path, bad[i], (size_t)-1);
        assert_null(token_file_read(path, err, sizeof(err)));
        assert_non_null(strstr(err, path));
    }
    memset(big, 'a', sizeof(big));
    tu_write_file(path, big, sizeof(big));
    assert_null(token_file_read(path, err, sizeof(err)));
    assert_non_null(strstr(err, "longer than"));
    assert_null(token_file_read("/nonexistent/token", err, sizeof(err)));
    tu_rm_rf(dir);
}

static void test_k8s_names(void **state)
{
    char long_label[65], long_sub[255];

    (void)state;
    assert_true(k8s_dns_label("kube-system", 11));
    assert_true(k8s_dns_label("a", 1));
    assert_false(k8s_dns_label("", 0));
    assert_false(k8s_dns_label("-a", 2));
    assert_false(k8s_dns_label("a-", 2));
    assert_false(k8s_dns_label("A", 1));
    assert_false(k8s_dns_label("a.b", 3));
    assert_false(k8s_dns_label("a_b", 3));
    memset(long_label, 'a', sizeof(long_label));
    assert_true(k8s_dns_label(long_label, 63));
    assert_false(k8s_dns_label(long_label, 64));
    assert_true(k8s_dns_subdomain("web-0.example.com", 17));
    assert_false(k8s_dns_subdomain("a..b", 4));
    assert_false(k8s_dns_subdomain("a.-b", 4));
    assert_false(k8s_dns_subdomain(".a", 2));
    assert_false(k8s_dns_subdomain("a\0b", 3));
    memset(long_sub, 'a', sizeof(long_sub));
    assert_true(k8s_dns_subdomain(long_sub, 253)); /* only the total is limited */
    assert_false(k8s_dns_subdomain(long_sub, 254));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strmap_put_get_del_churn),
        cmocka_unit_test(test_duration_valid),
        cmocka_unit_test(test_duration_invalid),
        cmocka_unit_test(test_token_files),
        cmocka_unit_test(test_k8s_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
