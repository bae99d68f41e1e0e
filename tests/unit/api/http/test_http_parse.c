/* Content negotiation as real clients ask, and query decoding on hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "http/http_parse.h"

#define NEG(s, t) negotiate_accept((s), strlen(s), (t))

static void test_accept_real_clients(void **state)
{
    (void)state;
    /* kubectl top (protobuf first), the HPA, kubectl get (Table), curl, browsers. */
    assert_int_equal(NEG("application/vnd.kubernetes.protobuf,application/json", true),
                     MEDIA_PROTOBUF);
    assert_int_equal(NEG("application/vnd.kubernetes.protobuf, */*", true), MEDIA_PROTOBUF);
    assert_int_equal(NEG("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;"
                         "v=v1beta1;g=meta.k8s.io,application/json",
                         true),
                     MEDIA_TABLE_V1);
    assert_int_equal(NEG("application/json;as=Table;v=v1beta1;g=meta.k8s.io", true),
                     MEDIA_TABLE_V1BETA1);
    /* Where a Table makes no sense, the client's next choice is used. */
    assert_int_equal(NEG("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", false),
                     MEDIA_JSON);
    assert_int_equal(NEG("*/*", true), MEDIA_JSON);
    assert_int_equal(negotiate_accept(NULL, 0, true), MEDIA_JSON);
    assert_int_equal(NEG("", true), MEDIA_JSON);
    assert_int_equal(NEG("application/json; charset=utf-8", true), MEDIA_JSON);
    assert_int_equal(NEG("text/html", true), MEDIA_NONE);
    assert_int_equal(NEG("application/yaml", true), MEDIA_YAML);
    assert_int_equal(NEG("application/yaml;as=Table;v=v1;g=meta.k8s.io", true), MEDIA_NONE);
    assert_int_equal(NEG("text/yaml", true), MEDIA_NONE);
    assert_int_equal(NEG("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", true),
                     MEDIA_PARTIAL_LIST_V1);
    assert_int_equal(
        NEG("application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io", false),
        MEDIA_PARTIAL_V1BETA1);
    /* client-go's metadata client: protobuf first. */
    assert_int_equal(NEG("application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta."
                         "k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;"
                         "v=v1,application/json",
                         true),
                     MEDIA_PARTIAL_LIST_PB_V1);
    assert_int_equal(
        NEG("application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io",
            false),
        MEDIA_PARTIAL_PB_V1BETA1);
    /* A Table has no protobuf form: the next choice. */
    assert_int_equal(NEG("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,"
                         "application/json",
                         true),
                     MEDIA_JSON);
    assert_true(media_is_protobuf(MEDIA_PARTIAL_LIST_PB_V1) && media_is_protobuf(MEDIA_PROTOBUF) &&
                !media_is_protobuf(MEDIA_PARTIAL_LIST_V1) && !media_is_protobuf(MEDIA_YAML));
    assert_int_equal(NEG("application/json;as=PartialObjectMetadataList;v=v2;g=meta.k8s.io", true),
                     MEDIA_NONE);
    assert_int_equal(NEG("application/json;as=PartialObjectMetadataList;v=v1;g=apps", true),
                     MEDIA_NONE);
    assert_int_equal(NEG(",,, ,", true), MEDIA_JSON);
    assert_int_equal(NEG(";;;=,=;", true), MEDIA_NONE);
}

static void test_query_decoding(void **state)
{
    char out[32];
    const char *q = "labelSelector=app%3Dweb%2Ctier+in+(a)&verbose&x=%zz&n=%00&big=aaaaaaaaaaaaa"
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&labelSelectorX=1";

    (void)state;
    assert_int_equal(query_param(q, strlen(q), "labelSelector", out, sizeof(out)), 19);
    assert_string_equal(out, "app=web,tier in (a)");
    assert_int_equal(query_param(q, strlen(q), "verbose", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(query_param(q, strlen(q), "x", out, sizeof(out)), -EINVAL);
    assert_int_equal(query_param(q, strlen(q), "n", out, sizeof(out)), -EINVAL);
    assert_int_equal(query_param(q, strlen(q), "big", out, sizeof(out)), -E2BIG);
    assert_int_equal(query_param(q, strlen(q), "missing", out, sizeof(out)), -ENOENT);
    assert_int_equal(query_param("a=%4", 4, "a", out, sizeof(out)), -EINVAL);
    assert_int_equal(query_param("a=%", 3, "a", out, sizeof(out)), -EINVAL);
    assert_int_equal(query_param("", 0, "a", out, sizeof(out)), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_real_clients),
        cmocka_unit_test(test_query_decoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
