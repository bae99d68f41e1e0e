/* Trust configuration as text: ConfigMap kube-system/extension-apiserver-authentication as the
 * kube-apiserver publishes it, hostile variants of it, and merging with flags. Building the
 * configuration from real certificates is in test_authn.c. */
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

#include "auth/authn_config.h"

#define MIB (1u << 20)

/* What GET /api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication
 * returns from a kube-apiserver 1.20 set up by kubeadm (certificates shortened). */
static const char configmap_1_20[] =
    "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"extension-apiserver-"
    "authentication\",\"namespace\":\"kube-system\",\"uid\":\"6f1c2b8e-3c4d-4f9a-a0a1-"
    "9d2e5b7c8f10\",\"resourceVersion\":\"38\",\"creationTimestamp\":\"2021-01-21T09:12:03Z\","
    "\"managedFields\":[{\"manager\":\"kube-apiserver\",\"operation\":\"Update\",\"apiVersion\":"
    "\"v1\",\"time\":\"2021-01-21T09:12:03Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:"
    "data\":{\".\":{},\"f:client-ca-file\":{},\"f:requestheader-allowed-names\":{},\"f:"
    "requestheader-client-ca-file\":{},\"f:requestheader-extra-headers-prefix\":{},\"f:"
    "requestheader-group-headers\":{},\"f:requestheader-username-headers\":{}}}}]},"
    "\"data\":{"
    "\"client-ca-file\":\"-----BEGIN CERTIFICATE-----\\n"
    "MIIC5zCCAc+gAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\\n"
    "cm5ldGVzMB4XDTIxMDEyMTA5MTE0OFoXDTMxMDExOTA5MTE0OFowFTETMBEGA1UE\\n"
    "-----END CERTIFICATE-----\\n\","
    "\"requestheader-allowed-names\":\"[\\\"front-proxy-client\\\"]\","
    "\"requestheader-client-ca-file\":\"-----BEGIN CERTIFICATE-----\\n"
    "MIIC0DCCAbigAwIBAgIBADANBgkqhkiG9w0BAQsFADAZMRcwFQYDVQQDEw5mcm9u\\n"
    "dC1wcm94eS1jYTAeFw0yMTAxMjEwOTExNDlaFw0zMTAxMTkwOTExNDlaMBkxFzAV\\n"
    "-----END CERTIFICATE-----\\n\","
    "\"requestheader-extra-headers-prefix\":\"[\\\"X-Remote-Extra-\\\"]\","
    "\"requestheader-group-headers\":\"[\\\"X-Remote-Group\\\"]\","
    "\"requestheader-username-headers\":\"[\\\"X-Remote-User\\\"]\""
    "}}";

static char errbuf[256];

static bool all_zero(const struct authn_source *s)
{
    static const struct authn_source zero;
    return memcmp(s, &zero, sizeof(zero)) == 0;
}

static size_t list_len(char **v)
{
    size_t n = 0;
    while (v[n])
        n++;
    return n;
}

static int parse(const char *json, size_t len, struct authn_source *s)
{
    memset(s, 0x5a, sizeof(*s)); /* garbage in: never read or freed */
    memset(errbuf, 0, sizeof(errbuf));
    return authn_source_from_configmap(json, len, s, errbuf, sizeof(errbuf));
}

/* A ConfigMap whose data object has these members (a JSON fragment). */
static char *cm_with(const char *members)
{
    char *s;
    assert_true(asprintf(&s, "{\"kind\":\"ConfigMap\",\"data\":{%s}}", members) > 0);
    return s;
}

/* Parsing must fail with rc and err exactly msg (or starting so, with a trailing '*'), and
 * leave the output zeroed. */
static void expect_fail_len(const char *json, size_t len, int rc, const char *msg)
{
    struct authn_source s;
    size_t n = strlen(msg);

    assert_int_equal(parse(json, len, &s), rc);
    assert_true(all_zero(&s));
    if (n && msg[n - 1] == '*')
        assert_memory_equal(errbuf, msg, n - 1);
    else
        assert_string_equal(errbuf, msg);
}

static void expect_fail(const char *json, int rc, const char *msg)
{
    expect_fail_len(json, strlen(json), rc, msg);
}

static void expect_data_fail(const char *members, int rc, const char *msg)
{
    char *json = cm_with(members);
    expect_fail(json, rc, msg);
    free(json);
}

static void test_kube_apiserver_1_20(void **state)
{
    struct authn_source s;

    (void)state;
    assert_int_equal(parse(configmap_1_20, strlen(configmap_1_20), &s), 0);
    assert_non_null(s.client_ca_pem);
    assert_memory_equal(s.client_ca_pem, "-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+g", 40);
    assert_non_null(strstr(s.client_ca_pem, "\n-----END CERTIFICATE-----\n"));
    assert_non_null(s.requestheader_ca_pem);
    assert_non_null(strstr(s.requestheader_ca_pem, "dC1wcm94eS1jYTAe"));
    assert_int_equal(list_len(s.allowed_names), 1);
    assert_string_equal(s.allowed_names[0], "front-proxy-client");
    /* names as given: lower-casing is authn_config_new's business */
    assert_int_equal(list_len(s.username_headers), 1);
    assert_string_equal(s.username_headers[0], "X-Remote-User");
    assert_int_equal(list_len(s.group_headers), 1);
    assert_string_equal(s.group_headers[0], "X-Remote-Group");
    assert_int_equal(list_len(s.extra_prefixes), 1);
    assert_string_equal(s.extra_prefixes[0], "X-Remote-Extra-");
    authn_source_done(&s);
    assert_true(all_zero(&s));
    authn_source_done(&s);
}

static void test_partial_and_empty(void **state)
{
    struct authn_source s;
    char *json;

    (void)state;
    /* a cluster without front proxy publishes only client-ca-file */
    json = cm_with("\"client-ca-file\":\"PEM\"");
    assert_int_equal(parse(json, strlen(json), &s), 0);
    assert_string_equal(s.client_ca_pem, "PEM");
    assert_null(s.requestheader_ca_pem);
    assert_null(s.allowed_names);
    assert_null(s.username_headers);
    assert_null(s.group_headers);
    assert_null(s.extra_prefixes);
    authn_source_done(&s);
    free(json);

    /* null is "not given"; "[]" is given and empty; other keys are ignored */
    json = cm_with("\"client-ca-file\":null,\"requestheader-allowed-names\":\"[]\","
                   "\"requestheader-username-headers\":null,\"unrelated\":[1,{}],"
                   "\"requestheader-group-headers\":\"[\\\"X-A\\\",\\\"X-B\\\"]\"");
    assert_int_equal(parse(json, strlen(json), &s), 0);
    assert_null(s.client_ca_pem);
    assert_non_null(s.allowed_names);
    assert_null(s.allowed_names[0]);
    assert_null(s.username_headers);
    assert_int_equal(list_len(s.group_headers), 2);
    assert_string_equal(s.group_headers[1], "X-B");
    authn_source_done(&s);
    free(json);

    /* an empty data object is a configuration that trusts nothing */
    assert_int_equal(parse("{\"data\":{}}", 11, &s), 0);
    assert_true(all_zero(&s));

    /* no err buffer: still refuses */
    assert_int_equal(authn_source_from_configmap("[]", 2, &s, NULL, 0), -EINVAL);
    assert_true(all_zero(&s));
}

static void test_hostile_structure(void **state)
{
    (void)state;
    expect_fail("", -EINVAL, "ConfigMap is not a JSON object: *");
    expect_fail("{\"data\":{}", -EINVAL, "ConfigMap is not a JSON object: *");
    expect_fail("{\"data\":{}} trailing", -EINVAL, "ConfigMap is not a JSON object: *");
    expect_fail("kind: ConfigMap\ndata: {}\n", -EINVAL, "ConfigMap is not a JSON object: *");
    expect_fail("[{\"data\":{}}]", -EINVAL, "ConfigMap is not a JSON object: *");
    expect_fail("\"data\"", -EINVAL, "ConfigMap is not a JSON object: *");
    expect_fail("{\"kind\":\"ConfigMap\"}", -EINVAL, "ConfigMap has no data");
    expect_fail("{\"data\":null}", -EINVAL, "ConfigMap has no data");
    expect_fail("{\"data\":\"client-ca-file\"}", -EINVAL, "ConfigMap has no data");
    expect_fail("{\"data\":[{\"client-ca-file\":\"x\"}]}", -EINVAL, "ConfigMap has no data");
    expect_fail("{\"binaryData\":{\"client-ca-file\":\"eA==\"}}", -EINVAL, "ConfigMap has no data");
    /* duplicate keys: which one counts would be a guess */
    expect_fail("{\"data\":{},\"data\":{\"client-ca-file\":\"x\"}}", -EINVAL,
                "ConfigMap is not a JSON object: *");
    expect_data_fail("\"client-ca-file\":\"A\",\"client-ca-file\":\"B\"", -EINVAL,
                     "ConfigMap is not a JSON object: *");
    expect_data_fail("\"requestheader-username-headers\":\"[\\\"X-A\\\"]\","
                     "\"requestheader-username-headers\":\"[\\\"X-B\\\"]\"",
                     -EINVAL, "ConfigMap is not a JSON object: *");
    /* NUL anywhere: jansson refuses \u0000 in the document and in the list inside it */
    expect_data_fail("\"client-ca-file\":\"PEM\\u0000tail\"", -EINVAL,
                     "ConfigMap is not a JSON object: *");
    expect_data_fail("\"requestheader-allowed-names\":\"[\\\"front-proxy-client\\\\u0000x\\\"]\"",
                     -EINVAL, "requestheader-allowed-names: not a JSON list of strings");
}

static void test_hostile_values(void **state)
{
    (void)state;
    /* PEM values must be strings */
    expect_data_fail("\"client-ca-file\":42", -EINVAL,
                     "client-ca-file: expected a PEM string of at most 1048576 bytes");
    expect_data_fail("\"requestheader-client-ca-file\":[\"PEM\"]", -EINVAL,
                     "requestheader-client-ca-file: expected a PEM string of at most 1048576 "
                     "bytes");
    /* lists are strings holding JSON lists, not JSON lists */
    expect_data_fail("\"requestheader-allowed-names\":[\"front-proxy-client\"]", -EINVAL,
                     "requestheader-allowed-names: expected a string holding a JSON list");
    expect_data_fail("\"requestheader-group-headers\":true", -EINVAL,
                     "requestheader-group-headers: expected a string holding a JSON list");
    expect_data_fail("\"requestheader-username-headers\":\"X-Remote-User\"", -EINVAL,
                     "requestheader-username-headers: not a JSON list of strings");
    expect_data_fail("\"requestheader-username-headers\":\"\"", -EINVAL,
                     "requestheader-username-headers: not a JSON list of strings");
    expect_data_fail("\"requestheader-username-headers\":\"{\\\"X-Remote-User\\\":1}\"", -EINVAL,
                     "requestheader-username-headers: not a JSON list of strings");
    expect_data_fail("\"requestheader-username-headers\":\"[\\\"X-A\\\"] [\\\"X-B\\\"]\"", -EINVAL,
                     "requestheader-username-headers: not a JSON list of strings");
    /* lists of non-strings, empty strings */
    expect_data_fail("\"requestheader-extra-headers-prefix\":\"[1]\"", -EINVAL,
                     "requestheader-extra-headers-prefix[0]: expected a non-empty string");
    expect_data_fail("\"requestheader-extra-headers-prefix\":\"[\\\"X-E-\\\",null]\"", -EINVAL,
                     "requestheader-extra-headers-prefix[1]: expected a non-empty string");
    expect_data_fail("\"requestheader-group-headers\":\"[\\\"X-G\\\",[\\\"X-H\\\"]]\"", -EINVAL,
                     "requestheader-group-headers[1]: expected a non-empty string");
    expect_data_fail("\"requestheader-allowed-names\":\"[\\\"\\\"]\"", -EINVAL,
                     "requestheader-allowed-names[0]: expected a non-empty string");
    /* a later bad key frees what the earlier ones allocated (ASan) */
    expect_data_fail("\"client-ca-file\":\"A\",\"requestheader-client-ca-file\":\"B\","
                     "\"requestheader-allowed-names\":\"[\\\"a\\\"]\","
                     "\"requestheader-username-headers\":\"[\\\"u\\\"]\","
                     "\"requestheader-group-headers\":\"[\\\"g\\\"]\","
                     "\"requestheader-extra-headers-prefix\":\"[\\\"\\\"]\"",
                     -EINVAL, "requestheader-extra-headers-prefix[0]: expected a non-empty string");
}

/* "key":"[\"x0\",\"x1\",...]" with n entries of width bytes each. */
static char *list_member(const char *key, size_t n, size_t width)
{
    size_t cap = strlen(key) + n * (width + 8) + 16, o;
    char *m = malloc(cap);

    assert_non_null(m);
    o = (size_t)snprintf(m, cap, "\"%s\":\"[", key);
    for (size_t i = 0; i < n; i++) {
        o += (size_t)snprintf(m + o, cap - o, "%s\\\"", i ? "," : "");
        for (size_t j = 0; j < width; j++)
            m[o++] = (char)('a' + (i + j) % 26);
        o += (size_t)snprintf(m + o, cap - o, "\\\"");
    }
    snprintf(m + o, cap - o, "]\"");
    return m;
}

static void test_list_limits(void **state)
{
    struct authn_source s;
    char *m, *json;

    (void)state;
    m = list_member("requestheader-allowed-names", AUTHN_CONFIG_MAX_NAMES, 10);
    json = cm_with(m);
    assert_int_equal(parse(json, strlen(json), &s), 0);
    assert_int_equal(list_len(s.allowed_names), AUTHN_CONFIG_MAX_NAMES);
    authn_source_done(&s);
    free(json);
    free(m);

    m = list_member("requestheader-allowed-names", AUTHN_CONFIG_MAX_NAMES + 1, 10);
    expect_data_fail(m, -E2BIG, "requestheader-allowed-names: more than 64 entries");
    free(m);

    /* header names up to 256 bytes */
    m = list_member("requestheader-group-headers", 2, 256);
    json = cm_with(m);
    assert_int_equal(parse(json, strlen(json), &s), 0);
    assert_int_equal(strlen(s.group_headers[1]), 256);
    authn_source_done(&s);
    free(json);
    free(m);

    m = list_member("requestheader-group-headers", 2, 257);
    expect_data_fail(m, -EINVAL, "requestheader-group-headers[0]: expected a non-empty string");
    free(m);
}

/* A ConfigMap whose member key holds a string of len 'A's, padded with spaces to total bytes
 * (0: no padding). */
static char *big_cm(const char *key, size_t len, size_t total, size_t *outlen)
{
    size_t cap = (total ? total : len + 256) + 1, o;
    char *j = malloc(cap);

    assert_non_null(j);
    o = (size_t)snprintf(j, cap, "{\"data\":{\"%s\":\"", key);
    memset(j + o, 'A', len);
    o += len;
    o += (size_t)snprintf(j + o, cap - o, "\"}}");
    if (total) {
        assert_true(o <= total);
        memset(j + o, ' ', total - o);
        o = total;
    }
    j[o] = '\0';
    *outlen = o;
    return j;
}

static void test_size_limits(void **state)
{
    struct authn_source s;
    size_t len;
    char *json;

    (void)state;
    json = big_cm("client-ca-file", AUTHN_CONFIG_MAX_PEM, 0, &len);
    assert_int_equal(parse(json, len, &s), 0);
    assert_int_equal(strlen(s.client_ca_pem), AUTHN_CONFIG_MAX_PEM);
    authn_source_done(&s);
    free(json);

    json = big_cm("client-ca-file", AUTHN_CONFIG_MAX_PEM + 1, 0, &len);
    expect_fail_len(json, len, -EINVAL,
                    "client-ca-file: expected a PEM string of at most 1048576 bytes");
    free(json);
    json = big_cm("requestheader-client-ca-file", AUTHN_CONFIG_MAX_PEM + 1, 0, &len);
    expect_fail_len(json, len, -EINVAL, "requestheader-client-ca-file: expected a PEM string *");
    free(json);

    /* the document: 4 MiB parses, one byte more is refused before parsing */
    json = big_cm("client-ca-file", 100, 4 * MIB, &len);
    assert_int_equal(parse(json, len, &s), 0);
    assert_int_equal(strlen(s.client_ca_pem), 100);
    authn_source_done(&s);
    free(json);
    json = big_cm("client-ca-file", 100, 4 * MIB + 1, &len);
    expect_fail_len(json, len, -E2BIG, "ConfigMap larger than 4194304 bytes");
    free(json);
}

static char **list_of(const char *a, const char *b)
{
    char **v = calloc(3, sizeof(char *));
    assert_non_null(v);
    v[0] = a ? strdup(a) : NULL;
    v[1] = a && b ? strdup(b) : NULL;
    return v;
}

static void test_merge(void **state)
{
    struct authn_source flags = {0}, cm = {0};

    (void)state;
    /* flags give the client CA and the username headers (an explicitly empty list counts) */
    flags.client_ca_pem = strdup("FLAG-CA");
    flags.username_headers = list_of("X-Flag-User", NULL);
    flags.allowed_names = list_of(NULL, NULL);
    cm.client_ca_pem = strdup("CM-CA");
    cm.requestheader_ca_pem = strdup("CM-PROXY-CA");
    cm.allowed_names = list_of("front-proxy-client", NULL);
    cm.username_headers = list_of("X-Remote-User", NULL);
    cm.group_headers = list_of("X-Remote-Group", "X-Other-Group");
    cm.extra_prefixes = list_of("X-Remote-Extra-", NULL);

    authn_source_merge(&flags, &cm);
    assert_true(all_zero(&cm)); /* taken or freed: ASan reports a leak otherwise */
    assert_string_equal(flags.client_ca_pem, "FLAG-CA");
    assert_string_equal(flags.requestheader_ca_pem, "CM-PROXY-CA");
    assert_null(flags.allowed_names[0]);
    assert_int_equal(list_len(flags.username_headers), 1);
    assert_string_equal(flags.username_headers[0], "X-Flag-User");
    assert_int_equal(list_len(flags.group_headers), 2);
    assert_string_equal(flags.group_headers[1], "X-Other-Group");
    assert_string_equal(flags.extra_prefixes[0], "X-Remote-Extra-");
    authn_source_done(&flags);

    /* no flags: the ConfigMap as it is; nothing in either: nothing */
    cm.requestheader_ca_pem = strdup("CM-PROXY-CA");
    authn_source_merge(&flags, &cm);
    assert_string_equal(flags.requestheader_ca_pem, "CM-PROXY-CA");
    assert_null(flags.client_ca_pem);
    authn_source_done(&flags);
    authn_source_merge(&flags, &cm);
    assert_true(all_zero(&flags));
    assert_true(all_zero(&cm));

    /* a ConfigMap as parsed, under flags that set everything: all of it freed */
    assert_int_equal(parse(configmap_1_20, strlen(configmap_1_20), &cm), 0);
    flags.client_ca_pem = strdup("A");
    flags.requestheader_ca_pem = strdup("B");
    flags.allowed_names = list_of("n", NULL);
    flags.username_headers = list_of("u", NULL);
    flags.group_headers = list_of("g", NULL);
    flags.extra_prefixes = list_of("e", NULL);
    authn_source_merge(&flags, &cm);
    assert_true(all_zero(&cm));
    assert_string_equal(flags.requestheader_ca_pem, "B");
    assert_string_equal(flags.allowed_names[0], "n");
    assert_string_equal(flags.extra_prefixes[0], "e");
    authn_source_done(&flags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kube_apiserver_1_20),
        cmocka_unit_test(test_partial_and_empty),
        cmocka_unit_test(test_hostile_structure),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_list_limits),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_merge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
