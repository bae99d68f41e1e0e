/* Kubernetes names: DNS-1123 labels and subdomains, lengths at and past the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "k8s_names.h"

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
        cmocka_unit_test(test_k8s_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
