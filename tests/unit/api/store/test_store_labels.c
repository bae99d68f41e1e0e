/* Labels from the label index in what the store serves: metadata.labels in JSON, protobuf and
 * Table; labelSelectors on the JSON and protobuf LIST paths; each pod's labels looked up when
 * it is named and again whenever the index tells of a change; uid matching; pods the API
 * server does not know served without labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "store/label_index.h"
#include "store/metrics_query.h"
#include "store/selector.h"
#include "store/store.h"
#include "lib/store_fixture.h"

#define SEC ((int64_t)1000000000)
#define T0 (1760000000 * SEC)
#define UID_WEB1 "11111111-2222-4333-8444-000000000001"
#define UID_WEB2 "11111111-2222-4333-8444-000000000002"
#define UID_DB "11111111-2222-4333-8444-000000000003"
#define UID_OTHER "11111111-2222-4333-8444-0000000000ff"
#define UID_STATIC "0123456789abcdef0123456789abcdef" /* a static pod's config hash */
#define UID_LONER "11111111-2222-4333-8444-000000000004"
#define UID_LATE "11111111-2222-4333-8444-000000000005"
#define UID_WEB1_NEW "11111111-2222-4333-8444-000000000006"

/* Five pods on node n1, each one container with a rate. */
#define NPODS 5
static const char *const pod_names[NPODS] = {"web-1", "web-2", "db-0", "static-x", "loner"};
static const char *const pod_uids[NPODS] = {UID_WEB1, UID_WEB2, UID_DB, UID_STATIC, UID_LONER};

static struct store s;
static struct label_index *li;

static void on_change(void *arg, enum label_kind kind, const char *key)
{
    store_labels_changed(arg, kind, key);
}

static int setup(void **state)
{
    (void)state;
    store_init(&s, 15 * SEC, 45 * SEC);
    if (sf_ship(&s, "n1", "ns", pod_names, pod_uids, NPODS, 1, T0 + 2 * SEC)) return -1;

    li = label_index_new();
    label_index_set_listener(li, on_change, &s);
    store_set_label_index(&s, li);
#define L(...) ((const struct label_view[]){__VA_ARGS__})
    label_index_relist_begin(li, LABEL_POD);
    label_index_upsert(li, LABEL_POD, "ns", "web-1", UID_WEB1, L({"app", "web"}, {"tier", "fe"}),
                       2);
    /* The API's web-2 is another pod of that name (uid differs): not ours. */
    label_index_upsert(li, LABEL_POD, "ns", "web-2", UID_OTHER, L({"app", "web"}), 1);
    label_index_upsert(li, LABEL_POD, "ns", "db-0", UID_DB, L({"app", "db"}), 1);
    /* A mirror pod: its uid is not the config hash the collector saw; the name decides. */
    label_index_upsert(li, LABEL_POD, "ns", "static-x", UID_OTHER, L({"component", "etcd"}), 1);
    label_index_relist_end(li, LABEL_POD);
    label_index_upsert(li, LABEL_NODE, NULL, "n1", NULL,
                       L({"kubernetes.io/hostname", "n1"}, {"zone", "a"}), 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_set_label_index(&s, NULL);
    label_index_free(li);
    store_done(&s);
    return 0;
}

static struct outbuf render(enum query_target kind, enum query_format media, const char *selector,
                            const char *name)
{
    struct outbuf out;

    outbuf_init(&out);
    assert_int_equal(sf_render_selected(&s, kind, media, "ns", name, selector, &out), 200);
    return out;
}

/* "k=v,..." of the named item in a JSON list (or "-" when the item is missing, "" when it has
 * no labels). */
static const char *json_labels(const struct outbuf *o, const char *name)
{
    static char buf[256];
    json_t *j = json_loadb(o->data, o->len, 0, NULL), *items, *it, *meta;
    size_t i;
    const char *k;
    json_t *v;

    assert_non_null(j);
    snprintf(buf, sizeof(buf), "-");
    items = json_object_get(j, "items");
    if (!items) items = json_object_get(j, "rows"); /* Table */
    json_array_foreach(items, i, it)
    {
        json_t *obj = json_object_get(it, "object");
        meta = json_object_get(obj ? obj : it, "metadata");
        if (strcmp(json_string_value(json_object_get(meta, "name")), name) != 0) continue;
        size_t len = 0;
        buf[0] = '\0';
        json_object_foreach(json_object_get(meta, "labels"), k, v) len += (size_t)snprintf(
            buf + len, sizeof(buf) - len, "%s%s=%s", len ? "," : "", k, json_string_value(v));
    }
    json_decref(j);
    return buf;
}

static bool has(const struct outbuf *o, const char *bytes, size_t n)
{
    return memmem(o->data, o->len, bytes, n) != NULL;
}

static bool pb_has_label(const struct outbuf *o, const char *k, const char *v)
{
    return sf_pb_has_label(o->data, o->len, k, v);
}

static bool pb_has_name(const struct outbuf *o, const char *name)
{
    char e[64];
    size_t n = strlen(name);
    e[0] = 0x0a;
    e[1] = (char)n;
    memcpy(e + 2, name, n);
    return has(o, e, n + 2);
}

static void test_json_list_and_single(void **state)
{
    struct outbuf o;

    (void)state;
    o = render(QUERY_NAMESPACE_PODS, QUERY_JSON, NULL, NULL);
    assert_string_equal(json_labels(&o, "web-1"), "app=web,tier=fe");
    assert_string_equal(json_labels(&o, "web-2"), ""); /* uid mismatch */
    assert_string_equal(json_labels(&o, "db-0"), "app=db");
    assert_string_equal(json_labels(&o, "static-x"), "component=etcd");
    assert_string_equal(json_labels(&o, "loner"), ""); /* unknown to the API: still served */
    outbuf_done(&o);

    o = render(QUERY_POD, QUERY_JSON, NULL, "web-1");
    assert_non_null(strstr(o.data, "\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}"));
    outbuf_done(&o);

    o = render(QUERY_NAMESPACE_PODS, QUERY_TABLE_V1, NULL, NULL);
    assert_string_equal(json_labels(&o, "web-1"), "app=web,tier=fe");
    outbuf_done(&o);

    o = render(QUERY_NODES, QUERY_JSON, NULL, NULL);
    assert_string_equal(json_labels(&o, "n1"), "kubernetes.io/hostname=n1,zone=a");
    outbuf_done(&o);
    o = render(QUERY_NODE, QUERY_PROTOBUF, NULL, "n1");
    assert_true(pb_has_label(&o, "zone", "a"));
    outbuf_done(&o);
}

static void test_protobuf_list_and_single(void **state)
{
    struct outbuf o;

    (void)state;
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, NULL, NULL);
    assert_true(pb_has_label(&o, "tier", "fe"));
    assert_true(pb_has_label(&o, "app", "db"));
    assert_true(pb_has_label(&o, "component", "etcd"));
    outbuf_done(&o);
    o = render(QUERY_POD, QUERY_PROTOBUF, NULL, "db-0");
    assert_true(pb_has_label(&o, "app", "db"));
    outbuf_done(&o);
}

static void test_selectors_on_both_paths(void **state)
{
    static const struct {
        const char *sel;
        const char *in; /* names selected, space-separated */
    } cases[] = {
        {"app=web", "web-1"},
        {"app in (web,db)", "web-1 db-0"},
        {"app!=web", "web-2 db-0 static-x loner"},
        {"!app", "web-2 static-x loner"},
        {"tier", "web-1"},
        {"component=etcd", "static-x"},
        {"app=nothing", ""},
    };

    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct outbuf j = render(QUERY_NAMESPACE_PODS, QUERY_JSON, cases[c].sel, NULL);
        struct outbuf p = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, cases[c].sel, NULL);
        struct outbuf a = render(QUERY_PODS, QUERY_PROTOBUF, cases[c].sel, NULL);
        for (int i = 0; i < NPODS; i++) {
            char word[32];
            snprintf(word, sizeof(word), "%s", pod_names[i]);
            const char *hit = strstr(cases[c].in, word);
            bool want = hit && (hit[strlen(word)] == ' ' || hit[strlen(word)] == '\0');
            if ((strcmp(json_labels(&j, word), "-") != 0) != want ||
                pb_has_name(&p, word) != want || pb_has_name(&a, word) != want)
                fail_msg("selector %s, pod %s: want %d", cases[c].sel, word, want);
        }
        outbuf_done(&j);
        outbuf_done(&p);
        outbuf_done(&a);
    }
    /* Nodes too. */
    struct outbuf n = render(QUERY_NODES, QUERY_JSON, "zone=a", NULL);
    assert_string_equal(json_labels(&n, "n1"), "kubernetes.io/hostname=n1,zone=a");
    outbuf_done(&n);
    n = render(QUERY_NODES, QUERY_JSON, "zone=b", NULL);
    assert_string_equal(json_labels(&n, "n1"), "-");
    outbuf_done(&n);
}

static void test_rerendered_when_labels_change(void **state)
{
    struct outbuf o;
    const struct store_pod *p = store_find_pod(&s, "ns", "web-1");
    const struct label_view *before = p->labels;

    (void)state;
    assert_non_null(before);
    /* Relabelled: the pod's labels are looked up again (the old set is freed: ASan reads any
     * use of it), so the LIST carries the new labels. */
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "web-1", UID_WEB1,
                                        L({"app", "web"}, {"tier", "be"}), 2),
                     0);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, NULL, NULL);
    assert_true(pb_has_label(&o, "tier", "be"));
    assert_false(pb_has_label(&o, "tier", "fe"));
    outbuf_done(&o);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, "tier=be", NULL);
    assert_true(pb_has_name(&o, "web-1"));
    outbuf_done(&o);

    /* The API object goes: served on without labels. */
    label_index_delete(li, LABEL_POD, "ns", "web-1", UID_WEB1);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, NULL, NULL);
    assert_true(pb_has_name(&o, "web-1"));
    assert_false(pb_has_label(&o, "tier", "be"));
    outbuf_done(&o);
    o = render(QUERY_NAMESPACE_PODS, QUERY_JSON, NULL, NULL);
    assert_string_equal(json_labels(&o, "web-1"), "");
    outbuf_done(&o);

    /* The API learns of the right web-2 (the uid matches now): labels appear. */
    assert_int_equal(
        label_index_upsert(li, LABEL_POD, "ns", "web-2", UID_WEB2, L({"app", "web"}), 1), 0);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, "app=web", NULL);
    assert_true(pb_has_name(&o, "web-2"));
    outbuf_done(&o);

    /* Detached: everything is rendered again without labels. */
    store_set_label_index(&s, NULL);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, NULL, NULL);
    assert_false(pb_has_label(&o, "app", "web"));
    outbuf_done(&o);
    store_set_label_index(&s, li);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, NULL, NULL);
    assert_true(pb_has_label(&o, "app", "db"));
    outbuf_done(&o);
}

/* --node-selector: a node whose labels do not match is not served, nor its pods, on every
 * path (JSON and the stored protobuf, lists and single objects). */
static void test_node_selector(void **state)
{
    struct selector sel;
    struct outbuf o;
    char err[128];

    (void)state;
    assert_int_equal(label_selector_parse("zone=a", 6, &sel, err, sizeof(err)), 0);
    s.node_selector = &sel;
    o = render(QUERY_NODES, QUERY_JSON, NULL, NULL);
    assert_string_not_equal(json_labels(&o, "n1"), "-");
    outbuf_done(&o);
    o = render(QUERY_PODS, QUERY_PROTOBUF, NULL, NULL);
    assert_true(pb_has_name(&o, "web-1"));
    outbuf_done(&o);
    selector_done(&sel);

    assert_int_equal(label_selector_parse("zone=b", 6, &sel, err, sizeof(err)), 0);
    o = render(QUERY_NODES, QUERY_JSON, NULL, NULL);
    assert_string_equal(json_labels(&o, "n1"), "-");
    outbuf_done(&o);
    for (int f = 0; f < 2; f++) {
        o = render(QUERY_NAMESPACE_PODS, f ? QUERY_PROTOBUF : QUERY_JSON, NULL, NULL);
        for (int i = 0; i < NPODS; i++)
            assert_false(f ? pb_has_name(&o, pod_names[i])
                           : strcmp(json_labels(&o, pod_names[i]), "-") != 0);
        outbuf_done(&o);
    }
    outbuf_init(&o);
    assert_int_equal(sf_render_selected(&s, QUERY_POD, QUERY_JSON, "ns", "web-1", NULL, &o), 404);
    assert_int_equal(sf_render_selected(&s, QUERY_NODE, QUERY_JSON, "ns", "n1", NULL, &o), 404);
    s.node_selector = NULL;
    outbuf_reset(&o);
    assert_int_equal(sf_render_selected(&s, QUERY_NODE, QUERY_JSON, "ns", "n1", NULL, &o), 200);
    outbuf_done(&o);
    selector_done(&sel);
}

/* A pod's labels are looked up when it appears (its API object known before), and a pod
 * recreated under the same name (a new uid, on another node) takes the name and its new API
 * object's labels; the displaced pod keeps no pointer into the index (its old label set is
 * freed by the next change: ASan would catch a read). Runs last: it moves web-1 to node n2. */
static void test_labels_follow_new_pods(void **state)
{
    static const char *const late[1] = {"late-0"}, *const late_uid[1] = {UID_LATE};
    static const char *const web1[1] = {"web-1"}, *const web1_new[1] = {UID_WEB1_NEW};
    const struct store_pod *old = store_find_pod(&s, "ns", "web-1"), *p;
    struct outbuf o;

    (void)state;
    assert_int_equal(
        label_index_upsert(li, LABEL_POD, "ns", "late-0", UID_LATE, L({"app", "late"}), 1), 0);
    assert_int_equal(sf_ship(&s, "n2", "ns", late, late_uid, 1, 1, T0 + 2 * SEC), 0);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, "app=late", NULL);
    assert_true(pb_has_name(&o, "late-0"));
    outbuf_done(&o);

    /* The API object is replaced first (the old pod's uid no longer matches it)... */
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "web-1", UID_WEB1_NEW,
                                        L({"app", "web"}, {"gen", "2"}), 2),
                     0);
    assert_null(old->labels);
    /* ...then the new pod's first shipment comes from n2. */
    assert_int_equal(sf_ship(&s, "n2", "ns", web1, web1_new, 1, 2, T0 + 3 * SEC), 0);
    p = store_find_pod(&s, "ns", "web-1");
    assert_ptr_not_equal(p, old);
    assert_int_equal(p->nlabels, 2);
    o = render(QUERY_POD, QUERY_JSON, NULL, "web-1");
    assert_non_null(strstr(o.data, "\"gen\":\"2\""));
    outbuf_done(&o);
    /* Relabelled again: the set the pods pointed at is freed; only the served pod sees it. */
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "web-1", UID_WEB1_NEW,
                                        L({"app", "web"}, {"gen", "3"}), 2),
                     0);
    assert_null(old->labels);
    o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, "gen=3", NULL);
    assert_true(pb_has_name(&o, "web-1"));
    outbuf_done(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_list_and_single),
        cmocka_unit_test(test_protobuf_list_and_single),
        cmocka_unit_test(test_selectors_on_both_paths),
        cmocka_unit_test(test_rerendered_when_labels_change),
        cmocka_unit_test(test_node_selector),
        cmocka_unit_test(test_labels_follow_new_pods),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
