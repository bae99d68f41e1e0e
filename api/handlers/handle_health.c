/* /livez, /readyz, /healthz (with ?verbose and named checks, as the Kubernetes API server
 * answers them). */
#include <stdio.h>
#include <string.h>

#include "auth/auth_gate.h"
#include "handlers.h"
#include "http/respond.h"
#include "kube/kube_labels.h"
#include "kubelet/kubelet_fallback.h"

struct check {
    const char *name;
    bool (*ok)(struct aggregator *agg);
    /* What ?verbose adds after "ok" (NULL: nothing). */
    void (*detail)(struct aggregator *agg, char *out, size_t cap);
};

static bool check_ping(struct aggregator *agg)
{
    (void)agg;
    return true;
}

/* Ready once a collector's data is stored, or a kubelet's with rates (a second scrape):
 * before that every answer would be empty. */
static bool check_data_received(struct aggregator *agg)
{
    struct kubelet_fallback_stats st;

    if (agg->shipments_seen || !agg->fallback) return agg->shipments_seen;
    kubelet_fallback_get_stats(agg->fallback, &st);
    return st.stored_rated > 0;
}

/* The kubelet-scrape fallback never makes the server unready (one broken kubelet must not take
 * the API away from every other node); it says how many nodes it serves and how many fail. */
static bool check_kubelet_fallback(struct aggregator *agg)
{
    (void)agg;
    return true;
}

static void detail_kubelet_fallback(struct aggregator *agg, char *out, size_t cap)
{
    struct kubelet_fallback_stats st;
    size_t nodes[STORE_SOURCES], pods[STORE_SOURCES];

    if (!agg->fallback) {
        snprintf(out, cap, " (off)");
        return;
    }
    kubelet_fallback_get_stats(agg->fallback, &st);
    store_count_by_source(&agg->store, nodes, pods);
    snprintf(out, cap,
             " (%zu of %zu nodes served from their kubelets, %zu without a fresh collector, "
             "%zu failing, %zu without an address)",
             nodes[STORE_SOURCE_KUBELET], st.nodes_known, st.nodes_scraping, st.nodes_failing,
             st.nodes_without_endpoint);
}

/* At least one node is fresh (silent nodes are dropped, so any node left is fresh). */
static bool check_collectors_fresh(struct aggregator *agg)
{
    return agg->store.nodes.len > 0;
}

/* Kubernetes mode: the trust configuration (front proxy and client CAs) is loaded; until it
 * is, the kube-apiserver's proxied requests would all be refused. */
static bool check_authn_config(struct aggregator *agg)
{
    return !agg->gate || auth_gate_has_authn(agg->gate);
}

/* Kubernetes mode: the pod and node lists have been read once (labels are known) and the
 * watches are connected now. Metrics are still served while this fails: the API server being
 * away says nothing about the metrics, but labels may be stale, and readiness says so. */
static bool check_kube_api(struct aggregator *agg)
{
    char why[128];
    return !agg->labels || (kube_labels_synced(agg->labels) &&
                            kube_labels_connected(agg->labels, why, sizeof(why)));
}

static const struct check live_checks[] = {{"ping", check_ping, NULL}};
static const struct check ready_checks[] = {
    {"ping", check_ping, NULL},
    {"authentication-config", check_authn_config, NULL},
    {"kube-api", check_kube_api, NULL},
    {"data-received", check_data_received, NULL},
    {"collectors-fresh", check_collectors_fresh, NULL},
    {"kubelet-fallback", check_kubelet_fallback, detail_kubelet_fallback},
};

void handle_health(struct aggregator *agg, h2o_req_t *req, const struct route *r, struct query q)
{
    const struct check *checks = r->kind == ROUTE_READYZ ? ready_checks : live_checks;
    size_t n = r->kind == ROUTE_READYZ ? sizeof(ready_checks) / sizeof(ready_checks[0])
                                       : sizeof(live_checks) / sizeof(live_checks[0]);
    const char *what = r->kind == ROUTE_LIVEZ    ? "livez"
                       : r->kind == ROUTE_READYZ ? "readyz"
                                                 : "healthz";
    char value[8];
    bool verbose = query_param(q.s, q.len, "verbose", value, sizeof(value)) >= 0;
    bool all_ok = true;
    struct outbuf b;

    outbuf_init(&b);
    if (r->check_len) {
        for (size_t i = 0; i < n; i++) {
            if (strlen(checks[i].name) == r->check_len &&
                memcmp(checks[i].name, r->check, r->check_len) == 0) {
                bool ok = checks[i].ok(agg);
                outbuf_puts(&b, ok ? "ok" : "internal server error: check failed\n");
                respond_body(req, ok ? 200 : 500, "text/plain; charset=utf-8", &b);
                return;
            }
        }
        outbuf_done(&b);
        respond_text(req, 404, "text/plain; charset=utf-8", "404 page not found\n");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        bool ok = checks[i].ok(agg);
        all_ok &= ok;
        char detail[256] = "";
        if (verbose && ok && checks[i].detail) checks[i].detail(agg, detail, sizeof(detail));
        outbuf_printf(&b, ok ? "[+]%s ok%s\n" : "[-]%s failed: reason withheld%s\n", checks[i].name,
                      detail);
    }
    if (verbose || !all_ok) {
        outbuf_printf(&b, "%s check %s\n", what, all_ok ? "passed" : "failed");
    } else {
        outbuf_reset(&b);
        outbuf_puts(&b, "ok");
    }
    respond_body(req, all_ok ? 200 : 500, "text/plain; charset=utf-8", &b);
}
