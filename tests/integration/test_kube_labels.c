/* Pod and node labels from a real kube-apiserver 1.20.2 into the store, through kube_labels on
 * a real h2o event loop in this process (the aggregator binary wires the same thing): pods and
 * nodes created, relabelled and deleted in the API server show in what the store renders
 * (JSON, and the protobuf LIST built from messages rendered at ingest), selectors follow, pods
 * the API server does not know are served without labels, readiness follows an API server
 * outage; with node rules, each node's kubelet endpoint reaches the fallback's listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/kube_cluster.h"
#include "kube/kube_labels.h"
#include "log.h"
#include "store/metrics_query.h"
#include "store/selector.h"
#include "lib/store_fixture.h"
#include "lib/test_util.h"

#define NS "kmetrics-labels"
#define NODE "kl-node-1"
#define SEC ((int64_t)1000000000)
#define GHOST_UID "99999999-2222-4333-8444-000000000009"

static struct kube_cluster cl;
static h2o_loop_t *loop; /* h2o 2.2 cannot free a loop: kept reachable for the leak checker */
static struct store store;
static struct kube_labels *kl;
static char uid_web[64], uid_db[64], uid_late[64];
static uint64_t seq;

/* --- the API server ----------------------------------------------------------------------- */

static void create_pod(const char *name, const char *labels_json, char *uid, size_t n)
{
    assert_int_equal(kcl_create_pod(&cl, NS, name, labels_json, uid, n), 201);
}

static void relabel(const char *path, const char *labels_json)
{
    assert_int_equal(kcl_relabel(&cl, path, labels_json), 200);
}

static void delete_object(const char *path)
{
    long st = kcl_call(&cl, "DELETE", path, NULL, NULL);
    assert_true(st == 200 || st == 404);
}

/* --- the store ---------------------------------------------------------------------------- */

/* Ships NODE with the given pods (one container each), as a collector would. */
static void ship(const char *const *names, const char *const *uids, size_t n)
{
    assert_int_equal(sf_ship(&store, NODE, NS, names, uids, n, ++seq, (int64_t)time(NULL) * SEC),
                     0);
}

static struct outbuf render(enum query_target kind, enum query_format media, const char *selector)
{
    struct outbuf out;

    outbuf_init(&out);
    assert_int_equal(sf_render_selected(&store, kind, media, NS, NULL, selector, &out), 200);
    return out;
}

/* labels of name in a JSON list as "k=v,...", "" for none, "-" when not listed. */
static const char *labels_in(enum query_target kind, const char *name)
{
    static char buf[512];
    struct outbuf o = render(kind, QUERY_JSON, NULL);
    json_t *j = json_loadb(o.data, o.len, 0, NULL), *it, *v;
    const char *k;
    size_t i;

    assert_non_null(j);
    snprintf(buf, sizeof(buf), "-");
    json_array_foreach(json_object_get(j, "items"), i, it)
    {
        json_t *meta = json_object_get(it, "metadata");
        size_t len = 0;
        if (strcmp(json_string_value(json_object_get(meta, "name")), name) != 0) continue;
        buf[0] = '\0';
        json_object_foreach(json_object_get(meta, "labels"), k, v) len += (size_t)snprintf(
            buf + len, sizeof(buf) - len, "%s%s=%s", len ? "," : "", k, json_string_value(v));
    }
    json_decref(j);
    outbuf_done(&o);
    return buf;
}

/* Runs the loop until the pod (or node) shows want, or secs pass. */
static bool pump_until_labels(enum query_target kind, const char *name, const char *want,
                              double secs)
{
    double end = tu_mono_s() + secs;
    do {
        h2o_evloop_run(loop, 20);
        if (strcmp(labels_in(kind, name), want) == 0) return true;
    } while (tu_mono_s() < end);
    fprintf(stderr, "%s: want \"%s\", have \"%s\"\n", name, want, labels_in(kind, name));
    return false;
}

static bool pump_until_connected(bool want, double secs, char *why, size_t n)
{
    double end = tu_mono_s() + secs;
    do {
        h2o_evloop_run(loop, 20);
        if (kube_labels_connected(kl, why, n) == want) return true;
    } while (tu_mono_s() < end);
    return false;
}

/* The protobuf LIST (from the messages rendered at ingest) holds the label entry k=v. */
static bool pb_list_has(const char *selector, const char *k, const char *v)
{
    struct outbuf o = render(QUERY_NAMESPACE_PODS, QUERY_PROTOBUF, selector);
    bool found = sf_pb_has_label(o.data, o.len, k, v);
    outbuf_done(&o);
    return found;
}

static int setup(void **state)
{
    (void)state;
    log_set_level(LOG_INFO);
    if (kcl_up(&cl)) return -1;
    if (kcl_namespace(&cl, NS)) return -1;
    /* Leftovers of a kept cluster. */
    kcl_call(&cl, "DELETE", "/api/v1/namespaces/" NS "/pods/web-a?gracePeriodSeconds=0", NULL,
             NULL);
    kcl_call(&cl, "DELETE", "/api/v1/namespaces/" NS "/pods/db-a?gracePeriodSeconds=0", NULL, NULL);
    kcl_call(&cl, "DELETE", "/api/v1/namespaces/" NS "/pods/late?gracePeriodSeconds=0", NULL, NULL);
    kcl_call(&cl, "DELETE", "/api/v1/nodes/" NODE, NULL, NULL);
    loop = h2o_evloop_create();
    store_init(&store, 15 * SEC, 3600 * SEC);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kube_labels_stop(kl);
    h2o_evloop_run(loop, 0); /* lets the queue's socket go */
    store_done(&store);
    kcl_down(&cl);
    return 0;
}

static void test_labels_reach_the_store(void **state)
{
    struct kube_watch_options opts = {.backoff_max_ms = 1000};
    char err[256], why[256];
    const char *names[3] = {"web-a", "db-a", "ghost"};
    const char *uids[3] = {uid_web, uid_db, GHOST_UID};

    (void)state;
    create_pod("web-a", "{\"app\":\"web\",\"tier\":\"fe\"}", uid_web, sizeof(uid_web));
    create_pod("db-a", "{\"app\":\"db\"}", uid_db, sizeof(uid_db));
    assert_int_equal(kcl_call(&cl, "POST", "/api/v1/nodes",
                              "{\"metadata\":{\"name\":\"" NODE "\",\"labels\":{\"zone\":\"a\"}}}",
                              NULL),
                     201);
    ship(names, uids, 3);

    kl = kube_labels_start_opts(&store, loop, cl.admin,
                                &(struct kube_labels_options){.watch = &opts}, err, sizeof(err));
    assert_non_null(kl);
    assert_false(kube_labels_synced(kl));
    assert_true(pump_until_connected(true, 10, why, sizeof(why)));
    for (int i = 0; i < 250 && !kube_labels_synced(kl); i++)
        h2o_evloop_run(loop, 20);
    assert_true(kube_labels_synced(kl));
    assert_string_equal(why, "connected");

    assert_string_equal(labels_in(QUERY_NAMESPACE_PODS, "web-a"), "app=web,tier=fe");
    assert_string_equal(labels_in(QUERY_NAMESPACE_PODS, "db-a"), "app=db");
    assert_string_equal(labels_in(QUERY_NAMESPACE_PODS, "ghost"), ""); /* unknown: no labels */
    assert_string_equal(labels_in(QUERY_NODES, NODE), "zone=a");
    assert_true(pb_list_has(NULL, "tier", "fe"));
    assert_true(pb_list_has("app=db", "app", "db"));
    assert_false(pb_list_has("app=db", "app", "web"));
}

static void test_changes_follow(void **state)
{
    const char *names[4] = {"web-a", "db-a", "ghost", "late"};
    const char *uids[4] = {uid_web, uid_db, GHOST_UID, uid_late};

    (void)state;
    relabel("/api/v1/namespaces/" NS "/pods/web-a", "{\"app\":\"web\",\"tier\":\"be\"}");
    assert_true(pump_until_labels(QUERY_NAMESPACE_PODS, "web-a", "app=web,tier=be", 5));
    assert_true(pb_list_has(NULL, "tier", "be")); /* the stored message was rendered again */
    assert_false(pb_list_has(NULL, "tier", "fe"));
    assert_true(pb_list_has("tier=be", "app", "web"));

    delete_object("/api/v1/namespaces/" NS "/pods/db-a?gracePeriodSeconds=0");
    assert_true(pump_until_labels(QUERY_NAMESPACE_PODS, "db-a", "", 5)); /* still served */
    assert_false(pb_list_has(NULL, "app", "db"));

    /* A pod the API server knew first gets its labels in the message rendered at ingest. */
    create_pod("late", "{\"app\":\"late\"}", uid_late, sizeof(uid_late));
    for (int i = 0; i < 50; i++)
        h2o_evloop_run(loop, 20);
    ship(names, uids, 4);
    assert_true(pb_list_has("app=late", "app", "late"));

    relabel("/api/v1/nodes/" NODE, "{\"zone\":\"b\",\"kubernetes.io/hostname\":\"" NODE "\"}");
    assert_true(pump_until_labels(QUERY_NODES, NODE, "kubernetes.io/hostname=" NODE ",zone=b", 5));
    delete_object("/api/v1/nodes/" NODE);
    assert_true(pump_until_labels(QUERY_NODES, NODE, "", 5));
}

static void test_readiness_follows_an_outage(void **state)
{
    char why[256];

    (void)state;
    assert_int_equal(kcl_script(&cl, "stop-apiserver"), 0);
    assert_true(pump_until_connected(false, 10, why, sizeof(why)));
    fprintf(stderr, "during the outage: %s\n", why);
    assert_true(strncmp(why, "pods: ", 6) == 0 || strncmp(why, "nodes: ", 7) == 0);
    assert_true(kube_labels_synced(kl)); /* what was known stays served */
    assert_string_equal(labels_in(QUERY_NAMESPACE_PODS, "web-a"), "app=web,tier=be");
    assert_int_equal(kcl_script(&cl, "start-apiserver"), 0);
    assert_true(pump_until_connected(true, 20, why, sizeof(why)));
    relabel("/api/v1/namespaces/" NS "/pods/web-a", "{\"app\":\"web\"}");
    assert_true(pump_until_labels(QUERY_NAMESPACE_PODS, "web-a", "app=web", 5));
    delete_object("/api/v1/namespaces/" NS "/pods/web-a?gracePeriodSeconds=0");
    delete_object("/api/v1/namespaces/" NS "/pods/late?gracePeriodSeconds=0");
}

/* --- kubelet endpoints (the kubelet-scrape fallback's view of nodes) ----------------------- */

#define EP_NODE "kl-node-ep"
#define EP_BAD "kl-node-noaddr"

/* What the node listener heard last of each of the two nodes, as text. */
static char ep_seen[2][192];
static int ep_relists;

static void on_node(void *arg, enum kube_node_change change, const char *name,
                    const struct node_endpoint *ep, const char *why)
{
    (void)arg;
    if (change == KUBE_NODE_RELIST_END) ep_relists++;
    if (!name) return;
    int i = strcmp(name, EP_NODE) == 0 ? 0 : strcmp(name, EP_BAD) == 0 ? 1 : -1;
    if (i < 0) return;
    if (change == KUBE_NODE_DELETE)
        snprintf(ep_seen[i], sizeof(ep_seen[i]), "deleted");
    else if (ep)
        snprintf(ep_seen[i], sizeof(ep_seen[i]), "%s:%u", ep->host, (unsigned)ep->port);
    else
        snprintf(ep_seen[i], sizeof(ep_seen[i]), "none: %s", why);
}

static bool pump_until_seen(int i, const char *want, double secs)
{
    double end = tu_mono_s() + secs;
    do {
        h2o_evloop_run(loop, 20);
        if (strncmp(ep_seen[i], want, strlen(want)) == 0) return true;
    } while (tu_mono_s() < end);
    fprintf(stderr, "want \"%s\", have \"%s\"\n", want, ep_seen[i]);
    return false;
}

/* With node rules, the node watch reads whole Nodes (the API server keeps a Node's status on
 * create) and hands each node's kubelet endpoint to the listener, in the list and as events. */
static void test_node_endpoints(void **state)
{
    struct node_address_rules rules = {.port = 10250, .use_node_status_port = true};
    struct kube_watch_options opts = {.backoff_max_ms = 1000};
    static struct store st; /* static: a failed assertion leaves the watches running */
    struct kube_labels *kl2;
    char err[256];

    (void)state;
    assert_int_equal(node_address_types_parse("InternalIP,Hostname", &rules, err, sizeof(err)), 0);
    kcl_call(&cl, "DELETE", "/api/v1/nodes/" EP_NODE, NULL, NULL);
    kcl_call(&cl, "DELETE", "/api/v1/nodes/" EP_BAD, NULL, NULL);
    assert_int_equal(kcl_call(&cl, "POST", "/api/v1/nodes",
                              "{\"metadata\":{\"name\":\"" EP_NODE "\"},\"status\":{\"addresses\":["
                              "{\"type\":\"Hostname\",\"address\":\"" EP_NODE "\"},"
                              "{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}],"
                              "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10555}}}}",
                              NULL),
                     201);
    store_init(&st, 15 * SEC, 3600 * SEC);
    kl2 =
        kube_labels_start_opts(&st, loop, cl.admin,
                               &(struct kube_labels_options){
                                   .watch = &opts, .node_rules = &rules, .node_listener = on_node},
                               err, sizeof(err));
    assert_non_null(kl2);
    /* From the list. */
    assert_true(pump_until_seen(0, "127.0.0.1:10555", 10));
    for (int i = 0; i < 250 && ep_relists < 1; i++)
        h2o_evloop_run(loop, 20);
    assert_int_equal(ep_relists, 1);
    /* A node without a usable address, as a watch event. */
    assert_int_equal(kcl_call(&cl, "POST", "/api/v1/nodes",
                              "{\"metadata\":{\"name\":\"" EP_BAD "\"},\"status\":{\"addresses\":["
                              "{\"type\":\"ExternalIP\",\"address\":\"192.0.2.7\"}]}}",
                              NULL),
                     201);
    assert_true(pump_until_seen(1, "none: no address of a preferred type", 10));
    /* Deleted. */
    delete_object("/api/v1/nodes/" EP_NODE);
    assert_true(pump_until_seen(0, "deleted", 10));
    delete_object("/api/v1/nodes/" EP_BAD);
    assert_true(pump_until_seen(1, "deleted", 10));
    kube_labels_stop(kl2);
    store_done(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_reach_the_store),
        cmocka_unit_test(test_changes_follow),
        cmocka_unit_test(test_node_endpoints),
        cmocka_unit_test(test_readiness_follows_an_outage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
