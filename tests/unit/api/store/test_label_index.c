/* The label index: updates, deletes by uid, relists that sweep what was not seen again, the
 * listener, refused input, shared label sets, and memory: 10,000 pods shaped like a real
 * cluster's, measured by the index's own accounting and by malloc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/label_index.h"

#define UID1 "11111111-2222-4333-8444-555555555555"
#define UID2 "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

static char changes[64][128];
static int nchanges;

static void listener(void *arg, enum label_kind kind, const char *key)
{
    (void)arg;
    if (nchanges < 64)
        snprintf(changes[nchanges++], sizeof(changes[0]), "%s:%s",
                 kind == LABEL_POD ? "pod" : "node", key);
}

static void reset_changes(void)
{
    nchanges = 0;
}

/* "k=v,k=v" for key, or NULL when the lookup finds nothing. */
static const char *pod_labels(const struct label_index *li, const char *key, const char *uid)
{
    static char buf[512];
    const struct label_view *l;
    size_t n, len = 0;

    if (!label_index_pod(li, key, uid, &l, &n)) return NULL;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s=%s", i ? "," : "", l[i].key,
                                l[i].value);
    return buf;
}

#define L(...) ((const struct label_view[]){__VA_ARGS__})

static void test_upsert_update_delete(void **state)
{
    struct label_index *li = label_index_new();
    const struct label_view *l;
    size_t n;

    (void)state;
    label_index_set_listener(li, listener, NULL);
    reset_changes();
    assert_int_equal(
        label_index_upsert(li, LABEL_POD, "ns", "p", UID1, L({"app", "web"}, {"tier", "fe"}), 2),
        0);
    assert_int_equal(nchanges, 1);
    assert_string_equal(changes[0], "pod:ns/p");
    assert_string_equal(pod_labels(li, "ns/p", NULL), "app=web,tier=fe");
    assert_string_equal(pod_labels(li, "ns/p", UID1), "app=web,tier=fe");
    /* Another pod under the same name (uids differ): not this one's labels. */
    assert_null(pod_labels(li, "ns/p", UID2));
    /* A uid that is not a UUID (a static pod's config hash): matched by name. */
    assert_string_equal(pod_labels(li, "ns/p", "0123456789abcdef0123456789abcdef"),
                        "app=web,tier=fe");
    assert_null(pod_labels(li, "ns/q", NULL));
    assert_null(pod_labels(li, "p", NULL));

    /* The same labels again: no change reported. */
    assert_int_equal(
        label_index_upsert(li, LABEL_POD, "ns", "p", UID1, L({"app", "web"}, {"tier", "fe"}), 2),
        0);
    assert_int_equal(nchanges, 1);
    /* New labels, then none. */
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "p", UID1, L({"app", "db"}), 1), 0);
    assert_int_equal(nchanges, 2);
    assert_string_equal(pod_labels(li, "ns/p", NULL), "app=db");
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "p", UID1, NULL, 0), 0);
    assert_int_equal(nchanges, 3);
    assert_string_equal(pod_labels(li, "ns/p", NULL), "");
    assert_true(label_index_pod(li, "ns/p", NULL, &l, &n));
    assert_null(l);
    assert_int_equal(n, 0);
    /* A new uid under the same name is a change too. */
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "p", UID2, NULL, 0), 0);
    assert_int_equal(nchanges, 4);
    assert_null(pod_labels(li, "ns/p", UID1));
    /* The same answers by namespace, name and binary uid (what the store holds). */
    uint8_t u1[16], u2[16];
    assert_true(label_index_uuid(UID1, u1) && label_index_uuid(UID2, u2));
    assert_true(label_index_pod_bin(li, "ns", "p", u2, &l, &n));
    assert_true(label_index_pod_bin(li, "ns", "p", NULL, &l, &n));
    assert_false(label_index_pod_bin(li, "ns", "p", u1, &l, &n));
    assert_false(label_index_pod_bin(li, "ns", "q", u2, &l, &n));
    assert_false(label_index_pod_bin(li, "", "p", NULL, &l, &n));

    /* A late DELETED for the old uid leaves the new pod alone; its own removes it. */
    label_index_delete(li, LABEL_POD, "ns", "p", UID1);
    assert_non_null(pod_labels(li, "ns/p", NULL));
    assert_int_equal(nchanges, 4);
    label_index_delete(li, LABEL_POD, "ns", "p", UID2);
    assert_null(pod_labels(li, "ns/p", NULL));
    assert_int_equal(nchanges, 5);
    label_index_delete(li, LABEL_POD, "ns", "p", UID2); /* gone already: nothing */
    assert_int_equal(nchanges, 5);

    /* Nodes: by name, no namespace. */
    assert_int_equal(label_index_upsert(li, LABEL_NODE, NULL, "node-1",
                                        "22222222-2222-4333-8444-555555555555",
                                        L({"kubernetes.io/hostname", "node-1"}), 1),
                     0);
    assert_true(label_index_node(li, "node-1", &l, &n));
    assert_int_equal(n, 1);
    assert_string_equal(l[0].value, "node-1");
    assert_false(label_index_node(li, "node-2", &l, &n));
    assert_string_equal(changes[nchanges - 1], "node:node-1");
    label_index_delete(li, LABEL_NODE, NULL, "node-1", NULL);
    assert_false(label_index_node(li, "node-1", &l, &n));
    label_index_free(li);
}

static void test_refused_input(void **state)
{
    struct label_index *li = label_index_new();
    struct label_index_stats st;

    (void)state;
    assert_int_equal(label_index_upsert(li, LABEL_POD, NULL, "p", NULL, NULL, 0), -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "", "p", NULL, NULL, 0), -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "", NULL, NULL, 0), -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", NULL, NULL, NULL, 0), -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "n/s", "p", NULL, NULL, 0), -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "a/b", NULL, NULL, 0), -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_NODE, "ns", "n", NULL, NULL, 0), -EINVAL);
    /* Control characters would collide in the interned sets' keys. */
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "p", NULL, L({"a\1b", "c"}), 1),
                     -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "p", NULL, L({"a", "b\2"}), 1),
                     -EINVAL);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "p", NULL, L({"a", NULL}), 1),
                     -EINVAL);
    label_index_get_stats(li, &st);
    assert_int_equal(st.pods + st.nodes + st.sets, 0);
    /* Names at the limits fit. */
    char ns[64], name[254];
    memset(ns, 'n', 63);
    ns[63] = '\0';
    memset(name, 'p', 253);
    name[253] = '\0';
    assert_int_equal(label_index_upsert(li, LABEL_POD, ns, name, NULL, NULL, 0), 0);
    char longer[255];
    memset(longer, 'p', 254);
    longer[254] = '\0';
    assert_int_equal(label_index_upsert(li, LABEL_POD, ns, longer, NULL, NULL, 0), -EINVAL);
    label_index_free(li);

    uint8_t u[16];
    assert_true(label_index_uuid(UID1, u));
    assert_int_equal(u[0], 0x11);
    assert_int_equal(u[15], 0x55);
    assert_true(label_index_uuid("AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE", u));
    assert_false(label_index_uuid("11111111-2222-4333-8444-55555555555", u));
    assert_false(label_index_uuid("11111111-2222-4333-8444-5555555555555", u));
    assert_false(label_index_uuid("11111111+2222-4333-8444-555555555555", u));
    assert_false(label_index_uuid("1111111g-2222-4333-8444-555555555555", u));
    assert_false(label_index_uuid("0123456789abcdef0123456789abcdef", u));
    assert_false(label_index_uuid(NULL, u));
}

static void test_relist_sweeps(void **state)
{
    struct label_index *li = label_index_new();
    struct label_index_stats st;

    (void)state;
    label_index_set_listener(li, listener, NULL);
    label_index_relist_begin(li, LABEL_POD);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "a", NULL, L({"k", "1"}), 1), 0);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "b", NULL, L({"k", "1"}), 1), 0);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "c", NULL, L({"k", "2"}), 1), 0);
    label_index_relist_end(li, LABEL_POD);
    assert_int_equal(label_index_upsert(li, LABEL_NODE, NULL, "n1", NULL, L({"k", "1"}), 1), 0);
    label_index_get_stats(li, &st);
    assert_int_equal(st.pods, 3);
    assert_int_equal(st.nodes, 1);
    assert_int_equal(st.sets, 2); /* k=1 shared by a, b and n1 */

    /* A watch event between lists marks too. */
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "d", NULL, NULL, 0), 0);
    /* A list that never completes sweeps nothing ... */
    label_index_relist_begin(li, LABEL_POD);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "a", NULL, L({"k", "1"}), 1), 0);
    /* ... the next complete one sweeps what it did not see: b, c and d. Nodes are another
     * kind and stay. */
    reset_changes();
    label_index_relist_begin(li, LABEL_POD);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "a", NULL, L({"k", "1"}), 1), 0);
    assert_int_equal(label_index_upsert(li, LABEL_POD, "ns", "e", NULL, L({"k", "3"}), 1), 0);
    label_index_relist_end(li, LABEL_POD);
    assert_non_null(pod_labels(li, "ns/a", NULL));
    assert_non_null(pod_labels(li, "ns/e", NULL));
    assert_null(pod_labels(li, "ns/b", NULL));
    assert_null(pod_labels(li, "ns/c", NULL));
    assert_null(pod_labels(li, "ns/d", NULL));
    assert_int_equal(nchanges, 4); /* e came; b, c, d went */
    label_index_get_stats(li, &st);
    assert_int_equal(st.pods, 2);
    assert_int_equal(st.nodes, 1);
    assert_int_equal(st.sets, 2); /* k=1 (a, n1), k=3 (e); k=2 went with c */

    /* An empty list clears the kind. */
    label_index_relist_begin(li, LABEL_NODE);
    label_index_relist_end(li, LABEL_NODE);
    label_index_get_stats(li, &st);
    assert_int_equal(st.nodes, 0);
    label_index_free(li);
}

/* --- memory ----------------------------------------------------------------------------------- */

/* A cluster of 10,000 pods: 400 Deployments of 20 replicas (app, pod-template-hash and a team
 * label: one set per Deployment), 100 StatefulSets of 20 (each pod also carries its own
 * statefulset.kubernetes.io/pod-name), in 50 namespaces; names as controllers make them. */
#define PODS 10000

static void fill(struct label_index *li)
{
    char ns[32], name[96], app[48], hash[16], uid[40], podname[96];

    for (int i = 0; i < PODS; i++) {
        int owner = i / 20, replica = i % 20;
        bool sts = owner >= 400;
        snprintf(ns, sizeof(ns), "team-%02d", owner % 50);
        snprintf(app, sizeof(app), "service-%03d", owner);
        snprintf(hash, sizeof(hash), "%08x", (unsigned)owner * 2654435761u);
        snprintf(uid, sizeof(uid), "%08x-%04x-4%03x-8%03x-%012x", (unsigned)i, i & 0xffff,
                 i & 0xfff, i & 0xfff, (unsigned)i * 7u);
        if (sts) {
            snprintf(name, sizeof(name), "%s-%d", app, replica);
            snprintf(podname, sizeof(podname), "%s", name);
            const struct label_view l[] = {{"app", app},
                                           {"controller-revision-hash", hash},
                                           {"statefulset.kubernetes.io/pod-name", podname},
                                           {"team", ns}};
            assert_int_equal(label_index_upsert(li, LABEL_POD, ns, name, uid, l, 4), 0);
        } else {
            snprintf(name, sizeof(name), "%s-%s-%05x", app, hash, (unsigned)i * 40503u & 0xfffff);
            const struct label_view l[] = {{"app", app}, {"pod-template-hash", hash}, {"team", ns}};
            assert_int_equal(label_index_upsert(li, LABEL_POD, ns, name, uid, l, 3), 0);
        }
    }
}

static void test_memory_per_pod(void **state)
{
    struct mallinfo2 before, after;
    struct label_index_stats st;
    struct label_index *li;

    (void)state;
    printf("label index memory, %d pods:\n", PODS); /* stdout's buffer is allocated now */
    malloc_trim(0);
    before = mallinfo2();
    li = label_index_new();
    fill(li);
    after = mallinfo2();
    label_index_get_stats(li, &st);
    assert_int_equal(st.pods, PODS);
    assert_int_equal(st.sets, 400 + 2000);
    double accounted = (double)st.bytes / PODS;
    /* In use from the heap plus what malloc mmapped (the big hash tables). */
    double measured =
        (double)(after.uordblks + after.hblkhd - before.uordblks - before.hblkhd) / PODS;
    printf("  %zu label sets: %.0f bytes/pod accounted, %.0f bytes/pod "
           "allocated (malloc)\n",
           st.sets, accounted, measured);
    /* What keeps it small: no per-label allocation, shared sets. A pod costs its key, a 16-byte
     * uid, a pointer and a hash slot; a StatefulSet pod also its own set. (Sanitizers replace
     * malloc: mallinfo says nothing then.) */
    assert_true(accounted < 200);
    if (measured > 0) {
        assert_true(measured < 250);
        assert_true(accounted <= measured);
    }
    /* A list that finds nothing sweeps every pod and every set. */
    label_index_relist_begin(li, LABEL_POD);
    label_index_relist_end(li, LABEL_POD);
    label_index_get_stats(li, &st);
    assert_int_equal(st.pods, 0);
    assert_int_equal(st.sets, 0);
    label_index_free(li); /* what remains is for ASan's leak check to say */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upsert_update_delete),
        cmocka_unit_test(test_refused_input),
        cmocka_unit_test(test_relist_sweeps),
        cmocka_unit_test(test_memory_per_pod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
