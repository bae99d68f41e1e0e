/* Shipping: snapshots taken from a collector, the full and delta shipments made from them
 * (decoded back with the aggregator's decoder), and the shipper thread against a small local
 * HTTP/2 (h2c, nghttp2) server that answers like the aggregator (ack, 409 resync, 400
 * rejection), and against peers that misbehave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "collector.h"
#include "lib/kube_layout.h"
#include "ship/ship_snapshot.h"
#include "ship/shipper.h"
#include "wire/wire_decode.h"
#include "wire/wire_encode.h"
#include "clock.h"

#define SEC_NS ((int64_t)1000000000)
#define T0 ((int64_t)1700000000 * SEC_NS)

static const char UID_A[] = "aaaaaaaa-0000-4000-8000-000000000001";
static const char UID_B[] = "bbbbbbbb-0000-4000-8000-000000000002";
static const char UID_C[] = "cccccccc-0000-4000-8000-000000000003";

static void cid(char out[65], char c)
{
    memset(out, c, 64);
    out[64] = '\0';
}

/* n samples every 10 s from T0 + start s, usage growing by 1000 us a step. */
static void series(struct wire_sample *out, size_t n, int start)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct wire_sample){T0 + (start + 10 * (int64_t)i) * SEC_NS,
                                      1000u * (uint64_t)(start / 10 + (int)i + 1)};
}

struct spec_container {
    char idc; /* the id is 64 of this hex digit */
    const char *name;
    int start, n; /* series(start, n) */
    uint64_t ws;
};

struct spec_pod {
    const char *uid, *ns, *name;
    struct spec_container c[4];
};

static struct ship_snapshot *make_snapshot(const struct spec_pod *pods, size_t npods,
                                           int node_start, int node_n)
{
    struct ship_snapshot *s = ship_snapshot_new(npods, npods * 4, (npods * 4 + 1) * 16);
    struct wire_sample samples[16];
    struct wire_usage mem = {
        .have = WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS, .working_set = 5000, .rss = 4000};

    assert_non_null(s);
    series(samples, (size_t)node_n, node_start);
    assert_int_equal(ship_snapshot_set_node(s, 8, 1ull << 34, samples, (size_t)node_n, &mem), 0);
    for (size_t i = 0; i < npods; i++) {
        struct ship_pod *p = ship_snapshot_add_pod(s, pods[i].uid, pods[i].ns, pods[i].name);
        assert_non_null(p);
        for (const struct spec_container *c = pods[i].c; c->idc; c++) {
            char id[65];
            struct wire_usage cm = {.have = WIRE_HAVE_WORKING_SET, .working_set = c->ws};
            cid(id, c->idc);
            series(samples, (size_t)c->n, c->start);
            assert_non_null(
                ship_snapshot_add_container(s, p, id, c->name, samples, (size_t)c->n, &cm));
        }
    }
    ship_snapshot_seal(s);
    return s;
}

/* Encodes (base may be NULL) and decodes back. */
static void roundtrip(const struct ship_snapshot *base, const struct ship_snapshot *cur,
                      uint64_t seq, uint64_t base_seq, struct wire_shipment *out,
                      struct wire_arena *arena)
{
    struct ship_meta m = {.node_name = "node-1",
                          .instance = 0x1122334455667788ull,
                          .seq = seq,
                          .base_seq = base_seq,
                          .sent_ns = T0 + 100 * SEC_NS};
    struct outbuf buf;
    char err[256] = "";

    outbuf_init(&buf);
    assert_int_equal(ship_snapshot_encode(base, cur, &m, &buf), 0);
    wire_arena_init(arena);
    if (wire_decode(buf.data, buf.len, out, arena, err, sizeof(err)) != 0) fail_msg("%s", err);
    outbuf_done(&buf);
    assert_string_equal(out->node_name, "node-1");
    assert_true(out->instance == 0x1122334455667788ull);
    assert_int_equal(out->seq, seq);
}

static const struct wire_pod *find_pod(const struct wire_shipment *s, const char *uid)
{
    for (size_t i = 0; i < s->npods; i++)
        if (strcmp(s->pods[i].uid, uid) == 0) return &s->pods[i];
    return NULL;
}

static const struct wire_container *find_container(const struct wire_pod *p, char idc)
{
    char id[65];

    cid(id, idc);
    for (size_t i = 0; i < p->ncontainers; i++)
        if (strcmp(p->containers[i].id, id) == 0) return &p->containers[i];
    return NULL;
}

static void assert_samples(const struct wire_container *c, int start, size_t n)
{
    struct wire_sample want[16];

    series(want, n, start);
    assert_int_equal(c->nsamples, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(c->samples[i].real_ns == want[i].real_ns);
        assert_int_equal(c->samples[i].usage_usec, want[i].usage_usec);
    }
}

/* Two pods given out of order; the second's containers too. */
static const struct spec_pod base_pods[] = {
    {UID_B, "ns-b", "pod-b", {{'3', "solo", 0, 3, 300}}},
    {UID_A, "ns-a", "pod-a", {{'2', "two", 0, 3, 200}, {'1', "one", 0, 3, 100}}},
};

static void test_full_shipment_carries_everything_sorted(void **state)
{
    struct ship_snapshot *s = make_snapshot(base_pods, 2, 0, 3);
    struct wire_shipment w;
    struct wire_arena a;

    (void)state;
    assert_string_equal(s->pods[0].uid, UID_A); /* sealed: sorted */
    assert_string_equal(s->pods[0].containers[0].name, "one");
    roundtrip(NULL, s, 1, 0, &w, &a);
    assert_int_equal(w.flags, WIRE_FULL);
    assert_int_equal(w.base_seq, 0);
    assert_int_equal(w.node.cpu_cores, 8);
    assert_true(w.node.memory_capacity == 1ull << 34);
    assert_int_equal(w.node.nsamples, 3);
    assert_int_equal(w.node.memory.have, WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS);
    assert_int_equal(w.node.memory.rss, 4000);
    assert_int_equal(w.npods, 2);
    assert_string_equal(w.pods[0].uid, UID_A);
    assert_string_equal(w.pods[0].namespace_, "ns-a");
    assert_string_equal(w.pods[0].name, "pod-a");
    assert_false(w.pods[0].removed);
    assert_int_equal(w.pods[0].ncontainers, 2);
    assert_string_equal(w.pods[0].containers[0].name, "one");
    assert_string_equal(w.pods[0].containers[1].name, "two");
    assert_samples(&w.pods[0].containers[0], 0, 3);
    assert_int_equal(w.pods[0].containers[0].memory.have, WIRE_HAVE_WORKING_SET);
    assert_int_equal(w.pods[0].containers[0].memory.working_set, 100);
    assert_string_equal(w.pods[1].uid, UID_B);
    assert_samples(&w.pods[1].containers[0], 0, 3);
    wire_arena_done(&a);
    ship_snapshot_unref(s);
}

static void test_delta_carries_only_newer_samples(void **state)
{
    /* 10 s later: every series moved on by one sample and the oldest one aged out. */
    static const struct spec_pod later[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 10, 3, 111}, {'2', "two", 10, 3, 222}}},
        {UID_B, "ns-b", "pod-b", {{'3', "solo", 10, 3, 333}}},
    };
    struct ship_snapshot *base = make_snapshot(base_pods, 2, 0, 3);
    struct ship_snapshot *cur = make_snapshot(later, 2, 10, 3);
    struct wire_shipment w;
    struct wire_arena a;

    (void)state;
    roundtrip(base, cur, 2, 1, &w, &a);
    assert_int_equal(w.flags, 0);
    assert_int_equal(w.base_seq, 1);
    assert_int_equal(w.node.nsamples, 1);
    assert_true(w.node.samples[0].real_ns == T0 + 30 * SEC_NS);
    assert_int_equal(w.npods, 2);
    for (size_t i = 0; i < w.npods; i++) {
        assert_false(w.pods[i].removed);
        for (size_t j = 0; j < w.pods[i].ncontainers; j++) {
            assert_false(w.pods[i].containers[j].removed);
            assert_samples(&w.pods[i].containers[j], 30, 1);
        }
    }
    assert_int_equal(find_container(find_pod(&w, UID_A), '2')->memory.working_set, 222);
    wire_arena_done(&a);

    /* Nothing new since the base: nothing listed (a delta leaves out what is unchanged). */
    roundtrip(cur, cur, 3, 2, &w, &a);
    assert_int_equal(w.node.nsamples, 0);
    assert_int_equal(w.npods, 0);
    wire_arena_done(&a);
    ship_snapshot_unref(base);
    ship_snapshot_unref(cur);
}

static void test_delta_leaves_out_only_what_is_unchanged(void **state)
{
    /* No new CPU sample anywhere (exited containers in their window), but pod A's container 1
     * has new memory figures and pod B a name learnt since: those two are listed, nothing
     * else. */
    static const struct spec_pod later[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 0, 3, 101}, {'2', "two", 0, 3, 200}}},
        {UID_B, "ns-b", "pod-b2", {{'3', "solo", 0, 3, 300}}},
    };
    struct ship_snapshot *base = make_snapshot(base_pods, 2, 0, 3);
    struct ship_snapshot *cur = make_snapshot(later, 2, 0, 3);
    const struct wire_pod *pa, *pb;
    struct wire_shipment w;
    struct wire_arena a;

    (void)state;
    roundtrip(base, cur, 2, 1, &w, &a);
    assert_int_equal(w.npods, 2);
    pa = find_pod(&w, UID_A);
    pb = find_pod(&w, UID_B);
    assert_non_null(pa);
    assert_int_equal(pa->ncontainers, 1);
    assert_int_equal(find_container(pa, '1')->memory.working_set, 101);
    assert_int_equal(find_container(pa, '1')->nsamples, 0);
    assert_non_null(pb);
    assert_string_equal(pb->name, "pod-b2");
    assert_int_equal(pb->ncontainers, 0);
    wire_arena_done(&a);
    ship_snapshot_unref(base);
    ship_snapshot_unref(cur);
}

static void test_changes_only_carries_what_appeared_and_went(void **state)
{
    /* Since base: every series moved on (10 s), pod A gained container 4 and lost 2, pod B is
     * gone, pod C is new. A changes-only delta carries 4, C and the removals, and none of the
     * new samples of 1; once it is the base, the next delta carries 1's new samples. */
    static const struct spec_pod later[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 10, 3, 111}, {'4', "four", 0, 4, 400}}},
        {UID_C, "ns-c", "pod-c", {{'5', "five", 0, 4, 500}}},
    };
    struct ship_snapshot *base = make_snapshot(base_pods, 2, 0, 3);
    struct ship_snapshot *cur = make_snapshot(later, 2, 10, 3);
    struct ship_snapshot *changes = ship_snapshot_changes_only(base, cur);
    const struct wire_pod *pa, *pb, *pc;
    struct wire_shipment w;
    struct wire_arena a;

    (void)state;
    assert_non_null(changes);
    roundtrip(base, changes, 2, 1, &w, &a);
    assert_int_equal(w.flags, 0);
    assert_int_equal(w.node.nsamples, 0); /* the node's new samples wait too */
    assert_int_equal(w.npods, 3);
    pa = find_pod(&w, UID_A);
    pb = find_pod(&w, UID_B);
    pc = find_pod(&w, UID_C);
    assert_non_null(pa);
    assert_null(find_container(pa, '1')); /* unchanged as far as this shipment goes */
    assert_true(find_container(pa, '2')->removed);
    assert_samples(find_container(pa, '4'), 0, 4);
    assert_int_equal(find_container(pa, '4')->memory.working_set, 400);
    assert_true(pb->removed);
    assert_samples(find_container(pc, '5'), 0, 4);
    wire_arena_done(&a);

    /* The next periodic delta against it: 1's samples since base, the node's, nothing else. */
    roundtrip(changes, cur, 3, 2, &w, &a);
    assert_int_equal(w.node.nsamples, 1);
    assert_int_equal(w.npods, 1);
    pa = find_pod(&w, UID_A);
    assert_non_null(pa);
    assert_int_equal(pa->ncontainers, 1);
    assert_samples(find_container(pa, '1'), 30, 1);
    assert_int_equal(find_container(pa, '1')->memory.working_set, 111);
    wire_arena_done(&a);

    /* Nothing changed: nothing to say. */
    ship_snapshot_unref(changes);
    changes = ship_snapshot_changes_only(cur, cur);
    assert_non_null(changes);
    roundtrip(cur, changes, 4, 3, &w, &a);
    assert_int_equal(w.npods, 0);
    wire_arena_done(&a);
    ship_snapshot_unref(changes);
    ship_snapshot_unref(base);
    ship_snapshot_unref(cur);
}

static void test_delta_lists_removed_and_new_with_history(void **state)
{
    /* Pod A lost container 2 and gained 4; pod B is gone; pod C is new. */
    static const struct spec_pod later[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 10, 3, 100}, {'4', "four", 0, 4, 400}}},
        {UID_C, "ns-c", "pod-c", {{'5', "five", 0, 4, 500}}},
    };
    struct ship_snapshot *base = make_snapshot(base_pods, 2, 0, 3);
    struct ship_snapshot *cur = make_snapshot(later, 2, 10, 3);
    const struct wire_pod *pa, *pb, *pc;
    const struct wire_container *c;
    struct wire_shipment w;
    struct wire_arena a;

    (void)state;
    roundtrip(base, cur, 7, 6, &w, &a);
    assert_int_equal(w.flags, 0);
    assert_int_equal(w.npods, 3);
    pa = find_pod(&w, UID_A);
    pb = find_pod(&w, UID_B);
    pc = find_pod(&w, UID_C);
    assert_non_null(pa);
    assert_non_null(pb);
    assert_non_null(pc);

    assert_false(pa->removed);
    assert_int_equal(pa->ncontainers, 3);
    assert_samples(find_container(pa, '1'), 30, 1);
    c = find_container(pa, '2');
    assert_non_null(c);
    assert_true(c->removed);
    assert_int_equal(c->nsamples, 0);
    assert_string_equal(c->name, "two");
    assert_samples(find_container(pa, '4'), 0, 4); /* new: its whole history */
    assert_false(find_container(pa, '4')->removed);

    assert_true(pb->removed);
    assert_int_equal(pb->ncontainers, 0);
    assert_string_equal(pb->namespace_, "ns-b");

    assert_false(pc->removed);
    assert_samples(find_container(pc, '5'), 0, 4);
    wire_arena_done(&a);
    ship_snapshot_unref(base);
    ship_snapshot_unref(cur);
}

static void test_changes_only_one_after_another(void **state)
{
    /* Pods appear one per second, each shipped as a changes-only delta against the last:
     * every delta carries exactly the newest pod. */
    static const struct spec_pod p2[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 0, 3, 100}}},
        {UID_B, "ns-b", "pod-b", {{'2', "two", 10, 2, 200}}},
    };
    static const struct spec_pod p3[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 0, 4, 100}}},
        {UID_B, "ns-b", "pod-b", {{'2', "two", 10, 3, 200}}},
        {UID_C, "ns-c", "pod-c", {{'3', "three", 20, 2, 300}}},
    };
    /* B is first shipped with one sample (sampled once when A got its rate): its rate, one
     * second later, is a change too. */
    static const struct spec_pod p1b[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 0, 2, 100}}},
        {UID_B, "ns-b", "pod-b", {{'2', "two", 10, 1, 200}}},
    };
    struct ship_snapshot *s0 = make_snapshot(NULL, 0, 0, 3), *s1 = make_snapshot(p1b, 2, 0, 3);
    struct ship_snapshot *s2 = make_snapshot(p2, 2, 0, 4), *s3 = make_snapshot(p3, 3, 0, 5);
    struct ship_snapshot *c1 = ship_snapshot_changes_only(s0, s1);
    struct ship_snapshot *c2 = ship_snapshot_changes_only(c1, s2);
    struct ship_snapshot *c3 = ship_snapshot_changes_only(c2, s3);
    struct wire_shipment w;
    struct wire_arena a;

    (void)state;
    roundtrip(s0, c1, 2, 1, &w, &a);
    assert_int_equal(w.npods, 2);
    assert_samples(&find_pod(&w, UID_A)->containers[0], 0, 2);
    assert_samples(&find_pod(&w, UID_B)->containers[0], 10, 1);
    wire_arena_done(&a);
    roundtrip(c1, c2, 3, 2, &w, &a);
    assert_int_equal(w.npods, 1);
    assert_string_equal(w.pods[0].uid, UID_B);
    assert_samples(&w.pods[0].containers[0], 20, 1); /* its second sample: now it has a rate */
    wire_arena_done(&a);
    roundtrip(c2, c3, 4, 3, &w, &a);
    assert_int_equal(w.npods, 1);
    assert_string_equal(w.pods[0].uid, UID_C);
    assert_samples(&w.pods[0].containers[0], 20, 2);
    wire_arena_done(&a);
    /* And the periodic delta after them: A's and B's samples since, C's none. */
    roundtrip(c3, s3, 5, 4, &w, &a);
    assert_int_equal(w.npods, 2);
    assert_samples(&find_pod(&w, UID_A)->containers[0], 20, 2);
    assert_samples(&find_pod(&w, UID_B)->containers[0], 30, 1);
    wire_arena_done(&a);
    ship_snapshot_unref(s0);
    ship_snapshot_unref(s1);
    ship_snapshot_unref(s2);
    ship_snapshot_unref(s3);
    ship_snapshot_unref(c1);
    ship_snapshot_unref(c2);
    ship_snapshot_unref(c3);
}

static void test_bad_names_are_blanked_bad_ids_refused(void **state)
{
    struct ship_snapshot *s = ship_snapshot_new(3, 3, 4);
    struct ship_pod *p;
    struct wire_shipment w;
    struct wire_arena a;
    char id[65];

    (void)state;
    assert_non_null(s);
    assert_null(ship_snapshot_add_pod(s, "not-a-uid", "ns", "name"));
    assert_null(ship_snapshot_add_pod(s, "AAAAAAAA-0000-4000-8000-000000000001", "ns", "n"));
    p = ship_snapshot_add_pod(s, UID_A, "Bad_NS", "Pod.Name");
    assert_non_null(p);
    assert_string_equal(p->namespace_, "");
    assert_string_equal(p->name, "");
    assert_null(ship_snapshot_add_container(s, p, "abc", "x", NULL, 0, NULL));
    cid(id, 'A');
    assert_null(ship_snapshot_add_container(s, p, id, "x", NULL, 0, NULL));
    cid(id, 'f');
    assert_non_null(ship_snapshot_add_container(s, p, id, "-bad-", NULL, 0, NULL));
    assert_string_equal(p->containers[0].name, "");
    ship_snapshot_seal(s);
    roundtrip(NULL, s, 1, 0, &w, &a); /* the shipment still encodes */
    assert_int_equal(w.npods, 1);
    wire_arena_done(&a);

    /* A container belongs to the last pod added only. */
    assert_non_null(ship_snapshot_add_pod(s, UID_B, "", ""));
    cid(id, 'e');
    assert_null(ship_snapshot_add_container(s, p, id, "", NULL, 0, NULL));
    ship_snapshot_unref(s);
}

static void test_refcount(void **state)
{
    struct ship_snapshot *s = ship_snapshot_new(0, 0, 0);

    (void)state;
    assert_ptr_equal(ship_snapshot_ref(s), s);
    assert_int_equal(atomic_load(&s->refs), 2);
    ship_snapshot_unref(s);
    assert_int_equal(atomic_load(&s->refs), 1);
    ship_snapshot_unref(s); /* freed: ASan would see a leak otherwise */
    ship_snapshot_unref(NULL);
}

/* --- ship_snapshot_build from a collector's registry ----------------------------------------- */

static struct container *add_container(struct collector *c, struct pod *p, unsigned seed,
                                       bool sandbox)
{
    struct cgroup_identity id = {.kind = CG_CONTAINER, .runtime = RUNTIME_CONTAINERD};
    struct container *ct;
    bool created;

    kl_container_id(id.container_id, seed);
    snprintf(id.pod_uid, sizeof(id.pod_uid), "%s", p->uid);
    ct = registry_add_container(&c->reg, p, &id, "x", seed, &created);
    assert_non_null(ct);
    ct->sandbox = sandbox;
    return ct;
}

static struct pod *add_pod(struct collector *c, unsigned seed)
{
    struct cgroup_identity id = {.kind = CG_POD, .qos = QOS_BURSTABLE};
    struct pod *p;

    kl_pod_uid(id.pod_uid, seed);
    p = registry_add_pod(&c->reg, &id, "p", 1);
    assert_non_null(p);
    return p;
}

static void sample(struct collector *c, struct container *ct, int64_t now_real, int64_t ago_s,
                   uint64_t usage)
{
    int64_t mono = 1000 * SEC_NS - ago_s * SEC_NS;

    if (!ct->cpu) {
        ct->cpu = malloc(sizeof(*ct->cpu)); /* as the collector's first sample makes it */
        assert_non_null(ct->cpu);
        cpu_history_init(ct->cpu);
    }
    cpu_history_add(ct->cpu, &c->cpu_params, mono, now_real - ago_s * SEC_NS, usage);
    ct->has_sample = true;
    ct->last.real_ns = now_real - ago_s * SEC_NS;
    ct->last.have = SAMPLE_CPU | SAMPLE_WORKING_SET | SAMPLE_RSS;
    ct->last.working_set = usage * 10;
    ct->last.rss = usage * 5;
}

static void test_build_from_collector(void **state)
{
    struct collector *c = calloc(1, sizeof(*c));
    int64_t now = clock_real_ns();
    struct pod *p1, *p2, *p3;
    struct container *app, *odd;
    struct ship_snapshot *s;
    const struct ship_pod *sp;

    (void)state;
    assert_non_null(c);
    registry_init(&c->reg);
    cpu_history_params(&c->cpu_params, 60 * SEC_NS, SEC_NS);
    cpu_history_init(&c->node_cpu);
    c->has_node = true;
    c->node.capacity_cpus = 4;
    c->node.capacity_memory = 1ull << 33;
    c->node.memory_source = NODE_MEMORY_CGROUP;
    c->node.working_set = 77;
    c->node.rss = 66;
    cpu_history_add(&c->node_cpu, &c->cpu_params, 900 * SEC_NS, now - 100 * SEC_NS, 10);
    cpu_history_add(&c->node_cpu, &c->cpu_params, 990 * SEC_NS, now - 10 * SEC_NS, 20);

    p1 = add_pod(c, 1);
    snprintf(p1->namespace_, sizeof(p1->namespace_), "default");
    snprintf(p1->name, sizeof(p1->name), "web-1");
    app = add_container(c, p1, 10, false);
    snprintf(app->name, sizeof(app->name), "app");
    sample(c, app, now, 100, 1000); /* older than the history: left out */
    sample(c, app, now, 20, 2000);
    sample(c, app, now, 10, 3000);
    sample(c, add_container(c, p1, 11, true), now, 10, 5); /* the sandbox */
    add_container(c, p1, 12, false);                       /* not sampled yet */

    p2 = add_pod(c, 2); /* only a sandbox: not shipped */
    sample(c, add_container(c, p2, 20, true), now, 10, 5);

    p3 = add_pod(c, 3);
    odd = add_container(c, p3, 30, false);
    snprintf(odd->name, sizeof(odd->name), "UPPER");
    sample(c, odd, now, 10, 42);

    s = ship_snapshot_build(c, 30 * SEC_NS);
    assert_non_null(s);
    assert_int_equal(s->cpu_cores, 4);
    assert_true(s->memory_capacity == 1ull << 33);
    assert_int_equal(s->node_nsamples, 1);
    assert_int_equal(s->node_samples[0].usage_usec, 20);
    assert_int_equal(s->node_memory.have, WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS);
    assert_int_equal(s->node_memory.working_set, 77);
    assert_int_equal(s->npods, 2);
    assert_true(strcmp(s->pods[0].uid, s->pods[1].uid) < 0);
    sp = strcmp(s->pods[0].uid, p1->uid) == 0 ? &s->pods[0] : &s->pods[1];
    assert_string_equal(sp->uid, p1->uid);
    assert_string_equal(sp->namespace_, "default");
    assert_string_equal(sp->name, "web-1");
    assert_int_equal(sp->ncontainers, 1);
    assert_string_equal(sp->containers[0].id, app->id);
    assert_string_equal(sp->containers[0].name, "app");
    assert_int_equal(sp->containers[0].nsamples, 2);
    assert_int_equal(sp->containers[0].samples[0].usage_usec, 2000);
    assert_true(sp->containers[0].samples[1].real_ns == now - 10 * SEC_NS);
    assert_int_equal(sp->containers[0].memory.have, WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS);
    assert_int_equal(sp->containers[0].memory.working_set, 30000);
    assert_int_equal(sp->containers[0].memory.rss, 15000);
    sp = sp == &s->pods[0] ? &s->pods[1] : &s->pods[0];
    assert_string_equal(sp->containers[0].name, ""); /* not a DNS label */

    ship_snapshot_unref(s);
    registry_done(&c->reg);
    free(c);
}

/* --- the shipper thread against a local aggregator stand-in -------------------------------- */

#define MAX_REQ 32
#define MAX_CONN 8

struct request {
    uint32_t flags;
    uint64_t seq, base_seq, instance;
    size_t npods;
    unsigned version;
    bool signals; /* a container's signals or a pod's traffic came through */
    char auth[128];
    char ctype[128];
};

struct server {
    int lfd;
    int port;
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t lock;
    struct request req[MAX_REQ];
    size_t nreq;
    int status[MAX_REQ]; /* answer to request i; 0 means 200 with the ack, -1 a 200 too big */
    bool v1_only;        /* an aggregator from before wire version 2: 415 for anything else */
};

/* One request stream: what we keep of the request, then the answer's body. */
struct stream {
    bool used;
    char auth[128];
    char ctype[128];
    struct outbuf body;
    char reply[128];
    size_t reply_len, reply_off;
};

#define MAX_STREAMS 4

/* Heap-allocated: nghttp2 keeps pointers to it and its streams. */
struct conn {
    int fd;
    nghttp2_session *session;
    struct server *sv;
    struct stream streams[MAX_STREAMS]; /* nghttp2_session_del() does not close streams */
};

static void copy_value(char *out, size_t n, const uint8_t *v, size_t len)
{
    snprintf(out, n, "%.*s", (int)len, (const char *)v);
}

static ssize_t sv_read_reply(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
                             uint32_t *flags, nghttp2_data_source *src, void *arg)
{
    struct stream *st = src->ptr;
    size_t n = st->reply_len - st->reply_off;

    (void)s;
    (void)id;
    (void)arg;
    if (n > len) n = len;
    for (size_t i = 0; i < n; i++) /* past the text: padding, for oversized answers */
        buf[i] =
            st->reply_off + i < sizeof(st->reply) ? (uint8_t)st->reply[st->reply_off + i] : ' ';
    st->reply_off += n;
    if (st->reply_off == st->reply_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* A whole request arrived: record it and answer as the test asked. */
static int sv_respond(struct server *sv, nghttp2_session *s, int32_t id, struct stream *st)
{
    struct wire_shipment w;
    struct wire_arena a;
    struct request r = {0};
    char status_s[8];
    size_t idx;
    int status;

    snprintf(r.auth, sizeof(r.auth), "%s", st->auth);
    snprintf(r.ctype, sizeof(r.ctype), "%s", st->ctype);
    wire_arena_init(&a);
    if (!st->body.failed && wire_decode(st->body.data, st->body.len, &w, &a, NULL, 0) == 0) {
        r.flags = w.flags;
        r.seq = w.seq;
        r.base_seq = w.base_seq;
        r.instance = w.instance;
        r.npods = w.npods;
        r.version = w.version;
        for (size_t i = 0; i < w.npods; i++) {
            r.signals |= w.pods[i].network.source != WIRE_NET_NONE;
            for (size_t j = 0; j < w.pods[i].ncontainers; j++)
                r.signals |= w.pods[i].containers[j].signals.have != 0;
        }
    }
    wire_arena_done(&a);
    pthread_mutex_lock(&sv->lock);
    idx = sv->nreq < MAX_REQ ? sv->nreq++ : MAX_REQ - 1;
    sv->req[idx] = r;
    status = sv->status[idx];
    if (sv->v1_only && strcmp(r.ctype, "application/vnd.kmetrics.shipment.v1") != 0) status = 415;
    pthread_mutex_unlock(&sv->lock);
    if (status == 0 || status == 200 || status == -1) {
        status = 200;
        snprintf(st->reply, sizeof(st->reply), "{\"ack\":%llu}", (unsigned long long)r.seq);
    } else if (status == 409) {
        snprintf(st->reply, sizeof(st->reply), "{\"resync\":true}");
    } else {
        snprintf(st->reply, sizeof(st->reply), "{\"kind\":\"Status\",\"message\":\"no good %d\"}",
                 status);
    }
    st->reply_len = sv->status[idx] == -1 ? 100000 : strlen(st->reply);
    snprintf(status_s, sizeof(status_s), "%d", status);
    {
        nghttp2_nv hdrs[] = {
            {(uint8_t *)":status", (uint8_t *)status_s, 7, strlen(status_s), 0},
            {(uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16, 0},
        };
        nghttp2_data_provider prd = {.source.ptr = st, .read_callback = sv_read_reply};
        return nghttp2_submit_response(s, id, hdrs, 2, &prd);
    }
}

static int sv_on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
    struct conn *c = arg;
    struct stream *st = NULL;

    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    for (size_t i = 0; i < MAX_STREAMS && !st; i++)
        if (!c->streams[i].used) st = &c->streams[i];
    if (!st) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
    memset(st, 0, sizeof(*st));
    st->used = true;
    outbuf_init(&st->body);
    nghttp2_session_set_stream_user_data(s, f->hd.stream_id, st);
    return 0;
}

static int sv_on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                        size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                        void *arg)
{
    struct stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);

    (void)flags;
    (void)arg;
    if (!st) return 0;
    if (namelen == 13 && memcmp(name, "authorization", 13) == 0)
        copy_value(st->auth, sizeof(st->auth), value, valuelen);
    else if (namelen == 12 && memcmp(name, "content-type", 12) == 0)
        copy_value(st->ctype, sizeof(st->ctype), value, valuelen);
    return 0;
}

static int sv_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                      size_t len, void *arg)
{
    struct stream *st = nghttp2_session_get_stream_user_data(s, id);

    (void)flags;
    (void)arg;
    if (st) outbuf_append(&st->body, data, len);
    return 0;
}

static int sv_on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
    struct conn *c = arg;
    struct stream *st;

    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    return st ? sv_respond(c->sv, s, f->hd.stream_id, st) : 0;
}

static int sv_on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
    struct stream *st = nghttp2_session_get_stream_user_data(s, id);

    (void)code;
    (void)arg;
    if (st) {
        outbuf_done(&st->body);
        st->used = false;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    nghttp2_session_del(c->session);
    for (size_t i = 0; i < MAX_STREAMS; i++)
        if (c->streams[i].used) outbuf_done(&c->streams[i].body);
    close(c->fd);
    free(c);
}

static struct conn *conn_open(struct server *sv, int fd)
{
    struct conn *c = calloc(1, sizeof(*c));
    nghttp2_session_callbacks *cb;
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS}};
    int rc;

    if (!c) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->sv = sv;
    if (nghttp2_session_callbacks_new(&cb) != 0) {
        conn_close(c);
        return NULL;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, sv_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, sv_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, sv_on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, sv_on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, sv_on_stream_close);
    rc = nghttp2_session_server_new(&c->session, cb, c);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0) c->session = NULL;
    if (rc != 0 || nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 1) != 0) {
        conn_close(c);
        return NULL;
    }
    return c;
}

/* Writes everything nghttp2 has to say (small answers on loopback: blocking is fine). */
static bool conn_flush(struct conn *c)
{
    for (;;) {
        const uint8_t *p;
        ssize_t n = nghttp2_session_mem_send(c->session, &p);

        if (n < 0) return false;
        if (n == 0) return true;
        while (n > 0) {
            ssize_t w = send(c->fd, p, (size_t)n, MSG_NOSIGNAL);
            if (w <= 0) return false;
            p += w;
            n -= w;
        }
    }
}

/* Reads and handles what arrived; false when the connection should close. */
static bool conn_serve(struct conn *c)
{
    uint8_t buf[1 << 14];
    ssize_t n = read(c->fd, buf, sizeof(buf));

    if (n <= 0 || nghttp2_session_mem_recv(c->session, buf, (size_t)n) < 0) return false;
    return conn_flush(c) &&
           (nghttp2_session_want_read(c->session) || nghttp2_session_want_write(c->session));
}

static void *serve(void *arg)
{
    struct server *sv = arg;
    struct conn *conns[MAX_CONN];
    size_t nconn = 0;

    while (!atomic_load(&sv->stop)) {
        struct pollfd pfd[MAX_CONN + 1];

        pfd[0] = (struct pollfd){.fd = sv->lfd, .events = POLLIN};
        for (size_t i = 0; i < nconn; i++)
            pfd[i + 1] = (struct pollfd){.fd = conns[i]->fd, .events = POLLIN};
        if (poll(pfd, nconn + 1, 50) <= 0) continue;
        for (size_t i = nconn; i-- > 0;) {
            if (!pfd[i + 1].revents) continue;
            if (!conn_serve(conns[i])) {
                conn_close(conns[i]);
                conns[i] = conns[--nconn];
            }
        }
        if ((pfd[0].revents & POLLIN) && nconn < MAX_CONN) {
            int fd = accept(sv->lfd, NULL, NULL);
            if (fd >= 0 && (conns[nconn] = conn_open(sv, fd))) nconn++;
        }
    }
    for (size_t i = 0; i < nconn; i++)
        conn_close(conns[i]);
    return NULL;
}

/* On port (0: any free one); the same port again after a stop stands for a restarted peer. */
static void server_start_on(struct server *sv, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)port)};
    socklen_t sl = sizeof(sa);
    int one = 1;

    memset(sv, 0, sizeof(*sv));
    pthread_mutex_init(&sv->lock, NULL);
    sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(sv->lfd >= 0);
    assert_int_equal(setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
    assert_int_equal(bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(sv->lfd, 16), 0);
    assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&sa, &sl), 0);
    sv->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&sv->thread, NULL, serve, sv), 0);
}

static void server_start(struct server *sv)
{
    server_start_on(sv, 0);
}

static void server_stop(struct server *sv)
{
    atomic_store(&sv->stop, 1);
    pthread_join(sv->thread, NULL);
    close(sv->lfd);
    pthread_mutex_destroy(&sv->lock);
}

static size_t server_requests(struct server *sv)
{
    size_t n;

    pthread_mutex_lock(&sv->lock);
    n = sv->nreq;
    pthread_mutex_unlock(&sv->lock);
    return n;
}

/* A copy of request i, read under the server's lock. */
static struct request req(struct server *sv, size_t i)
{
    struct request r;

    pthread_mutex_lock(&sv->lock);
    r = sv->req[i];
    pthread_mutex_unlock(&sv->lock);
    return r;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits up to 10 s for the shipper's stats to satisfy pred. */
static void wait_stats(struct shipper *sh, struct shipper_stats *st,
                       bool (*pred)(const struct shipper_stats *, uint64_t), uint64_t arg)
{
    for (int i = 0; i < 1000; i++) {
        shipper_stats(sh, st);
        if (pred(st, arg)) return;
        sleep_ms(10);
    }
    fail_msg("timed out: sent %llu acked %llu resyncs %llu failures %llu",
             (unsigned long long)st->sent, (unsigned long long)st->acked,
             (unsigned long long)st->resyncs, (unsigned long long)st->failures);
}

static bool acked_at_least(const struct shipper_stats *st, uint64_t n)
{
    return st->acked >= n;
}
static bool failed_at_least(const struct shipper_stats *st, uint64_t n)
{
    return st->failures >= n;
}

static struct shipper *start_shipper(const char *url, char *err, size_t errlen)
{
    const char *urls[] = {url};
    struct shipper_config cfg = {
        .node_name = "node-1",
        .urls = urls,
        .nurls = 1,
        .token = "s3cret",
        .interval_ns = SEC_NS,
    };
    return shipper_start(&cfg, err, errlen);
}

static void test_shipper_full_delta_resync_and_rejection(void **state)
{
    struct ship_snapshot *s1 = make_snapshot(base_pods, 2, 0, 3);
    struct ship_snapshot *s2 = make_snapshot(base_pods, 1, 10, 3);
    struct shipper_stats st;
    struct shipper *sh;
    struct server sv;
    char url[64], err[256];

    (void)state;
    server_start(&sv);
    sv.status[1] = 409; /* the first delta: "I lost you" */
    sv.status[3] = 400; /* the next delta: rejected */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", sv.port);
    sh = start_shipper(url, err, sizeof(err));
    assert_non_null(sh);

    shipper_offer(sh, s1);
    wait_stats(sh, &st, acked_at_least, 1);
    assert_int_equal(server_requests(&sv), 1);
    assert_int_equal(req(&sv, 0).flags, WIRE_FULL);
    assert_int_equal(req(&sv, 0).seq, 1);
    assert_int_equal(req(&sv, 0).npods, 2);
    assert_string_equal(req(&sv, 0).auth, "Bearer s3cret");
    assert_string_equal(req(&sv, 0).ctype, "application/vnd.kmetrics.shipment.v2");

    /* Delta answered 409, so a full one follows at once. */
    shipper_offer(sh, s2);
    wait_stats(sh, &st, acked_at_least, 2);
    assert_int_equal(server_requests(&sv), 3);
    assert_int_equal(req(&sv, 1).flags, 0);
    assert_int_equal(req(&sv, 1).base_seq, 1);
    assert_int_equal(req(&sv, 1).seq, 2);
    assert_int_equal(req(&sv, 1).npods, 1); /* pod A listed as removed; B unchanged, left out */
    assert_int_equal(req(&sv, 2).flags, WIRE_FULL);
    assert_int_equal(req(&sv, 2).seq, 3);
    assert_int_equal(req(&sv, 2).npods, 1);
    assert_true(req(&sv, 2).instance == req(&sv, 0).instance);
    assert_int_equal(st.resyncs, 1);

    /* A rejected delta is retried (after about a second) as a full shipment. */
    shipper_offer(sh, s1);
    wait_stats(sh, &st, failed_at_least, 1);
    assert_int_equal(st.ntargets, 1);
    assert_int_equal(st.targets[0].last_status, 400);
    assert_non_null(strstr(st.targets[0].last_error, "no good 400"));
    wait_stats(sh, &st, acked_at_least, 3);
    assert_int_equal(server_requests(&sv), 5);
    assert_int_equal(req(&sv, 3).flags, 0);
    assert_int_equal(req(&sv, 4).flags, WIRE_FULL);
    assert_int_equal(req(&sv, 4).seq, 5);
    assert_true(st.targets[0].reachable);
    assert_string_equal(st.targets[0].last_error, "");
    assert_int_equal(st.sent, 5);
    assert_int_equal(st.sent_full, 3);

    shipper_stop(sh);
    server_stop(&sv);
    ship_snapshot_unref(s1);
    ship_snapshot_unref(s2);
}

static void test_shipper_ships_changes_only_then_everything(void **state)
{
    /* 10 s on, every series moved and pod C appeared. */
    static const struct spec_pod later[] = {
        {UID_A, "ns-a", "pod-a", {{'1', "one", 10, 3, 100}, {'2', "two", 10, 3, 200}}},
        {UID_B, "ns-b", "pod-b", {{'3', "solo", 10, 3, 300}}},
        {UID_C, "ns-c", "pod-c", {{'5', "five", 0, 2, 500}}},
    };
    struct ship_snapshot *s1 = make_snapshot(base_pods, 2, 0, 3);
    struct ship_snapshot *s2 = make_snapshot(later, 3, 10, 3);
    struct shipper_stats st;
    struct shipper *sh;
    struct server sv;
    char url[64], err[256];

    (void)state;
    server_start(&sv);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", sv.port);
    sh = start_shipper(url, err, sizeof(err));
    assert_non_null(sh);

    /* Before anything is acknowledged, changes-only has no base: the whole snapshot goes. */
    shipper_offer_changes(sh, s1);
    wait_stats(sh, &st, acked_at_least, 1);
    assert_int_equal(req(&sv, 0).flags, WIRE_FULL);
    assert_int_equal(req(&sv, 0).npods, 2);

    /* Changes only: pod C alone; then the periodic delta: the moved series of A and B. */
    shipper_offer_changes(sh, s2);
    wait_stats(sh, &st, acked_at_least, 2);
    assert_int_equal(req(&sv, 1).flags, 0);
    assert_int_equal(req(&sv, 1).base_seq, 1);
    assert_int_equal(req(&sv, 1).npods, 1);
    shipper_offer(sh, s2);
    wait_stats(sh, &st, acked_at_least, 3);
    assert_int_equal(req(&sv, 2).flags, 0);
    assert_int_equal(req(&sv, 2).base_seq, 2);
    assert_int_equal(req(&sv, 2).npods, 2);
    assert_int_equal(st.sent_changes, 1);
    assert_int_equal(st.sent_full, 1);

    shipper_stop(sh);
    server_stop(&sv);
    ship_snapshot_unref(s1);
    ship_snapshot_unref(s2);
}

/* A pod whose container has signals and whose network was measured. */
static struct ship_snapshot *snapshot_with_signals(void)
{
    struct ship_snapshot *s = ship_snapshot_new(1, 1, 4);
    struct wire_sample samples[3];
    struct ship_container *c;
    struct ship_pod *p;
    char id[65];

    assert_non_null(s);
    series(samples, 3, 0);
    assert_int_equal(ship_snapshot_set_node(s, 8, 1ull << 34, NULL, 0, NULL), 0);
    p = ship_snapshot_add_pod(s, UID_A, "ns-a", "pod-a");
    assert_non_null(p);
    cid(id, '1');
    c = ship_snapshot_add_container(s, p, id, "one", samples, 3, NULL);
    assert_non_null(c);
    c->signals = (struct wire_signals){.have = WIRE_SIG_OOM,
                                       .end_real_ns = T0,
                                       .window_ms = 15000,
                                       .oom_kills = 1,
                                       .oom_kills_total = 1};
    p->network = (struct wire_network){
        .source = WIRE_NET_INTERFACES, .end_real_ns = T0, .window_ms = 15000, .rx_bytes = 1};
    ship_snapshot_seal(s);
    return s;
}

/* Version 2 goes to an aggregator that takes it; one from before it answers 415 and gets
 * version 1 (no signals) at once, as a full shipment, from then on. */
static void test_shipper_falls_back_to_wire_v1(void **state)
{
    struct ship_snapshot *s = snapshot_with_signals();
    struct shipper_stats st;
    struct server sv, old;
    struct shipper *sh;
    char url[64], err[256];

    (void)state;
    server_start(&sv);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", sv.port);
    sh = start_shipper(url, err, sizeof(err));
    assert_non_null(sh);
    shipper_offer(sh, s);
    wait_stats(sh, &st, acked_at_least, 1);
    assert_int_equal(req(&sv, 0).version, WIRE_VERSION);
    assert_true(req(&sv, 0).signals);
    assert_int_equal(st.targets[0].wire_version, WIRE_VERSION);
    shipper_stop(sh);
    server_stop(&sv);

    server_start(&old);
    old.v1_only = true;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", old.port);
    sh = start_shipper(url, err, sizeof(err));
    assert_non_null(sh);
    shipper_offer(sh, s);
    wait_stats(sh, &st, acked_at_least, 1);
    assert_int_equal(server_requests(&old), 2);
    assert_string_equal(req(&old, 0).ctype, "application/vnd.kmetrics.shipment.v2");
    assert_string_equal(req(&old, 1).ctype, "application/vnd.kmetrics.shipment.v1");
    assert_int_equal(req(&old, 1).version, WIRE_VERSION_1);
    assert_int_equal(req(&old, 1).flags, WIRE_FULL);
    assert_int_equal(req(&old, 1).npods, 1);
    assert_false(req(&old, 1).signals);
    assert_int_equal(st.targets[0].wire_version, WIRE_VERSION_1);
    assert_int_equal(st.failures, 0); /* a fallback, not a failure */
    /* The next shipment goes as version 1 straight away. */
    shipper_offer(sh, s);
    wait_stats(sh, &st, acked_at_least, 2);
    assert_int_equal(server_requests(&old), 3);
    assert_int_equal(req(&old, 2).version, WIRE_VERSION_1);
    /* The aggregator restarts as a newer one on the same port: the shipment after the
     * reconnection offers version 2 again, and it is taken. */
    int port = old.port;
    server_stop(&old);
    server_start_on(&old, port);
    shipper_offer(sh, s);
    wait_stats(sh, &st, acked_at_least, 3);
    shipper_offer(sh, s);
    wait_stats(sh, &st, acked_at_least, 4);
    assert_int_equal(req(&old, server_requests(&old) - 1).version, WIRE_VERSION);
    assert_true(req(&old, server_requests(&old) - 1).signals);
    assert_int_equal(req(&old, server_requests(&old) - 1).flags, WIRE_FULL);
    shipper_stop(sh);
    server_stop(&old);
    ship_snapshot_unref(s);
}

/* Signals reach a delta when a new window ended, and only then. */
static void test_delta_carries_new_signal_windows(void **state)
{
    struct ship_snapshot *a = snapshot_with_signals(), *b = snapshot_with_signals();
    struct wire_shipment w;
    struct wire_arena arena;

    (void)state;
    roundtrip(a, b, 2, 1, &w, &arena); /* same samples, same windows: nothing to say */
    assert_int_equal(w.npods, 0);
    wire_arena_done(&arena);
    b->pods[0].containers[0].signals.end_real_ns += 15 * SEC_NS;
    b->pods[0].network.end_real_ns += 15 * SEC_NS;
    roundtrip(a, b, 2, 1, &w, &arena);
    assert_int_equal(w.npods, 1);
    assert_int_equal(w.pods[0].ncontainers, 1);
    assert_int_equal(w.pods[0].containers[0].signals.oom_kills, 1);
    assert_int_equal(w.pods[0].containers[0].nsamples, 0);
    assert_int_equal(w.pods[0].network.source, WIRE_NET_INTERFACES);
    assert_int_equal(w.pods[0].network.rx_bytes, 1);
    wire_arena_done(&arena);
    ship_snapshot_unref(a);
    ship_snapshot_unref(b);
}

static void test_shipper_dead_aggregator_does_not_block(void **state)
{
    struct ship_snapshot *s = make_snapshot(base_pods, 2, 0, 3);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct shipper_stats st;
    struct shipper *sh;
    char url[64], err[256];
    int64_t t;

    (void)state;
    /* A port nobody listens on: bind without listen. */
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    sh = start_shipper(url, err, sizeof(err));
    assert_non_null(sh);
    t = clock_mono_ns();
    for (int i = 0; i < 100; i++)
        shipper_offer(sh, s);
    assert_true(clock_mono_ns() - t < SEC_NS / 2);
    wait_stats(sh, &st, failed_at_least, 1);
    assert_false(st.targets[0].reachable);
    assert_true(st.targets[0].last_error[0] != '\0');
    assert_int_equal(st.acked, 0);
    t = clock_mono_ns();
    shipper_stop(sh);
    assert_true(clock_mono_ns() - t < 2 * SEC_NS);
    close(fd);
    ship_snapshot_unref(s);
}

/* An answer over the client's cap fails the shipment; the next one gets a new connection. */
static void test_shipper_oversized_answer(void **state)
{
    struct ship_snapshot *s = make_snapshot(base_pods, 2, 0, 3);
    struct shipper_stats st;
    struct shipper *sh;
    struct server sv;
    char url[64], err[256];

    (void)state;
    server_start(&sv);
    sv.status[0] = -1;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", sv.port);
    sh = start_shipper(url, err, sizeof(err));
    assert_non_null(sh);
    shipper_offer(sh, s);
    wait_stats(sh, &st, failed_at_least, 1);
    assert_non_null(strstr(st.targets[0].last_error, "larger than"));
    wait_stats(sh, &st, acked_at_least, 1);
    assert_int_equal(server_requests(&sv), 2);
    assert_int_equal(req(&sv, 1).flags, WIRE_FULL); /* the first may have been stored */
    shipper_stop(sh);
    server_stop(&sv);
    ship_snapshot_unref(s);
}

/* A peer that is not an HTTP/2 server: it answers each connection with the next of these and
 * closes. */
#define ANSWER(s)                                                                                  \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
static const struct {
    const char *data;
    size_t len;
} hostile_answers[] = {
    ANSWER("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ANSWER("\x00\x00\x00\x04\x00\x00\x00\x00\x00"),        /* SETTINGS, then the close */
    ANSWER("\x00\x00\x00\x04\x00\x00\x00\x00\x00"          /* SETTINGS, then HEADERS for */
           "\x00\x40\x00\x01\x05\x00\x00\x00\x01garbage"), /* our stream, 16 KiB long */
    ANSWER(""),
};
#undef ANSWER

struct hostile {
    int lfd;
    atomic_int stop;
    atomic_int conns;
    pthread_t thread;
};

static void *hostile_serve(void *arg)
{
    struct hostile *h = arg;

    while (!atomic_load(&h->stop)) {
        struct pollfd pfd = {.fd = h->lfd, .events = POLLIN};
        size_t a;
        char buf[4096];
        int fd;

        if (poll(&pfd, 1, 50) <= 0) continue;
        fd = accept(h->lfd, NULL, NULL);
        if (fd < 0) continue;
        a = (size_t)atomic_fetch_add(&h->conns, 1) % 4;
        /* Let the client's preface and request arrive, then answer and hang up. Errors do
         * not matter: the client may have given up already. */
        sleep_ms(20);
        (void)!recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        (void)!send(fd, hostile_answers[a].data, hostile_answers[a].len, MSG_NOSIGNAL);
        close(fd);
    }
    return NULL;
}

static void test_shipper_survives_hostile_peers(void **state)
{
    struct ship_snapshot *s = make_snapshot(base_pods, 2, 0, 3);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    struct shipper_stats st;
    struct shipper *sh;
    struct hostile h = {0};
    char url[64], err[256];
    int64_t t;

    (void)state;
    h.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(h.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(h.lfd, 16), 0);
    assert_int_equal(getsockname(h.lfd, (struct sockaddr *)&sa, &sl), 0);
    assert_int_equal(pthread_create(&h.thread, NULL, hostile_serve, &h), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    sh = start_shipper(url, err, sizeof(err));
    assert_non_null(sh);
    shipper_offer(sh, s);
    /* Retries come at least every ship interval (1 s): every kind of answer is seen. */
    wait_stats(sh, &st, failed_at_least, 4);
    assert_int_equal(st.acked, 0);
    assert_false(st.targets[0].reachable);
    assert_true(st.targets[0].last_error[0] != '\0');
    t = clock_mono_ns();
    shipper_stop(sh);
    assert_true(clock_mono_ns() - t < SEC_NS);
    atomic_store(&h.stop, 1);
    pthread_join(h.thread, NULL);
    close(h.lfd);
    ship_snapshot_unref(s);
}

static void test_shipper_refuses_bad_config(void **state)
{
    const char *bad_url[] = {"ftp://x/"}, *good[] = {"https://agg.example:8443"};
    struct shipper_config cfg = {.node_name = "node-1", .urls = bad_url, .nurls = 1};
    char err[256];

    (void)state;
    assert_null(shipper_start(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "https"));
    cfg.urls = good;
    cfg.node_name = "Node_1";
    assert_null(shipper_start(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "node name"));
    cfg.nurls = 0;
    assert_null(shipper_start(&cfg, err, sizeof(err)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_shipment_carries_everything_sorted),
        cmocka_unit_test(test_delta_carries_only_newer_samples),
        cmocka_unit_test(test_delta_lists_removed_and_new_with_history),
        cmocka_unit_test(test_delta_leaves_out_only_what_is_unchanged),
        cmocka_unit_test(test_changes_only_carries_what_appeared_and_went),
        cmocka_unit_test(test_changes_only_one_after_another),
        cmocka_unit_test(test_bad_names_are_blanked_bad_ids_refused),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_build_from_collector),
        cmocka_unit_test(test_shipper_full_delta_resync_and_rejection),
        cmocka_unit_test(test_shipper_ships_changes_only_then_everything),
        cmocka_unit_test(test_shipper_dead_aggregator_does_not_block),
        cmocka_unit_test(test_shipper_falls_back_to_wire_v1),
        cmocka_unit_test(test_delta_carries_new_signal_windows),
        cmocka_unit_test(test_shipper_oversized_answer),
        cmocka_unit_test(test_shipper_survives_hostile_peers),
        cmocka_unit_test(test_shipper_refuses_bad_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
