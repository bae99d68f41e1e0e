/* The reflector against a real kube-apiserver 1.20.2 (tests/e2e/cluster.sh): pods created,
 * relabelled and deleted are reported with their labels; the API server stopped and started
 * again (with a pod deleted straight from etcd meanwhile) is survived and the relist reports
 * the deletion; etcd compacted past the watch's resourceVersion makes it list again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/kube_cluster.h"
#include "kube/kube_watch.h"
#include "log.h"
#include "lib/test_util.h"

#define NS "kmetrics-watch"

static struct kube_cluster cl;

/* What a consumer keeps, mark-and-sweep over relists, behind a lock (callbacks run on the
 * watch thread). */
struct rec_obj {
    char key[320]; /* ns/name */
    char uid[72];
    char labels[512]; /* "k=v,k=v" in the order given (sorted) */
    unsigned gen;
    bool live;
};

static struct recorder {
    pthread_mutex_t mu;
    struct rec_obj objs[256];
    size_t n;
    unsigned gen;
    int relist_begins, relist_ends, deleted_events;
    bool connected;
    char why[512];
} rec = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void rec_relist_begin(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&rec.mu);
    rec.gen++;
    rec.relist_begins++;
    pthread_mutex_unlock(&rec.mu);
}

static void rec_object(void *arg, enum kube_watch_event ev, const struct kube_object_meta *m)
{
    char key[320];
    struct rec_obj *o = NULL;
    size_t len = 0;

    (void)arg;
    snprintf(key, sizeof(key), "%s/%s", m->namespace_ ? m->namespace_ : "", m->name);
    pthread_mutex_lock(&rec.mu);
    for (size_t i = 0; i < rec.n && !o; i++)
        if (strcmp(rec.objs[i].key, key) == 0) o = &rec.objs[i];
    if (!o && rec.n < sizeof(rec.objs) / sizeof(rec.objs[0])) {
        o = &rec.objs[rec.n++];
        snprintf(o->key, sizeof(o->key), "%s", key);
    }
    if (o) {
        snprintf(o->uid, sizeof(o->uid), "%s", m->uid ? m->uid : "");
        o->labels[0] = '\0';
        for (size_t i = 0; i < m->nlabels; i++) {
            int w = snprintf(o->labels + len, sizeof(o->labels) - len, "%s%s=%s", i ? "," : "",
                             m->labels[i].key, m->labels[i].value);
            if (w > 0 && (size_t)w < sizeof(o->labels) - len) len += (size_t)w;
        }
        o->gen = rec.gen;
        o->live = ev != KUBE_WATCH_DELETED;
        if (ev == KUBE_WATCH_DELETED) rec.deleted_events++;
    }
    pthread_mutex_unlock(&rec.mu);
}

static void rec_relist_end(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&rec.mu);
    for (size_t i = 0; i < rec.n; i++)
        if (rec.objs[i].gen != rec.gen) rec.objs[i].live = false;
    rec.relist_ends++;
    pthread_mutex_unlock(&rec.mu);
}

static void rec_state(void *arg, bool connected, const char *why)
{
    (void)arg;
    pthread_mutex_lock(&rec.mu);
    rec.connected = connected;
    snprintf(rec.why, sizeof(rec.why), "%s", why);
    pthread_mutex_unlock(&rec.mu);
}

static const struct kube_watch_callbacks rec_cb = {
    .relist_begin = rec_relist_begin,
    .object = rec_object,
    .relist_end = rec_relist_end,
    .state = rec_state,
};

/* The object's labels if it is live, else NULL; copied into out. */
static const char *rec_labels(const char *key, char *out, size_t n, char *uid, size_t uidlen)
{
    const char *r = NULL;

    pthread_mutex_lock(&rec.mu);
    for (size_t i = 0; i < rec.n; i++) {
        if (strcmp(rec.objs[i].key, key) == 0 && rec.objs[i].live) {
            snprintf(out, n, "%s", rec.objs[i].labels);
            if (uid) snprintf(uid, uidlen, "%s", rec.objs[i].uid);
            r = out;
        }
    }
    pthread_mutex_unlock(&rec.mu);
    return r;
}

/* Waits up to secs for key to be live with labels want (NULL: for it to be gone). */
static bool wait_labels(const char *key, const char *want, double secs)
{
    char got[512];
    double end = tu_mono_s() + secs;

    do {
        const char *l = rec_labels(key, got, sizeof(got), NULL, 0);
        if (want ? l && strcmp(l, want) == 0 : !l) return true;
        usleep(20000);
    } while (tu_mono_s() < end);
    fprintf(stderr, "%s: wanted %s, have %s\n", key, want ? want : "(gone)",
            rec_labels(key, got, sizeof(got), NULL, 0) ? got : "(gone)");
    return false;
}

static bool wait_connected(bool want, double secs)
{
    double end = tu_mono_s() + secs;
    bool c;

    do {
        pthread_mutex_lock(&rec.mu);
        c = rec.connected;
        pthread_mutex_unlock(&rec.mu);
        if (c == want) return true;
        usleep(20000);
    } while (tu_mono_s() < end);
    return false;
}

static int relist_ends(void)
{
    pthread_mutex_lock(&rec.mu);
    int n = rec.relist_ends;
    pthread_mutex_unlock(&rec.mu);
    return n;
}

/* --- objects in the API server ------------------------------------------------------------- */

static void create_pod(const char *name, const char *labels_json, char *uid, size_t uidlen)
{
    assert_int_equal(kcl_create_pod(&cl, NS, name, labels_json, uid, uidlen), 201);
}

static void relabel_pod(const char *name, const char *labels_json)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", NS, name);
    assert_int_equal(kcl_relabel(&cl, path, labels_json), 200);
}

static void delete_pod(const char *name)
{
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", NS, name);
    long st = kcl_call(&cl, "DELETE", path, NULL, NULL);
    assert_true(st == 200 || st == 404);
}

static int setup(void **state)
{
    (void)state;
    log_set_level(LOG_INFO);
    if (kcl_up(&cl)) return -1;
    if (kcl_namespace(&cl, NS)) return -1;
    for (const char *const *p = (const char *const[]){"p1", "p2", "p3", "p4", NULL}; *p; p++) {
        char path[160];
        snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", NS, *p);
        kcl_call(&cl, "DELETE", path, NULL, NULL); /* leftovers of a kept cluster */
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kcl_down(&cl); /* the namespace stays for a kept cluster's next run */
    return 0;
}

static struct kube_watch *start_pods_watch(void)
{
    char err[256];
    /* Short backoff: the outage tests wait for reconnection. */
    struct kube_watch_options o = {.page_size = 2, .backoff_max_ms = 1000};
    struct kube_watch *w =
        kube_watch_start_opts(cl.admin, "/api/v1/pods", &rec_cb, NULL, &o, err, sizeof(err));
    assert_non_null(w);
    assert_true(wait_connected(true, 10));
    assert_true(relist_ends() >= 1);
    return w;
}

static void test_pods_seen_with_labels(void **state)
{
    char uid[72], seen_uid[72], got[512];
    struct kube_watch_stats st;
    struct kube_watch *w;

    (void)state;
    /* One pod before the watch (found by the list), one after (found by the watch). */
    create_pod("p1", "{\"tier\":\"fe\",\"app\":\"web\"}", uid, sizeof(uid));
    w = start_pods_watch();
    assert_true(wait_labels(NS "/p1", "app=web,tier=fe", 5));
    assert_non_null(rec_labels(NS "/p1", got, sizeof(got), seen_uid, sizeof(seen_uid)));
    assert_string_equal(seen_uid, uid);

    create_pod("p2", "{\"app\":\"db\",\"example.com/role\":\"primary\"}", NULL, 0);
    assert_true(wait_labels(NS "/p2", "app=db,example.com/role=primary", 5));
    relabel_pod("p1", "{\"app\":\"web\",\"tier\":\"be\",\"v\":\"\"}");
    assert_true(wait_labels(NS "/p1", "app=web,tier=be,v=", 5));
    relabel_pod("p1", "{}");
    assert_true(wait_labels(NS "/p1", "", 5));
    delete_pod("p1");
    assert_true(wait_labels(NS "/p1", NULL, 5));
    assert_true(rec.deleted_events >= 1);

    kube_watch_get_stats(w, &st);
    assert_int_equal(st.lists, 1);
    assert_int_equal(st.bad_events, 0);
    assert_int_equal(st.failures, 0);
    double t0 = tu_mono_s();
    kube_watch_stop(w);
    assert_true(tu_mono_s() - t0 < 1.0);
    delete_pod("p2");
}

static void test_survives_apiserver_restart(void **state)
{
    struct kube_watch_stats st;
    struct kube_watch *w;
    char out[256];
    int lists_before;

    (void)state;
    create_pod("p3", "{\"app\":\"keep\"}", NULL, 0);
    create_pod("p4", "{\"app\":\"doomed\"}", NULL, 0);
    w = start_pods_watch();
    assert_true(wait_labels(NS "/p3", "app=keep", 5));
    assert_true(wait_labels(NS "/p4", "app=doomed", 5));
    lists_before = relist_ends();

    assert_int_equal(kcl_script(&cl, "stop-apiserver"), 0);
    assert_true(wait_connected(false, 10));
    pthread_mutex_lock(&rec.mu);
    fprintf(stderr, "while down: %s\n", rec.why);
    assert_non_null(strstr(rec.why, "watch") ? rec.why : strstr(rec.why, "list"));
    pthread_mutex_unlock(&rec.mu);
    /* Deleted while the API server is away: no watch event can ever say so. */
    assert_int_equal(kcl_etcdctl(&cl, "del /registry/pods/" NS "/p4", out, sizeof(out)), 0);
    assert_string_equal(out, "1");
    assert_true(wait_labels(NS "/p4", "app=doomed", 0.1)); /* still believed present */

    assert_int_equal(kcl_script(&cl, "start-apiserver"), 0);
    assert_true(wait_connected(true, 15));
    assert_true(wait_labels(NS "/p4", NULL, 10));
    assert_true(wait_labels(NS "/p3", "app=keep", 1));
    assert_true(relist_ends() > lists_before);
    kube_watch_get_stats(w, &st);
    assert_true(st.failures >= 1);
    assert_true(st.expired >= 1);
    /* And it keeps watching. */
    relabel_pod("p3", "{\"app\":\"kept\"}");
    assert_true(wait_labels(NS "/p3", "app=kept", 5));
    kube_watch_stop(w);
}

static void test_compaction_forces_relist(void **state)
{
    struct kube_watch_stats before, after;
    struct kube_watch *w;
    char out[2048], args[128];
    long rev = 0;

    (void)state;
    w = start_pods_watch();
    kube_watch_get_stats(w, &before);
    assert_int_equal(kcl_script(&cl, "stop-apiserver"), 0);
    assert_true(wait_connected(false, 10));
    /* Move etcd on and compact its history to now: the watch's resourceVersion is gone. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(kcl_etcdctl(&cl, "put /kmetrics-test/compaction x", NULL, 0), 0);
    assert_int_equal(
        kcl_etcdctl(&cl, "get /kmetrics-test/compaction --write-out=fields", out, sizeof(out)), 0);
    const char *r = strstr(out, "\"Revision\" : ");
    assert_non_null(r);
    rev = strtol(r + 13, NULL, 10);
    assert_true(rev > 0);
    snprintf(args, sizeof(args), "compact %ld", rev);
    assert_int_equal(kcl_etcdctl(&cl, args, out, sizeof(out)), 0);
    assert_int_equal(kcl_script(&cl, "start-apiserver"), 0);
    assert_true(wait_connected(true, 15));
    for (int i = 0; i < 100; i++) {
        kube_watch_get_stats(w, &after);
        if (after.lists > before.lists) break;
        usleep(50000);
    }
    assert_true(after.lists > before.lists);
    assert_true(after.expired > before.expired);
    kube_watch_stop(w);
    delete_pod("p3");
}

static void test_forbidden_reports_reason(void **state)
{
    struct kube_config cfg = {0}, adm;
    struct kube_client *kc;
    struct kube_watch *w;
    char err[256];
    struct kube_watch_options o = {.backoff_initial_ms = 50, .backoff_max_ms = 100};

    (void)state;
    /* No credentials at all: anonymous is refused (RBAC), and the reflector says why. */
    assert_int_equal(kube_config_load(cl.kubeconfig, NULL, &adm, err, sizeof(err)), 0);
    cfg.server = adm.server;
    cfg.ca_pem = adm.ca_pem;
    cfg.ca_pem_len = adm.ca_pem_len;
    kc = kube_client_new(&cfg, err, sizeof(err));
    assert_non_null(kc);
    kube_config_done(&adm);
    memset(&rec.connected, 0, sizeof(rec.connected));
    rec.why[0] = '\0';
    w = kube_watch_start_opts(kc, "/api/v1/pods", &rec_cb, NULL, &o, err, sizeof(err));
    assert_non_null(w);
    for (int i = 0; i < 100 && !rec.why[0]; i++)
        usleep(20000);
    pthread_mutex_lock(&rec.mu);
    fprintf(stderr, "anonymous: %s\n", rec.why);
    assert_non_null(strstr(rec.why, "HTTP 403"));
    assert_false(rec.connected);
    pthread_mutex_unlock(&rec.mu);
    usleep(400000);
    double t0 = tu_mono_s();
    kube_watch_stop(w);
    assert_true(tu_mono_s() - t0 < 1.0);
    kube_client_free(kc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pods_seen_with_labels),
        cmocka_unit_test(test_survives_apiserver_restart),
        cmocka_unit_test(test_compaction_forces_relist),
        cmocka_unit_test(test_forbidden_reports_reason),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
