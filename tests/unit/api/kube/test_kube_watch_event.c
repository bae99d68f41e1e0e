/* Watch event lines and list pages as a kube-apiserver sends them (metadata only), and hostile
 * ones: every bad line is refused with a reason and leaves nothing allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_watch_event.h"

static char errbuf[256];

/* Lines captured from kube-apiserver 1.20.2 with
 * Accept: application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io */
static const char real_added[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s."
    "io/v1\",\"metadata\":{\"name\":\"web-0\",\"namespace\":\"default\",\"uid\":\"5e038dd5-45db-"
    "4c08-9293-081bf02a6200\",\"resourceVersion\":\"196\",\"creationTimestamp\":\"2026-11-22T05:"
    "13:50Z\",\"labels\":{\"zone\":\"a\",\"app\":\"web\",\"app.kubernetes.io/part-of\":\"shop\","
    "\"controller-revision-hash\":\"web-7d4b9c\"},\"managedFields\":[{\"manager\":\"kube-"
    "apiserver\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-11-22T05:13:50Z\","
    "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":{\"f:phase\":{}}}}]}}}";
static const char real_bookmark[] =
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta."
    "k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"12746\",\"creationTimestamp\":null}}}";
static const char real_expired[] =
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
    "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (211)\",\"reason\":"
    "\"Expired\",\"code\":410}}";

static int parse(const char *line, struct kube_event *ev)
{
    memset(ev, 0x5a, sizeof(*ev)); /* garbage in: must be overwritten */
    errbuf[0] = '\0';
    return kube_event_parse(line, strlen(line), ev, errbuf, sizeof(errbuf));
}

static bool zeroed(const struct kube_event *ev)
{
    static const struct kube_event zero;
    return memcmp(ev, &zero, sizeof(zero)) == 0;
}

static void test_real_added_sorted_labels(void **state)
{
    struct kube_event ev;

    (void)state;
    assert_int_equal(parse(real_added, &ev), 0);
    assert_int_equal(ev.type, KUBE_EVENT_ADDED);
    assert_string_equal(ev.resource_version, "196");
    assert_string_equal(ev.meta.name, "web-0");
    assert_string_equal(ev.meta.namespace_, "default");
    assert_string_equal(ev.meta.uid, "5e038dd5-45db-4c08-9293-081bf02a6200");
    assert_int_equal(ev.meta.nlabels, 4);
    assert_string_equal(ev.meta.labels[0].key, "app");
    assert_string_equal(ev.meta.labels[0].value, "web");
    assert_string_equal(ev.meta.labels[1].key, "app.kubernetes.io/part-of");
    assert_string_equal(ev.meta.labels[2].key, "controller-revision-hash");
    assert_string_equal(ev.meta.labels[3].key, "zone");
    assert_false(kube_event_is_expired(&ev));
    kube_event_done(&ev);
    assert_true(zeroed(&ev));
    kube_event_done(&ev); /* twice is harmless */
}

static void test_types(void **state)
{
    struct kube_event ev;

    (void)state;
    assert_int_equal(parse("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"n1\","
                           "\"resourceVersion\":\"7\",\"labels\":{}}}}",
                           &ev),
                     0);
    assert_int_equal(ev.type, KUBE_EVENT_MODIFIED);
    assert_null(ev.meta.namespace_); /* cluster-scoped */
    assert_null(ev.meta.uid);
    assert_int_equal(ev.meta.nlabels, 0);
    assert_null(ev.meta.labels);
    kube_event_done(&ev);
    assert_int_equal(parse("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"n1\","
                           "\"namespace\":\"\",\"uid\":\"\",\"resourceVersion\":\"8\",\"labels\":"
                           "null}}}",
                           &ev),
                     0);
    assert_int_equal(ev.type, KUBE_EVENT_DELETED);
    assert_null(ev.meta.namespace_);
    assert_null(ev.meta.uid);
    kube_event_done(&ev);

    assert_int_equal(parse(real_bookmark, &ev), 0);
    assert_int_equal(ev.type, KUBE_EVENT_BOOKMARK);
    assert_string_equal(ev.resource_version, "12746");
    assert_null(ev.meta.name);
    kube_event_done(&ev);

    assert_int_equal(parse(real_expired, &ev), 0);
    assert_int_equal(ev.type, KUBE_EVENT_ERROR);
    assert_int_equal(ev.code, 410);
    assert_string_equal(ev.reason, "Expired");
    assert_string_equal(ev.message, "too old resource version: 1 (211)");
    assert_null(ev.resource_version);
    assert_true(kube_event_is_expired(&ev));
    kube_event_done(&ev);

    /* Expired by reason alone, or by code alone; other errors are not. */
    assert_int_equal(parse("{\"type\":\"ERROR\",\"object\":{\"code\":0,\"reason\":\"Gone\"}}", &ev),
                     0);
    assert_true(kube_event_is_expired(&ev));
    kube_event_done(&ev);
    assert_int_equal(parse("{\"type\":\"ERROR\",\"object\":{\"code\":410}}", &ev), 0);
    assert_true(kube_event_is_expired(&ev));
    assert_null(ev.reason);
    kube_event_done(&ev);
    assert_int_equal(parse("{\"type\":\"ERROR\",\"object\":{\"code\":500,\"reason\":"
                           "\"InternalError\",\"message\":null}}",
                           &ev),
                     0);
    assert_false(kube_event_is_expired(&ev));
    kube_event_done(&ev);
}

/* Must be refused with -EINVAL, the event zeroed, and a reason containing want. */
static void refused(const char *line, size_t len, const char *want)
{
    struct kube_event ev;

    memset(&ev, 0x5a, sizeof(ev));
    errbuf[0] = '\0';
    assert_int_equal(kube_event_parse(line, len, &ev, errbuf, sizeof(errbuf)), -EINVAL);
    assert_true(zeroed(&ev));
    if (!strstr(errbuf, want)) fprintf(stderr, "line %.120s: got \"%s\"\n", line, errbuf);
    assert_non_null(strstr(errbuf, want));
    for (const char *p = errbuf; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f); /* one printable line */
}

#define REFUSED(line, want) refused(line, sizeof(line) - 1, want)
#define OBJ(meta) "{\"type\":\"ADDED\",\"object\":{\"metadata\":{" meta "}}}"
#define RV "\"resourceVersion\":\"1\""

static void test_hostile_structure(void **state)
{
    (void)state;
    REFUSED("", "bad JSON");
    REFUSED("{", "bad JSON");
    REFUSED("not json", "bad JSON");
    REFUSED("[1,2]", "expected a JSON object");
    REFUSED("42", "bad JSON"); /* jansson wants an array or object at the top */
    REFUSED("{}", "type: expected a string");
    REFUSED("{\"type\":7}", "type: expected a string");
    REFUSED("{\"type\":\"ADDED\"}", "object: expected an object");
    REFUSED("{\"type\":\"ADDED\",\"object\":[]}", "object: expected an object");
    REFUSED("{\"type\":\"SYNC\",\"object\":{}}", "type: unknown \"SYNC\"");
    REFUSED("{\"type\":\"\\u0001\\n\",\"object\":{}}", "type: unknown \"??\"");
    REFUSED("{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{}}", "bad JSON");
    REFUSED("{\"type\":\"ADDED\",\"object\":{}}", "metadata: expected an object");
    REFUSED("{\"type\":\"ADDED\",\"object\":{\"metadata\":\"x\"}}", "metadata: expected");
    REFUSED("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}", "resourceVersion: missing");
    REFUSED("{\"type\":\"BOOKMARK\",\"object\":{}}", "metadata: expected an object");
    REFUSED(OBJ("\"name\":\"a\""), "resourceVersion: missing");
    REFUSED(OBJ("\"name\":\"a\",\"resourceVersion\":\"\""), "resourceVersion: missing");
    REFUSED(OBJ("\"name\":\"a\",\"resourceVersion\":5"), "resourceVersion: expected a string");
    REFUSED(OBJ("\"name\":\"a\",\"resourceVersion\":\"1 2\""), "resourceVersion: expected 1-64");
    REFUSED(OBJ("\"name\":\"a\",\"resourceVersion\":"
                "\"12345678901234567890123456789012345678901234567890123456789012345\""),
            "resourceVersion: expected 1-64");
    REFUSED("{\"type\":\"ERROR\",\"object\":{}}", "code: expected an integer");
    REFUSED("{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}", "code: expected an integer");
    REFUSED("{\"type\":\"ERROR\",\"object\":{\"code\":1e3}}", "code: expected an integer");
    REFUSED("{\"type\":\"ERROR\",\"object\":{\"code\":-1}}", "out of range");
    REFUSED("{\"type\":\"ERROR\",\"object\":{\"code\":99999999999999}}", "out of range");
    REFUSED("{\"type\":\"ERROR\",\"object\":{\"code\":410,\"reason\":1}}", "reason: expected");
    REFUSED("{\"type\":\"ERROR\",\"object\":{\"code\":410,\"message\":[]}}", "message: expected");
    /* NUL inside a string, and bytes after the object */
    REFUSED(OBJ("\"name\":\"a\\u0000b\"," RV), "bad JSON");
    REFUSED("{\"type\":\"ADDED\"} {}", "bad JSON");
    refused("{\"type\":\"ADDED\",\0\"object\":{}}", 30, "bad JSON");
}

static void test_hostile_names(void **state)
{
    char big[600];

    (void)state;
    REFUSED(OBJ(RV), "metadata.name");
    REFUSED(OBJ("\"name\":\"\"," RV), "metadata.name");
    REFUSED(OBJ("\"name\":null," RV), "metadata.name");
    REFUSED(OBJ("\"name\":[\"a\"]," RV), "metadata.name");
    REFUSED(OBJ("\"name\":\"a/b\"," RV), "metadata.name");
    REFUSED(OBJ("\"name\":\"..%2f\"," RV), "metadata.name");
    REFUSED(OBJ("\"name\":\"a b\"," RV), "metadata.name");
    REFUSED(OBJ("\"name\":\"a\\nb\"," RV), "metadata.name");
    REFUSED(OBJ("\"name\":\"caf\\u00e9\"," RV), "metadata.name");
    snprintf(big, sizeof(big), OBJ("\"name\":\"%0254d\"," RV), 0);
    refused(big, strlen(big), "metadata.name");
    REFUSED(OBJ("\"name\":\"a\",\"namespace\":\"Default\"," RV), "metadata.namespace");
    REFUSED(OBJ("\"name\":\"a\",\"namespace\":\"a.b\"," RV), "metadata.namespace");
    REFUSED(OBJ("\"name\":\"a\",\"namespace\":7," RV), "metadata.namespace");
    snprintf(big, sizeof(big), OBJ("\"name\":\"a\",\"namespace\":\"%064d\"," RV), 0);
    refused(big, strlen(big), "metadata.namespace");
    REFUSED(OBJ("\"name\":\"a\",\"uid\":{}," RV), "uid: expected a string");
    snprintf(big, sizeof(big), OBJ("\"name\":\"a\",\"uid\":\"%065d\"," RV), 0);
    refused(big, strlen(big), "uid: expected 1-64");
}

static void test_hostile_labels(void **state)
{
    (void)state;
    REFUSED(OBJ("\"name\":\"a\",\"labels\":[]," RV), "metadata.labels: expected an object");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":\"app=web\"," RV), "expected an object");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"app\":1}," RV), "metadata.labels[app]: bad value");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"app\":null}," RV), "bad value");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"app\":\"a b\"}," RV), "bad value");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"app\":\"-web\"}," RV), "bad value");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"app\":"
                "\"v123456789012345678901234567890123456789012345678901234567890123\"}," RV),
            "bad value");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"\":\"x\"}," RV), "bad key \"\"");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"-app\":\"x\"}," RV), "bad key \"-app\"");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"a/b/c\":\"x\"}," RV), "bad key");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"/a\":\"x\"}," RV), "bad key");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"a/\":\"x\"}," RV), "bad key");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"Example.com/a\":\"x\"}," RV), "bad key");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"\\u0007bell\":\"x\"}," RV), "bad key \"?bell\"");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"a\\u0000b\":\"x\"}," RV), "bad JSON");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{\"a\":\"x\",\"a\":\"y\"}," RV), "bad JSON");
    REFUSED(OBJ("\"name\":\"a\",\"labels\":{"
                "\"k123456789012345678901234567890123456789012345678901234567890123\":\"x\"}," RV),
            "bad key");
}

static void test_label_count_and_size_limits(void **state)
{
    size_t cap = 64 + (KUBE_META_MAX_LABELS + 1) * 24;
    char *line = malloc(cap);
    struct kube_event ev;
    size_t n;

    (void)state;
    for (int extra = 0; extra <= 1; extra++) {
        n = (size_t)snprintf(line, cap,
                             "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":"
                             "\"a\"," RV ",\"labels\":{");
        for (int i = 0; i < KUBE_META_MAX_LABELS + extra; i++)
            n += (size_t)snprintf(line + n, cap - n, "%s\"k%05d\":\"v\"", i ? "," : "",
                                  KUBE_META_MAX_LABELS - i);
        n += (size_t)snprintf(line + n, cap - n, "}}}}");
        if (!extra) {
            assert_int_equal(kube_event_parse(line, n, &ev, errbuf, sizeof(errbuf)), 0);
            assert_int_equal(ev.meta.nlabels, KUBE_META_MAX_LABELS);
            for (size_t i = 1; i < ev.meta.nlabels; i++)
                assert_true(strcmp(ev.meta.labels[i - 1].key, ev.meta.labels[i].key) < 0);
            kube_event_done(&ev);
        } else {
            refused(line, n, "more than 1024");
        }
    }
    free(line);

    /* Past the size cap nothing is parsed; deep nesting stops at jansson's depth limit. */
    n = KUBE_EVENT_MAX_BYTES + 1;
    line = malloc(n);
    memset(line, '[', n);
    refused(line, n, "longer than");
    refused(line, KUBE_EVENT_MAX_BYTES, "bad JSON");
    free(line);
}

/* --- lists ---------------------------------------------------------------------------------- */

static void test_list_page(void **state)
{
    static const char page[] =
        "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":"
        "{\"resourceVersion\":\"211\",\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjExfQ\"},"
        "\"items\":[{\"metadata\":{\"name\":\"p1\",\"namespace\":\"ns\",\"uid\":\"u1\","
        "\"labels\":{\"b\":\"2\",\"a\":\"1\"}}},"
        "{\"metadata\":{\"name\":\"bad/name\",\"namespace\":\"ns\"}},"
        "{\"metadata\":{\"name\":\"p3\",\"namespace\":\"ns\"}}, 7]}";
    struct kube_list l;
    struct kube_object_meta m;

    (void)state;
    assert_int_equal(kube_list_parse(page, sizeof(page) - 1, &l, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(l.resource_version, "211");
    assert_string_equal(l.continue_, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjExfQ");
    assert_int_equal(l.nitems, 4);
    assert_int_equal(kube_list_item(&l, 0, &m, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(m.name, "p1");
    assert_string_equal(m.uid, "u1");
    assert_int_equal(m.nlabels, 2);
    assert_string_equal(m.labels[0].key, "a");
    assert_string_equal(m.labels[1].value, "2");
    /* One bad item is refused alone. */
    assert_int_equal(kube_list_item(&l, 1, &m, errbuf, sizeof(errbuf)), -EINVAL);
    assert_non_null(strstr(errbuf, "metadata.name"));
    assert_int_equal(kube_list_item(&l, 2, &m, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(m.name, "p3");
    assert_int_equal(m.nlabels, 0);
    assert_int_equal(kube_list_item(&l, 3, &m, errbuf, sizeof(errbuf)), -EINVAL);
    assert_int_equal(kube_list_item(&l, 4, &m, errbuf, sizeof(errbuf)), -EINVAL);
    kube_list_done(&l);
    assert_null(l.json_);
}

static void list_refused(const char *body, const char *want)
{
    struct kube_list l;

    memset(&l, 0x5a, sizeof(l));
    assert_int_equal(kube_list_parse(body, strlen(body), &l, errbuf, sizeof(errbuf)), -EINVAL);
    assert_null(l.json_);
    assert_int_equal(l.nitems, 0);
    if (!strstr(errbuf, want)) fprintf(stderr, "list %s: got \"%s\"\n", body, errbuf);
    assert_non_null(strstr(errbuf, want));
}

static void test_list_hostile(void **state)
{
    static const char last[] =
        "{\"metadata\":{\"resourceVersion\":\"9\",\"continue\":\"\"},\"items\":null}";
    struct kube_list l;

    (void)state;
    list_refused("", "bad JSON");
    list_refused("[]", "expected a JSON object");
    list_refused("{\"items\":[]}", "metadata: expected an object");
    list_refused("{\"metadata\":{},\"items\":[]}", "resourceVersion: missing");
    list_refused("{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":{}}", "items: expected");
    list_refused("{\"metadata\":{\"resourceVersion\":\"1\",\"continue\":7}}", "continue");
    list_refused("{\"metadata\":{\"resourceVersion\":\"1\",\"continue\":\"a b\"}}", "continue");
    /* A Status instead of a list (what a 410 body is). */
    list_refused("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"code\":410}",
                 "resourceVersion: missing");
    /* No items and an empty continue: the last, empty page. */
    assert_int_equal(kube_list_parse(last, sizeof(last) - 1, &l, errbuf, sizeof(errbuf)), 0);
    assert_null(l.continue_);
    assert_int_equal(l.nitems, 0);
    kube_list_done(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_added_sorted_labels),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_hostile_structure),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_hostile_labels),
        cmocka_unit_test(test_label_count_and_size_limits),
        cmocka_unit_test(test_list_page),
        cmocka_unit_test(test_list_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
